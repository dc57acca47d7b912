"""The README's screenshots of the publishing desk: run ``.venv/bin/python scripts/desk_screenshots.py``.

Starts the real desk on a copy of the example data in a scratch folder, does a round in Debian's Chromium as two
people (Jo uploads, Sam approves) and saves a picture of each step into ``docs/desk/``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from browser import launch_chromium  # noqa: E402 - the tests' way to start Debian's Chromium
from desk import launch  # noqa: E402 - the bench's way to start the desk on a scratch folder
from playwright.sync_api import sync_playwright  # noqa: E402

OUT = ROOT / "docs" / "desk"
VIEW = {"width": 1100, "height": 820}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="dps-desk-shots-"))
    try:
        shutil.copytree(ROOT / "data", scratch / "data")
        shutil.copytree(ROOT / "published", scratch / "published")
        bad = (ROOT / "data" / "listings.csv").read_text(encoding="utf-8")
        bad = bad.replace("Maidstone; Tonbridge and Malling", "Ashfrod", 1).replace("18-25; 26-plus", "18-99", 1)
        (scratch / "listings.csv").write_text(bad, encoding="utf-8")
        fixed = (ROOT / "data" / "providers.csv").read_text(encoding="utf-8").replace("01622 000 100", "01622 000 199")
        (scratch / "providers.csv").write_text(fixed, encoding="utf-8")
        desk, address = launch(scratch)
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                jo = browser.new_context(viewport=VIEW).new_page()
                sam = browser.new_context(viewport=VIEW).new_page()

                def shot(page, name: str) -> None:
                    page.screenshot(path=OUT / f"{name}.png")
                    print(f"docs/desk/{name}.png")

                jo.goto(address + "/")
                jo.fill("#name", "Jo Bloggs")
                shot(jo, "01-sign-in")
                jo.get_by_role("button", name="Continue", exact=True).click()
                jo.get_by_role("button", name="Start a new draft", exact=True).click()
                draft = jo.url.rstrip("/").rsplit("/", 1)[1]
                shot(jo, "02-task-list")
                jo.click("text=Upload the tables")
                jo.set_input_files("#files", [scratch / "listings.csv", scratch / "providers.csv"])
                shot(jo, "03-upload")
                jo.get_by_role("button", name="Upload and check", exact=True).click()
                jo.wait_for_url(f"**/drafts/{draft}/check")
                shot(jo, "04-problems")
                (scratch / "listings.csv").write_bytes((ROOT / "data" / "listings.csv").read_bytes())
                jo.click("text=Upload fixed files")
                jo.set_input_files("#files", [scratch / "listings.csv"])
                jo.get_by_role("button", name="Upload and check", exact=True).click()
                jo.wait_for_url(f"**/drafts/{draft}/check")
                shot(jo, "05-no-problems")
                jo.click("text=see what will change")
                shot(jo, "06-changes")
                jo.goto(address + f"/drafts/{draft}/preview")
                jo.get_by_role("button", name="Build the preview", exact=True).click()
                shot(jo, "07-building")
                jo.click("#job-live >> text=See the result", timeout=300_000)
                jo.click("text=Open the preview")
                shot(jo, "08-preview")
                jo.goto(address + f"/drafts/{draft}/approval")
                jo.get_by_role("button", name="Ask for a check", exact=True).click()
                shot(jo, "09-waiting-for-a-check")
                sam.goto(address + "/")
                sam.fill("#name", "Sam Patel")
                sam.get_by_role("button", name="Continue", exact=True).click()
                sam.goto(address + f"/drafts/{draft}/approval")
                shot(sam, "10-approve")
                sam.get_by_role("button", name="Approve this draft", exact=True).click()
                jo.goto(address + f"/drafts/{draft}/publish")
                shot(jo, "11-publish")
                jo.click("#publish")
                jo.click("#job-live >> text=See the result", timeout=300_000)
                shot(jo, "12-published")
                jo.goto(address + "/history")
                shot(jo, "13-history")
                browser.close()
        finally:
            desk.terminate()
            desk.wait(timeout=10)
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

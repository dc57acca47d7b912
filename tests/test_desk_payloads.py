"""The site's payload test, run against the desk: script in the cells and names of uploaded workbooks runs nothing on
any desk page, in Debian's Chromium with the Content-Security-Policy bypassed (so it proves the escaping, not only
the policy)."""

from __future__ import annotations

import io
import sys

import openpyxl
import pytest
from browser import event_handlers, launch_chromium, live_script_links
from desk_support import make_publisher, running_desk
from helpers import read_rows
from playwright.sync_api import sync_playwright
from test_payloads_browser import MARK, PAYLOADS

# Text columns the change summary quotes, from and to.
CLEAN_FIELDS = {"providers": ["name", "description", "easy_read_description", "phone"], "listings": ["activities"]}
# Columns whose values are refused, and so quoted in the problem messages and the marked workbook's notes.
BAD_FIELDS = {"listings": ["districts", "support_types", "age_groups"], "providers": ["website", "email"]}


def xlsx(header: list[str], rows: list[dict]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = PAYLOADS[0][:30].replace("/", " ")  # a sheet's name is quoted too: "Sheet <script>..., cell G2"
    sheet.append(header)
    for row in rows:
        sheet.append([row[c] for c in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_payloads(data, table: str, fields: list[str], replace: bool) -> tuple[list[str], list[dict]]:
    header, rows = read_rows(data / f"{table}.csv")
    for number, row in enumerate(rows[:12]):
        for column in fields:
            payload = PAYLOADS[(number + len(column)) % len(PAYLOADS)]
            row[column] = payload if replace else f"{payload} {row[column][:30]}".strip()
    return header, rows


def no_script_ran(page, where: str) -> list[str]:
    found = []
    if page.evaluate("window.__xss || 0"):
        found.append(f"{where}: a payload ran")
    found += [f"{where}: {h}" for h in event_handlers(page)]
    found += [f"{where}: a live link {href}" for href in live_script_links(page)]
    scripts = page.eval_on_selector_all("script", "s => s.map(e => [e.getAttribute('src') || '', e.textContent])")
    found += [f"{where}: a script {src or text[:60]}" for src, text in scripts
              if not src.startswith("/assets/") or text.strip()]
    return found


@pytest.fixture(scope="module")
def desk_visits(tmp_path_factory):
    root = tmp_path_factory.mktemp("desk-payloads")
    publisher = make_publisher(root / "council")
    files = {}
    for table, fields in CLEAN_FIELDS.items():
        files[f"{table}.xlsx"] = xlsx(*with_payloads(publisher.data, table, fields, replace=False))
    bad = {}
    for table, fields in BAD_FIELDS.items():
        bad[f"{PAYLOADS[1]} {table}.xlsx"] = xlsx(*with_payloads(publisher.data, table, fields, replace=True))
    bad[f"{PAYLOADS[0]}.csv"] = b"no,table,has,this,header\n1,2,3,4,5\n"  # refused, its name quoted
    found, visited = [], []
    with running_desk(publisher) as desk, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.on("dialog", lambda dialog: (found.append(f"a dialog on {page.url}"), dialog.dismiss()))

        def visit(path: str) -> None:
            page.goto(desk + path, wait_until="load")
            visited.append(path)
            found.extend(no_script_ran(page, path))

        page.goto(desk + "/sign-in")
        page.fill("#name", PAYLOADS[4])  # a person's name is shown on every page and in the history
        page.get_by_role("button", name="Continue", exact=True).click()
        drafts = []
        for upload in (files, bad):
            page.goto(desk + "/")
            page.get_by_role("button", name="Start a new draft", exact=True).click()
            draft = page.url.rstrip("/").rsplit("/", 1)[1]
            drafts.append(draft)
            page.goto(desk + f"/drafts/{draft}/upload")
            page.set_input_files("#files", [{"name": name, "mimeType": "application/octet-stream", "buffer": body}
                                            for name, body in upload.items()])
            page.get_by_role("button", name="Upload and check", exact=True).click()
            page.wait_for_url(f"**/drafts/{draft}/check")
            found.extend(no_script_ran(page, f"the check after the upload to {draft}"))
        clean, problems = drafts
        page.goto(desk + f"/drafts/{clean}/approval")
        page.get_by_role("button", name="Ask for a check", exact=True).click()
        for draft in drafts:
            for step in ("", "/upload", "/check", "/changes", "/preview", "/approval", "/publish"):
                visit(f"/drafts/{draft}{step}")
        visit("/")
        visit("/history")
        visit("/drafts/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        visit("/preview/%3Cscript%3E/x")
        check_text = page.goto(desk + f"/drafts/{problems}/check").text()
        changes_text = page.goto(desk + f"/drafts/{clean}/changes").text()
        browser.close()
    return found, visited, check_text, changes_text


def test_no_payload_in_an_upload_runs_on_any_desk_page(desk_visits):
    found, visited, _, _ = desk_visits
    sys.stderr.write(f"\ndesk payload test: {len(visited)} pages visited, {len(found)} executions\n")
    assert len(visited) >= 18
    assert found == []


def test_the_payloads_reached_the_pages_as_text(desk_visits):
    """Otherwise the test above could pass because nothing was shown."""
    _, _, check_text, changes_text = desk_visits
    assert "&lt;script&gt;" in check_text and "onerror=" in check_text  # as text: the quote before it escaped
    assert "&lt;script&gt;" in changes_text or "&lt;svg" in changes_text
    assert "<script>" + MARK not in check_text and "<script>" + MARK not in changes_text

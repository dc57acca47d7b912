"""How fast the publishing desk answers, on this machine: run ``.venv/bin/python bench/desk.py``.

Starts the real desk on a copy of the example data in a scratch folder and times, through HTTP:
the problems page after uploading one bad file; a preview of the example data from an empty cache (from asking to
ready); and a preview again after one provider's phone number is changed and its table uploaded (the draft's
previous preview and the desk's cache there). For each preview it prints the seconds of each build stage, as the
worker's status file says them, and the load average beside the figures (the machine is shared). Then it starts
the desk on a county-sized data set (``bench/generate.py``: 5,000 providers, 20,000 listings) and times the upload
of its listings table as an Excel workbook until the check page is back (``--preview-only`` leaves that out).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
THEME = ROOT / "dps_publish" / "theme"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def launch(scratch: Path) -> tuple[subprocess.Popen, str]:
    """The real desk on ``scratch``'s folders (``data``, ``published``, ``drafts`` ...), once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "dps_publish", "desk", "--data", str(scratch / "data"),
               "--output", str(scratch / "output"), "--frozen", str(scratch / "published"),
               "--cache", str(scratch / "cache"), "--settings", str(ROOT / "pelicanconf.py"),
               "--content", str(ROOT / "content"), "--theme", str(THEME),
               "--drafts", str(scratch / "drafts"), "--users", str(scratch / "users.toml"), "--port", str(port)]
    desk = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(address + "/sign-in")
            break
        except httpx.TransportError:
            time.sleep(0.2)
    return desk, address


def start_desk(scratch: Path) -> tuple[subprocess.Popen, httpx.Client, str]:
    """The desk on ``scratch``'s folders, signed in; returns the process, the client and the CSRF token."""
    desk, address = launch(scratch)
    client = httpx.Client(base_url=address, follow_redirects=True, timeout=300)
    token = TOKEN.search(client.get("/sign-in").text).group(1)
    client.post("/sign-in", data={"csrf_token": token, "name": "Bench", "next": "/"})
    token = TOKEN.search(client.get("/").text).group(1)
    return desk, client, token


def new_draft(client: httpx.Client, token: str) -> str:
    return str(client.post("/drafts", data={"csrf_token": token}).url).rstrip("/").rsplit("/", 1)[1]


def preview(client: httpx.Client, token: str, draft: str, jobs: Path) -> tuple[float, dict[str, float]]:
    """Seconds from asking for the draft's preview to its being ready, and each stage's seconds on the way."""
    started = time.perf_counter()
    client.post(f"/drafts/{draft}/preview", data={"csrf_token": token})
    stages: dict[str, float] = {}
    current, since = None, started
    deadline = started + 1800
    while time.perf_counter() < deadline:
        latest = jobs / "latest.json"
        status = {}
        if latest.is_file():
            job = json.loads(latest.read_text(encoding="utf-8"))["id"]
            status = json.loads((jobs / f"{job}.status.json").read_text(encoding="utf-8"))
        now = time.perf_counter()
        if status.get("stage") != current:
            stages[current] = stages.get(current, 0.0) + now - since
            current, since = status.get("stage"), now
        if status.get("kind") == "preview" and status.get("state") not in (None, "running"):
            break
        if not status and now - started > 30:
            raise SystemExit(f"the desk started no preview of draft {draft} in 30 s")
        time.sleep(0.1)
    took = time.perf_counter() - started
    stages[current] = stages.get(current, 0.0) + took - (since - started)
    assert status.get("state") == "done", status
    return took, stages


def stage_words(stages: dict[str, float]) -> str:
    """"starting 2.1 s, validate 0.6 s, ...": starting is the worker's start before its first stage."""
    return ", ".join(f"{name or 'starting'} {seconds:.1f} s" for name, seconds in stages.items())


def load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def listings_workbook(csv_path: Path) -> bytes:
    import io

    import openpyxl
    import pandas as pd

    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Listings")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def county_sized(scratch: Path) -> float:
    """Seconds from sending a 20,000-row listings workbook to the check page being back."""
    data = scratch / "data"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(data), "--payments", "1000"],
                   check=True, stdout=subprocess.DEVNULL)
    (scratch / "published").mkdir()
    workbook = listings_workbook(data / "listings.csv")
    rows = sum(1 for _ in open(data / "listings.csv", encoding="utf-8")) - 1
    desk, client, token = start_desk(scratch)
    try:
        draft = new_draft(client, token)
        started = time.perf_counter()
        page = client.post(f"/drafts/{draft}/upload", data={"csrf_token": token},
                           files=[("files", ("listings.xlsx", workbook, "application/octet-stream"))])
        took = time.perf_counter() - started
        assert "listings</strong> table" in page.text and "No problems found" in page.text, page.text[:2000]
        print(f"  ({rows:,} listings, a {len(workbook) / 1024 / 1024:.1f} MB workbook)")
        return took
    finally:
        desk.terminate()
        desk.wait(timeout=10)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preview-only", action="store_true",
                        help="time the two previews only (not the problems page or the county-sized workbook)")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="dps-desk-bench-"))
    try:
        shutil.copytree(ROOT / "data", scratch / "data")
        shutil.copytree(ROOT / "published", scratch / "published")
        desk, client, token = start_desk(scratch)
        try:
            draft = new_draft(client, token)
            listings = (ROOT / "data" / "listings.csv").read_text(encoding="utf-8")
            if not args.preview_only:
                bad = listings.replace("Maidstone; Tonbridge and Malling", "Ashfrod", 1)
                started = time.perf_counter()
                page = client.post(f"/drafts/{draft}/upload", data={"csrf_token": token},
                                   files=[("files", ("listings.csv", bad.encode(), "text/csv"))])
                problems = time.perf_counter() - started
                assert "Ashfrod" in page.text
            page = client.post(f"/drafts/{draft}/upload", data={"csrf_token": token},
                               files=[("files", ("listings.csv", listings.encode(), "text/csv"))])
            assert "No problems found" in page.text, page.text[:2000]  # a draft is previewed once checked
            before_cold = load()
            cold, cold_stages = preview(client, token, draft, scratch / "drafts" / ".jobs")
            providers = (ROOT / "data" / "providers.csv").read_text(encoding="utf-8")
            edited = providers.replace("01622 000 100", "01622 000 199", 1)
            assert edited != providers, "the example's providers table no longer has the phone number the bench edits"
            page = client.post(f"/drafts/{draft}/upload", data={"csrf_token": token},
                               files=[("files", ("providers.csv", edited.encode(), "text/csv"))])
            assert "No problems found" in page.text, page.text[:2000]
            before_edit = load()
            again, again_stages = preview(client, token, draft, scratch / "drafts" / ".jobs")
        finally:
            desk.terminate()
            desk.wait(timeout=10)
        if not args.preview_only:
            county = scratch / "county"
            county.mkdir()
            workbook = county_sized(county)
            print(f"problems page after uploading one bad file: {problems:.2f} s (target 3 s)")
        print(f"preview of the example data, empty cache:   {cold:.2f} s (target 15 s; {before_cold} before)")
        print(f"  {stage_words(cold_stages)}")
        print(f"preview again, one provider's phone changed: {again:.2f} s (target 8 s; {before_edit} before)")
        print(f"  {stage_words(again_stages)}")
        if not args.preview_only:
            print(f"20,000-row listings workbook checked:         {workbook:.2f} s (target 10 s)")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

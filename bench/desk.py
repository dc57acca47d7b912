"""How fast the publishing desk answers, on this machine: run ``.venv/bin/python bench/desk.py``.

Starts the real desk on a copy of the example data in a scratch folder and times, through HTTP:
the problems page after uploading one bad file, and a preview of the example data (from asking to ready).
Then starts it on a county-sized data set (``bench/generate.py``: 5,000 providers, 20,000 listings) and times
the upload of its listings table as an Excel workbook until the check page is back.
"""

from __future__ import annotations

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


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="dps-desk-bench-"))
    try:
        shutil.copytree(ROOT / "data", scratch / "data")
        shutil.copytree(ROOT / "published", scratch / "published")
        desk, client, token = start_desk(scratch)
        draft = new_draft(client, token)
        bad = (ROOT / "data" / "listings.csv").read_text().replace("Maidstone; Tonbridge and Malling", "Ashfrod", 1)
        started = time.perf_counter()
        page = client.post(f"/drafts/{draft}/upload", data={"csrf_token": token},
                           files=[("files", ("listings.csv", bad.encode(), "text/csv"))])
        problems = time.perf_counter() - started
        assert "Ashfrod" in page.text
        client.post(f"/drafts/{draft}/upload", data={"csrf_token": token},
                    files=[("files", ("listings.csv", (ROOT / "data" / "listings.csv").read_bytes(), "text/csv"))])
        started = time.perf_counter()
        client.post(f"/drafts/{draft}/preview", data={"csrf_token": token})
        while "Check progress" in client.get(f"/drafts/{draft}/status").text:
            time.sleep(0.25)
        preview = time.perf_counter() - started
        desk.terminate()
        desk.wait(timeout=10)
        county = scratch / "county"
        county.mkdir()
        workbook = county_sized(county)
        print(f"problems page after uploading one bad file: {problems:.2f} s (target 3 s)")
        print(f"preview of the example data, cold cache:      {preview:.2f} s (target 30 s)")
        print(f"20,000-row listings workbook checked:         {workbook:.2f} s (target 10 s)")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""How fast the publishing desk answers, on this machine: run ``.venv/bin/python bench/desk.py``.

Starts the real desk on a copy of the example data in a scratch folder and times, through HTTP:
the problems page after uploading one bad file, and a preview of the example data (from asking to ready).
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
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="dps-desk-bench-"))
    try:
        shutil.copytree(ROOT / "data", scratch / "data")
        shutil.copytree(ROOT / "published", scratch / "published")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        command = [sys.executable, "-m", "dps_publish", "desk", "--data", str(scratch / "data"),
                   "--output", str(scratch / "output"), "--frozen", str(scratch / "published"),
                   "--cache", str(scratch / "cache"), "--settings", str(ROOT / "pelicanconf.py"),
                   "--content", str(ROOT / "content"), "--theme", str(ROOT / "theme"),
                   "--drafts", str(scratch / "drafts"), "--users", str(scratch / "users.toml"), "--port", str(port)]
        desk = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        address = f"http://127.0.0.1:{port}"
        client = httpx.Client(base_url=address, follow_redirects=True, timeout=300)
        for _ in range(150):
            try:
                client.get("/sign-in")
                break
            except httpx.TransportError:
                time.sleep(0.2)
        token = TOKEN.search(client.get("/sign-in").text).group(1)
        client.post("/sign-in", data={"csrf_token": token, "name": "Bench", "next": "/"})
        token = TOKEN.search(client.get("/").text).group(1)
        draft = str(client.post("/drafts", data={"csrf_token": token}).url).rstrip("/").rsplit("/", 1)[1]
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
        print(f"problems page after uploading one bad file: {problems:.2f} s (target 3 s)")
        print(f"preview of the example data, cold cache:      {preview:.2f} s (target 30 s)")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

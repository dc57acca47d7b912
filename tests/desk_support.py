"""Helpers for the desk's tests: a publisher's folder in a scratch place, and the desk running on it for real
(``dps-publish desk`` in its own process, uvicorn on a free loopback port)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from helpers import ROOT, THEME
from hosting import free_port, running


@dataclass
class Publisher:
    """A publisher's folders, as a council would have them: its tables, frozen rounds, site, drafts and users."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def frozen(self) -> Path:
        return self.root / "published"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def cache(self) -> Path:
        return self.root / ".dps-cache"

    @property
    def drafts(self) -> Path:
        return self.root / "drafts"

    @property
    def users(self) -> Path:
        return self.root / "private" / "users.toml"

    @property
    def settings(self) -> Path:
        return self.root / "pelicanconf.py"

    def folder_args(self) -> list[str]:
        return ["--data", str(self.data), "--output", str(self.output), "--frozen", str(self.frozen),
                "--cache", str(self.cache), "--settings", str(self.settings), "--content", str(ROOT / "content"),
                "--theme", str(THEME)]


def make_publisher(root: Path, extra_settings: str = "") -> Publisher:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "published", root / "published")
    text = (ROOT / "pelicanconf.py").read_text(encoding="utf-8")
    (root / "pelicanconf.py").write_text(text + "\n" + extra_settings + "\n", encoding="utf-8")
    return Publisher(root)


def desk_command(publisher: Publisher, port: int, host: str = "127.0.0.1", users: Path | None = None) -> list[str]:
    return [sys.executable, "-m", "dps_publish", "desk", *publisher.folder_args(), "--drafts", str(publisher.drafts),
            "--users", str(users or publisher.users), "--host", host, "--port", str(port)]


class DeskAddress(str):
    """The running desk's address (no trailing slash), with its process and the file its output goes to."""

    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def running_desk(publisher: Publisher, port: int | None = None, users: Path | None = None):
    """The desk running on ``publisher``'s folders (and ``users``, if another users file); yields its address."""
    port = port or free_port()
    log = publisher.root / f"desk-{port}.log"
    with running(desk_command(publisher, port, users=users), port, log, env={**os.environ, "PYTHONPATH": str(ROOT)},
                 cwd=publisher.root) as process:
        address = DeskAddress(f"http://127.0.0.1:{port}")
        address.process, address.log = process, log
        yield address


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Person:
    """Someone at the desk, through HTTP: signs in, follows redirects, sends each form with its CSRF token."""

    def __init__(self, address: str, name: str, password: str | None = None, headers: dict | None = None):
        self.client = httpx.Client(base_url=address, follow_redirects=True, timeout=120, headers=headers)
        self.name = name
        page = self.client.get("/sign-in")
        fields = {"csrf_token": self.token(page.text), "name": name, "next": "/"}
        if password is not None:
            fields["password"] = password
        self.last = self.client.post("/sign-in", data=fields)

    @staticmethod
    def token(text: str) -> str:
        return TOKEN.search(text).group(1)

    def get(self, path: str) -> httpx.Response:
        self.last = self.client.get(path)
        return self.last

    def csrf(self) -> str:
        """The session's CSRF token, as every form of the desk carries it."""
        return self.token(self.client.get("/").text)

    def post(self, path: str, fields: dict | None = None, files=None) -> httpx.Response:
        data = {"csrf_token": self.csrf(), **(fields or {})}
        self.last = self.client.post(path, data=data, files=files)
        return self.last

    def wait_for_job(self, draft: str, timeout: float = 300) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            page = self.client.get(f"/drafts/{draft}/status")
            if "Check progress" not in page.text:
                return page
            time.sleep(1)
        raise AssertionError(f"the build of draft {draft} did not finish in {timeout} s")

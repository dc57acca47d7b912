"""One build at a time, in its own process.

A preview or a publication runs in a worker process (``python -m
dps_publish.desk.worker``) that holds a lock on the drafts folder while it
works, and writes its stage to a status file the desk's pages read. A second
build asked for while one runs is told to wait. A worker that dies (killed, out
of memory) leaves its status saying it was running; the desk sees its process
is gone and says plainly that the build stopped and nothing was changed.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

from .config import DeskConfig
from .drafts import write_json

LOCK = ".build.lock"


class Busy(Exception):
    """A build is already running."""


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a finished child not yet waited for is not running
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


def lock_held(folder: Path) -> bool:
    path = folder / LOCK
    if not path.exists():
        return False
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False


class Jobs:
    def __init__(self, config: DeskConfig):
        self.config = config
        self.folder = config.drafts / ".jobs"
        self._lock = threading.Lock()
        self._children: dict[int, subprocess.Popen] = {}

    def start(self, kind: str, draft: str | None, who: str, **options) -> str:
        with self._lock:
            self._reap()
            running = self.running()
            if running is not None:
                raise Busy(running)
            self.folder.mkdir(parents=True, exist_ok=True)
            job_id = f"{kind}-{secrets.token_hex(4)}"
            job = {"id": job_id, "kind": kind, "draft": draft, "who": who, "options": options,
                   "config": self.config.to_dict()}
            write_json(self.folder / f"{job_id}.json", job)
            write_json(self.folder / f"{job_id}.status.json", {"id": job_id, "kind": kind, "draft": draft,
                                                               "state": "running", "stage": None})
            log = open(self.folder / f"{job_id}.log", "wb")
            child = subprocess.Popen([sys.executable, "-m", "dps_publish.desk.worker", str(self.folder / f"{job_id}.json")],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            log.close()
            self._children[child.pid] = child
            status = self._read(job_id)
            status["pid"] = child.pid
            write_json(self.folder / f"{job_id}.status.json", status)
            write_json(self.folder / "latest.json", {"id": job_id})
            return job_id

    def _reap(self) -> None:
        for pid, child in list(self._children.items()):
            if child.poll() is not None:
                del self._children[pid]

    def _read(self, job_id: str) -> dict:
        return json.loads((self.folder / f"{job_id}.status.json").read_text(encoding="utf-8"))

    def status(self, job_id: str) -> dict | None:
        """The job's status; one whose process died without finishing says ``stopped``."""
        self._reap()
        if not job_id or "/" in job_id or not (self.folder / f"{job_id}.status.json").is_file():
            return None
        status = self._read(job_id)
        if status["state"] == "running" and status.get("pid") and not _alive(status["pid"]):
            status["state"] = "stopped"
        return status

    def latest(self) -> dict | None:
        path = self.folder / "latest.json"
        if not path.is_file():
            return None
        return self.status(json.loads(path.read_text(encoding="utf-8"))["id"])

    def holding(self, draft: str) -> str | None:
        """Why ``draft`` may not be changed now (uploaded to, checked, sent for a check, approved), in words; None
        when it may. A draft is held while a build of it runs, and every draft while a publication runs (it
        replaces the tables every draft is compared with)."""
        running = self.running()
        if running is None:
            return None
        wait = "Wait until it has finished (the draft's page shows its progress), then try again."
        if running.get("draft") == draft:
            if running.get("kind") == "preview":
                return f"A preview of draft {draft} is being built from its tables, so they cannot change now. {wait}"
            return (f"Draft {draft} is being published, so its tables cannot change now: what is published is what "
                    f"was approved. {wait}")
        if running.get("kind") == "preview":
            return None
        if running.get("kind") == "recover":
            return f"An interrupted publication is being finished, so no draft can change now. {wait}"
        return (f"A draft is being published, so no draft can change now: each is compared with the tables being "
                f"replaced. {wait}")

    def running(self) -> dict | None:
        latest = self.latest()
        if latest and latest["state"] == "running":
            return latest
        if lock_held(self.config.drafts):  # a worker started by another desk process
            return latest or {"state": "running", "kind": "build", "draft": None}
        return None

"""The desk's history: an append-only log, ``published/audit.jsonl``, one JSON object a line.

Who did what and when (upload, check, ask for a check, approve, publish, publish
without a check and its reason), the draft, the sha256 of every table published
and the change summary's counts. Lines are only ever appended, under a lock and
flushed to disk; nothing rewrites one. The log is not an input of the site (see
``cache.NOT_INPUTS``): appending to it never makes a build rebuild.

The log is private (mode 0600: it names people) and chained: each line holds in
``previous`` the sha256 of the line before it as written (``null`` for the first
line of a log), so a line changed, taken out or put in breaks the chain at the
next line, and ``verify`` says where. A log written before lines were chained
still reads; its chain starts at the first line appended since.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from pathlib import Path

AUDIT_FILE = "audit.jsonl"
ACTIONS = {
    "draft-started": "Started a draft",
    "upload": "Uploaded tables",
    "check": "Checked the tables",
    "preview": "Built a preview",
    "check-requested": "Asked for a check",
    "approve": "Approved",
    "publish": "Published",
    "publish-without-check": "Published without a check",
    "publication-finished": "Finished an interrupted publication",
    "publication-undone": "Undid an interrupted publication",
    "went-live": "Went live on the web host",
    "live-failed": "Could not go live on the web host",
    "rollback": "Put back the previous version of the public site",
    "draft-discarded": "Discarded a draft",
    "sign-in-failed": "Tried to sign in with a wrong password",
}


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def append(log: Path, record: dict) -> dict:
    """Add one line to the log (creating it and its folder if need be), chained to the last, and return it as written."""
    if record.get("action") not in ACTIONS:
        raise ValueError(f"not an audit action: {record.get('action')!r}")
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.fchmod(fd, 0o600)  # a log made before it was kept private
        last = _last_line(fd)
        line = {"at": now(), **record, "previous": _digest(last) if last is not None else None}
        data = (json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        if last is not None and not _ends_with_newline(fd):
            data = b"\n" + data  # a line cut short by a crash stays a line of its own
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return line


def _digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _ends_with_newline(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size == 0 or os.pread(fd, 1, size - 1) == b"\n"


def _last_line(fd: int, step: int = 8192) -> bytes | None:
    """The log's last line as written (without its newline); None for an empty log."""
    position = os.fstat(fd).st_size
    if position == 0:
        return None
    tail = b""
    while position > 0:
        start = max(0, position - step)
        tail = os.pread(fd, position - start, start) + tail
        position = start
        if b"\n" in tail[:-1]:
            break
    return tail.removesuffix(b"\n").rsplit(b"\n", 1)[-1]


def read(log: Path) -> list[dict]:
    """Every line of the log, oldest first; a line that cannot be read (cut short by a crash) is skipped."""
    if not log.is_file():
        return []
    records = []
    with open(log, encoding="utf-8") as f:
        for text in f:
            try:
                records.append(json.loads(text))
            except ValueError:
                continue
    return records


def verify(log: Path) -> str | None:
    """Where the chain of the log is broken, in words; None when every chained line follows the one before it.

    Lines written before the log was chained (without ``previous``) are taken as they are; from the first
    chained line on, every line must hold the sha256 of the line before it.
    """
    if not log.is_file():
        return None
    lines = log.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    chained = False
    for number, raw in enumerate(lines, start=1):
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        if not isinstance(record, dict) or "previous" not in record:
            if chained or record is None:
                return _broken(log, number, "cannot be read as a line the desk wrote" if record is None
                               else "is not linked to the line before it")
            continue
        chained = True
        expected = _digest(lines[number - 2]) if number > 1 else None
        if record["previous"] != expected:
            return _broken(log, number, "does not follow the line before it: a line before it was changed, taken out "
                                        "or put in")
    return None


def _broken(log: Path, number: int, what: str) -> str:
    return (f"The history has been changed since the desk wrote it: line {number} of {log} {what}. The lines up to "
            f"there are as the desk wrote them. Keep a copy of the file, tell whoever looks after the desk, and compare "
            f"it with a backup or with the git history of {log.parent.name}/ to see what was changed.")

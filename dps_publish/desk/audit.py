"""The desk's history: an append-only log, ``published/audit.jsonl``, one JSON object a line.

Who did what and when (upload, check, ask for a check, approve, publish, publish
without a check and its reason), the draft, the sha256 of every table published
and the change summary's counts. Lines are only ever appended, under a lock and
flushed to disk; nothing rewrites one. The log is not an input of the site (see
``cache.NOT_INPUTS``): appending to it never makes a build rebuild.
"""

from __future__ import annotations

import datetime as dt
import fcntl
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
    "draft-discarded": "Discarded a draft",
}


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def append(log: Path, record: dict) -> dict:
    """Add one line to the log (creating it and its folder if need be) and return it as written."""
    if record.get("action") not in ACTIONS:
        raise ValueError(f"not an audit action: {record.get('action')!r}")
    line = {"at": now(), **record}
    data = (json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return line


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

"""Drafts: a round being prepared, kept in its own folder until it is published.

A draft is a copy of ``data/`` plus what was uploaded into it, with a small
``draft.json`` saying where it stands (written whole and renamed into place, so a
crash never leaves half of it). The web process and the workers both write it,
so every change is a read-modify-write under the draft's lock (``update``,
``change``): each writer changes only its own keys and keeps everyone else's.
Who uploaded is not kept there but in ``uploads.jsonl``, a line per file, only
ever appended to: no writer of ``draft.json`` can lose it. Drafts live under the desk's ``--drafts``
folder, never under the cache (which may be deleted), and survive a restart.
``data/``, ``published/`` and ``output/`` change only when a draft is published.

A draft moves through these states:
``open`` (uploading and checking) → ``awaiting-check`` (someone was asked to
check it) → ``approved`` → ``published``; uploading again after a request or an
approval takes it back to ``open``, so what is approved is what is published.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..cache import file_digest
from ..files import write_atomically
from ..sources.readers import TABLE_SUFFIXES

T = TypeVar("T")
META = "draft.json"
UPLOADS = "uploads.jsonl"  # who uploaded what: appended to, never rewritten
LOCK = ".draft.lock"
DRAFT_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[a-z0-9]{4}")
STATES = {
    "open": "Being prepared",
    "awaiting-check": "Waiting for a check",
    "approved": "Approved",
    "published": "Published",
    "discarded": "Discarded",
}


class DraftError(Exception):
    """Something a person asked of a draft that cannot be done; the words say why."""


@dataclass
class Draft:
    folder: Path
    meta: dict

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def preview(self) -> Path:
        return self.folder / "preview" / "site"

    @property
    def incoming(self) -> Path:
        return self.folder / "incoming"

    @property
    def state(self) -> str:
        return self.meta["state"]

    @property
    def state_words(self) -> str:
        return STATES[self.state]

    @property
    def uploads(self) -> list[dict]:
        """Every file uploaded to the draft, oldest first, from the append-only record (and ``draft.json``'s list,
        where drafts made before that record kept them)."""
        recorded = []
        path = self.folder / UPLOADS
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    recorded.append(json.loads(line))
                except ValueError:
                    continue  # a line cut short by a crash
        return [*self.meta.get("uploads", []), *recorded]

    @property
    def uploaders(self) -> set[str]:
        return {u["by"] for u in self.uploads}

    @property
    def check(self) -> dict | None:
        """The last check, if it was of the tables the draft holds now."""
        check = self.meta.get("check")
        return check if check and check.get("data_digest") == self.data_digest() else None

    @property
    def approval(self) -> dict | None:
        approval = self.meta.get("approval")
        return approval if approval and approval.get("data_digest") == self.data_digest() else None

    def table_files(self) -> dict[str, Path]:
        return {p.stem: p for p in sorted(self.data.iterdir()) if p.suffix in TABLE_SUFFIXES and p.is_file()}

    def data_digest(self) -> str:
        return data_digest(self.data)

    def table_digests(self) -> dict[str, str]:
        return {p.name: file_digest(p) for p in self.table_files().values()}

    @contextlib.contextmanager
    def locked(self) -> Iterator[dict]:
        """Hold the draft's lock, with ``meta`` read again: nobody changes the draft until the block ends.

        For what must not interleave with a change (copying the tables to publish them); ``update`` changes
        ``draft.json``. Not re-entrant: never call ``update`` or ``locked`` inside the block.
        """
        with open(self.folder / LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self.meta = read_meta(self.folder)
                yield self.meta
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def update(self, change: Callable[[dict], T]) -> T:
        """Read ``draft.json`` again under the lock, let ``change`` change it, and write it: what others wrote is kept."""
        with self.locked() as meta:
            result = change(meta)
            write_json(self.folder / META, meta)
        return result

    def change(self, **keys) -> None:
        """Set these keys of ``draft.json`` (a value of None takes the key out), keeping every other."""

        def setting(meta: dict) -> None:
            for key, value in keys.items():
                if value is None:
                    meta.pop(key, None)
                else:
                    meta[key] = value

        self.update(setting)

    def record_upload(self, entries: list[dict]) -> None:
        """Add files to the append-only record of who uploaded what (a line each, flushed to disk)."""
        if not entries:
            return
        data = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries).encode("utf-8")
        fd = os.open(self.folder / UPLOADS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def place_upload(self, source: Path, table: str, kind: str) -> Path:
        """Make an uploaded file the draft's ``table``, replacing its other form (a .csv by an .xlsx, or back)."""
        target = self.data / f"{table}.{kind}"
        for suffix in TABLE_SUFFIXES:
            other = self.data / f"{table}{suffix}"
            if other != target and other.exists():
                other.unlink()
        os.replace(source, target)
        return target

    def reopen(self) -> None:
        """The tables changed: any request for a check or approval was for other tables (call it under the lock)."""
        if self.state in ("awaiting-check", "approved"):
            self.meta["state"] = "open"
        self.meta.pop("approval", None)
        self.meta.pop("review", None)


class DraftStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def create(self, source_data: Path, by: str) -> Draft:
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
        draft_id = f"{stamp}-{secrets.token_hex(2)}"
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=self.root))
        try:
            shutil.copytree(source_data, staging / "data", ignore=shutil.ignore_patterns(".*", "~$*"))
            (staging / "incoming").mkdir()
            meta = {"id": draft_id, "created_by": by, "created_at": _now(), "state": "open",
                    "started_from": table_digests(source_data)}
            write_json(staging / META, meta)
            os.rename(staging, self.root / draft_id)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return self.get(draft_id)

    def get(self, draft_id: str) -> Draft:
        """The draft called ``draft_id``; a ``KeyError`` for any other name (never a path outside the drafts)."""
        if not isinstance(draft_id, str) or not DRAFT_ID.fullmatch(draft_id):
            raise KeyError(draft_id)
        folder = self.root / draft_id
        if not (folder / META).is_file():
            raise KeyError(draft_id)
        return Draft(folder, read_meta(folder))

    def all(self) -> list[Draft]:
        if not self.root.is_dir():
            return []
        drafts = []
        for folder in sorted(self.root.iterdir(), reverse=True):
            if DRAFT_ID.fullmatch(folder.name):
                try:
                    drafts.append(self.get(folder.name))
                except (KeyError, ValueError):
                    continue
        return drafts


def read_meta(folder: Path) -> dict:
    return json.loads((folder / META).read_text(encoding="utf-8"))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def write_json(path: Path, value) -> None:
    """Write a JSON file whole, on the disk before it replaces the old one (readable by the desk's user only)."""
    write_atomically(path, json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True) + "\n", mode=0o600,
                     durable=True)


def table_digests(folder: Path) -> dict[str, str]:
    if not Path(folder).is_dir():
        return {}
    return {p.name: file_digest(p) for p in sorted(Path(folder).iterdir())
            if p.is_file() and p.suffix in TABLE_SUFFIXES}


def data_digest(folder: Path) -> str:
    return hashlib.sha256(json.dumps(table_digests(folder), sort_keys=True).encode()).hexdigest()

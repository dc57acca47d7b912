"""Drafts: a round being prepared, kept in its own folder until it is published.

A draft is a copy of ``data/`` plus what was uploaded into it, with a small
``draft.json`` saying who did what (written whole and renamed into place, so a
crash never leaves half of it). Drafts live under the desk's ``--drafts``
folder, never under the cache (which may be deleted), and survive a restart.
``data/``, ``published/`` and ``output/`` change only when a draft is published.

A draft moves through these states:
``open`` (uploading and checking) → ``awaiting-check`` (someone was asked to
check it) → ``approved`` → ``published``; uploading again after a request or an
approval takes it back to ``open``, so what is approved is what is published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..cache import file_digest
from ..sources.readers import TABLE_SUFFIXES

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
    def uploaders(self) -> set[str]:
        return {u["by"] for u in self.meta.get("uploads", [])}

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

    def save(self) -> None:
        write_json(self.folder / "draft.json", self.meta)

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
        """The tables changed: any request for a check or approval was for other tables."""
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
            meta = {"id": draft_id, "created_by": by, "created_at": _now(), "state": "open", "uploads": [],
                    "started_from": table_digests(source_data)}
            write_json(staging / "draft.json", meta)
            os.rename(staging, self.root / draft_id)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return self.get(draft_id)

    def get(self, draft_id: str) -> Draft:
        """The draft called ``draft_id``; a ``KeyError`` for any other name (never a path outside the drafts)."""
        if not isinstance(draft_id, str) or not DRAFT_ID.fullmatch(draft_id):
            raise KeyError(draft_id)
        folder = self.root / draft_id
        meta_path = folder / "draft.json"
        if not meta_path.is_file():
            raise KeyError(draft_id)
        return Draft(folder, json.loads(meta_path.read_text(encoding="utf-8")))

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


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def write_json(path: Path, value) -> None:
    """Write a JSON file whole: to a temporary file first, flushed, then renamed over the old one."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=1, ensure_ascii=False, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def table_digests(folder: Path) -> dict[str, str]:
    if not Path(folder).is_dir():
        return {}
    return {p.name: file_digest(p) for p in sorted(Path(folder).iterdir())
            if p.is_file() and p.suffix in TABLE_SUFFIXES}


def data_digest(folder: Path) -> str:
    return hashlib.sha256(json.dumps(table_digests(folder), sort_keys=True).encode()).hexdigest()

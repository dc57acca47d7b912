"""What a release sends, in what order, and what it deletes: planned from two manifests, never a listing.

Order (each step only adds files the later steps point at, so a reader never meets a page whose files are
not there yet):

1. files pages refer to: the theme, charts, open data, booklets, and Pagefind's content-named index and
   fragments (new names, so nothing live uses them yet);
2. Pagefind's fixed-name runtime: its scripts and wasm, each shard's ``pagefind-entry.json``, then the
   root one, then ``shards.json``;
3. pages: new pages first (nothing live links to them yet), then changed ones, deepest first;
4. the home page last;
5. then the driver switches: the manifest written last marks the release live.

Deletions wait a release: files the new release drops stay at the host as its ``leftovers`` (a page a reader
opened a minute ago may still ask for them) and the release after deletes them. A release that would drop
more than 5 % of the site, or more than 50 files, is refused unless someone gives the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from .headers import kind_of
from .manifest import Entry, Manifest

GUARD_SHARE = 0.05
GUARD_FILES = 50
_GROUP = {"asset": 0, "open-data": 0, "download": 0, "search-index": 0, "search-runtime": 1, "page": 2}


class DeletionsRefused(Exception):
    """A release that would remove too much of the site, with no reason given."""

    def __init__(self, removed: list[str], live_count: int):
        self.removed = sorted(removed)
        self.live_count = live_count
        share = len(removed) / live_count if live_count else 1
        shown = ", ".join(self.removed[:5]) + (", ..." if len(self.removed) > 5 else "")
        super().__init__(
            f"This release would remove {len(removed):,} of {live_count:,} files from the public site "
            f"({share:.0%}), more than the {GUARD_SHARE:.0%} (or {GUARD_FILES} files) a release may remove "
            f"without a reason: {shown}. Nothing was sent; the public site is unchanged. If the build lost "
            "pages it should have (a missing table, a wrong data folder), fix that and build again. If the "
            'removal is meant, give the reason: dps-publish deploy --confirm-deletions "why".')


@dataclass(frozen=True)
class Plan:
    release: Manifest  # the new release, its leftovers set
    live: Manifest | None  # what the host serves now (None: nothing yet)
    upload: tuple[Entry, ...]  # in the order above
    delete: tuple[str, ...]  # now: the live release's leftovers that the new one does not bring back
    removed: tuple[str, ...]  # dropped by the new release: kept as its leftovers, deleted by the next
    unchanged: int
    confirmed_reason: str | None = None

    @property
    def bytes_to_send(self) -> int:
        return sum(e.size for e in self.upload)

    @property
    def nothing_to_do(self) -> bool:
        return (self.live is not None and not self.upload and not self.delete and not self.removed
                and self.live.digest == self.release.digest)

    def summary(self) -> str:
        """In words: "37 files to upload, 2.1 MB; 0 to delete"."""
        files = "file" if len(self.upload) == 1 else "files"
        text = f"{len(self.upload):,} {files} to upload, {megabytes(self.bytes_to_send)}; {len(self.delete):,} to delete"
        if self.removed:
            text += f" ({len(self.removed):,} no longer in the site, deleted with the release after this one)"
        return text

    def to_dict(self) -> dict:
        return {"release": self.release.release, "live": self.live.release if self.live else None,
                "upload": len(self.upload), "bytes": self.bytes_to_send, "delete": len(self.delete),
                "removed": len(self.removed), "unchanged": self.unchanged, "summary": self.summary()}


def megabytes(size: int) -> str:
    if size < 100_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def make_plan(new: Manifest, live: Manifest | None, pending: Manifest | None = None,
              confirmed_reason: str | None = None) -> Plan:
    """The plan that takes the host from ``live`` to ``new``.

    ``pending`` is a release that began at the host and never became live (an interrupted deploy on an object
    store): every file it touched is in an unknown state, so it is sent again, and any file it added that the
    new release does not have is deleted with the leftovers.
    """
    live_files = live.by_path if live else {}
    dirty = _touched_by(pending, live_files)
    upload = [e for e in new.files if live_files.get(e.path) != e or e.path in dirty]
    removed = sorted(set(live_files) - new.paths)
    lost = [p for p in removed if kind_of(p) != "search-index"]  # a new search index has new names: not a loss
    if lost and live is not None and _too_many(len(lost), len(live_files)) and not _given(confirmed_reason):
        raise DeletionsRefused(lost, len(live_files))
    earlier_leftovers = set(live.leftovers) if live else set()
    stray = {p for p in dirty if p not in live_files}  # added by the interrupted release
    delete = sorted((earlier_leftovers | stray) - new.paths - set(removed))
    release = new.with_leftovers(removed)
    return Plan(release, live, tuple(upload_order(upload, live_files)), tuple(delete), tuple(removed),
                len(new.files) - len(upload), confirmed_reason.strip() if _given(confirmed_reason) else None)


def _touched_by(pending: Manifest | None, live_files: dict[str, Entry]) -> set[str]:
    if pending is None:
        return set()
    return {e.path for e in pending.files if live_files.get(e.path) != e}


def _too_many(removed: int, live_count: int) -> bool:
    return removed > GUARD_FILES or removed > GUARD_SHARE * live_count


def _given(reason: str | None) -> bool:
    return bool(reason and reason.strip())


def upload_order(entries: list[Entry], live_files: dict[str, Entry]) -> list[Entry]:
    """``entries`` in the order that never breaks a page (see the module's docstring)."""
    return sorted(entries, key=lambda e: _rank(e.path, e.path in live_files))


def step_of(path: str, was_live: bool) -> tuple:
    """The step of that order a file is sent in: files of one step may be sent at the same time (an object store
    sends them in parallel), each step only once the step before is all there."""
    return _rank(path, was_live)[:-1]


def _rank(path: str, was_live: bool) -> tuple:
    kind = kind_of(path)
    depth = path.count("/")
    if path == "index.html":
        return (4, 0, 0, path)
    if kind == "page":
        return (2, 1 if was_live else 0, -depth, path)
    if kind == "search-runtime":
        name = path.rsplit("/", 1)[-1]
        step = 2 if name == "shards.json" else 1 if name == "pagefind-entry.json" else 0
        return (1, step, -depth, path)
    return (_GROUP.get(kind, 0), 0, 0, path)

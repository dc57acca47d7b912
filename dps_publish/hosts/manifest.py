"""A release's manifest: every file of the site with its sha256, size and headers, as deterministic JSON.

The manifest is what a host keeps instead of a listing: the next release is planned by comparing two
manifests, so a one-provider edit sends only what changed without listing 20,000 remote files. It is
written at the root of the release as ``dps-release.json`` (``Cache-Control: no-store``), and on an object
store writing it is what makes a release live.

``leftovers`` are the files an earlier release had and this one dropped: still at the host (a page a
reader opened before the switch may still ask for them), deleted by the next release.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _string  # json's own, in C
from pathlib import Path

from .headers import MANIFEST_NAME, headers_for

FORMAT = "dps-release/1"
READERS = 4  # threads reading files to hash them (hashlib lets go of the GIL while it hashes)


class ManifestError(ValueError):
    """A manifest that cannot be read or a site folder that cannot be made into one."""


@dataclass(frozen=True, order=True)
class Entry:
    path: str  # relative, with forward slashes: "providers/acme/index.html"
    sha256: str
    size: int
    content_type: str
    cache_control: str

    def to_dict(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "size": self.size, "content_type": self.content_type,
                "cache_control": self.cache_control}


@dataclass(frozen=True)
class Manifest:
    release: str  # e.g. 20261207T101500Z-3f2a9c1b
    made: str  # when it was made, ISO 8601 in UTC
    files: tuple[Entry, ...]  # sorted by path
    leftovers: tuple[str, ...] = ()  # dropped by this release, deleted by the next
    rolled_back_from: str | None = None  # set on a release that puts an earlier one back
    _index: dict = field(default=None, init=False, repr=False, compare=False)

    _digest: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_index", {e.path: e for e in self.files})

    @property
    def by_path(self) -> dict[str, Entry]:
        return self._index

    @property
    def paths(self) -> set[str]:
        return set(self._index)

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.files)

    @property
    def digest(self) -> str:
        """What the site is, whatever the release is called: equal digests serve the same bytes."""
        if self._digest is None:  # worked out once: a county's manifest lists 20,000 files
            object.__setattr__(self, "_digest", content_digest(self.files))
        return self._digest

    def to_json(self, **extra) -> bytes:
        """The manifest as JSON: its fields (and ``extra`` ones) in name order, one file to a line."""
        document = {"format": FORMAT, "release": self.release, "made": self.made, "digest": self.digest,
                    "leftovers": sorted(self.leftovers), **extra}
        if self.rolled_back_from:
            document["rolled_back_from"] = self.rolled_back_from
        document["files"] = None
        # json's C encoder writes each line (with ``indent`` it would use the pure-Python one: seconds for 20,000)
        lines = [f"{json.dumps(name, ensure_ascii=False)}: " + (
            "[\n  " + ",\n  ".join(map(_entry_json, self.files)) + "\n ]"
            if name == "files" else json.dumps(value, sort_keys=True, ensure_ascii=False))
            for name, value in sorted(document.items())]
        return ("{\n " + ",\n ".join(lines) + "\n}\n").encode("utf-8")

    def with_leftovers(self, leftovers: Iterable[str], rolled_back_from: str | None = None) -> Manifest:
        return Manifest(self.release, self.made, self.files, tuple(sorted(set(leftovers))),
                        rolled_back_from or self.rolled_back_from)

    @classmethod
    def from_json(cls, data: bytes, where: str = "the release manifest") -> Manifest:
        try:
            document = json.loads(data)
            if document.get("format") != FORMAT:
                raise ManifestError(f"{where} is not a dps-publish release manifest (format "
                                    f"{document.get('format')!r}, expected {FORMAT!r}).")
            files = tuple(sorted((Entry(f["path"], f["sha256"], int(f["size"]), f["content_type"],
                                        f["cache_control"]) for f in document["files"]), key=_path))
            manifest = cls(str(document["release"]), str(document["made"]), files,
                           tuple(document.get("leftovers", ())), document.get("rolled_back_from"))
        except ManifestError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ManifestError(f"{where} cannot be read ({type(exc).__name__}: {exc}). It may have been "
                                "changed by hand or cut short.") from None
        if document.get("digest") not in (None, manifest.digest):
            raise ManifestError(f"{where} does not add up: its digest does not match its list of files. It may "
                                "have been changed by hand.")
        return manifest


def _entry_json(e: Entry) -> str:
    """``json.dumps(e.to_dict(), sort_keys=True, ensure_ascii=False)``, four times as fast."""
    return (f'{{"cache_control": {_string(e.cache_control)}, "content_type": {_string(e.content_type)}, '
            f'"path": {_string(e.path)}, "sha256": {_string(e.sha256)}, "size": {int(e.size)}}}')


def content_digest(files: Iterable[Entry]) -> str:
    text = "".join(f"{e.path}\0{e.sha256}\0{e.size}\0{e.content_type}\0{e.cache_control}\n"
                   for e in sorted(files, key=_path))  # paths are unique, so sorting by path sorts the entries
    return hashlib.sha256(text.encode()).hexdigest()


def _path(entry: Entry) -> str:
    return entry.path


def sha256_of(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def site_files(folder: Path) -> list[str]:
    """Every file of a built site, as release paths, sorted; a symbolic link or a file named like the manifest
    is refused (a release must be plain files)."""
    return sorted(rel for rel, _ in _walk(Path(folder)))


def _walk(folder: Path) -> list[tuple[str, os.stat_result]]:
    """(release path, stat) of every file, from one ``scandir`` of each folder (no call per file but the stat)."""
    found, folders = [], [("", str(folder))]
    while folders:
        prefix, where = folders.pop()
        with os.scandir(where) as entries:
            for item in entries:
                if item.is_symlink():
                    raise ManifestError(f"{Path(item.path)} is a symbolic link; a release is made of plain files "
                                        "only.")
                rel = prefix + item.name
                if item.is_dir(follow_symlinks=False):
                    folders.append((rel + "/", item.path))
                elif rel != MANIFEST_NAME:  # a kept release folder holds its own manifest
                    found.append((rel, item.stat(follow_symlinks=False)))
    return found


def manifest_of(folder: Path, release: str, made: str, known: Manifest | None = None,
                known_folder: Path | None = None) -> Manifest:
    """The manifest of the site in ``folder``. Files that are the same inode as in ``known_folder`` (a kept
    release linked from it), the same size as ``known`` says and not changed since it was kept there, take
    their sha256 from ``known`` instead of being read again: a site deployed again, or a build whose booklets
    are linked from the build's cache, reads only the files written since."""
    folder = Path(folder)
    found = sorted(_walk(folder), key=lambda item: item[0])
    kept_at, kept_in = None, str(known_folder)
    if known is not None and known_folder is not None:
        try:
            kept_at = (Path(known_folder) / MANIFEST_NAME).stat().st_mtime_ns
        except OSError:
            kept_at = None

    def from_known(rel: str, stat: os.stat_result) -> str | None:
        was = known.by_path.get(rel) if kept_at is not None else None
        if was is None or was.size != stat.st_size or stat.st_mtime_ns > kept_at:
            return None
        try:
            return was.sha256 if os.path.samestat(stat, os.stat(os.path.join(kept_in, rel))) else None
        except OSError:
            return None

    headers = [headers_for(rel) for rel, _ in found]  # UnknownFileType for an ending not in the table
    digests = [from_known(rel, stat) for rel, stat in found]
    # the rest are read by a few threads, each given a share of the bytes at once (a task for each of 20,000 files
    # costs more in handing over than reading them does)
    shares: list[list[int]] = [[] for _ in range(READERS)]
    loads = [0] * READERS
    for i in sorted((i for i, sha in enumerate(digests) if sha is None), key=lambda i: -found[i][1].st_size):
        least = loads.index(min(loads))
        shares[least].append(i)
        loads[least] += found[i][1].st_size + 4096

    def read(share: list[int]) -> list[tuple[int, str]]:
        return [(i, sha256_of(folder / found[i][0])) for i in share]

    with ThreadPoolExecutor(max_workers=READERS) as pool:
        for share in pool.map(read, [share for share in shares if share]):
            for i, sha in share:
                digests[i] = sha
    return Manifest(release, made, tuple(Entry(rel, sha, stat.st_size, h.content_type, h.cache_control)
                                         for (rel, stat), sha, h in zip(found, digests, headers)))


def release_id(made_utc, files: Iterable[Entry]) -> str:
    """A release's name: when it was made and the start of its content digest, e.g. 20261207T101500Z-3f2a9c1b."""
    return f"{made_utc:%Y%m%dT%H%M%SZ}-{content_digest(files)[:8]}"

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
from pathlib import Path

from .headers import MANIFEST_NAME, headers_for

FORMAT = "dps-release/1"


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
        return content_digest(self.files)

    def to_json(self) -> bytes:
        document = {"format": FORMAT, "release": self.release, "made": self.made, "digest": self.digest,
                    "files": [e.to_dict() for e in self.files], "leftovers": sorted(self.leftovers)}
        if self.rolled_back_from:
            document["rolled_back_from"] = self.rolled_back_from
        return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

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
            files = tuple(sorted(Entry(f["path"], f["sha256"], int(f["size"]), f["content_type"],
                                       f["cache_control"]) for f in document["files"]))
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


def content_digest(files: Iterable[Entry]) -> str:
    h = hashlib.sha256()
    for e in sorted(files):
        h.update(f"{e.path}\0{e.sha256}\0{e.size}\0{e.content_type}\0{e.cache_control}\n".encode())
    return h.hexdigest()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def site_files(folder: Path) -> list[str]:
    """Every file of a built site, as release paths, sorted; a symbolic link or a file named like the manifest
    is refused (a release must be plain files)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(folder).as_posix()
            if full.is_symlink():
                raise ManifestError(f"{full} is a symbolic link; a release is made of plain files only.")
            if rel == MANIFEST_NAME:
                continue  # a kept release folder holds its own manifest
            found.append(rel)
        for name in dirnames:
            if (Path(dirpath) / name).is_symlink():
                raise ManifestError(f"{Path(dirpath) / name} is a symbolic link; a release is made of plain files "
                                    "only.")
    return sorted(found)


def manifest_of(folder: Path, release: str, made: str, known: Manifest | None = None,
                known_folder: Path | None = None) -> Manifest:
    """The manifest of the site in ``folder``. Files that are the same inode as in ``known_folder`` (a kept
    release linked from it) take their sha256 from ``known`` instead of being read again."""
    paths = site_files(folder)

    def entry(rel: str) -> Entry:
        full = folder / rel
        headers = headers_for(rel)  # UnknownFileType for an ending not in the table
        stat = full.stat()
        sha = None
        if known is not None and known_folder is not None and rel in known.by_path:
            try:
                if os.path.samestat(stat, (known_folder / rel).stat()):
                    sha = known.by_path[rel].sha256
            except OSError:
                pass
        return Entry(rel, sha or sha256_of(full), stat.st_size, headers.content_type, headers.cache_control)

    with ThreadPoolExecutor(max_workers=4) as pool:
        files = tuple(sorted(pool.map(entry, paths)))
    return Manifest(release, made, files)


def release_id(made_utc, files: Iterable[Entry]) -> str:
    """A release's name: when it was made and the start of its content digest, e.g. 20261207T101500Z-3f2a9c1b."""
    return f"{made_utc:%Y%m%dT%H%M%SZ}-{content_digest(files)[:8]}"

"""Incremental builds: redo only what changed, and prove it changes nothing.

Two levels, both keyed on content, never on timestamps:

- **The whole build.** A fingerprint of every input (the data folder, content,
  theme, settings, frozen rounds, the publisher's own code and the
  ``SOURCE_DATE_EPOCH``) is kept with the build. When it is unchanged and
  ``output/`` is as that build left it, there is nothing to do.
- **Each page.** A page's fingerprint covers its own template context and the
  site-wide parts of the model every page may show (programmes, lots, rounds,
  districts, the naming register...). Templates can only reach those
  site-wide parts (see ``SiteView``), so a page whose fingerprint is unchanged
  would render to the same bytes: it is linked from the previous ``output/``
  instead of rendered, and not checked again.

The state lives in the chart cache's folder, never in ``output/``. A build
that fails saves no state, so the next one starts from what was published.
A test builds incrementally after each kind of change and compares the result
with a clean build, byte for byte.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .files import link_or_copy, write_atomically

STATE_VERSION = 1


# Files kept beside the frozen rounds that are not an input of the site: the publishing desk's audit log
# (appending to it never makes a build rebuild).
NOT_INPUTS = frozenset({"audit.jsonl"})


def _hash_files(digest, folder: Path, label: str, skip: frozenset[str] = frozenset()) -> None:
    if folder is None or not Path(folder).exists():
        digest.update(f"{label}:missing\n".encode())
        return
    folder = Path(folder)
    files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file()
                                                     and "__pycache__" not in p.parts
                                                     and p.name not in skip)
    for path in files:
        digest.update(f"{label}:{path.relative_to(folder.parent).as_posix()}:{file_digest(path)}\n".encode())


def file_digest(path: Path) -> str:
    """sha256 of a file, remembered for as long as its size, time and inode stay the same."""
    stat = path.stat()
    key = (str(path.absolute()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    known = _DIGESTS.get(key)
    if known is None:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        known = _DIGESTS[key] = digest.hexdigest()
    return known


_DIGESTS: dict[tuple, str] = {}


def code_digest() -> str:
    """The publisher's own code and schemas: a new version may read or check differently."""
    if not _CODE:
        digest = hashlib.sha256()
        package = Path(__file__).resolve().parent
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(package).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
        _CODE.append(digest.hexdigest())
    return _CODE[0]


_CODE: list[str] = []


def templates_digest(theme: Path) -> str:
    """The theme's page templates: a page or booklet made from a changed template is made again."""
    digest = hashlib.sha256()
    for path in sorted((theme / "templates").glob("*.html")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def inputs_fingerprint(project) -> str:
    """Everything a build reads; the same fingerprint means the same ``output/``."""
    digest = hashlib.sha256()
    _hash_files(digest, project.data, "data")
    _hash_files(digest, project.content, "content")
    _hash_files(digest, project.theme, "theme")
    _hash_files(digest, project.frozen, "frozen", skip=NOT_INPUTS)
    digest.update(f"code:{code_digest()}\n".encode())
    digest.update(repr(project.settings).encode())
    digest.update(repr(sorted((k, repr(v)) for k, v in project.settings.pelican.items()
                              if k.isupper() and not k.startswith(("DPS_", "DESK_")))).encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    digest.update(repr(getattr(project, "later", ())).encode())  # kinds of artefact left out (the desk's preview)
    return digest.hexdigest()


def last_build(project) -> tuple[BuildState, str, bool]:
    """The last build's recorded state, this build's inputs fingerprint, and whether ``output/`` is exactly as that
    build left it. The last build still stands when the fingerprints are equal and the output is as it was left."""
    state = BuildState.load(CacheFolders(project.cache).state, project.output)
    output = Path(project.output)
    return state, inputs_fingerprint(project), output.is_dir() and output_digest(output) == state.output


def last_build_stands(project) -> bool:
    """Nothing a build of ``project`` reads has changed since the last build, and its output is as it was left."""
    state, inputs, as_left = last_build(project)
    return state.inputs == inputs and as_left


def output_digest(output: Path) -> str:
    """A cheap check that ``output/`` is as the last build left it: names, sizes and times of its files."""
    digest = hashlib.sha256()
    if Path(output).is_dir():
        lines = sorted(f"{name}:{stat.st_size}:{stat.st_mtime_ns}\n" for name, stat in walk_files(Path(output)))
        digest.update("".join(lines).encode())
    return digest.hexdigest()


def walk_files(root: Path) -> list[tuple[str, os.stat_result]]:
    """Every file below ``root`` as (path relative to root, stat), without following links: fast on big sites."""
    found = []
    folders = [(str(root), "")]
    while folders:
        folder, prefix = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, f"{prefix}{entry.name}/"))
                elif entry.is_file(follow_symlinks=False):
                    found.append((prefix + entry.name, entry.stat(follow_symlinks=False)))
    return found


@dataclass(frozen=True)
class CacheFolders:
    """The one cache folder (``--cache``, default ``.dps-cache``) and what lives in it, each in its own folder.

    Everything here can be deleted at any time: the next build is only slower.
    """

    root: Path | None

    def _sub(self, name: str) -> Path | None:
        return Path(self.root) / name if self.root is not None else None

    @property
    def charts(self) -> Path | None:
        """Rendered chart pictures, by the content of their spec."""
        return self._sub("charts")

    @property
    def tables(self) -> Path | None:
        """Tables that passed their own checks, as Arrow files (``sources.tablecache``)."""
        return self._sub("tables")

    def artefacts(self, kind: str) -> Path | None:
        """One kind of per-page artefact (``site.artefacts``: "booklet"), by a digest of what each is made from,
        in ``artefacts/<kind>s``.

        ``DPS_ARTEFACT_CACHE`` names another folder for all kinds (each in its own ``<kind>s`` folder there), and
        ``DPS_<KIND>_CACHE`` (``DPS_BOOKLET_CACHE``) another for one kind: several data folders (or a test suite's
        many builds) can share one, as the digest says exactly what each file holds.
        """
        own = os.environ.get(f"DPS_{kind.upper()}_CACHE")
        if own:
            return Path(own)
        shared = os.environ.get("DPS_ARTEFACT_CACHE")
        if shared:
            return Path(shared) / f"{kind}s"
        return self._sub(f"artefacts/{kind}s")

    @property
    def state(self) -> Path | None:
        """What the last build into each output folder was made from (``BuildState``)."""
        return self._sub("state")


@dataclass
class BuildState:
    """What the last successful build into one ``output/`` was made from."""

    path: Path | None
    inputs: str = ""
    output: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # save_as -> page fingerprint
    packages: list[str] = field(default_factory=list)  # keys of the tables frictionless accepted

    @classmethod
    def load(cls, folder: Path | None, output: Path) -> BuildState:
        """The state of the last build into ``output`` (one file per output folder), kept in ``folder``."""
        if folder is None:
            return cls(None)
        key = hashlib.sha256(str(Path(output).absolute()).encode()).hexdigest()[:16]
        path = Path(folder) / f"build-{key}.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        if raw.get("version") != STATE_VERSION:
            return cls(path)
        return cls(path, raw["inputs"], raw["output"], raw["pages"], raw.get("packages", []))

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps({"version": STATE_VERSION, "inputs": self.inputs, "output": self.output,
                                                "pages": self.pages, "packages": self.packages[-2000:]}))


@dataclass
class PageReuse:
    """Decides, page by page, whether the previous build's file can stand for this one."""

    previous_output: Path | None
    previous: dict[str, str]
    fingerprints: dict[str, str] = field(default_factory=dict)
    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)

    def try_reuse(self, save_as: str, fingerprint: str, out: Path) -> bool:
        self.fingerprints[save_as] = fingerprint
        old = self.previous_output / save_as if self.previous_output else None
        if old is None or self.previous.get(save_as) != fingerprint or not old.is_file():
            self.rendered.append(save_as)
            return False
        target = out / save_as
        target.parent.mkdir(parents=True, exist_ok=True)
        link_or_copy(old, target)
        self.reused.append(save_as)
        return True


def fingerprint(*parts) -> str:
    return Fingerprinter().of(*parts)


def model_fingerprinter(model) -> Fingerprinter:
    """The one fingerprinter of a model's build: the booklets and the pages digest the same listings and contexts,
    and each object is then digested once, not once per stage (seconds at county scale)."""
    return model.derived(_new_fingerprinter)


def _new_fingerprinter(model) -> Fingerprinter:
    return Fingerprinter()


class Fingerprinter:
    """Content digests of model objects, each object digested once per build.

    Pages share most of their objects (a district page lists hundreds of
    listings that other pages list too), so a dataclass or tuple's digest is
    kept for the life of the fingerprinter, with the object itself so its
    ``id`` cannot be reused. Values are described by type and ``repr``, fields
    by name: the same digest means the same content, as ``repr`` would show it.
    """

    def __init__(self):
        self._memo: dict[int, tuple[object, bytes]] = {}

    def of(self, *parts) -> str:
        digest = hashlib.sha256()
        for part in parts:
            digest.update(self._digest(part))
            digest.update(b"\0")
        return digest.hexdigest()

    def _digest(self, value) -> bytes:
        kind = type(value)
        if kind in _SCALARS:
            return f"{kind.__name__}:{value!r}".encode()
        known = self._memo.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        digest = hashlib.sha256(kind.__qualname__.encode())
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                if item.repr:
                    digest.update(item.name.encode() + b"=" + self._digest(getattr(value, item.name)) + b",")
        elif isinstance(value, (tuple, list)):
            for item in value:
                digest.update(self._digest(item) + b",")
        elif isinstance(value, dict):
            for key, item in value.items():
                digest.update(self._digest(key) + b":" + self._digest(item) + b",")
        else:
            digest.update(repr(value).encode())
        result = digest.digest()
        if kind is not dict:
            self._memo[id(value)] = (value, result)  # pages' contexts are never changed once made
        return result


_SCALARS = frozenset({str, int, float, bool, type(None), bytes})

"""A releases folder, wherever it is: ``releases/<id>/`` for each release and a ``current`` link switched in
one step. ``releases.py`` runs it on this computer, ``ssh.py`` over SFTP; both give it a ``FileSystem``.

A new release starts as hard links to the live one (unchanged files cost nothing and the live release stays
whole), changed files are written beside their place and renamed over (never written into a linked file,
which would change the live release too), then the folder is renamed from ``<id>.partial`` to ``<id>``
and a new link renamed over ``current``: the web server serves one release or the other, never a mix.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from .base import HostError, HostState
from .headers import MANIFEST_NAME
from .manifest import Entry, Manifest, ManifestError
from .plan import Plan

PARTIAL = ".partial"


class FileSystem(Protocol):
    """What a releases folder needs of the place it lives; paths are absolute POSIX strings."""

    def read_bytes(self, path: str) -> bytes | None: ...  # None when there is no such file

    def write_bytes(self, path: str, data: bytes) -> None: ...  # beside, then renamed over

    def put_file(self, source: Path, path: str) -> None: ...  # beside, then renamed over; parents made

    def makedirs(self, path: str) -> None: ...

    def link_tree(self, source: str, target: str) -> None: ...  # target: a new folder of hard links

    def rename(self, source: str, target: str) -> None: ...  # a folder, to a name not in use

    def switch_link(self, link: str, target: str) -> None: ...  # a new symbolic link renamed over ``link``

    def readlink(self, path: str) -> str | None: ...

    def listdir(self, path: str) -> list[str]: ...  # [] when there is no such folder

    def unlink(self, path: str) -> None: ...  # no error when it is not there

    def remove_tree(self, path: str) -> None: ...  # no error when it is not there

    def can_switch(self, folder: str) -> list[str]: ...  # problems, in words, making links and renaming there


class ReleaseFolders:
    """The driver for a releases folder (see ``base.py``): the same for this computer and SSH."""

    def __init__(self, fs: FileSystem, root: str, kind: str, where: str):
        self.fs, self.root, self.kind, self.where = fs, root.rstrip("/") or "/", kind, where
        self.releases = posixpath.join(self.root, "releases")
        self.current = posixpath.join(self.root, "current")
        self._staging: str | None = None
        self._live_folder: str | None = None

    def _folder(self, release: str) -> str:
        return posixpath.join(self.releases, release)

    def preflight(self) -> list[str]:
        return self.fs.can_switch(self.root)

    def live_release(self) -> str | None:
        target = self.fs.readlink(self.current)
        return posixpath.basename(target.rstrip("/")) if target else None

    def held(self, release: str) -> Manifest | None:
        data = self.fs.read_bytes(posixpath.join(self._folder(release), MANIFEST_NAME))
        if data is None:
            return None
        try:
            return Manifest.from_json(data, f"the manifest of release {release} at {self.where}")
        except ManifestError as exc:
            raise HostError(str(exc)) from None

    def state(self) -> HostState:
        live_id = self.live_release()
        live = self.held(live_id) if live_id else None
        if live_id and live is None:
            raise HostError(f"At {self.where}, current points at release {live_id}, which has no manifest "
                            f"({MANIFEST_NAME}). The folder may have been changed by hand; ask IT to check it.")
        kept = tuple(sorted((n for n in self.fs.listdir(self.releases) if not n.endswith(PARTIAL)), reverse=True))
        return HostState(live, None, kept)

    def begin(self, plan: Plan) -> None:
        staging = self._folder(plan.release.release) + PARTIAL
        self.fs.remove_tree(staging)  # what an interrupted deploy left
        self.fs.makedirs(self.releases)
        if plan.live is not None:
            self.fs.link_tree(self._folder(plan.live.release), staging)
            for path in (MANIFEST_NAME, *plan.delete):
                self.fs.unlink(posixpath.join(staging, path))
        else:
            self.fs.makedirs(staging)
        self._staging = staging

    def put(self, entry: Entry, source: Path) -> None:
        self.fs.put_file(source, posixpath.join(self._staging, entry.path))

    def switch(self, plan: Plan) -> None:
        self.fs.write_bytes(posixpath.join(self._staging, MANIFEST_NAME), plan.release.to_json())
        folder = self._folder(plan.release.release)
        self.fs.remove_tree(folder)  # the same release made again (never the live one: its id differs)
        self.fs.rename(self._staging, folder)
        self.fs.switch_link(self.current, posixpath.join("releases", plan.release.release))
        self._live_folder = folder

    def delete(self, paths: Sequence[str]) -> None:
        live = self._live_folder or (self._folder(self.live_release()) if self.live_release() else None)
        if live:
            for path in paths:
                self.fs.unlink(posixpath.join(live, path))

    def activate(self, release: str) -> bool:
        if self.held(release) is None:
            return False
        self.fs.switch_link(self.current, posixpath.join("releases", release))
        self._live_folder = self._folder(release)
        return True

    def finish(self, keep: int) -> None:
        live = self.live_release()
        names = sorted(self.fs.listdir(self.releases), reverse=True)
        whole = [n for n in names if not n.endswith(PARTIAL)]
        for name in whole[keep:]:
            if name != live:
                self.fs.remove_tree(self._folder(name))
        for name in names:
            if name.endswith(PARTIAL):
                self.fs.remove_tree(self._folder(name))

    def close(self) -> None:
        pass

"""A releases folder on this computer (or a share mounted on it), served by the council's web server from
its ``current`` folder. The layout and the switch are in ``folders.py``; this is the local file system."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from ..files import link_or_copy, write_atomically
from .base import HostError
from .config import WebHost
from .folders import ReleaseFolders


class LocalFileSystem:
    def read_bytes(self, path: str) -> bytes | None:
        try:
            return Path(path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise HostError(f"Could not read {path}: {exc.strerror}.") from None

    def write_bytes(self, path: str, data: bytes) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_atomically(Path(path), data, durable=True)

    def put_file(self, source: Path, path: str) -> None:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            write_atomically(Path(path), source.read_bytes())
        except OSError as exc:
            raise HostError(f"Could not write {path}: {exc.strerror}.") from None

    def makedirs(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def link_tree(self, source: str, target: str) -> None:
        # Hard links where the file system has them (a copy otherwise): nothing here is written in place.
        shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)

    def rename(self, source: str, target: str) -> None:
        os.rename(source, target)
        _sync_folder(Path(target).parent)

    def switch_link(self, link: str, target: str) -> None:
        fresh = f"{link}.{uuid.uuid4().hex[:8]}.new"
        os.symlink(target, fresh)
        os.replace(fresh, link)  # rename(2): the old link or the new one, never neither
        _sync_folder(Path(link).parent)

    def readlink(self, path: str) -> str | None:
        try:
            return os.readlink(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                raise HostError(f"{path} is not a link. The releases folder's current must be a symbolic link made "
                                "by dps-publish; move that folder away and deploy again.") from None
            raise

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(path))
        except FileNotFoundError:
            return []

    def unlink(self, path: str) -> None:
        Path(path).unlink(missing_ok=True)

    def remove_tree(self, path: str) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def can_switch(self, folder: str) -> list[str]:
        root = Path(folder)
        probe_in = root if root.exists() else root.parent
        if not probe_in.is_dir():
            return [f"The releases folder {folder} does not exist, nor does the folder it would be made in. Ask IT "
                    "to make it, writable by the user who runs dps-publish."]
        if not os.access(probe_in, os.W_OK | os.X_OK):
            return [f"The releases folder {probe_in} cannot be written by this user. Ask IT to let the user who runs "
                    "dps-publish write there."]
        try:
            probe = Path(tempfile.mkdtemp(prefix=".dps-probe-", dir=probe_in))
        except OSError as exc:
            return [f"Could not make a folder in {probe_in} ({exc.strerror})."]
        problems = []
        try:
            (probe / "a").write_bytes(b"")
            try:
                os.symlink("a", probe / "link.new")
                os.symlink("a", probe / "link")
                os.replace(probe / "link.new", probe / "link")
            except OSError as exc:
                problems.append(
                    f"Links cannot be made in {folder} ({exc.strerror}), as on some SMB shares and IIS folders: the "
                    "site could not be switched from one release to the next in one step there, so nothing would "
                    "be sent. Use a folder on the web server's own disk, or the ssh kind to reach it.")
        finally:
            shutil.rmtree(probe, ignore_errors=True)
        return problems


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def open_releases(host: WebHost, secrets=None) -> ReleaseFolders:
    root = host.get("path")
    return ReleaseFolders(LocalFileSystem(), root, "releases", f"the releases folder {root} on this computer")

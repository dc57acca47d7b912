"""Files and folders replaced whole, so that no one ever reads half of one: done here only.

- The ``swap`` stage: a build writes into a fresh folder beside ``output/``. Only when every stage has
  succeeded is that folder exchanged with ``output/`` by ``renameat2`` with ``RENAME_EXCHANGE`` (Linux), so
  there is never a moment without a complete ``output/``; the old build is then deleted in the background. A
  failed or killed build leaves ``output/`` exactly as it was; its half-written folder is cleared at the next
  build. A lock stops two builds writing the same ``output/`` at once.
- ``write_atomically`` writes beside the target under a name no other writer can have, then renames it over
  the target, which readers see change from the whole old file to the whole new one. A crash leaves the old
  file (and at worst a ``.*.part`` file beside it, which nothing reads).
- ``link_or_copy`` gives a built file a second name without copying its bytes where the file system allows,
  which is safe because no file here is ever written in place.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .problems import BuildError

RENAME_EXCHANGE = 2
AT_FDCWD = -100


def staging_prefix(output: Path) -> str:
    return f".{output.name}.building-"


@contextlib.contextmanager
def build_lock(output: Path) -> Iterator[None]:
    output.parent.mkdir(parents=True, exist_ok=True)
    lock_path = output.parent / f".{output.name}.lock"
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another build is writing {output} right now. Wait for it to finish.") from None
        yield


def retired_prefix(output: Path) -> str:
    return f".{output.name}.retired-"


def clear_leftovers(output: Path) -> None:
    for prefix in (staging_prefix(output), retired_prefix(output)):
        for leftover in output.parent.glob(prefix + "*"):
            shutil.rmtree(leftover, ignore_errors=True)


def retire(old: Path, output: Path) -> None:
    """Delete the previous build without waiting for it: tens of thousands of files take seconds.

    It is renamed out of the way first, and deleted by a detached ``rm``; if
    that is interrupted, the next build clears what is left.
    """
    retired = Path(tempfile.mkdtemp(prefix=retired_prefix(output), dir=output.parent))
    try:
        os.rename(old, retired / "old")
        subprocess.run(["sh", "-c", 'rm -rf -- "$1" >/dev/null 2>&1 &', "sh", str(retired)], check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(retired, ignore_errors=True)


def build_into_fresh_folder(output: Path, build: Callable[[Path], None]) -> None:
    """Run ``build`` on a new folder; swap it in for ``output`` only if it succeeds."""
    output = Path(output).absolute()
    try:
        with build_lock(output):
            clear_leftovers(output)
            staging = Path(tempfile.mkdtemp(prefix=staging_prefix(output), dir=output.parent))
            try:
                build(staging)
                os.chmod(staging, 0o755)
                swap_in(staging, output)
                retire(staging, output)  # after the exchange, the staging folder holds the old build
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise BuildError(_disk_words(exc, output)) from exc


def _disk_words(exc: OSError, output: Path) -> str:
    """An operating-system error in words a comms officer can act on."""
    where = exc.filename or output.parent
    if exc.errno == errno.ENOSPC:
        return f"the disk holding {output.parent} is full. Free some space and build again."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"cannot write to {where}: permission denied. Choose another --output folder, "
                "or ask for write access.")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"{where} is a file, not a folder. Choose another --output folder."
    return f"could not write the site to {output} ({exc.strerror or exc})."


def swap_in(new: Path, output: Path) -> None:
    """Make ``new`` the ``output`` folder atomically; afterwards ``new`` holds the old build, if any."""
    if not output.exists() and not output.is_symlink():
        os.rename(new, output)
        new.mkdir()  # so the caller's clean-up has something to remove
        return
    _rename_exchange(new, output)


def _rename_exchange(a: Path, b: Path) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise BuildError("this system cannot swap folders atomically (renameat2 is missing).")
    result = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"cannot swap {a} and {b}: {os.strerror(errno)}")


def write_atomically(path: Path, data: bytes | str, *, mode: int = 0o666, durable: bool = False) -> None:
    """Make ``data`` (text is written as UTF-8) the whole of ``path``, all at once.

    The new file has ``mode`` less the process's umask (0o600 for a file only its owner may read). ``durable``
    waits until the bytes are on the disk before the rename, for a record that must survive a power cut.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    content = data.encode("utf-8") if isinstance(data, str) else data
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as f:
            f.write(content)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def link_or_copy(source: Path | str, target: Path | str) -> None:
    """``target`` as a second name of ``source`` (a hard link), or a copy where a link cannot be made."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)

"""Writing a file so that no one ever reads half of it, and sharing a file between builds: done here only.

``write_atomically`` writes beside the target under a name no other writer can have, then renames it over the
target, which readers see change from the whole old file to the whole new one. A crash leaves the old file
(and at worst a ``.*.part`` file beside it, which nothing reads). ``link_or_copy`` gives a built file a second
name without copying its bytes where the file system allows, which is safe because no file here is ever
written in place.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path


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

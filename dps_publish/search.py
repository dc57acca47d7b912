"""Stage 9: the search index, built by Pagefind into ``pagefind/`` beside the pages.

Pagefind indexes the text inside ``<main>`` of every page. Former names sit in
hidden search metadata on the pages they used to name, so searching
"day opportunities" finds the Everyday Life Activities pages.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
from pathlib import Path

from .problems import BuildError

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """If the build is killed, Pagefind goes too, rather than write into a folder the next build has cleared."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: nothing to ask for


def write_search_index(out: Path, previous: Path | None = None) -> bool:
    """Index the pages; reuse the previous index when no page changed. Returns whether it indexed."""
    if previous is not None and _same_pages(out, previous) and (previous / "pagefind").is_dir():
        _link_tree(previous / "pagefind", out / "pagefind")
        return False
    from pagefind_bin_extended import get_executable

    run = subprocess.run(
        [str(get_executable()), "--site", str(out), "--output-subdir", "pagefind", "--quiet"],
        capture_output=True, text=True, preexec_fn=_die_with_parent,
    )
    if run.returncode != 0:
        raise BuildError(f"Pagefind could not index the site:\n{run.stdout}\n{run.stderr}".strip())
    return True


def _pages(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in folder.rglob("*.html")
            if not p.relative_to(folder).as_posix().startswith("pagefind/")}


def _same_pages(out: Path, previous: Path) -> bool:
    new, old = _pages(out), _pages(previous)
    if new.keys() != old.keys():
        return False
    for name, path in new.items():
        other = old[name]
        if os.path.samefile(path, other):
            continue  # linked from the previous build: the same file
        if path.stat().st_size != other.stat().st_size or path.read_bytes() != other.read_bytes():
            return False
    return True


def _link_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, destination)

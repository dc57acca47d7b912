"""Stage 9: the search index, built by Pagefind into ``pagefind/`` beside the pages.

Pagefind indexes the text inside ``<main>`` of every page. Former names sit in
hidden search metadata on the pages they used to name, so searching
"day opportunities" finds the Everyday Life Activities pages.
"""

from __future__ import annotations

import ctypes
import ctypes.util
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


def write_search_index(out: Path) -> None:
    from pagefind_bin_extended import get_executable

    run = subprocess.run(
        [str(get_executable()), "--site", str(out), "--output-subdir", "pagefind", "--quiet"],
        capture_output=True, text=True, preexec_fn=_die_with_parent,
    )
    if run.returncode != 0:
        raise BuildError(f"Pagefind could not index the site:\n{run.stdout}\n{run.stderr}".strip())

"""Stage 9: the search index, built by Pagefind into ``pagefind/`` beside the pages.

Pagefind indexes the text inside ``<main>`` of every page. Former names sit in
hidden search metadata on the pages they used to name, so searching
"day opportunities" finds the Everyday Life Activities pages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .problems import BuildError


def write_search_index(out: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(out), "--output-subdir", "pagefind", "--quiet"],
        capture_output=True, text=True,
    )
    if run.returncode != 0:
        raise BuildError(f"Pagefind could not index the site:\n{run.stdout}\n{run.stderr}".strip())

"""Progress for people at a terminal; silence for scripts and CI."""

from __future__ import annotations

import contextlib
import sys

STAGE_WORDS = {
    "validate": "Checking the tables",
    "model": "Working out what to publish",
    "open-data": "Writing the open data",
    "check-open-data": "Checking the open data",
    "site": "Writing the pages",
    "check-site": "Checking the pages",
    "search-index": "Building the search index",
    "open-data-checked": "Waiting for the open data checks",
    "swap": "Publishing the new site",
}


@contextlib.contextmanager
def progress(args):
    """A stage listener that shows a spinner with the current stage, only on a terminal."""
    if args.json or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("Starting") as status:
        def on_stage(name: str) -> None:
            status.update(f"{STAGE_WORDS.get(name, name)}…")

        yield on_stage

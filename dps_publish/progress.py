"""Progress for people at a terminal; silence for scripts and CI."""

from __future__ import annotations

import contextlib
import sys

from .pipeline import STAGES

STAGE_WORDS = {stage.name: stage.words for stage in STAGES}



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

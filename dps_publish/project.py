"""What a build is asked to do: the folders it reads and writes, and its settings.

Apart from the pipeline so that a caller can name a project, and ask whether the last build still stands
(``cache.last_build``), without importing what a build needs (pandas, Pelican, the writers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .settings import PublishSettings


@dataclass
class Project:
    data: Path
    output: Path
    content: Path
    theme: Path
    settings: PublishSettings
    cache: Path | None = None  # the cache root (see cache.CacheFolders): charts, checked tables, build state
    frozen: Path = Path("published")  # frozen rounds and payments, kept in the repository
    # Kinds of per-page artefact this build leaves out (site/artefacts.py): the desk's preview leaves out "audio",
    # so it is ready as soon as the pages are, and its easy-read pages say the recordings are still being made.
    later: tuple[str, ...] = ()

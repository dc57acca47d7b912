"""What one kind of per-page artefact is (a booklet to print today; audio next), and what every kind shares.

A kind says which pages get one, makes them into the build's folder from its own cache folder, and says what
it made (``Made``). The ``artefacts`` stage (``site/artefacts.py``) runs every kind; the writer, the template
globals, the build result and the CLI know only that stage's ``Artefacts``, never a kind by name. What each
kind has in common lives here: the page's fingerprint and placing a made file next to its page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..cache import Fingerprinter
from ..files import link_or_copy
from ..model.publishable import SiteModel
from ..settings import PublishSettings
from .contexts import Page, context_names


@dataclass
class Made:
    """What one kind wrote: each page's files (as the pages link to them), by the page's address."""

    files: dict[str, tuple] = field(default_factory=dict)
    rendered: int = 0  # files made by this build
    reused: int = 0  # files taken from the kind's cache
    pages_rendered: int = 0  # their printed pages (0 for a kind without pages)
    rendered_files: list[str] = field(default_factory=list)  # the files (as written) made anew
    checked: int = 0  # files read back and checked by this build

    def of(self, path: str | None) -> tuple:
        return self.files.get(path, ()) if path is not None else ()


class ArtefactKind(Protocol):
    """One kind of per-page artefact."""

    name: str  # the word the templates use (artefacts("booklet", page_path)); its cache folder is name + "s"

    def chosen(self, pages: Iterable[Page]) -> list[Page]:
        """The pages that get one."""

    def words(self, made: Made) -> str:
        """What a person at a terminal reads after a build: "3 booklets to print laid out, 85 unchanged"."""

    def write(self, model: SiteModel, settings: PublishSettings, theme: Path, out: Path, pages: Iterable[Page],
              cache: Path | None = None, tables: Mapping | None = None) -> Made:
        """Make each chosen page's files into ``out``, from ``cache`` when unchanged, each checked as it is made.

        Raises ``DataProblems`` when one breaks a rule its page is held to."""


def page_fingerprint(fingerprints: Fingerprinter, site_wide: str, page: Page) -> str:
    """A page's artefact is unchanged when this is: what the whole site shares, and the page's own context."""
    return fingerprints.of(site_wide, page.path, page.template, page.title, sorted(context_names(page.context).items()))


def place(source: Path, out: Path, path: str) -> Path:
    """The made file ``source`` (in a cache) at ``path`` below the site's folder ``out``, linked when it can be."""
    target = out / path
    target.parent.mkdir(parents=True, exist_ok=True)
    link_or_copy(source, target)
    return target

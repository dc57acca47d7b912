"""The ``artefacts`` stage: each kind of per-page artefact (``site/artefact.py``) made for its pages.

The kinds are ``KINDS``: booklets to print (``site/booklets.py``) and recordings (``site/audio.py``), each one
module and one line here. Each kind keeps its files in its own folder of the artefact cache (``CacheFolders.artefacts``),
and the pages link to them through one template global, ``artefacts(kind, page_path)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import CacheFolders
from ..model.publishable import SiteModel
from ..settings import PublishSettings
from .artefact import ArtefactKind, Made
from .audio import AUDIO
from .booklets import BOOKLETS
from .contexts import Page

KINDS: tuple[ArtefactKind, ...] = (BOOKLETS, AUDIO)
BOOKLETS.companions = KINDS  # a booklet says where to listen when a kind reads its page aloud


@dataclass
class Artefacts:
    """What the stage made, by kind: each page's files of each kind, by the page's address."""

    made: dict[str, Made] = field(default_factory=dict)
    kinds: tuple[ArtefactKind, ...] = KINDS
    later: tuple[str, ...] = ()  # kinds this build leaves out (the desk's preview: "audio"), made for publication

    def of(self, kind: str, path: str | None) -> tuple:
        """A page's files of one kind (the template global ``artefacts``)."""
        made = self.made.get(kind)
        return made.of(path) if made is not None else ()

    def all_of(self, path: str | None) -> tuple[tuple, ...]:
        """A page's files of every kind, for the page's fingerprint (a page links to them, with their sizes)."""
        return tuple(self.of(kind.name, path) for kind in self.kinds) + ((("later",) + self.later,) if self.later else ())

    @property
    def rendered(self) -> int:
        return sum(m.rendered for m in self.made.values())

    @property
    def reused(self) -> int:
        return sum(m.reused for m in self.made.values())

    @property
    def rendered_files(self) -> list[str]:
        return [f for m in self.made.values() for f in m.rendered_files]

    def words(self) -> str:
        """"3 booklets to print laid out, 85 unchanged", for each kind made."""
        return "; ".join(kind.words(self.made[kind.name]) for kind in self.kinds if kind.name in self.made)


def write_artefacts(model: SiteModel, settings: PublishSettings, theme: Path, out: Path, pages: Iterable[Page],
                    caches: CacheFolders, tables: Mapping | None = None,
                    kinds: tuple[ArtefactKind, ...] = KINDS, later: Iterable[str] = ()) -> Artefacts:
    """Every kind's files into ``out``, next to their pages, each from its own cache folder; the kinds named in
    ``later`` are left out (the pages say they are still being made)."""
    pages = list(pages)
    later = tuple(kind.name for kind in kinds if kind.name in set(later))
    kinds = tuple(kind for kind in kinds if kind.name not in later)
    result = Artefacts(kinds=kinds, later=later)
    for kind in kinds:
        result.made[kind.name] = kind.write(model, settings, theme, out, pages, caches.artefacts(kind.name),
                                            tables=tables)
    return result

"""What a booklet says, read back from the PDF itself: its text, block by block, by its tags.

The checks on the booklets (the naming register, easy-read sentences, nothing
withheld) must read what a person or a screen reader gets from the PDF, not the
HTML it was made from. A tagged PDF says which text makes up which paragraph,
heading or list item: each piece of text on a page is marked with an id
(``/MCID``) and the structure tree lists, block by block in reading order, the
ids it is made of. pypdf reads each page's text with the ids it is marked with;
a block's text is then its ids' text, in order. A sentence that runs over two
lines is still one sentence, and a heading is never read into the paragraph
after it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

# Structure types that hold a block of text (PDF 1.7, 14.8.4): a block's text is its own and its inline children's.
BLOCK_TYPES = {"P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "LI", "Lbl", "LBody", "TD", "TH", "Caption", "Title"}
IN_A_LIST_ITEM = {"Lbl", "LBody"}  # read as part of their list item


@dataclass(frozen=True)
class PdfBlock:
    kind: str  # the structure type: P, H1, LI ...
    text: str  # its words, one space between each


@dataclass(frozen=True)
class PdfReading:
    blocks: tuple[PdfBlock, ...]  # in the structure tree's order, which is the reading order
    figures: tuple[str | None, ...]  # each figure's alternative text (None: it has none)
    text: str  # every piece of text on every page, tagged or not (page numbers included)

    def texts(self) -> list[str]:
        return [b.text for b in self.blocks]


def read_pdf(pdf: bytes) -> PdfReading:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    marked, everything = _marked_text(reader)
    tree = _StructureWalk(marked, {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)})
    root = reader.trailer["/Root"].get("/StructTreeRoot")
    if root is not None:
        for kid in _kids(root.get_object()):
            tree.collect(kid.get_object(), None)
    return PdfReading(tuple(tree.blocks), tuple(tree.figures), " ".join(" ".join(everything).split()))


def _marked_text(reader) -> tuple[dict[tuple[int, int], list[str]], list[str]]:
    """Each page's text, by (page index, marked-content id), and all of it."""
    from pypdf.generic import DictionaryObject

    marked: dict[tuple[int, int], list[str]] = {}
    everything: list[str] = []
    for index, page in enumerate(reader.pages):
        ids: list[int | None] = []

        def operator(op, args, cm, tm, ids=ids):
            if op == b"BDC":
                properties = args[1] if len(args) > 1 else None
                ids.append(properties.get("/MCID") if isinstance(properties, DictionaryObject) else None)
            elif op == b"BMC":
                ids.append(None)
            elif op == b"EMC" and ids:
                ids.pop()

        def text(piece, cm, tm, font, size, ids=ids, index=index):
            if not piece:
                return
            everything.append(piece)
            mcid = next((m for m in reversed(ids) if m is not None), None)
            if mcid is not None:
                marked.setdefault((index, int(mcid)), []).append(piece)

        page.extract_text(visitor_operand_before=operator, visitor_text=text)
    return marked, everything


def _words(text: str) -> str:
    """The text as one line. A line that ends in a hyphen was broken inside a word ("later-" "life"): the
    booklets never add hyphens, and a break after a hyphen with a space after it comes at the space."""
    return " ".join(HYPHEN_BREAK.sub("-", text).split())


HYPHEN_BREAK = re.compile(r"(?<=\S)-[ \t]*\n\s*")


def _kids(node) -> list:
    from pypdf.generic import ArrayObject

    kids = node.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, ArrayObject) else [kids]


class _StructureWalk:
    def __init__(self, marked, pages: dict[int, int]):
        self.marked, self.pages = marked, pages
        self.blocks: list[PdfBlock] = []
        self.figures: list[str | None] = []

    def _page(self, node, page):
        reference = node.get("/Pg")
        return self.pages.get(reference.idnum, page) if reference is not None else page

    def collect(self, node, page) -> None:
        from pypdf.generic import DictionaryObject

        page = self._page(node, page)
        kind = str(node.get("/S", "/"))[1:]
        if kind == "Figure":
            self.figures.append(str(node["/Alt"]) if "/Alt" in node else None)
        if kind in BLOCK_TYPES:
            own: list[str] = []
            self._inline(node, page, own)
            text = _words("".join(own))
            if text:
                self.blocks.append(PdfBlock(kind, text))
            return
        for kid in _kids(node):
            kid = kid.get_object()
            if isinstance(kid, DictionaryObject) and "/S" in kid:
                self.collect(kid, page)

    def _inline(self, node, page, own: list[str]) -> None:
        """A block's text: its own marked content and its inline children's, in order; a block inside is its own."""
        from pypdf.generic import DictionaryObject

        for kid in _kids(node):
            kid = kid.get_object()
            if isinstance(kid, int):
                own.extend(self.marked.get((page, int(kid)), ()))
            elif isinstance(kid, DictionaryObject) and "/S" not in kid:  # a marked-content reference
                if "/MCID" in kid:
                    own.extend(self.marked.get((self._page(kid, page), int(kid["/MCID"])), ()))
            elif isinstance(kid, DictionaryObject):
                kind = str(kid["/S"])[1:]
                if kind in BLOCK_TYPES and kind not in IN_A_LIST_ITEM:
                    self.collect(kid, page)
                else:
                    if kind == "Figure":
                        self.figures.append(str(kid["/Alt"]) if "/Alt" in kid else None)
                    self._inline(kid, self._page(kid, page), own)

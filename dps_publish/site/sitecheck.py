"""The ``check-site`` stage: check the written pages before they are published.

Two rules from the people the site is for, checked on every page of the build:

- **The naming register.** A term that applies to ``all`` pages must not appear
  in the visible text of any page, except on "About the name" and in an
  element (sentence, paragraph, list item) that explains the change ("used to
  be called …"). A term that applies to ``easy-read`` pages must not appear on
  an easy-read page unless the element explains it (a glossary entry, or a
  sentence like "the old name was …"). Hidden search metadata is not checked.
- **Easy-read sentences have at most 15 words.** What counts is the text inside
  ``<main>``: paragraphs, list items, headings, table cells, captions. A word
  is a space-separated token with a letter or digit in it.

Each problem names the page and quotes the sentence; where the text came from
a data cell, it also names the table, row and column to change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from ..addresses import ABOUT_THE_NAME, DATA, EASY_READ, easy
from ..background import dealt, in_workers
from ..cache import walk_files
from ..model.publishable import NamingTerm
from ..problems import Problem, quote
from ..sources.rules import SourceTable

MAX_EASY_READ_WORDS = 15
ABOUT_THE_NAME_PAGES = {ABOUT_THE_NAME, easy(ABOUT_THE_NAME)}
EXPLAINS = re.compile(
    r"used to be called|old name|former name|formerly|previously called|was called|were called|"
    r"changed the name|name changed|now called|renamed|we do not use|instead of",
    re.IGNORECASE,
)
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "caption", "dt", "dd", "figcaption",
          "summary", "label", "legend", "blockquote", "div", "section", "main", "header", "footer", "nav",
          "body", "title", "option", "button", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr",
          "figure", "article", "aside", "details", "form", "fieldset", "noscript"}
SKIP = {"script", "style", "template", "svg"}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"[^\W_]", re.UNICODE)


@dataclass(frozen=True)
class TextBlock:
    text: str
    in_main: bool
    explains: bool  # the element, or one around it, explains a term


FORK_FROM_BYTES = 4_000_000  # pages to read (HTML bytes) before a second worker pays for its start


def check_pages(out: Path, naming: tuple[NamingTerm, ...], tables: dict[str, SourceTable],
                skip: set[str] = frozenset(), processes: int | None = None) -> list[Problem]:
    """Problems on the written pages, page by page in the order of their files; ``skip`` names pages (as saved) an
    earlier build checked unchanged.

    With more than ``FORK_FROM_BYTES`` of pages to read they are read in workers forked from this process (both
    cores, as the booklets are), in batches that mix large pages and small."""
    pages = []
    for saved, stat in walk_files(out):
        page = saved.removesuffix("index.html")
        if not saved.endswith(".html") or saved in skip:
            continue
        if page.startswith((DATA, "pagefind/", "theme/")) and not page == DATA:
            continue
        pages.append((stat.st_size, saved))
    if processes is None:
        processes = min(2, os.cpu_count() or 1) if sum(size for size, _ in pages) > FORK_FROM_BYTES else 1
    pages.sort(key=lambda sized: (-sized[0], sized[1]))  # dealt out largest first, so each batch gets its share
    batches = dealt([saved for _, saved in pages], processes, per_batch=40)
    job = _PageCheck(out, term_patterns(naming), tables)
    found = [checked for batch in in_workers(job, batches, processes) for checked in batch]
    return [problem for _, problems in sorted(found, key=lambda checked: checked[0]) for problem in problems]


@dataclass(frozen=True)
class _PageCheck:
    """A batch of pages checked, in a worker forked from the build (which shares the terms and tables)."""

    out: Path
    terms: list
    tables: dict

    def __call__(self, saved_pages: list[str]) -> list[tuple[str, list[Problem]]]:
        checked = []
        for saved in saved_pages:
            page = saved.removesuffix("index.html")
            blocks = list(text_blocks((self.out / saved).read_bytes()))
            checked.append((saved, check_blocks(page, blocks, self.terms, self.tables,
                                                easy_read=page.startswith(EASY_READ),
                                                check_naming=page not in ABOUT_THE_NAME_PAGES)))
        return checked


def check_blocks(place: str, blocks: list[TextBlock], terms: list[tuple[NamingTerm, re.Pattern]], tables, *,
                 easy_read: bool, check_naming: bool = True, check_sentences: bool | None = None) -> list[Problem]:
    """The two rules on blocks of text from ``place`` (a page, or a booklet's PDF): the naming register
    (``terms``, from ``term_patterns``), and on easy-read text the 15-word rule; ``check_naming`` and
    ``check_sentences`` leave one out. Each problem is placed on the data cell it came from where ``tables``
    has one."""
    problems = _naming_problems(place, blocks, terms, easy_read, tables) if check_naming else []
    if easy_read if check_sentences is None else check_sentences:
        problems += _sentence_problems(place, blocks, tables)
    return problems


def term_patterns(naming: tuple[NamingTerm, ...]) -> list[tuple[NamingTerm, re.Pattern]]:
    """Each term of the naming register with the pattern that finds it, for ``check_blocks``."""
    return [(t, term_pattern(t.term)) for t in naming]


def text_blocks(html: bytes) -> Iterator[TextBlock]:
    """The visible text of a page, element by element (each block's own text, not its children's blocks)."""
    root = lxml.html.document_fromstring(html)
    body = root.find("body")
    if body is None:
        return
    blocks: list[TextBlock] = []
    _collect(body, False, False, blocks)
    yield from blocks
    title = root.find("head/title")
    if title is not None and title.text:
        yield TextBlock(" ".join(title.text.split()), False, False)


def _collect(element, in_main: bool, explains: bool, blocks: list[TextBlock]) -> None:
    """Appends the blocks inside ``element``, then its own (a plain recursion: pages nest deeply)."""
    if not isinstance(element.tag, str) or element.tag in SKIP or element.get("hidden") is not None:
        return
    in_main = in_main or element.tag == "main"
    explains = explains or element.get("data-explains-term") is not None
    own: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag in BLOCKS:
            _collect(child, in_main, explains, blocks)
        else:
            own.append(_inline_text(child))
        own.append(child.tail or "")
    text = " ".join("".join(own).split())
    if text:
        blocks.append(TextBlock(text, in_main, explains))


def _inline_text(element) -> str:
    if not isinstance(element.tag, str) or element.tag in SKIP or element.get("hidden") is not None:
        return ""
    if element.tag == "img":
        return ""
    parts = [element.text or ""]
    for child in element:
        parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s.strip()]


def count_words(sentence: str) -> int:
    return sum(1 for token in sentence.split() if WORD.search(token))


def term_pattern(term: str) -> re.Pattern:
    words = r"\s+".join(re.escape(w) for w in term.split())
    return re.compile(rf"(?<![\w]){words}(?![\w])", re.IGNORECASE)


def _naming_problems(page, blocks, terms, easy_read, tables) -> list[Problem]:
    problems = []
    terms = [(t, p) for t, p in terms if t.applies_to != "easy-read" or easy_read]
    if not terms:
        return problems
    any_term = re.compile("|".join(p.pattern for _, p in terms), re.IGNORECASE)
    for block in blocks:
        if block.explains or not any_term.search(block.text):
            continue  # most blocks name no term at all: one search rules them out
        for sentence in sentences(block.text):
            for term, pattern in terms:
                if not pattern.search(sentence) or EXPLAINS.search(block.text):
                    continue
                instead = (f'say "{term.preferred}" instead' if term.preferred
                           else "say it in other words")
                where = "easy-read pages" if term.applies_to == "easy-read" else "any page"
                message = (f'page /{page} says {quote(sentence, 120)}, which uses "{term.term}". On {where}, '
                           f'{instead} ({term.reason.rstrip(".")}). A former name may only appear where the text '
                           'explains the change, e.g. "used to be called …".')
                problems.append(_placed(message, "naming-register", sentence, page, tables))
    return problems


def _sentence_problems(page, blocks, tables) -> list[Problem]:
    problems = []
    for block in blocks:
        if not block.in_main:
            continue
        if len(block.text.split()) <= MAX_EASY_READ_WORDS:
            continue  # no sentence in it can be too long: most blocks are short
        for sentence in sentences(block.text):
            words = count_words(sentence)
            if words > MAX_EASY_READ_WORDS:
                message = (f"page /{page} has an easy-read sentence of {words} words: {quote(sentence, 160)}. "
                           f"Easy-read sentences have at most {MAX_EASY_READ_WORDS} words: split it into "
                           "shorter sentences, one idea each.")
                problems.append(_placed(message, "easy-read-sentence-too-long", sentence, page, tables))
    return problems


def _placed(message: str, code: str, sentence: str, page: str, tables) -> Problem:
    """A page problem, placed on the data cell it came from where there is one."""
    cell = find_cell(tables, sentence, easy_read=page.startswith(EASY_READ))
    if cell:
        table, row, column = cell
        return table.header.place(Problem(table.file, row, column, code, sentence, message))
    return Problem(f"page /{page}", None, None, code, sentence, message.removeprefix(f"page /{page} "))


def find_cell(tables: dict[str, SourceTable], sentence: str, easy_read: bool = False):
    """The first cell, as typed, that holds the sentence: where to correct it.

    On an easy-read page the ``easy_read_*`` columns are searched first, elsewhere last.
    """
    wanted = " ".join(sentence.rstrip(".!?:").split()).lower()
    if len(wanted) < 12:
        return None
    for table in tables.values():
        columns = sorted(table.typed.columns, key=lambda c: c.startswith("easy_read") != easy_read)
        for column in columns:
            values = table.typed[column].str.split().str.join(" ").str.lower()
            hits = values[values.str.contains(wanted, regex=False)]
            if len(hits):
                return table, int(hits.index[0]), column
    return None

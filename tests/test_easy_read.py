"""Easy read and the naming register, over the whole built site."""

from __future__ import annotations

import re
import shutil

import lxml.html
import pytest
from helpers import ROOT, THEME, read_rows, write_rows

from dps_publish.problems import DataProblems
from dps_publish.site.sitecheck import term_pattern

EASY = "easy-read/"
# The pages a resident reads: each must have an easy-read twin (point 4 of the issue).
RESIDENT_PREFIXES = ("", "find-support/", "providers/", "programmes/", "whats-new/", "about-the-name/",
                     "glossary/", "accessibility/", "direct-payments/")
DATA_USER_PAGES = ("data/",)


def pages(output):
    for path in sorted(output.rglob("index.html")):
        rel = path.relative_to(output).as_posix().removesuffix("index.html")
        if rel.startswith(("pagefind/", "theme/")):
            continue
        yield rel, lxml.html.document_fromstring(path.read_bytes())


def links(doc) -> set[str]:
    return {a.get("href") for a in doc.iter("a") if a.get("href")}


def is_resident_page(rel: str) -> bool:
    if rel.startswith(EASY) or rel.startswith(DATA_USER_PAGES) or rel in ("sitemap/", "search/"):
        return False
    return rel == "" or any(rel.startswith(p) for p in RESIDENT_PREFIXES if p)


def twin_link(doc) -> str | None:
    """Where the page's own "Easy read version" / "Standard version" link goes (not any link to that page)."""
    found = doc.xpath('//main//p[contains(concat(" ", @class, " "), " twin-link ")]/a')
    return found[0].get("href") if found else None


def test_every_resident_page_has_an_easy_read_twin_linked_both_ways(example_build):
    output, _ = example_build
    site = dict(pages(output))
    checked = 0
    for rel, doc in site.items():
        if not is_resident_page(rel):
            continue
        twin = EASY + rel
        assert twin in site, f"/{rel} has no easy-read twin at /{twin}"
        assert twin_link(doc) == f"/{twin}", f"/{rel} does not link to its twin /{twin}"
        assert twin_link(site[twin]) == f"/{rel}", f"/{twin} does not link back to /{rel}"
        checked += 1
    assert checked > 150  # every district, filter, provider, lot and programme page
    assert twin_link(site[EASY]) == "/" and twin_link(site[""]) == f"/{EASY}", "the two home pages are twins"


def test_every_easy_read_page_links_to_its_standard_twin(example_build):
    output, _ = example_build
    site = dict(pages(output))
    easy_pages = [rel for rel in site if rel.startswith(EASY)]
    assert len(easy_pages) > 150
    for rel in easy_pages:
        doc = site[rel]
        target = twin_link(doc)
        assert target is not None, f"/{rel} has no link to its standard version"
        assert target.lstrip("/") in site, f"/{rel} links to a standard version that is not there: {target}"
        assert doc.getroottree().getroot().get("lang") == "en-GB", f"/{rel} does not say it is in British English"


def test_pages_declare_british_english(example_build):
    output, _ = example_build
    for rel, doc in pages(output):
        assert doc.getroottree().getroot().get("lang") == "en-GB", f"/{rel}"


def test_data_pages_link_to_about_our_data(example_build):
    output, _ = example_build
    site = dict(pages(output))
    assert "/easy-read/about-our-data/" in links(site["data/"])


def _main_sentences(doc):
    main = doc.find(".//main")
    for element in main.iter("p", "li", "h1", "h2", "h3", "h4", "td", "th", "caption", "dt", "dd", "figcaption"):
        if any(a.get("hidden") is not None for a in element.iterancestors()) or element.get("hidden") is not None:
            continue
        # The element's own text: nested paragraphs and list items are counted on their own.
        parts = [element.text or ""]
        for child in element:
            if child.tag not in ("p", "li", "ul", "ol", "dl", "table", "div", "h2", "h3"):
                parts.append(child.text_content())
            parts.append(child.tail or "")
        text = " ".join("".join(parts).split())
        yield from (s for s in re.split(r"(?<=[.!?])\s+", text) if s)


def test_every_easy_read_sentence_has_at_most_15_words(example_build):
    output, _ = example_build
    counted, long = 0, []
    for rel, doc in pages(output):
        if not rel.startswith(EASY):
            continue
        for sentence in _main_sentences(doc):
            words = [t for t in sentence.split() if re.search(r"[^\W_]", t)]
            counted += 1
            if len(words) > 15:
                long.append((rel, len(words), sentence))
    assert counted > 3000
    assert long == []


def test_easy_read_pages_have_a_picture_with_alt_text_beside_each_point(example_build):
    output, _ = example_build
    for rel, doc in pages(output):
        if not rel.startswith(EASY):
            continue
        points = doc.find_class("er-point")
        assert points, f"/{rel} has no easy-read points"
        for point in points:
            img = point.find("img")
            assert img is not None and img.get("alt"), f"/{rel}: a point without a described picture"
            assert point.index(img) == 0, f"/{rel}: the picture must come before the words"


def test_easy_read_pages_credit_the_pictures(example_build):
    output, _ = example_build
    for rel, doc in pages(output):
        if rel.startswith(EASY):
            assert "OpenMoji" in doc.text_content(), rel


def test_terms_match_whole_words_only():
    assert term_pattern("lot").search("Lot 1a is here")
    assert not term_pattern("lot").search("Allotment gardening")
    assert term_pattern("Community Day Opportunities").search("the community  day opportunities list")


@pytest.fixture
def project_copy(tmp_path):
    """Data and content that a test may change."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path


def _build(project_copy):
    from dps_publish.pipeline import Project, build
    from dps_publish.settings import load_settings

    project = Project(project_copy / "data", project_copy / "output", project_copy / "content", THEME,
                      load_settings(ROOT / "pelicanconf.py"), frozen=ROOT / "published")
    return build(project)


def test_former_name_on_a_content_page_fails_the_build_naming_the_page(project_copy):
    (project_copy / "content" / "pages" / "day-trips.md").write_text(
        "Title: Day trips\nSlug: day-trips\n\nCommunity Day Opportunities run day trips to the seaside.\n")
    with pytest.raises(DataProblems) as failure:
        _build(project_copy)
    [problem] = failure.value.problems
    assert problem.code == "naming-register"
    assert problem.file == "page /day-trips/"
    assert "Community Day Opportunities run day trips to the seaside." in problem.message
    assert not (project_copy / "output").exists()


def test_former_name_explained_on_a_content_page_is_fine(project_copy):
    (project_copy / "content" / "pages" / "day-trips.md").write_text(
        "Title: Day trips\nSlug: day-trips\n\nThis support used to be called Community Day Opportunities.\n")
    _build(project_copy)
    assert "used to be called Community Day Opportunities" in (project_copy / "output" / "day-trips" / "index.html").read_text()


def test_the_same_words_are_fine_on_about_the_name(project_copy):
    header, rows = read_rows(project_copy / "data" / "naming.csv")
    rows[0]["reason"] = "Community Day Opportunities meant nothing to the people it was for."
    write_rows(project_copy / "data" / "naming.csv", header, rows)
    _build(project_copy)
    page = (project_copy / "output" / "about-the-name" / "index.html").read_text()
    assert "Community Day Opportunities meant nothing to the people it was for." in page


def test_former_name_in_a_data_cell_is_placed_on_its_cell(project_copy):
    header, rows = read_rows(project_copy / "data" / "providers.csv")
    index = next(i for i, r in enumerate(rows) if r["provider_id"] == "hop-garden-makers")
    rows[index]["description"] = "We run Community Day Opportunities sessions in a barn."
    write_rows(project_copy / "data" / "providers.csv", header, rows)
    with pytest.raises(DataProblems) as failure:
        _build(project_copy)
    problems = failure.value.problems
    assert {(p.file, p.row, p.column, p.code) for p in problems} == {
        ("providers.csv", index + 2, "description", "naming-register")}
    assert "/providers/hop-garden-makers/" in problems[0].message


def test_easy_read_term_and_long_sentence_fail_on_easy_read_pages_only(project_copy):
    header, rows = read_rows(project_copy / "data" / "providers.csv")
    index = next(i for i, r in enumerate(rows) if r["provider_id"] == "hop-garden-makers")
    rows[index]["easy_read_description"] = ("We are a provider. We make things from wood and we grow plants and flowers "
                                            "with people every single day of the week.")
    rows[index]["description"] = "We are a provider of woodwork sessions."  # fine on a standard page
    write_rows(project_copy / "data" / "providers.csv", header, rows)
    with pytest.raises(DataProblems) as failure:
        _build(project_copy)
    codes = sorted(p.code for p in failure.value.problems)
    assert codes == ["easy-read-sentence-too-long", "naming-register"]
    assert all((p.file, p.column) == ("providers.csv", "easy_read_description") for p in failure.value.problems)


def test_pages_checked_in_two_workers_give_the_same_problems_in_the_same_order(example_build, tmp_path):
    """check-site reads the pages in forked workers when there are many: the same problems, in the pages' order,
    as one process reading them all; a former name planted on two pages is found on both."""
    from dps_publish.site.sitecheck import check_pages
    from dps_publish.sources.validate import validate_folder

    output, result = example_build
    site = tmp_path / "site"
    shutil.copytree(output, site)
    planted = ["easy-read/find-support/index.html", "providers/index.html"]
    for saved in planted:
        page = site / saved
        page.write_text(page.read_text(encoding="utf-8").replace(
            "</main>", "<p>Community Day Opportunities are here for you and your family every day.</p></main>"),
            encoding="utf-8")
    tables = validate_folder(ROOT / "data").tables
    one = check_pages(site, result.model.naming, tables, processes=1)
    two = check_pages(site, result.model.naming, tables, processes=2)
    assert [p.file for p in one if p.code == "naming-register"] == [f"page /{s.removesuffix('index.html')}"
                                                                    for s in sorted(planted)]
    assert two == one

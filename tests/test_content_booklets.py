"""A council's hand-written easy-read page with a ``Booklet: yes`` line gets a booklet and a recording (issue 27):
the example's easy-read direct payments page, which a person takes to a meeting."""

from __future__ import annotations

import lxml.html
import pytest
from helpers import ROOT
from test_booklets import check_booklet_says_its_page, linked_booklets, page_blocks, pdf_blocks, unspaced

from dps_publish.problems import BuildError
from dps_publish.settings import load_settings
from dps_publish.site.booklets import booklet_pages
from dps_publish.site.pages import content_booklet_pages

PAGE = "easy-read/direct-payments/"
TWIN = "direct-payments/"


def content_page():
    pages = content_booklet_pages(load_settings(ROOT / "pelicanconf.py"), ROOT / "content")
    return next(p for p in pages if p.path == PAGE)


def test_the_easy_read_direct_payments_page_links_its_booklet_which_says_its_sentences(example_build):
    output, result = example_build
    page = content_page()
    assert page.template == "er_content" and page.twin == TWIN and booklet_pages([page]) == [page]
    assert check_booklet_says_its_page(output, page) == 1  # cover, page's points in order, help page
    (pdf, words), = linked_booklets(output, PAGE)
    assert words.startswith("Print this as a booklet (PDF, "), words
    body, _ = page_blocks((output / PAGE / "index.html").read_bytes())
    assert "A direct payment is money from the council." in body
    said = unspaced(pdf_blocks(pdf))
    for sentence in body:
        assert "".join(sentence.split()) in said, sentence
    assert result.artefacts.of("booklet", PAGE)


def test_the_easy_read_direct_payments_page_has_its_player_and_its_twin_offers_both(example_build):
    output, result = example_build
    recordings = result.artefacts.of("audio", PAGE)
    assert len(recordings) == 1, "the direct payments page is not read aloud"
    root = lxml.html.document_fromstring((output / PAGE / "index.html").read_bytes())
    (audio,) = root.xpath("//main//audio")
    assert audio.get("src") == "/" + recordings[0].path and (output / recordings[0].path).stat().st_size > 1000
    twin = lxml.html.document_fromstring((output / TWIN / "index.html").read_bytes())
    (other,) = twin.find_class("other-formats")
    by_type = {a.get("type"): a.get("href") for a in other.iter("a") if a.get("type")}
    assert by_type == {"application/pdf": "/" + result.artefacts.of("booklet", PAGE)[0].path,
                       "audio/mpeg": "/" + recordings[0].path}, by_type


def test_a_page_without_the_booklet_line_gets_none_and_a_standard_page_with_it_is_refused(tmp_path):
    settings = load_settings(ROOT / "pelicanconf.py")
    (tmp_path / "pages").mkdir()
    text = (ROOT / "content" / "pages" / "easy-read-direct-payments.md").read_text(encoding="utf-8")
    assert "\nBooklet: yes\n" in text
    (tmp_path / "pages" / "a.md").write_text(text.replace("Booklet: yes\n", ""), encoding="utf-8")
    assert content_booklet_pages(settings, tmp_path) == []
    standard = (ROOT / "content" / "pages" / "direct-payments.md").read_text(encoding="utf-8")
    (tmp_path / "pages" / "b.md").write_text(standard.replace("Twin:", "Booklet: yes\nTwin:", 1), encoding="utf-8")
    with pytest.raises(BuildError, match="b.md says 'Booklet: yes', but only an easy read page"):
        content_booklet_pages(settings, tmp_path)


def test_reading_the_pages_leaves_the_settings_as_they_were():
    # Pelican's reader adds its extensions to the MARKDOWN setting it is handed; the settings are part of the build's
    # fingerprint, so a change here made every second build with nothing changed a full one.
    from dps_publish.cache import inputs_fingerprint
    from dps_publish.pipeline import Project

    settings = load_settings(ROOT / "pelicanconf.py")
    project = Project(data=ROOT / "data", output=ROOT / "output", content=ROOT / "content",
                      theme=ROOT / "dps_publish" / "theme", settings=settings, frozen=ROOT / "published")
    before = repr(settings.pelican["MARKDOWN"]), inputs_fingerprint(project)
    assert content_booklet_pages(settings, ROOT / "content")
    assert (repr(settings.pelican["MARKDOWN"]), inputs_fingerprint(project)) == before

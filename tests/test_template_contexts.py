"""Every template renders from its declared context alone, under StrictUndefined, with no build.

``dps_publish/contexts.py`` declares what each template receives. These tests
render each template of the theme with exactly those names (the site's own
globals and filters, the example data's model) and nothing else, so a
template reading a name or attribute that is not declared fails here in
seconds, and in the build with its template, line and name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import jinja2
import pytest
from helpers import ROOT, THEME, project

from dps_publish.model.build import build_model
from dps_publish.opendata.publication import plan_publication
from dps_publish.pipeline import build
from dps_publish.problems import BuildError
from dps_publish.settings import load_settings
from dps_publish.site import contexts
from dps_publish.site.contexts import (
    ArticleContext,
    ArticleIndexContext,
    ContentPageContext,
    GeneratedPageNames,
    PageContext,
    PelicanNames,
    SiteGlobals,
    context_class,
    context_names,
    declared_names,
)
from dps_publish.site.pages import site_pages
from dps_publish.site.templating import jinja_environment, template_filters, template_globals
from dps_publish.site.writer import late_context, sitemap_entries
from dps_publish.sources.validate import validate_folder

# Rendered around every page (base.html) or every booklet's content (booklet_content.html): they read only
# names every template has.
LAYOUTS = {"base.html", "booklet_content.html"}
TEMPLATES = sorted(p.name for p in (THEME / "templates").glob("*.html")
                   if not p.name.startswith("_") and p.name not in LAYOUTS)


@pytest.fixture(scope="module")
def site():
    settings = load_settings(ROOT / "pelicanconf.py")
    validation = validate_folder(ROOT / "data")
    assert validation.ok, [str(p) for p in validation.problems]
    model = build_model(validation.tables, example_data=settings.example_data,
                        threshold=settings.small_number_threshold)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(THEME / "templates"), **jinja_environment())
    env.globals.update(template_globals(model, settings))
    env.filters.update(template_filters(model, settings.small_number_threshold, settings.council_area))
    pages = site_pages(model)
    publication = plan_publication(model, settings, ROOT / "published")
    return model, settings, env, pages, publication


def _pelican_objects():
    from pelican.contents import Article, Page
    from pelican.settings import DEFAULT_CONFIG

    settings = dict(DEFAULT_CONFIG, ARTICLE_URL="whats-new/{slug}/", PAGE_URL="{slug}/", DEFAULT_LANG="en-GB")
    article = Article("<p>Eleven providers joined.</p>", metadata={
        "title": "Second round awarded", "date": dt.datetime(2023, 4, 1, 9), "slug": "2023-04-second",
        "summary": "Eleven providers joined."}, settings=settings)
    page = Page("<p>Words we wrote.</p>", metadata={"title": "About us", "slug": "about-us"}, settings=settings)
    return article, page


def contexts_for(template: str, site) -> list[dict[str, object]]:
    """The names one template is rendered with: the declared ones, from the example's real pages."""
    model, settings, env, pages, publication = site
    shared = {"SITENAME": settings.site_name, "SITEURL": settings.site_url}
    name = template.removesuffix(".html")
    if name in contexts.PELICAN_CONTEXTS:
        article, page = _pelican_objects()
        declared = {"article": ArticleContext(article), "page": ContentPageContext(page),
                    "index": ArticleIndexContext([article])}[name]
        return [{**shared, **{f.name: getattr(declared, f.name) for f in dataclasses.fields(declared)}}]
    if name == "round_news":  # the body of a What's new article
        page = next(p for p in pages if p.template == "er_round_news")
        return [{**shared, **context_names(page.context)}]
    if name == "booklet":  # one part of a printed booklet, for each kind of page that has one
        from dps_publish.site.booklets import BookletMaker, booklet_pages

        maker = BookletMaker(model, settings, THEME)
        chosen = {p.template: p for p in booklet_pages(pages)}.values()
        return [context_names(c) for p in chosen for c in maker.contexts(p, 1)]
    entries = tuple(sitemap_entries(pages, {}))
    chosen = [p for p in pages if p.template == name]
    if name == "er_content":  # the council's hand-written easy-read pages marked "Booklet: yes"
        from dps_publish.site.pages import content_booklet_pages

        chosen = content_booklet_pages(settings, ROOT / "content")
    if not chosen:
        pytest.fail(f"no page of the example uses {template}")
    # Every page for small templates; for the many district and provider pages, the first few.
    return [{**shared, "page": p, "page_title": p.title, "page_path": p.path,
             **context_names(late_context(p, entries, publication))} for p in chosen[:12]]


def test_every_template_has_a_declared_context():
    undeclared = []
    for template in TEMPLATES:
        try:
            context_class(template)
        except KeyError:
            undeclared.append(template)
    assert not undeclared, f"templates with no context in dps_publish/contexts.py: {undeclared}"
    declared = set(contexts.TEMPLATE_CONTEXTS) | set(contexts.PELICAN_CONTEXTS)
    stale = {n for n in declared if f"{n}.html" not in TEMPLATES and f"er_{n}.html" not in TEMPLATES}
    assert not stale, f"contexts declared for templates that do not exist: {stale}"


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_renders_from_its_declared_context_alone(template, site):
    env = site[2]
    globals_declared = {f.name for f in dataclasses.fields(SiteGlobals)}
    assert set(env.globals) - {"range", "dict", "lipsum", "cycler", "joiner", "namespace"} == globals_declared
    for names in contexts_for(template, site):
        assert set(names) <= declared_names(template), set(names) - declared_names(template)
        html = env.get_template(template).render(**names)
        assert "</html>" in html or template == "round_news.html"


def test_pages_carry_the_context_their_template_declares(site):
    model, settings, env, pages, publication = site
    entries = tuple(sitemap_entries(pages, {}))
    wrong = [(p.path, p.template, type(late_context(p, entries, publication)).__name__) for p in pages
             if type(late_context(p, entries, publication)) is not context_class(p.template)]
    assert not wrong, wrong


FORBIDDEN = (typing.Any, object, dict, list, tuple, Mapping, Sequence, set, frozenset)


def _bare_types(hint, path: str) -> list[str]:
    """Where a type hint is Any, object or an unparametrised container (Callable's argument lists included)."""
    if hint in FORBIDDEN:
        return [f"{path}: {getattr(hint, '__name__', hint)}"]
    found = []
    for arg in typing.get_args(hint):
        for inner in arg if isinstance(arg, list) else [arg]:
            if inner is not Ellipsis:
                found += _bare_types(inner, path)
    return found


def test_no_declared_field_is_any_or_a_bare_dict():
    checked = 0
    problems = []
    for cls in contexts.declarations():
        for name, hint in typing.get_type_hints(cls).items():
            checked += 1
            problems += _bare_types(hint, f"{cls.__name__}.{name}")
    assert checked > 40
    assert not problems, problems


def test_the_check_of_field_types_can_fail():
    @dataclasses.dataclass
    class Loose:
        a: dict
        b: typing.Any
        c: tuple[dict, ...]
        d: Callable[[dict], str]
        e: Mapping[str, str]

    found = [p for name, hint in typing.get_type_hints(Loose).items() for p in _bare_types(hint, name)]
    assert [f.split(":")[0] for f in found] == ["a", "b", "c", "d"]


def test_templates_cannot_reach_the_whole_model(site):
    env = site[2]
    for forbidden in ("{{ model.providers }}", "{{ model.payments }}", "{{ DPS_MODEL }}", "{{ DPS_SETTINGS }}"):
        with pytest.raises(jinja2.UndefinedError):
            env.from_string(forbidden).render()


def test_page_context_classes_are_frozen_dataclasses():
    for cls in set(contexts.TEMPLATE_CONTEXTS.values()) | set(contexts.PELICAN_CONTEXTS.values()):
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls
    assert issubclass(contexts.DistrictContext, PageContext)
    assert {f.name for f in dataclasses.fields(GeneratedPageNames)} == {"page", "page_title", "page_path"}
    assert {f.name for f in dataclasses.fields(PelicanNames)} == {"SITENAME", "SITEURL"}


@pytest.mark.parametrize("template, planted, name", [
    ("home.html", "{{ no_such_name }}", "no_such_name"),
    ("home.html", "{{ dps.no_such_setting }}", "no_such_setting"),
    ("home.html", "{{ model.providers | length }}", "providers"),
    ("article.html", "{{ DPS_MODEL }}", "DPS_MODEL"),  # Pelican's own templates see its settings, but not these
])
def test_a_template_reading_something_missing_fails_the_build_naming_it(template, planted, name, tmp_path):
    theme = tmp_path / "theme"
    shutil.copytree(THEME, theme)
    home = theme / "templates" / template
    lines = home.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if "{% block content %}" in line) + 1
    lines.insert(at, f"<p>{planted}</p>")
    home.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_text("the last good site", encoding="utf-8")
    target = project(ROOT / "data", output)
    target = dataclasses.replace(target, theme=theme, cache=tmp_path / "cache" / "charts")
    with pytest.raises(BuildError) as raised:
        build(target)
    words = str(raised.value)
    assert f"{template}, line {at + 1}" in words, words
    assert name in words, words
    assert "Traceback" not in words
    assert (output / "index.html").read_text(encoding="utf-8") == "the last good site"
    assert sorted(p.name for p in output.iterdir()) == ["index.html"]


def test_error_words_for_a_syntax_mistake(tmp_path):
    from dps_publish.site.writer import template_error_words

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path), **jinja_environment())
    (tmp_path / "broken.html").write_text("<p>\n{% if %}\n", encoding="utf-8")
    with pytest.raises(jinja2.TemplateSyntaxError) as raised:
        env.get_template("broken.html")
    assert "broken.html, line 2" in template_error_words(raised.value)


def test_declared_names_cover_what_the_build_passes():
    # What DataPagesGenerator passes besides a page's context, and what Pelican's templates need.
    assert {"page", "page_title", "page_path", "SITENAME", "SITEURL"} <= declared_names("lot.html")
    assert "article" in declared_names("article.html") and "page" not in declared_names("article.html")
    assert Path(contexts.__file__).name == "contexts.py"

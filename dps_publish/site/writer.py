"""The ``site`` stage: write the website with Pelican.

Pelican renders the hand-written pages in ``content/`` and the theme; the
pages generated from the model are added by ``DataPagesGenerator``, which
Pelican runs like its own generators. The model reaches the generator through
``_SiteBuild`` for the length of one run, never through Pelican's settings:
Pelican passes every setting to every template, and templates may read only
what ``contexts`` declares. Templates render under ``StrictUndefined``: a name
or attribute that is not there stops the build with the template, line and name.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..addresses import ARTICLE_URL, WHATS_NEW, WHATS_NEW_FEED
from ..background import dealt, in_workers
from ..cache import PageReuse, code_digest, model_fingerprinter, templates_digest
from ..model.publishable import SiteModel, SiteView
from ..problems import BuildError
from ..settings import PublishSettings
from .artefacts import Artefacts
from .assets import write_assets
from .charts import ChartRenderer
from .contexts import (
    ChangelogContext,
    DataContext,
    DataDictionaryContext,
    DataPoliciesContext,
    DataResource,
    Page,
    PageContext,
    RoundNewsContext,
    SearchContext,
    SitemapContext,
    SitemapEntry,
    context_class,
    context_names,
)
from .news import provider_names, round_news
from .pages import site_pages
from .search import merged_shards
from .templating import data_dictionary, jinja_environment, template_filters, template_globals
from .whereyoulive import write_lookup

PLUGIN = "dps_publish.site.writer"


@dataclass
class _SiteBuild:
    """What the plugin needs during one Pelican run: kept here, not in Pelican's settings (which templates see)."""

    model: SiteModel
    settings: PublishSettings
    charts: ChartRenderer
    publication: object | None  # opendata.Publication
    reuse: PageReuse | None
    artefacts: Artefacts


_build: _SiteBuild | None = None


def _current() -> _SiteBuild:
    if _build is None:
        raise BuildError("the site's pages can only be written by write_site")
    return _build


def write_site(model: SiteModel, settings: PublishSettings, content: Path, theme: Path, out: Path,
               charts: ChartRenderer | None = None, publication=None, reuse: PageReuse | None = None,
               artefacts: Artefacts | None = None) -> ChartRenderer:
    from pelican import Pelican
    from pelican.settings import configure_settings

    global _build
    values = {k: v for k, v in copy.deepcopy(settings.pelican).items()  # Pelican changes its settings as it runs
              if not k.startswith("DPS_")}
    charts = charts or ChartRenderer(None)
    artefacts = artefacts or Artefacts()
    values.update(pelican_overrides(model, settings, content, theme, out, artefacts))
    values = configure_settings(values)
    from pelican.log import console

    handler = _FailOnError()
    logging.getLogger("pelican").addHandler(handler)
    quiet, console.quiet = console.quiet, True  # the publisher says what happened, in its own words
    _build = _SiteBuild(model, settings, charts, publication, reuse, artefacts)
    try:
        Pelican(values).run()
    except jinja2.TemplateError as exc:
        raise BuildError(template_error_words(exc)) from exc
    finally:
        _build = None
        console.quiet = quiet
        logging.getLogger("pelican").removeHandler(handler)
    if handler.messages:
        raise BuildError("Pelican could not build the site:\n  " + "\n  ".join(handler.messages))
    write_assets(out)
    write_lookup(model, out)
    return charts


def pelican_overrides(model: SiteModel, settings: PublishSettings, content: Path, theme: Path, out: Path,
                      artefacts: Artefacts | None = None) -> dict:
    return {
        "PATH": str(content),
        "OUTPUT_PATH": str(out),
        "THEME": str(theme),
        "PLUGINS": [PLUGIN],
        "PLUGIN_PATHS": [],
        "SITEURL": settings.site_url,
        "RELATIVE_URLS": False,
        "DELETE_OUTPUT_DIRECTORY": False,
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        "WRITE_SELECTED": [],
        "JINJA_ENVIRONMENT": jinja_environment(),
        "JINJA_GLOBALS": template_globals(model, settings, artefacts),
        "JINJA_FILTERS": template_filters(model, settings.small_number_threshold, settings.council_area),
        "ARTICLE_PATHS": [WHATS_NEW.rstrip("/")],
        "PAGE_PATHS": ["pages"],
        "STATIC_PATHS": [],
        "ARTICLE_URL": ARTICLE_URL,
        "ARTICLE_SAVE_AS": f"{ARTICLE_URL}index.html",
        "PAGE_URL": "{slug}/",
        "PAGE_SAVE_AS": "{slug}/index.html",
        "INDEX_SAVE_AS": f"{WHATS_NEW}index.html",
        "DIRECT_TEMPLATES": ["index"],
        "PAGINATED_TEMPLATES": {"index": None},
        "TAG_SAVE_AS": "", "TAGS_SAVE_AS": "", "CATEGORY_SAVE_AS": "", "CATEGORIES_SAVE_AS": "",
        "AUTHOR_SAVE_AS": "", "AUTHORS_SAVE_AS": "", "ARCHIVES_SAVE_AS": "",
        "YEAR_ARCHIVE_SAVE_AS": "", "MONTH_ARCHIVE_SAVE_AS": "", "DAY_ARCHIVE_SAVE_AS": "",
        "DRAFT_SAVE_AS": "", "DRAFT_PAGE_SAVE_AS": "",
        "FEED_ALL_ATOM": WHATS_NEW_FEED,
        "FEED_ALL_RSS": None, "CATEGORY_FEED_ATOM": None, "AUTHOR_FEED_ATOM": None, "AUTHOR_FEED_RSS": None,
        "TRANSLATION_FEED_ATOM": None,
        "TIMEZONE": "Europe/London",
        "DEFAULT_LANG": "en-GB",
        "DEFAULT_DATE": None,
        "TYPOGRIFY": False,
        "THEME_STATIC_DIR": "theme",
    }


class _FailOnError(logging.Handler):
    """Pelican logs what it cannot build and carries on; the publisher stops instead."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def template_error_words(exc: jinja2.TemplateError) -> str:
    """A template mistake in words: which template, which line, and the name it could not find."""
    place = ""
    tb = exc.__traceback__
    while tb is not None:  # Jinja puts each template's own file and line into the traceback
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".html"):
            place = f"{Path(filename).name}, line {tb.tb_lineno}"
        tb = tb.tb_next
    if isinstance(exc, jinja2.TemplateSyntaxError):
        place = f"{Path(exc.filename or exc.name or '?').name}, line {exc.lineno}"
    what = exc.message or exc.__class__.__name__
    if isinstance(exc, jinja2.UndefinedError):
        what = f"it reads something that is not there ({what}). Check the name, or declare it in dps_publish/contexts.py"
    return (f"a template has a mistake, so no page was published: {place or 'a template'}: {what}.")


class DataPagesGenerator:
    """A Pelican generator for the pages generated from the model."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        from pelican.generators import Generator

        self._generator = Generator(context, settings, path, theme, output_path, *args, **kwargs)
        self.context = context
        self.settings = settings
        self.build = _current()
        self.model: SiteModel = self.build.model
        self.theme = Path(theme)
        self.charts: ChartRenderer = self.build.charts

    def generate_context(self) -> None:
        self.pages = site_pages(self.model)
        self.context["dps_pages"] = self.pages

    def generate_output(self, writer) -> None:
        from pelican.utils import sanitised_join

        entries = tuple(sitemap_entries(self.pages, self.context))
        out = Path(self.settings["OUTPUT_PATH"])
        reuse: PageReuse = self.build.reuse or PageReuse(None, {})
        fingerprints = model_fingerprinter(self.model)
        site_wide = fingerprints.of(SiteView(self.model).fingerprint_parts(), self.build.settings,
                                    self.settings["SITENAME"], self.settings["SITEURL"], templates_digest(self.theme),
                                    code_digest())  # a new version of the publisher may render differently
        # Only the declared names (contexts.py): Pelican's own context holds every setting.
        shared = {"SITENAME": self.settings["SITENAME"], "SITEURL": self.settings["SITEURL"]}
        todo: list[tuple[str, str, dict]] = []
        for page in self.pages:
            context = self._context(page, entries)
            for chart in getattr(context, "charts", ()) if not page.easy_read else ():
                self.charts.write(chart, out / page.path / "charts")
            names = context_names(context)
            artefacts = (self.build.artefacts.all_of(page.path), self.build.artefacts.all_of(page.twin))  # linked
            if reuse.try_reuse(page.save_as, fingerprints.of(
                    site_wide, page.path, page.template, page.title, page.twin, page.parent, sorted(names.items()),
                    artefacts), out):
                continue
            todo.append((page.save_as, page.template, dict(page=page, page_title=page.title, page_path=page.path,
                                                           **names)))
        for save_as, *_ in todo:  # told to Pelican's writer, which refuses a second page writing the same file
            path = sanitised_join(str(out), save_as)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            writer._open_w(path, "utf-8").close()
        render = _PageRender(self._generator, out, shared, todo)
        processes = min(2, os.cpu_count() or 1) if len(todo) > RENDER_APART else 1
        in_workers(render, dealt(list(range(len(todo))), processes, per_batch=25), processes)
        write_sitemap_xml(Path(self.settings["OUTPUT_PATH"]), self.settings["SITEURL"], entries,
                          self.model.published_on)

    def _context(self, page: Page, entries: tuple[SitemapEntry, ...]) -> PageContext:
        """The page's context; a few pages get theirs only now (the sitemap, search shards, data downloads)."""
        context = late_context(page, entries, self.build.publication, self.model.small_number_threshold)
        expected = context_class(page.template)
        if type(context) is not expected:
            raise BuildError(f"the page {page.path or '/'} gives its template {page.template}.html a "
                             f"{type(context).__name__}, but the template takes a {expected.__name__} "
                             "(dps_publish/contexts.py)")
        return context


RENDER_APART = 16  # pages to render before two forked workers share them (a county's district pages are megabytes)


@dataclass(frozen=True)
class _PageRender:
    """Renders pages of ``todo`` (by their numbers) and writes them, as Pelican's writer does (the same context, the
    same bytes), in this process or in a worker forked from it, which shares the model and the templates."""

    generator: object  # Pelican's Generator: its Jinja environment and the theme's templates
    out: Path
    shared: dict
    todo: list[tuple[str, str, dict]]

    def __call__(self, numbers: list[int]) -> int:
        for number in numbers:
            save_as, template_name, names = self.todo[number]
            context = {**self.shared, "localsiteurl": None, "output_file": save_as, **names}
            try:
                output = self.generator.get_template(template_name).render(context)
            except jinja2.TemplateError as exc:  # in words here: a worker's traceback does not come back with it
                raise BuildError(template_error_words(exc)) from None
            path = self.out / save_as
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(output, encoding="utf-8")
        return len(numbers)


def late_context(page: Page, entries: tuple[SitemapEntry, ...], publication, threshold: int = 5) -> PageContext:
    """The context of a page that shows what is known only once every page is listed or the open data planned."""
    if page.template == "sitemap":
        return SitemapContext(entries)
    if page.template == "search":  # the search index's other shards, merged in the browser
        return SearchContext(tuple(merged_shards(f"{e.path}index.html" for e in entries)))
    if page.template == "data":
        return DataContext(publication, data_resources())
    if page.template == "data_dictionary":
        return DataDictionaryContext(data_dictionary(threshold))
    if page.template == "data_changelog":
        return ChangelogContext(publication)
    if page.template == "data_policies":
        return DataPoliciesContext(publication)
    return page.context


def sitemap_entries(pages, context) -> list[SitemapEntry]:
    entries = [SitemapEntry(p.path, p.title) for p in pages]
    entries.append(SitemapEntry(WHATS_NEW, "What's new"))
    entries += [SitemapEntry(a.url, a.title) for a in context.get("articles", [])]
    entries += [SitemapEntry(p.url, p.title) for p in context.get("pages", [])]
    return sorted(entries, key=lambda e: (e.path.count("/"), e.path))


def write_sitemap_xml(out: Path, site_url: str, entries, published_on: dt.date) -> None:
    from xml.sax.saxutils import escape

    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for entry in entries:
        lines.append(f"  <url><loc>{escape(site_url + '/' + entry.path)}</loc>"
                     f"<lastmod>{published_on.isoformat()}</lastmod></url>")
    lines.append("</urlset>")
    (out / "sitemap.xml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def data_resources() -> tuple[DataResource, ...]:
    from ..model.publishable import PUBLISHED
    from ..sources.schemas import load_schema

    return tuple(DataResource(n, load_schema(n).descriptor.get("title", n), load_schema(n).descriptor.get("description", ""))
                 for n in PUBLISHED)


def get_generators(pelican_object):
    return DataPagesGenerator


def add_round_articles(generator) -> None:
    """One "What's new" article per round, so the site has an Atom feed of rounds."""
    from pelican.contents import Article

    if _build is None:
        return
    model = _build.model
    template = generator.env.get_template("round_news.html")
    shared = {"SITENAME": generator.settings["SITENAME"], "SITEURL": generator.settings["SITEURL"]}
    for news in round_news(model):
        content = template.render(**shared, **context_names(RoundNewsContext(news, provider_names(model, news))))
        metadata = {
            "title": news.title,
            "date": dt.datetime.combine(news.date, dt.time(9, 0)),
            "slug": news.round.round_id,
            "summary": news.summary,
            "template": "article",
        }
        article = Article(content, metadata=metadata, settings=generator.settings,
                          source_path=f"{WHATS_NEW}{news.round.round_id}.html", context=generator.context)
        generator.articles.append(article)
    generator.articles.sort(key=lambda a: (a.date, a.slug), reverse=True)


def register():
    from pelican import signals

    signals.get_generators.connect(get_generators)
    signals.article_generator_pretaxonomy.connect(add_round_articles)


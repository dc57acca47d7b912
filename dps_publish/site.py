"""Stage 7: write the website with Pelican.

Pelican renders the hand-written pages in ``content/`` and the theme; the
pages generated from the model are added by ``DataPagesGenerator``, which
Pelican runs like its own generators. The model and settings reach it through
two Pelican settings, ``DPS_MODEL`` and ``DPS_SETTINGS``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from .assets import write_assets
from .charts import ChartRenderer
from .incremental import Fingerprinter, PageReuse, code_digest
from .model import SiteModel, SiteView
from .news import provider_names, round_news
from .pages import site_pages
from .problems import BuildError
from .search import merged_shards
from .settings import PublishSettings
from .templating import template_filters, template_globals

PLUGIN = "dps_publish.site"


def write_site(model: SiteModel, settings: PublishSettings, content: Path, theme: Path, out: Path,
               charts: ChartRenderer | None = None, publication=None, reuse: PageReuse | None = None) -> ChartRenderer:
    from pelican import Pelican
    from pelican.settings import configure_settings

    values = copy.deepcopy(settings.pelican)  # Pelican changes its settings as it runs
    charts = charts or ChartRenderer(None)
    values.update(pelican_overrides(model, settings, content, theme, out))
    values["DPS_CHARTS"] = charts
    values["DPS_PUBLICATION"] = publication
    values["DPS_REUSE"] = reuse
    values = configure_settings(values)
    from pelican.log import console

    handler = _FailOnError()
    logging.getLogger("pelican").addHandler(handler)
    quiet, console.quiet = console.quiet, True  # the publisher says what happened, in its own words
    try:
        Pelican(values).run()
    finally:
        console.quiet = quiet
        logging.getLogger("pelican").removeHandler(handler)
    if handler.messages:
        raise BuildError("Pelican could not build the site:\n  " + "\n  ".join(handler.messages))
    write_assets(theme.parent, out)
    return charts


def pelican_overrides(model: SiteModel, settings: PublishSettings, content: Path, theme: Path, out: Path) -> dict:
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
        "DPS_MODEL": model,
        "DPS_SETTINGS": settings,
        "JINJA_ENVIRONMENT": {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True},
        "JINJA_GLOBALS": template_globals(model, settings),
        "JINJA_FILTERS": template_filters(model, settings.small_number_threshold),
        "ARTICLE_PATHS": ["whats-new"],
        "PAGE_PATHS": ["pages"],
        "STATIC_PATHS": [],
        "ARTICLE_URL": "whats-new/{slug}/",
        "ARTICLE_SAVE_AS": "whats-new/{slug}/index.html",
        "PAGE_URL": "{slug}/",
        "PAGE_SAVE_AS": "{slug}/index.html",
        "INDEX_SAVE_AS": "whats-new/index.html",
        "DIRECT_TEMPLATES": ["index"],
        "PAGINATED_TEMPLATES": {"index": None},
        "TAG_SAVE_AS": "", "TAGS_SAVE_AS": "", "CATEGORY_SAVE_AS": "", "CATEGORIES_SAVE_AS": "",
        "AUTHOR_SAVE_AS": "", "AUTHORS_SAVE_AS": "", "ARCHIVES_SAVE_AS": "",
        "YEAR_ARCHIVE_SAVE_AS": "", "MONTH_ARCHIVE_SAVE_AS": "", "DAY_ARCHIVE_SAVE_AS": "",
        "DRAFT_SAVE_AS": "", "DRAFT_PAGE_SAVE_AS": "",
        "FEED_ALL_ATOM": "whats-new/feed.atom.xml",
        "FEED_ALL_RSS": None, "CATEGORY_FEED_ATOM": None, "AUTHOR_FEED_ATOM": None, "AUTHOR_FEED_RSS": None,
        "TRANSLATION_FEED_ATOM": None,
        "TIMEZONE": "Europe/London",
        "DEFAULT_LANG": "en",
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


class DataPagesGenerator:
    """A Pelican generator for the pages generated from the model."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs):
        from pelican.generators import Generator

        self._generator = Generator(context, settings, path, theme, output_path, *args, **kwargs)
        self.context = context
        self.settings = settings
        self.model: SiteModel = settings["DPS_MODEL"]
        self.theme = Path(theme)
        self.charts: ChartRenderer = settings["DPS_CHARTS"]

    def generate_context(self) -> None:
        self.pages = site_pages(self.model)
        self.context["dps_pages"] = self.pages

    def generate_output(self, writer) -> None:
        entries = sitemap_entries(self.pages, self.context)
        out = Path(self.settings["OUTPUT_PATH"])
        reuse: PageReuse = self.settings.get("DPS_REUSE") or PageReuse(None, {})
        fingerprints = Fingerprinter()
        site_wide = fingerprints.of(SiteView(self.model).fingerprint_parts(), self.settings["DPS_SETTINGS"],
                                    self.settings["SITENAME"], self.settings["SITEURL"], templates_digest(self.theme),
                                    code_digest())  # a new version of the publisher may render differently
        for page in self.pages:
            for chart in page.context.get("charts", ()) if not page.easy_read else ():
                self.charts.write(chart, out / page.path / "charts")
            context = {**page.context, **self._extra(page, entries)}
            if reuse.try_reuse(page.save_as, fingerprints.of(
                    site_wide, page.path, page.template, page.title, page.twin, page.parent, sorted(context.items())), out):
                continue
            template = self._generator.get_template(page.template)
            writer.write_file(page.save_as, template, self.context, page=page, page_title=page.title,
                              page_path=page.path, **context)
        write_sitemap_xml(Path(self.settings["OUTPUT_PATH"]), self.settings["SITEURL"], entries,
                          self.model.published_on)

    def _extra(self, page, entries) -> dict:
        """What a few pages show besides their own context: the sitemap, the search shards and the data pages'
        downloads."""
        if page.template == "sitemap":
            return {"sitemap_entries": entries}
        if page.template == "search":  # the search index's other shards, merged in the browser
            return {"search_shards": merged_shards(f"{e.path}index.html" for e in entries)}
        if page.template.startswith("data"):
            return {"publication": self.settings.get("DPS_PUBLICATION"), "data_resources": data_resources()}
        return {}


@dataclass(frozen=True)
class SitemapEntry:
    path: str
    title: str

    @property
    def easy_read(self) -> bool:
        return self.path.startswith("easy-read/")


def sitemap_entries(pages, context) -> list[SitemapEntry]:
    entries = [SitemapEntry(p.path, p.title) for p in pages]
    entries.append(SitemapEntry("whats-new/", "What's new"))
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


def data_resources() -> list[dict]:
    from .model import PUBLISHED
    from .schemas import load_schema

    return [{"name": n, "title": load_schema(n).descriptor.get("title", n),
             "description": load_schema(n).descriptor.get("description", "")} for n in PUBLISHED]


def templates_digest(theme: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((theme / "templates").glob("*.html")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def get_generators(pelican_object):
    return DataPagesGenerator


def add_round_articles(generator) -> None:
    """One "What's new" article per round, so the site has an Atom feed of rounds."""
    from pelican.contents import Article

    model: SiteModel = generator.settings.get("DPS_MODEL")
    if model is None:
        return
    template = generator.env.get_template("round_news.html")
    for news in round_news(model):
        content = template.render(news=news, names=provider_names(model, news), **generator.context)
        metadata = {
            "title": news.title,
            "date": dt.datetime.combine(news.date, dt.time(9, 0)),
            "slug": news.round.round_id,
            "summary": news.summary,
            "template": "article",
        }
        article = Article(content, metadata=metadata, settings=generator.settings,
                          source_path=f"whats-new/{news.round.round_id}.html", context=generator.context)
        generator.articles.append(article)
    generator.articles.sort(key=lambda a: (a.date, a.slug), reverse=True)


def register():
    from pelican import signals

    signals.get_generators.connect(get_generators)
    signals.article_generator_pretaxonomy.connect(add_round_articles)


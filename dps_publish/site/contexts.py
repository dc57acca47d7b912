"""What each template receives, declared in one place.

Every template is rendered with Jinja's ``StrictUndefined``: reading a name or
an attribute that is not there stops the build, naming the template, the line
and the name, instead of publishing a blank where a fact should be.

The names a template may read are:

- ``SiteGlobals``: the same for every template (the site-wide model view,
  the settings, ``url()`` and the helpers that turn codes into words);
- ``PelicanNames``: the two of Pelican's settings the theme shows;
- for a page the publisher generates, ``page``, ``page_title`` and
  ``page_path``, and the fields of the page's own context class below
  (``TEMPLATE_CONTEXTS`` says which class each template takes);
- for the pages Pelican writes from ``content/`` (``article``, ``page`` and the
  ``index`` of What's new), the fields of ``ArticleContext``, ``ContentPageContext``
  and ``ArticleIndexContext``.

Fields are typed (no ``Any``, no bare ``dict``); a test renders every template
from these declarations alone, with no build.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from markupsafe import Markup
from pelican.contents import Article
from pelican.contents import Page as ContentPage

from ..addresses import EASY_READ
from ..model.publishable import (
    District,
    GlossaryTerm,
    KpiDefinition,
    KpiValue,
    Listing,
    Lot,
    Programme,
    Provider,
    SiteView,
)
from ..opendata.publication import Publication
from ..settings import PublishSettings
from .assets import Icon
from .charts import Chart
from .money import MoneyPage
from .news import RoundNews
from .performance import LotKpi, PerformancePage
from .whereyoulive import AtoZEntry, AtoZLetter, DistrictPlaces, WhereYouLive


@dataclass(frozen=True)
class Page:
    """A page the publisher generates: where it goes, which template renders it, what that template receives."""

    path: str  # the page's address below the site root, ending in "/" ("" for home)
    template: str
    title: str
    context: PageContext = field(default_factory=lambda: PageContext(), compare=False)
    twin: str | None = None  # the address of the page's easy-read (or standard) twin; "" is the home page
    parent: tuple[str, str] | None = None  # (title, path) of the page above, for breadcrumbs

    @property
    def save_as(self) -> str:
        return f"{self.path}index.html"

    @property
    def easy_read(self) -> bool:
        return self.path.startswith(EASY_READ)


@dataclass(frozen=True)
class SitemapEntry:
    path: str
    title: str

    @property
    def easy_read(self) -> bool:
        return self.path.startswith(EASY_READ)


# -- every template ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteGlobals:
    """Names every template can read (Jinja globals): site-wide, never about one page."""

    url: Callable[..., str]  # an address below the site's base path: url("providers/")
    model: SiteView  # the site-wide parts of the model only
    dps: PublishSettings
    programme_path: Callable[[str], str]
    lot_path: Callable[[str, str], str]
    provider_path: Callable[[str], str]
    district_path: Callable[..., str]
    easy: Callable[[str], str]  # a page's easy-read twin's address
    icons: Mapping[str, Icon]
    openmoji_credit: str
    support_type_words: Mapping[str, str]
    age_group_words: Mapping[str, str]
    glossary_terms: Callable[[Sequence[str]], list[GlossaryTerm]]
    easy_read_glossary: tuple[GlossaryTerm, ...]
    group_words: Mapping[str, str]
    easy_money_lines: Callable[[MoneyPage], list[tuple[str, list[str]]]]
    easy_read_value: Callable[[KpiDefinition, KpiValue | None], str]
    quarter_words: Callable[[str], str]
    rating_rule: str
    layout: str  # the template an easy-read page extends: base.html, or booklet_content.html for its booklet
    artefacts: Callable[[str, str | None], tuple[BookletFile | AudioFile, ...]]  # a page's files of a kind
    # (site/artefacts.py): artefacts("booklet", page_path), artefacts("audio", page_path)
    artefacts_later: tuple[str, ...] = ()  # kinds this build leaves out for now (the desk's preview: "audio")


@dataclass(frozen=True)
class PelicanNames:
    """Pelican's settings that the theme reads (Pelican passes every setting; the theme uses these)."""

    SITENAME: str
    SITEURL: str


@dataclass(frozen=True)
class GeneratedPageNames:
    """What every page the publisher generates receives besides its own context."""

    page: Page
    page_title: str
    page_path: str


# -- each generated page's own context ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PageContext:
    """A page that shows only site-wide facts: the home page, the glossary, About the name and the like."""


@dataclass(frozen=True)
class ContentContext(PageContext):
    """A council's hand-written easy-read page marked ``Booklet: yes``: its words as Pelican renders them."""

    content_html: str


def context_names(context: object) -> dict[str, object]:
    """A declared context as the template sees it: one name per field (shallow: the objects themselves)."""
    return {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}


ProviderListing = tuple[Provider, Listing]
LotListings = tuple[Lot, tuple[ProviderListing, ...]]


@dataclass(frozen=True)
class DistrictFilter:
    kind: str  # "support_type" or "age_group"
    value: str  # the code, e.g. "one-to-one"
    words: str  # what the page says, e.g. "one to one"


@dataclass(frozen=True)
class DistrictContext(PageContext):
    district: District
    groups: tuple[LotListings, ...]  # each DPS lot with its awarded listings in the district, by provider name
    filter: DistrictFilter | None  # the support type or age group the page is narrowed to
    places: DistrictPlaces  # its towns and villages and postcode first halves (empty without those tables)


@dataclass(frozen=True)
class FindSupportContext(PageContext):
    where: WhereYouLive  # the "Where do you live?" form: what it can look up, and where its files are
    attribution: str  # the ONS attribution, shown where the postcode lookup is used


@dataclass(frozen=True)
class AtoZContext(PageContext):
    where: WhereYouLive
    letters: tuple[AtoZLetter, ...]  # every town, village and other name, by first letter
    postcodes: tuple[AtoZEntry, ...]  # every postcode first half, with its districts
    attribution: str


@dataclass(frozen=True)
class CheckedOn:
    """When a provider's entry was last checked: its last_checked, else the award of its latest awarded round."""

    date: dt.date
    at_award: bool  # the date is the award date of the round it joined in, not a check of its own
    old: bool  # more than a year before the date of the data


@dataclass(frozen=True)
class ProvidersContext(PageContext):
    providers: tuple[Provider, ...]


@dataclass(frozen=True)
class ProviderContext(PageContext):
    provider: Provider
    listings: tuple[Listing, ...]
    checked: CheckedOn | None  # "Checked on ...", or None where nothing says when


@dataclass(frozen=True)
class ProgrammeContext(PageContext):
    programme: Programme


@dataclass(frozen=True)
class LotMember:
    provider_id: str
    name: str
    status: str


@dataclass(frozen=True)
class LotContext(PageContext):
    programme: Programme
    lot: Lot
    members: tuple[LotMember, ...]
    kpis: tuple[LotKpi, ...]
    charts: tuple[Chart, ...]


@dataclass(frozen=True)
class WhatsNewContext(PageContext):
    round_news: tuple[RoundNews, ...]


@dataclass(frozen=True)
class RoundNewsContext(PageContext):
    news: RoundNews
    names: Mapping[str, str]  # provider_id to the provider's name, for the providers that joined


@dataclass(frozen=True)
class MoneyOverviewContext(PageContext):
    money_pages: tuple[MoneyPage, ...]


@dataclass(frozen=True)
class MoneyContext(PageContext):
    money: MoneyPage
    charts: tuple[Chart, ...]


@dataclass(frozen=True)
class PerformanceOverviewContext(PageContext):
    performance_pages: tuple[PerformancePage, ...]


@dataclass(frozen=True)
class PerformanceContext(PageContext):
    performance: PerformancePage
    charts: tuple[Chart, ...]


@dataclass(frozen=True)
class SitemapContext(PageContext):
    sitemap_entries: tuple[SitemapEntry, ...]


@dataclass(frozen=True)
class SearchContext(PageContext):
    search_shards: tuple[str, ...]  # the other bundles of the search index, merged in the browser


@dataclass(frozen=True)
class DataResource:
    name: str
    title: str
    description: str


@dataclass(frozen=True)
class DataContext(PageContext):
    publication: Publication
    data_resources: tuple[DataResource, ...]


@dataclass(frozen=True)
class FieldRules:
    """A published column's constraints, in the data dictionary."""

    required: bool = False
    enum: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class DictionaryField:
    name: str
    type: str
    description: str
    constraints: FieldRules


@dataclass(frozen=True)
class DictionaryTable:
    name: str
    title: str
    description: str
    fields: tuple[DictionaryField, ...]
    primary_key: tuple[str, ...]
    file: str = ""  # the file's name where it is not the table's name and .csv (the Transparency Code files)


@dataclass(frozen=True)
class DataDictionaryContext(PageContext):
    dictionary: tuple[DictionaryTable, ...]


@dataclass(frozen=True)
class ChangelogContext(PageContext):
    publication: Publication


@dataclass(frozen=True)
class DataPoliciesContext(PageContext):
    publication: Publication  # whether a round is frozen yet: /data/latest/ is linked only once there is one


# -- the pages Pelican writes from content/ ----------------------------------------------------------------------

@dataclass(frozen=True)
class ArticleContext:
    article: Article


@dataclass(frozen=True)
class ContentPageContext:
    page: ContentPage


@dataclass(frozen=True)
class ArticleIndexContext:
    articles: Sequence[Article]


# Which context each template takes. A generated page whose context is of another class stops the build.
@dataclass(frozen=True)
class BookletFile:
    """One PDF of a booklet, as the pages link to it."""

    path: str  # below the site's root: easy-read/providers/x/x-easy-read.pdf
    pages: int
    size: int  # bytes
    part: int = 1
    parts: int = 1

    @property
    def kilobytes(self) -> int:
        return max(1, round(self.size / 1024))

    @property
    def words(self) -> str:
        """"PDF, 6 pages, 240 KB"."""
        return f"PDF, {self.pages} page{'s' if self.pages != 1 else ''}, {self.kilobytes:,} KB"


@dataclass(frozen=True)
class AudioFile:
    """One MP3 of an easy-read page read aloud (site/audio.py), as the pages link to it."""

    path: str  # below the site's root: easy-read/providers/x/x-easy-read.mp3
    size: int  # bytes
    seconds: float  # how long it plays
    spoken_words: int  # the words it says

    @property
    def kilobytes(self) -> int:
        return max(1, round(self.size / 1024))

    @property
    def words(self) -> str:
        """"MP3, 620 KB"."""
        return f"MP3, {self.kilobytes:,} KB"

    @property
    def duration_words(self) -> str:
        """"1 minute 40 seconds" (to the nearest 5 seconds past a minute; "under 5 seconds" never happens)."""
        total = max(1, round(self.seconds))
        if total >= 60:
            total = max(60, 5 * round(total / 5))
        minutes, seconds = divmod(total, 60)
        parts = []
        if minutes:
            parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
        if seconds:
            parts.append(f"{seconds} second{'s' if seconds != 1 else ''}")
        return " ".join(parts)


@dataclass(frozen=True)
class BookletContext:
    """What booklet.html receives (site/booklets.py): one part of an easy-read page's printed booklet."""

    title: str
    part: int  # this part's number, from 1
    parts: int  # how many parts the booklet is in (1: it is whole)
    body: Markup  # the easy-read page's own content for this part, as the page renders it
    date: dt.date  # the date of the data
    date_words: str  # "31 March 2023"
    address: str  # the easy-read page on the web
    cover_icon: str  # a name in icons
    listen: bool = False  # the page is also a recording (site/audio.py): the help page says where to listen


TEMPLATE_CONTEXTS: dict[str, type] = {
    "home": PageContext, "find_support": FindSupportContext, "a_to_z": AtoZContext, "privacy": PageContext,
    "programmes": PageContext, "about_the_name": PageContext,
    "glossary": PageContext, "accessibility": PageContext, "about_our_data": PageContext,
    "district": DistrictContext,
    "providers": ProvidersContext,
    "provider": ProviderContext,
    "programme": ProgrammeContext,
    "lot": LotContext,
    "whats_new": WhatsNewContext,
    "round_news": RoundNewsContext,
    "money_overview": MoneyOverviewContext,
    "money": MoneyContext,
    "performance_overview": PerformanceOverviewContext,
    "performance": PerformanceContext,
    "sitemap": SitemapContext,
    "search": SearchContext,
    "data": DataContext,
    "data_dictionary": DataDictionaryContext,
    "data_changelog": ChangelogContext,
    "data_policies": DataPoliciesContext,
    "booklet": BookletContext,
    "content": ContentContext,  # er_content: a council's hand-written easy-read page with a booklet
}
# Pelican's own templates, rendered by its generators from content/.
PELICAN_CONTEXTS: dict[str, type] = {
    "article": ArticleContext,
    "page": ContentPageContext,
    "index": ArticleIndexContext,
}
EASY_READ_PREFIX = "er_"


def context_class(template: str) -> type:
    """The context class a template takes: an easy-read twin's template (``er_lot``) takes its standard one's."""
    name = template.removesuffix(".html")
    if name in PELICAN_CONTEXTS:
        return PELICAN_CONTEXTS[name]
    return TEMPLATE_CONTEXTS[name.removeprefix(EASY_READ_PREFIX)]


def declared_names(template: str) -> frozenset[str]:
    """Every name the template may read, for the tests and for the error message of a missing one."""
    names = {f.name for cls in (SiteGlobals, PelicanNames) for f in dataclasses.fields(cls)}
    cls = context_class(template)
    names |= {f.name for f in dataclasses.fields(cls)}
    if template.removesuffix(".html") not in PELICAN_CONTEXTS:
        names |= {f.name for f in dataclasses.fields(GeneratedPageNames)}
    return frozenset(names)


def declarations() -> tuple[type, ...]:
    """Every declaration class in this module (a test holds their fields to real types)."""
    return tuple(value for value in globals().values()
                 if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == __name__)

"""The pages the site is made of, worked out from the model before anything is written.

Each ``Page`` says where it goes, which template renders it, what that
template receives, and where its twin is: every page a resident reads has an
easy-read twin under ``easy-read/`` at the same path, and the two link to each
other. Keeping the list as data lets tests and the sitemap see the whole site
without rendering it.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from ..addresses import (
    ABOUT_OUR_DATA,
    ABOUT_THE_NAME,
    ACCESSIBILITY,
    DATA,
    DATA_CHANGELOG,
    DATA_DICTIONARY,
    DATA_POLICIES,
    EASY_READ,
    FIND_SUPPORT,
    GLOSSARY,
    HOME,
    MONEY,
    PERFORMANCE,
    PLACES_A_TO_Z,
    PRIVACY,
    PROGRAMMES,
    PROVIDERS,
    SEARCH,
    SITEMAP,
    WHATS_NEW,
    district_path,
    easy,
    lot_path,
    money_path,
    performance_path,
    programme_path,
    provider_path,
    round_news_path,
)
from ..model.publishable import District, SiteModel
from ..problems import BuildError
from ..words import AGE_GROUP_WORDS, SUPPORT_TYPE_WORDS
from .contexts import (
    AtoZContext,
    CheckedOn,
    ContentContext,
    DistrictContext,
    DistrictFilter,
    FindSupportContext,
    LotContext,
    LotMember,
    MoneyContext,
    MoneyOverviewContext,
    Page,
    PageContext,
    PerformanceContext,
    PerformanceOverviewContext,
    ProgrammeContext,
    ProviderContext,
    ProvidersContext,
    RoundNewsContext,
    WhatsNewContext,
)
from .whereyoulive import ONS_ATTRIBUTION, a_to_z, district_places, where_you_live


def find_support_listings(model: SiteModel, district: District, support_type: str | None = None,
                          age_group: str | None = None) -> tuple[tuple, ...]:
    """(lot, [(provider, listing)]) for the DPS lots in a district: awarded listings only."""
    groups = []
    for lot, rows in _district_listings(model, district):
        rows = [r for r in rows if (support_type is None or support_type in r[1].support_types)
                and (age_group is None or age_group in r[1].age_groups)]
        if rows:
            groups.append((lot, tuple(rows)))
    return tuple(groups)


def _district_listings(model: SiteModel, district: District) -> list[tuple]:
    """Each DPS lot's awarded listings in a district, by provider name: once per district, not per filter."""
    return model.derived(_work_out_district_listings, district.code)


def _work_out_district_listings(model: SiteModel, code: str) -> list[tuple]:
    groups = []
    for programme in model.programmes:
        if programme.route != "dynamic-purchasing-system":
            continue
        for lot in model.lots_of(programme.programme_id):
            rows = [(model.provider(x.provider_id), x)
                    for x in model.listings_of_lot(lot.programme_id, lot.lot_id)
                    if x.status == "awarded" and code in x.districts]
            groups.append((lot, sorted(rows, key=lambda r: r[0].name.lower())))
    return groups


def checked_on(model: SiteModel, provider) -> CheckedOn | None:
    """When the provider's entry was last checked: its ``last_checked``, else the award date of the latest
    round it was awarded a place in (the council checked it then)."""
    date, at_award = provider.last_checked, False
    if date is None:
        awards = [r.award_date for x in model.listings_of_provider(provider.provider_id)
                  if x.status != "applied" and (r := model.round(x.programme_id, x.round_id)) is not None
                  and r.status == "awarded" and r.award_date is not None]
        date, at_award = (max(awards), True) if awards else (None, False)
    if date is None:
        return None
    day = model.published_on
    year_before = day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)
    return CheckedOn(date, at_award, date < year_before)


def lot_members(model: SiteModel, lot) -> tuple[LotMember, ...]:
    """The providers on a lot that residents can still use, for its page."""
    listings = [x for x in model.listings_of_lot(lot.programme_id, lot.lot_id) if x.status != "left"]
    return tuple(LotMember(x.provider_id, model.provider(x.provider_id).name, x.status)
                 for x in sorted(listings, key=lambda x: x.provider_id))


def site_pages(model: SiteModel) -> list[Page]:
    """Every generated page, each standard page followed by its easy-read twin (worked out once per model)."""
    return model.derived(_site_pages)


def _site_pages(model: SiteModel) -> list[Page]:
    pages: list[Page] = []

    def pair(path: str, template: str, title: str, easy_title: str, parent=None,
             context: PageContext = PageContext()) -> None:
        pages.append(Page(path, template, title, context, twin=easy(path), parent=parent))
        easy_parent = (parent[0], easy(parent[1])) if parent else None
        pages.append(Page(easy(path), f"er_{template}", easy_title, context, twin=path, parent=easy_parent))

    home = ("Home", HOME)
    pair(HOME, "home", "Home", "Home")
    where = where_you_live(model)
    attribution = ONS_ATTRIBUTION if where.postcodes else ""
    pair(FIND_SUPPORT, "find_support", "Find support near you", "Find support near you", home,
         FindSupportContext(where, attribution))
    top = ("Find support near you", FIND_SUPPORT)
    if where.shown:
        for easy_read in (False, True):
            letters, postcodes = a_to_z(model, easy_read)
            path = easy(PLACES_A_TO_Z) if easy_read else PLACES_A_TO_Z
            parent = (top[0], easy(FIND_SUPPORT)) if easy_read else top
            pages.append(Page(path, "er_a_to_z" if easy_read else "a_to_z",
                              "Find your town" if easy_read else "Towns, villages and postcodes A to Z",
                              AtoZContext(where, letters, postcodes, attribution),
                              twin=PLACES_A_TO_Z if easy_read else easy(PLACES_A_TO_Z), parent=parent))
    for district in model.districts:
        here = district_path(district)
        places = district_places(model, district.code)
        pair(here, "district", f"Support in {district.name}", f"Support in {district.name}", top,
             DistrictContext(district, find_support_listings(model, district), None, places))
        for support_type, words in SUPPORT_TYPE_WORDS.items():
            pair(district_path(district, support_type=support_type), "district",
                 f"Support in {district.name}: {words}", f"Support in {district.name}: {words}",
                 (f"Support in {district.name}", here),
                 DistrictContext(district, find_support_listings(model, district, support_type=support_type),
                                 DistrictFilter("support_type", support_type, words), places))
        for age_group, words in AGE_GROUP_WORDS.items():
            pair(district_path(district, age_group=age_group), "district",
                 f"Support in {district.name} for people {words}", f"Support in {district.name}: people {words}",
                 (f"Support in {district.name}", here),
                 DistrictContext(district, find_support_listings(model, district, age_group=age_group),
                                 DistrictFilter("age_group", age_group, f"people {words}"), places))
    pair(PROVIDERS, "providers", "Organisations that give support", "Organisations that give support", home,
         ProvidersContext(model.providers))
    for provider in model.providers:
        pair(provider_path(provider.provider_id), "provider", provider.name, provider.name,
             ("Organisations that give support", PROVIDERS),
             ProviderContext(provider, tuple(model.listings_of_provider(provider.provider_id)),
                             checked_on(model, provider)))
    from .performance import lot_performance

    pair(PROGRAMMES, "programmes", "How the council buys support", "How the council buys support", home)
    for programme in model.programmes:
        pair(programme_path(programme.programme_id), "programme", programme.name, programme.easy_read_name,
             ("How the council buys support", PROGRAMMES), ProgrammeContext(programme))
        for lot in model.lots_of(programme.programme_id):
            kpis = lot_performance(model, lot.programme_id, lot.lot_id)
            pair(lot_path(lot.programme_id, lot.lot_id), "lot", lot.name, lot.easy_read_name,
                 (programme.name, programme_path(programme.programme_id)),
                 LotContext(programme, lot, lot_members(model, lot), kpis, tuple(k.chart for k in kpis if k.chart)))
    from .news import provider_names, round_news

    all_news = tuple(round_news(model))
    pages.append(Page(easy(WHATS_NEW), "er_whats_new", "What is new", WhatsNewContext(all_news), twin=WHATS_NEW,
                      parent=("Home", easy(HOME))))
    for news in all_news:
        path = round_news_path(news.round.round_id)
        pages.append(Page(easy(path), "er_round_news", news.title, RoundNewsContext(news, provider_names(model, news)),
                          twin=path, parent=("What is new", easy(WHATS_NEW))))
    from .money import money_pages

    money = tuple(money_pages(model))
    pair(MONEY, "money_overview", "Money", "Money", home, MoneyOverviewContext(money))
    for money_page in money:
        pid = money_page.programme.programme_id
        pair(money_path(pid), "money", f"Money: {money_page.programme.name}",
             f"Money: {money_page.programme.easy_read_name}", ("Money", MONEY),
             MoneyContext(money_page, money_page.charts))
    from .performance import performance_pages

    performance = tuple(performance_pages(model))
    pair(PERFORMANCE, "performance_overview", "How well the support works", "How well the support works", home,
         PerformanceOverviewContext(performance))
    for perf in performance:
        pid = perf.programme.programme_id
        pair(performance_path(pid), "performance", f"How well it works: {perf.programme.name}",
             f"How well it works: {perf.programme.easy_read_name}", ("How well the support works", PERFORMANCE),
             PerformanceContext(perf, tuple(c for s in perf.sections for c in (s.chart, s.lot_chart) if c)))
    pair(ABOUT_THE_NAME, "about_the_name", "About the name", "About the name", home)
    pair(GLOSSARY, "glossary", "Words we use", "Words to know", home)
    pair(ACCESSIBILITY, "accessibility", "Accessibility statement", "How we make this website easy to use", home)
    pair(PRIVACY, "privacy", "Privacy notice", "What we know about you", home)
    pages.append(Page(SITEMAP, "sitemap", "Sitemap", parent=home))
    pages.append(Page(SEARCH, "search", "Search", parent=home))
    pages.append(Page(DATA, "data", "Download the data", twin=easy(ABOUT_OUR_DATA), parent=home))
    data_home = ("Download the data", DATA)
    for path, template, title in ((DATA_DICTIONARY, "data_dictionary", "Data dictionary"),
                                  (DATA_CHANGELOG, "data_changelog", "What changed between rounds"),
                                  (DATA_POLICIES, "data_policies", "Publication policy")):
        pages.append(Page(path, template, title, twin=easy(ABOUT_OUR_DATA), parent=data_home))
    pages.append(Page(easy(ABOUT_OUR_DATA), "er_about_our_data", "About our data", twin=DATA,
                      parent=("Home", easy(HOME))))
    return pages


def planned_pages(model: SiteModel, content: Path) -> set[str]:
    """Every address the build will write: the generated pages, What's new and the hand-written pages."""
    from .news import round_news

    pages = {p.path for p in site_pages(model)}
    pages.add(WHATS_NEW)
    pages |= {round_news_path(n.round.round_id) for n in round_news(model)}
    pages |= content_pages(content)
    return pages


def content_pages(content: Path) -> set[str]:
    """Addresses of the hand-written pages, from their Slug or URL line."""
    found = set()
    for path in _content_files(content):
        head = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
        meta = {k.lower(): v for k, v in re.findall(r"^(\w+):\s*(.+)$", head, re.MULTILINE)}
        found.add(_content_address(path, meta))
    return found


def _content_files(content: Path) -> list[Path]:
    return sorted((content / "pages").glob("*.md")) if (content / "pages").is_dir() else []


def _content_address(path: Path, meta: dict) -> str:
    """A hand-written page's address from its metadata (keys in lower case, as Pelican reads them)."""
    return str(meta.get("url") or (f"{meta['slug']}/" if "slug" in meta else f"{path.stem}/"))


def artefact_pages(model: SiteModel, settings, content: Path) -> list[Page]:
    """Every page the artefacts stage is handed: the generated pages and the hand-written ones with a booklet."""
    return [*site_pages(model), *content_booklet_pages(settings, content)]


def content_booklet_pages(settings, content: Path) -> list[Page]:
    """The hand-written easy-read pages with a ``Booklet: yes`` line, as pages the artefacts stage makes a booklet
    and a recording of (template ``er_content``): their words rendered by Pelican's own Markdown reader, with the
    settings' ``MARKDOWN``, as their web page has them."""
    from pelican.readers import MarkdownReader

    # A copy: Pelican's reader adds its extensions to the MARKDOWN setting it is given, and the settings are an input
    # of the build's fingerprint, so reading from them in place made every next build look changed.
    reader = MarkdownReader(copy.deepcopy(settings.pelican))
    found = []
    for path in _content_files(content):
        html, meta = reader.read(str(path))
        if str(meta.get("booklet", "")).strip().lower() != "yes":
            continue
        address = _content_address(path, meta)
        if not address.startswith(EASY_READ):
            raise BuildError(f"{path.name} says 'Booklet: yes', but only an easy read page gets a booklet and a "
                             f"recording, and its address, {address}, is not below {EASY_READ}. Take the Booklet "
                             "line out, or give the page a URL and Save_as below easy-read/.")
        twin = meta.get("twin")
        found.append(Page(address, "er_content", str(meta.get("title") or path.stem),
                          ContentContext(html), twin=str(twin) if twin is not None else None))
    return found

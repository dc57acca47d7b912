"""Every page's address below the site root, and its easy-read twin's, in one place.

Addresses end in ``/`` (the page is ``<address>index.html``); the home page is
``""``. The easy-read twin of a page lives at the same address below
``easy-read/``. Pages, the sitemap, the change summary, the open data (which
links to provider pages) and the search index's shards all take their
addresses from here.
"""

from __future__ import annotations

from .words import slug

HOME = ""
EASY_READ = "easy-read/"
FIND_SUPPORT = "find-support/"
PROVIDERS = "providers/"
PROGRAMMES = "programmes/"
WHATS_NEW = "whats-new/"
WHATS_NEW_FEED = f"{WHATS_NEW}feed.atom.xml"
MONEY = "money/"
PERFORMANCE = "performance/"
ABOUT_THE_NAME = "about-the-name/"
GLOSSARY = "glossary/"
ACCESSIBILITY = "accessibility/"
SITEMAP = "sitemap/"
SEARCH = "search/"
DATA = "data/"
DATA_DICTIONARY = f"{DATA}dictionary/"
DATA_CHANGELOG = f"{DATA}changelog/"
DATA_POLICIES = f"{DATA}policies/"
OPEN_REFERRAL = f"{DATA}openreferral/"
PLACES_A_TO_Z = f"{FIND_SUPPORT}a-to-z/"  # every town, village and postcode first half, to its district
WHERE_YOU_LIVE = "where-you-live/"  # the files the browser looks a postcode or a town up in
PRIVACY = "privacy/"
ABOUT_OUR_DATA = "about-our-data/"  # the data pages' easy-read twin (below easy-read/)


def easy(path: str) -> str:
    """The easy-read twin's address of a page."""
    return EASY_READ + path


def programme_path(programme_id: str) -> str:
    return f"{PROGRAMMES}{programme_id}/"


def lot_path(programme_id: str, lot_id: str) -> str:
    return f"{PROGRAMMES}{programme_id}/lots/{lot_id}/"


def provider_path(provider_id: str) -> str:
    return f"{PROVIDERS}{provider_id}/"


def district_path(district, support_type: str | None = None, age_group: str | None = None) -> str:
    """A district's find-support page (``district`` has a ``name``), narrowed to a support type or age group."""
    path = f"{FIND_SUPPORT}{slug(district.name)}/"
    if support_type:
        path += f"{support_type}/"
    if age_group:
        path += f"age-{age_group}/"
    return path


def round_news_path(round_id: str) -> str:
    """A round's What's new entry (Pelican writes the standard one from ``ARTICLE_URL``)."""
    return f"{WHATS_NEW}{round_id}/"


ARTICLE_URL = f"{WHATS_NEW}{{slug}}/"  # Pelican's pattern for the same address


def money_path(programme_id: str) -> str:
    return f"{MONEY}{programme_id}/"


def performance_path(programme_id: str) -> str:
    return f"{PERFORMANCE}{programme_id}/"

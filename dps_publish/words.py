"""The site's vocabulary, in one place: codes in words, money, dates and slugs.

Pages, open data and the change summary all say things the same way because
they all say them through here: "one-to-one" is "one to one" everywhere, an
amount is written by ``money`` alone, a name becomes a web-address part by
``slug`` alone.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from .quarters import quarter_dates

SUPPORT_TYPE_WORDS = {
    "one-to-one": "one to one",
    "small-group": "in a small group",
    "large-group": "in a large group",
    "building-based": "in a building, like a day centre",
    "virtual": "online",
}
AGE_GROUP_WORDS = {"18-25": "aged 18 to 25", "26-plus": "aged 26 and over"}
SUPPORT_MODE_WORDS = {"in-person": "in person", "virtual": "online"}
STATUS_WORDS = {
    "awarded": "giving support",
    "suspended": "not taking new people at the moment",
    "left": "used to provide",
}
GROUP_WORDS = {"26-plus": "People aged 26 and over", "18-25": "People aged 18 to 25", "all": "Everyone"}
MEASURE_WORDS = {"budget": "Budget", "forecast": "Forecast", "actual": "Actual", "savings-target": "Savings target"}
ORGANISATION_TYPES = {
    "company": "A company",
    "charity": "A charity",
    "community-interest-company": "A community interest company",
    "micro-enterprise": "A micro-enterprise: a very small local organisation",
    "public-body": "A public body",
    "other": "An organisation",
}
ROUTES = {
    "dynamic-purchasing-system": "Dynamic purchasing system: providers can apply to join at each new round",
    "framework": "Framework: a fixed list of providers chosen at the start",
    "open-procedure": "Open tender",
    "restricted-procedure": "Restricted tender",
    "competitive-procedure-with-negotiation": "Tender with negotiation",
    "direct-award": "Direct award",
}


def money(value, *, pence: str = "when-needed", grouping: bool = True) -> str:
    """An amount of money as people read it: ``£9,547,321``, ``£1,234.50``, ``-£20``.

    ``pence``: ``"when-needed"`` shows pence only when there are any, ``"never"``
    rounds to whole pounds, ``"always"`` shows them, ``"as-written"`` keeps the
    figure's own digits. ``grouping=False`` leaves out the thousands commas.
    """
    if value is None:
        return ""
    amount = value if isinstance(value, Decimal) else Decimal(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    comma = "," if grouping else ""
    if pence == "as-written":
        digits = str(amount)
    elif pence == "never" or (pence == "when-needed" and amount == amount.to_integral_value()):
        digits = f"{amount:{comma}.0f}"
    else:
        digits = f"{amount:{comma}.2f}"
    return f"{sign}£{digits}"


def long_date(value: dt.date | None) -> str:
    """``1 October 2022``."""
    return "" if value is None else f"{value.day} {value:%B %Y}"


def year_words(financial_year: str) -> str:
    """``2021-22`` as ``April 2021 to March 2022``."""
    start = int(financial_year[:4])
    return f"April {start} to March {start + 1}"


def quarter_words(period: str) -> str:
    """``2023-Q2`` as ``April to June 2023``."""
    first, last = quarter_dates(period)
    return f"{first:%B} to {last:%B %Y}"


def slug(text: str) -> str:
    """A name as a part of a web address or an identifier: ``Folkestone & Hythe`` is ``folkestone-and-hythe``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", "and")).strip("-")


def join_words(items, last: str = "and") -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"

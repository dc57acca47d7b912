"""The two ways the tables and files name a quarter, read and written here only.

- A KPI's ``period`` is a calendar quarter, ``2023-Q1`` (January to March 2023), as the KPI pages show it.
- Spend over £500 is published a financial quarter at a time, ``2023-24-q1`` (April to June 2023): councils'
  years run from April.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

CALENDAR_QUARTER = re.compile(r"(?P<year>[0-9]{4})-Q(?P<quarter>[1-4])")


def quarter_dates(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a calendar quarter: ``2023-Q1`` is 1 January to 31 March 2023."""
    match = CALENDAR_QUARTER.fullmatch(period)
    if match is None:
        raise ValueError(f"{period!r} is not a quarter written like 2023-Q1")
    year, quarter = int(match["year"]), int(match["quarter"])
    first = dt.date(year, 3 * quarter - 2, 1)
    next_first = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, next_first - dt.timedelta(days=1)


def financial_quarters(dates: pd.Series) -> pd.Series:
    """The financial quarter of each ISO date: ``2023-24-q1`` for April to June 2023."""
    year = dates.str[:4].astype(int)
    month = dates.str[5:7].astype(int)
    start = year.where(month >= 4, year - 1)
    quarter = (month - 4) % 12 // 3 + 1
    return start.astype(str) + "-" + ((start + 1) % 100).astype(str).str.zfill(2) + "-q" + quarter.astype(str)

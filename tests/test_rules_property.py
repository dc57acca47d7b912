"""Property test: every rule copes with every value that reaches it.

For every column of every table, Hypothesis sets one cell (or a few related
cells) of the example data to a value that is not of the column's type, or
that is of its type but breaks the contract: fractions where counts are whole,
zero and negative denominators, numerators above denominators, dates out of
order or outside a round, empty list items, values at and beyond each limit,
unknown keys, ``all`` mixed with districts, huge numbers, odd whitespace and
Unicode. Validation must end in problems with listed codes (a problem about a
cell names its file, row and column), and data that passes must give a valid
publishable model and open data: never an unexpected exception.

It is fast because only the changed table is read and checked again: the
example's other tables come from an in-memory stand-in for the build's table
cache (``tablecache.TableCache``), keyed on the file's bytes as the real one is.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
import shutil
import types
import typing
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from dps_publish.model.build import build_model
from dps_publish.model.publishable import PUBLISHED
from dps_publish.opendata.changes import compare, read_tables
from dps_publish.opendata.datapackage import table_resources
from dps_publish.opendata.freeze import frozen_rounds
from dps_publish.opendata.ocds import record_package, release_package
from dps_publish.opendata.openreferral import open_referral_tables
from dps_publish.opendata.summary import new_tables
from dps_publish.opendata.transparency import contracts_register, spend_over_500
from dps_publish.problems import CODES
from dps_publish.settings import load_settings
from dps_publish.site.news import round_news
from dps_publish.sources import tablecache
from dps_publish.sources.schemas import TABLE_ORDER, load_schema
from dps_publish.sources.validate import validate_folder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
FROZEN = ROOT / "published"
SETTINGS = load_settings(ROOT / "pelicanconf.py")
TABLES = [name for name in TABLE_ORDER if (DATA / f"{name}.csv").is_file()]
CLEAN_ROWS = {name: list(csv.reader(io.StringIO((DATA / f"{name}.csv").read_text(encoding="utf-8-sig"), newline="")))
              for name in TABLES}

# Reproducible in CI, and nothing written into the repository (no .hypothesis database).
settings.register_profile(
    "rules-property", max_examples=300, deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Problems about one cell: they must say which file, row and column.
CELL_CODES = {
    "type-error", "constraint-error", "unique-error", "primary-key", "formula-cell", "cell-too-long", "foreign-key",
    "number-too-large", "date-out-of-range", "date-order", "left-date-missing", "left-date-unexpected", "lot-closed",
    "not-a-district", "kpi-out-of-range", "kpi-fraction", "kpi-value-mismatch", "kpi-count-denominator",
}
NOT_PLAIN = re.compile(r"Traceback|File \"|line \d+, in |\b\w+(Error|Exception)\b|<\w+ object at 0x")


# --- values ------------------------------------------------------------------------------------------------------

def column_values(name: str) -> list[str]:
    """Every value the example has in ``name`` across all tables (keys, codes, words people really write)."""
    found = []
    for table, rows in CLEAN_ROWS.items():
        if name in rows[0]:
            position = rows[0].index(name)
            found += [row[position] for row in rows[1:] if position < len(row)]
    return sorted(set(found))


DISTRICTS = sorted({cell for row in CLEAN_ROWS["districts"][1:] for cell in row[:2]})  # codes and names
ODD_TEXT = ["", " ", "\u00a0", "\t", "\u200b", "\ufeff", "\u202e", "e\u0301", "\U0001f600", "\x00", "\r\n", "a\nb",
            "=1+1", "@SUM(A1)", "+1", "-1", "-x", "<script>alert(1)</script>", "../..", "NaN", "None", "null",
            "x" * 1000, "x" * 32_767, "x" * 32_768, "ALL", "all", "Ａ", "а"]  # the last is Cyrillic
WHOLE = ["0", "-0", "1", "-1", "4", "5", "007", "00", "10", "11", "1.5", "121.5", "0.0", "1e3", "1,000", "1 000",
         "one", "٣", "１", "+5", " 5", "9" * 15, "9" * 16, "9" * 20, "9" * 400, "9" * 4301, "9" * 5000,
         "-" + "9" * 5000, "1" + "0" * 308, "0" * 5000]
NUMBERS = ["0", "-0", "0.0", "-1", "-0.1", "0.05", "0.1", "1.5", "90", "99.95", "100", "100.0", "100.05", "100.1",
           "101", "500", "500.01", "-500.01", "1e5", "1E-7", "NaN", "inf", "Infinity", "£1,234.50", "£ 975,000.00",
           "1,234", "1.234,50", "-£5", "(5)", "£-5", "0." + "0" * 30 + "1", "9" * 15, "9" * 16 + ".5",
           "9" * 20, "9" * 400, "9" * 4301 + ".1", "9" * 5000, "-" + "9" * 5000, "1" + "0" * 308, "0." + "1" * 5000]
DATES = ["0001-01-01", "0000-01-01", "1066-10-14", "1677-09-21", "1899-12-31", "1900-01-01", "1970-01-01",
         "2022-02-29", "2024-02-29", "2099-12-31", "2100-01-01", "2262-04-12", "2999-12-31", "9999-12-31", "10000-01-01", "31/02/2023", "29/02/2024",
         "1/1/2023", "01/01/0001", "31/12/9999", "2023-1-1", "2023-13-01", "2023-00-10", "2023/01/01", "01-10-2022",
         "45000", "2023-01-01T00:00", "today"]
BOOLEANS = ["yes", "no", "Y", "N", "TRUE", "False", "1", "0", "maybe", "yes;no"]
PERIODS = ["0000-Q1", "0001-Q1", "1899-Q4", "9999-Q4", "2023-Q0", "2023-Q5", "2023-q1", "2023Q1", "2023-Q1;2023-Q2"]
YEARS = ["0000-01", "9999-00", "2021-23", "2021-2", "2021/22", "2021-22"]


def dates():
    return st.one_of(st.sampled_from(DATES), st.dates().map(dt.date.isoformat),
                     st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)).map(dt.date.isoformat),
                     st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")))


def whole_numbers():
    return st.one_of(st.sampled_from(WHOLE), st.integers(-10, 1_000).map(str), st.integers(-10**30, 10**30).map(str),
                     st.decimals(-1000, 1000, places=1).map(str))


def numbers():
    return st.one_of(st.sampled_from(NUMBERS), st.integers(-10**6, 10**17).map(str),
                     st.decimals(-10**6, 10**6, places=2).map(str), st.decimals(0, 200, places=3).map(str))


def list_values(items: list[str]):
    """Lists as people write them, well and badly: empty items, stray separators, duplicates, other cases."""
    item = st.sampled_from(items) if items else st.text(max_size=12)
    joined = st.lists(st.one_of(item, st.sampled_from(["", " ", "all", "ALL"]), st.text(max_size=8)),
                      min_size=1, max_size=4)
    return st.one_of(
        st.tuples(joined, st.sampled_from([";", "; ", " ;", ";;", ",", " , "])).map(lambda x: x[1].join(x[0])),
        st.sampled_from([";", ";;", " ; ", "a;;b", ";" + (items[0] if items else "x"), (items[0] if items else "x") + ";"]),
    )


def values_for(table: str, spec: dict):
    """Values for one column: not of its type, and of its type but against the contract."""
    name, kind = spec["name"], spec["type"]
    constraints = spec.get("constraints", {})
    seen = column_values(name)
    parts = [st.sampled_from(ODD_TEXT), st.text(max_size=30)]
    if seen:
        parts.append(st.sampled_from(seen))  # another row's value: duplicate keys, known keys in new places
    if kind == "integer":
        parts.append(whole_numbers())
    elif kind == "number":
        parts.append(numbers())
    elif kind == "date":
        parts.append(dates())
    elif kind == "boolean":
        parts.append(st.sampled_from(BOOLEANS))
    for limit in ("minimum", "maximum"):
        if limit in constraints:
            edge = constraints[limit]
            parts.append(st.sampled_from([str(edge - 1), str(edge), str(edge + 1), f"{edge}.5", f"0{edge}"]))
    if "maxLength" in constraints:
        n = constraints["maxLength"]
        parts.append(st.sampled_from(["x" * (n - 1), "x" * n, "x" * (n + 1)]))
    if "enum" in constraints:
        allowed = constraints["enum"]
        parts.append(st.sampled_from(allowed + [a.upper() for a in allowed] + [f" {allowed[0]};{allowed[-1]}"]))
    if spec.get("x-list"):
        items = spec.get("x-itemEnum") or (DISTRICTS if name == "districts"
                                           else [i.strip() for v in seen for i in v.split(";")])
        parts.append(list_values(sorted(set(items))))
    if name in ("period",):
        parts.append(st.sampled_from(PERIODS))
    if name == "financial_year":
        parts.append(st.sampled_from(YEARS))
    if name.endswith("_id") or name in ("code", "term"):
        parts.append(st.sampled_from(column_values(name) + ["new-thing", "Bad Id", "a--b", "-a", "a-", "x" * 300,
                                                            "ａ", "hop-garden-makers", "1a", "2022-10-opening"]))
    return st.one_of(*parts)


# --- changes -----------------------------------------------------------------------------------------------------

@st.composite
def one_cell(draw):
    """(table, [(data row, column, value)]): one cell of any column of any table."""
    table = draw(st.sampled_from(TABLES))
    spec = draw(st.sampled_from(load_schema(table).fields))
    row = draw(st.integers(0, len(CLEAN_ROWS[table]) - 2))
    return table, [(row, spec["name"], draw(values_for(table, spec)))]


@st.composite
def kpi_counts(draw):
    """A KPI row's numerator, denominator and value together: fractions, 0 and negative denominators, n > d."""
    row = draw(st.integers(0, len(CLEAN_ROWS["kpis"]) - 2))
    count = st.one_of(st.sampled_from(["121.5", "0.5", "5.0", "", "-0", "007", "9" * 16, "9" * 5000, "1" + "0" * 400]),
                      st.integers(-3, 200).map(str))
    value = st.one_of(st.just(""), st.decimals(-5, 120, places=1).map(str), st.sampled_from(["100.1", "9" * 400]))
    cells = [(row, "numerator", draw(count)), (row, "denominator", draw(count))]
    if draw(st.booleans()):
        cells.append((row, "value", draw(value)))
    return "kpis", cells


@st.composite
def kpi_definition_changes(draw):
    """A KPI's unit, target or counts_people changed under the values already reported for it."""
    row = draw(st.integers(0, len(CLEAN_ROWS["kpi_definitions"]) - 2))
    column = draw(st.sampled_from(["unit", "target", "counts_people", "higher_is_better"]))
    value = {"unit": st.sampled_from(["percent", "count", "days", "Percent", ""]),
             "target": st.one_of(numbers(), st.just("")),
             "counts_people": st.sampled_from(BOOLEANS + [""]),
             "higher_is_better": st.sampled_from(BOOLEANS + [""])}[column]
    return "kpi_definitions", [(row, column, draw(value))]


@st.composite
def date_pairs(draw):
    """Two dates of one row together: out of order, equal, one missing, outside the round."""
    table, first, second = draw(st.sampled_from([("rounds", "opens", "closes"), ("rounds", "award_date", "services_start"),
                                                 ("programmes", "start_date", "end_date"),
                                                 ("milestones", "date", "date_end")]))
    row = draw(st.integers(0, len(CLEAN_ROWS[table]) - 2))
    a = draw(st.one_of(st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)), st.dates(),
                       st.sampled_from([dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.date(2100, 1, 1),
                                        dt.date(9999, 6, 1)])))
    days = draw(st.integers(-400, 400))
    b = a + dt.timedelta(days=days) if dt.date(2, 3, 1) <= a <= dt.date(9998, 10, 1) else a
    cells = [(row, first, a.isoformat()), (row, second, b.isoformat())]
    if draw(st.booleans()):
        cells.append((row, draw(st.sampled_from([first, second])), draw(st.sampled_from(["", "31/02/2023"]))))
    return table, cells


@st.composite
def listing_changes(draw):
    """A listing's status with its left date, its round, its districts."""
    row = draw(st.integers(0, len(CLEAN_ROWS["listings"]) - 2))
    status = draw(st.sampled_from(["applied", "awarded", "suspended", "left", "Left", ""]))
    left = draw(st.one_of(st.just(""), dates()))
    cells = [(row, "status", status), (row, "left_date", left)]
    extra = draw(st.sampled_from(["round_id", "districts", "none"]))
    if extra == "round_id":
        cells.append((row, "round_id", draw(st.sampled_from(column_values("round_id") + ["", "new-round"]))))
    elif extra == "districts":
        cells.append((row, "districts", draw(list_values(DISTRICTS + ["all"]))))
    return "listings", cells


@st.composite
def same_key(draw):
    """A row given another row's key, written the same or differently ("01" for 1, spaces, case)."""
    table = draw(st.sampled_from([t for t in TABLES if load_schema(t).key]))
    key = load_schema(table).key
    count = len(CLEAN_ROWS[table]) - 1
    source, target = draw(st.integers(0, count - 1)), draw(st.integers(0, count - 1))
    header = CLEAN_ROWS[table][0]
    cells = []
    for column in key:
        value = CLEAN_ROWS[table][source + 1][header.index(column)] if column in header else ""
        variant = draw(st.sampled_from(["same", "zero", "upper", "nbsp"]))
        value = {"same": value, "zero": "0" + value, "upper": value.upper(), "nbsp": value + "\u00a0"}[variant]
        cells.append((target, column, value))
    return table, cells


HUGE = ["9" * 16, "1" + "0" * 15, "0" * 20, "9" * 400, "-" + "9" * 400, "9" * 4301, "9" * 5000, "9" * 400 + ".5"]
FAR = {"date": ["0001-01-01", "1899-12-31", "2100-01-01", "9999-12-31", "01/01/0001", "31/12/9999"],
       "period": ["0000-Q1", "0001-Q1", "1899-Q4", "2100-Q1", "9999-Q4"],
       "financial_year": ["0000-01", "1899-00", "2100-01", "9999-00"]}
EXTREME_COLUMNS = [(table, spec["name"], HUGE if spec["type"] in ("integer", "number")
                    else FAR.get(spec["name"], FAR["date"]))
                   for table in TABLES for spec in load_schema(table).fields
                   if spec["type"] in ("integer", "number", "date") or spec["name"] in FAR]


@st.composite
def extremes(draw):
    """A figure or date of the right type that no record can hold: huge numbers, years far off."""
    table, column, values = draw(st.sampled_from(EXTREME_COLUMNS))
    row = draw(st.integers(0, len(CLEAN_ROWS[table]) - 2))
    return table, [(row, column, draw(st.sampled_from(values)))]


CHANGES = st.one_of(one_cell(), one_cell(), one_cell(), kpi_counts(), kpi_definition_changes(), date_pairs(),
                    listing_changes(), same_key(), extremes())


# --- running them ------------------------------------------------------------------------------------------------

class _Kept:
    """The build's table cache, in memory: a table whose file has the same bytes is not read or checked again."""

    def __init__(self):
        self.tables: dict[tuple[str, str], object] = {}

    def key(self, name: str, path: Path) -> tuple[str, str]:
        return name, hashlib.sha256(path.read_bytes()).hexdigest()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        kept = self
        monkeypatch.setattr(tablecache.TableCache, "load", lambda self, name, path: kept.tables.get(kept.key(name, path)))
        monkeypatch.setattr(tablecache.TableCache, "save",
                            lambda self, table, path: kept.tables.setdefault(kept.key(table.name, path), table))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A private copy of the example data, validated once, with the in-memory table cache installed."""
    folder = tmp_path_factory.mktemp("rules-property")
    data = folder / "data"
    shutil.copytree(DATA, data)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _Kept().install(monkeypatch)
        clean = validate_folder(data, cache=folder / "cache")
        assert clean.ok, [str(p) for p in clean.problems]
        yield data


def write_change(data: Path, table: str, cells: list[tuple[int, str, str]]) -> None:
    rows = [list(row) for row in CLEAN_ROWS[table]]
    for row, column, value in cells:
        if column not in rows[0]:  # a column the example leaves out
            rows[0].append(column)
            for other in rows[1:]:
                other.append("")
        rows[row + 1][rows[0].index(column)] = value
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    (data / f"{table}.csv").write_text(buffer.getvalue(), encoding="utf-8")


def check_problems(problems) -> None:
    for problem in problems:
        assert problem.code in CODES, problem
        assert problem.file and problem.message.strip(), problem
        assert not NOT_PLAIN.search(problem.message), problem.message
        if problem.code in CELL_CODES:
            table = Path(problem.file).stem.lower()
            assert isinstance(problem.row, int) and problem.row >= 2, problem
            assert problem.column in load_schema(table).field_names, problem


def _allowed(value, annotation) -> bool:
    """Whether a model field holds what its annotation says (``str | None``, ``tuple[str, ...]`` and so on)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_allowed(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin is tuple:
        return isinstance(value, tuple) and all(isinstance(v, str) and v.strip() for v in value)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is Decimal:
        return isinstance(value, Decimal) and value.is_finite()
    if annotation is dt.date:
        return isinstance(value, dt.date)
    return isinstance(value, annotation)


HINTS = {cls: typing.get_type_hints(cls) for cls in PUBLISHED.values()}


def check_model(model) -> None:
    """The publishable model is what the model's classes and the contract say it is."""
    hints = HINTS
    for name, cls in PUBLISHED.items():
        if name == "payments":
            continue
        for row in model.table(name):
            for f in dataclasses.fields(cls):
                value = getattr(row, f.name)
                assert _allowed(value, hints[cls][f.name]), (name, f.name, value)
    codes = {d.code for d in model.districts}
    assert all(set(x.districts) <= codes for x in model.listings)
    assert all(x.status != "applied" for x in model.listings)
    counts_people = {d.kpi_id: d.counts_people is not False for d in model.kpi_definitions}
    threshold = SETTINGS.small_number_threshold
    for k in model.kpis:
        for n in (k.numerator, k.denominator):
            assert n is None or n >= 0, k
            if counts_people.get(k.kpi_id, True):
                assert n is None or not 1 <= n < threshold, k  # a small count of people is never published


def _not_json(constant: str):
    raise AssertionError(f"{constant} is not JSON: a number too large or not a number reached the open data")


def strict_json(data: bytes | str) -> None:
    json.loads(data, parse_constant=_not_json)


def publish_cheaply(model) -> None:
    """The steps after the model that need no browser, no Pelican and no second process."""
    for resource in table_resources(model):
        assert resource.csv and resource.descriptor["schema"]["fields"]
        if resource.rows is not None:
            strict_json(resource.json)
    rounds = frozen_rounds(FROZEN)
    if rounds:
        compare(read_tables(rounds[-1].folder), new_tables(model))
    releases = release_package(model, SETTINGS)
    for package in (releases, record_package(model, SETTINGS, releases)):
        json.dumps(package, allow_nan=False)
    open_referral_tables(model, SETTINGS)
    contracts_register(model, SETTINGS)
    spend_over_500(model, SETTINGS)
    round_news(model)


def run_change(data: Path, table: str, cells) -> str:
    """Validate with the change; model and publish when it passes. The outcome, for the statistics."""
    write_change(data, table, cells)
    try:
        validation = validate_folder(data, cache=data.parent / "cache")
        check_problems(validation.problems)
        if not validation.ok:
            return "refused: " + ", ".join(sorted({p.code for p in validation.problems}))
        model = build_model(validation.tables, example_data=SETTINGS.example_data,
                            threshold=SETTINGS.small_number_threshold)
        check_model(model)
        publish_cheaply(model)
        return "accepted"
    finally:
        shutil.copyfile(DATA / f"{table}.csv", data / f"{table}.csv")


@settings(settings.get_profile("rules-property"))
@given(change=CHANGES)
def test_every_rule_copes_with_every_value(workspace, change):
    table, cells = change
    note(f"{table}.csv: " + "; ".join(f"data row {r} (spreadsheet row {r + 2}), {c} = {v[:80]!r}"
                                      + (f" … ({len(v)} characters)" if len(v) > 80 else "") for r, c, v in cells))
    event(run_change(workspace, table, cells))  # how many were refused, and why: --hypothesis-show-statistics


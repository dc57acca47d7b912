"""Part of the ``validate`` stage, last: the rules of the contract that span rows and tables.

Foreign keys first (a reference to a key that does not exist), then the
contract's own rules: figures and dates a real record can hold, dates in
order, ``left_date`` when a provider left, rounds only for lots that reopen,
districts that exist, KPI values that agree with their numerator and
denominator, jargon the glossary must explain.

A rule never reads a cell that already has a problem of its own (``refused``:
its file, row and column), and converts only what the type checks accept, so
a value outside the contract is a problem, never an exception.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from ..problems import Problem, one_of, quote
from .checks import TYPE_PATTERNS
from .readers import Header
from .schemas import load_schema

# No real count or amount of money has more digits than this before the point (£999 trillion); beyond
# it a figure cannot be charted exactly, and Python will not turn text of over 4,300 digits into a number.
MAX_DIGITS = 15
# Years a record of this programme can be about: beyond them the year is a slip (2203 for 2023), and
# OCDS dates (a programme's start plus ten contract years) must stay within what a date can be.
YEARS = (1900, 2099)
YEAR_FIELDS = {"period": "quarter", "financial_year": "financial year"}  # text columns that start with a year
GLOSSARY_MUST_EXPLAIN = ("DPS", "lot", "provider", "commissioning", "framework", "direct payment")


@dataclass
class SourceTable:
    """One table as read: ``typed`` holds the cells as people typed them, ``frame`` the normal form."""

    name: str
    file: str
    typed: pd.DataFrame
    frame: pd.DataFrame
    present: frozenset = field(default_factory=frozenset)  # the columns the file had (the rest are blank)
    header: Header = field(default_factory=Header)  # the file's own header and sheet: where each cell is

    def problem(self, row, column: str | None, code: str, message: str, value=None) -> Problem:
        if value is None and column is not None and row is not None:
            value = self.typed.at[row, column]
        return Problem(self.file, int(row) if row is not None else None, column, code,
                       None if value is None else str(value), message)


def district_key(text: str) -> str:
    """Names match whatever their case, and ``&`` matches ``and``."""
    return re.sub(r"\s+", " ", text.replace("&", " and ").strip().lower())


def district_lookup(districts: pd.DataFrame) -> dict[str, str]:
    """Every way a district may be written (code or name), to its code."""
    lookup: dict[str, str] = {}
    for code, name in zip(districts["code"], districts["name"]):
        lookup[district_key(code)] = code
        lookup[district_key(name)] = code
    return lookup


def _joined(frame: pd.DataFrame, fields: list[str]) -> pd.Series:
    if len(fields) == 1:
        return frame[fields[0]]
    joined = frame[fields[0]].astype("str")
    for name in fields[1:]:
        joined = joined + "\x1f" + frame[name].astype("str")
    return joined


def check_foreign_keys(tables: dict[str, SourceTable], unreadable: set[str] = frozenset()) -> list[Problem]:
    """References to rows that do not exist; none are checked against a table that could not be read."""
    problems: list[Problem] = []
    keys: dict[tuple, set] = {}  # each referenced key once: many tables refer to programmes and lots
    for table in tables.values():
        for fk in load_schema(table.name).foreign_keys:
            if fk["reference"]["resource"] in unreadable:
                continue
            target = tables.get(fk["reference"]["resource"])
            fields, ref_fields = fk["fields"], fk["reference"]["fields"]
            frame = table.frame
            filled = frame[fields[0]] != ""
            for name in fields[1:]:
                filled &= frame[name] != ""
            if not filled.any():
                continue
            ref = (fk["reference"]["resource"], *ref_fields)
            if ref not in keys:
                keys[ref] = set(_joined(target.frame, ref_fields)) if target is not None else set()
            missing = filled & ~_joined(frame, fields).isin(keys[ref])
            if not missing.any():
                continue
            pairs = set(zip(*(target.frame[f] for f in ref_fields))) if target is not None else set()
            ref_name = fk["reference"]["resource"]
            for row in frame.index[missing]:
                column = fields[-1]
                shown = " / ".join(frame.loc[row, fields])
                prefix = tuple(frame.loc[row, fields[:-1]])
                choices = sorted({v[-1] for v in pairs if tuple(v[:-1]) == prefix})
                hint = f" Use one of: {one_of(choices)}." if choices else ""
                problems.append(table.problem(row, column, "foreign-key",
                                              f"{quote(shown)} is not in {ref_name}. Add it to {ref_name} first, "
                                              f"or correct it.{hint}"))
    return problems


def refused_cells(problems: list[Problem]) -> frozenset:
    """(file, row, column) of every cell that already has a problem: no rule reads those again."""
    return frozenset((p.file, p.row, p.column) for p in problems if p.row is not None and p.column)


def check_rules(tables: dict[str, SourceTable], refused: frozenset = frozenset()) -> list[Problem]:
    """Each rule runs when the tables it reads could be read (a broken table is reported on its own).

    ``refused`` holds the cells with a problem already (see ``refused_cells``): the rules skip them.
    """
    problems = _values_in_range(tables, refused)
    refused = refused | refused_cells(problems)
    for rule, needs in ((_dates_in_order, ()), (_rounds_for_dps, ("programmes",)),
                        (_listing_rules, ("listings", "lots", "districts")), (_kpi_rules, ()),
                        (_glossary_covers_jargon, ("glossary",)), (_provider_sizes, ("providers",)),
                        (_payment_rules, ("payments",)), (_places_rules, ("districts",)),
                        (_checked_not_in_future, ("providers",))):
        if all(name in tables for name in needs):
            problems += rule(tables, refused)
    return problems


def _usable(table: SourceTable, refused: frozenset, *columns: str) -> pd.Series:
    """True for the rows where none of ``columns`` has a problem already."""
    rows = {row for file, row, column in refused if file == table.file and column in columns}
    return pd.Series(~table.frame.index.isin(list(rows)), index=table.frame.index)


def _of_type(values: pd.Series, kind: str) -> pd.Series:
    """True where the cell is filled and of its column's type, as the type checks decide."""
    return (values != "") & values.str.fullmatch(TYPE_PATTERNS[kind].pattern.strip("^$")).fillna(False).astype(bool)


def _values_in_range(tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    """Figures and dates of the right type that no real record can hold: too many digits, a year far off."""
    problems = []
    for table in tables.values():
        for spec in load_schema(table.name).fields:
            name, kind = spec["name"], spec["type"]
            if kind in ("integer", "number"):
                values = table.frame[name]
                long = values.str.len() > MAX_DIGITS  # cheap first: almost every figure is short
                if long.any():
                    long &= _of_type(values, kind) & _usable(table, refused, name)
                    problems += _too_many_digits(table, name, values[long])
            elif kind == "date" or name in YEAR_FIELDS:
                problems += _years_out_of_range(table, name, spec, refused)
    return problems


def _too_many_digits(table: SourceTable, name: str, values: pd.Series) -> list[Problem]:
    problems = []
    for row, value in values.items():
        digits = len(value.lstrip("-").split(".")[0])
        if digits > MAX_DIGITS:
            problems.append(table.problem(row, name, "number-too-large",
                                          f"{quote(table.typed.at[row, name])} has {digits:,} digits before the "
                                          f"decimal point; no figure here has more than {MAX_DIGITS}. Check it for "
                                          "extra digits or a pasted cell."))
    return problems


def _years_out_of_range(table: SourceTable, name: str, spec: dict, refused: frozenset) -> list[Problem]:
    values = table.frame[name]
    first, last = (str(y) for y in YEARS)
    # Compared as text, which is cheap: a value that starts with four digits sorts by its year.
    off = ((values < first) & (values != "")) | (values > last + "\uffff")
    if not off.any():
        return []
    year = values.str.slice(0, 4)
    off &= year.str.fullmatch("[0-9]{4}").fillna(False).astype(bool) & _usable(table, refused, name)
    if spec["type"] == "date":
        off &= _of_type(values, "date")
    what = YEAR_FIELDS.get(name, "date")
    return [table.problem(row, name, "date-out-of-range",
                          f"{quote(table.typed.at[row, name])} is in the year {year[row]}, but a {what} here must be "
                          f"from {first} to {last}. Check the year for a typing slip.")
            for row in values.index[off]]


def _dates_in_order(tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    problems = []
    for name, first, second, words in (
        ("programmes", "start_date", "end_date", "the end date must be after the start date"),
        ("rounds", "opens", "closes", "a round must close after it opens"),
        ("milestones", "date", "date_end", "the end date must not be before the start date"),
    ):
        table = tables.get(name)
        if table is None:
            continue
        a = pd.to_datetime(table.frame[first], format="%Y-%m-%d", errors="coerce")
        b = pd.to_datetime(table.frame[second], format="%Y-%m-%d", errors="coerce")
        wrong = ((b < a) if name == "milestones" else (b <= a)).fillna(False) & _usable(table, refused, first, second)
        for row in table.frame.index[wrong]:
            problems.append(table.problem(row, second, "date-order",
                                          f"{words} ({table.typed.at[row, first]} to {table.typed.at[row, second]}). "
                                          "Check both dates."))
    return problems


def _rounds_for_dps(tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    programmes = tables["programmes"]
    rounds = tables.get("rounds")
    with_rounds = set(rounds.frame["programme_id"]) if rounds is not None else set()
    problems = []
    dps = programmes.frame["route"] == "dynamic-purchasing-system"
    for row in programmes.frame.index[dps]:
        pid = programmes.frame.at[row, "programme_id"]
        if pid not in with_rounds:
            problems.append(programmes.problem(row, "route", "missing-rounds",
                                               f"{pid} is a dynamic purchasing system, so the rounds table needs at "
                                               f"least one round for it. Add its rounds to rounds.csv."))
    return problems


def first_rounds(rounds: SourceTable | None) -> dict[str, str]:
    """Each programme's first round: the one that opens earliest."""
    if rounds is None:
        return {}
    return first_rounds_of(zip(rounds.frame["programme_id"], rounds.frame["round_id"], rounds.frame["opens"]))


def first_rounds_of(rounds) -> dict[str, str]:
    """From (programme_id, round_id, opens) triples or ``Round`` objects: the earliest round per programme."""
    first: dict[str, tuple] = {}
    for item in rounds:
        pid, rid, opens = (item.programme_id, item.round_id, item.opens) if hasattr(item, "round_id") else item
        if pid not in first or (str(opens), rid) < first[pid]:
            first[pid] = (str(opens), rid)
    return {pid: rid for pid, (_, rid) in first.items()}


def _listing_rules(tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    listings = tables["listings"]
    frame = listings.frame
    problems = []
    rounds = tables.get("rounds")
    with_rounds = set(rounds.frame["programme_id"]) if rounds is not None else set()
    needs_round = frame["programme_id"].isin(with_rounds)
    if "round_id" not in listings.present and listings.present and needs_round.any():
        problems.append(Problem(listings.file, 1, "round_id", "missing-label", None,
                                "the column round_id is missing, and listings of programmes with rounds need it. "
                                "Add a column headed round_id with the round each provider joined in."))
        needs_round &= False
    for row in frame.index[needs_round & (frame["round_id"] == "") & _usable(listings, refused, "programme_id")]:
        problems.append(listings.problem(row, "round_id", "constraint-error",
                                         f"{frame.at[row, 'programme_id']} joins providers in rounds, so each of its "
                                         "listings needs the round_id of the round the provider joined in."))
    left = frame["status"] == "left"
    usable = _usable(listings, refused, "status", "left_date")
    for row in frame.index[left & (frame["left_date"] == "") & usable]:
        problems.append(listings.problem(row, "left_date", "left-date-missing",
                                         "the status is left, so left_date needs the day the provider left."))
    for row in frame.index[~left & (frame["left_date"] != "") & usable]:
        problems.append(listings.problem(row, "left_date", "left-date-unexpected",
                                         f"there is a left_date but the status is {frame.at[row, 'status']}. "
                                         "Set the status to left, or clear left_date."))
    problems += _closed_lots(listings, tables, refused)
    problems += _districts_exist(listings, tables["districts"], refused)
    return problems


def _closed_lots(listings: SourceTable, tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    """A lot that does not reopen takes providers only in its programme's first round."""
    lots = tables["lots"].frame
    closed = set(map(tuple, lots.loc[lots["reopens"] == "false", ["programme_id", "lot_id"]].itertuples(index=False)))
    first = first_rounds(tables.get("rounds"))
    problems = []
    frame = listings.frame
    usable = _usable(listings, refused, "programme_id", "lot_id", "round_id")
    for row, pid, lot, rid, ok in zip(frame.index, frame["programme_id"], frame["lot_id"], frame["round_id"], usable):
        if ok and rid and (pid, lot) in closed and pid in first and rid != first[pid]:
            problems.append(listings.problem(row, "round_id", "lot-closed",
                                             f"lot {lot} closed after the first round ({first[pid]}), so no provider "
                                             f"can join it in {rid}. Check the lot or the round."))
    return problems


def _places_rules(tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    """Each place and postcode names a district of the districts table (by code or name)."""
    problems = []
    districts = tables["districts"]
    lookup = district_lookup(districts.frame)
    names = list(districts.frame["name"])
    for name in ("places", "postcodes"):
        table = tables.get(name)
        if table is None:
            continue
        usable = _usable(table, refused, "district")
        values = table.frame["district"]
        unknown = (values != "") & usable & ~values.map(district_key).isin(set(lookup))
        for row in table.frame.index[unknown]:
            value = values[row]
            close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
            guess = f' Did you mean "{close[0]}"?' if close else ""
            problems.append(table.problem(row, "district", "not-a-district",
                                          f"{quote(value)} is not one of the districts in the districts table.{guess} "
                                          f"Use one of: {', '.join(names)} (or its code).",
                                          value=table.typed.at[row, "district"]))
    return problems


def _checked_not_in_future(tables: dict[str, SourceTable], refused: frozenset,
                           today: dt.date | None = None) -> list[Problem]:
    """A provider cannot have been checked on a day that has not come yet: the date is a typing slip."""
    providers = tables["providers"]
    today = today or dt.date.today()
    values = providers.frame["last_checked"]
    later = _of_type(values, "date") & (values > today.isoformat()) & _usable(providers, refused, "last_checked")
    return [providers.problem(row, "last_checked", "date-in-future",
                              f"{quote(providers.typed.at[row, 'last_checked'])} is after today "
                              f"({today.day} {today:%B %Y}), so the entry cannot have been checked then. Write the "
                              "day the council checked it with the provider, or leave it blank.")
            for row in values.index[later]]


def _districts_exist(listings: SourceTable, districts: SourceTable, refused: frozenset) -> list[Problem]:
    lookup = district_lookup(districts.frame)
    names = list(districts.frame["name"])
    place = "one of the districts in the districts table"
    problems = []
    usable = _usable(listings, refused, "districts")
    for row, value, ok in zip(listings.frame.index, listings.frame["districts"], usable):
        for item in value.split(";") if value and ok else ():
            if item.lower() == "all" or district_key(item) in lookup:
                continue
            close = difflib.get_close_matches(item, names, n=1, cutoff=0.6)
            guess = f' Did you mean "{close[0]}"?' if close else ""
            problems.append(listings.problem(row, "districts", "not-a-district",
                                             f"{quote(item)} is not {place}.{guess} Use one of: "
                                             f"{', '.join(names)}, or all.", value=item))
    return problems


def _kpi_rules(tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    kpis, definitions = tables.get("kpis"), tables.get("kpi_definitions")
    if kpis is None or definitions is None:
        return []
    units = dict(zip(definitions.frame["kpi_id"], definitions.frame["unit"]))
    problems = []
    frame = kpis.frame
    # Only counts that are whole numbers and a value that is a number, none with a problem of its own:
    # "121.5" in numerator is reported once, by the type checks, and is never read as a count here.
    usable = _usable(kpis, refused, "kpi_id", "numerator", "denominator", "value")
    for name, kind in (("numerator", "integer"), ("denominator", "integer"), ("value", "number")):
        usable &= (frame[name] == "") | _of_type(frame[name], kind)
    for name in ("numerator", "denominator"):
        usable &= frame[name].str.len() <= MAX_DIGITS + 1  # a sign and 15 digits: see number-too-large
    for row, kpi, num, den, value, ok in zip(frame.index, frame["kpi_id"], frame["numerator"],
                                             frame["denominator"], frame["value"], usable):
        unit = units.get(kpi)
        if not ok:
            continue
        n = int(num) if num else None
        d = int(den) if den else None
        v = Decimal(value) if value else None
        if unit == "percent":
            if v is not None and not 0 <= v <= 100:
                problems.append(kpis.problem(row, "value", "kpi-out-of-range",
                                             f"{quote(value)} is not a percentage from 0 to 100."))
            elif n is not None and d is not None:
                if d == 0 or n > d:
                    problems.append(kpis.problem(row, "numerator", "kpi-fraction",
                                                 f"the numerator ({n}) must not be more than the denominator ({d}), "
                                                 "and the denominator must not be 0."))
                elif v is not None and abs(Decimal(n) * 100 / d - v) > Decimal("0.1"):
                    problems.append(kpis.problem(row, "value", "kpi-value-mismatch",
                                                 f"the value {value} does not agree with {n} out of {d} "
                                                 f"({n / d * 100:.1f}). Correct the value or the counts."))
        elif unit == "count" and d is not None:
            problems.append(kpis.problem(row, "denominator", "kpi-count-denominator",
                                         "this measure is a count: put the count in numerator and leave "
                                         "denominator empty."))
    return problems


def _glossary_covers_jargon(tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    glossary = tables["glossary"]
    terms = {t.lower() for t in glossary.frame["term"]}
    missing = [t for t in GLOSSARY_MUST_EXPLAIN if t.lower() not in terms]
    return [Problem(glossary.file, None, "term", "glossary-missing-term", term,
                    f"the glossary must explain {quote(term)}, which the site cannot avoid. Add a row for it.")
            for term in missing]


def _provider_sizes(tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    """A micro-enterprise is micro: any other size with it is a contradiction."""
    providers = tables["providers"]
    frame = providers.frame
    wrong = ((frame["organisation_type"] == "micro-enterprise") & ~frame["size"].isin(["", "micro"])
             & _usable(providers, refused, "organisation_type", "size"))
    return [providers.problem(row, "size", "provider-size-mismatch",
                              f"the organisation type is micro-enterprise, which is the size micro, but the size says "
                              f"{quote(frame.at[row, 'size'])}. Make the size micro (or leave it blank), or correct "
                              "the organisation type.") for row in frame.index[wrong]]


def _payment_rules(tables: dict[str, SourceTable], refused: frozenset) -> list[Problem]:
    """Supplier ids that cannot be right, a lot without its programme, VAT the other way from the amount.

    Whole columns at a time: a year of a county's payments is millions of rows, and almost all are fine.
    """
    payments = tables["payments"]
    frame = payments.frame
    problems = []
    individual = frame["supplier_type"] == "individual"
    named = (frame["supplier_id"] != "") & _usable(payments, refused, "supplier_id", "supplier_type")
    for row in frame.index[named & individual]:
        problems.append(payments.problem(row, "supplier_id", "payment-individual-supplier-id",
                                         "a payment to an individual has no supplier id: an individual has no "
                                         "company or charity number, and any number would identify them. Leave "
                                         "supplier_id blank."))
    providers = tables.get("providers")
    if providers is not None:
        numbers = dict(zip(providers.frame["provider_id"], providers.frame["registration_number"]))
        theirs = frame["provider_id"].map(numbers).fillna("")
        differs = (named & ~individual & (theirs != "") & (_compact(frame["supplier_id"]) != _compact(theirs))
                   & _usable(payments, refused, "provider_id"))
        for row in frame.index[differs]:
            problems.append(payments.problem(
                row, "supplier_id", "payment-supplier-id-mismatch",
                f"the supplier id {quote(frame.at[row, 'supplier_id'])} is not the registration number of the "
                f"provider {frame.at[row, 'provider_id']} in providers ({quote(theirs[row])}). Leave supplier_id "
                "blank to use the provider's, or correct whichever is wrong."))
    orphan = (frame["lot_id"] != "") & (frame["programme_id"] == "") & _usable(payments, refused, "lot_id")
    for row in frame.index[orphan]:
        problems.append(payments.problem(row, "lot_id", "payment-lot-without-programme",
                                         "a lot is named but no programme: lot ids are only unique within a "
                                         "programme. Fill in programme_id too, or leave lot_id blank."))
    vat = frame["irrecoverable_vat_gbp"]
    has_vat = (vat != "") & _usable(payments, refused, "irrecoverable_vat_gbp", "amount_gbp")
    if has_vat.any():
        amount = pd.to_numeric(frame["amount_gbp"][has_vat], errors="coerce")
        tax = pd.to_numeric(vat[has_vat], errors="coerce")
        against = ((amount < 0) & (tax > 0)) | ((amount > 0) & (tax < 0))
        for row in against.index[against.fillna(False).astype(bool)]:
            refund = Decimal(frame.at[row, "amount_gbp"]) < 0
            problems.append(payments.problem(
                row, "irrecoverable_vat_gbp", "payment-vat-sign",
                f"the irrecoverable VAT {vat[row]} goes the other way from the amount {frame.at[row, 'amount_gbp']}: "
                + ("on a refund it is 0 or negative." if refund else "on a payment it is 0 or more.")
                + " Correct its sign."))
    return problems


def _compact(values: pd.Series) -> pd.Series:
    """Registration numbers as compared: no spaces, capitals (leading zeros kept: they are part of the number).

    Each distinct number is compacted once: a county's two million payments name a few thousand suppliers."""
    compacted = {value: "".join(value.split()).upper() for value in values.unique()}
    return values.map(compacted)

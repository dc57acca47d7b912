"""What changed between two versions of the published tables, in plain words.

Both sides are read from published CSV files (a frozen round, or the data a
build has just written), so the comparison sees exactly what a data user
sees. The changelog page, ``changelog.csv`` and ``dps-publish diff`` all use it.
Every changed value is said from and to: in words in ``text``, and as the
published cells in ``field``, ``before`` and ``after`` for scripts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import asdict, dataclass
from pathlib import Path

from ..problems import quote
from ..words import AGE_GROUP_WORDS, SUPPORT_MODE_WORDS, SUPPORT_TYPE_WORDS, join_words, long_date, money

TABLES = ("districts", "programmes", "lots", "rounds", "providers", "listings", "spend", "envelopes")


@dataclass(frozen=True)
class Change:
    """One change in plain words (``text``); where one value changed, which (``field``, the published column) and
    its published cells before and after (``None`` where there was no row before, or is none after)."""

    kind: str  # provider-joined, provider-left, provider-suspended, provider-back, listing-moved, listing-changed,
    #            lot-closed, lot-reopened, lot-changed, round-added, round-awarded, round-changed,
    #            figure-revised, figure-added, figure-removed, provider-details-changed, column-added,
    #            column-removed
    text: str
    table: str = ""
    key: str = ""
    field: str | None = None
    before: str | None = None
    after: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def sort_key(self) -> tuple:
        return self.kind, self.text, self.table, self.key, self.field or "", self.before or "", self.after or ""


def read_tables(folder: Path) -> dict[str, list[dict]]:
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if path.is_file():
            tables[name] = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return tables


def compare(old: dict[str, list[dict]], new: dict[str, list[dict]]) -> list[Change]:
    say = Sayer(old, new)
    changes = _listing_changes(old, new, say)
    changes += _lot_changes(old, new, say)
    changes += _round_changes(old, new, say)
    changes += _figure_changes(old, new)
    changes += _provider_detail_changes(old, new, say)
    changes += _column_changes(old, new)
    return sorted(set(changes), key=Change.sort_key)


# -- saying a published value in words ----------------------------------------------------------------------------

FIELD_WORDS = {
    "opens": "opening date",
    "closes": "closing date",
    "award_date": "award date",
    "services_start": "date services start",
    "left_date": "date it left",
    "round_id": "round it joined in",
    "easy_read_name": "easy read name",
    "easy_read_description": "easy read description",
    "organisation_type": "organisation type",
    "registration_number": "registration number",
    "support_types": "kinds of support",
    "age_groups": "age groups",
    "support_modes": "ways support is given",
}
DATE_FIELDS = {"opens", "closes", "award_date", "services_start", "left_date"}
LIST_WORDS = {"support_types": SUPPORT_TYPE_WORDS, "age_groups": AGE_GROUP_WORDS, "support_modes": SUPPORT_MODE_WORDS}
ROUND_STATUS_WORDS = {
    "planned": "planned",
    "open": "open for applications",
    "evaluating": "evaluating applications",
    "awarded": "awarded",
}
LISTING_STATUS_WORDS = {"awarded": "taking new people", "suspended": "not taking new people", "left": "left"}
REOPENS_WORDS = {"true": "open to new providers at each round", "false": "closed to new providers"}


class Sayer:
    """Published cells in words, knowing the names of the providers, lots and districts on either side."""

    def __init__(self, old: dict[str, list[dict]], new: dict[str, list[dict]]):
        both = {name: old.get(name, []) + new.get(name, []) for name in TABLES}
        self.providers = {r["provider_id"]: r["name"] for r in both["providers"]}
        self.lots = {(r["programme_id"], r["lot_id"]): r["name"] for r in both["lots"]}
        self.districts = {r["code"]: r["name"] for r in both["districts"]}
        self.all_districts = {r["code"] for r in new.get("districts", [])}

    def provider(self, provider_id: str) -> str:
        return self.providers.get(provider_id, provider_id)

    def lot(self, programme_id: str, lot_id: str) -> str:
        return f"lot {lot_id} ({self.lots.get((programme_id, lot_id), lot_id)})"

    def value(self, field: str, cell: str | None) -> str:
        if not cell:
            return "blank"
        if field in DATE_FIELDS:
            return date_words(cell)
        if field == "districts":
            return self.district_words(cell)
        if field in LIST_WORDS:
            return join_words(LIST_WORDS[field].get(part, part) for part in cell.split(";"))
        if field == "activities":
            return join_words(cell.split(";"))
        return quote(cell)

    def district_words(self, cell: str) -> str:
        codes = cell.split(";")
        if self.all_districts and set(codes) == self.all_districts:
            return "every district"
        return join_words(self.districts.get(code, code) for code in codes)


def date_words(cell: str) -> str:
    try:
        return long_date(dt.date.fromisoformat(cell))
    except ValueError:  # not a date as published today (an old round's file): say it as it is written
        return quote(cell)


def field_words(field: str) -> str:
    return FIELD_WORDS.get(field, field.replace("_", " "))


def _changed_fields(before: dict, after: dict, skip=()) -> list[str]:
    """The columns both versions have whose cells differ (a column new to the table is not a change to every row)."""
    return [f for f in after if f in before and f not in skip and before[f] != after[f]]


def _keyed(rows: list[dict], *key: str) -> dict[tuple, dict]:
    return {tuple(r[k] for k in key): r for r in rows}


# -- the tables ---------------------------------------------------------------------------------------------------

def _listing_changes(old, new, say: Sayer) -> list[Change]:
    before = _keyed(old.get("listings", []), "programme_id", "lot_id", "provider_id")
    after = _keyed(new.get("listings", []), "programme_id", "lot_id", "provider_id")
    out = []
    for key, row in after.items():
        pid, lot, provider = key
        who, where = say.provider(provider), say.lot(pid, lot)
        ref = "/".join(key)
        previous = before.get(key)
        if previous is None:
            kind, verb = ("provider-left", "left") if row["status"] == "left" else ("provider-joined", "joined")
            out.append(Change(kind, f"{who} {verb} {where}.", "listings", ref))
            continue
        if previous["status"] != row["status"]:
            out.append(_status_change(who, where, ref, previous["status"], row["status"]))
        if previous["districts"] != row["districts"]:
            out.append(Change("listing-moved", f"{who} now serves {say.value('districts', row['districts'])} "
                                               f"(before: {say.value('districts', previous['districts'])}) on {where}.",
                              "listings", ref, "districts", previous["districts"], row["districts"]))
        for field in _changed_fields(previous, row, skip=("status", "districts")):
            out.append(Change("listing-changed", f"{who} on {where}: {field_words(field)} changed from "
                                                 f"{say.value(field, previous[field])} to {say.value(field, row[field])}.",
                              "listings", ref, field, previous[field], row[field]))
    for key in before.keys() - after.keys():
        pid, lot, provider = key
        out.append(Change("provider-left", f"{say.provider(provider)} is no longer listed on {say.lot(pid, lot)}.",
                          "listings", "/".join(key)))
    return out


def _status_change(who: str, where: str, ref: str, old: str, new: str) -> Change:
    was = f"(before: {LISTING_STATUS_WORDS.get(old, old)})"
    if new == "left":
        kind, text = "provider-left", f"{who} left {where} {was}."
    elif new == "suspended":
        kind, text = "provider-suspended", f"{who} is not taking new people on {where} at the moment {was}."
    else:
        kind, text = "provider-back", f"{who} is taking new people again on {where} {was}."
    return Change(kind, text, "listings", ref, "status", old, new)


def _lot_changes(old, new, say: Sayer) -> list[Change]:
    before = _keyed(old.get("lots", []), "programme_id", "lot_id")
    out = []
    for key, row in _keyed(new.get("lots", []), "programme_id", "lot_id").items():
        previous = before.get(key)
        if previous is None:
            continue
        ref, lot = "/".join(key), f"Lot {key[1]} ({row['name']})"
        if previous["reopens"] != row["reopens"]:
            closed = row["reopens"] == "false"
            kind = "lot-closed" if closed else "lot-reopened"
            words = "closed to new providers" if closed else "open to new providers again"
            was = REOPENS_WORDS.get(previous["reopens"], previous["reopens"])
            out.append(Change(kind, f"{lot} is {words} (before: {was}).", "lots", ref,
                              "reopens", previous["reopens"], row["reopens"]))
        for field in _changed_fields(previous, row, skip=("reopens",)):
            out.append(Change("lot-changed", f"{lot}: {field_words(field)} changed from "
                                             f"{say.value(field, previous[field])} to {say.value(field, row[field])}.",
                              "lots", ref, field, previous[field], row[field]))
    return out


def _round_changes(old, new, say: Sayer) -> list[Change]:
    before = _keyed(old.get("rounds", []), "programme_id", "round_id")
    out = []
    for key, row in _keyed(new.get("rounds", []), "programme_id", "round_id").items():
        ref, previous = "/".join(key), before.get(key)
        if previous is None:
            out.append(Change("round-added", f"New round: {row['title']} (applications from "
                                             f"{say.value('opens', row['opens'])} to "
                                             f"{say.value('closes', row['closes'])}).", "rounds", ref))
            if row.get("status") == "awarded":
                out.append(_round_awarded(row, ref, None))
            continue
        for field in _changed_fields(previous, row):
            if field == "status" and row["status"] == "awarded":
                out.append(_round_awarded(row, ref, previous["status"]))
            elif field == "status":
                out.append(Change("round-changed", f"Round {quote(row['title'], 120)} changed from "
                                                   f"{_round_status(previous['status'])} to "
                                                   f"{_round_status(row['status'])}.",
                                  "rounds", ref, "status", previous["status"], row["status"]))
            else:
                out.append(Change("round-changed", f"Round {quote(row['title'], 120)}: the {field_words(field)} "
                                                   f"changed from {say.value(field, previous[field])} to "
                                                   f"{say.value(field, row[field])}.",
                                  "rounds", ref, field, previous[field], row[field]))
    return out


def _round_awarded(row: dict, ref: str, old_status: str | None) -> Change:
    on = f" on {date_words(row['award_date'])}" if row.get("award_date") else ""
    was = f" (before: {_round_status(old_status)})" if old_status is not None else ""
    return Change("round-awarded", f"Round {quote(row['title'], 120)} was awarded{on}{was}.", "rounds", ref,
                  "status", old_status, "awarded")


def _round_status(status: str | None) -> str:
    return ROUND_STATUS_WORDS.get(status, status) if status else "no status"


FIGURE_KEYS = {
    "spend": ("programme_id", "financial_year", "measure", "cost_type", "client_group"),
    "envelopes": ("programme_id", "lot_id", "contract_year"),
}


def _figure_changes(old, new) -> list[Change]:
    out = []
    for table, key in FIGURE_KEYS.items():
        before = _keyed(old.get(table, []), *key)
        after = _keyed(new.get(table, []), *key)
        for k, row in after.items():
            label, ref = " ".join(k[1:]), "/".join(k)
            if k not in before:
                out.append(Change("figure-added", f"New {table} figure: {label}, {_amount(row)}.", table, ref,
                                  "amount_gbp", None, row["amount_gbp"]))
            elif before[k]["amount_gbp"] != row["amount_gbp"]:
                out.append(Change("figure-revised", f"The {table} figure {label} was revised from "
                                                    f"{_amount(before[k])} to {_amount(row)}.",
                                  table, ref, "amount_gbp", before[k]["amount_gbp"], row["amount_gbp"]))
        for k in before.keys() - after.keys():
            out.append(Change("figure-removed", f"The {table} figure {' '.join(k[1:])}, {_amount(before[k])}, "
                                                "was removed.", table, "/".join(k),
                              "amount_gbp", before[k]["amount_gbp"], None))
    return out


def _provider_detail_changes(old, new, say: Sayer) -> list[Change]:
    before = _keyed(old.get("providers", []), "provider_id")
    out = []
    for key, row in _keyed(new.get("providers", []), "provider_id").items():
        previous = before.get(key)
        for field in _changed_fields(previous, row) if previous else []:
            out.append(Change("provider-details-changed",
                              f"{row['name']}: {field_words(field)} changed from {say.value(field, previous[field])} "
                              f"to {say.value(field, row[field])}.",
                              "providers", key[0], field, previous[field], row[field]))
    return out


def _column_changes(old, new) -> list[Change]:
    """A column added to or removed from a published table: a data user's scripts notice it before any row."""
    out = []
    for table in TABLES:
        if not old.get(table) or not new.get(table):  # a table new or gone is said by its rows, not its columns
            continue
        before, after = list(old[table][0]), list(new[table][0])
        for field in after:
            if field not in before:
                out.append(Change("column-added", f"The {table} table has a new column, {field} "
                                  f"({field_words(field)}).", table, field, field))
        for field in before:
            if field not in after:
                out.append(Change("column-removed", f"The {table} table no longer has the column {field} "
                                  f"({field_words(field)}).", table, field, field))
    return out


def _amount(row: dict) -> str:
    """A figure as people read it: ``£9,547,321``, pence only where it has them (``£1,234.50``)."""
    return money(row["amount_gbp"]) if row["amount_gbp"] else "blank"

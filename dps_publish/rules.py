"""Stage 4: the rules of the contract that span rows and tables.

Foreign keys first (a reference to a key that does not exist), then the
contract's own rules: dates in order, ``left_date`` when a provider left,
rounds only for lots that reopen, districts that exist, KPI values that agree
with their numerator and denominator, jargon the glossary must explain.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from .problems import Problem, one_of, quote
from .schemas import load_schema

NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
GLOSSARY_MUST_EXPLAIN = ("DPS", "lot", "provider", "commissioning", "framework", "direct payment")


@dataclass
class SourceTable:
    """One table as read: ``typed`` holds the cells as people typed them, ``frame`` the normal form."""

    name: str
    file: str
    typed: pd.DataFrame
    frame: pd.DataFrame
    present: frozenset = field(default_factory=frozenset)  # the columns the file had (the rest are blank)

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
    joined = frame[fields[0]].astype("str")
    for name in fields[1:]:
        joined = joined + "\x1f" + frame[name].astype("str")
    return joined


def check_foreign_keys(tables: dict[str, SourceTable], unreadable: set[str] = frozenset()) -> list[Problem]:
    """References to rows that do not exist; none are checked against a table that could not be read."""
    problems: list[Problem] = []
    for table in tables.values():
        for fk in load_schema(table.name).foreign_keys:
            if fk["reference"]["resource"] in unreadable:
                continue
            target = tables.get(fk["reference"]["resource"])
            fields, ref_fields = fk["fields"], fk["reference"]["fields"]
            frame = table.frame
            filled = (frame[fields] != "").all(axis=1)
            if not filled.any():
                continue
            known = _joined(target.frame, ref_fields) if target is not None else pd.Series([], dtype="str")
            missing = filled & ~_joined(frame, fields).isin(set(known))
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


def check_rules(tables: dict[str, SourceTable]) -> list[Problem]:
    """Each rule runs when the tables it reads could be read (a broken table is reported on its own)."""
    problems: list[Problem] = []
    for rule, needs in ((_dates_in_order, ()), (_rounds_for_dps, ("programmes",)),
                        (_listing_rules, ("listings", "lots", "districts")), (_kpi_rules, ()),
                        (_glossary_covers_jargon, ("glossary",))):
        if all(name in tables for name in needs):
            problems += rule(tables)
    return problems


def _dates_in_order(tables: dict[str, SourceTable]) -> list[Problem]:
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
        wrong = (b < a) if name == "milestones" else (b <= a)
        for row in table.frame.index[wrong.fillna(False)]:
            problems.append(table.problem(row, second, "date-order",
                                          f"{words} ({table.typed.at[row, first]} to {table.typed.at[row, second]}). "
                                          "Check both dates."))
    return problems


def _rounds_for_dps(tables: dict[str, SourceTable]) -> list[Problem]:
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


def _listing_rules(tables: dict[str, SourceTable]) -> list[Problem]:
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
    for row in frame.index[needs_round & (frame["round_id"] == "")]:
        problems.append(listings.problem(row, "round_id", "constraint-error",
                                         f"{frame.at[row, 'programme_id']} joins providers in rounds, so each of its "
                                         "listings needs the round_id of the round the provider joined in."))
    left = frame["status"] == "left"
    for row in frame.index[left & (frame["left_date"] == "")]:
        problems.append(listings.problem(row, "left_date", "left-date-missing",
                                         "the status is left, so left_date needs the day the provider left."))
    for row in frame.index[~left & (frame["left_date"] != "")]:
        problems.append(listings.problem(row, "left_date", "left-date-unexpected",
                                         f"there is a left_date but the status is {frame.at[row, 'status']}. "
                                         "Set the status to left, or clear left_date."))
    problems += _closed_lots(listings, tables)
    problems += _districts_exist(listings, tables["districts"])
    return problems


def _closed_lots(listings: SourceTable, tables: dict[str, SourceTable]) -> list[Problem]:
    """A lot that does not reopen takes providers only in its programme's first round."""
    lots = tables["lots"].frame
    closed = set(map(tuple, lots.loc[lots["reopens"] == "false", ["programme_id", "lot_id"]].itertuples(index=False)))
    first = first_rounds(tables.get("rounds"))
    problems = []
    frame = listings.frame
    for row, pid, lot, rid in zip(frame.index, frame["programme_id"], frame["lot_id"], frame["round_id"]):
        if rid and (pid, lot) in closed and pid in first and rid != first[pid]:
            problems.append(listings.problem(row, "round_id", "lot-closed",
                                             f"lot {lot} closed after the first round ({first[pid]}), so no provider "
                                             f"can join it in {rid}. Check the lot or the round."))
    return problems


def _districts_exist(listings: SourceTable, districts: SourceTable) -> list[Problem]:
    lookup = district_lookup(districts.frame)
    names = list(districts.frame["name"])
    kent = set(districts.frame["code"]) == {f"E070001{n:02d}" for n in range(5, 17)}
    place = "a Kent district" if kent else "one of the districts in the districts table"
    problems = []
    for row, value in zip(listings.frame.index, listings.frame["districts"]):
        for item in value.split(";") if value else ():
            if item.lower() == "all" or district_key(item) in lookup:
                continue
            close = difflib.get_close_matches(item, names, n=1, cutoff=0.6)
            guess = f' Did you mean "{close[0]}"?' if close else ""
            problems.append(listings.problem(row, "districts", "not-a-district",
                                             f"{quote(item)} is not {place}.{guess} Use one of: "
                                             f"{', '.join(names)}, or all.", value=item))
    return problems


def _kpi_rules(tables: dict[str, SourceTable]) -> list[Problem]:
    kpis, definitions = tables.get("kpis"), tables.get("kpi_definitions")
    if kpis is None or definitions is None:
        return []
    units = dict(zip(definitions.frame["kpi_id"], definitions.frame["unit"]))
    problems = []
    frame = kpis.frame
    for row, kpi, num, den, value in zip(frame.index, frame["kpi_id"], frame["numerator"],
                                         frame["denominator"], frame["value"]):
        unit = units.get(kpi)
        if not all(NUMBER.fullmatch(x) for x in (num, den, value) if x):
            continue  # the type checks have reported it
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


def _glossary_covers_jargon(tables: dict[str, SourceTable]) -> list[Problem]:
    glossary = tables["glossary"]
    terms = {t.lower() for t in glossary.frame["term"]}
    missing = [t for t in GLOSSARY_MUST_EXPLAIN if t.lower() not in terms]
    return [Problem(glossary.file, None, "term", "glossary-missing-term", term,
                    f"the glossary must explain {quote(term)}, which the site cannot avoid. Add a row for it.")
            for term in missing]

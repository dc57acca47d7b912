"""Part of the ``validate`` stage, third: check every cell of a normalised table against its Table Schema.

The checks are those frictionless makes row by row (types, required, enum,
pattern, minimum, maximum, length, unique), done a column at a time so they
keep pace with large tables, plus the contract's own cell rules (formula
characters). A problem names the value as the person typed it.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from ..problems import Problem, one_of, quote
from ..words import money, slug
from .schemas import TableSchema

SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"
TYPE_PATTERNS = {
    "integer": re.compile(r"^-?[0-9]+$"),
    "number": re.compile(r"^-?[0-9]+(\.[0-9]+)?$"),
    "boolean": re.compile(r"^(true|false)$"),
    "date": re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
}
FORMULA_START = ("=", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
PHONE = re.compile(r"^\+[0-9 ()-]+$")
INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def check_table(file: str, frame: pd.DataFrame, raw: pd.DataFrame, schema: TableSchema,
                skip: set[str] = frozenset()) -> list[Problem]:
    """Every cell problem of one table; ``raw`` holds the cells as typed, for messages.

    ``skip`` names columns missing from the file: reported once as missing, not once per row.
    """
    problems: list[Problem] = []
    for spec in schema.fields:
        name = spec["name"]
        if name not in skip:
            problems += _check_column(file, frame[name], raw[name], spec)
    if not set(schema.key) & set(skip):
        problems += _check_unique_key(file, frame, schema)
    return problems


def _check_column(file: str, values: pd.Series, typed: pd.Series, spec: dict) -> list[Problem]:
    name = spec["name"]
    constraints = spec.get("constraints", {})
    problems: list[Problem] = []
    blank = values == ""

    def report(mask: pd.Series, code: str, message) -> pd.Series:
        for row in values.index[mask]:
            problems.append(Problem(file, int(row), name, code, str(typed[row]), message(typed[row])))
        return mask

    if constraints.get("required"):
        report(blank, "constraint-error",
               lambda v: f"this cell is empty, but every row needs a value in {name}.")
        if spec["type"] == "string" and not blank.all():  # a name that is only a non-breaking space looks empty
            report(~blank & values.str.fullmatch(INVISIBLE.pattern), "only-spaces",
                   lambda v: f"this cell holds only spaces or invisible characters, but every row needs a value "
                             f"in {name}. Type the value, or delete the row.")
    present = ~blank
    kind = spec["type"]
    bad = pd.Series(False, index=values.index)
    if kind in TYPE_PATTERNS:
        bad = present & ~values.str.match(TYPE_PATTERNS[kind].pattern)
        if kind == "date":
            parsed = pd.to_datetime(values.where(present & ~bad), format="%Y-%m-%d", errors="coerce")
            bad |= present & parsed.isna()
        report(bad, "type-error", lambda v: _type_message(spec, v))
    ok = present & ~bad
    if spec.get("x-money"):
        for row in values.index[ok & values.str.contains(r"\.[0-9]{3}", regex=True)]:
            problems.append(Problem(file, int(row), name, "money-precision", str(typed[row]),
                                    _precision_message(str(typed[row]), values[row])))
    if "enum" in constraints:
        allowed = set(constraints["enum"])
        report(ok & ~values.isin(allowed), "constraint-error",
               lambda v: f"{quote(v)} is not allowed here. Use one of: {one_of(constraints['enum'])}.")
    if spec.get("x-itemEnum"):
        allowed = spec["x-itemEnum"]
        report(ok & ~values.str.fullmatch(constraints["pattern"].strip("^$")), "constraint-error",
               lambda v: _item_message(v, allowed))
    elif "pattern" in constraints and kind == "string":
        report(ok & ~values.str.fullmatch(constraints["pattern"]), "constraint-error",
               lambda v: _pattern_message(spec, v))
    if kind in ("integer", "number"):
        numbers = pd.to_numeric(values.where(ok), errors="coerce")
        if "minimum" in constraints:
            report(ok & (numbers < constraints["minimum"]), "constraint-error",
                   lambda v: f"{quote(v)} is less than {constraints['minimum']}, the smallest allowed here.")
        if "maximum" in constraints:
            report(ok & (numbers > constraints["maximum"]), "constraint-error",
                   lambda v: f"{quote(v)} is more than {constraints['maximum']}, the largest allowed here.")
    if "maxLength" in constraints:
        report(ok & (values.str.len() > constraints["maxLength"]), "constraint-error",
               lambda v: f"this is longer than {constraints['maxLength']} characters. Shorten it.")
    if constraints.get("unique"):
        report(present & values.duplicated(keep="first"), "unique-error",
               lambda v: f"{quote(v)} appears more than once in {name}; each row needs its own.")
    if kind == "string":
        report(present & _formula_like(values, name), "formula-cell",
               lambda v: f"{quote(v)} starts with a character that makes a spreadsheet run it as a formula "
                         "when someone opens the download. Remove the first character, or put the text "
                         "another way.")
    return problems


def _formula_like(values: pd.Series, name: str) -> pd.Series:
    first = values.str[:1]
    risky = first.isin(FORMULA_START)
    signed = first.isin(("+", "-"))
    if signed.any():  # only cells that start with a sign need the slower look
        candidates = values[signed]
        safe = candidates.str.fullmatch(NUMBER.pattern.strip("^$"))
        if name == "phone":
            safe |= candidates.str.fullmatch(PHONE.pattern.strip("^$"))
        signed[signed] = ~safe
    return risky | signed


def _check_unique_key(file: str, frame: pd.DataFrame, schema: TableSchema) -> list[Problem]:
    key = schema.key
    if not key or len(frame) == 0:
        return []
    # Keys compare as values: contract year "01" is the same year as "1".
    keys = frame[key].copy()
    for name in key:
        if schema.field(name)["type"] == "integer":
            keys[name] = keys[name].str.replace(r"^(-?)0+(?=[0-9])", r"\1", regex=True)
    duplicated = keys.duplicated(keep="first")
    problems = []
    for row in frame.index[duplicated]:
        value = ", ".join(f"{k} {frame.at[row, k]}" for k in key)
        what = " and ".join(key)
        problems.append(Problem(file, int(row), key[-1], "primary-key", value,
                                f"another row already has the same {what} ({value}). Each row needs its own; "
                                "delete the repeated row or correct it."))
    return problems


def _type_message(spec: dict, value: str) -> str:
    if spec.get("x-money"):
        return (f"{quote(value)} is not an amount of money we can read. Write money like 1234.50, "
                "1,234.50 or £1,234.50 (a full stop before the pence, commas between thousands).")
    kind = spec["type"]
    if kind == "date":
        return (f"{quote(value)} is not a real date. Write dates day first, like 01/10/2022, or as "
                "2022-10-01.")
    if kind == "boolean":
        return f"{quote(value)} is not yes or no. Write yes or no."
    if kind == "integer":
        return f"{quote(value)} is not a whole number. Write a number like 12, with no other characters."
    return f"{quote(value)} is not a number. Write a number like 12.5, with no other characters."


def _precision_message(typed: str, value: str) -> str:
    """1.234 could be £1,234 (a full stop between the thousands, as in much of Europe) or £1.23."""
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    pounds, pence = digits.split(".")
    rounded = Decimal(digits).quantize(Decimal("0.01"), ROUND_HALF_UP)
    to_the_penny = money(-rounded if sign else rounded, pence="always")
    if len(pence) == 3 and len(pounds) <= 3 and pounds.strip("0") and typed.count(".") == 1 and "," not in typed:
        thousands = money(-int(pounds + pence) if sign else int(pounds + pence), pence="never")
        return (f"{quote(typed)} has three figures after the point, so it could be {thousands} (a full stop "
                f"between the thousands) or {to_the_penny} (pounds and pence). Which is it? Write "
                f"{sign}{int(pounds + pence)} for {thousands} or {sign}{rounded} for {to_the_penny}: money has at "
                "most two figures after the point.")
    return (f"{quote(typed)} has more than two figures after the point, so it is not pounds and pence. "
            f"Did you mean {to_the_penny}? Write it as {sign}{rounded}: money has at most two figures "
            "after the point.")


def _item_message(value: str, allowed: list[str]) -> str:
    wrong = [i for i in value.split(";") if i not in allowed]
    return (f"{quote(wrong[0])} is not one of the values this column takes. Use one or more of: "
            f"{one_of(allowed)}, separated by semicolons.")


def _pattern_message(spec: dict, value: str) -> str:
    pattern = spec["constraints"]["pattern"]
    name = spec["name"]
    if pattern == SLUG_PATTERN:
        suggestion = slug(value) or "my-name"
        return (f"{quote(value)} cannot be used in a web address. Use only lower-case letters, digits and "
                f"single hyphens, like {quote(suggestion)}.")
    if name == "website":
        return f"{quote(value)} is not a web address. Start it with https:// (for example https://www.example.org)."
    if name == "email":
        return f"{quote(value)} does not look like an email address. Write it like name@example.org."
    if name == "decision_numbers":
        return f"{quote(value)} is not a decision number. Write each like 22/00034, separated by semicolons."
    if name == "financial_year":
        return f"{quote(value)} is not a financial year. Write it like 2021-22."
    if name == "period":
        return f"{quote(value)} is not a quarter. Write it like 2023-Q1."
    if name == "postcode":
        return (f"{quote(value)} is not a full postcode. Write it like NT1 1AA: the first half, then a "
                "digit and two letters (spaces and small letters do not matter).")
    if name == "code":
        return f"{quote(value)} is not an ONS district code. Write it like E07000123."
    return f"{quote(value)} is not in the form this column takes ({spec['description']})."

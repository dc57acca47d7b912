"""Part of the ``validate`` stage, second: put each table in its normal form, column by column.

Headers are matched to the schema whatever their case or spacing. Cells in a
form the contract accepts are rewritten to one canonical form (ISO dates,
plain decimal money, ``true``/``false``, lists joined by ``;``). A cell in a
form we do not recognise is left as it was, so the schema checks that follow
report it with the value the person typed.
"""

from __future__ import annotations

import re

import pandas as pd

from ..problems import Problem, quote
from .readers import RawTable, column_letter, normalise_label
from .schemas import TableSchema

TRUE_WORDS = {"yes", "y", "true"}
FALSE_WORDS = {"no", "n", "false"}
BOOLEAN_WORDS = {**{w: "true" for w in TRUE_WORDS}, **{w: "false" for w in FALSE_WORDS}}
PLAIN_NUMBER = r"-?[0-9]+(\.[0-9]+)?"
MONEY = re.compile(r"^(?P<sign1>-?)\s*£?\s*(?P<sign2>-?)\s*(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?P<dec>\.[0-9]+)?$")
# A full UK postcode without its space: the outward code (area, district) and the inward code (a digit, two letters).
POSTCODE_COMPACT = r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}"
UK_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


def normalise_table(raw: RawTable, schema: TableSchema) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """The table with the schema's columns, in the schema's order, every cell a string.

    Returns the cells as typed (for messages), the cells normalised, and the
    problems with the header.
    """
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    known = set(schema.field_names)
    replaced = schema.descriptor.get("x-replaced-columns", {})  # a column the contract used to have, and its successor
    for position, label in enumerate(raw.labels):
        name = normalise_label(label)
        if not name:
            filled = raw.frame[position] != ""
            if filled.any():
                first = int(raw.frame.index[filled][0])
                problems.append(Problem(raw.file, first, column_letter(position), "blank-label", None,
                                        "this column has values but no heading. Give it one of the contract's "
                                        "column names or delete it."))
            continue
        if name in replaced:
            problems.append(Problem(raw.file, 1, label, "replaced-label", label,
                                    f"the column {quote(label)} is no longer part of the {schema.name} table. "
                                    + replaced[name]))
        elif name not in known:
            problems.append(Problem(raw.file, 1, label, "extra-label", label,
                                    f"the contract has no column called {quote(label)} for {schema.name}. "
                                    "It may hold something that must not be published, so it is not "
                                    f"accepted. Remove the column, or rename it to one of: {', '.join(schema.field_names)}."))
        elif name in columns:
            problems.append(Problem(raw.file, 1, label, "duplicate-label", label,
                                    f"there are two columns called {quote(name)}. Delete or rename one of them."))
        else:
            columns[name] = position
    needed = set(schema.required_fields()) | set(schema.key)
    for name in schema.field_names:
        if name not in columns and name in needed and raw.labels:
            problems.append(Problem(raw.file, 1, name, "missing-label", None,
                                    f"the column {name} is missing, and every row needs it. Add a column "
                                    f"headed {name}."))
    typed, data = {}, {}
    for spec in schema.fields:
        name = spec["name"]
        if name in columns:
            typed[name] = raw.frame[columns[name]]
            floats = raw.xlsx_numbers.get(columns[name]) if spec.get("x-money") else None
            if floats:
                typed[name] = to_the_penny(typed[name], floats)
            data[name] = normalise_column(typed[name], spec)
        else:
            typed[name] = data[name] = pd.Series([""] * len(raw.frame), index=raw.frame.index, dtype="str")
    index = raw.frame.index
    return pd.DataFrame(typed, index=index), pd.DataFrame(data, index=index), problems


def normalise_column(values: pd.Series, spec: dict) -> pd.Series:
    """Only the cells not already in normal form are rewritten, so large clean tables cost little."""
    values = values.astype("str")
    if spec.get("x-money"):
        return _rewrite(values, ~values.str.fullmatch(PLAIN_NUMBER) & (values != ""), normalise_money)
    kind = spec["type"]
    if kind == "date":
        return _rewrite(values, values.str.contains("/", regex=False), normalise_date)
    if kind == "boolean":
        words = values.str.lower().map(BOOLEAN_WORDS)
        return words.where(words.notna(), values).astype("str")
    if spec.get("x-postcode"):
        return normalise_postcodes(values)
    if spec.get("x-list"):
        return _rewrite(values, values.str.contains(";", regex=False), normalise_list)
    return values


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """``me141xx`` and `` ME14  1XX`` as ``ME14 1XX``; a cell that is not a postcode is left as typed."""
    compact = values.str.upper().str.replace(r"\s+", "", regex=True)
    ok = compact.str.fullmatch(POSTCODE_COMPACT).fillna(False).astype(bool)
    return values.where(~ok, compact.str[:-3] + " " + compact.str[-3:])


def _rewrite(values: pd.Series, mask: pd.Series, rewrite) -> pd.Series:
    if not mask.any():
        return values
    values = values.copy()
    values[mask] = values[mask].map(rewrite)
    return values


def to_the_penny(values: pd.Series, rows: list[int]) -> pd.Series:
    """Workbook number cells within a millionth of a whole penny, as that amount.

    Excel keeps the result of a calculation as a binary fraction: it shows
    1428.64 and stores 1428.6399999999999. Only real number cells of a workbook
    are read this way; a CSV that says 1428.6399999999999 means what it says.
    """
    values = values.copy()
    for row in rows:
        number = float(values[row])
        pence = round(number, 2)
        if abs(number - pence) < 1e-6:
            values[row] = f"{pence:.2f}".rstrip("0").rstrip(".") if pence else "0"
    return values


def normalise_money(text: str) -> str:
    match = MONEY.match(text)
    if not match or (match["sign1"] and match["sign2"]):
        return text
    sign = "-" if (match["sign1"] or match["sign2"]) else ""
    return f"{sign}{match['int'].replace(',', '')}{match['dec'] or ''}"


def normalise_date(text: str) -> str:
    match = UK_DATE.match(text)
    if match:
        day, month, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def normalise_list(text: str) -> str:
    return ";".join(item.strip() for item in text.split(";") if item.strip())

"""Problems found in the source tables, as data.

Every problem has a stable ``code`` (tests and scripts rely on it), the place
it was found (file, spreadsheet row, column), the bad value, and a message in
words a comms officer understands that says what to do about it.

The codes that mean the same as frictionless' error types use frictionless'
names (``type-error``, ``constraint-error``, ``primary-key``, ``foreign-key``,
``missing-label``, ``extra-label``, ``blank-label``, ``duplicate-label``).
"""

from __future__ import annotations

from dataclasses import dataclass

# Every code a problem may carry, with what it means. Tests hold the code to this list.
CODES = {
    # reading a file
    "missing-folder": "the data folder does not exist",
    "missing-table": "a required table has no file",
    "unknown-table": "a file in the data folder is not a table of the contract",
    "duplicate-table": "a table is there twice (as .csv and .xlsx)",
    "bad-encoding": "the file is not UTF-8 or Windows-1252 text",
    "unreadable-file": "the file cannot be opened as a workbook",
    "malformed-csv": "the CSV cannot be read (cut short, a quote left open)",
    "empty-file": "the file is empty",
    "no-rows": "a required table has a header but no rows",
    "xlsx-formula": "a workbook cell holds a formula, not a value",
    "cell-too-long": "a cell is longer than a spreadsheet cell can be",
    "extra-cell": "a row has a value beyond the last column",
    "missing-cell": "a row has fewer cells than the header",
    # the header
    "missing-label": "a required or key column is missing",
    "extra-label": "a column the contract does not know",
    "replaced-label": "a column the contract used to have, now replaced by another",
    "duplicate-label": "two columns have the same name",
    "blank-label": "a column with values has no heading",
    # cells (frictionless' names where the meaning is the same)
    "type-error": "a value is not of the column's type",
    "constraint-error": "a value breaks a rule of its column (required, allowed values, pattern, range)",
    "unique-error": "a value that must be unique is repeated",
    "primary-key": "two rows have the same key",
    "formula-cell": "a text cell a spreadsheet would run as a formula",
    "only-spaces": "a required text cell that holds only spaces or invisible characters",
    "money-precision": "an amount of money with more than two figures after the point (1.234: £1,234 or £1.23?)",
    # across rows and tables
    "number-too-large": "a number with more than 15 digits before the point: no real figure is that large",
    "date-out-of-range": "a date, quarter or financial year before 1900 or after 2099: a slip in the year",
    "foreign-key": "a reference to a row that does not exist",
    "date-order": "an end date before its start date",
    "missing-rounds": "a dynamic purchasing system without rounds",
    "left-date-missing": "a provider left but the date is missing",
    "left-date-unexpected": "a left date for a provider that has not left",
    "provider-size-mismatch": "a micro-enterprise given a size other than micro",
    "payment-individual-supplier-id": "a payment to an individual with a supplier id",
    "payment-supplier-id-mismatch": "a payment's supplier id is not its provider's registration number",
    "payment-lot-without-programme": "a payment names a lot but not its programme",
    "payment-vat-sign": "irrecoverable VAT that goes the other way from the payment",
    "lot-closed": "a provider joining a lot that closed after the first round",
    "not-a-district": "a district that does not exist",
    "kpi-out-of-range": "a percentage outside 0 to 100",
    "kpi-fraction": "a numerator larger than its denominator, or a denominator of 0",
    "kpi-value-mismatch": "a KPI value that disagrees with its numerator and denominator",
    "kpi-count-denominator": "a count KPI with a denominator",
    "glossary-missing-term": "a word the site cannot avoid is missing from the glossary",
    # the built pages
    "naming-register": "a word from the naming register where it must not be",
    "easy-read-sentence-too-long": "an easy-read sentence of more than 15 words",
    "booklet-unprintable": "a letter the easy-read booklets' font cannot print",
}


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    code: str
    value: str | None
    message: str
    # The cell as the spreadsheet names it (``G14``) and, in a workbook, the sheet: filled in by
    # ``validate_folder`` from the file's own header, so every stage can leave them out.
    sheet: str | None = None
    cell: str | None = None

    def __str__(self) -> str:
        place = [self.file]
        if self.cell:
            if self.sheet:
                place.append(f"sheet {self.sheet}")
            place.append(f"cell {self.cell} (row {self.row}, column {self.column})")
        else:
            if self.row is not None:
                place.append(f"row {self.row}")
            if self.column:
                place.append(f"column {self.column}")
        return f"{', '.join(place)}: {self.message}"

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


def quote(value: object, limit: int = 60) -> str:
    """A cell value as people should see it in a message: quoted, short, printable."""
    text = str(value)
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def one_of(options, limit: int = 12) -> str:
    options = list(options)
    shown = ", ".join(str(o) for o in options[:limit])
    return shown + (", …" if len(options) > limit else "")


class DataProblems(Exception):
    """The source tables have problems: nothing is published."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_sort_key)
        super().__init__(f"{len(self.problems)} problem(s) in the source tables")


def _sort_key(p: Problem):
    return (p.file, p.row if p.row is not None else -1, p.column or "", p.code, p.value or "")


class BuildError(Exception):
    """A build step failed for a reason that is not a data problem (disk, permissions, tools)."""

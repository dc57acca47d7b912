"""Excel templates for comms staff: one ``NAME.xlsx`` per source table.

Everything in a template comes from the Table Schemas, so a template cannot
drift from the contract: the header row is the schema's field names, each
header's note is its description and rules, drop-down lists come from the
enums, number formats from the types, and exempt columns are shaded and say
they are never published. The table is the first sheet (the one the readers
take); "About this table" follows it and explains the columns in a list.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from .schemas import TABLE_ORDER, TableSchema, load_schema

FIRST_ROW, LAST_ROW = 2, 1000  # the rows that get drop-downs and checks
ABOUT_SHEET = "About this table"
LISTS_SHEET = "Lists"
INLINE_LIST_LIMIT = 255  # Excel refuses a typed-in drop-down list longer than this
FIXED_TIME = dt.datetime(2024, 1, 1)  # fixed file times, so the same schemas give the same bytes
EXEMPT_FILL = PatternFill("solid", start_color="FCE4D6")  # light red: never published
HEADER_FILL = PatternFill("solid", start_color="DDEBF7")  # light blue
YES_NO = ["yes", "no"]
NUMBER_FORMATS = {"date": "dd/mm/yyyy", "money": "£#,##0.00", "integer": "0", "string": "@", "boolean": "@"}
WIDTHS = {"date": 12, "money": 15, "integer": 10, "number": 12, "boolean": 10}

SLUG = "^[a-z0-9]+(-[a-z0-9]+)*$"
PATTERN_WORDS = {
    SLUG: "Lower-case letters, digits and single hyphens only, like hop-garden-makers or 1a: "
          "no spaces, capitals, / or other characters (it becomes part of a web address).",
    "^[A-Z][0-9]{8}$": "A capital letter and 8 digits, like E07000123.",
    "^[0-9]{4}-Q[1-4]$": "A year and quarter, like 2023-Q1.",
    "^[0-9]{4}-[0-9]{2}$": "A financial year, like 2021-22.",
    "^[0-9]{2}/[0-9]{5}(;[0-9]{2}/[0-9]{5})*$": "Each one like 22/00034.",
    "^[A-Za-z0-9]{1,12}$": "Letters and digits only, at most 12, like 1152787.",
    "^https?://[^\\s]+$": "A web address starting with https:// (or http://), with no spaces.",
    "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$": "An email address, like name@example.org.",
}


def write_templates(folder: Path) -> list[Path]:
    """Write ``NAME.xlsx`` for every table into ``folder``; return the paths in table order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_template(load_schema(name), folder / f"{name}.xlsx") for name in TABLE_ORDER]


def write_template(schema: TableSchema, path: Path) -> Path:
    workbook = template_workbook(schema)
    with _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).write_data()  # save_workbook would stamp "modified" with now
    return path


def template_workbook(schema: TableSchema) -> Workbook:
    workbook = Workbook()
    workbook.properties.creator = "dps-publish"
    workbook.properties.title = f"{schema.descriptor.get('title', schema.name)} template"
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    sheet = workbook.active
    sheet.title = schema.name
    _write_header(sheet, schema)
    _write_about(workbook.create_sheet(ABOUT_SHEET), schema)
    _add_drop_downs(workbook, sheet, schema)  # after About, so a hidden list sheet comes last
    workbook.active = 0
    return workbook


def kind_of(spec: dict) -> str:
    """The kind of value a column holds, as the template formats it."""
    return "money" if spec.get("x-money") else spec["type"]


def column_rules(schema: TableSchema, spec: dict) -> list[str]:
    """The column's rules in plain English, one sentence each."""
    name, constraints = spec["name"], spec.get("constraints", {})
    kind = kind_of(spec)
    rules = ["Required: every row needs a value." if constraints.get("required") else "Optional: may be left blank."]
    rules += {
        "date": ["A date: type it day first, like 01/10/2022."],
        "money": ["Money in pounds, like 1234.50 or £1,234.50."],
        "integer": ["A whole number."],
        "number": ["A number."],
        "boolean": ["yes or no: choose from the drop-down."],
    }.get(kind, [])
    rules += _range_words(constraints)
    if "enum" in constraints:
        rules.append(f"Allowed values (choose from the drop-down): {', '.join(constraints['enum'])}.")
    if spec.get("x-list"):
        example = "; ".join(spec.get("x-itemEnum", ["first", "second"])[:2])
        rules.append(f"Several values separated by ; (a semicolon), like: {example}.")
    if spec.get("x-itemEnum"):
        rules.append(f"Each value must be one of: {', '.join(spec['x-itemEnum'])}.")
    elif "pattern" in constraints:
        pattern = constraints["pattern"]
        rules.append(PATTERN_WORDS.get(pattern, f"It must match the pattern {pattern}."))
    if constraints.get("unique"):
        rules.append("Each row must have a different value.")
    rules += _key_words(schema, name)
    if spec.get("x-exempt"):
        rules.append(f"Never published: {spec['x-exempt']}. It stays out of the website and the open data.")
    return rules


def header_note(schema: TableSchema, spec: dict) -> str:
    """The note on a header cell: an exempt column says so first, then description and rules."""
    rules = column_rules(schema, spec)
    lines = [spec.get("description", "")] + rules
    if spec.get("x-exempt"):
        lines = [f"NEVER PUBLISHED: {spec['x-exempt']}."] + lines[:-1]  # the last rule says the same
    return "\n".join(line for line in lines if line)


def _range_words(constraints: dict) -> list[str]:
    low, high = constraints.get("minimum"), constraints.get("maximum")
    if low is not None and high is not None:
        return [f"From {low} to {high}."]
    if low is not None:
        return [f"Not less than {low}."]
    if high is not None:
        return [f"Not more than {high}."]
    return []


def _key_words(schema: TableSchema, name: str) -> list[str]:
    words = []
    key = schema.key
    if key == [name]:
        words.append(f"The key: each row needs its own {name}.")
    elif name in key:
        words.append(f"Part of the key: no two rows may have the same {', '.join(key)}.")
    for fk in schema.foreign_keys:
        if name not in fk["fields"]:
            continue
        target = fk["reference"]["resource"]
        if len(fk["fields"]) == 1:
            words.append(f"Must be a {fk['reference']['fields'][0]} in the {target} table.")
        else:
            words.append(f"With {' and '.join(f for f in fk['fields'] if f != name)}, "
                         f"must match a row of the {target} table.")
    return words


def _write_header(sheet: Worksheet, schema: TableSchema) -> None:
    for column, spec in enumerate(schema.fields, start=1):
        cell = sheet.cell(row=1, column=column, value=spec["name"])
        cell.font = Font(bold=True)
        cell.fill = EXEMPT_FILL if spec.get("x-exempt") else HEADER_FILL
        note = header_note(schema, spec)
        cell.comment = Comment(note, "dps-publish", width=320, height=_note_height(note))
        letter = get_column_letter(column)
        dimension = sheet.column_dimensions[letter]
        dimension.width = _width(spec)
        if kind_of(spec) in NUMBER_FORMATS:
            dimension.number_format = NUMBER_FORMATS[kind_of(spec)]  # new cells in the column take it
    sheet.freeze_panes = "A2"


def _note_height(text: str) -> float:
    lines = sum(1 + len(line) // 48 for line in text.splitlines())
    return 16 * lines + 12


def _width(spec: dict) -> float:
    constraints = spec.get("constraints", {})
    if "enum" in constraints:
        wanted = max(len(v) for v in constraints["enum"]) + 4
    elif kind_of(spec) in WIDTHS:
        wanted = WIDTHS[kind_of(spec)]
    elif "pattern" in constraints or spec.get("x-itemEnum"):
        wanted = 22
    else:
        wanted = 32
    return min(max(wanted, len(spec["name"]) + 4), 50)


def _add_drop_downs(workbook: Workbook, sheet: Worksheet, schema: TableSchema) -> None:
    for column, spec in enumerate(schema.fields, start=1):
        letter = get_column_letter(column)
        values = spec.get("constraints", {}).get("enum") or (YES_NO if spec["type"] == "boolean" else None)
        if not values:
            continue
        joined = ",".join(values)
        if len(joined) <= INLINE_LIST_LIMIT and "," not in "".join(values):
            source = f'"{joined}"'
        else:
            source = _hidden_list(workbook, spec["name"], values)
        rule = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                              errorTitle="Not an allowed value",
                              error=_shorten(f"{spec['name']} takes one of: {', '.join(values)}."))
        rule.add(f"{letter}{FIRST_ROW}:{letter}{LAST_ROW}")
        sheet.add_data_validation(rule)


def _hidden_list(workbook: Workbook, name: str, values: list[str]) -> str:
    """Put a long list on the hidden sheet; return the range a drop-down refers to."""
    if LISTS_SHEET in workbook.sheetnames:
        lists = workbook[LISTS_SHEET]
    else:
        lists = workbook.create_sheet(LISTS_SHEET)  # after the table, which stays the first sheet
        lists.sheet_state = "hidden"
    column = 1 if lists.max_column == 1 and lists["A1"].value is None else lists.max_column + 1
    lists.cell(row=1, column=column, value=name).font = Font(bold=True)
    for row, value in enumerate(values, start=2):
        lists.cell(row=row, column=column, value=value).number_format = "@"
    letter = get_column_letter(column)
    return f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"


def _shorten(text: str, limit: int = 255) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _write_about(sheet: Worksheet, schema: TableSchema) -> None:
    title = schema.descriptor.get("title", schema.name)
    required = [spec["name"] for spec in schema.fields if spec.get("constraints", {}).get("required")]
    exempt = schema.exempt_fields
    lines = [
        (f"{title}: the {schema.name} table", Font(bold=True, size=14)),
        (schema.descriptor.get("description", ""), None),
        ("", None),
        ("How to fill it in", Font(bold=True)),
        (f"Fill in the first sheet, {schema.name}: one row per record, starting in row 2. Keep the header row "
         "exactly as it is; the column names are the contract. A column you do not need may be left empty.", None),
        ("Each heading has a note (hover over it) with what the column holds and its rules.", None),
        ("Required columns: " + (", ".join(required) if required else "none") + ".", None),
        ("This table must be in every data folder." if schema.required_table
         else "This table is optional: leave the file out if you have nothing for it.", None),
        ("Type values, not formulas: a cell holding a formula is refused. Copy it and use Paste Special > Values.",
         None),
        ("Dates day first, like 01/10/2022. Money in pounds, like 1,234.50. Yes/no columns (they have a "
         "drop-down) take yes or no. List columns take several values separated by ; (a semicolon).", None),
        (f"Save it as an Excel Workbook (.xlsx) named {schema.name}.xlsx with this table as the first sheet, or "
         f'as "CSV UTF-8 (Comma delimited)" named {schema.name}.csv with this header row.', None),
    ]
    if exempt:
        lines.append((f"Shaded columns are NEVER PUBLISHED ({', '.join(exempt)}): they stay out of the website "
                      "and the open data, but are still checked.", Font(bold=True)))
    lines += [("", None), ("The columns", Font(bold=True))]
    for row, (text, font) in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1, value=text)
        if font:
            cell.font = font
    start = len(lines) + 1
    for column, heading in enumerate(("Column", "Required", "What it holds", "Rules"), start=1):
        sheet.cell(row=start, column=column, value=heading).font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, spec in enumerate(schema.fields, start=start + 1):
        values = (spec["name"], "yes" if spec["name"] in required else "no", spec.get("description", ""),
                  "\n".join(column_rules(schema, spec)[1:]))
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.alignment = wrap
            if spec.get("x-exempt"):
                cell.fill = EXEMPT_FILL
    for letter, width in zip("ABCD", (24, 10, 50, 70)):
        sheet.column_dimensions[letter].width = width


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry FIXED_TIME, so a template's bytes depend only on the schemas."""

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
            zinfo_or_arcname.compress_type = self.compression
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        # openpyxl writes each worksheet to a temporary file first; its time would leak in
        self.writestr(arcname or Path(filename).name, Path(filename).read_bytes())

"""The uploaded file with its problems marked, for the person to fix in Excel and upload again.

``mark_problems`` writes a workbook: a first sheet "Problems" that lists every problem (with a link
to its cell), then the person's own sheets with every problem cell filled yellow, edged in dark
red and carrying a note (a cell comment) that says what to do. A workbook keeps its sheets, values
and formatting; a CSV becomes a sheet of text cells laid out as Excel opens it (record n is row
n, columns in file order), so a problem's cell reference (``G14``) is the same cell in both.

A CSV longer than a worksheet (a year of payments) gives the header and its problem rows only,
with a first column "Row in your file"; it is read twice as a stream and written in openpyxl's
write-only mode, so memory stays small however long the file is.

Every value from the file is written as text, never as a formula: a cell ``=HYPERLINK(...)`` in a
CSV stays the text it was. Odd input never stops the workbook being written: a problem whose cell
is not in the sheet, or a file that cannot be read, is listed on the Problems sheet without a link.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import re
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, MergedCell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.writer.excel import ExcelWriter

from ..problems import Problem
from ..sources.encoding import SNIFF_BYTES, not_text, open_arguments
from ..sources.readers import Header
from ..sources.spreadsheets import FIXED_TIME

ROW_LIMIT = 1_048_576  # the rows of a worksheet, the header included; a longer CSV keeps its problem rows only
COLUMN_LIMIT = 16_384  # the columns of a worksheet
CELL_LIMIT = 32_767  # the characters of a cell
SHEET_TITLE_LIMIT = 31
PROBLEMS_SHEET = "Problems"
AUTHOR = "dps-publish"
ROW_IN_FILE = "Row in your file"
MARKER = "dps-publish: problems marked"  # the workbook's keywords: how a marked workbook uploaded again is known

MARK_FILL = PatternFill("solid", start_color="FFFF00", end_color="FFFF00")  # yellow
MARK_BORDER = Border(*(Side(style="thick", color="C00000"),) * 4)  # and a thick dark red edge: not colour alone
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
LINK_FONT = Font(color="0563C1", underline="single")
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
WARNING_FONT = Font(bold=True, color="C00000")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")

PROBLEM_COLUMNS = ("No.", "Sheet", "Cell", "Row", "Column", "Value", "What to do")
PROBLEM_WIDTHS = (6, 16, 9, 10, 22, 30, 90)
TABLE_WIDTH_LIMIT = 50
NOTE_WIDTH, NOTE_LINE_CHARS = 320, 50  # a note's box, in points, and about the characters on each of its lines


@dataclass(frozen=True)
class MarkedWorkbook:
    path: Path
    problems: int  # listed on the Problems sheet: every problem given
    marked_cells: int  # cells filled and given a note
    linked: int  # problems with a link to their cell
    only_problem_rows: bool  # a CSV too long for a worksheet: the header and its problem rows only
    table_sheet: str | None  # the sheet with the person's table (a CSV's), or None when the file could not be read


def mark_problems(source: Path, problems: Sequence[Problem], target: Path) -> MarkedWorkbook:
    """Write ``target`` (.xlsx): ``source`` (the uploaded .csv or .xlsx) with ``problems`` marked.

    ``problems`` are the file's own (those whose ``file`` is its name in the data folder), as
    ``validate_folder`` gives them; they are listed in the order given.
    """
    source, target = Path(source), Path(target)
    problems = list(problems)
    if source.suffix.lower() == ".xlsx":
        return _mark_workbook(source, problems, target)
    return _mark_csv(source, problems, target)


# Where a problem is ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """A problem as the Problems sheet lists it: the sheet and cell it links to (None: no link)."""

    problem: Problem
    sheet: str | None
    ref: str | None  # where the cell is in the marked workbook
    shown: str | None  # the cell as the Problems sheet names it


def _wanted(problem: Problem, labels: Sequence[str]) -> tuple[int, int] | None:
    """(row, column number) of the problem's cell in the person's file, or None when it has none.

    The cell ``validate_folder`` named; else a column without a row is its header cell, and a row
    without a column is the row's first cell.
    """
    if problem.cell:
        try:
            letter, row = coordinate_from_string(problem.cell.replace("$", ""))
            return row, column_index_from_string(letter)
        except ValueError:
            return None
    if problem.column:
        letter = Header(tuple(labels)).letter(problem.column, last=problem.code == "duplicate-label")
        if letter is None:
            return None
        return (problem.row if problem.row is not None else 1), column_index_from_string(letter)
    if problem.row is not None:
        return problem.row, 1
    return None


def _location(sheet: str, ref: str) -> str:
    return "'" + sheet.replace("'", "''") + "'!" + ref


# Text as a cell holds it ------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A value as cell text: no character a workbook cannot hold, no longer than a cell can be."""
    text = str(value)
    if len(text) > CELL_LIMIT:
        text = text[: CELL_LIMIT - 1] + "…"
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def _as_text(cell, value: object):
    """Put ``value`` in ``cell`` as a text cell: never a formula (``=1+1``) or an error (``#N/A``)."""
    if value is None or value == "":
        cell.value = None
        return cell
    cell.value = _text(value)
    cell.data_type = "s"
    return cell


def _needs_cell(text: str) -> bool:
    """Whether openpyxl would take the text for something else than text, so it needs a cell of its own."""
    return text.startswith("=") or text in ERROR_CODES


def _note(messages: Sequence[str], existing: Comment | None) -> Comment:
    lines = [f"• {m}" for m in messages] if len(messages) > 1 else list(messages)
    if existing is not None and existing.author != AUTHOR and existing.text:
        lines = [existing.text.rstrip(), "", "dps-publish:", *lines]  # the person's own note is kept
    text = _text("\n".join(lines))
    rows = sum(max(1, math.ceil(len(line) / NOTE_LINE_CHARS)) for line in text.split("\n"))
    return Comment(text, AUTHOR, width=NOTE_WIDTH, height=min(40 + 15 * rows, 600))


def _mark(cell, messages: Sequence[str]) -> None:
    cell.fill = MARK_FILL
    cell.border = MARK_BORDER
    cell.comment = _note(messages, cell.comment)


# The Problems sheet -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Out:
    value: object = None
    font: Font | None = None
    alignment: Alignment | None = None
    fill: PatternFill | None = None
    link: str | None = None


def _problem_rows(file: str, entries: Sequence[_Entry], notes: Sequence[str], row_heading: str) -> list[list[_Out]]:
    count = len(entries)
    linked = sum(1 for e in entries if e.ref)
    rows = [[_Out(f"Problems in {file}", TITLE_FONT)]]
    if count:
        how = (f"{count:,} problem{'s' if count != 1 else ''}, one a row below. "
               + ("Click a cell reference to go to the cell: " if linked else "")
               + "each cell with a problem is filled yellow with a dark red edge and has a note that says what "
               "to do (point at the cell to read it). Fix them, save the file and upload it again.")
    else:
        how = "No problems were found."
    rows.append([_Out(how)])
    rows += [[_Out(note, WARNING_FONT)] for note in notes]
    rows.append([])
    rows.append([_Out(heading, BOLD, fill=HEADER_FILL) for heading in
                 (*PROBLEM_COLUMNS[:3], row_heading, *PROBLEM_COLUMNS[4:])])
    for number, entry in enumerate(entries, start=1):
        p = entry.problem
        rows.append([
            _Out(number, alignment=TOP),
            _Out(entry.sheet, alignment=TOP),
            _Out(entry.shown, LINK_FONT if entry.ref else None, TOP,
                 link=_location(entry.sheet, entry.ref) if entry.ref and entry.sheet else None),
            _Out(p.row, alignment=TOP),
            _Out(p.column, alignment=TOP),
            _Out(p.value, alignment=WRAP),
            _Out(p.message, alignment=WRAP),
        ])
    return rows


def _header_row(notes: Sequence[str]) -> int:
    return 4 + len(notes)  # title, how, notes, a blank row, then the header


def _put(cell, out: _Out):
    if isinstance(out.value, str):
        _as_text(cell, out.value)
    else:
        cell.value = out.value
    if out.font is not None:
        cell.font = out.font
    if out.alignment is not None:
        cell.alignment = out.alignment
    if out.fill is not None:
        cell.fill = out.fill
    if out.link:
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=out.link, tooltip="Go to the cell")
    return cell


def _set_up_problems(sheet, header_row: int, count: int) -> None:
    """Widths, frozen header and filter: before any row, as a write-only sheet needs."""
    for position, width in enumerate(PROBLEM_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(PROBLEM_COLUMNS))}{header_row + max(count, 1)}"


def _write_problems(sheet, rows: list[list[_Out]]) -> None:
    for r, row in enumerate(rows, start=1):
        for c, out in enumerate(row, start=1):
            _put(sheet.cell(row=r, column=c), out)


def _append_problems(sheet, rows: list[list[_Out]]) -> None:
    for row in rows:
        sheet.append([_put(WriteOnlyCell(sheet), out) for out in row])


# A workbook -------------------------------------------------------------------------------------------------------


def _mark_workbook(source: Path, problems: list[Problem], target: Path) -> MarkedWorkbook:
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        workbook = load_workbook(source)
    except Exception as exc:  # noqa: BLE001 - whatever the file is, the person gets the list of problems
        return _problems_only(source, problems, target, f"Your file could not be opened as a workbook "
                              f"({exc.__class__.__name__}), so only the list of problems is here.")
    try:
        return _marked_workbook(workbook, source, problems, target, started)
    except Exception as exc:  # noqa: BLE001 - a workbook openpyxl cannot copy: still the list of problems
        return _problems_only(source, problems, target, f"Your workbook could not be copied with the problems "
                              f"marked ({exc.__class__.__name__}), so only the list of problems is here.")


def _marked_workbook(workbook: Workbook, source: Path, problems: list[Problem], target: Path,
                     started: dt.datetime) -> MarkedWorkbook:
    sheets = {sheet.title: sheet for sheet in workbook.worksheets}  # as validate_folder named them
    table = workbook.worksheets[0] if workbook.worksheets else None  # the sheet the readers take
    for sheet in workbook.worksheets:
        if sheet.title.lower() == PROBLEMS_SHEET.lower():
            sheet.title = _free_title(workbook, f"{PROBLEMS_SHEET} (yours)")
    labels: dict[str, list[str]] = {}
    entries: list[_Entry] = []
    marks: dict[tuple[str, str], list[str]] = {}
    for problem in problems:
        sheet = sheets.get(problem.sheet) if problem.sheet else table
        if sheet is None:
            entries.append(_Entry(problem, problem.sheet, None, problem.cell))
            continue
        if sheet.title not in labels:
            first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
            labels[sheet.title] = ["" if v is None else str(v) for v in first]
        place = _wanted(problem, labels[sheet.title])
        ref = None
        if place and 1 <= place[0] <= min(sheet.max_row, ROW_LIMIT) and 1 <= place[1] <= min(sheet.max_column,
                                                                                                 COLUMN_LIMIT):
            cell = sheet.cell(row=place[0], column=place[1])
            if isinstance(cell, MergedCell):
                cell = _merged_top_left(sheet, cell)
            ref = cell.coordinate
            marks.setdefault((sheet.title, ref), []).append(problem.message)
        entries.append(_Entry(problem, sheet.title, ref, ref or problem.cell))
    for (title, ref), messages in marks.items():
        _mark(workbook[title][ref], messages)
    problems_sheet = workbook.create_sheet(PROBLEMS_SHEET, 0)
    rows = _problem_rows(source.name, entries, [], PROBLEM_COLUMNS[3])
    _set_up_problems(problems_sheet, _header_row([]), len(entries))
    _write_problems(problems_sheet, rows)
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = False
    problems_sheet.sheet_view.tabSelected = True
    workbook.active = 0
    for name in ("created", "modified"):  # the file's own times; fixed ones where it had none
        setattr(workbook.properties, name, _own_time(getattr(workbook.properties, name), started))
    _stamp(workbook)
    _save(workbook, target)
    return MarkedWorkbook(target, len(entries), len(marks), sum(1 for e in entries if e.ref), False,
                          table.title if table is not None else None)


def _own_time(when, started: dt.datetime) -> dt.datetime:
    """A time the file carried, or FIXED_TIME for one openpyxl made up on loading (now): the same bytes again."""
    try:
        return when if isinstance(when, dt.datetime) and when.replace(tzinfo=None) < started else FIXED_TIME
    except (TypeError, ValueError):
        return FIXED_TIME


def _merged_top_left(sheet, cell):
    for merged in sheet.merged_cells.ranges:
        if cell.coordinate in merged:
            return sheet.cell(row=merged.min_row, column=merged.min_col)
    return cell


def _free_title(workbook: Workbook, wanted: str) -> str:
    taken = {sheet.title.lower() for sheet in workbook.worksheets}
    title, number = wanted, 1
    while title.lower() in taken:
        number += 1
        title = f"{wanted[:SHEET_TITLE_LIMIT - len(str(number)) - 1]} {number}"
    return title


def _problems_only(source: Path, problems: list[Problem], target: Path, note: str) -> MarkedWorkbook:
    workbook = Workbook(write_only=True)
    entries = [_Entry(p, p.sheet, None, p.cell) for p in problems]
    sheet = workbook.create_sheet(PROBLEMS_SHEET)
    _set_up_problems(sheet, _header_row([note]), len(entries))
    _append_problems(sheet, _problem_rows(source.name, entries, [note], PROBLEM_COLUMNS[3]))
    _fix_times(workbook)
    _save(workbook, target)
    return MarkedWorkbook(target, len(entries), 0, 0, False, None)


# A CSV ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    encoding: str
    errors: str
    records: int  # the last row: a CSV record is a row, the header row 1
    width: int  # the most cells in a record
    labels: list[str]
    widths: list[int]  # the longest value of each column, up to TABLE_WIDTH_LIMIT
    broken: bool  # the CSV could not be read to its end


def _mark_csv(source: Path, problems: list[Problem], target: Path) -> MarkedWorkbook:
    try:
        with open(source, "rb") as f:
            head = f.read(SNIFF_BYTES)
        scan = None if not_text(head) else _scan_as(source, *open_arguments(source))
    except OSError:
        scan = None
    if scan is None:
        return _problems_only(source, problems, target,
                              "Your file could not be read as a table, so only the list of problems is here.")
    records, cut, title = scan.records, scan.records > ROW_LIMIT, _table_title(source)
    width = min(scan.width, COLUMN_LIMIT - (1 if cut else 0))  # a cut file's first column is its row numbers
    places = [_wanted(p, scan.labels) for p in problems]
    places = [place if place and 1 <= place[0] <= records and 1 <= place[1] <= width else None for place in places]
    # A cut file keeps its header and problem rows, in order: where each lands
    landed = {row: n for n, row in enumerate(sorted({place[0] for place in places if place} | {1}), start=1)}
    entries: list[_Entry] = []
    marks: dict[int, dict[int, list[str]]] = {}
    for problem, place in zip(problems, places):
        if place is None:
            entries.append(_Entry(problem, title if records else None, None, problem.cell))
            continue
        row, column = (landed[place[0]], place[1] + 1) if cut else place
        marks.setdefault(row, {}).setdefault(column, []).append(problem.message)
        ref = f"{get_column_letter(column)}{row}"
        entries.append(_Entry(problem, title, ref, ref))
    notes = []
    if cut:
        notes.append(f"Your file has {records:,} rows, more than an Excel sheet holds ({ROW_LIMIT:,}), so only "
                     f"its header and the rows with problems are in the sheet {title}. Its first column, "
                     f'"{ROW_IN_FILE}", says where each row is in your file.')
    if scan.broken:
        notes.append("Your file could not be read to its end, so the sheet stops where reading stopped.")

    workbook = Workbook(write_only=True)
    problems_sheet = workbook.create_sheet(PROBLEMS_SHEET)
    table = workbook.create_sheet(title) if records else None
    _set_up_problems(problems_sheet, _header_row(notes), len(entries))
    _append_problems(problems_sheet, _problem_rows(source.name, entries, notes,
                                                   ROW_IN_FILE if cut else PROBLEM_COLUMNS[3]))
    if table is not None:
        widths = ([len(ROW_IN_FILE)] if cut else []) + scan.widths[:width]
        for position, longest in enumerate(widths, start=1):
            table.column_dimensions[get_column_letter(position)].width = min(max(longest + 2, 8), TABLE_WIDTH_LIMIT)
        table.freeze_panes = "A2"
        for number, record in _records(source, scan):
            if cut:
                if number not in landed:
                    continue
                row_number = landed[number]
                record = [ROW_IN_FILE if number == 1 else number, *record[:width]]
            else:
                row_number = number
                record = record[:width]
            table.append(_table_row(table, record, marks.get(row_number, {})))
    _fix_times(workbook)
    _save(workbook, target)
    marked = sum(len(columns) for columns in marks.values())
    return MarkedWorkbook(target, len(entries), marked, sum(1 for e in entries if e.ref), cut,
                          title if table is not None else None)


def _table_row(sheet, record: list, marks: dict[int, list[str]]) -> list:
    if marks:
        record = record + [""] * (max(marks) - len(record))  # a marked cell past a short record's end
    values = []
    for column, value in enumerate(record, start=1):
        if isinstance(value, int):
            values.append(value)
            continue
        if value == "":
            value = None
        else:
            value = _text(value)
        if column in marks:
            cell = _as_text(WriteOnlyCell(sheet), value)
            _mark(cell, marks[column])
            values.append(cell)
        elif value is not None and _needs_cell(value):
            values.append(_as_text(WriteOnlyCell(sheet), value))
        else:
            values.append(value)
    return values


def _scan_as(source: Path, encoding: str, errors: str) -> _Scan:
    """The first reading, in the encoding the readers take the file in: how many rows and columns, the header."""
    records, width, labels, widths, broken = 0, 0, [], [], False
    with open(source, encoding=encoding, errors=errors, newline="") as f:
        reader = csv.reader(f)
        try:
            for records, record in enumerate(reader, start=1):
                if records == 1:
                    labels = record
                if len(record) > width:
                    width = len(record)
                    widths += [0] * (min(width, COLUMN_LIMIT) - len(widths))
                for position, value in enumerate(record[:COLUMN_LIMIT]):
                    if len(value) > widths[position] and widths[position] < TABLE_WIDTH_LIMIT:
                        widths[position] = len(value)
        except csv.Error:
            broken = True
    return _Scan(encoding, errors, records, width, labels, widths, broken)


def _records(source: Path, scan: _Scan) -> Iterable[tuple[int, list[str]]]:
    """The second reading: (row, record), as far as the first reading got."""
    with open(source, encoding=scan.encoding, errors=scan.errors, newline="") as f:
        reader = csv.reader(f)
        try:
            for number, record in enumerate(reader, start=1):
                if number > scan.records:
                    return
                yield number, record
        except csv.Error:
            return


def _table_title(source: Path) -> str:
    """The sheet of a CSV's table: its name, capitalised (listings.csv: Listings)."""
    title = re.sub(r"[\[\]:*?/\\]", " ", source.stem).strip().strip("'")[:SHEET_TITLE_LIMIT].strip()
    title = title[:1].upper() + title[1:]
    if not title or title.lower() == PROBLEMS_SHEET.lower():
        title = "Your table"
    return title


# Writing ----------------------------------------------------------------------------------------------------------


def _fix_times(workbook: Workbook) -> None:
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    _stamp(workbook)


def _stamp(workbook: Workbook) -> None:
    workbook.properties.creator = workbook.properties.creator or AUTHOR
    workbook.properties.keywords = MARKER


def _save(workbook: Workbook, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with _FixedTimeZip(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).write_data()  # save_workbook would stamp "modified" with now


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry FIXED_TIME, so the same input gives the same bytes.

    A write-only worksheet comes as a temporary file, which may be hundreds of megabytes: it is
    copied into the archive as a stream, not read whole.
    """

    def _entry(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
        info.compress_type = self.compression
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = self._entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        big = os.path.getsize(filename) > zipfile.ZIP64_LIMIT  # a small entry stays a plain one
        with open(filename, "rb") as src, self.open(self._entry(arcname or Path(filename).name), "w",
                                                    force_zip64=big) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def _carries_marker(path: Path) -> bool:
    """Whether the workbook's core properties (``docProps/core.xml``) hold the desk's keywords."""
    from xml.sax.saxutils import escape

    try:
        with zipfile.ZipFile(path) as archive, archive.open("docProps/core.xml") as part:
            return escape(MARKER).encode() in part.read(1 << 20)
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


def unmark(path: Path) -> bool:
    """A marked workbook uploaded again: take out the "Problems" sheet the desk added, so the table is read from the
    person's own first sheet. Any other workbook is left as it is, and not opened whole (a 20,000-row sheet takes
    openpyxl seconds to load): only its document properties are read to see whether the desk marked it."""
    import openpyxl

    if not _carries_marker(path):
        return False
    try:
        workbook = openpyxl.load_workbook(path)
    except Exception:  # noqa: BLE001 - not a workbook the desk made: the check will say what is wrong with it
        return False
    if workbook.properties.keywords != MARKER or "Problems" not in workbook.sheetnames:
        return False
    del workbook["Problems"]
    workbook.properties.keywords = None
    workbook.active = 0
    workbook.save(path)
    return True

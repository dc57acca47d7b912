"""Part of the ``validate`` stage, first: read the source tables from the data folder, as people save them.

A table arrives as ``NAME.csv`` or ``NAME.xlsx``. Reading is tolerant of what
spreadsheets do (byte-order marks, Windows-1252, CRLF, trailing empty rows and
columns, spaces around cells and headers, real Excel dates and numbers) and
refuses what cannot be read safely, with a problem that says how to fix it.

The result is a ``RawTable``: every cell a stripped string, the frame's index
the row number as the spreadsheet shows it (the header is row 1), and the
file's ``Header`` (its labels where the file has them, and the sheet), from
which a problem names its cell as the spreadsheet does (``G14``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..problems import Problem, quote
from .encoding import (
    MIXED,
    UTF8,
    UTF8_BOM,
    encoding_of,
    has_control_bytes,
    not_text,
    windows_1252,
    windows_1252_character,
)
from .schemas import TABLE_ORDER

EXCEL_CELL_LIMIT = 32_767
TABLE_SUFFIXES = (".csv", ".xlsx")
SAVE_AS_UTF8 = 'In Excel use File > Save As and choose "CSV UTF-8 (Comma delimited)".'

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class Header:
    """A file's header row as the reader saw it, and the sheet it is on (a workbook's first sheet).

    The position of a label is the column's place in the person's file, which may differ from the
    schema's order; it gives the column letter a problem is placed by.
    """

    labels: tuple[str, ...] = ()
    sheet: str | None = None

    def letter(self, column: str, last: bool = False) -> str | None:
        """The letter of the column headed ``column`` (any spelling of it); the first such, or the last.

        A column with no heading is named by its letter already; a column the file lacks has none.
        """
        wanted = normalise_label(column)
        positions = [i for i, label in enumerate(self.labels) if normalise_label(label) == wanted]
        if positions:
            return column_letter(positions[-1 if last else 0])
        return column if LETTER.fullmatch(column) else None

    def place(self, problem: Problem) -> Problem:
        """The problem with its sheet and, when it has a row and a column the file has, its cell."""
        letter = None
        if problem.row is not None and problem.column:
            letter = self.letter(problem.column, last=problem.code == "duplicate-label")  # the second one
        if letter is None and self.sheet is None:
            return problem
        return replace(problem, sheet=self.sheet, cell=f"{letter}{problem.row}" if letter else None)


LETTER = re.compile(r"[A-Z]{1,3}")


@dataclass
class RawTable:
    name: str
    file: str
    labels: list[str]
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    header: Header | None = None  # where its problems' cells are; by default the labels (a CSV has no sheet)
    # Workbook number cells with more than two figures after the point (a calculation's float,
    # like 1428.6399999999999): column position -> spreadsheet rows. Money reads them to the penny.
    xlsx_numbers: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self):
        if self.header is None:
            self.header = Header(tuple(self.labels))


def normalise_label(label: str) -> str:
    """``" Registration Number "`` and ``registration-number`` both mean ``registration_number``."""
    return re.sub(r"[\s\-]+", "_", label.strip().lower())


def find_table_files(data_dir: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Which file holds which table; problems for files that cannot be placed."""
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(data_dir.iterdir()):
        if path.name.startswith((".", "~$")) or path.suffix.lower() not in TABLE_SUFFIXES or not path.is_file():
            continue
        name = path.stem.strip().lower()
        if name not in TABLE_ORDER:
            problems.append(
                Problem(path.name, None, None, "unknown-table", path.stem,
                        f"there is no table called {quote(path.stem)}. Rename the file to one of: "
                        f"{', '.join(TABLE_ORDER)}, or move it out of the data folder.")
            )
        elif name in found:
            problems.append(
                Problem(path.name, None, None, "duplicate-table", name,
                        f"both {found[name].name} and {path.name} hold the {name} table. Keep one of them.")
            )
        else:
            found[name] = path
    return found, problems


def read_table(name: str, path: Path) -> RawTable:
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(name, path)
    data, problem, header = _as_utf8(path.name, path.read_bytes())
    if problem:
        raw = _to_raw_table(name, path.name, [], [], [problem])
        raw.header = header  # where the file could be read that far: the problem's cell
        return raw
    fast = _read_regular_csv(name, path.name, data)
    if fast is not None:
        return fast
    labels, rows, problems = _read_csv_rows(path.name, data.decode("utf-8"))
    return _to_raw_table(name, path.name, labels, rows, problems)


def _read_regular_csv(name: str, file: str, data: bytes) -> RawTable | None:
    """A well-formed CSV, read by Arrow's parser into Arrow-backed strings: fast, and small in memory.

    Anything irregular (a blank line, a row too short or too long, a quote left
    open, a cell over a spreadsheet's limit) returns None, and the exact
    row-by-row reader below finds and words the problem.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        first = next(csv.reader(io.StringIO(data[:1 << 16].decode("utf-8", "ignore"), newline="")))
    except (StopIteration, csv.Error):
        return None
    names = [f"c{i}" for i in range(len(first))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows == 0:
        return None
    string = pd.StringDtype("pyarrow", na_value=float("nan"))
    frame = table.to_pandas(types_mapper={pa.string(): string}.get)
    del table
    labels = [str(v).strip() for v in frame.iloc[0]]
    width = len(labels)
    while width and not labels[width - 1]:
        width -= 1
    frame = frame.iloc[1:]
    for column in frame.columns:
        values = frame[column].astype("str")
        stripped = values.str.strip(" ")  # spaces only: a leading tab is a formula character
        frame[column] = values if stripped.equals(values) else stripped
    if width < frame.shape[1] and (frame.iloc[:, width:] != "").any().any():
        return None  # values beyond the last heading
    frame = frame.iloc[:, :width]
    if len(frame) and max(frame[c].str.len().max() for c in frame.columns) > EXCEL_CELL_LIMIT:
        return None
    filled = (frame != "").any(axis=1)
    if not filled.all():
        frame = frame[filled]  # trailing empty rows
    frame.index = pd.Index(frame.index.to_numpy() + 1, name="row")  # spreadsheet rows: the header is row 1
    frame.columns = range(width)
    return RawTable(name, file, labels[:width], frame, [])


def _read_csv_rows(file: str, text: str) -> tuple[list[str], list[tuple[int, list[str]]], list[Problem]]:
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    labels: list[str] = []
    try:
        for index, record in enumerate(reader):
            if index == 0:
                labels = record
            else:
                rows.append((index + 1, record))
    except csv.Error as exc:
        return labels, rows, [
            Problem(file, len(rows) + 2, None, "malformed-csv", None,
                    f"this row cannot be read ({exc}). The file may have been cut short or a quote "
                    "mark left open. Open it in Excel, check the last rows and save it again.")
        ]
    return labels, rows, []


def _as_utf8(file: str, data: bytes) -> tuple[bytes, Problem | None, Header]:
    """The file's bytes as UTF-8 without a byte-order mark, or the problem that stops it being read
    (with the file's header, when the problem is in a cell).

    UTF-8 is checked without building a string of the whole file (a year of
    payments is hundreds of megabytes); Windows-1252 is converted. A file that
    is UTF-8 but for some bytes is refused at the first of them: read as
    Windows-1252, its every £ and é would turn into nonsense.
    """
    kind = not_text(data)
    if kind == "zip":
        return b"", Problem(file, None, None, "bad-encoding", None,
                            "this file is an Excel workbook with a .csv name. Rename it to .xlsx, "
                            f"or {SAVE_AS_UTF8[0].lower()}{SAVE_AS_UTF8[1:]}"), Header()
    if kind is not None:
        kind = "UTF-16 (\"Unicode text\")" if kind == "utf16" else "not plain text"
        return b"", Problem(file, None, None, "bad-encoding", None,
                            f"this file is {kind}, which cannot be read. {SAVE_AS_UTF8}"), Header()
    data = data.removeprefix(UTF8_BOM)
    if not has_control_bytes(data):
        encoding, bad = encoding_of(data)
        if encoding == UTF8:
            return data, None, Header()
        if encoding == MIXED:
            return (b"", *_mixed_encoding(file, data, bad))
        text = windows_1252(data)
        if text is not None:
            return text.encode("utf-8"), None, Header()
    return b"", Problem(file, None, None, "bad-encoding", None,
                        f"this file is not in UTF-8 or Windows-1252 text, so it cannot be read. {SAVE_AS_UTF8}"), Header()


def _mixed_encoding(file: str, data: bytes, bad: int) -> tuple[Problem, Header]:
    """The problem of a UTF-8 file with a byte that is not: the row and column of the first such byte.

    Rows are CSV records, so a line break inside a quoted cell does not throw the
    row out: found by counting quotes where that is safe, else by reading the
    file as CSV up to the byte.
    """
    byte = data[bad]
    place = _record_by_quotes(data, bad)
    if place is None:
        row, header, record = _record_by_reading(data, bad)
    else:
        row, start, header_end = place
        header = (_csv_records(data[:header_end]) or [[]])[0] if row > 1 else []
        record = _csv_records(data[start:bad + 1])[-1]  # ends with the byte's stand-in
    header = [label.strip() for label in header]
    rest = data[bad + 1:bad + 200].decode("utf-8", "surrogateescape")
    position = max(len(record) - 1, 0)
    column = header[position] if position < len(header) and header[position] else None
    before = _shown_bytes(record[-1] if record else "")  # the cell up to the byte, which ends it
    after = re.split(r'[,"\r\n]', _shown_bytes(rest))[0]
    near = ("…" if len(before) > 30 else "") + before[-30:] + after[:20] + ("…" if len(after) > 20 else "")
    known = windows_1252_character(byte)
    what = f"0x{byte:02X}" + (f" ({known} in Windows-1252)" if known else "")
    where = ("this heading" if row == 1 else "this cell") + ("" if column else f" (column {column_letter(position)})")
    problem = Problem(file, row, column, "bad-encoding", before + after,
                      f"{where} has a character saved differently from the rest of the file: the file is UTF-8, "
                      f"but the byte {what} in {quote(near, limit=80)} is not. Reading the file as Windows-1252 "
                      "instead would turn every £ and é in it into nonsense, so it is not read. Retype the "
                      f"character, then save the file again. {SAVE_AS_UTF8}")
    return problem, Header(tuple(header))


def _csv_records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline="")))


def _record_by_quotes(data: bytes, bad: int, block: int = 1 << 24) -> tuple[int, int, int] | None:
    """(row, where its record starts, where the header ends) for the byte at ``bad``, without reading the CSV.

    A line break ends a record when an even number of quotes comes before it. That
    holds when every opening quote starts a cell and every closing quote ends one
    and there is no lone carriage return; otherwise None, and the file is read.
    """
    import numpy as np

    every = np.frombuffer(data, dtype=np.uint8)
    marks = []
    for begin in range(0, bad, block):
        part = every[begin:min(begin + block, bad)]
        marks.append(np.flatnonzero((part == 0x22) | (part == 0x0A) | (part == 0x0D)) + begin)
    marks = np.concatenate(marks) if marks else np.array([], dtype=np.int64)
    kinds = every[marks]
    returns = marks[kinds == 0x0D]
    if (every[returns + 1] != 0x0A).any():  # returns + 1 <= bad: the byte itself is not a line feed
        return None
    quotes = marks[kinds == 0x22]
    if len(quotes):
        edges = np.array([0x22, 0x2C, 0x0A, 0x0D], dtype=np.uint8)  # a quote, a comma, a line break
        before = np.isin(every[np.maximum(quotes - 1, 0)], edges) | (quotes == 0)
        after = np.isin(every[quotes + 1], edges)
        if not np.where(np.arange(len(quotes)) % 2 == 0, before, after).all():
            return None
    feeds = marks[kinds == 0x0A]
    ends = feeds[np.searchsorted(quotes, feeds) % 2 == 0]
    return len(ends) + 1, int(ends[-1]) + 1 if len(ends) else 0, int(ends[0]) if len(ends) else 0


def _record_by_reading(data: bytes, bad: int) -> tuple[int, list[str], list[str]]:
    """(row, header, record) for the byte at ``bad``, reading the file as CSV up to it."""
    stand_in = chr(0xDC00 + data[bad])  # how "surrogateescape" keeps a byte that is not UTF-8
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape", newline="")

    def up_to_the_byte():
        for line in text:
            at = line.find(stand_in)
            yield line if at < 0 else line[:at + 1]
            if at >= 0:
                return

    header: list[str] = []
    record: list[str] = []
    row = 0
    for row, record in enumerate(csv.reader(up_to_the_byte()), start=1):
        if row == 1:
            header = record
    return row, header if row > 1 else [], record


def _shown_bytes(text: str) -> str:
    """Text with the bytes that are not UTF-8 shown as \\xA3, as a message can print them."""
    return re.sub("[\udc80-\udcff]", lambda m: f"\\x{ord(m[0]) - 0xDC00:02X}", text)


def _read_xlsx(name: str, path: Path) -> RawTable:
    """A workbook's first sheet: read by calamine (Rust, about twenty times faster: a 20,000-row sheet in under a
    second), or cell by cell with openpyxl when the workbook holds what only a cell's type shows (a formula, an
    error such as #N/A) or calamine cannot open it, so those get their own messages."""
    fast = _read_xlsx_values(name, path)
    return fast if fast is not None else _read_xlsx_cells(name, path)


# An <f> element (a formula) or a cell of type "e" (an error value) in a worksheet's XML.
_NEEDS_CELL_TYPES = re.compile(rb"<(?:\w+:)?f[\s>/]|\st=[\"']e[\"']")


def _has_formulas_or_errors(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                    with archive.open(member) as part:
                        tail = b""
                        while chunk := part.read(1 << 20):
                            if _NEEDS_CELL_TYPES.search(tail + chunk):
                                return True
                            tail = chunk[-16:]
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return True  # openpyxl's reading says what is wrong with the file
    return False


def _read_xlsx_values(name: str, path: Path) -> RawTable | None:
    if _has_formulas_or_errors(path):
        return None
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            sheet = workbook.get_sheet_by_index(0)  # the first sheet, whichever the workbook opens on
            title, grid = sheet.name, sheet.to_python(skip_empty_area=False)  # from cell A1, so position = letter
        finally:
            workbook.close()
    except Exception:  # noqa: BLE001 - calamine's errors are one class per cause; openpyxl reports them in words
        return None
    reading = _SheetReading()
    for row_number, cells in enumerate(grid, start=1):
        reading.row(row_number, [reading.cell(row_number, column, None if value == "" else value)
                                 for column, value in enumerate(cells)])
    return reading.table(name, path, title, [])


class _SheetReading:
    """What a worksheet's rows make of a table, as either reader goes through them: the header (row 1), the rows
    under it, and the number cells with more than two figures after the point."""

    def __init__(self):
        self.labels: list[str] = []
        self.rows: list[tuple[int, list[str]]] = []
        self.numbers: dict[int, list[int]] = {}

    def cell(self, row_number: int, column: int, value) -> str:
        text = _xlsx_value(value)
        if isinstance(value, float) and row_number > 1 and not WITHIN_PENCE.fullmatch(text):
            self.numbers.setdefault(column, []).append(row_number)
        return text

    def row(self, row_number: int, values: list[str]) -> None:
        if row_number == 1:
            self.labels = values
        else:
            self.rows.append((row_number, values))

    def table(self, name: str, path: Path, title: str, problems: list[Problem]) -> RawTable:
        raw = _to_raw_table(name, path.name, self.labels, self.rows, problems)
        raw.header = Header(tuple(raw.labels), title)
        raw.xlsx_numbers = self.numbers
        return raw


def _read_xlsx_cells(name: str, path: Path) -> RawTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return _to_raw_table(name, path.name, [], [], [
            Problem(path.name, None, None, "unreadable-file", None,
                    f"this file cannot be opened as an Excel workbook ({exc.__class__.__name__}). "
                    "Open it in Excel and save it again as .xlsx.")])
    problems: list[Problem] = []
    reading = _SheetReading()
    try:
        sheet = workbook.worksheets[0]  # the first sheet, whichever the workbook opens on
        for row_number, cells in enumerate(sheet.iter_rows(), start=1):  # from cell A1, so position = letter
            values = []
            for column, cell in enumerate(cells):
                if cell.data_type == "f":
                    labels = reading.labels
                    known = column < len(labels) and labels[column].strip()
                    label = labels[column].strip() if known else column_letter(column)
                    problems.append(Problem(path.name, row_number, label, "xlsx-formula", str(cell.value),
                                            f"this cell holds a formula ({quote(cell.value)}). Copy the cell "
                                            "and use Paste Special > Values so it holds the value instead."))
                    values.append("")
                    continue
                values.append(reading.cell(row_number, column, cell.value))
            reading.row(row_number, values)
        title = sheet.title
    finally:
        workbook.close()
    return reading.table(name, path, title, problems)


WITHIN_PENCE = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")


def column_letter(position: int) -> str:
    """The spreadsheet's name for the column at ``position`` (0 is A)."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1)


def _xlsx_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _to_raw_table(name: str, file: str, labels: list[str], rows, problems: list[Problem]) -> RawTable:
    labels = [label.strip() for label in labels]
    width = len(labels)
    while width and not labels[width - 1]:
        width -= 1
    index: list[int] = []
    records: list[list[str]] = []
    for row_number, record in rows:
        cells = [c.strip(" ") for c in record]
        if not any(cells):
            continue  # empty rows, trailing or not, carry nothing
        extra = [c for c in cells[width:] if c]
        if extra:
            problems.append(Problem(file, row_number, None, "extra-cell", extra[0],
                                    f"this row has a value ({quote(extra[0])}) beyond the last column. "
                                    "Give the column a heading or delete the value."))
        if len(cells) < width:
            problems.append(Problem(file, row_number, None, "missing-cell", None,
                                    f"this row has {len(cells)} cells but the header has {width} columns: "
                                    "the file may have been cut short. Check the row in Excel and save again."))
            cells += [""] * (width - len(cells))
        for position, cell in enumerate(cells[:width]):
            if len(cell) > EXCEL_CELL_LIMIT:
                problems.append(Problem(file, row_number, labels[position] or None, "cell-too-long",
                                        cell[:40], f"this cell has {len(cell):,} characters; a spreadsheet "
                                        f"cell holds at most {EXCEL_CELL_LIMIT:,}. Shorten it."))
        index.append(row_number)
        records.append(cells[:width])
    frame = pd.DataFrame(records, columns=range(width), index=pd.Index(index, name="row"), dtype="str")
    if not records:
        frame = pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
        frame.index.name = "row"
    return RawTable(name, file, labels[:width], frame, problems)

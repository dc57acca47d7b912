"""Stage 1: read the source tables from the data folder, as people save them.

A table arrives as ``NAME.csv`` or ``NAME.xlsx``. Reading is tolerant of what
spreadsheets do (byte-order marks, Windows-1252, CRLF, trailing empty rows and
columns, spaces around cells and headers, real Excel dates and numbers) and
refuses what cannot be read safely, with a problem that says how to fix it.

The result is a ``RawTable``: every cell a stripped string, the frame's index
the row number as the spreadsheet shows it (the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .problems import Problem, quote
from .schemas import TABLE_ORDER

EXCEL_CELL_LIMIT = 32_767
TABLE_SUFFIXES = (".csv", ".xlsx")
SAVE_AS_UTF8 = 'In Excel use File > Save As and choose "CSV UTF-8 (Comma delimited)".'

csv.field_size_limit(sys.maxsize)


@dataclass
class RawTable:
    name: str
    file: str
    labels: list[str]
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


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
        labels, rows, problems = _read_xlsx(path)
        return _to_raw_table(name, path.name, labels, rows, problems)
    data, problem = _as_utf8(path.name, path.read_bytes())
    if problem:
        return _to_raw_table(name, path.name, [], [], [problem])
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


CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _as_utf8(file: str, data: bytes) -> tuple[bytes, Problem | None]:
    """The file's bytes as UTF-8 without a byte-order mark, or the problem that stops it being read.

    UTF-8 is checked without building a string of the whole file (a year of
    payments is hundreds of megabytes); Windows-1252 is converted.
    """
    if data.startswith(b"PK\x03\x04"):
        return b"", Problem(file, None, None, "bad-encoding", None,
                            "this file is an Excel workbook with a .csv name. Rename it to .xlsx, "
                            f"or {SAVE_AS_UTF8[0].lower()}{SAVE_AS_UTF8[1:]}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > 2:
        kind = "UTF-16 (\"Unicode text\")" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "not plain text"
        return b"", Problem(file, None, None, "bad-encoding", None,
                            f"this file is {kind}, which cannot be read. {SAVE_AS_UTF8}")
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not CONTROL.search(data):
        if _is_utf8(data):
            return data, None
        try:
            return data.decode("cp1252").encode("utf-8"), None
        except UnicodeDecodeError:
            pass
    return b"", Problem(file, None, None, "bad-encoding", None,
                        f"this file is not in UTF-8 or Windows-1252 text, so it cannot be read. {SAVE_AS_UTF8}")


def _is_utf8(data: bytes, block: int = 1 << 22) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), block):
            decoder.decode(data[start:start + block])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], list[Problem]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return [], [], [Problem(path.name, None, None, "unreadable-file", None,
                                f"this file cannot be opened as an Excel workbook ({exc.__class__.__name__}). "
                                "Open it in Excel and save it again as .xlsx.")]
    problems: list[Problem] = []
    rows: list[tuple[int, list[str]]] = []
    labels: list[str] = []
    try:
        sheet = workbook.worksheets[0]  # the first sheet, whichever the workbook opens on
        for row_number, cells in enumerate(sheet.iter_rows(), start=1):
            values = []
            for column, cell in enumerate(cells):
                if cell.data_type == "f":
                    label = labels[column] if column < len(labels) else f"{_column_letter(column)}"
                    problems.append(Problem(path.name, row_number, label, "xlsx-formula", str(cell.value),
                                            f"this cell holds a formula ({quote(cell.value)}). Copy the cell "
                                            "and use Paste Special > Values so it holds the value instead."))
                    values.append("")
                else:
                    values.append(_xlsx_value(cell.value))
            if row_number == 1:
                labels = values
            else:
                rows.append((row_number, values))
    finally:
        workbook.close()
    return labels, rows, problems


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


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

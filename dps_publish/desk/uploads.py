"""The publishing desk's uploads: tables received as a stream, straight to disk, each matched to its table.

A request is read with python-multipart's streaming parser, never whole and
never through ``request.form()``: each file part is written to a random name
in the receiving folder as it arrives, its bytes counted, so a file that
passes its limit is stopped and deleted while it is still arriving. The
form's ``csrf_token`` field must come before any file (the desk's form puts
the hidden input first, and browsers send fields in the order of the page):
a file part before a valid token refuses the whole request, and nothing of
it is kept.

After the stream each file is judged by its content, never its name: a CSV
(UTF-8 or Windows-1252 text) or an Excel workbook (a zip holding a
workbook), a workbook's zip first checked from its table of contents alone
for the marks of a zip bomb, before anything unpacks it. Then it is matched
to a table by its name or, failing that, by its first row. The uploaded name
is only ever shown to people (cleaned by ``display_name``), never used as a
path: the caller stores a file as ``<table>.<kind>``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import struct
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..problems import quote
from ..sources.encoding import SNIFF_BYTES, UTF8_BOM, decode_text, not_text
from ..sources.readers import SAVE_AS_UTF8, normalise_label
from ..sources.schemas import TABLE_ORDER, load_schema

MB = 1024 ** 2
CSRF_FIELD = "csrf_token"
RATIO_FLOOR = 1 * MB  # below this unpacked, how tightly a part is packed cannot harm anything
SAVE_AS_TABLE = 'Save it from Excel as an Excel Workbook (.xlsx) or as "CSV UTF-8 (Comma delimited)", and upload that.'
CSRF_WORDS = ("This upload could not be accepted: the form's security check was missing or out of date (the page may "
              "have been open for too long, or the form was not sent from the desk's own page). Go back, reload the "
              "upload page and choose the files again.")
NOT_A_FORM = ("This upload could not be read: it was not sent as a form with files. Use the desk's upload page to "
              "choose the files, then press the button to upload them.")
CUT_SHORT = ("This upload could not be read: it was cut short or is not in the form a browser sends. Nothing from "
             "it was kept. Try again from the desk's upload page.")


class UploadRefused(Exception):
    """The whole request is refused (nothing from it is kept); ``str(exc)`` says why and what to do.

    ``csrf`` is true when the form's CSRF token was missing, wrong or came after a file; ``status`` is the
    HTTP status that fits (403, 413, 415 or 400).
    """

    def __init__(self, message: str, *, csrf: bool = False, status: int = 400):
        super().__init__(message)
        self.message = message
        self.csrf = csrf
        self.status = 403 if csrf else status


@dataclass(frozen=True)
class Limits:
    """What the desk accepts in an upload. Sizes in bytes."""

    file_bytes: int = 50 * MB  # a file of any table but payments
    payments_bytes: int = 1024 * MB  # a year of a county's payments is hundreds of megabytes
    xlsx_unpacked_bytes: int = 100 * MB  # a workbook's parts, all unpacked
    xlsx_ratio: int = 100  # unpacked size to packed size, of the whole and of each part
    xlsx_members: int = 1000  # parts inside a workbook
    files_per_upload: int = 30
    ordinary_files_together: int = 10  # with one payments file, what the files of one upload may add up to
    fields_per_upload: int = 50  # fields that are not files: the token and a few more
    field_bytes: int = 64 * 1024  # the most one such field may hold

    @classmethod
    def from_settings(cls, max_file_mb: int = 50, max_payments_mb: int = 1024, **others) -> Limits:
        """The limits from the settings ``DESK_MAX_FILE_MB`` and ``DESK_MAX_PAYMENTS_MB`` (whole megabytes)."""
        return cls(file_bytes=int(max_file_mb) * MB, payments_bytes=int(max_payments_mb) * MB, **others)

    @property
    def largest(self) -> int:
        return max(self.file_bytes, self.payments_bytes)

    def for_table(self, table: str | None) -> int:
        """The most a file of ``table`` may hold; for a file whose name is no table's, the ordinary limit (only a
        file named after the payments table may be larger while it arrives)."""
        return self.payments_bytes if table == "payments" else self.file_bytes

    @property
    def upload_bytes(self) -> int:
        """The most the files of one upload may hold together: one file at the largest limit, and ten ordinary."""
        return self.largest + self.ordinary_files_together * self.file_bytes

    @property
    def request_bytes(self) -> int:
        """The most a whole request may hold: its files together, with room for each part's headers and the fields."""
        return (self.upload_bytes + self.files_per_upload * 8192
                + self.fields_per_upload * (self.field_bytes + 8192))


@dataclass(frozen=True)
class TableMatch:
    table: str
    how: str  # "name" or "header"


@dataclass
class ReceivedFile:
    """A file received whole, under a random name in the receiving folder; once judged, its table and kind."""

    display_name: str
    path: Path
    size: int
    table: str | None = None
    kind: str | None = None  # "csv" or "xlsx", by its content
    how: str | None = None  # "name" or "header": how its table was known


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[ReceivedFile] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


# Names -----------------------------------------------------------------------------------------------------------

def display_name(original: str | bytes | None, limit: int = 100) -> str:
    """The uploaded name as a page may show it: its last part only, no control or invisible characters, not too long.

    ``../../x.csv`` is ``x.csv``, ``a\\x00b.csv`` is ``ab.csv``, ``C:\\Users\\me\\y.xlsx`` is ``y.xlsx``. It is for
    people to read, never a path: files are stored as ``<table>.<kind>`` or under a random name.
    """
    if isinstance(original, bytes):
        original = original.decode("utf-8", "replace")
    text = unicodedata.normalize("NFC", original or "")
    text = "".join(" " if ch.isspace() else ch for ch in text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    text = re.split(r"[/\\]", text)[-1]
    text = re.sub(r" {2,}", " ", text).strip(" ")
    if text in ("", ".", ".."):
        return "unnamed file"
    if len(text) > limit:
        suffix = re.search(r"\.[^.]{1,8}$", text)
        end = suffix.group(0) if suffix else ""
        text = text[: limit - 1 - len(end)].rstrip(" ") + "…" + end
    return text


COPY_MARK = re.compile(r"(\s*\(\d+\)|\s*\[\d+\]|\s*[-_]?\s*copy(\s*\(\d+\)|\s+\d+)?)$", re.IGNORECASE)
KNOWN_SUFFIX = re.compile(r"\.(csv|xlsx|xlsm|xls|txt)$", re.IGNORECASE)


def table_by_name(name: str) -> str | None:
    """The table a file's name names, if any: ``Listings (2).xlsx``, ``listings - Copy.csv``, ``KPI definitions.csv``."""
    stem = display_name(name)
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", stem)
    while KNOWN_SUFFIX.search(stem):  # listings.csv.csv
        stem = KNOWN_SUFFIX.sub("", stem)
    stem = re.sub(r"^copy of\s+", "", stem.strip().lower())
    while (shorter := COPY_MARK.sub("", stem).strip()) != stem:
        stem = shorter
    key = re.sub(r"[\s\-_.]+", "_", stem).strip("_")
    return key if key in TABLE_ORDER else None


def table_by_header(labels: list[str]) -> tuple[str | None, list[str]]:
    """The table whose headings a first row is: (the table, []), or (None, the tables it could equally be).

    A table is a candidate when the row has every one of its required columns; the one sharing the most
    columns with the row wins, and a tie is no match.
    """
    have = {normalise_label(label) for label in labels if label and label.strip()}
    scores = []
    for name in TABLE_ORDER:
        schema = load_schema(name)
        shared = len(have & set(schema.field_names))
        if shared and set(schema.required_fields()) <= have:
            scores.append((shared, name))
    if not scores:
        return None, []
    best = max(score for score, _ in scores)
    tied = [name for score, name in scores if score == best]
    return (tied[0], []) if len(tied) == 1 else (None, tied)


def read_header(path: Path, kind: str) -> list[str] | None:
    """A table file's first row, stripped; None if the file cannot be read that far.

    A CSV is decoded as ``readers`` does (``encoding.decode_text``); a workbook's first sheet is the table, as
    ``readers`` reads it. Call ``check_archive`` on a workbook first.
    """
    if kind == "csv":
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
        text = decode_text(head, complete=len(head) < SNIFF_BYTES)
        if text is None:
            return None
        try:
            row = next(csv.reader(io.StringIO(text, newline="")), [])
        except csv.Error:
            return None
        return [cell.strip() for cell in row]
    from openpyxl import load_workbook

    # Opened as a file, not a path: openpyxl refuses a path whose name does not end .xlsx, and received
    # files have random names.
    with open(path, "rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - a damaged workbook fails in many ways; each is "cannot be opened"
            return None
        try:
            if not workbook.worksheets:
                return None
            from .marked import MARKER

            sheets = workbook.worksheets
            if workbook.properties.keywords == MARKER and len(sheets) > 1 and sheets[0].title == "Problems":
                sheets = sheets[1:]  # the desk's own marked workbook, uploaded again: its table is the second sheet
            for row in sheets[0].iter_rows(min_row=1, max_row=1, values_only=True):
                return ["" if value is None else str(value).strip() for value in row]
            return []
        except Exception:  # noqa: BLE001
            return None
        finally:
            workbook.close()


def match_table(path: Path, kind: str, original_name: str) -> tuple[TableMatch | None, str]:
    """Which table a file holds, by its name or failing that by its first row; or (None, why not, in words that
    follow the file's name) when neither is clear."""
    by_name = table_by_name(original_name)
    if by_name:
        return TableMatch(by_name, "name"), ""
    labels = read_header(path, kind)
    if labels is None:
        if kind == "xlsx":
            return None, ("cannot be opened as an Excel workbook: it may be damaged. Open it in Excel, save it again "
                          "as an Excel Workbook (.xlsx) and upload that.")
        return None, f"cannot be read as text. {SAVE_AS_UTF8}"
    table, tied = table_by_header(labels)
    if table:
        return TableMatch(table, "header"), ""
    example = f"for example {tied[0]}.{kind}" if tied else f"for example listings.{kind} or providers.{kind}"
    if tied:
        which = ", ".join(tied[:-1]) + f" or {tied[-1]}"
        return None, (f"was not taken: its name is not the name of a table, and its first row could be the headings "
                      f"of {which}. Rename the file after its table, {example}, and upload it again.")
    return None, ("was not taken: its name is not the name of a table, and its first row is not the headings of "
                  f"one. Rename the file after its table, {example} (the tables are {', '.join(TABLE_ORDER)}), "
                  "or check that its first row holds the table's column headings, and upload it again.")


# Content ---------------------------------------------------------------------------------------------------------

MAGIC = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole", ""),
    (b"PK\x03\x04", "zip", ""),
    (b"PK\x05\x06", "zip", ""),
    (b"PK\x07\x08", "zip", ""),
    (b"%PDF", "other", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "other", "a PNG picture"),
    (b"\xff\xd8\xff", "other", "a JPEG picture"),
    (b"GIF87a", "other", "a GIF picture"),
    (b"GIF89a", "other", "a GIF picture"),
    (b"II*\x00", "other", "a TIFF picture"),
    (b"MM\x00*", "other", "a TIFF picture"),
    (b"RIFF", "other", "a sound, video or picture file"),
    (b"\x1f\x8b", "other", "a compressed (gzip) file"),
    (b"7z\xbc\xaf\x27\x1c", "other", "a compressed (7-Zip) file"),
    (b"Rar!\x1a\x07", "other", "a compressed (RAR) file"),
    (b"{\\rtf", "other", "a Rich Text (RTF) document"),
)
MARKUP = re.compile(rb"\s*(<\?xml|<!doctype|<html|<table|<workbook)", re.IGNORECASE)


def _identify(path: Path) -> tuple[str, str]:
    """(what the file is: "csv", "zip", "ole", "utf16", "markup", "binary" or "other"; for "other", in words)."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    for magic, category, words in MAGIC:
        if head.startswith(magic):
            return category, words
    if MARKUP.match(head.removeprefix(UTF8_BOM)[:512]):
        return "markup", ""
    category = not_text(head)
    if category is not None:
        return category, ""
    if decode_text(head, complete=len(head) < SNIFF_BYTES) is None:
        return "binary", ""
    return "csv", ""


def _zip_kind(path: Path) -> tuple[str | None, str]:
    """("xlsx", "") for an Excel workbook; else (None, what the zip is, in words). Lists names only, opens nothing."""
    with zipfile.ZipFile(path) as archive:
        names = {name.lower() for name in archive.namelist()}
    if "[content_types].xml" in names and "xl/workbook.xml" in names:
        return "xlsx", ""
    if "xl/workbook.bin" in names:
        return None, "an Excel Binary Workbook (.xlsb)"
    if "mimetype" in names and "content.xml" in names:
        return None, "an OpenDocument file (.ods, as LibreOffice saves)"
    if "word/document.xml" in names:
        return None, "a Word document"
    if "ppt/presentation.xml" in names:
        return None, "a PowerPoint presentation"
    return None, "a zip file"


MACRO_PARTS = ("vbaproject.bin", "vbaprojectsignature.bin", "vbadata.xml")


def _active_content(path: Path) -> str | None:
    """Why a workbook that passed ``check_archive`` is refused for what it would carry in, in words; None if not.

    Refused, not re-saved without it: re-saving through openpyxl would change the file the person uploaded (and
    whose sha256 is recorded), and the person is the one who can say whether the macros or links matter.
    A macro-enabled workbook renamed ``.xlsx`` has a VBA project part, or says it is macro-enabled in its content
    types; a workbook with links to other workbooks has external link parts.
    """
    with zipfile.ZipFile(path) as archive:
        members = {m.filename.lower(): m for m in archive.infolist()}
        types = members.get("[content_types].xml")
        declared = b""
        if types is not None:
            with archive.open(types) as handle:
                declared = handle.read(1 * MB).lower()
    if any(name.rsplit("/", 1)[-1] in MACRO_PARTS for name in members) or b"macroenabled" in declared:
        return ("was not taken: it is a macro-enabled workbook (it holds Visual Basic macros, whatever its name "
                'says), and the desk keeps no macros. In Excel, use File > Save As and choose "Excel Workbook (.xlsx)"'
                ", not a macro-enabled one, or save the table as CSV UTF-8, and upload that.")
    if any(name.startswith("xl/externallinks/") for name in members):
        return ("was not taken: it has links to other workbooks (external links), which would be published with it. "
                "In Excel, use Data > Edit Links > Break Link, save it and upload it again, or save the table as CSV "
                "UTF-8 and upload that.")
    return None


def _content_refusal(category: str, words: str, path: Path) -> str:
    """Why a file that is not a CSV or workbook was refused, after its name."""
    if category == "ole":
        if _encrypted_workbook(path):
            return ("is protected with a password, so it cannot be read. Remove the password in Excel (File > Info > "
                    "Protect Workbook > Encrypt with Password, and clear it), save it as an Excel Workbook (.xlsx) "
                    "or as CSV UTF-8, and upload that.")
        return ("is an old-style Excel 97-2003 workbook (.xls), which cannot be read. Open it in Excel and save it "
                "as .xlsx (Excel Workbook) or CSV UTF-8, then upload that.")
    if category == "utf16":
        return f'is saved as UTF-16 ("Unicode Text"), which cannot be read. {SAVE_AS_UTF8}'
    if category == "markup":
        return ("is a web page or XML file, not a CSV file or an Excel workbook (some systems save these with a .xls "
                f"or .csv name). Open it in Excel and {SAVE_AS_TABLE[0].lower()}{SAVE_AS_TABLE[1:]}")
    if category == "binary":
        return ("is not a CSV file or an Excel workbook: it is not text, but some program's own kind of file. "
                f"{SAVE_AS_TABLE}")
    return f"is not a CSV file or an Excel workbook: it is {words}. Upload the table itself. {SAVE_AS_TABLE}"


def _encrypted_workbook(path: Path) -> bool:
    """Whether an OLE file is a password-protected workbook (its streams include "EncryptedPackage")."""
    with open(path, "rb") as handle:
        head = handle.read(1 * MB)
    return "EncryptedPackage".encode("utf-16-le") in head


# Archives --------------------------------------------------------------------------------------------------------

def size_words(size: int) -> str:
    """A size as people read it: 50 MB, 2.3 GB, 512 KB, 1,000 bytes."""
    for unit, step in (("GB", 1024 ** 3), ("MB", MB), ("KB", 1024)):
        if size >= step:
            return f"{size / step:.1f}".removesuffix(".0") + f" {unit}"
    return "1 byte" if size == 1 else f"{size:,} bytes"


def _over(size: int, limit: int) -> str:
    """A size above ``limit`` in words that do not read as equal to it."""
    shown = size_words(size)
    return f"more than {size_words(limit)}" if shown == size_words(limit) else shown


def _zip_directory(path: Path) -> tuple[int, int] | None:
    """(how many entries, how many bytes) the zip's table of contents declares, from its end record; None if absent.

    Read before ``zipfile`` builds its list of entries, whose size follows the table of contents.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        span = min(size, 22 + 65535 + 20)
        handle.seek(size - span)
        tail = handle.read(span)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        _, _, _, _, entries, cd_size, cd_offset, _ = struct.unpack("<4s4H2LH", tail[at:at + 22])
        if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:  # a zip64 end record
            locator = tail[at - 20:at] if at >= 20 else b""
            if not locator.startswith(b"PK\x06\x07"):
                return None
            _, _, offset, _ = struct.unpack("<4sLQL", locator)
            handle.seek(offset)
            record = handle.read(56)
            if len(record) < 56 or not record.startswith(b"PK\x06\x06"):
                return None
            entries, cd_size = struct.unpack("<4sQ2H2L4Q", record)[7:9]
    return entries, cd_size


DAMAGED = ("cannot be opened as an Excel workbook: it is damaged or was cut short. Open it in Excel, save it again as "
           "an Excel Workbook (.xlsx) and upload that.")
RESAVE = 'Save it again from Excel (File > Save As, "Excel Workbook (.xlsx)"), or save the table as CSV UTF-8, and upload that.'


def _members_words(who: str, count: str, limits: Limits) -> str:
    return (f"{who} was not opened: it holds {count} files packed inside it, and an Excel workbook may hold at most "
            f"{limits.xlsx_members:,}. {RESAVE}")


def _directory_refusal(path: Path, limits: Limits, who: str) -> str | None:
    directory = _zip_directory(path)
    if directory is None:
        return f"{who} {DAMAGED}"
    entries, cd_size = directory
    if entries > limits.xlsx_members:
        return _members_words(who, f"{entries:,}", limits)
    if cd_size > max(64 * 1024, limits.xlsx_members * 1024):  # a kilobyte an entry is far more than names take
        return _members_words(who, f"more than {limits.xlsx_members:,}", limits)
    return None


def check_archive(path: Path, limits: Limits = Limits(), name: str | None = None) -> str | None:
    """Why a workbook's zip is refused before anything unpacks it (in words, after ``name``), or None.

    From the zip's table of contents only: how many files it holds, how large they are unpacked, and how
    tightly the whole and each part is packed (a zip bomb packs a huge part into a small file). ``zipfile``
    never unpacks more than an entry declares, so a workbook that passes cannot unpack to more later.
    """
    path = Path(path)
    who = quote(name, limit=120) if name else "This file"
    refusal = _directory_refusal(path, limits, who)
    if refusal:
        return refusal
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error):
        return f"{who} {DAMAGED}"
    if len(members) > limits.xlsx_members:
        return _members_words(who, f"{len(members):,}", limits)
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if unpacked > limits.xlsx_unpacked_bytes:
        return (f"{who} was not opened: it would be {_over(unpacked, limits.xlsx_unpacked_bytes)} when unpacked, and an "
                f"Excel workbook may be at most {size_words(limits.xlsx_unpacked_bytes)} unpacked. Save it again from "
                "Excel with only the table's sheet in it (no pictures or other sheets), or save the table as CSV "
                f"UTF-8 (a CSV file is not packed, and may be up to {size_words(limits.file_bytes)}, or "
                f"{size_words(limits.payments_bytes)} for the payments table), and upload that.")
    for member in members:
        if member.flag_bits & 0x1 or member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return (f"{who} was not opened: it is protected with a password, or packed in a way Excel does not use. "
                    f"Remove any password in Excel, then {RESAVE[0].lower()}{RESAVE[1:]}")
    tight = [m for m in members if m.file_size > RATIO_FLOOR and m.file_size > limits.xlsx_ratio * max(m.compress_size, 1)]
    if tight or (unpacked > RATIO_FLOOR and unpacked > limits.xlsx_ratio * max(packed, 1)):
        part = max(tight, key=lambda m: m.file_size / max(m.compress_size, 1)) if tight else None
        ratio = part.file_size / max(part.compress_size, 1) if part else unpacked / max(packed, 1)
        what = f"part of it ({quote(display_name(part.filename))})" if part else "it"
        return (f"{who} was not opened: {what} is packed {ratio:,.0f} to 1, and an Excel workbook may be packed at "
                f"most {limits.xlsx_ratio:,} to 1 (a file packed tighter is made to overwhelm the computer that "
                f"unpacks it, not saved by Excel). {RESAVE}")
    return None


# Receiving -------------------------------------------------------------------------------------------------------

@dataclass
class _FilePart:
    filename: str  # as sent (for matching by name); shown only through display_name
    display: str
    path: Path
    handle: BinaryIO | None
    cap: int  # the most it may hold while arriving
    name_table: str | None
    size: int = 0
    stopped: bool = False  # passed its cap: deleted, refused


@dataclass
class _FieldPart:
    name: str
    value: bytearray = field(default_factory=bytearray)


class _Receiver:
    """The parser's callbacks: fields kept in memory (small, counted), file parts queued for writing to disk."""

    def __init__(self, folder: Path, limits: Limits, token_ok: Callable[[str], bool], field_name: str):
        self.folder, self.limits, self.token_ok, self.field_name = folder, limits, token_ok, field_name
        self.fields: dict[str, str] = {}
        self.files: list[_FilePart] = []
        self.refusals: list[str] = []
        self.token_passed = False
        self.part: _FilePart | _FieldPart | None = None
        self.headers: dict[bytes, bytes] = {}
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.field_count = 0
        self.file_bytes = 0  # of the files being kept, so far
        # File data from the chunk just parsed (never more than a chunk), written by ``flush`` in a worker thread.
        self.pending: list[tuple[_FilePart, bytes]] = []
        self.finished: list[_FilePart] = []  # closed by ``flush``

    def callbacks(self) -> dict:
        return {"on_part_begin": self.on_part_begin, "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end, "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished}

    def on_part_begin(self) -> None:
        self.part, self.headers = None, {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[bytes(self.header_name).strip().lower()] = bytes(self.header_value).strip()
        self.header_name, self.header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise UploadRefused(CUT_SHORT)
        name = options[b"name"].decode("utf-8", "replace")
        if b"filename" not in options:
            self.field_count += 1
            if self.field_count > self.limits.fields_per_upload:
                raise UploadRefused(CUT_SHORT)
            self.part = _FieldPart(name)
            return
        if not self.token_passed:
            raise UploadRefused(CSRF_WORDS, csrf=True)
        if name != self.field_name:
            self.part = None  # a file in a field the form does not have: its data is passed over
            return
        if len(self.files) >= self.limits.files_per_upload:
            raise UploadRefused(f"This upload has more than {self.limits.files_per_upload} files, and the desk takes at "
                                f"most {self.limits.files_per_upload} at a time. Nothing from it was kept. Upload the "
                                "files a few at a time.", status=413)
        filename = options[b"filename"].decode("utf-8", "replace")  # browsers send the name in UTF-8
        descriptor, temporary = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=self.folder)
        part = _FilePart(filename, display_name(filename), Path(temporary), os.fdopen(descriptor, "wb"), 0,
                         table_by_name(filename))
        part.cap = self.limits.for_table(part.name_table)
        self.files.append(part)
        self.part = part

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        if isinstance(part, _FieldPart):
            if len(part.value) + (end - start) > self.limits.field_bytes:
                raise UploadRefused(CUT_SHORT)
            part.value += data[start:end]
        elif isinstance(part, _FilePart) and not part.stopped:
            part.size += end - start
            if part.size > part.cap:
                self.stop(part)
                return
            self.file_bytes += end - start
            if self.file_bytes > self.limits.upload_bytes:
                raise UploadRefused(_too_large(self.file_bytes, self.limits, "The files of this upload come to more "
                                               f"than {size_words(self.limits.upload_bytes)}"), status=413)
            self.pending.append((part, data[start:end]))

    def on_part_end(self) -> None:
        part = self.part
        if isinstance(part, _FieldPart):
            value = part.value.decode("utf-8", "replace")
            if part.name == CSRF_FIELD:
                if not self.token_ok(value):
                    raise UploadRefused(CSRF_WORDS, csrf=True)
                self.token_passed = True
            self.fields[part.name] = value
        elif isinstance(part, _FilePart) and not part.stopped:
            self.finished.append(part)
        self.part = None

    def stop(self, part: _FilePart) -> None:
        """A file passed its limit while arriving: what was queued of it is dropped, it is deleted, and refused."""
        part.stopped = True
        self.pending = [(p, d) for p, d in self.pending if p is not part]
        self.finished.append(part)
        if part.name_table is None:
            limit = f"its name is not the name of a table, and such a file may be at most {size_words(part.cap)}"
            if self.limits.payments_bytes > part.cap:
                limit += (f". If it is the payments table, name it payments.csv or payments.xlsx and upload it again: "
                          f"a payments file may be up to {size_words(self.limits.payments_bytes)}")
        elif part.cap < self.limits.largest:
            limit = (f"a file of the {part.name_table} table may be at most {size_words(part.cap)} (only the payments "
                     f"table may be larger, up to {size_words(self.limits.payments_bytes)})")
        else:
            limit = f"no file may be larger than {size_words(part.cap)}"
        self.refusals.append(f"{quote(part.display, limit=120)} was stopped at {size_words(part.cap)} and not kept: "
                             f"{limit}. {_smaller_words(part.name_table)}")

    def flush(self) -> None:
        """Write the queued file data, and close the files that are complete (deleting those that were stopped)."""
        for part, data in self.pending:
            part.handle.write(data)
        self.pending = []
        for part in self.finished:
            if part.handle is not None:
                part.handle.close()
                part.handle = None
            if part.stopped:
                part.path.unlink(missing_ok=True)
        self.finished = []

    def discard(self) -> None:
        """Close and delete everything written: the request is refused, or broke off."""
        self.pending = []
        for part in self.files:
            if part.handle is not None:
                with contextlib.suppress(OSError):
                    part.handle.close()
                part.handle = None
            part.path.unlink(missing_ok=True)


def sweep_partial_uploads(drafts: Path) -> int:
    """Delete the files of uploads that were still arriving when the desk stopped (``<draft>/incoming/*.part``);
    how many. Only at the desk's start: while it runs, such a file may be arriving."""
    swept = 0
    for part in Path(drafts).glob("*/incoming/.upload-*.part"):
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
            swept += 1
    return swept


def _smaller_words(table: str | None) -> str:
    if table == "payments":
        return ("Upload the payments of a shorter period, or ask the desk's administrator to raise the limit "
                "(the setting DESK_MAX_PAYMENTS_MB).")
    return ("Remove what the table does not need (other sheets, pictures, empty rows and columns) or save it as CSV "
            "UTF-8, and upload it again; or ask the desk's administrator to raise the limit (the setting "
            "DESK_MAX_FILE_MB).")


async def receive_upload(request: Request, folder: Path, limits: Limits, token_ok: Callable[[str], bool],
                         field_name: str = "files") -> Upload:
    """Receive a multipart upload into ``folder`` (which must exist), streamed to disk, and judge each file.

    The ``csrf_token`` field must come before the first file, and pass ``token_ok``. Files come back under
    random names in ``folder`` with their table, kind and how the table was known; every file refused is
    deleted and said in ``refusals``. ``UploadRefused`` refuses the whole request, and then nothing is kept.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"the folder to receive uploads into, {folder}, does not exist")
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        raise UploadRefused(NOT_A_FORM, status=415)
    boundary = options.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise UploadRefused(NOT_A_FORM)
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limits.request_bytes:
        raise UploadRefused(_too_large(int(declared), limits), status=413)
    receiver = _Receiver(folder, limits, token_ok, field_name)
    try:
        parser = MultipartParser(boundary, receiver.callbacks())
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limits.request_bytes:
                raise UploadRefused(_too_large(received, limits), status=413)
            parser.write(chunk)
            if receiver.pending or receiver.finished:
                await run_in_threadpool(receiver.flush)
        parser.finalize()
        if parser.state != MultipartState.END:
            raise UploadRefused(CUT_SHORT)
        if not receiver.token_passed:
            raise UploadRefused(CSRF_WORDS, csrf=True)
        receiver.flush()
    except FormParserError:
        receiver.discard()
        raise UploadRefused(CUT_SHORT) from None
    except BaseException:
        receiver.discard()
        raise
    upload = Upload(receiver.fields, [], receiver.refusals)
    parts = [part for part in receiver.files if not part.stopped]
    try:
        await run_in_threadpool(_judge_all, parts, limits, upload)
    except BaseException:
        receiver.discard()
        raise
    return upload


def _too_large(size: int, limits: Limits, what: str | None = None) -> str:
    what = what or f"This upload is {_over(size, limits.request_bytes)}"
    return (f"{what}, more than the desk takes at once (one file of up to "
            f"{size_words(limits.largest)} and {limits.ordinary_files_together} of up to {size_words(limits.file_bytes)}"
            f", at most {limits.files_per_upload} files). Nothing from it was kept. Upload the files a few at a time.")


def _judge_all(parts: list[_FilePart], limits: Limits, upload: Upload) -> None:
    """Each received file kept as its table, or deleted with its refusal; one file for each table."""
    taken: dict[str, ReceivedFile] = {}
    for part in parts:
        if part.size == 0 and not part.filename:
            part.path.unlink(missing_ok=True)  # a file input left empty
            continue
        result = _judge(part, limits)
        if isinstance(result, ReceivedFile) and result.table in taken:
            result = (f"{quote(part.display, limit=120)} was not taken: {quote(taken[result.table].display_name, limit=120)} "
                      f"in the same upload is already the {result.table} table. Upload one file for each table.")
        if isinstance(result, str):
            part.path.unlink(missing_ok=True)
            upload.refusals.append(result)
        else:
            taken[result.table] = result
            upload.files.append(result)


def _judge(part: _FilePart, limits: Limits) -> ReceivedFile | str:
    """The file as its table, or why it is refused (in words that begin with its name)."""
    who = quote(part.display, limit=120)
    if part.size == 0:
        return f"{who} is empty. Check that you chose the right file, save it again from Excel, and upload it again."
    category, words = _identify(part.path)
    if category == "zip":
        refusal = check_archive(part.path, limits, name=part.display)
        if refusal:
            return refusal
        try:
            kind, what = _zip_kind(part.path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return f"{who} {DAMAGED}"
        if kind is None:
            return f"{who} is {what}, not an Excel workbook. Open it and {SAVE_AS_TABLE[0].lower()}{SAVE_AS_TABLE[1:]}"
        refusal = _active_content(part.path)
        if refusal:
            return f"{who} {refusal}"
    elif category == "csv":
        kind = "csv"
    else:
        return f"{who} {_content_refusal(category, words, part.path)}"
    match, why = match_table(part.path, kind, part.filename)
    if match is None:
        return f"{who} {why}"
    limit = limits.for_table(match.table)
    if part.size > limit:
        how = "by its name" if match.how == "name" else "by its first row"
        return (f"{who} is {_over(part.size, limit)} and was not kept: it was taken {how} as the {match.table} table, "
                f"and a file of that table may be at most {size_words(limit)} (only the payments table may be larger, "
                f"up to {size_words(limits.payments_bytes)}). {_smaller_words(match.table)}")
    return ReceivedFile(part.display, part.path, part.size, match.table, kind, match.how)

"""Telling text from anything else, and UTF-8 from Windows-1252: the one place that decides, for every reader.

The readers, the desk's uploads and the desk's marked workbooks all ask the same two questions of a file, and
must answer them alike, or a file the upload takes is one the check cannot read:

- **Is it text at all?** ``not_text`` looks at the first bytes: a zip (a workbook with a .csv name), UTF-16
  ("Unicode text", which Excel offers), or bytes no text has (NULs, many control characters).
- **Which text?** ``encoding_of``: UTF-8 when every byte is; "mixed" when the file is UTF-8 but for some bytes
  (a character pasted in from elsewhere), which is never read as Windows-1252, as that would turn every £ and é
  in it into nonsense; else Windows-1252, which is what Excel's plain "CSV" saves on Windows.

UTF-8 is checked without building a string of the whole file: a year of payments is hundreds of megabytes.
"""

from __future__ import annotations

import codecs
import mmap
from pathlib import Path

UTF8, MIXED, WINDOWS_1252 = "utf-8", "mixed", "cp1252"
UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
ZIP = b"PK\x03\x04"
SNIFF_BYTES = 64 * 1024  # how much of a file tells text from anything else


def not_text(data: bytes) -> str | None:
    """What a file's first bytes say it is when it is no text to read: "zip", "utf16" or "binary"; None for text.

    Only the first ``SNIFF_BYTES`` are looked at, however much is given. Tab, line feed, form feed and carriage
    return are text; a few other control characters may be stray ones in a text file, many are not.
    """
    head = data[:SNIFF_BYTES]
    if head.startswith(ZIP):
        return "zip"
    if head.startswith(UTF16_BOMS):
        return "utf16"
    body = head.removeprefix(UTF8_BOM)
    controls = sum(body.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if b"\x00" in head or controls > max(8, len(body) // 200):
        return "binary"
    return None


def encoding_of(data, complete: bool = True) -> tuple[str, int | None]:
    """(``UTF8``, ``MIXED`` or ``WINDOWS_1252``; where the first byte that is not UTF-8 is, or None).

    ``data`` is any bytes-like object (a memory-mapped file too), a byte-order mark already removed or not. When
    it is not ``complete`` (the start of a file), a character cut off at its end is not counted against it.
    """
    bad = first_non_utf8(data, complete=complete)
    if bad is None:
        return UTF8, None
    return (MIXED if holds_utf8_characters(data) else WINDOWS_1252), bad


def decode_text(data: bytes, complete: bool = True) -> str | None:
    """Bytes as text the way the readers take them; None when they are not text in either encoding.

    A byte-order mark is dropped; a UTF-8 file with a stray byte has the byte replaced (the readers say where it
    is); Windows-1252 must be Windows-1252 throughout (five bytes mean nothing in it).
    """
    data = data.removeprefix(UTF8_BOM)
    encoding, _ = encoding_of(data, complete)
    if encoding != WINDOWS_1252:
        return codecs.utf_8_decode(data, "strict" if encoding == UTF8 else "replace", complete)[0]
    return windows_1252(data)


def windows_1252(data: bytes) -> str | None:
    """Bytes read as Windows-1252, or None when some byte has no meaning in it."""
    try:
        return data.decode(WINDOWS_1252)
    except UnicodeDecodeError:
        return None


def windows_1252_character(byte: int) -> str | None:
    """The character a byte is in Windows-1252, when it is a printable one: for a message about a stray byte."""
    known = bytes([byte]).decode(WINDOWS_1252, "replace")
    return known if known.isprintable() and known != "\ufffd" else None


def open_arguments(path: Path) -> tuple[str, str]:
    """(encoding, errors) to ``open`` a text file as the readers read it, found without reading it into memory.

    UTF-8 with or without a byte-order mark; a UTF-8 file with stray bytes as UTF-8, each such byte replaced;
    Windows-1252 otherwise, a byte with no meaning in it replaced. Whatever the file holds, it can be read.
    """
    with open(path, "rb") as f:
        if not Path(path).stat().st_size:
            return "utf-8-sig", "strict"
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as view:
            encoding, _ = encoding_of(view)
    return {UTF8: ("utf-8-sig", "strict"), MIXED: ("utf-8-sig", "replace")}.get(encoding, (WINDOWS_1252, "replace"))


def has_control_bytes(data, block: int = 1 << 24) -> bool:
    """Whether any byte is a control character other than tab, line feed and carriage return.

    A block at a time with numpy: a few times quicker than a regular expression's
    scan on a file of hundreds of megabytes.
    """
    import numpy as np

    every = np.frombuffer(data, dtype=np.uint8)
    for start in range(0, len(every), block):
        part = every[start:start + block]
        low = part[part < 0x20]  # mostly tabs and line breaks
        if ((low != 0x09) & (low != 0x0A) & (low != 0x0D)).any() or (part == 0x7F).any():
            return True
    return False


def first_non_utf8(data, block: int = 1 << 22, complete: bool = True) -> int | None:
    """Where the first byte that is not UTF-8 is, or None; a block at a time, so no string of the whole file."""
    view = memoryview(data)
    block = max(block, 4)  # room for a whole character: a block that decodes to nothing is the end, cut short
    start = 0
    while start < len(view):
        end = start + block
        try:
            _, used = codecs.utf_8_decode(view[start:end], "strict", complete and end >= len(view))
        except UnicodeDecodeError as exc:
            return start + exc.start
        if not used:
            break  # the start of a character cut off at the end of what was given
        start += used  # a character cut by the block's end is decoded with the next block
    return None


def holds_utf8_characters(data, block: int = 1 << 24) -> bool:
    """Whether the bytes hold a character written the UTF-8 way (a lead byte and its continuation bytes).

    Text that is Windows-1252 throughout has none: its £ (0xA3) and é (0xE9) stand alone.
    """
    import numpy as np

    every = np.frombuffer(data, dtype=np.uint8)
    size = len(every)
    for start in range(0, size, block):
        part = every[start:start + block]
        lead = np.flatnonzero(part >= 0xC2) + start  # one pass over the block; the few found are sifted
        first = every[lead]
        lead, first = lead[first <= 0xF4], first[first <= 0xF4]
        if not len(lead):
            continue
        after = [np.where(lead + k < size, every[np.minimum(lead + k, size - 1)], 0) for k in (1, 2, 3)]
        follows = [(byte & 0xC0) == 0x80 for byte in after]
        two = (first <= 0xDF) & follows[0]
        three = ((first >= 0xE0) & (first <= 0xEF) & follows[0] & follows[1]
                 & ~((first == 0xE0) & (after[0] < 0xA0)) & ~((first == 0xED) & (after[0] > 0x9F)))
        four = ((first >= 0xF0) & follows[0] & follows[1] & follows[2]
                & ~((first == 0xF0) & (after[0] < 0x90)) & ~((first == 0xF4) & (after[0] > 0x8F)))
        if (two | three | four).any():
            return True
    return False

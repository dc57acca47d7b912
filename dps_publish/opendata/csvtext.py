"""Large tables of text as CSV, byte for byte as Python's ``csv`` module writes them, in Arrow.

A year of payments is millions of rows; pandas' ``to_csv`` takes seconds per
file. Here every column is joined in Arrow's compute kernels instead, with
the ``csv`` module's rules (``QUOTE_MINIMAL``, ``\\r\\n`` line ends): a cell
is quoted only when it holds a comma, a double quote or a line break, and a
double quote inside it is doubled. A test compares the two on awkward text.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

SPECIAL = (b",", b'"', b"\r", b"\n")


ROWS_AT_A_TIME = 100_000  # a slice's working columns are tens of MB, not a year of payments' gigabyte


def frame_csv(frame: pd.DataFrame) -> bytes:
    """The frame (every column text) as CSV with a header row, as ``frame.to_csv(index=False, lineterminator="\\r\\n")``.

    The rows are joined ``ROWS_AT_A_TIME`` at a time into one growing buffer, so the working memory beside the
    result is one slice's, not three copies of the whole table (the open data's peak at county scale)."""
    header = io.StringIO(newline="")
    csv.writer(header, lineterminator="\r\n").writerow(list(frame.columns))
    data = bytearray(header.getvalue().encode("utf-8"))
    for start in range(0, len(frame), ROWS_AT_A_TIME):
        _append_rows(frame.iloc[start:start + ROWS_AT_A_TIME], data)
    if len(frame) > ROWS_AT_A_TIME:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()  # a year of payments: give the working memory back at once
    return bytes(data) if len(data) < 1 << 24 else data  # a big table stays one buffer: bytes() would copy it


def _append_rows(frame: pd.DataFrame, data: bytearray) -> None:
    """The frame's rows as CSV lines, joined in Arrow's compute kernels, added to ``data``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(value: str):
        return pa.scalar(value, pa.large_string())

    parts = []
    for name in frame.columns:
        column = pa.array(frame[name], from_pandas=True)
        if not isinstance(column, pa.ChunkedArray):
            column = pa.chunked_array([column])
        column = pc.fill_null(column.cast(pa.large_string()), text(""))
        if _may_need_quotes(column):
            needs = pc.match_substring_regex(column, '[,"\r\n]')
            quoted = pc.binary_join_element_wise(text('"'), pc.replace_substring(column, '"', '""'), text('"'),
                                                 text(""))
            column = pc.if_else(needs, quoted, column)
        parts += [column, text(",")]
    parts[-1] = text("\r\n")
    lines = pc.binary_join_element_wise(*parts, text(""))
    del parts, column
    for chunk in lines.chunks:
        data += _chunk_view(chunk)


def _may_need_quotes(column) -> bool:
    """A fast look at the column's raw bytes: most columns hold no comma, quote or line break at all."""
    for chunk in column.chunks:
        data = chunk.buffers()[2]
        if data is not None:
            raw = data.to_pybytes()
            if any(raw.find(c) >= 0 for c in SPECIAL):
                return True
    return False


def _chunk_view(chunk) -> memoryview:
    """The bytes of all the chunk's strings, end to end, without copying them."""
    import numpy as np

    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
    return memoryview(chunk.buffers()[2])[int(offsets[0]):int(offsets[-1])]

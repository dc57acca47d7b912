"""JSON documents as published: two-space indents, UTF-8 as it is (not ``\\u`` escapes), a newline at the end.

The bytes are those ``json.dumps(value, indent=2, ensure_ascii=False)`` writes, made by orjson, which is about
twenty times faster: a county's Open Referral UK API is tens of thousands of small documents, and the standard
library's encoder falls back to pure Python whenever it indents. A test compares the two on awkward values.
They differ only where no published value goes: a number under 0.0001 is written without an exponent
(``0.00005``, not ``5e-05``), and a NaN as ``null`` (``json`` writes ``NaN``, which is not JSON).
"""

from __future__ import annotations

import orjson

OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE


def json_document(value) -> bytes:
    """``value`` as a published JSON file's bytes."""
    return orjson.dumps(value, option=OPTIONS)

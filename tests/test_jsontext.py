"""The published JSON documents: orjson's bytes are json.dumps(indent=2, ensure_ascii=False)'s.

Not below 0.0001: there orjson writes 0.00005 where Python writes 5e-05, the same number. No pound or count we
publish is that small; the test says so rather than hiding it."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dps_publish.opendata.jsontext import json_document

AWKWARD = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
           | st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x == 0 or abs(x) >= 1e-4) | AWKWARD)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(AWKWARD, inner, max_size=4),
                      max_leaves=20)


def standard(value) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_a_published_json_document_is_byte_for_byte_what_the_standard_library_writes(value):
    assert json_document(value) == standard(value)


def test_the_awkward_cases_by_name():
    value = {"name": "Café \"Zoë\" \\ Ltd\u2028\x1f\t", "empty": {}, "none": [], "pounds": 1234.5, "big": 1e16,
             "small": 0.0001, "nested": [{"a": None, "b": True}], "emoji": "🚶", 3: "a number as a key"}
    assert json_document(value) == standard(value)
    assert json_document(value).endswith(b"}\n") and "Café".encode() in json_document(value)


def test_below_a_ten_thousandth_the_two_write_the_same_number_differently():
    assert json_document(5e-05) == b"0.00005\n" and standard(5e-05) == b"5e-05\n"
    assert json.loads(json_document(5e-05)) == 5e-05

"""Large text tables as CSV in Arrow: byte for byte what Python's csv module (and pandas) write."""

from __future__ import annotations

import csv
import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dps_publish.opendata.csvtext import frame_csv

AWKWARD = st.text(alphabet=st.sampled_from(list('ab ,"\r\n;\'£é\t0-')), max_size=8)


def _python_csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(frame.columns))
    writer.writerows(frame.itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(AWKWARD, AWKWARD, AWKWARD), max_size=30), st.booleans())
def test_same_bytes_as_the_csv_module_for_awkward_text(rows, arrow_backed):
    frame = pd.DataFrame(rows, columns=["name", "area", "amount"], dtype="str" if arrow_backed else object)
    assert frame_csv(frame) == _python_csv(frame)
    assert frame_csv(frame) == frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def test_a_slice_of_a_large_frame_and_an_empty_frame():
    frame = pd.DataFrame({"id": [f"T{i}" for i in range(5000)],
                          "area": ["Children, Young People and Education", "Adult Social Care"] * 2500},
                         dtype="str")
    part = frame.iloc[1000:4000:7]
    assert frame_csv(part) == _python_csv(part)
    assert frame_csv(frame.iloc[:0]) == b"id,area\r\n"


def test_a_table_joined_a_slice_at_a_time_is_the_same_bytes(monkeypatch):
    """A year of payments is joined ROWS_AT_A_TIME rows at a time (to hold the open data's memory down): slices
    of 7 rows, with quoting in some slices and none in others, give the very bytes of the whole table at once."""
    from dps_publish.opendata import csvtext

    frame = pd.DataFrame({"id": [f"T{i}" for i in range(100)],
                          "area": ["Adult Social Care"] * 50 + ['Children, "Young" People'] * 50}, dtype="str")
    whole = frame_csv(frame)
    monkeypatch.setattr(csvtext, "ROWS_AT_A_TIME", 7)
    assert frame_csv(frame) == whole == _python_csv(frame)

"""A quarter of spend over £500 longer than a spreadsheet opens stops the build in words, before anything is written.

The limit is Excel's (1,048,576 rows, the header one of them). Making a million payments to pass it would take
minutes, so the tests lower the limit to the example's largest quarter less one: the same check, on real data.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT, dps, scratch

from dps_publish.model.build import build_model
from dps_publish.opendata import transparency
from dps_publish.opendata.publication import plan_publication
from dps_publish.problems import BuildError
from dps_publish.settings import load_settings
from dps_publish.sources.validate import validate_folder


@pytest.fixture(scope="module")
def model():
    return build_model(validate_folder(ROOT / "data").tables)


@pytest.fixture
def largest(model, monkeypatch) -> tuple[str, int]:
    """The example's fullest quarter and its number of payments; the limit made one row too few for it."""
    names, codes = transparency.spend_quarters(model)
    counts = np.bincount(codes, minlength=len(names))
    quarter = names[int(counts.argmax())]
    monkeypatch.setattr(transparency, "EXCEL_ROW_LIMIT", int(counts.max()))  # the header takes one row
    return quarter, int(counts.max())


def test_the_example_is_within_the_limit(model):
    names, codes = transparency.spend_quarters(model)
    assert names and np.bincount(codes).max() + 1 <= transparency.EXCEL_ROW_LIMIT == 1_048_576


def test_too_many_rows_is_a_build_error_in_words_before_anything_is_written(model, largest, tmp_path):
    quarter, count = largest
    settings = load_settings(ROOT / "pelicanconf.py")
    with pytest.raises(BuildError) as raised:
        plan_publication(model, settings, tmp_path / "published")
    message = str(raised.value)
    assert f"spend-over-500-{quarter}.csv" in message  # the file
    assert f"{count:,} payments" in message  # the count
    assert f"at most {count - 1:,} rows of payments" in message  # the limit, less the header
    assert "payments table" in message and "each payment once" in message  # what to do
    with pytest.raises(BuildError) as written:
        transparency.write_transparency(model, settings, tmp_path / "transparency")
    assert str(written.value) == message
    assert not list((tmp_path / "transparency").glob("spend-over-500-*"))


def test_the_person_reads_it_not_a_fault_report(largest, tmp_path, capsys):
    quarter, count = largest
    output = tmp_path / "output"
    code = dps(["build", "--data", str(ROOT / "data"), "--output", str(output), "--frozen",
                str(ROOT / "published"), "--cache", str(scratch())])
    err = capsys.readouterr().err
    assert code != 0
    assert f"spend-over-500-{quarter}.csv" in err and f"{count:,} payments" in err
    assert "Something went wrong inside dps-publish" not in err and "Traceback" not in err
    assert not output.exists()

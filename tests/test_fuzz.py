"""Fuzzing: broken and awkward tables never cause an unexpected exception.

Hypothesis generates changes to the example tables: random cells (any Unicode,
formula characters, very long text), columns dropped, added and renamed, rows
duplicated, files cut short, random bytes, other encodings. Validation and the
publishable model must either succeed or report problems with a listed code
and a message in words. Some examples go all the way through a build and must
give a data package that frictionless accepts.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

from frictionless import validate as frictionless_validate
from helpers import ROOT, project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dps_publish.model.build import build_model
from dps_publish.pipeline import build
from dps_publish.problems import CODES, DataProblems
from dps_publish.sources.validate import validate_folder

TABLES = sorted(p.name for p in (ROOT / "data").glob("*.csv"))
AWKWARD = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "=1+1", "@SUM(A1)", "+x", "-x", "\t", "yes", "no", "31/02/2023", "£1.234,50",
                     "../etc", "all", "E07000105", "NaN", "1e9", "-0", "0", "2022-13-01", "<script>", "a;b;;c",
                     "x" * 33_000]),
)


@st.composite
def changed_tables(draw):
    """(file name, new bytes) for one table changed in one of many ways."""
    name = draw(st.sampled_from(TABLES))
    text = (ROOT / "data" / name).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    kind = draw(st.sampled_from(["cells", "drop-column", "add-column", "rename-column", "duplicate-row",
                                 "truncate", "random-bytes", "empty", "utf-16", "cp1252", "blank-rows"]))
    if kind == "cells":
        for _ in range(draw(st.integers(1, 4))):
            r = draw(st.integers(1, len(rows) - 1)) if len(rows) > 1 else 0
            c = draw(st.integers(0, len(rows[0]) - 1))
            rows[r][c] = draw(AWKWARD)
    elif kind == "drop-column":
        c = draw(st.integers(0, len(rows[0]) - 1))
        rows = [row[:c] + row[c + 1:] for row in rows]
    elif kind == "add-column":
        rows = [row + [draw(st.text(max_size=10)) if i else draw(st.text(min_size=1, max_size=12))]
                for i, row in enumerate(rows)]
    elif kind == "rename-column":
        c = draw(st.integers(0, len(rows[0]) - 1))
        rows[0][c] = draw(st.sampled_from([rows[0][c].upper(), f" {rows[0][c]} ", rows[0][c].replace("_", " "),
                                           rows[0][c] + "x", ""]))
    elif kind == "duplicate-row" and len(rows) > 1:
        rows.insert(1, list(rows[1]))
    elif kind == "blank-rows":
        rows += [[""] * len(rows[0])] * 3
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    if kind == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif kind == "random-bytes":
        data = draw(st.binary(min_size=1, max_size=300))
    elif kind == "empty":
        data = b""
    elif kind == "utf-16":
        data = buffer.getvalue().encode("utf-16")
    elif kind == "cp1252":
        data = buffer.getvalue().encode("cp1252", errors="replace")
    return name, data


def _check_problems(problems) -> None:
    for problem in problems:
        assert problem.code in CODES, problem
        assert problem.message and problem.file, problem
        assert "Traceback" not in problem.message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(change=changed_tables())
def test_validation_and_model_never_fail_unexpectedly(change):
    name, data = change
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        shutil.copytree(ROOT / "data", folder)
        (folder / name).write_bytes(data)
        validation = validate_folder(folder)
        _check_problems(validation.problems)
        if validation.ok:
            model = build_model(validation.tables)
            assert model.programmes


SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40,
).map(str.strip).filter(lambda t: t and t[0] not in "=+-@" and len(t.split()) <= 5)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(SAFE_TEXT, min_size=1, max_size=4), descriptions=st.lists(SAFE_TEXT, min_size=1, max_size=4))
def test_full_builds_of_fuzzed_text_give_a_valid_data_package(names, descriptions):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        shutil.copytree(ROOT / "data", folder)
        path = folder / "providers.csv"
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        for i, value in enumerate(names):
            rows[i * 7]["name"] = value
        for i, value in enumerate(descriptions):
            rows[i * 5 + 1]["description"] = value
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        output = Path(tmp) / "output"
        try:
            build(project(folder, output))
        except DataProblems as problems:
            # Random words may happen to be a word from the naming register, or a letter the booklets' font cannot
            # print: a listed, worded refusal.
            _check_problems(problems.problems)
            assert {p.code for p in problems.problems} <= {"naming-register", "easy-read-sentence-too-long",
                                                           "booklet-unprintable"}
            return
        report = frictionless_validate(str(output / "data" / "datapackage.json"))
        assert report.valid, report.flatten(["type", "message"])[:5]

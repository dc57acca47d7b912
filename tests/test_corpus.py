"""A corpus of bad and awkward source tables, each checked against the data contract.

Every folder under ``tests/fixtures/corpus/`` holds only the files that differ
from the example data, plus ``expected.json``. A case is laid over a copy of
``data/`` (a file named ``DELETE-<file>`` removes ``<file>`` from the copy) and
validated. The expectations come from ``shared/data-contract.md``, not from what
the code happens to do: a case that fails here is a disagreement between the
code and the contract.

expected.json:

- ``outcome``: ``refused`` or ``accepted``;
- ``problems`` (refused): every expected problem as code, file, row, column;
  each must also name its cell (``G14``) and, in a workbook, the sheet, which
  the test works out from the case file's own header row;
- ``same_as_clean`` (accepted): the normalised tables equal the example data's;
- ``changed_cells`` / ``blanked_columns`` (accepted, when the case changes
  data on purpose): the example's tables with exactly those changes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from dps_publish.sources.validate import validate_folder

ROOT = Path(__file__).resolve().parents[1]
THEME = ROOT / "dps_publish" / "theme"
DATA = ROOT / "data"
CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())
DELETE = "DELETE-"

# Refused cases run through `dps-publish build`: structure, cell type, cross-table rule, unreadable file, xlsx,
# and values that once ended a build in a traceback (a KPI count of 121.5, a contract year of 5,000 digits).
BUILD_CASES = ("13-money-in-another-convention", "24-closed-lot-in-second-round", "50-truncated-in-quoted-cell",
               "52-binary-junk", "55-xlsx-formula-cell", "120-kpi-numerator-with-decimal-point",
               "123-contract-year-with-5000-digits")

# What a message must never look like: Python leaking through to a comms officer.
NOT_PLAIN = re.compile(r"Traceback|File \"|line \d+, in |\b\w+(Error|Exception)\b|<\w+ object at 0x")


def expected(case: Path) -> dict:
    return json.loads((case / "expected.json").read_text(encoding="utf-8"))


def overlay(case: Path, target: Path) -> Path:
    """A copy of the example data with the case's files laid over it."""
    shutil.copytree(DATA, target)
    for path in sorted(case.iterdir()):
        if path.name == "expected.json":
            continue
        if path.name.startswith(DELETE):
            (target / path.name[len(DELETE):]).unlink()
        else:
            shutil.copyfile(path, target / path.name)
    return target


def place(problem) -> tuple:
    return (problem["code"], problem["file"], problem["row"], problem["column"])


def header_row(path: Path) -> tuple[list[str], str | None]:
    """The file's own first row and, for a workbook, the title of its first sheet (read here, not by dps_publish)."""
    if path.suffix == ".xlsx":
        try:
            workbook = openpyxl.load_workbook(path, read_only=True)
        except Exception:  # noqa: BLE001 - a case of a workbook that cannot be opened: no sheet, no cells
            return [], None
        sheet = workbook.worksheets[0]
        first = next(sheet.iter_rows(max_row=1, values_only=True), ())
        title = sheet.title
        workbook.close()
        return ["" if v is None else str(v) for v in first], title
    text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    return next(csv.reader(io.StringIO(text, newline="")), []), None


def expected_cell(problem: dict, labels: list[str]) -> str | None:
    """``G14`` for a problem on row 14 of the column that is the file's seventh; None without a row or such a column."""
    if problem["row"] is None or not problem["column"]:
        return None

    def key(text: str) -> str:
        return re.sub(r"[\s\-]+", "_", text.strip().lower())

    positions = [i for i, label in enumerate(labels) if key(label) == key(problem["column"])]
    if problem["code"] == "duplicate-label":
        positions = positions[1:]  # the second column of the name is the one in the way
    if positions:
        return f"{get_column_letter(positions[0] + 1)}{problem['row']}"
    if re.fullmatch(r"[A-Z]{1,3}", problem["column"]):
        return f"{problem['column']}{problem['row']}"  # a column without a heading goes by its letter
    return None


def assert_cells_as_the_spreadsheet_names_them(spec: dict, problems, data: Path) -> None:
    """Every expected problem carries the cell (and, in a workbook, the sheet) of its row and column in its file."""
    for want in spec["problems"]:
        path = data / want["file"]
        labels, sheet = header_row(path) if path.is_file() else ([], None)
        cell = expected_cell(want, labels)
        got = [p for p in problems if place(p.to_dict()) == place(want)]
        assert got, want
        for problem in got:
            assert (problem.cell, problem.sheet) == (cell, sheet), (place(want), problem.cell, problem.sheet)
            if cell:
                assert f"cell {cell} (row {want['row']}, column {want['column']})" in str(problem), str(problem)
            if cell and sheet:
                assert str(problem).startswith(f"{want['file']}, sheet {sheet}, cell {cell} "), str(problem)


@pytest.fixture(scope="module")
def clean_frames() -> dict[str, pd.DataFrame]:
    validation = validate_folder(DATA)
    assert validation.ok, [str(p) for p in validation.problems]
    return {name: table.frame for name, table in validation.tables.items()}


def expected_frames(clean: dict[str, pd.DataFrame], spec: dict) -> dict[str, pd.DataFrame]:
    """The example's normalised tables with the changes the case makes on purpose."""
    frames = {name: frame.copy() for name, frame in clean.items()}
    for blank in spec.get("blanked_columns", []):
        frame = frames[blank["table"]]
        frame[blank["column"]] = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    for cell in spec.get("changed_cells", []):
        frames[cell["table"]].at[cell["row"], cell["column"]] = cell["value"]
    return frames


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_is_refused_or_accepted_as_the_contract_says(case, tmp_path, clean_frames):
    spec = expected(case)
    validation = validate_folder(overlay(case, tmp_path / "data"))
    found = {(p.code, p.file, p.row, p.column) for p in validation.problems}
    if spec["outcome"] == "refused":
        want = {place(p) for p in spec["problems"]}
        assert want, "a refused case must list the problems it expects"
        assert found == want, (
            f"\nmissing: {sorted(want - found, key=str)}\nunexpected: {sorted(found - want, key=str)[:20]}"
            f"{' …' if len(found - want) > 20 else ''} ({len(found - want)} in all)"
        )
        for problem in validation.problems:
            words = str(problem)
            assert problem.message.strip(), f"empty message: {problem!r}"
            assert problem.file in words, f"message does not name the file: {words}"
            assert not NOT_PLAIN.search(problem.message), f"not plain words: {words}"
        assert_cells_as_the_spreadsheet_names_them(spec, validation.problems, tmp_path / "data")
        return
    assert spec["outcome"] == "accepted"
    assert [str(p) for p in validation.problems] == []
    if not (spec.get("same_as_clean") or spec.get("changed_cells") or spec.get("blanked_columns")):
        return
    want_frames = expected_frames(clean_frames, spec)
    assert set(validation.tables) == set(want_frames)
    for name, frame in want_frames.items():
        # Only the cells count: a table read from .xlsx may hold them in another dtype.
        pd.testing.assert_frame_equal(validation.tables[name].frame, frame, check_dtype=False,
                                      obj=f"{name} in {case.name}")


def test_corpus_has_the_required_cases():
    specs = [expected(c) for c in CASES]
    refused = sum(s["outcome"] == "refused" for s in specs)
    accepted = sum(s["outcome"] == "accepted" for s in specs)
    assert refused + accepted == len(CASES), "every case is refused or accepted"
    for case in CASES:
        assert re.fullmatch(r"[0-9]{2,3}-[a-z0-9]+(-[a-z0-9]+)*", case.name), case.name  # 01 to 999
        assert {p.name for p in case.iterdir()} - {"expected.json"}, f"{case.name} changes no file"
    assert refused >= 30 and accepted >= 10, (refused, accepted)


# The count is part of the test's name, so `pytest -v` (and -rA) shows it on every run.
_SPECS = [expected(c)["outcome"] for c in CASES]
_COUNT_ID = f"count={len(CASES)},refused={_SPECS.count('refused')},accepted={_SPECS.count('accepted')}"


@pytest.mark.parametrize("count", [len(CASES)], ids=[_COUNT_ID])
def test_corpus_has_at_least_40_cases(count):
    assert count >= 40, f"the corpus has {count} cases ({_COUNT_ID}); it needs at least 40"


def _folder_state(folder: Path) -> dict[str, str]:
    """Every file and folder below ``folder``: sha256 of a file's bytes, 'dir' for a folder."""
    return {
        str(p.relative_to(folder)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
    }


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("dps-publish")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dps_publish"]


@pytest.mark.parametrize("name", BUILD_CASES)
def test_build_of_refused_data_fails_cleanly_and_leaves_output_alone(name, tmp_path):
    case = CORPUS / name
    assert expected(case)["outcome"] == "refused"
    data = overlay(case, tmp_path / "data")
    output = tmp_path / "output"
    (output / "data").mkdir(parents=True)
    (output / "index.html").write_text("<!doctype html><title>Last good build</title>\n", encoding="utf-8")
    (output / "data" / "providers.csv").write_bytes(b"provider_id,name\r\nhop-garden-makers,Hop Garden Makers\r\n")
    (output / "empty-folder").mkdir()
    before = _folder_state(output)
    run = subprocess.run(
        [*_cli(), "build", "--data", str(data), "--output", str(output), "--settings", str(ROOT / "pelicanconf.py"),
         "--content", str(ROOT / "content"), "--theme", str(THEME), "--cache", str(tmp_path / "cache"),
         "--frozen", str(ROOT / "published")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert run.returncode in (1, 2), (run.returncode, run.stdout[-2000:], run.stderr[-2000:])
    assert "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip(), "a refused build says why on stderr"
    assert _folder_state(output) == before

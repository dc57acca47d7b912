"""Our column-at-a-time cell checks find the same problems as frictionless' row-by-row validation.

For the example data and every corpus case, each table that could be read is
taken in its normal form (``SourceTable.frame``), written to a CSV and validated
by frictionless against the same Table Schema (``x-`` properties and foreign
keys removed: frictionless knows neither). The (row, field, error type) found by
frictionless must equal those found by ``dps_publish.sources.checks.check_table``,
restricted to the error types both have.

Two classes of difference are expected, and each is checked rather than ignored:

1. ``format: uri`` and ``format: email``. frictionless checks the format while
   casting, so a failure is a ``type-error``; our schemas carry a ``pattern`` for
   the same fields, which we report as a ``constraint-error``. A frictionless
   format failure is therefore counted as a constraint error on that cell; any
   cell flagged by only one side still fails the test.
2. Values frictionless' parsers accept but the contract does not: ``NaN``,
   ``Infinity``, exponents, ``+`` signs or ``_`` in numbers (Python's
   ``Decimal``/``int``), ``1``/``0`` as yes/no (frictionless' default
   trueValues), one-digit months or days in ISO dates (``strptime``). We refuse
   them as a ``type-error`` and frictionless does not: allowed only for values
   of exactly that form, named in ``LAXER``.
3. Values of the right form that Python cannot hold: a number thousands of
   digits long, a date in year 0000. frictionless cannot parse them, a
   ``type-error``; the contract's rules refuse them as ``number-too-large`` or
   ``date-out-of-range``. A frictionless type error is matched only by one of
   those on the very same cell.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import frictionless
import pytest
from frictionless import Dialect, Resource, Schema
from frictionless.formats import CsvControl

from dps_publish.sources.checks import check_table
from dps_publish.sources.schemas import load_schema
from dps_publish.sources.validate import validate_folder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())
COMPARED = ("type-error", "constraint-error", "unique-error", "primary-key")

# Values of a type that frictionless reads but the contract refuses (class 2 above).
LAXER = {
    "number": re.compile(r"(?i)^\s*[+-]?(nan|inf|infinity|[0-9_.]*e[+-]?[0-9]+|\+[0-9.]+|[0-9]+_[0-9_.]+)\s*$"),
    "integer": re.compile(r"^\s*(\+[0-9]+|[0-9]+_[0-9_]+)\s*$"),
    "boolean": re.compile(r"^(1|0)$"),
    "date": re.compile(r"^[0-9]{4}-([0-9]-[0-9]{1,2}|[0-9]{2}-[0-9])$"),
}

_frictionless_cache: dict[tuple[str, str], set] = {}


def frictionless_schema(name: str) -> dict:
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if not k.startswith("x-") and k != "foreignKeys"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(load_schema(name).descriptor)


def frictionless_problems(name: str, frame, folder: Path) -> set[tuple]:
    """(spreadsheet row, field, error type) from frictionless, for the normalised table."""
    text = frame.to_csv(index=False, lineterminator="\r\n")  # "\r\n": a cell holding a CR is then quoted
    key = (name, hashlib.sha256(text.encode("utf-8")).hexdigest())
    if key in _frictionless_cache:
        return _frictionless_cache[key]
    (folder / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    schema = Schema.from_descriptor(frictionless_schema(name))
    resource = Resource(path=f"{name}.csv", basepath=str(folder), schema=schema, encoding="utf-8",
                        dialect=Dialect(header_rows=[1], controls=[CsvControl(delimiter=",")]))
    report = frictionless.validate(resource, limit_errors=1_000_000)
    errors = [e for task in report.tasks for e in task.errors] + list(report.errors)
    others = [e for e in errors if e.type not in COMPARED]
    # Anything else (a resource-error, a blank row) means this harness did not feed frictionless the table.
    assert not others, [e.message for e in others]
    rows = list(frame.index)
    found = set()
    for error in errors:
        field = getattr(error, "field_name", None)
        kind = error.type
        if kind == "type-error" and schema.get_field(field).format in ("uri", "email"):
            kind = "constraint-error"  # class 1
        found.add((int(rows[error.row_number - 2]), None if kind == "primary-key" else field, kind))
    _frictionless_cache[key] = found
    return found


def our_problems(table, schema) -> set[tuple]:
    found = set()
    for p in check_table(table.file, table.frame, table.typed, schema):
        if p.code not in COMPARED:
            continue  # formula-cell: a rule of ours that frictionless does not have
        if p.code == "primary-key" and "x-key" in schema.descriptor:
            continue  # a key with blank parts, which frictionless does not check
        found.add((p.row, None if p.code == "primary-key" else p.column, p.code))
    return found


def laxer_in_frictionless(problem: tuple, table, schema) -> bool:
    row, field, code = problem
    if code != "type-error":
        return False
    spec = schema.field(field)
    kind = "number" if spec.get("x-money") else spec["type"]
    return kind in LAXER and bool(LAXER[kind].match(table.frame.at[row, field]))


def data_folder(case: Path | None, target: Path) -> Path:
    shutil.copytree(DATA, target)
    for path in sorted(case.iterdir()) if case else ():
        if path.name == "expected.json":
            continue
        if path.name.startswith("DELETE-"):
            (target / path.name[len("DELETE-"):]).unlink()
        else:
            shutil.copyfile(path, target / path.name)
    return target


@pytest.mark.parametrize("case", [None, *CASES], ids=["clean-example-data", *(c.name for c in CASES)])
def test_our_cell_checks_find_what_frictionless_finds(case, tmp_path):
    validation = validate_folder(data_folder(case, tmp_path / "data"))
    too_large = {(p.file, p.row, p.column) for p in validation.problems
                 if p.code in ("number-too-large", "date-out-of-range")}
    differences = {}
    for name, table in validation.tables.items():
        schema = load_schema(name)
        ours = our_problems(table, schema)
        theirs = frictionless_problems(name, table.frame, tmp_path)
        only_ours = {p for p in ours - theirs if not laxer_in_frictionless(p, table, schema)}
        only_theirs = {p for p in theirs - ours
                       if not (p[2] == "type-error" and (table.file, p[0], p[1]) in too_large)}
        if only_ours or only_theirs:
            differences[name] = {"only ours": sorted(only_ours, key=str), "only frictionless": sorted(only_theirs, key=str)}
    assert not differences, differences


def test_the_laxer_class_is_only_what_frictionless_reads_and_the_contract_refuses():
    """Class 2 is not a blanket excuse: every form in it really is read by frictionless."""
    samples = {"number": ["NaN", "inf", "1e3", "+5", "1_000"], "integer": ["+5", "1_000"],
               "boolean": ["1", "0"], "date": ["2022-1-05", "2022-10-5"]}
    for kind, values in samples.items():
        field = frictionless.Field.from_descriptor({"name": "x", "type": kind})
        for value in values:
            assert LAXER[kind].match(value), (kind, value)
            read, notes = field.read_cell(value)
            assert notes is None and read is not None, (kind, value, notes)
    for kind, value in {"number": "12.5", "integer": "12", "boolean": "true", "date": "2022-10-05"}.items():
        assert not LAXER[kind].match(value), "a value the contract accepts is not in the class"

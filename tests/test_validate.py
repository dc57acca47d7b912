"""Validation of the source tables: the example data passes; planted problems are found and placed."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import openpyxl
import pytest
from helpers import ROOT, read_rows, set_cell, write_rows

from dps_publish.cli import main
from dps_publish.publish import build_model
from dps_publish.validate import validate_folder

# One bad value per table: (file, data row index, column, bad value, expected code)
PLANTED = [
    ("programmes.csv", 0, "route", "dynamic", "constraint-error"),
    ("lots.csv", 1, "reopens", "maybe", "type-error"),
    ("rounds.csv", 1, "opens", "31/02/2023", "type-error"),
    ("providers.csv", 12, "website", "www.example", "constraint-error"),
    ("listings.csv", 12, "districts", "Ashfrod", "not-a-district"),
    ("districts.csv", 3, "area", "", "constraint-error"),
    ("spend.csv", 2, "amount_gbp", "£1.234,50", "type-error"),
    ("envelopes.csv", 4, "contract_year", "11", "constraint-error"),
    ("kpi_definitions.csv", 0, "unit", "percentage", "constraint-error"),
    ("kpis.csv", 5, "period", "2023 Q1", "constraint-error"),
    ("milestones.csv", 2, "date", "2022-13-01", "type-error"),
    ("payments.csv", 7, "supplier_type", "person", "constraint-error"),
    ("naming.csv", 0, "applies_to", "everywhere", "constraint-error"),
    ("glossary.csv", 3, "meaning", "", "constraint-error"),
]


def test_example_data_validates_with_exit_code_0(capsys):
    assert main(["validate", "--data", str(ROOT / "data")]) == 0
    assert "are fine" in capsys.readouterr().out


def test_every_planted_problem_is_reported_together_with_its_place(data_copy):
    expected = set()
    for file, index, column, value, code in PLANTED:
        row = set_cell(data_copy / file, index, column, value)
        expected.add((code, file, row, column))
    problems = validate_folder(data_copy).problems
    found = {(p.code, p.file, p.row, p.column) for p in problems}
    assert expected <= found, f"missing: {expected - found}"
    # Nothing else was reported: each planted value gives one problem.
    assert len(problems) == len(PLANTED), [str(p) for p in problems if (p.code, p.file, p.row, p.column) not in expected]


def test_message_names_file_row_column_value_and_fix(data_copy):
    row = set_cell(data_copy / "listings.csv", 12, "districts", "Ashfrod")
    [problem] = validate_folder(data_copy).problems
    text = str(problem)
    assert text.startswith(f'listings.csv, row {row}, column districts: "Ashfrod" is not a Kent district.')
    assert "Ashford" in text and problem.value == "Ashfrod"


def test_cli_reports_problems_and_exits_non_zero(data_copy, capsys):
    set_cell(data_copy / "providers.csv", 0, "website", "javascript:alert(1)")
    assert main(["validate", "--data", str(data_copy), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["problems"][0]["code"] == "constraint-error"
    assert report["problems"][0]["column"] == "website"


def test_windows_1252_file_with_pound_amounts_is_read(data_copy):
    header, rows = read_rows(data_copy / "spend.csv")
    for row in rows:
        row["amount_gbp"] = f"£{Decimal(row['amount_gbp']):,.2f}"
    write_rows(data_copy / "spend.csv", header, rows, encoding="cp1252")
    assert (data_copy / "spend.csv").read_bytes().count(b"\xa3") == len(rows)
    validation = validate_folder(data_copy)
    assert validation.ok, [str(p) for p in validation.problems]
    model = build_model(validation.tables)
    stated = [s.amount_gbp for s in model.spend if s.measure == "actual" and s.client_group == "all"]
    assert stated == [Decimal("9547321.00")]


def test_csv_with_byte_order_mark_is_read(data_copy):
    path = data_copy / "listings.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    validation = validate_folder(data_copy)
    assert validation.ok, [str(p) for p in validation.problems]
    assert "programme_id" in validation.tables["listings"].frame.columns


def _csv_to_xlsx(csv_path, numbers=("registration_number",), first_sheet_hidden_behind=True):
    header, rows = read_rows(csv_path)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([int(row[h]) if h in numbers and row[h].isdigit() and not row[h].startswith("0") else row[h]
                      for h in header])
    if first_sheet_hidden_behind:
        other = workbook.create_sheet("Notes")
        other.append(["This sheet is not the table"])
        workbook.active = 1  # the workbook opens on the notes sheet
    target = csv_path.with_suffix(".xlsx")
    workbook.save(target)
    csv_path.unlink()
    return target


def test_xlsx_table_is_read_from_its_first_sheet(data_copy):
    _csv_to_xlsx(data_copy / "providers.csv")
    validation = validate_folder(data_copy)
    assert validation.ok, [str(p) for p in validation.problems]
    frame = validation.tables["providers"].frame
    # A registration number typed as a number becomes text without ".0".
    assert not frame["registration_number"].str.endswith(".0").any()
    original = read_rows(ROOT / "data" / "providers.csv")[1]
    assert list(frame["registration_number"]) == [r["registration_number"] for r in original]


def test_xlsx_problem_is_placed_on_the_spreadsheet_row(data_copy):
    set_cell(data_copy / "providers.csv", 12, "website", "www.example")
    _csv_to_xlsx(data_copy / "providers.csv")
    [problem] = validate_folder(data_copy).problems
    assert (problem.file, problem.row, problem.column, problem.code) == ("providers.xlsx", 14, "website", "constraint-error")
    assert str(problem).startswith('providers.xlsx, row 14, column website: "www.example" is not a web address')


@pytest.mark.parametrize("missing", ["programmes", "naming"])
def test_missing_required_table_is_named(data_copy, missing):
    (data_copy / f"{missing}.csv").unlink()
    problems = validate_folder(data_copy).problems
    assert any(p.code == "missing-table" and p.file == f"{missing}.csv" for p in problems)


def test_districts_ship_with_the_project(data_copy):
    (data_copy / "districts.csv").unlink()
    validation = validate_folder(data_copy)
    assert validation.ok
    assert len(validation.tables["districts"].frame) == 12


def test_unknown_column_is_refused_and_named(data_copy):
    header, rows = read_rows(data_copy / "providers.csv")
    for row in rows:
        row["home_address"] = "1 Example Road"
    write_rows(data_copy / "providers.csv", header + ["home_address"], rows)
    [problem] = validate_folder(data_copy).problems
    assert (problem.code, problem.column, problem.row) == ("extra-label", "home_address", 1)
    assert "must not be published" in problem.message


def test_left_listing_needs_left_date(data_copy):
    header, rows = read_rows(data_copy / "listings.csv")
    index = next(i for i, r in enumerate(rows) if r["status"] == "left")
    row = set_cell(data_copy / "listings.csv", index, "left_date", "")
    [problem] = validate_folder(data_copy).problems
    assert (problem.code, problem.row, problem.column) == ("left-date-missing", row, "left_date")


def test_closed_lot_takes_no_provider_in_a_later_round(data_copy):
    header, rows = read_rows(data_copy / "listings.csv")
    index = next(i for i, r in enumerate(rows) if r["lot_id"] == "1b")
    row = set_cell(data_copy / "listings.csv", index, "round_id", "2023-04-second")
    problems = validate_folder(data_copy).problems
    assert [(p.code, p.row) for p in problems] == [("lot-closed", row)]


def test_kpi_value_must_agree_with_its_counts(data_copy):
    header, rows = read_rows(data_copy / "kpis.csv")
    index = next(i for i, r in enumerate(rows) if r["denominator"] and r["numerator"] and r["value"]
                 and int(r["denominator"]) > 0)
    row = set_cell(data_copy / "kpis.csv", index, "value", str(round(float(rows[index]["value"]) + 5, 1) % 100))
    problems = validate_folder(data_copy).problems
    assert [(p.code, p.row, p.column) for p in problems] == [("kpi-value-mismatch", row, "value")]


def test_copy_of_shipped_data_is_untouched():
    # The fixtures above work on copies; the repository's data stays valid.
    assert shutil.disk_usage(ROOT)  # the folder exists
    assert validate_folder(ROOT / "data").ok

"""Validation of the source tables: the example data passes; planted problems are found and placed."""

from __future__ import annotations

import csv
import json
import re
import shutil
from decimal import Decimal

import openpyxl
import pytest
from helpers import ROOT, dps, read_rows, set_cell, write_rows
from openpyxl.utils import get_column_letter

from dps_publish.model.build import build_model
from dps_publish.sources.validate import validate_folder

# One bad value per table: (file, data row index, column, bad value, expected code)
PLANTED = [
    ("programmes.csv", 0, "route", "dynamic", "constraint-error"),
    ("lots.csv", 1, "reopens", "maybe", "type-error"),
    ("rounds.csv", 1, "opens", "31/02/2023", "type-error"),
    ("providers.csv", 12, "website", "www.example", "constraint-error"),
    ("listings.csv", 12, "districts", "Ashfrod", "not-a-district"),
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
    assert dps(["validate", "--data", str(ROOT / "data")]) == 0
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
    assert text.startswith(f'listings.csv, cell G{row} (row {row}, column districts): "Ashfrod" is not one of the '
                           'districts in the districts table.')
    assert "Ashford" in text and problem.value == "Ashfrod"
    assert (problem.cell, problem.sheet) == (f"G{row}", None)


def test_cli_reports_problems_and_exits_non_zero(data_copy, capsys):
    set_cell(data_copy / "providers.csv", 0, "website", "javascript:alert(1)")
    assert dps(["validate", "--data", str(data_copy), "--json"]) == 1
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
    assert (problem.sheet, problem.cell) == ("Sheet", "F14")  # openpyxl names a new workbook's sheet "Sheet"
    assert str(problem).startswith('providers.xlsx, sheet Sheet, cell F14 (row 14, column website): "www.example" '
                                   'is not a web address')


def test_the_fast_xlsx_reader_reads_every_kind_of_cell_as_the_cell_by_cell_one_does(tmp_path):
    """calamine reads workbooks without formulas or error cells; openpyxl the rest. Both give the same table."""
    import datetime as dt

    from dps_publish.sources import readers

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Listings 2026"
    sheet.append(["text", " spaced ", "whole", "pence", "float", "flag", "day", "moment", "time", "empty"])
    sheet.append(["Ashford", "  Dover ", 1622000100, 18.31, 1428.643, True, dt.date(2024, 1, 2),
                  dt.datetime(2024, 1, 2, 9, 30), dt.time(9, 30), None])
    sheet.append([])  # an empty row between
    sheet.append(["0012", "£9,547,321", 0, -4.5, 0.125, False, dt.datetime(2025, 3, 31), None, None, ""])
    sheet["L6"] = "beyond the header"
    path = tmp_path / "listings.xlsx"
    workbook.save(path)
    fast = readers._read_xlsx_values("listings", path)
    assert fast is not None  # no formula, no error cell: the fast reader took it
    slow = readers._read_xlsx_cells("listings", path)
    assert fast.frame.equals(slow.frame) and list(fast.frame.index) == list(slow.frame.index) == [2, 4, 6]
    assert fast.header == slow.header and fast.header.sheet == "Listings 2026"
    assert fast.xlsx_numbers == slow.xlsx_numbers == {4: [2, 4]}
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems] != []  # the cell beyond the header
    assert fast.frame.loc[2].tolist()[:9] == ["Ashford", "Dover", "1622000100", "18.31", "1428.643",
                                              "true", "2024-01-02", "2024-01-02T09:30:00", "09:30:00"]
    sheet["C3"] = "=SUM(C2:C2)"
    workbook.save(path)
    assert readers._read_xlsx_values("listings", path) is None  # a formula: read cell by cell, to say so
    [formula] = [p for p in readers._read_xlsx("listings", path).problems if p.code == "xlsx-formula"]
    assert formula.row == 3 and formula.column == "whole"


@pytest.mark.parametrize("missing", ["programmes", "naming"])
def test_missing_required_table_is_named(data_copy, missing):
    (data_copy / f"{missing}.csv").unlink()
    problems = validate_folder(data_copy).problems
    assert any(p.code == "missing-table" and p.file == f"{missing}.csv" for p in problems)


def test_every_data_folder_names_its_own_districts(data_copy):
    (data_copy / "districts.csv").unlink()
    [problem] = validate_folder(data_copy).problems
    assert (problem.code, problem.file) == ("missing-table", "districts.csv")


def test_a_council_without_areas_leaves_the_area_blank(data_copy):
    header, rows = read_rows(data_copy / "districts.csv")
    for row in rows:
        row["area"] = ""
    write_rows(data_copy / "districts.csv", header, rows)
    validation = validate_folder(data_copy)
    assert validation.ok, [str(p) for p in validation.problems]
    assert set(validation.tables["districts"].frame["area"]) == {""}


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


def _listings_workbook(data, sheet_title="Listings"):
    """listings.csv saved as listings.xlsx, the table on a sheet called ``sheet_title``."""
    header, rows = read_rows(data / "listings.csv")
    workbook = openpyxl.Workbook()
    workbook.active.title = sheet_title
    workbook.active.append(header)
    for row in rows:
        workbook.active.append([row[h] for h in header])
    workbook.save(data / "listings.xlsx")
    (data / "listings.csv").unlink()
    return header


def test_cli_names_the_cell_and_sheet_as_the_spreadsheet_does(data_copy, tmp_path, capsys):
    set_cell(data_copy / "listings.csv", 12, "districts", "Ashfrod")
    header = _listings_workbook(data_copy)
    letter = openpyxl.utils.get_column_letter(header.index("districts") + 1)
    options = ["validate", "--data", str(data_copy), "--cache", str(tmp_path / "cache")]
    assert dps([*options, "--json"]) == 1
    [problem] = json.loads(capsys.readouterr().out)["problems"]
    assert (problem["file"], problem["sheet"], problem["cell"], problem["row"], problem["column"]) == (
        "listings.xlsx", "Listings", f"{letter}14", 14, "districts")
    assert dps(options) == 1
    words = capsys.readouterr().err
    assert f'listings.xlsx, sheet Listings, cell {letter}14 (row 14, column districts): "Ashfrod" is not' in words
    assert letter == "G"  # the contract's order: the README's example holds


def test_a_problem_without_a_cell_keeps_its_place_and_gives_null_cell(data_copy, capsys):
    header, rows = read_rows(data_copy / "listings.csv")
    for row in rows:
        del row["round_id"]
    write_rows(data_copy / "listings.csv", [h for h in header if h != "round_id"], rows)
    assert dps(["validate", "--data", str(data_copy), "--json"]) == 1
    [problem] = json.loads(capsys.readouterr().out)["problems"]
    assert (problem["code"], problem["row"], problem["column"], problem["cell"], problem["sheet"]) == (
        "missing-label", 1, "round_id", None, None)


def test_cells_follow_the_columns_of_the_persons_file_not_the_schema(data_copy):
    """Columns in another order, one spelt differently, an extra one and one without a heading: each its own letter."""
    header, rows = read_rows(data_copy / "providers.csv")
    order = ["website", "name", "provider_id"] + [h for h in header if h not in ("website", "name", "provider_id")]
    rows[3]["website"] = "www.example"
    with open(data_copy / "providers.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([" Website " if h == "website" else h for h in order] + ["", "home_address"])
        for i, row in enumerate(rows):
            writer.writerow([row[h] for h in order] + ["x" if i == 2 else "", "1 Example Road"])
    problems = validate_folder(data_copy).problems
    blank, extra = get_column_letter(len(order) + 1), get_column_letter(len(order) + 2)
    assert {(p.code, p.column): p.cell for p in problems} == {
        ("constraint-error", "website"): "A5", ("blank-label", blank): f"{blank}4", ("extra-label", "home_address"): f"{extra}1"}
    [website] = [p for p in problems if p.column == "website"]
    assert str(website).startswith('providers.csv, cell A5 (row 5, column website): "www.example"')


def _utf8_with_stray_byte(path, index, column, text, byte=b"\xa3"):
    """Write ``text`` into a cell with a marker, then put ``byte`` (not UTF-8 on its own) where the marker is."""
    row = set_cell(path, index, column, text.replace("#", "\x01"))
    path.write_bytes(path.read_bytes().replace(b"\x01", byte))
    return row


def test_a_stray_byte_before_any_utf8_character_is_still_found(data_copy):
    """The byte comes first (row 3) and the UTF-8 é only later in the file: the file is still refused at row 3."""
    path = data_copy / "providers.csv"
    row = _utf8_with_stray_byte(path, 1, "phone", "01622 #000 111")
    data = path.read_bytes()
    assert data[:data.index(b"\xa3")].isascii() and "é".encode() in data
    [problem] = validate_folder(data_copy).problems
    letter = get_column_letter(read_rows(ROOT / "data" / "providers.csv")[0].index("phone") + 1)
    assert (problem.code, problem.row, problem.column, problem.cell) == ("bad-encoding", row, "phone", f"{letter}{row}")
    assert "0xA3 (£ in Windows-1252)" in problem.message and 'CSV UTF-8 (Comma delimited)' in problem.message
    assert problem.value == "01622 \\xA3000 111"


def test_a_stray_byte_in_the_header_is_placed_on_row_1(data_copy):
    path = data_copy / "listings.csv"
    path.write_bytes(path.read_bytes().replace(b"districts", b"distr\xedcts", 1))
    [problem] = validate_folder(data_copy).problems
    assert (problem.code, problem.file, problem.row, problem.column, problem.cell) == (
        "bad-encoding", "listings.csv", 1, None, None)
    assert problem.message.startswith("this heading (column G) has a character saved differently")


def test_windows_1252_with_accents_and_pounds_throughout_is_read_as_before(data_copy):
    header, rows = read_rows(data_copy / "providers.csv")
    rows[0]["description"] = "Sessions from £5 at the café – and a crèche"
    write_rows(data_copy / "providers.csv", header, rows, encoding="cp1252")
    validation = validate_folder(data_copy)
    assert validation.ok, [str(p) for p in validation.problems]
    assert validation.tables["providers"].frame["description"].iloc[0] == "Sessions from £5 at the café – and a crèche"


@pytest.mark.parametrize("data, holds", [
    (b"caf\xc3\xa9", True), (b"\xe2\x80\x93 dash", True), (b"\xf0\x9f\x98\x80", True),  # 2, 3 and 4 bytes
    (b"caf\xe9 \xa35", False), (b"\xc3 \xa9", False),  # Windows-1252: é and £ stand alone
    (b"\xe0\x80\xaf", False), (b"\xed\xa0\x80", False), (b"\xf4\x90\x80\x80", False), (b"\xc3", False),
])
def test_what_counts_as_a_utf8_character(data, holds):
    from dps_publish.sources.encoding import holds_utf8_characters

    assert holds_utf8_characters(data, block=2) is holds
    assert holds_utf8_characters(b"x" * 100 + data) is holds


def test_the_first_byte_that_is_not_utf8_is_found_across_blocks():
    from dps_publish.sources.encoding import first_non_utf8

    text = "café £5 ".encode() * 10
    assert first_non_utf8(text, block=3) is None  # characters cut by a block's end are whole again
    assert first_non_utf8(text + b"\xa3" + text, block=3) == len(text)
    assert first_non_utf8(text + "é".encode()[:1], block=5) == len(text)  # cut short at the end


def test_only_workbook_money_is_read_to_the_penny(data_copy):
    """A calculation's float in a money cell is the amount; in a number column that is not money it is kept."""
    header, rows = read_rows(data_copy / "kpi_definitions.csv")
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append([85.00000000000001 if h == "target" and row is rows[0] else row[h] for h in header])
    workbook.save(data_copy / "kpi_definitions.xlsx")
    (data_copy / "kpi_definitions.csv").unlink()
    validation = validate_folder(data_copy)
    assert validation.ok, [str(p) for p in validation.problems]
    assert validation.tables["kpi_definitions"].frame["target"].iloc[0] == "85.00000000000001"


@pytest.mark.parametrize("data, row, column, counted", [
    (b'a,b,c\r\n1,"x\r\ny",3\r\n4,5,caf\xe9\r\n', 3, "c", True),  # a line break inside quotes is not a new row
    (b'a,b,c\n1,"He said ""hi""",\xa3\n', 2, "c", True),  # doubled quotes inside a quoted cell
    (b'a,b,c\n1,5" screen,ok\n2,"q\nr",\xa3x\n', 3, "c", False),  # a quote inside a cell: the CSV is read
    (b'a,b,c\r1,2,3\r4,\xa3,6\r', 3, "b", False),  # old Mac line ends: the CSV is read
    (b'a,b,c\n\n\n1,2,\xa3\n', 4, "c", True),  # blank lines are rows too
    (b'a,b,c\n"\xa3",2,3\n', 2, "a", True),
    (b'a,b,c\n1,2,3,\xa3\n', 2, None, True),  # beyond the last heading
])
def test_the_row_of_a_stray_byte_is_the_csv_record(data, row, column, counted):
    """Rows are found by counting quotes where that is safe (fast on a large file), else by reading the CSV."""
    from dps_publish.sources.encoding import first_non_utf8
    from dps_publish.sources.readers import _mixed_encoding, _record_by_quotes, _record_by_reading

    bad = first_non_utf8(data)
    problem, header = _mixed_encoding("t.csv", data, bad)
    assert (problem.row, problem.column, header.labels) == (row, column, ("a", "b", "c"))
    by_quotes = _record_by_quotes(data, bad)
    assert (by_quotes is not None) is counted
    assert _record_by_reading(data, bad)[0] == row and (by_quotes is None or by_quotes[0] == row)


def test_control_bytes_are_those_of_the_contract():
    from dps_publish.sources.encoding import has_control_bytes

    control = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
    for byte in range(256):
        text = b"a,b\r\n1,2\t" + bytes([byte]) + b"\n" * 3
        assert has_control_bytes(text, block=4) is bool(control.search(text)), byte

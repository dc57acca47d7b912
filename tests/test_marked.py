"""The publishing desk's download: the uploaded file with its problems marked (``desk.marked``)."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT, read_rows, set_cell, write_rows
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from dps_publish.desk import marked
from dps_publish.desk.marked import PROBLEMS_SHEET, ROW_IN_FILE, mark_problems
from dps_publish.problems import Problem
from dps_publish.sources.validate import validate_folder

YELLOW = "00FFFF00"
BROKEN = {"G5": "districts", "F8": "left_date", "E12": "status"}  # what break_listings breaks


def break_listings(folder: Path) -> Path:
    """The example data with three cells of listings broken: a district misspelt, a date that is not one, a blank
    required cell."""
    shutil.copytree(ROOT / "data", folder)
    listings = folder / "listings.csv"
    assert set_cell(listings, 3, "districts", "Ashfrod") == 5
    assert set_cell(listings, 6, "left_date", "31/02/2023") == 8
    assert set_cell(listings, 10, "status", "") == 12
    return listings


def as_workbook(csv_path: Path, title: str = "Listings") -> Path:
    """The CSV saved as a workbook the way a person has it: a bold header, a shaded column; the CSV deleted."""
    header, rows = read_rows(csv_path)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append([row[name] or None for name in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet["A3"].fill = PatternFill("solid", start_color="DDEBF7")
    sheet["B2"].comment = Comment("the person's own note", "someone")
    path = csv_path.with_suffix(".xlsx")
    workbook.save(path)
    csv_path.unlink()
    return path


def problems_of(folder: Path, name: str) -> list[Problem]:
    return [p for p in validate_folder(folder).problems if p.file == name]


def problem_table(path: Path) -> tuple[list[list], list[str | None], list[str]]:
    """The Problems sheet's rows below its header, each row's link (None: no link), and the lines above it."""
    sheet = load_workbook(path)[PROBLEMS_SHEET]
    rows = list(sheet.iter_rows())
    at = next(i for i, row in enumerate(rows) if row[0].value == "No.")
    assert [c.value for c in rows[at]][:3] == ["No.", "Sheet", "Cell"]
    assert sheet.freeze_panes == f"A{at + 2}"  # the header row stays in view
    body = rows[at + 1:]
    links = [row[2].hyperlink.location if row[2].hyperlink else None for row in body]
    above = [row[0].value for row in rows[:at] if row[0].value]
    return [[c.value for c in row] for row in body], links, above


def filled(cell) -> bool:
    return cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == YELLOW


def assert_marked(sheet, problems: list[Problem], refs: dict[str, Problem]) -> None:
    """Exactly the cells ``refs`` are filled, edged and carry their problem's message."""
    for ref, problem in refs.items():
        cell = sheet[ref]
        assert filled(cell), ref
        assert cell.border.left.style == "thick" and cell.border.left.color.rgb == "00C00000"
        assert cell.comment is not None and problem.message in cell.comment.text
        assert cell.comment.author == "dps-publish"
    others = [c.coordinate for row in sheet.iter_rows() for c in row if filled(c) and c.coordinate not in refs]
    assert others == []


def test_workbook_marks_the_three_cells_and_keeps_the_rest(tmp_path):
    source = as_workbook(break_listings(tmp_path / "data"))
    before = load_workbook(source)["Listings"]
    problems = problems_of(tmp_path / "data", "listings.xlsx")
    assert sorted(p.cell for p in problems) == sorted(BROKEN)
    assert {p.sheet for p in problems} == {"Listings"}

    result = mark_problems(source, problems, tmp_path / "marked.xlsx")

    assert (result.problems, result.marked_cells, result.linked, result.only_problem_rows) == (3, 3, 3, False)
    workbook = load_workbook(result.path)
    assert workbook.sheetnames == [PROBLEMS_SHEET, "Listings"]
    rows, links, _ = problem_table(result.path)
    assert len(rows) == 3
    assert sorted(links) == sorted(f"'Listings'!{ref}" for ref in BROKEN)
    for row, link in zip(rows, links):
        number, sheet, cell, row_number, column, value, message = row
        problem = next(p for p in problems if p.cell == cell)
        assert (sheet, link, row_number, column, message) == ("Listings", f"'Listings'!{cell}", problem.row,
                                                             problem.column, problem.message)
        assert value == (problem.value or None)
    table = workbook["Listings"]
    assert_marked(table, problems, {p.cell: p for p in problems})
    # the person's values, formatting and notes are all still there
    assert [[c.value for c in row] for row in table.iter_rows()] == [[c.value for c in row]
                                                                     for row in before.iter_rows()]
    assert table["A1"].font.bold and table["L1"].font.bold
    assert table["A3"].fill.fgColor.rgb == "00DDEBF7"
    assert table["B2"].comment.text == "the person's own note"


def test_csv_gives_the_same_cells_at_the_same_references(tmp_path):
    source = break_listings(tmp_path / "data")
    problems = problems_of(tmp_path / "data", "listings.csv")
    assert sorted(p.cell for p in problems) == sorted(BROKEN)

    result = mark_problems(source, problems, tmp_path / "marked.xlsx")

    assert (result.marked_cells, result.linked, result.only_problem_rows, result.table_sheet) == (3, 3, False,
                                                                                                   "Listings")
    workbook = load_workbook(result.path)
    assert workbook.sheetnames == [PROBLEMS_SHEET, "Listings"]
    rows, links, _ = problem_table(result.path)
    assert sorted(links) == sorted(f"'Listings'!{ref}" for ref in BROKEN)
    assert sorted(row[4] for row in rows) == sorted(BROKEN.values())
    table = workbook["Listings"]
    assert_marked(table, problems, {p.cell: p for p in problems})
    # laid out as Excel opens the CSV: record n is row n, every cell the file's text
    with open(source, newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    assert [[c.value or "" for c in row] for row in table.iter_rows()] == records
    assert {c.data_type for row in table.iter_rows(min_row=2) for c in row if c.value is not None} == {"s"}


def test_the_csv_workbook_reads_back_with_the_same_problems(tmp_path):
    """Saved as .xlsx with the Problems sheet taken out, the marked workbook is the same table again."""
    source = break_listings(tmp_path / "data")
    problems = problems_of(tmp_path / "data", "listings.csv")
    result = mark_problems(source, problems, tmp_path / "marked.xlsx")
    workbook = load_workbook(result.path)
    del workbook[PROBLEMS_SHEET]
    workbook.save(tmp_path / "data" / "listings.xlsx")
    source.unlink()
    again = problems_of(tmp_path / "data", "listings.xlsx")
    assert sorted((p.code, p.cell, p.message) for p in again) == sorted((p.code, p.cell, p.message) for p in problems)


def test_formula_looking_values_stay_text(tmp_path):
    header = ["name", "note", "other"]
    source = tmp_path / "notes.csv"
    write_rows(source, header, [{"name": '=HYPERLINK("http://x")', "note": "=1+1", "other": "#N/A"},
                                {"name": "plain", "note": "=SUM(A1:A2)", "other": "ok"}])
    problems = [Problem("notes.csv", 2, "name", "formula-cell", '=HYPERLINK("http://x")', "=1+1 is a formula"),
                Problem("notes.csv", 3, "note", "formula-cell", "=SUM(A1:A2)", "=cmd|' /C calc'!A0")]

    result = mark_problems(source, problems, tmp_path / "marked.xlsx")

    table = load_workbook(result.path)["Notes"]
    for ref, value in {"A2": '=HYPERLINK("http://x")', "B2": "=1+1", "C2": "#N/A", "B3": "=SUM(A1:A2)"}.items():
        assert (table[ref].value, table[ref].data_type) == (value, "s"), ref
    assert filled(table["A2"]) and filled(table["B3"]) and not filled(table["B2"])
    rows, _, _ = problem_table(result.path)
    sheet = load_workbook(result.path)[PROBLEMS_SHEET]
    values = [c for row in sheet.iter_rows() for c in row if c.value in ('=HYPERLINK("http://x")', "=SUM(A1:A2)",
                                                                        "=1+1 is a formula", "=cmd|' /C calc'!A0")]
    assert len(values) == 4 and {c.data_type for c in values} == {"s"}
    with zipfile.ZipFile(result.path) as archive:  # no formula anywhere in the file
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 2
        assert not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets)


def long_csv(path: Path, rows: int) -> list[list[str]]:
    records = [["payment_id", "supplier", "amount"]]
    records += [[f"p{n}", f"supplier {n}", f"{n}.00"] for n in range(2, rows + 1)]  # record n is row n
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(records)
    return records


def test_a_csv_too_long_for_a_sheet_keeps_its_problem_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(marked, "ROW_LIMIT", 50)
    source = tmp_path / "payments.csv"
    records = long_csv(source, 200)
    problems = [
        Problem("payments.csv", 10, "amount", "type-error", "10.00", "row ten's amount", cell="C10"),
        Problem("payments.csv", 150, "supplier", "constraint-error", "supplier 150", "row 150's supplier"),  # no cell
        Problem("payments.csv", 1, "supplier", "extra-label", "supplier", "the supplier heading"),
        Problem("payments.csv", 900, "amount", "type-error", "x", "a row past the end", cell="C900"),
    ]

    result = mark_problems(source, problems, tmp_path / "marked.xlsx")

    assert result.only_problem_rows and (result.problems, result.marked_cells, result.linked) == (4, 3, 3)
    workbook = load_workbook(result.path)
    assert workbook.sheetnames == [PROBLEMS_SHEET, "Payments"]
    table = workbook["Payments"]
    assert [[c.value for c in row] for row in table.iter_rows()] == [
        [ROW_IN_FILE, *records[0]], [10, *records[9]], [150, *records[149]]]
    rows, links, above = problem_table(result.path)
    assert links == ["'Payments'!D2", "'Payments'!C3", "'Payments'!C1", None]
    assert [row[3] for row in rows] == [10, 150, 1, 900]  # the row in the person's file
    assert [row[2] for row in rows] == ["D2", "C3", "C1", "C900"]
    assert any("200 rows" in line and "only" in line and ROW_IN_FILE in line for line in above)
    assert_marked(table, problems, {"D2": problems[0], "C3": problems[1], "C1": problems[2]})


def test_a_csv_within_the_limit_is_not_cut(tmp_path, monkeypatch):
    monkeypatch.setattr(marked, "ROW_LIMIT", 200)
    source = tmp_path / "payments.csv"
    long_csv(source, 200)
    problem = Problem("payments.csv", 150, "amount", "type-error", "150.00", "row 150", cell="C150")
    result = mark_problems(source, [problem], tmp_path / "marked.xlsx")
    table = load_workbook(result.path)["Payments"]
    assert not result.only_problem_rows and table.max_row == 200 and table["A1"].value == "payment_id"
    assert filled(table["C150"]) and table["C150"].value == "150.00"
    _, _, above = problem_table(result.path)
    assert not any("only" in line for line in above)


def test_an_empty_file_is_listed_without_a_link(tmp_path):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    source = tmp_path / "data" / "listings.csv"
    source.write_bytes(b"")
    problems = problems_of(tmp_path / "data", "listings.csv")
    assert [p.code for p in problems] == ["empty-file"]

    result = mark_problems(source, problems, tmp_path / "marked.xlsx")

    assert (result.problems, result.marked_cells, result.linked) == (1, 0, 0)
    workbook = load_workbook(result.path)
    assert workbook.sheetnames == [PROBLEMS_SHEET]
    rows, links, _ = problem_table(result.path)
    assert links == [None] and rows[0][6] == problems[0].message and rows[0][2] is None


@pytest.mark.parametrize("content", [b"not a workbook at all", b"PK\x03\x04 cut short"])
def test_an_unreadable_workbook_gives_the_list_of_problems(tmp_path, content):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "data" / "listings.csv").unlink()
    source = tmp_path / "data" / "listings.xlsx"
    source.write_bytes(content)
    problems = problems_of(tmp_path / "data", "listings.xlsx")
    assert "unreadable-file" in [p.code for p in problems]

    result = mark_problems(source, problems, tmp_path / "marked.xlsx")

    assert load_workbook(result.path).sheetnames == [PROBLEMS_SHEET]
    rows, links, above = problem_table(result.path)
    assert len(rows) == len(problems) and set(links) == {None}
    assert any("could not be opened" in line for line in above)


def test_a_workbook_named_csv_is_not_laid_out_as_text(tmp_path):
    source = tmp_path / "listings.csv"
    Workbook().save(source)
    problem = Problem("listings.csv", None, None, "bad-encoding", None, "this file is an Excel workbook")
    result = mark_problems(source, [problem], tmp_path / "marked.xlsx")
    assert load_workbook(result.path).sheetnames == [PROBLEMS_SHEET] and result.table_sheet is None


def test_odd_references_are_listed_without_a_link(tmp_path):
    source = as_workbook(break_listings(tmp_path / "data"))
    odd = [
        Problem("listings.xlsx", 5000, "districts", "x", "a", "a row past the end", "Listings", "G5000"),
        Problem("listings.xlsx", 2, "nowhere", "x", "b", "a column past the end", "Listings", "ZZ2"),
        Problem("listings.xlsx", 2, "bad", "x", "c", "a reference that is not one", "Listings", "XFE99999999"),
        Problem("listings.xlsx", 2, "bad", "x", "d", "a sheet that is not there", "Gone", "A2"),
        Problem("listings.xlsx", None, "no_such_column", "missing-label", None, "a column the file lacks"),
        Problem("listings.xlsx", 3, None, "missing-cell", None, "a row with too few cells", "Listings"),
        Problem("listings.xlsx", None, "status", "x", None, "the status heading", "Listings"),
    ]
    result = mark_problems(source, odd, tmp_path / "marked.xlsx")
    rows, links, _ = problem_table(result.path)
    assert [row[6] for row in rows] == [p.message for p in odd]
    assert links == [None, None, None, None, None, "'Listings'!A3", "'Listings'!E1"]
    table = load_workbook(result.path)["Listings"]
    assert table.max_row == 79 and table.max_column == 12  # nothing written past the table
    assert_marked(table, odd, {"A3": odd[5], "E1": odd[6]})


def test_a_csv_problem_past_its_end_is_listed_without_a_link(tmp_path):
    source = tmp_path / "payments.csv"
    long_csv(source, 20)
    problems = [Problem("payments.csv", 40, "amount", "x", None, "past the end", cell="C40"),
                Problem("payments.csv", 3, "amount", "x", None, "a column past the end", cell="Q3"),
                Problem("payments.csv", 21, None, "no-rows", None, "just past the end")]
    result = mark_problems(source, problems, tmp_path / "marked.xlsx")
    _, links, _ = problem_table(result.path)
    assert links == [None, None, None] and result.marked_cells == 0
    assert load_workbook(result.path)["Payments"].max_row == 20


def test_two_notes_on_one_cell_and_the_persons_own_note_kept(tmp_path):
    source = as_workbook(break_listings(tmp_path / "data"))
    problems = [Problem("listings.xlsx", 2, "lot_id", "a", None, "first thing", "Listings", "B2"),
                Problem("listings.xlsx", 2, "lot_id", "b", None, "second thing", "Listings", "B2")]
    result = mark_problems(source, problems, tmp_path / "marked.xlsx")
    assert result.marked_cells == 1 and result.linked == 2
    note = load_workbook(result.path)["Listings"]["B2"].comment.text
    assert "the person's own note" in note and "first thing" in note and "second thing" in note


def test_a_sheet_called_problems_is_kept_under_another_name(tmp_path):
    source = tmp_path / "listings.xlsx"
    workbook = Workbook()
    workbook.active.title = "Problems"
    workbook.active.append(["a", "b"])
    workbook.active.append(["1", "2"])
    workbook.save(source)
    problem = Problem("listings.xlsx", 2, "b", "x", "2", "fix b", "Problems", "B2")
    result = mark_problems(source, [problem], tmp_path / "marked.xlsx")
    workbook = load_workbook(result.path)
    assert workbook.sheetnames == [PROBLEMS_SHEET, "Problems (yours)"]
    _, links, _ = problem_table(result.path)
    assert links == ["'Problems (yours)'!B2"] and filled(workbook["Problems (yours)"]["B2"])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_a_csv_in_any_encoding_the_readers_take(tmp_path, encoding):
    source = tmp_path / "providers.csv"
    write_rows(source, ["name", "price"], [{"name": "Café Ashford", "price": "£12"}], encoding=encoding)
    problem = Problem("providers.csv", 2, "price", "type-error", "£12", "write the price without £", cell="B2")
    result = mark_problems(source, [problem], tmp_path / "marked.xlsx")
    table = load_workbook(result.path)["Providers"]
    assert [[c.value for c in row] for row in table.iter_rows()] == [["name", "price"], ["Café Ashford", "£12"]]
    assert filled(table["B2"])


def test_the_same_input_gives_the_same_bytes(tmp_path):
    source = break_listings(tmp_path / "data")
    problems = problems_of(tmp_path / "data", "listings.csv")
    first = mark_problems(source, problems, tmp_path / "one.xlsx").path.read_bytes()
    assert mark_problems(source, problems, tmp_path / "two.xlsx").path.read_bytes() == first
    workbook = as_workbook(source)
    problems = problems_of(tmp_path / "data", "listings.xlsx")
    first = mark_problems(workbook, problems, tmp_path / "three.xlsx").path.read_bytes()
    assert mark_problems(workbook, problems, tmp_path / "four.xlsx").path.read_bytes() == first

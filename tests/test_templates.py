"""Excel templates: made from the schemas alone, and a template filled in by hand validates as it is."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from helpers import ROOT, read_rows
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from dps_publish.sources.readers import read_table
from dps_publish.sources.schemas import TABLE_ORDER, TableSchema, load_schema
from dps_publish.sources.spreadsheets import ABOUT_SHEET, EXEMPT_FILL, LISTS_SHEET, write_template, write_templates
from dps_publish.sources.validate import validate_folder

# One row per table as a person types it in Excel: real dates, money and counts as numbers,
# yes/no as words, lists as "a; b". Keys are new; references point at rows of the example data.
HAND_FILLED = {
    "districts": {"code": "E07000999", "name": "Example Vale", "area": "East Kent"},
    "programmes": {
        "programme_id": "example-support-framework", "name": "Example Support Framework",
        "easy_read_name": "Example support", "former_names": "Old Example Scheme; Older Example Scheme",
        "summary": "A framework the council uses to buy example support.",
        "easy_read_summary": "The council buys support this way.", "route": "framework", "status": "planning",
        "start_date": dt.date(2025, 4, 1), "end_date": dt.date(2028, 3, 31),
        "decision_numbers": "24/00012; 24/00013", "buyer": "Kent County Council",
        "department": "Adult Social Care and Health", "review_date": dt.date(2027, 4, 1),
    },
    "lots": {
        "programme_id": "care-and-support-in-the-home", "lot_id": "7", "name": "Example lot",
        "easy_read_name": "Example support", "description": "Support given as an example.",
        "easy_read_description": "This is an example.", "reopens": "no", "support_modes": "in-person; virtual",
        "funder": "NHS Kent and Medway", "review_date": dt.date(2026, 10, 1),
    },
    "rounds": {
        "programme_id": "everyday-life-activities", "round_id": "2024-04-third", "title": "Third round",
        "opens": dt.date(2024, 2, 1), "closes": dt.date(2024, 3, 1), "award_date": dt.date(2024, 3, 28),
        "services_start": dt.date(2024, 4, 2), "status": "evaluating",
    },
    "providers": {
        "provider_id": "example-makers", "name": "Example Makers CIC", "organisation_type": "charity",
        "registration_number": 1152787,  # pasted in as a number: it must read as 1152787, not 1152787.0
        "size": "small",
        "website": "https://www.example.org/example-makers", "phone": "+44 1622 000999",
        "email": "info@example-makers.example.org", "description": "We make things.",
        "easy_read_description": "We make things.", "last_checked": dt.date(2024, 2, 29),
        "main_contact_name": "Alex Example",
    },
    "listings": {
        "programme_id": "everyday-life-activities", "lot_id": "2", "provider_id": "orchard-lane-day-centre",
        "round_id": "2023-04-second", "status": "left", "left_date": dt.date(2024, 1, 31),
        "districts": "Ashford; Dover", "support_types": "one-to-one; virtual", "age_groups": "18-25; 26-plus",
        "activities": "gardening; cooking", "day_rate_gbp": 75.5, "hourly_rate_gbp": 18,
    },
    "spend": {
        "programme_id": "everyday-life-activities", "financial_year": "2024-25", "measure": "budget",
        "cost_type": "transport", "client_group": "18-25", "amount_gbp": 125000.25,
        "source": "Example budget report, paragraph 2.1",
    },
    "envelopes": {
        "programme_id": "everyday-life-activities", "lot_id": "2", "contract_year": 1, "optional": "yes",
        "amount_gbp": 250000, "funder": "Kent County Council", "source": "Example report, paragraph 4.1",
    },
    "kpi_definitions": {
        "kpi_id": "example-measure", "name": "Example measure", "easy_read_name": "An example",
        "description": "The share of people who did an example.", "unit": "percent", "higher_is_better": "yes",
        "target": 75, "counts_people": "no",
    },
    "kpis": {
        "programme_id": "everyday-life-activities", "lot_id": "1a", "provider_id": "hop-garden-makers",
        "period": "2025-Q1", "kpi_id": "people-with-a-plan", "numerator": 9, "denominator": 10, "value": 90,
    },
    "milestones": {
        "programme_id": "everyday-life-activities", "round_id": "2023-04-second", "event": "Example briefing",
        "date": dt.date(2023, 2, 6), "date_end": dt.date(2023, 2, 7),
    },
    "payments": {
        "transaction_id": "AP-2099-000001", "payment_date": dt.date(2024, 3, 28),
        "supplier_name": "Hop Garden Makers CIC", "supplier_type": "organisation", "supplier_id": "",
        "provider_id": "hop-garden-makers", "programme_id": "everyday-life-activities", "lot_id": "1a",
        "expense_area": "Adult Social Care and Health", "expense_type": "Day opportunities",
        "purpose": "Day activities, refund of March 2024", "amount_gbp": -250.75, "irrecoverable_vat_gbp": 0,
    },
    "naming": {
        "term": "day care", "preferred": "everyday life activities", "applies_to": "easy-read",
        "reason": "People said it sounds like somewhere you are sent.", "source": "Example feedback session",
    },
    "places": {"name": "Example Green", "district": "Ashford", "other_names": "Old Example; Example Common"},
    "postcodes": {"postcode": "TN30 9ZZ", "district": "E07000105"},
    "pronunciations": {"word": "Example Green", "say_as": "Egzarmpul Green"},
    "glossary": {
        "term": "example", "meaning": "Something that shows what others are like.",
        "easy_read_meaning": "An example shows you what something is like.",
    },
}


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    return {path.stem: path for path in write_templates(tmp_path_factory.mktemp("templates"))}


def test_a_template_for_every_table_and_nothing_else(templates):
    assert list(templates) == list(TABLE_ORDER)
    assert set(HAND_FILLED) == set(TABLE_ORDER)


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_hand_filled_template_validates_without_conversion(name, templates, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    header_csv, example_rows = read_rows(data / f"{name}.csv")
    (data / f"{name}.csv").unlink()
    filled = data / f"{name}.xlsx"
    shutil.copy(templates[name], filled)
    schema = load_schema(name)

    workbook = load_workbook(filled)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for position, column in enumerate(header, start=1):
        cell = sheet.cell(row=2, column=position)
        # Excel gives a cell typed into a formatted column that column's format (dd/mm/yyyy, £, text).
        cell.number_format = sheet.column_dimensions[get_column_letter(position)].number_format
        cell.value = HAND_FILLED[name].get(column)
    # Other tables point at this one's example rows, so they follow, typed as Excel holds them.
    for row in example_rows:
        sheet.append([_as_typed(schema.field(column), row.get(column, "")) for column in header])
    workbook.save(filled)

    validation = validate_folder(data)
    assert [str(p) for p in validation.problems] == []
    table = validation.tables[name]
    assert table.file == f"{name}.xlsx"
    assert len(table.frame) == len(example_rows) + 1
    expected = {column: _normal_form(schema.field(column), value) for column, value in HAND_FILLED[name].items()}
    assert table.frame.loc[2].to_dict() == expected


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_first_sheet_is_the_table_with_the_schema_header(name, templates):
    workbook = load_workbook(templates[name])
    sheet = workbook.worksheets[0]
    assert sheet.title == name and workbook.sheetnames[1] == ABOUT_SHEET
    assert [cell.value for cell in sheet[1]] == load_schema(name).field_names
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.max_row == 1


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_every_header_has_a_note_with_its_description_and_rules(name, templates):
    schema = load_schema(name)
    sheet = load_workbook(templates[name]).worksheets[0]
    for cell, spec in zip(sheet[1], schema.fields, strict=True):
        note = cell.comment.text
        assert spec["description"] in note
        constraints = spec.get("constraints", {})
        assert ("Required" in note) == bool(constraints.get("required")), spec["name"]
        for value in constraints.get("enum", []) + spec.get("x-itemEnum", []):
            assert value in note, spec["name"]
        if spec.get("x-list"):
            assert "separated by ;" in note
        if constraints.get("pattern") == "^[a-z0-9]+(-[a-z0-9]+)*$":
            assert "Lower-case letters, digits and single hyphens" in note
        assert note.startswith("NEVER PUBLISHED: ") == bool(spec.get("x-exempt")), spec["name"]


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_drop_downs_on_enum_and_yes_no_columns_only(name, templates):
    schema = load_schema(name)
    workbook = load_workbook(templates[name])
    found = _drop_downs(workbook)
    expected = {}
    for column, spec in enumerate(schema.fields, start=1):
        letter = get_column_letter(column)
        if "enum" in spec.get("constraints", {}):
            expected[f"{letter}2:{letter}1000"] = spec["constraints"]["enum"]
        elif spec["type"] == "boolean":
            expected[f"{letter}2:{letter}1000"] = ["yes", "no"]
    assert found == expected  # x-list columns with x-itemEnum take several values, so are not restricted


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_exempt_columns_are_shaded_and_explained(name, templates):
    schema = load_schema(name)
    workbook = load_workbook(templates[name])
    for cell, spec in zip(workbook.worksheets[0][1], schema.fields, strict=True):
        shaded = cell.fill.fgColor.rgb[-6:] == EXEMPT_FILL.fgColor.rgb[-6:]
        assert shaded == bool(spec.get("x-exempt")), spec["name"]
    about = "\n".join(str(c.value) for row in workbook[ABOUT_SHEET].iter_rows() for c in row if c.value)
    assert ("NEVER PUBLISHED" in about) == bool(schema.exempt_fields)
    for field in schema.exempt_fields:
        assert field in about


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_number_formats_follow_the_types(name, templates):
    schema = load_schema(name)
    sheet = load_workbook(templates[name]).worksheets[0]
    for column, spec in enumerate(schema.fields, start=1):
        number_format = sheet.column_dimensions[get_column_letter(column)].number_format
        if spec.get("x-money"):
            assert number_format == "£#,##0.00"
        elif spec["type"] == "date":
            assert number_format == "dd/mm/yyyy"
        elif spec["type"] == "integer":
            assert number_format == "0"
        elif spec["type"] in ("string", "boolean"):
            assert number_format == "@", spec["name"]  # text, so Excel keeps 0123 and 1-2 as typed


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_about_sheet_lists_every_column_and_how_to_save(name, templates):
    schema = load_schema(name)
    about = load_workbook(templates[name])[ABOUT_SHEET]
    rows = [[c.value for c in row] for row in about.iter_rows()]
    text = "\n".join(str(v) for row in rows for v in row if v)
    listed = {row[0]: row[1] for row in rows if row[0] in schema.field_names}
    assert listed == {f: ("yes" if f in schema.required_fields() else "no") for f in schema.field_names}
    assert f"{name}.xlsx" in text and "CSV UTF-8" in text and "header row" in text
    for field in schema.required_fields():
        assert field in next(line for line in text.splitlines() if line.startswith("Required columns"))


@pytest.mark.parametrize("name", TABLE_ORDER)
def test_blank_template_reads_as_a_header_and_no_rows(name, templates):
    raw = read_table(name, templates[name])
    assert raw.problems == [] and raw.labels == load_schema(name).field_names and raw.frame.empty


def test_a_long_list_goes_on_a_hidden_sheet(tmp_path):
    values = [f"a-long-allowed-value-{i:02d}" for i in range(30)]
    assert len(",".join(values)) > 255
    schema = TableSchema("things", {"fields": [
        {"name": "thing_id", "type": "string", "description": "The thing."},
        {"name": "kind", "type": "string", "description": "Its kind.", "constraints": {"enum": values}},
    ]})
    workbook = load_workbook(write_template(schema, tmp_path / "things.xlsx"))
    assert workbook.sheetnames == ["things", ABOUT_SHEET, LISTS_SHEET]
    assert workbook[LISTS_SHEET].sheet_state == "hidden"
    [rule] = workbook.worksheets[0].data_validations.dataValidation
    assert not rule.formula1.startswith('"')
    assert _drop_downs(workbook) == {"B2:B1000": values}


def test_templates_are_the_same_bytes_every_time(templates, tmp_path):
    again = write_templates(tmp_path)
    assert [p.read_bytes() for p in again] == [templates[p.stem].read_bytes() for p in again]


def _drop_downs(workbook) -> dict[str, list[str]]:
    """Each list drop-down of the first sheet: its cells and its values, looked up when on another sheet."""
    found = {}
    for rule in workbook.worksheets[0].data_validations.dataValidation:
        assert rule.type == "list"
        source = rule.formula1
        if source.startswith('"'):
            values = source.strip('"').split(",")
        else:
            sheet_name, cells = source.rsplit("!", 1)
            values = [c.value for (c,) in workbook[sheet_name.strip("'")][cells.replace("$", "")]]
        found[str(rule.sqref)] = values
    return found


def _as_typed(spec: dict, text: str):
    """An example CSV cell as Excel would hold it once typed into the template."""
    if text == "":
        return None
    if spec.get("x-money") or spec["type"] == "number":
        return float(text) if "." in text else int(text)
    if spec["type"] == "integer":
        return int(text)
    if spec["type"] == "date":
        return dt.date.fromisoformat(text)
    return text


def _normal_form(spec: dict, value) -> str:
    """What the hand-typed value should read as once normalised."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if spec["type"] == "boolean":
        return {"yes": "true", "no": "false"}[value]
    if spec.get("x-list"):
        return ";".join(item.strip() for item in value.split(";"))
    return str(value)

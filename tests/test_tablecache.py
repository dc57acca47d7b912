"""Checked tables kept between builds: the same tables back, and never a stale verdict."""

from __future__ import annotations

import shutil

import openpyxl
import pandas as pd
from helpers import ROOT, read_rows, set_cell

from dps_publish.sources import validate as validate_module
from dps_publish.sources.validate import validate_folder


def _copy_data(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    return data


def test_tables_from_the_cache_equal_tables_read_afresh(tmp_path, monkeypatch):
    data, cache = _copy_data(tmp_path), tmp_path / "cache"
    fresh = validate_folder(data)
    first = validate_folder(data, cache)
    assert fresh.ok and first.ok
    kept = sorted(p.name.rsplit("-", 1)[0] for p in (cache / "tables").iterdir())
    assert kept == sorted(fresh.tables), "every clean table should be kept"

    def no_reading(name, path):
        raise AssertionError(f"{name} was read again although its file did not change")

    monkeypatch.setattr(validate_module, "read_table", no_reading)
    second = validate_folder(data, cache)
    assert second.ok
    assert second.tables.keys() == fresh.tables.keys()
    for name, table in fresh.tables.items():
        again = second.tables[name]
        assert (again.name, again.file, again.present) == (table.name, table.file, table.present), name
        assert again.header == table.header and again.header.labels, name  # where each cell is
        pd.testing.assert_frame_equal(again.frame, table.frame, check_index_type=True)
        pd.testing.assert_frame_equal(again.typed, table.typed, check_index_type=True)


def test_a_changed_file_is_read_and_checked_again(tmp_path):
    data, cache = _copy_data(tmp_path), tmp_path / "cache"
    assert validate_folder(data, cache).ok
    row = set_cell(data / "providers.csv", 3, "website", "www.example")
    result = validate_folder(data, cache)
    found = [(p.file, p.row, p.column, p.code) for p in result.problems]
    assert ("providers.csv", row, "website", "constraint-error") in found


def test_a_table_with_problems_is_not_kept(tmp_path):
    data, cache = _copy_data(tmp_path), tmp_path / "cache"
    set_cell(data / "glossary.csv", 3, "meaning", "")
    result = validate_folder(data, cache)
    assert any(p.file == "glossary.csv" for p in result.problems)
    kept = {p.name.rsplit("-", 1)[0] for p in (cache / "tables").iterdir()}
    assert "glossary" not in kept and "providers" in kept
    again = validate_folder(data, cache)  # the problem is found again, not forgotten
    assert [p.code for p in again.problems if p.file == "glossary.csv"] == ["constraint-error"]


def test_cross_table_rules_still_run_on_kept_tables(tmp_path):
    """Listings are kept, but a provider they refer to disappears: the foreign key problem is found."""
    data, cache = _copy_data(tmp_path), tmp_path / "cache"
    assert validate_folder(data, cache).ok
    text = (data / "providers.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "providers.csv").write_text(text[0] + "".join(text[2:]), encoding="utf-8")
    result = validate_folder(data, cache)
    assert any(p.file == "listings.csv" for p in result.problems), [str(p) for p in result.problems][:5]


def test_rule_problems_of_a_kept_workbook_name_their_sheet_and_cell(tmp_path, monkeypatch):
    """listings.xlsx is kept; a provider it names disappears: the problem, from the kept table, names sheet and cell."""
    data, cache = _copy_data(tmp_path), tmp_path / "cache"
    header, rows = read_rows(data / "listings.csv")
    workbook = openpyxl.Workbook()
    workbook.active.title = "Providers on lots"
    workbook.active.append(["provider_id"] + [h for h in header if h != "provider_id"])  # another column order
    for row in rows:
        workbook.active.append([row["provider_id"]] + [row[h] for h in header if h != "provider_id"])
    workbook.save(data / "listings.xlsx")
    (data / "listings.csv").unlink()
    assert validate_folder(data, cache).ok
    gone = rows[0]["provider_id"]
    text = (data / "providers.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "providers.csv").write_text("".join(t for t in text if not t.startswith(f"{gone},")), encoding="utf-8")
    reading = validate_module.read_table

    def listings_not_read(name, path):
        assert name != "listings", "listings.xlsx did not change: it comes from the cache"
        return reading(name, path)

    monkeypatch.setattr(validate_module, "read_table", listings_not_read)
    result = validate_folder(data, cache)
    found = {(p.code, p.row, p.column, p.sheet, p.cell) for p in result.problems if p.file == "listings.xlsx"}
    want = {("foreign-key", i + 2, "provider_id", "Providers on lots", f"A{i + 2}")
            for i, row in enumerate(rows) if row["provider_id"] == gone}
    assert found == want and want

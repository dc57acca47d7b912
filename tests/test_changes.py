"""Each change between two versions of the published tables is said from and to, and headed where it belongs."""

from __future__ import annotations

import csv
import io
import json

from dps_publish.opendata.changes import Change, compare
from dps_publish.opendata.publication import ChangelogEntry, _write_changelog
from dps_publish.opendata.summary import KIND_HEADINGS, ChangeSummary

ROUND = {"programme_id": "p", "round_id": "r1", "title": "Opening round", "opens": "2022-05-27",
         "closes": "2022-06-17", "award_date": "", "services_start": "2022-10-01", "status": "evaluating"}
LOT = {"programme_id": "p", "lot_id": "1a", "name": "Everyday activities", "reopens": "true",
       "support_modes": "in-person"}
PROVIDER = {"provider_id": "hop", "name": "Hop Garden Makers", "phone": "01622 000 100", "website": ""}
LISTING = {"programme_id": "p", "lot_id": "1a", "provider_id": "hop", "round_id": "r1", "status": "awarded",
           "left_date": "", "districts": "E1;E2", "support_types": "one-to-one", "age_groups": "18-25",
           "activities": "woodwork"}
DISTRICTS = [{"code": "E1", "name": "Ashford"}, {"code": "E2", "name": "Dover"}, {"code": "E3", "name": "Thanet"},
             {"code": "E4", "name": "Swale"}]
SPEND = {"programme_id": "p", "financial_year": "2021-22", "measure": "forecast", "cost_type": "service",
         "client_group": "all", "amount_gbp": "1234.5"}


def tables(**changed) -> dict[str, list[dict]]:
    rows = {"rounds": ROUND, "lots": LOT, "providers": PROVIDER, "listings": LISTING, "spend": SPEND}
    out = {name: [{**row, **changed.get(name, {})}] for name, row in rows.items()}
    out["districts"] = DISTRICTS
    return out


def only(changes: list[Change], kind: str) -> Change:
    found = [c for c in changes if c.kind == kind]
    assert len(found) == 1, changes
    return found[0]


def test_nothing_changed_says_nothing():
    assert compare(tables(), tables()) == []


def test_a_round_awarded_is_named_with_its_date_and_what_it_was():
    changes = compare(tables(), tables(rounds={"status": "awarded", "award_date": "2022-07-13"}))
    awarded = only(changes, "round-awarded")
    assert awarded.text == 'Round "Opening round" was awarded on 13 July 2022 (before: evaluating applications).'
    assert (awarded.field, awarded.before, awarded.after) == ("status", "evaluating", "awarded")
    dated = only(changes, "round-changed")
    assert dated.text == 'Round "Opening round": the award date changed from blank to 13 July 2022.'
    assert (dated.field, dated.before, dated.after) == ("award_date", "", "2022-07-13")


def test_a_round_changing_status_otherwise_says_from_and_to():
    change = only(compare(tables(rounds={"status": "planned"}), tables(rounds={"status": "open"})), "round-changed")
    assert change.text == 'Round "Opening round" changed from planned to open for applications.'


def test_a_round_added_already_awarded_is_named_as_awarded_too():
    changes = compare({}, tables(rounds={"status": "awarded", "award_date": "2022-07-13"}))
    assert only(changes, "round-added").text == \
        "New round: Opening round (applications from 27 May 2022 to 17 June 2022)."
    assert only(changes, "round-awarded").text == 'Round "Opening round" was awarded on 13 July 2022.'


def test_a_listing_says_its_districts_and_details_from_and_to():
    changes = compare(tables(), tables(listings={"districts": "E1;E2;E3", "support_types": "one-to-one;virtual"}))
    moved = only(changes, "listing-moved")
    assert moved.text == ("Hop Garden Makers now serves Ashford, Dover and Thanet (before: Ashford and Dover) "
                          "on lot 1a (Everyday activities).")
    assert (moved.field, moved.before, moved.after) == ("districts", "E1;E2", "E1;E2;E3")
    assert only(changes, "listing-changed").text == ("Hop Garden Makers on lot 1a (Everyday activities): kinds of "
                                                     "support changed from one to one to one to one and online.")


def test_districts_are_named_or_said_as_published():
    moved = only(compare(tables(), tables(listings={"districts": "E9"})), "listing-moved")
    assert "now serves E9 (before: Ashford and Dover)" in moved.text
    moved = only(compare(tables(), tables(listings={"districts": "E1;E2;E3;E4"})), "listing-moved")
    assert "now serves every district (before: Ashford and Dover)" in moved.text


def test_a_provider_detail_says_from_and_to():
    changes = compare(tables(), tables(providers={"phone": "01227 000 999", "website": "https://example.org"}))
    texts = sorted(c.text for c in changes)
    assert texts == ['Hop Garden Makers: phone changed from "01622 000 100" to "01227 000 999".',
                     'Hop Garden Makers: website changed from blank to "https://example.org".']
    assert {c.field for c in changes} == {"phone", "website"}


def test_a_lot_closing_and_reopening_says_what_it_was():
    closed = only(compare(tables(), tables(lots={"reopens": "false"})), "lot-closed")
    assert closed.text == ("Lot 1a (Everyday activities) is closed to new providers "
                           "(before: open to new providers at each round).")
    reopened = only(compare(tables(lots={"reopens": "false"}), tables()), "lot-reopened")
    assert (reopened.before, reopened.after) == ("false", "true")


def test_money_is_grouped_with_pence_only_when_it_has_them():
    revised = only(compare(tables(), tables(spend={"amount_gbp": "9547321"})), "figure-revised")
    assert revised.text.endswith("was revised from £1,234.50 to £9,547,321.")
    assert (revised.before, revised.after) == ("1234.5", "9547321")
    removed = only(compare(tables(), {**tables(), "spend": []}), "figure-removed")
    assert "£1,234.50" in removed.text and removed.after is None


def test_every_kind_has_a_heading_and_sections_follow_the_headings():
    everything = compare(
        {**tables(listings={"status": "suspended"}), "spend": []},
        tables(rounds={"status": "awarded", "title": "Round one", "closes": "2022-06-24"},
               lots={"reopens": "false", "name": "Activities"}, providers={"phone": "1"},
               listings={"districts": "E3", "activities": "crafts"}))
    assert {c.kind for c in everything} - set(KIND_HEADINGS) == set()
    summary = ChangeSummary("round r1", everything + [Change("something-new", "Something new.")])
    sections = summary.sections()
    headings = [h for h, _ in sections]
    assert headings == [h for h in KIND_HEADINGS.values() if h in headings] + ["Other changes"]
    assert all(changes for _, changes in sections)
    assert sum(len(c) for _, c in sections) == len(summary.changes)
    lines = summary.lines()
    for heading, changes in sections:
        assert f"  {heading} ({len(changes)}):" in lines
    assert json.loads(json.dumps(summary.to_dict()))["changes"][0].keys() == {
        "kind", "text", "table", "key", "field", "before", "after"}


def test_the_changelog_files_carry_from_and_to_after_the_old_columns(tmp_path):
    changes = tuple(compare(tables(), tables(spend={"amount_gbp": "9547321"})))
    _write_changelog([ChangelogEntry("Round r1", changes), ChangelogEntry("Old", (Change("round-added", "x"),))],
                     tmp_path)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "changelog.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["release", "kind", "text", "table", "key", "field", "before", "after"]
    assert (rows[0]["before"], rows[0]["after"]) == ("1234.5", "9547321")
    assert (rows[1]["field"], rows[1]["before"]) == ("", "")
    records = json.loads((tmp_path / "changelog.json").read_text(encoding="utf-8"))
    assert records[0]["text"].endswith("£9,547,321.") and records[1]["before"] is None


def test_a_column_added_or_removed_is_said_once_not_as_a_change_to_every_row():
    added = tables(providers={"last_checked": "2026-11-02"})
    changes = compare(tables(), added)
    change = only(changes, "column-added")
    assert change.table == "providers" and change.field == "last_checked"
    assert "new column, last_checked (last checked)" in change.text
    assert [c.kind for c in changes] == ["column-added"]  # no row is said to have changed
    removed = only(compare(added, tables()), "column-removed")
    assert "no longer has the column last_checked" in removed.text
    summary = ChangeSummary("round r1 as published (version 1.0.0)", changes)
    assert "No changes" not in "\n".join(summary.lines())
    assert [heading for heading, _ in summary.sections()] == [KIND_HEADINGS["column-added"]]

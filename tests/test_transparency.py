"""The Transparency Code files against the Code's own field lists, and spend that joins up with contracts.

The Code's lists are read from ``../shared/reference.md`` (never a copy in the project): each field there must
have a column in the file, under the header ``transparency.CODE_FIELDS`` gives it.
"""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

import frictionless
import pytest
from helpers import ROOT, read_rows, set_cell, shared_path, write_rows

from dps_publish.model.build import build_model
from dps_publish.opendata.summary import unmatched_payment_warnings
from dps_publish.opendata.transparency import (
    CODE_FIELDS,
    SPEND_COLUMNS,
    _work_out_spend_mask,
    contracts_register,
    invitations_to_tender,
    spend_quarter,
    spend_quarters,
)
from dps_publish.settings import load_settings
from dps_publish.sources.validate import validate_folder

# The datasets of reference.md's Transparency Code entry, by the words that open each one's bullet.
DATASETS = {"spend": "Expenditure exceeding £500", "tenders": "Invitations to tender", "contracts": "Contracts"}
FROZEN_QUARTER = "spend-over-500-2023-24-q1.csv"


def code_fields() -> dict[str, list[str]]:
    """The fields the Code asks for in each dataset, as reference.md lists them (lower case, examples dropped)."""
    reference = shared_path("reference.md", checks="the Transparency Code files against the Code's field lists")
    text = " ".join(reference.read_text(encoding="utf-8").split())
    found = {}
    for dataset, opening in DATASETS.items():
        match = re.search(rf"- \*{re.escape(opening)}\*(.*?)(?= - \*|$)", text)
        assert match, f"reference.md has no bullet for {opening}"
        bullet = re.sub(r"\([^)]*\)", "", match.group(1))  # (quarterly), (e.g. computers, software)
        listed = bullet.split(":", 1)[1].split(". ", 1)[0].rstrip(".")
        found[dataset] = [" ".join(f.split()).lower() for f in listed.split(";")]
    return found


def headers(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_reference_md_is_read_as_the_codes_field_lists():
    found = code_fields()
    assert len(found["spend"]) == 7 and "the beneficiary" in found["spend"]
    assert "start, end and review dates" in found["tenders"] and len(found["tenders"]) == 5
    assert len(found["contracts"]) == 10 and "reference number" in found["contracts"]


def test_each_code_file_has_a_column_for_every_field_the_code_lists(example_build):
    output, _ = example_build
    folder = output / "data" / "transparency"
    files = {"spend": sorted(p for p in folder.glob("spend-over-500-*.csv") if p.name != FROZEN_QUARTER),
             "tenders": [folder / "invitations-to-tender.csv"], "contracts": [folder / "contracts-register.csv"]}
    missing = []
    for dataset, fields in code_fields().items():
        assert files[dataset], f"no {dataset} file was published"
        for path in files[dataset]:
            header = headers(path)
            for field in fields:
                columns = CODE_FIELDS[dataset].get(field)
                if columns is None:
                    missing.append(f"{dataset}: the Code asks for {field!r}, which transparency.CODE_FIELDS lacks")
                    continue
                for column in (columns,) if isinstance(columns, str) else columns:
                    if column not in header:
                        missing.append(f"{path.name}: no column {column!r} for the Code's {field!r}")
    assert not missing, "\n".join(missing)


def test_the_example_fills_every_code_column_but_where_its_source_is_blank(example_build):
    output, result = example_build
    model = result.model
    folder = output / "data" / "transparency"
    code_columns = {c for field in CODE_FIELDS["spend"].values() for c in ((field,) if isinstance(field, str) else field)}
    spend = [p for p in folder.glob("spend-over-500-*.csv") if p.name != FROZEN_QUARTER]
    checked = 0
    for path in spend:
        for row in rows(path):
            assert all(row[c] for c in code_columns), (path.name, row)
            checked += 1
    assert checked > 200
    programmes = {p.programme_id: p for p in model.programmes}
    for row in rows(folder / "contracts-register.csv"):
        programme_id, lot_id, _ = row["Reference number"].split("/")
        blank = {k for k, v in row.items() if not v}
        has_money = any(e.programme_id == programme_id and e.lot_id == lot_id for e in model.envelopes)
        allowed = set() if has_money else {"Value over the term (GBP)", "Estimated annual value (GBP)",
                                            "Value of optional extension years (GBP)"}
        if has_money:
            allowed.add("Value of optional extension years (GBP)")  # a lot with no optional years
        if programmes[programme_id].end_date is None:
            allowed.add("End date")  # an open-ended programme; a supplier that left has its own
        if not row["Supplier registration number"]:  # the providers table leaves it blank
            supplier = row["Reference number"].split("/")[2]
            assert not next(p for p in model.providers if p.provider_id == supplier).registration_number
            allowed.add("Supplier registration number")
        assert blank <= allowed, (row["Reference number"], blank - allowed)
    for row in rows(folder / "invitations-to-tender.csv"):
        assert all(row[c] for c in ("Reference number", "Title", "Description of goods and services sought",
                                    "Department responsible", "Opening date", "Closing date", "Review date")), row


def test_spend_names_its_contract_and_its_suppliers_number(example_build):
    output, result = example_build
    folder = output / "data" / "transparency"
    register = {r["Reference number"]: r for r in rows(folder / "contracts-register.csv")}
    numbers = {p.provider_id: p.registration_number for p in result.model.providers}
    source = {r["transaction_id"]: r for r in read_rows(ROOT / "data" / "payments.csv")[1]}
    joined = 0
    for path in folder.glob("spend-over-500-*.csv"):
        if path.name == FROZEN_QUARTER:
            continue
        for row in rows(path):
            paid = source[row["Transaction number"]]
            if paid["lot_id"] and row["Provider id on this site"]:
                assert row["Contract reference"] in register, row
                assert register[row["Contract reference"]]["Supplier name"] == row["Supplier name"]
                joined += 1
            if row["Provider id on this site"] and numbers[row["Provider id on this site"]]:
                assert row["Supplier id"] == numbers[row["Provider id on this site"]]
            if row["Supplier type"] == "individual":
                assert row["Supplier id"] == "" and row["Purpose of the expenditure"] == row["Expense type"]
            assert row["Body"] == "GB-LAE-KEN" and row["Irrecoverable VAT (GBP)"] != ""
    assert joined > 150


def test_a_frozen_quarter_keeps_the_columns_it_was_published_with(example_build):
    output, _ = example_build
    live = output / "data" / "transparency" / FROZEN_QUARTER
    assert live.read_bytes() == (ROOT / "published" / "payments" / FROZEN_QUARTER).read_bytes()
    assert "VAT recoverable" in headers(live) and "Purpose of the expenditure" not in headers(live)
    later = sorted((output / "data" / "transparency").glob("spend-over-500-*.csv"))[-1]
    assert headers(later) == [c.label for c in SPEND_COLUMNS]
    changelog = (output / "data" / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "2023-24-q1 was frozen before the files had every field" in changelog
    dictionary = (output / "data" / "dictionary" / "index.html").read_text(encoding="utf-8")
    assert "Quarters frozen before these columns existed keep the columns they were" in dictionary


def test_the_code_files_have_a_valid_data_package_describing_every_column(example_build):
    output, _ = example_build
    package = output / "data" / "transparency" / "datapackage.json"
    report = frictionless.validate(package)
    assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "message"])[:20]
    descriptor = json.loads(package.read_text(encoding="utf-8"))
    published = {p.name for p in package.parent.glob("*.csv")}
    assert {r["path"] for r in descriptor["resources"]} == published
    for resource in descriptor["resources"]:
        assert [f["name"] for f in resource["schema"]["fields"]] == headers(package.parent / resource["path"])
        for field in resource["schema"]["fields"]:
            assert len(field["description"]) > 20 and "{" not in field["description"], field
    code_worded = [f for r in descriptor["resources"] for f in r["schema"]["fields"] if "Part 2," in f["description"]]
    assert len(code_worded) > 20


def test_the_contracts_register_never_invites_summing_a_lots_money_row_by_row(example_build):
    output, result = example_build
    register = rows(output / "data" / "transparency" / "contracts-register.csv")
    by_lot: dict[tuple, list[dict]] = {}
    for row in register:
        by_lot.setdefault(tuple(row["Reference number"].split("/")[:2]), []).append(row)
    for (programme_id, lot_id), lot_rows in by_lot.items():
        assert all(r["Value shared by"] == (f"the lot's {len(lot_rows)} suppliers, not each of them"
                                            if len(lot_rows) > 1 else "this supplier alone") for r in lot_rows)
        envelopes = [e for e in result.model.envelopes if (e.programme_id, e.lot_id) == (programme_id, lot_id)]
        fixed = sum(e.amount_gbp for e in envelopes if not e.optional)
        if envelopes:
            assert {Decimal(r["Value over the term (GBP)"]) for r in lot_rows} == {fixed}
    routes = {r["Invitation to quote or published invitation to tender"] for r in register}
    assert routes == {"published invitation to tender"}  # the example has no direct award
    sizes = {p.provider_id: p for p in result.model.providers}
    for row in register:
        provider = sizes[row["Reference number"].split("/")[2]]
        expected = ("yes" if provider.size in ("micro", "small", "medium") or
                    provider.organisation_type == "micro-enterprise" else "no" if provider.size == "large"
                    else "not known")
        assert row["SME"] == expected


def _codes(data: Path) -> dict[str, list]:
    found: dict[str, list] = {}
    for problem in validate_folder(data).problems:
        found.setdefault(problem.code, []).append(problem)
    return found


def test_payment_mistakes_are_each_placed_on_their_cell(data_copy):
    data = data_copy
    payments = data / "payments.csv"
    header, table = read_rows(payments)
    individual = next(i for i, r in enumerate(table) if r["supplier_type"] == "individual")
    provider = next(i for i, r in enumerate(table) if r["provider_id"] and r["supplier_type"] == "organisation")
    other = next(i for i, r in enumerate(table) if i not in (individual, provider) and r["lot_id"])
    refund = next(i for i, r in enumerate(table) if i not in (individual, provider, other))
    set_cell(payments, individual, "supplier_id", "01234567")
    set_cell(payments, provider, "supplier_id", "99999999")
    set_cell(payments, other, "programme_id", "")
    set_cell(payments, refund, "amount_gbp", "-750.00")
    set_cell(payments, refund, "irrecoverable_vat_gbp", "150.00")
    providers = data / "providers.csv"
    micro = next(i for i, r in enumerate(read_rows(providers)[1]) if r["organisation_type"] == "micro-enterprise")
    set_cell(providers, micro, "size", "large")
    codes = _codes(data)
    for code, row in (("payment-individual-supplier-id", individual), ("payment-supplier-id-mismatch", provider),
                      ("payment-lot-without-programme", other), ("payment-vat-sign", refund)):
        assert [p.row for p in codes.get(code, [])] == [row + 2], (code, codes.get(code))
    assert [p.column for p in codes["provider-size-mismatch"]] == ["size"]
    message = str(codes["payment-supplier-id-mismatch"][0])
    assert "payments.csv" in message and "99999999" in message and "registration number" in message


def test_the_old_vat_recoverable_column_is_refused_saying_what_replaced_it(data_copy):
    data = data_copy
    header, table = read_rows(data / "payments.csv")
    for row in table:
        row["vat_recoverable"] = "no"
    write_rows(data / "payments.csv", [*header, "vat_recoverable"], table)
    problems = _codes(data)["replaced-label"]
    assert len(problems) == 1 and problems[0].column == "vat_recoverable"
    assert "irrecoverable_vat_gbp" in problems[0].message and "not a yes or no" in problems[0].message


def test_a_payment_matching_no_listing_gets_a_warning_and_a_blank_reference(data_copy):
    data = data_copy
    payments = data / "payments.csv"
    header, table = read_rows(payments)
    index = next(i for i, r in enumerate(table) if r["lot_id"] == "1a" and r["payment_date"] >= "2023-07-01"
                 and r["programme_id"] == "everyday-life-activities")
    listings = {(r["programme_id"], r["lot_id"], r["provider_id"]) for r in read_rows(data / "listings.csv")[1]}
    wrong = next(lot for lot in ("2", "1b", "1a") if ("everyday-life-activities", lot, table[index]["provider_id"])
                 not in listings)
    set_cell(payments, index, "lot_id", wrong)
    model = build_model(validate_folder(data).tables)
    warnings = unmatched_payment_warnings(model)
    assert len(warnings) == 1 and table[index]["transaction_id"] in warnings[0]
    settings = load_settings(ROOT / "pelicanconf.py")
    for quarter in spend_quarters(model)[0]:
        spend = spend_quarter(model, settings, quarter)
        hit = spend[spend["transaction_number"] == table[index]["transaction_id"]]
        if len(hit):
            assert hit["contract_reference"].tolist() == [""]
            break
    else:
        pytest.fail("the payment is not in any quarter's spend")


# The example's invitations to tender, worked out by hand from data/: the opening round invites bids for lots 1a, 1b
# and 2; the second round only for 1a and 2, as lot 1b does not reopen (lots.csv). Both rounds opened before the data's
# date; the wellbeing programme has no round in rounds.csv, so no invitation.
# (reference, services start, end, review date, department, opens, closes, route)
EXAMPLE_INVITATIONS = [
    ("everyday-life-activities/2022-10-opening/1a", "2022-10-01", None, "2025-10-01", "Adult Social Care and Health",
     "2022-05-27", "2022-06-17", "Dynamic purchasing system"),
    ("everyday-life-activities/2022-10-opening/1b", "2022-10-01", None, "2025-10-01", "Adult Social Care and Health",
     "2022-05-27", "2022-06-17", "Dynamic purchasing system"),
    ("everyday-life-activities/2022-10-opening/2", "2022-10-01", None, "2025-10-01", "Adult Social Care and Health",
     "2022-05-27", "2022-06-17", "Dynamic purchasing system"),
    ("everyday-life-activities/2023-04-second/1a", "2023-04-01", None, "2025-10-01", "Adult Social Care and Health",
     "2023-02-01", "2023-03-01", "Dynamic purchasing system"),
    ("everyday-life-activities/2023-04-second/2", "2023-04-01", None, "2025-10-01", "Adult Social Care and Health",
     "2023-02-01", "2023-03-01", "Dynamic purchasing system"),
]


def test_invitations_to_tender_are_one_a_lot_a_round_that_has_opened():
    model = build_model(validate_folder(ROOT / "data").tables)
    found = invitations_to_tender(model)

    def written(day):
        return day.isoformat() if day is not None else None

    assert [(r["reference"], written(r["start_date"]), written(r["end_date"]), written(r["review_date"]),
             r["department"], written(r["opens"]), written(r["closes"]), r["route"]) for r in found] \
        == EXAMPLE_INVITATIONS
    assert found[1]["title"] == ("Everyday Life Activities, Skills Development and Training Opportunities: Opening "
                                 "round: the first organisations join, lot 1b, Everyday Life Activities (building "
                                 "based / large groups)")
    register = contracts_register(model, load_settings(ROOT / "pelicanconf.py"))
    assert {r["department"] for r in register} == {p.department for p in model.programmes}


def test_the_new_columns_are_not_a_change_to_every_row_against_the_frozen_round(example_build):
    _, result = example_build
    summary = result.changes
    assert summary.compared_with.startswith("round 2023-04-second")
    frozen = ROOT / "published" / "rounds" / "2023-04-second"
    assert "size" not in headers(frozen / "providers.csv") and "department" not in headers(frozen / "programmes.csv")
    new_columns = {"size", "department", "review_date"}
    assert not [c for c in summary.changes if c.field in new_columns and not c.kind.startswith("column-")], \
        "a column new to a table changed no row"
    assert {c.field for c in summary.changes if c.kind == "column-added"} >= {"size"}  # said once, as a column
    assert not [c for c in summary.changes if c.kind == "provider-details-changed"]


def test_spend_is_more_than_500_pounds_either_way_exactly_at_the_boundary():
    """The mask compares floats: 500 and 500.00 are out, a penny over either way is in."""
    import types

    import pandas as pd

    amounts = ["500", "500.00", "500.01", "-500.01", "-500", "499.99", "0", "12345.67", "-0.5", "500.001"]
    model = types.SimpleNamespace(payments=pd.DataFrame({"amount_gbp": pd.Series(amounts, dtype="str")}))
    kept = [a for a, over in zip(amounts, _work_out_spend_mask(model)) if over]
    assert kept == ["500.01", "-500.01", "12345.67", "500.001"]

"""Transparency downloads: frozen rounds, Transparency Code files, the dictionary and the changelog."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from helpers import ROOT, THEME, dps, file_texts, project, read_rows, set_cell, tree_digest, write_rows

from dps_publish.problems import BuildError
from dps_publish.sources.schemas import load_schema

FRICTIONLESS = Path(sys.executable).parent / "frictionless"


def _frictionless_valid(package: Path) -> None:
    run = subprocess.run([str(FRICTIONLESS), "validate", str(package), "--json"], capture_output=True, text=True)
    report = json.loads(run.stdout)
    assert run.returncode == 0 and report["valid"], (package, run.stdout[:1500])


@pytest.fixture
def one_round_data(tmp_path):
    """The example data as it stood after the opening round: the second round not yet run."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    header, rows = read_rows(data / "listings.csv")
    write_rows(data / "listings.csv", header, [r for r in rows if r["round_id"] != "2023-04-second"])
    header, rows = read_rows(data / "rounds.csv")
    write_rows(data / "rounds.csv", header, [r for r in rows if r["round_id"] != "2023-04-second"])
    header, rows = read_rows(data / "milestones.csv")
    write_rows(data / "milestones.csv", header, [r for r in rows if r["round_id"] != "2023-04-second"])
    return data


def _cli(*args) -> int:
    return dps([*args, "--content", str(ROOT / "content"), "--theme", str(THEME),
                 "--settings", str(ROOT / "pelicanconf.py")])


def test_freezing_round_one_keeps_its_files_byte_identical_after_round_two(one_round_data, tmp_path):
    frozen, output = tmp_path / "published", tmp_path / "output"
    assert _cli("freeze", "2022-10-opening", "--data", str(one_round_data), "--frozen", str(frozen)) == 0
    assert _cli("build", "--data", str(one_round_data), "--frozen", str(frozen), "--output", str(output)) == 0
    round_one = tree_digest(output / "data" / "rounds" / "2022-10-opening")
    assert round_one == {k: v for k, v in tree_digest(frozen / "rounds" / "2022-10-opening").items()}
    manifest = json.loads((frozen / "rounds" / "2022-10-opening" / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0"

    # Round two: the full example data, with a correction to round one's provider too.
    data = tmp_path / "data2"
    shutil.copytree(ROOT / "data", data)
    set_cell(data / "providers.csv", 0, "description", "A corrected description after round one.")
    assert _cli("freeze", "2023-04-second", "--data", str(data), "--frozen", str(frozen)) == 0
    assert _cli("build", "--data", str(data), "--frozen", str(frozen), "--output", str(output)) == 0
    assert tree_digest(output / "data" / "rounds" / "2022-10-opening") == round_one
    second = json.loads((frozen / "rounds" / "2023-04-second" / "manifest.json").read_text())
    assert second["version"] == "1.1.0"  # a new round is a new minor version
    assert tree_digest(output / "data" / "latest") == tree_digest(output / "data" / "rounds" / "2023-04-second")
    for package in [output / "data" / "rounds" / r / "datapackage.json" for r in ("2022-10-opening", "2023-04-second")]:
        _frictionless_valid(package)
    _frictionless_valid(output / "data" / "latest" / "datapackage.json")

    # The changelog names who joined in round two.
    page = lxml.html.document_fromstring((output / "data" / "changelog" / "index.html").read_bytes())
    text = " ".join(page.text_content().split())
    joined = [r for r in read_rows(data / "listings.csv")[1] if r["round_id"] == "2023-04-second" and r["status"] != "applied"]
    names = {r["provider_id"]: r["name"] for r in read_rows(data / "providers.csv")[1]}
    for listing in joined:
        assert f"{names[listing['provider_id']]} joined lot {listing['lot_id']}" in text
    assert "New round:" in text


def test_build_refuses_to_change_a_frozen_round(one_round_data, tmp_path, capsys):
    frozen, output = tmp_path / "published", tmp_path / "output"
    assert _cli("freeze", "2022-10-opening", "--data", str(one_round_data), "--frozen", str(frozen)) == 0
    # Freezing it again is refused, whatever the data says now.
    assert _cli("freeze", "2022-10-opening", "--data", str(ROOT / "data"), "--frozen", str(frozen)) == 2
    assert "already frozen" in capsys.readouterr().err
    # A frozen file edited by hand stops the build; output/ is untouched.
    assert _cli("build", "--data", str(one_round_data), "--frozen", str(frozen), "--output", str(output)) == 0
    before = tree_digest(output)
    listings = frozen / "rounds" / "2022-10-opening" / "listings.csv"
    listings.write_text(listings.read_text().replace("awarded", "awarded ", 1))
    assert _cli("build", "--data", str(one_round_data), "--frozen", str(frozen), "--output", str(output)) == 2
    assert "has changed since it was frozen" in capsys.readouterr().err
    assert tree_digest(output) == before


def test_frozen_payments_quarter_cannot_change(tmp_path, capsys):
    data, frozen, output = tmp_path / "data", tmp_path / "published", tmp_path / "output"
    shutil.copytree(ROOT / "data", data)
    assert _cli("freeze", "--payments", "2023-24-q1", "--data", str(data), "--frozen", str(frozen)) == 0
    assert _cli("build", "--data", str(data), "--frozen", str(frozen), "--output", str(output)) == 0
    header, rows = read_rows(data / "payments.csv")
    index = next(i for i, r in enumerate(rows) if r["payment_date"].startswith("2023-04"))
    set_cell(data / "payments.csv", index, "amount_gbp", "99999.99")
    assert _cli("build", "--data", str(data), "--frozen", str(frozen), "--output", str(output)) == 2
    assert "2023-24-q1" in capsys.readouterr().err


def test_no_payment_to_an_individual_carries_a_name_anywhere(example_build):
    output, _ = example_build
    names = {r["supplier_name"] for r in read_rows(ROOT / "data" / "payments.csv")[1] if r["supplier_type"] == "individual"}
    assert len(names) >= 10
    for path, text in file_texts(output):
        for name in names:
            assert name not in text, (path, name)
    spend = list((output / "data" / "transparency").glob("spend-over-500-*.csv"))
    assert spend
    redacted = 0
    for path in spend:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if row["Supplier type"] == "individual":
                    assert row["Supplier name"] == "REDACTED - personal data"
                    assert row["Transaction number"] and row["Net amount (GBP)"]  # the row stays
                    redacted += 1
    assert redacted >= 10


def test_spend_files_are_one_per_quarter_and_over_500(example_build):
    output, _ = example_build
    spend = sorted((output / "data" / "transparency").glob("spend-over-500-*.csv"))
    # the example's payments run from April 2023 to March 2024 (data/payments.csv): the four quarters of 2023-24
    assert [p.name for p in spend] == [f"spend-over-500-2023-24-q{q}.csv" for q in (1, 2, 3, 4)]
    for path in spend:
        quarter = path.stem.removeprefix("spend-over-500-")
        start_year, q = int(quarter[:4]), int(quarter[-1])
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
            assert len(rows) >= 50, f"{path.name} holds {len(rows)} payments"
            for row in rows:
                assert abs(float(row["Net amount (GBP)"])) > 500
                year, month = int(row["Payment date"][:4]), int(row["Payment date"][5:7])
                assert (year if month >= 4 else year - 1) == start_year
                assert (month - 4) % 12 // 3 + 1 == q


def test_contracts_register_has_a_row_per_supplier_on_a_lot(example_build):
    output, result = example_build
    with open(output / "data" / "transparency" / "contracts-register.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(result.model.listings)
    assert {"Reference number", "Supplier name", "Start date", "SME", "VCSE"} <= set(rows[0])


def test_data_dictionary_lists_every_published_column_of_every_table(example_build):
    output, result = example_build
    page = lxml.html.document_fromstring((output / "data" / "dictionary" / "index.html").read_bytes())
    listed = {table.get("data-table"): [th.text_content().strip() for th in table.xpath(".//tbody/tr/th")]
              for table in page.find_class("data-dictionary")}
    package = json.loads((output / "data" / "datapackage.json").read_text())
    assert len(package["resources"]) >= 12, "the example publishes fourteen tables"
    for resource in package["resources"]:
        published = [f["name"] for f in resource["schema"]["fields"]]
        assert listed[resource["name"]] == published, resource["name"]
        with open(output / "data" / resource["path"], newline="") as f:
            assert next(csv.reader(f)) == published
        exempt = load_schema(resource["name"]).exempt_fields
        assert not set(exempt) & set(published)


def test_transparency_csvs_have_no_formula_cells(example_build):
    output, _ = example_build
    paths = sorted((output / "data").rglob("*.csv"))
    assert {"contracts-register.csv", "invitations-to-tender.csv", "spend-over-500-2023-24-q1.csv"} <= {
        p.name for p in paths} and len(paths) >= 20, [p.name for p in paths]
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for value in row:
                    if value[:1] in ("=", "@", "\t", "\r"):
                        pytest.fail(f"{path}: {value!r}")
                    if value[:1] in ("+", "-") and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?|\+[0-9 ()-]+", value):
                        pytest.fail(f"{path}: {value!r} would run as a formula")


def test_freeze_refuses_an_unknown_round(tmp_path, capsys):
    assert _cli("freeze", "2099-01-nope", "--data", str(ROOT / "data"), "--frozen", str(tmp_path / "published")) == 2
    assert "no round" in capsys.readouterr().err
    with pytest.raises(BuildError):
        from dps_publish.pipeline import freeze_round_of

        freeze_round_of(project(ROOT / "data", tmp_path / "o", frozen=tmp_path / "published"), "2099-01-nope")

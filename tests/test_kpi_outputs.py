"""Small numbers stay withheld in every output: pages, chart CSVs and the data package."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from decimal import Decimal

import lxml.html
import pandas as pd
from helpers import ROOT, build_site, read_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dps_publish.model.build import publish_kpis
from dps_publish.model.publishable import KpiDefinition, KpiValue
from dps_publish.opendata.datapackage import table_csv
from dps_publish.sources.rules import SourceTable

LOT_PROVIDERS = {  # public providers on each DPS lot of the example data
    lot: sorted({r["provider_id"] for r in read_rows(ROOT / "data" / "listings.csv")[1]
                 if r["lot_id"] == lot and r["status"] == "awarded" and r["programme_id"] == "everyday-life-activities"})[:3]
    for lot in ("1a", "1b", "2")
}
DEFINITIONS = [
    KpiDefinition("complaints", "Complaints", "", "", "count", False, None, True),
    KpiDefinition("people-with-a-plan", "People with a plan", "", "", "percent", True, Decimal(90), True),
]


@st.composite
def kpi_rows(draw):
    """A programme's KPI rows: providers within lots within the programme, parts adding up."""
    rows = []
    for period in draw(st.sampled_from([["2023-Q1"], ["2023-Q1", "2023-Q2"]])):
        for kpi in ("complaints", "people-with-a-plan"):
            programme_num = programme_den = 0
            for lot, providers in LOT_PROVIDERS.items():
                lot_num = lot_den = 0
                for provider in providers[: draw(st.integers(0, len(providers)))]:
                    den = draw(st.integers(1, 25))
                    num = draw(st.integers(0, den))
                    lot_num, lot_den = lot_num + num, lot_den + den
                    rows.append((lot, provider, period, kpi, num, den))
                extra = draw(st.integers(1, 6))  # people with providers not listed
                lot_num, lot_den = lot_num + draw(st.integers(0, extra)), lot_den + extra
                rows.append((lot, "", period, kpi, lot_num, lot_den))
                programme_num, programme_den = programme_num + lot_num, programme_den + lot_den
            rows.append(("", "", period, kpi, programme_num, programme_den))
    out = []
    for lot, provider, period, kpi, num, den in rows:
        if kpi == "complaints":
            out.append(("everyday-life-activities", lot, provider, period, kpi, str(num), "", ""))
        else:
            out.append(("everyday-life-activities", lot, provider, period, kpi, str(num), str(den),
                        f"{num / den * 100:.1f}"))
    return out


COLUMNS = ["programme_id", "lot_id", "provider_id", "period", "kpi_id", "numerator", "denominator", "value"]


def _table(rows) -> SourceTable:
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object, index=range(2, len(rows) + 2))
    return SourceTable("kpis", "kpis.csv", frame, frame)


def check_published(rows: list[dict], threshold: int) -> None:
    """No count of people in 1..threshold-1; no withheld count recoverable from a published total."""
    for row in rows:
        for column in ("numerator", "denominator"):
            if row[column] != "":
                assert not 1 <= int(row[column]) < threshold, row
    counted = {"complaints": ("numerator",), "people-with-a-plan": ("numerator", "denominator")}
    for column in ("numerator", "denominator"):
        groups: dict[tuple, dict] = defaultdict(lambda: {"total": None, "parts": []})
        for row in rows:
            if column not in counted[row["kpi_id"]]:
                continue
            key = (row["kpi_id"], row["period"])
            if row["provider_id"]:
                groups[key + (row["lot_id"],)]["parts"].append(row)
            elif row["lot_id"]:
                groups[key + (row["lot_id"],)]["total"] = row
                groups[key]["parts"].append(row)
            else:
                groups[key]["total"] = row
        for group in groups.values():
            total, parts = group["total"], group["parts"]
            present = [p for p in parts if p["withheld"] == "true" or p[column] != ""]
            if total is None or not present:
                continue
            hidden = [p for p in present if p[column] == "" and p["withheld"] == "true"]
            if total[column] != "":
                assert len(hidden) != 1, (column, total, hidden)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=kpi_rows(), threshold=st.integers(2, 8))
def test_data_package_kpis_never_reveal_small_counts(rows, threshold):
    public = {p for providers in LOT_PROVIDERS.values() for p in providers}
    published = publish_kpis(_table(rows), DEFINITIONS, public, threshold)
    names = [f for f in KpiValue.__dataclass_fields__ if f != "DERIVED_FIELDS"]
    text = table_csv(published, names).decode()
    check_published(list(csv.DictReader(text.splitlines())), threshold)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=kpi_rows())
def test_full_build_keeps_small_counts_out_of_pages_chart_csvs_and_package(rows, tmp_path_factory):
    work = tmp_path_factory.mktemp("kpi-build")
    shutil.copytree(ROOT / "data", work / "data")
    with open(work / "data" / "kpis.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    output = work / "output"
    build_site(work / "data", output)
    with open(output / "data" / "kpis.csv", newline="") as f:
        check_published([r for r in csv.DictReader(f) if r["kpi_id"] in ("complaints", "people-with-a-plan")], 5)
    # Complaints count people: no page or chart download shows 1 to 4 of them.
    page = lxml.html.document_fromstring((output / "performance" / "everyday-life-activities" / "index.html").read_bytes())
    section = page.get_element_by_id("complaints")
    for cell in section.iter("td"):
        value = cell.get("data-value")
        if value:
            assert not 1 <= Decimal(value) < 5, cell.text_content()
    chart_csv = output / "performance" / "everyday-life-activities" / "charts" / "kpi-complaints.csv"
    with open(chart_csv, newline="") as f:
        for row in csv.DictReader(f):
            assert row["value"] == "" or not 1 <= Decimal(row["value"]) < 5, row

"""Local Government Transparency Code 2015 files: the contracts register and spend over £500.

The contracts register has one row per supplier on a lot (each is a contract
under the programme), with the money set aside for the lot over its term,
dates, the supplier and its registration number, and whether it is an SME or
a VCSE where the organisation type tells us. Spend over £500 is published one
file per financial quarter, as councils publish it (which also keeps every
file far below Excel's 1,048,576-row limit). Payments to individuals keep
their row but not their name: the model has already replaced it with
``REDACTED - personal data``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..model.payments import financial_quarters
from ..model.publishable import SiteModel
from ..settings import PublishSettings
from .csvtext import frame_csv
from .datapackage import cell

SPEND_THRESHOLD = Decimal(500)
EXCEL_ROW_LIMIT = 1_048_576
SME_TYPES = {"micro-enterprise"}
VCSE_TYPES = {"charity", "community-interest-company"}

CONTRACT_COLUMNS = (
    ("reference", "Reference"),
    ("title", "Title of agreement"),
    ("department", "Department"),
    ("description", "Description of goods and services"),
    ("supplier_name", "Supplier name"),
    ("supplier_registration_number", "Supplier registration number"),
    ("lot_value_over_term_gbp", "Value of the lot over its term, shared by its suppliers (GBP)"),
    ("start_date", "Start date"),
    ("end_date", "End date"),
    ("review_date", "Review date"),
    ("status", "Status"),
    ("sme", "SME"),
    ("vcse", "VCSE"),
)
SPEND_COLUMNS = (
    ("body_name", "Body name"),
    ("service_area", "Service area"),
    ("expense_type", "Expense type"),
    ("payment_date", "Payment date"),
    ("transaction_number", "Transaction number"),
    ("net_amount_gbp", "Net amount (GBP)"),
    ("supplier_name", "Supplier name"),
    ("supplier_type", "Supplier type"),
    ("vat_recoverable", "VAT recoverable"),
    ("provider_id", "Provider id on this site"),
    ("programme_id", "Programme id on this site"),
)


def contracts_register(model: SiteModel, settings: PublishSettings) -> list[dict]:
    envelope_totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for e in model.envelopes:
        envelope_totals[(e.programme_id, e.lot_id)] += e.amount_gbp
    rows = []
    for listing in sorted(model.listings, key=lambda x: (x.programme_id, x.lot_id, x.provider_id)):
        programme = model.programme(listing.programme_id)
        lot = model.lot(listing.programme_id, listing.lot_id)
        provider = model.provider(listing.provider_id)
        joined = model.round(listing.programme_id, listing.round_id) if listing.round_id else None
        start = (joined.services_start if joined and joined.services_start else programme.start_date)
        rows.append({
            "reference": f"{listing.programme_id}/{listing.lot_id}/{listing.provider_id}",
            "title": f"{programme.name}: lot {lot.lot_id}, {lot.name}",
            "department": "Adult Social Care and Health",
            "description": lot.description,
            "supplier_name": provider.name,
            "supplier_registration_number": provider.registration_number,
            "lot_value_over_term_gbp": envelope_totals.get((listing.programme_id, listing.lot_id)),
            "start_date": start,
            "end_date": listing.left_date or programme.end_date,
            "review_date": None,
            "status": listing.status,
            "sme": "yes" if provider.organisation_type in SME_TYPES else "not known",
            "vcse": "yes" if provider.organisation_type in VCSE_TYPES else
                    ("no" if provider.organisation_type in ("company", "public-body") else "not known"),
        })
    return rows


SPEND_SOURCE = {"service_area": "expense_area", "transaction_number": "transaction_id", "net_amount_gbp": "amount_gbp"}


def _spend_mask(model: SiteModel) -> np.ndarray:
    """Which payments the Code asks for: more than £500 either way (a refund of over £500 included)."""
    return model.derived(_work_out_spend_mask)


def _work_out_spend_mask(model: SiteModel) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    amounts = pc.cast(pa.array(model.payments["amount_gbp"], type=pa.large_string()), pa.float64())
    return np.abs(amounts.to_numpy()) > SPEND_THRESHOLD


def spend_quarters(model: SiteModel) -> tuple[list[str], np.ndarray]:
    """The financial quarters (``2023-24-q1``) with spend, in order, and each spend payment's place among them.

    Worked out once per day, not once per payment: a year of payments has a few hundred days.
    """
    return model.derived(_work_out_spend_quarters)


def _work_out_spend_quarters(model: SiteModel) -> tuple[list[str], np.ndarray]:
    import pyarrow as pa
    import pyarrow.compute as pc

    dates = pa.array(model.payments["payment_date"], type=pa.large_string()).filter(pa.array(_spend_mask(model)))
    if not len(dates):
        return [], np.array([], dtype=np.int64)
    days = pc.unique(dates)
    of_day = financial_quarters(pd.Series(days.to_pylist(), dtype="str")).tolist()
    names = sorted(set(of_day))
    day_codes = np.array([names.index(q) for q in of_day], dtype=np.int64)
    return names, day_codes[pc.index_in(dates, value_set=days).to_numpy()]


def spend_over_500(model: SiteModel, settings: PublishSettings) -> dict[str, pd.DataFrame]:
    """Each financial quarter's payments of more than £500 either way, in the Code's columns."""
    return {quarter: spend_quarter(model, settings, quarter) for quarter in spend_quarters(model)[0]}


def spend_quarter(model: SiteModel, settings: PublishSettings, quarter: str) -> pd.DataFrame:
    """One financial quarter's payments of more than £500 either way, in the Code's columns.

    Taken straight from the payments, one quarter at a time: a year of them is never copied whole.
    """
    names, codes = spend_quarters(model)
    of_payment = np.full(len(model.payments), -1, dtype=np.int64)
    of_payment[_spend_mask(model)] = codes
    columns = [name for name, _ in SPEND_COLUMNS]
    rows = model.payments[of_payment == names.index(quarter)][[SPEND_SOURCE.get(n, n) for n in columns[1:]]]
    rows.columns = columns[1:]
    rows.insert(0, "body_name", pd.Series(settings.council_name, index=rows.index, dtype="str"))
    return rows


def spend_csv(rows: pd.DataFrame) -> bytes:
    return frame_csv(rows.rename(columns=dict(SPEND_COLUMNS)))


def rows_csv(rows: list[dict], columns) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in columns])
    for row in rows:
        writer.writerow([cell(row.get(name)) for name, _ in columns])
    return buffer.getvalue().encode("utf-8")


def write_transparency(model: SiteModel, settings: PublishSettings, folder: Path) -> list[str]:
    """Writes the Code's files; returns their names, for the downloads page."""
    folder.mkdir(parents=True, exist_ok=True)
    names = ["contracts-register.csv"]
    (folder / names[0]).write_bytes(rows_csv(contracts_register(model, settings), CONTRACT_COLUMNS))
    for quarter in spend_quarters(model)[0] if len(model.payments) else ():
        rows = spend_quarter(model, settings, quarter)
        if len(rows) + 1 > EXCEL_ROW_LIMIT:
            raise ValueError(f"spend for {quarter} has {len(rows):,} rows, more than a spreadsheet can open")
        name = f"spend-over-500-{quarter}.csv"
        (folder / name).write_bytes(spend_csv(rows))
        names.append(name)
        del rows
    pa.default_memory_pool().release_unused()
    return names

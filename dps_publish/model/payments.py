"""Payments over £500: a year of a county's payments, kept as columns, never as millions of objects.

The source table can hold millions of rows, so its publishable form is a
frame of strings with exactly the ``Payment`` columns (no other column can
reach ``output/``), already redacted: a payment to an individual is published
as ``REDACTED - personal data``, its purpose as its expense type, and carries
no ``provider_id``; a payment to an organisation carries a ``provider_id`` and
``lot_id`` only when that provider is public.
Values are written exactly as the rest of the data package writes them.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from .publishable import Payment

REDACTED = "REDACTED - personal data"
COLUMNS = [f.name for f in dataclasses.fields(Payment)]


def publishable_payments(frame: pd.DataFrame | None, public_ids: set[str],
                         registration_numbers: dict[str, str] | None = None) -> pd.DataFrame:
    """The payments as published: an individual's name and purpose withheld, a provider's registration number as
    the supplier id where the table leaves it blank, the provider and lot only where the provider is public, and
    blank irrecoverable VAT as 0."""
    if frame is None:
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in COLUMNS})
    out = frame[COLUMNS].copy()
    individual = out["supplier_type"] == "individual"
    out.loc[individual, "supplier_name"] = REDACTED
    out.loc[individual, "purpose"] = out.loc[individual, "expense_type"]  # the table's words may name them
    if registration_numbers:
        fill = (out["supplier_id"] == "") & (out["provider_id"] != "") & ~individual
        if fill.any():
            out.loc[fill, "supplier_id"] = out.loc[fill, "provider_id"].map(registration_numbers).fillna("")
    hidden = individual | ~out["provider_id"].isin(public_ids)
    out.loc[hidden, "provider_id"] = ""
    out.loc[hidden, "lot_id"] = ""
    out["amount_gbp"] = money_text(out["amount_gbp"])
    vat = out["irrecoverable_vat_gbp"]
    out["irrecoverable_vat_gbp"] = money_text(vat.where(vat != "", "0"))
    return _by_date(out)


def _by_date(frame: pd.DataFrame) -> pd.DataFrame:
    """Sorted by payment date then transaction, stably (as ``sort_values(kind="stable")``), in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = pa.table({c: pa.array(frame[c], type=pa.large_string()) for c in ("payment_date", "transaction_id")})
    order = pc.sort_indices(keys, sort_keys=[("payment_date", "ascending"), ("transaction_id", "ascending")])
    return frame.take(order.to_numpy()).reset_index(drop=True)


def money_text(values: pd.Series) -> pd.Series:
    """Amounts as ``cell(Decimal(x))`` writes them: whole pounds without decimals, no leading zeros.

    Only the cells that need it are rewritten: most amounts are already in that form.
    """
    values = values.copy()
    leading = values.str.match(r"-?0[0-9]")
    if leading.any():
        values[leading] = values[leading].str.replace(r"^(-?)0+(?=[0-9])", r"\1", regex=True)
    whole = values.str.endswith(".0") | values.str.endswith(".00") | values.str.fullmatch(r"-?[0-9]+\.0+")
    if whole.any():
        values[whole] = values[whole].str.replace(r"\.0+$", "", regex=True)
    return values.where(values != "-0", "0")

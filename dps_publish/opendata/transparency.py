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
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..model.publishable import SiteModel
from ..problems import BuildError
from ..quarters import financial_quarters
from ..settings import PublishSettings
from ..words import ROUTES, slug
from .csvtext import frame_csv
from .datapackage import cell
from .jsontext import json_document

SPEND_THRESHOLD = 500  # pounds, either way; a number numpy compares a whole column to at once (a Decimal, one by one)
EXCEL_ROW_LIMIT = 1_048_576
SME_SIZES = {"micro", "small", "medium"}
VCSE_TYPES = {"charity", "community-interest-company"}
NOT_VCSE_TYPES = {"company", "public-body"}
PUBLISHED_TENDER = "published invitation to tender"  # every competitive route; a direct award is neither
CONTRACTS_FILE, TENDERS_FILE, PACKAGE_FILE = "contracts-register.csv", "invitations-to-tender.csv", "datapackage.json"


@dataclass(frozen=True)
class Column:
    name: str  # ours, in the code
    label: str  # the file's header: the Code's words, as councils write them
    type: str  # the Table Schema type
    description: str  # plain words, with the part of the Code that asks for it, where it does


SPEND_COLUMNS = (
    Column("body_name", "Body name", "string", "The council that made the payment."),
    Column("body", "Body", "string", "The council's organisation identifier (org-id.guide), e.g. GB-LAE-NSH, so "
           "files from many councils can be joined."),
    Column("service_area", "Service area", "string", "The council department which incurred the spending "
           "(Transparency Code 2015, {spend})."),
    Column("expense_type", "Expense type", "string", "The merchant category: what kind of thing the money paid "
           "for ({spend})."),
    Column("purpose", "Purpose of the expenditure", "string", "A summary of the purpose of the expenditure "
           "({spend}). For a payment to an individual, the expense type's words: the council's own may "
           "name them."),
    Column("payment_date", "Payment date", "date", "The date the expenditure was incurred: the day it was paid "
           "({spend})."),
    Column("transaction_number", "Transaction number", "string", "The finance system's number for the payment, to "
           "ask about it (for example in a Freedom of Information request)."),
    Column("net_amount_gbp", "Net amount (GBP)", "number", "The amount, in pounds, without the VAT the council can "
           "recover ({spend}). A refund is negative."),
    Column("irrecoverable_vat_gbp", "Irrecoverable VAT (GBP)", "number", "The Value Added Tax that cannot be "
           "recovered, in pounds ({spend}). 0 where there is none."),
    Column("supplier_name", "Supplier name", "string", "The beneficiary: who was paid ({spend}). A "
           "payment to an individual says REDACTED - personal data; the rest of its row is published."),
    Column("supplier_id", "Supplier id", "string", "The supplier's Companies House or Charity Commission number, "
           "where known. Blank for an individual."),
    Column("supplier_type", "Supplier type", "string", "organisation or individual."),
    Column("contract_reference", "Contract reference", "string", "The contracts register's reference number of the "
           "contract the payment is for (programme/lot/provider), where the payment names a listing on this site."),
    Column("provider_id", "Provider id on this site", "string", "The provider's id in this site's providers table."),
    Column("programme_id", "Programme id on this site", "string", "The programme's id in this site's programmes "
           "table."),
)
# The columns of quarters frozen before the Code's full field list (only the 2015 Code's VAT flag differs).
LEGACY_SPEND_COLUMNS = {c.label: c for c in SPEND_COLUMNS} | {
    "VAT recoverable": Column("vat_recoverable", "VAT recoverable", "boolean", "Whether the VAT on the payment "
                              "could be recovered. Published until irrecoverable VAT replaced it; quarters frozen "
                              "since have Irrecoverable VAT (GBP) instead."),
}

CONTRACT_COLUMNS = (
    Column("reference", "Reference number", "string", "The contract's reference: programme/lot/provider "
           "(Transparency Code 2015, {contracts})."),
    Column("title", "Title of agreement", "string", "The programme and lot ({contracts})."),
    Column("department", "Department responsible", "string", "The council department responsible, from the "
           "programme ({contracts})."),
    Column("description", "Description of goods and services", "string", "What the supplier provides: the lot's "
           "description ({contracts})."),
    Column("supplier_name", "Supplier name", "string", "The supplier ({contracts})."),
    Column("supplier_registration_number", "Supplier registration number", "string", "Its Companies House or "
           "Charity Commission number, where it has one ({contracts})."),
    Column("value_gbp", "Value over the term (GBP)", "number", "The sum to be paid over the length of the "
           "contract ({contracts}): the money set aside for the lot over its term, without optional "
           "extension years. It is the lot's, shared by all its suppliers: do not add it up row by row."),
    Column("optional_value_gbp", "Value of optional extension years (GBP)", "number", "The money set aside for the "
           "lot's optional extension years, if it has any (shared by its suppliers, like the value)."),
    Column("annual_value_gbp", "Estimated annual value (GBP)", "number", "The estimated annual spending or budget "
           "for the contract ({contracts}): the lot's money for the contract year holding the date of "
           "the data (shared by its suppliers)."),
    Column("value_shared_by", "Value shared by", "string", "Who shares the values: the lot's suppliers, so no one "
           "sums them as if each supplier had them."),
    Column("irrecoverable_vat_gbp", "Irrecoverable VAT (GBP)", "number", "The Value Added Tax that cannot be "
           "recovered ({contracts}): 0, as care and support services are generally exempt from VAT."),
    Column("start_date", "Start date", "date", "When the supplier's contract starts ({contracts})."),
    Column("end_date", "End date", "date", "When it ends, or ended ({contracts})."),
    Column("review_date", "Review date", "date", "When the lot is next reviewed ({contracts}): the "
           "lot's review date; for a lot that reopens, the opening of the programme's next round; else the "
           "programme's review date. Blank where none is planned."),
    Column("tender_route", "Invitation to quote or published invitation to tender", "string", "Whether the "
           "contract was the result of an invitation to quote or a published invitation to tender "
           "({contracts}): every competitive route is a published invitation to tender; a direct award is "
           "neither."),
    Column("sme", "SME", "string", "Whether the supplier is a small or medium-sized enterprise "
           "({contracts}), from its size: yes for micro, small and medium, no for large, not known where the size "
           "is not known."),
    Column("vcse", "VCSE", "string", "Whether the supplier is a voluntary or community sector organisation "
           "({contracts}): yes for a charity or community interest company."),
    Column("status", "Status", "string", "awarded, suspended (not taking new people) or left."),
)

TENDER_COLUMNS = (
    Column("reference", "Reference number", "string", "The invitation's reference: programme/round/lot "
           "(Transparency Code 2015, {tenders})."),
    Column("title", "Title", "string", "The programme, round and lot ({tenders})."),
    Column("description", "Description of goods and services sought", "string", "The lot's description "
           "({tenders})."),
    Column("start_date", "Start date", "date", "When the services bought in the round start "
           "({tenders})."),
    Column("end_date", "End date", "date", "When the programme's contracts end ({tenders})."),
    Column("review_date", "Review date", "date", "When the lot is next reviewed ({tenders})."),
    Column("department", "Department responsible", "string", "The council department responsible "
           "({tenders})."),
    Column("opens", "Opening date", "date", "The day the round opened to applications."),
    Column("closes", "Closing date", "date", "The day applications closed."),
    Column("route", "Procurement route", "string", "How the council buys: the programme's route."),
)

# The Code's words for each field it asks for (as ../shared/reference.md lists them), and our column for it.
CODE_FIELDS = {
    "spend": {
        "the date the expenditure was incurred": "Payment date",
        "the local authority department which incurred it": "Service area",
        "the beneficiary": "Supplier name",
        "a summary of the purpose of the expenditure": "Purpose of the expenditure",
        "the amount": "Net amount (GBP)",
        "the value added tax that cannot be recovered": "Irrecoverable VAT (GBP)",
        "the merchant category": "Expense type",
    },
    "tenders": {
        "reference number": "Reference number",
        "title": "Title",
        "description of the goods and/or services sought": "Description of goods and services sought",
        "start, end and review dates": ("Start date", "End date", "Review date"),
        "the local authority department responsible": "Department responsible",
    },
    "contracts": {
        "reference number": "Reference number",
        "title of agreement": "Title of agreement",
        "local authority department responsible": "Department responsible",
        "description of the goods and/or services being provided": "Description of goods and services",
        "supplier name and details": ("Supplier name", "Supplier registration number"),
        "the sum to be paid over the length of the contract or the estimated annual spending or budget for the "
        "contract": ("Value over the term (GBP)", "Estimated annual value (GBP)"),
        "value added tax that cannot be recovered": "Irrecoverable VAT (GBP)",
        "start, end and review dates": ("Start date", "End date", "Review date"),
        "whether or not the contract was the result of an invitation to quote or a published invitation to "
        "tender": "Invitation to quote or published invitation to tender",
        "whether or not the supplier is a small or medium sized enterprise and/or a voluntary or community "
        "sector organisation and, where it is, its registration number": ("SME", "VCSE",
                                                                            "Supplier registration number"),
    },
}
# Where the Code asks for each file's fields, as the descriptions cite it: the part and heading of the Code
# (the paragraph numbers could not be checked against the Code's text here, so they are not given).
CODE_PARAGRAPHS = {"spend": "Part 2, expenditure exceeding £500",
                   "tenders": "Part 2, procurement information: invitations to tender",
                   "contracts": "Part 2, procurement information: contracts"}


@dataclass(frozen=True)
class TransparencyTable:
    name: str
    file: str  # its file name, or the pattern of its files
    title: str
    description: str
    columns: tuple[Column, ...]


TRANSPARENCY_TABLES = (
    TransparencyTable("contracts-register", CONTRACTS_FILE, "Contracts register",
                      "Every contract under the programmes: one row a supplier on a lot. The values are the lot's, "
                      "shared by its suppliers.", CONTRACT_COLUMNS),
    TransparencyTable("invitations-to-tender", TENDERS_FILE, "Invitations to tender",
                      "One row a lot a round, for every round that has opened: the opening round invites bids for "
                      "every lot, a later round for the lots that reopen.", TENDER_COLUMNS),
    TransparencyTable("spend-over-500", "spend-over-500-YYYY-YY-qN.csv", "Spend over £500",
                      "Payments of more than £500 either way, one file a financial quarter (April to June is "
                      "quarter 1). Quarters frozen before these columns existed keep the columns they were "
                      "published with: VAT recoverable (yes or no) in place of Irrecoverable VAT (GBP), and no "
                      "Body, Purpose of the expenditure, Supplier id or Contract reference.", SPEND_COLUMNS),
)


def describe(columns) -> list[dict]:
    """The Table Schema fields of a file: each header, its type and what it holds in plain words."""
    return [{"name": c.label, "type": c.type, "description": c.description.format(**CODE_PARAGRAPHS)}
            for c in columns]


def lot_review_date(model: SiteModel, lot) -> dt.date | None:
    """The data contract's order: the lot's own; for a lot that reopens, the opening of the programme's next round
    after the latest awarded one; the programme's; else none."""
    if lot.review_date:
        return lot.review_date
    programme = model.programme(lot.programme_id)
    if lot.reopens:
        rounds = sorted(model.rounds_of(lot.programme_id), key=lambda r: (r.opens, r.round_id))
        awarded = [r.opens for r in rounds if r.status == "awarded"]
        later = [r.opens for r in rounds if awarded and r.opens > max(awarded)]
        if later:
            return later[0]
    return programme.review_date


def _contract_year_value(envelopes, start: dt.date | None, on: dt.date) -> Decimal | None:
    """The money of the contract year (counted from ``start``) that holds ``on``."""
    if start is None or on < start:
        return None
    years = on.year - start.year - ((on.month, on.day) < (start.month, start.day))
    amounts = [e.amount_gbp for e in envelopes if e.contract_year == years + 1]
    return sum(amounts, Decimal(0)) if amounts else None


def sme_of(provider) -> str:
    if provider.size in SME_SIZES or provider.organisation_type == "micro-enterprise":
        return "yes"
    return "no" if provider.size == "large" else "not known"


def vcse_of(provider) -> str:
    if provider.organisation_type in VCSE_TYPES:
        return "yes"
    return "no" if provider.organisation_type in NOT_VCSE_TYPES else "not known"


def contracts_register(model: SiteModel, settings: PublishSettings) -> list[dict]:
    envelopes: dict[tuple, list] = defaultdict(list)
    for e in model.envelopes:
        envelopes[(e.programme_id, e.lot_id)].append(e)
    listings = sorted(model.listings, key=lambda x: (x.programme_id, x.lot_id, x.provider_id))
    suppliers: dict[tuple, int] = defaultdict(int)
    for listing in listings:
        suppliers[(listing.programme_id, listing.lot_id)] += 1
    rows = []
    for listing in listings:
        programme = model.programme(listing.programme_id)
        lot = model.lot(listing.programme_id, listing.lot_id)
        provider = model.provider(listing.provider_id)
        joined = model.round(listing.programme_id, listing.round_id) if listing.round_id else None
        start = (joined.services_start if joined and joined.services_start else programme.start_date)
        money = envelopes.get((listing.programme_id, listing.lot_id), [])
        fixed = [e.amount_gbp for e in money if not e.optional]
        optional = [e.amount_gbp for e in money if e.optional]
        count = suppliers[(listing.programme_id, listing.lot_id)]
        rows.append({
            "reference": contract_reference(listing.programme_id, listing.lot_id, listing.provider_id),
            "title": f"{programme.name}: lot {lot.lot_id}, {lot.name}",
            "department": programme.department,
            "description": lot.description,
            "supplier_name": provider.name,
            "supplier_registration_number": provider.registration_number,
            "value_gbp": sum(fixed, Decimal(0)) if fixed else None,
            "optional_value_gbp": sum(optional, Decimal(0)) if optional else None,
            "annual_value_gbp": _contract_year_value(money, programme.start_date, model.published_on),
            "value_shared_by": ("this supplier alone" if count == 1 else
                                f"the lot's {count} suppliers, not each of them"),
            "irrecoverable_vat_gbp": Decimal(0),
            "start_date": start,
            "end_date": listing.left_date or programme.end_date,
            "review_date": lot_review_date(model, lot),
            "tender_route": "neither" if programme.route == "direct-award" else PUBLISHED_TENDER,
            "sme": sme_of(provider),
            "vcse": vcse_of(provider),
            "status": listing.status,
        })
    return rows


def contract_reference(programme_id: str, lot_id: str, provider_id: str) -> str:
    return f"{programme_id}/{lot_id}/{provider_id}"


def invitations_to_tender(model: SiteModel) -> list[dict]:
    """One row a lot a round, for every round that had opened by the date of the data: the opening round invites
    bids for every lot, a later round for the lots that reopen."""
    rows = []
    for programme in model.programmes:
        rounds = sorted(model.rounds_of(programme.programme_id), key=lambda r: (r.opens, r.round_id))
        for number, r in enumerate(rounds):
            if r.opens > model.published_on:
                continue
            for lot in model.lots_of(programme.programme_id):
                if number and not lot.reopens:
                    continue
                rows.append({
                    "reference": f"{programme.programme_id}/{r.round_id}/{lot.lot_id}",
                    "title": f"{programme.name}: {r.title}, lot {lot.lot_id}, {lot.name}",
                    "description": lot.description,
                    "start_date": r.services_start or (programme.start_date if not number else None),
                    "end_date": programme.end_date,
                    "review_date": lot_review_date(model, lot),
                    "department": programme.department,
                    "opens": r.opens,
                    "closes": r.closes,
                    "route": ROUTES.get(programme.route, programme.route).split(":")[0],
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
    payments = model.payments[of_payment == names.index(quarter)]
    rows = pd.DataFrame(index=payments.index)
    for column in SPEND_COLUMNS:
        if column.name == "body_name":
            rows[column.name] = pd.Series(settings.council_name, index=payments.index, dtype="str")
        elif column.name == "body":
            rows[column.name] = pd.Series(settings.council_org_id, index=payments.index, dtype="str")
        elif column.name == "contract_reference":
            rows[column.name] = _contract_references(model, payments)
        else:
            rows[column.name] = payments[SPEND_SOURCE.get(column.name, column.name)]
    return rows


def _listing_keys(model: SiteModel) -> set[str]:
    return model.derived(_work_out_listing_keys)


def _work_out_listing_keys(model: SiteModel) -> set[str]:
    return {contract_reference(x.programme_id, x.lot_id, x.provider_id) for x in model.listings}


def _named_listings(payments: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(whether each payment names a programme, lot and provider; the reference that would be)."""
    named = (payments["programme_id"] != "") & (payments["lot_id"] != "") & (payments["provider_id"] != "")
    key = payments["programme_id"] + "/" + payments["lot_id"] + "/" + payments["provider_id"]
    return named, key


def _contract_references(model: SiteModel, payments: pd.DataFrame) -> pd.Series:
    named, key = _named_listings(payments)
    return key.where(named & key.isin(_listing_keys(model)), "").astype("str")


def unmatched_payments(model: SiteModel) -> list[str]:
    """The transactions that name a programme, lot and provider with no listing: published with a blank contract
    reference, and a warning."""
    if model.payments is None or not len(model.payments):
        return []
    named, key = _named_listings(model.payments)
    return model.payments["transaction_id"][named & ~key.isin(_listing_keys(model))].tolist()


def spend_csv(rows: pd.DataFrame) -> bytes:
    return frame_csv(rows.rename(columns={c.name: c.label for c in SPEND_COLUMNS}))


def rows_csv(rows: list[dict], columns) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.label for c in columns])
    for row in rows:
        writer.writerow([cell(row.get(c.name)) for c in columns])
    return buffer.getvalue().encode("utf-8")


def transparency_files(model: SiteModel) -> tuple[str, ...]:
    """The Code's files, in the order the downloads page lists them; a ``BuildError`` when a quarter's file would
    hold more rows than a spreadsheet opens."""
    quarters = spend_quarters(model)[0] if len(model.payments) else []
    check_spend_rows(model)
    return (CONTRACTS_FILE, TENDERS_FILE, *(spend_file(q) for q in quarters))


def spend_file(quarter: str) -> str:
    return f"spend-over-500-{quarter}.csv"


def check_spend_rows(model: SiteModel) -> None:
    """A ``BuildError`` in words when a quarter's spend file would have more rows than Excel opens."""
    names, codes = spend_quarters(model) if len(model.payments) else ([], np.array([], dtype=np.int64))
    for quarter, payments in zip(names, np.bincount(codes, minlength=len(names)).tolist()):
        if payments + 1 > EXCEL_ROW_LIMIT:
            raise BuildError(_too_many_rows(quarter, payments))


def _too_many_rows(quarter: str, payments: int) -> str:
    return (
        f"the payments table has {payments:,} payments of more than £500 in the financial quarter {quarter}, so "
        f"the Transparency Code's file for it, {spend_file(quarter)}, would have more rows than a spreadsheet "
        f"opens: Excel opens {EXCEL_ROW_LIMIT:,} rows, the header and at most {EXCEL_ROW_LIMIT - 1:,} rows of "
        "payments. Check that the payments table holds each payment once (a report pasted in twice doubles it) "
        "and that its amounts are in pounds, not pence. Nothing was published.")


def write_transparency(model: SiteModel, settings: PublishSettings, folder: Path,
                       frozen_quarters: dict[str, bytes] | None = None) -> list[str]:
    """Writes the Code's files and their data package; returns the files' names, for the downloads page.

    A frozen quarter is published as it was frozen, byte for byte (``frozen_quarters``: file name to its bytes),
    after checking that the current payments give the same rows in every column it has.
    """
    frozen_quarters = frozen_quarters or {}
    check_spend_rows(model)
    folder.mkdir(parents=True, exist_ok=True)
    names = [CONTRACTS_FILE, TENDERS_FILE]
    (folder / CONTRACTS_FILE).write_bytes(rows_csv(contracts_register(model, settings), CONTRACT_COLUMNS))
    (folder / TENDERS_FILE).write_bytes(rows_csv(invitations_to_tender(model), TENDER_COLUMNS))
    resources = [_resource("contracts-register", CONTRACTS_FILE, "Contracts register",
                           describe(CONTRACT_COLUMNS)),
                 _resource("invitations-to-tender", TENDERS_FILE, "Invitations to tender",
                           describe(TENDER_COLUMNS))]
    problems = []
    for quarter in spend_quarters(model)[0] if len(model.payments) else ():
        rows = spend_quarter(model, settings, quarter)
        name = spend_file(quarter)
        data = spend_csv(rows)
        columns = SPEND_COLUMNS
        if name in frozen_quarters:
            columns, difference = _as_frozen(data, frozen_quarters[name])
            if difference:
                problems.append(f"{name} was published and frozen, but the payments in data/ would change it "
                                f"({difference})")
            data = frozen_quarters[name]
        (folder / name).write_bytes(data)
        resources.append(_resource(f"spend-over-500-{quarter}", name, f"Spend over £500, {quarter}",
                                   describe(columns)))
        names.append(name)
        del rows
    if problems:
        raise BuildError("frozen payments would change:\n  " + "\n  ".join(problems)
                         + "\nPut corrections in a later quarter, or restore payments.csv.")
    (folder / PACKAGE_FILE).write_bytes(json_document(_package(model, settings, resources)))
    pa.default_memory_pool().release_unused()
    return names


def _as_frozen(live: bytes, frozen: bytes) -> tuple[tuple[Column, ...], str]:
    """(the frozen file's columns; what the live rows change in the columns both have, or "")."""
    def read(data: bytes) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(data), dtype="str", keep_default_na=False, encoding="utf-8")

    old, new = read(frozen), read(live)
    unknown = [label for label in old.columns if label not in LEGACY_SPEND_COLUMNS]
    columns = tuple(LEGACY_SPEND_COLUMNS[label] for label in old.columns if label in LEGACY_SPEND_COLUMNS)
    if unknown:
        return columns, f"it has columns this publisher does not know: {', '.join(unknown)}"
    shared = [label for label in old.columns if label in new.columns]
    if len(old) != len(new):
        return columns, f"{len(old)} payments were published, the data now gives {len(new)}"
    for label in shared:
        differs = old[label].to_numpy() != new[label].to_numpy()
        if differs.any():
            row = int(np.argmax(differs))
            return columns, (f"{label} of transaction {old['Transaction number'][row]} was {old[label][row]!r}, "
                             f"now {new[label][row]!r}")
    return columns, ""


def _resource(name: str, path: str, title: str, fields: list[dict]) -> dict:
    return {"name": name, "type": "table", "path": path, "scheme": "file", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "title": title, "schema": {"fields": fields}}


def _package(model: SiteModel, settings: PublishSettings, resources: list[dict]) -> dict:
    from .datapackage import ATTRIBUTION, OGL

    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": f"{slug(settings.council_area)}-transparency-code",
        "id": f"{settings.site_url}/data/transparency/{PACKAGE_FILE}",
        "title": f"{settings.council_name}: Local Government Transparency Code 2015 files",
        "description": ("The contracts register, invitations to tender and spend over £500 of the council's adult "
                        "social care commissioning, as the Local Government Transparency Code 2015 asks. Each "
                        "column is described with the part of the Code that asks for it. Values shared by a lot's suppliers say "
                        "so: do not add them up row by row. " + ATTRIBUTION),
        "homepage": f"{settings.site_url}/data/",
        "created": dt.datetime.combine(model.published_on, dt.time(0), dt.timezone.utc).isoformat()
        .replace("+00:00", "Z"),
        "licenses": [OGL],
        "resources": resources,
    }

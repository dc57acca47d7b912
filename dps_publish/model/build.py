"""The ``model`` stage: turn checked source tables into the publishable model.

Only the fields a model class declares are copied, so an exempt column is
dropped by construction. Listings that were only applied for are dropped, a
provider appears only with a listing that is not ``applied``, and a payment to
an individual loses the name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections import defaultdict
from decimal import Decimal

from ..sources.rules import SourceTable, district_key, district_lookup
from ..sources.schemas import load_schema
from .payments import publishable_payments
from .publishable import PUBLISHED, KpiValue, Place, Reconciliation, SiteModel, SpendFigure
from .rating import rate
from .suppression import KpiCell, suppress_small_counts


def build_model(tables: dict[str, SourceTable], *, example_data: bool = True, threshold: int = 5) -> SiteModel:
    rows = {name: _rows(tables[name], cls) for name, cls in PUBLISHED.items()
            if name in tables and name not in ("kpis", "payments")}
    listings = [x for x in rows["listings"] if x.status != "applied"]
    lookup = district_lookup(tables["districts"].frame)
    all_codes = tuple(d.code for d in rows["districts"])
    listings = [dataclasses.replace(x, districts=_district_codes(x.districts, lookup, all_codes)) for x in listings]
    public_ids = {x.provider_id for x in listings}
    providers = [p for p in rows["providers"] if p.provider_id in public_ids]
    model = SiteModel(
        published_on=publication_date(tables),
        example_data=example_data,
        districts=tuple(rows["districts"]),
        programmes=tuple(rows["programmes"]),
        lots=tuple(rows["lots"]),
        rounds=tuple(sorted(rows.get("rounds", []), key=lambda r: (r.programme_id, r.opens, r.round_id))),
        providers=tuple(sorted(providers, key=lambda p: p.name.lower())),
        listings=tuple(listings),
        spend=tuple(rows.get("spend", [])),
        envelopes=tuple(sorted(rows.get("envelopes", []), key=lambda e: (e.programme_id, e.lot_id, e.contract_year))),
        milestones=tuple(sorted(rows.get("milestones", []), key=lambda m: (m.programme_id, m.date, m.event))),
        payments=publishable_payments(tables["payments"].frame if "payments" in tables else None, public_ids,
                                      {p.provider_id: p.registration_number for p in rows["providers"]}),
        kpi_definitions=tuple(rows.get("kpi_definitions", [])),
        kpis=tuple(publish_kpis(tables.get("kpis"), rows.get("kpi_definitions", []), public_ids, threshold)),
        naming=tuple(rows["naming"]),
        glossary=tuple(sorted(rows["glossary"], key=lambda g: g.term.lower())),
        reconciliations=tuple(reconcile_spend(rows.get("spend", []))),
        small_number_threshold=threshold,
        places=tuple(_places(tables.get("places"), lookup)),
        postcodes=_postcodes(tables.get("postcodes"), lookup),
    )
    return model


def _places(table: SourceTable | None, lookup: dict[str, str]) -> list[Place]:
    """The places in the table's order (a council lists each district's main towns first)."""
    if table is None:
        return []
    frame = table.frame
    return [Place(name, lookup[district_key(district)], tuple(i.strip() for i in other.split(";") if i.strip()))
            for name, district, other in zip(frame["name"], frame["district"], frame["other_names"])]


def _postcodes(table: SourceTable | None, lookup: dict[str, str]):
    """Each postcode with its district's code, sorted: the lookup files are written from it."""
    if table is None:
        return None
    frame = table.frame[["postcode", "district"]].copy()
    keys = {value: lookup[district_key(value)] for value in frame["district"].unique().tolist()}
    frame["district"] = frame["district"].map(keys)
    return frame.sort_values("postcode", kind="stable").reset_index(drop=True)


def publish_kpis(table: SourceTable | None, definitions, public_ids: set[str], threshold: int) -> list[KpiValue]:
    """KPI values with small counts of people withheld, once, before anything is written."""
    if table is None:
        return []
    frame = table.frame
    cells = [
        KpiCell(pid, lot, provider, period, kpi, int(num) if num else None, int(den) if den else None,
                Decimal(value) if value else None)
        for pid, lot, provider, period, kpi, num, den, value in zip(
            frame["programme_id"], frame["lot_id"], frame["provider_id"], frame["period"], frame["kpi_id"],
            frame["numerator"], frame["denominator"], frame["value"])
        if not provider or provider in public_ids  # a provider that is not public has no published KPIs
    ]
    by_id = {d.kpi_id: d for d in definitions}
    counts_people = {k: d.counts_people is not False for k, d in by_id.items()}
    published = suppress_small_counts(cells, counts_people, threshold)
    out = []
    for kpi in published:
        definition = by_id.get(kpi.kpi_id)
        value = kpi.value
        if value is None and kpi.numerator is not None and kpi.denominator and definition and definition.unit == "percent":
            value = (Decimal(kpi.numerator) * 100 / kpi.denominator).quantize(Decimal("0.1"))
        if value is None and definition and definition.unit == "count" and not kpi.withheld:
            value = Decimal(kpi.numerator) if kpi.numerator is not None else None
        if kpi.withheld and kpi.value_withheld:
            value = None
        rating = rate(value, definition.target if definition else None,
                      definition.higher_is_better if definition else None)
        out.append(KpiValue(kpi.programme_id, kpi.lot_id, kpi.provider_id, kpi.period, kpi.kpi_id,
                            kpi.numerator, kpi.denominator, value, kpi.withheld, rating))
    return sorted(out, key=lambda k: (k.programme_id, k.kpi_id, k.period, k.lot_id, k.provider_id))


def publication_date(tables: dict[str, SourceTable]) -> dt.date:
    """The date the build says it was published: never the clock.

    ``SOURCE_DATE_EPOCH`` wins where it is set (reproducible builds); otherwise
    the latest round or milestone date that has passed in the data.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    dates = []
    for name, columns in (("rounds", ("opens", "closes", "award_date")), ("programmes", ("start_date",))):
        if name in tables:
            for column in columns:
                dates += [d for d in tables[name].frame[column] if d]
    return dt.date.fromisoformat(max(dates)) if dates else dt.date(2000, 1, 1)


def reconcile_spend(spend: list[SpendFigure]) -> list[Reconciliation]:
    groups: dict[tuple, dict[str, Decimal]] = defaultdict(dict)
    for s in spend:
        groups[(s.programme_id, s.financial_year, s.measure, s.cost_type)][s.client_group] = s.amount_gbp
    out = []
    for key, amounts in sorted(groups.items()):
        parts = {g: a for g, a in amounts.items() if g != "all"}
        if "all" in amounts and parts:
            total = sum(parts.values(), Decimal(0))
            if total != amounts["all"]:
                out.append(Reconciliation(*key, stated_total=amounts["all"], parts_total=total,
                                          parts=tuple(sorted(parts.items()))))
    return out


def _district_codes(items: tuple[str, ...], lookup: dict[str, str], all_codes: tuple[str, ...]) -> tuple[str, ...]:
    if any(i.lower() == "all" for i in items):
        return all_codes
    codes = {lookup[district_key(i)] for i in items}
    return tuple(c for c in all_codes if c in codes)


def _rows(table: SourceTable, cls) -> list:
    schema = load_schema(table.name)
    names = [f.name for f in dataclasses.fields(cls)]
    converters = [_converter(schema.field(n)) for n in names]
    columns = [table.frame[n] for n in names]
    return [cls(*(convert(value) for convert, value in zip(converters, values))) for values in zip(*columns)]


def _converter(spec: dict):
    if spec.get("x-list"):
        # As normalise_list does for a list with a ";": items stripped, and an item of only spaces is no item.
        return lambda v: tuple(i.strip() for i in v.split(";") if i.strip())
    kind = spec["type"]
    if kind == "date":
        return lambda v: dt.date.fromisoformat(v) if v else None
    if kind == "boolean":
        return lambda v: {"true": True, "false": False}.get(v)
    if kind == "integer":
        return lambda v: int(v) if v else None
    if kind == "number":
        return lambda v: Decimal(v) if v else None
    return str

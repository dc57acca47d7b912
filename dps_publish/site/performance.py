"""How well the support works: the KPI pages, from values already suppressed.

Each KPI gets a chart of its whole-programme value by quarter against its
target, and tables by lot and by provider. A withheld value is never drawn
(a gap, not a 0) and reads "withheld" in every table. Values are rated with
the Procurement Act 2023 labels by the rule in ``rating.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import altair as alt

from ..model.publishable import KpiDefinition, KpiValue, Programme, SiteModel
from ..words import quarter_words
from .charts import PALETTE, Chart, Column, base_config, plotted

UNIT_KIND = {"percent": "percent", "count": "number", "days": "number"}


@dataclass(frozen=True)
class KpiSection:
    definition: KpiDefinition
    chart: Chart | None
    periods: tuple[str, ...]
    by_lot: tuple[tuple[str, tuple[KpiValue | None, ...]], ...]  # (lot label, value per period)
    by_provider: tuple[tuple[str, str, tuple[KpiValue | None, ...]], ...]  # (provider id, name, values)
    latest: KpiValue | None  # the latest whole-programme value
    lot_chart: Chart | None = None  # the lots side by side, when there are two or more with values


@dataclass(frozen=True)
class PerformancePage:
    programme: Programme
    sections: tuple[KpiSection, ...]

    @property
    def withheld_count(self) -> int:
        return sum(1 for s in self.sections for _, values in s.by_lot for v in values if v and v.withheld)


def performance_pages(model: SiteModel) -> list[PerformancePage]:
    pages = []
    for programme in model.programmes:
        values = model.kpis_of(programme.programme_id)
        if not values:
            continue
        sections = []
        for definition in model.kpi_definitions:
            rows = [v for v in values if v.kpi_id == definition.kpi_id]
            if rows:
                sections.append(kpi_section(model, programme, definition, rows))
        pages.append(PerformancePage(programme, tuple(sections)))
    return pages


def kpi_section(model: SiteModel, programme: Programme, definition: KpiDefinition, rows: list[KpiValue]) -> KpiSection:
    periods = tuple(sorted({r.period for r in rows}))
    whole = {r.period: r for r in rows if not r.lot_id and not r.provider_id}
    lots = sorted({r.lot_id for r in rows if r.lot_id})
    by_lot = tuple(
        (f"Lot {lot}: {model.lot(programme.programme_id, lot).name}",
         tuple(next((r for r in rows if r.lot_id == lot and not r.provider_id and r.period == p), None)
               for p in periods))
        for lot in lots)
    providers = sorted({r.provider_id for r in rows if r.provider_id}, key=lambda pid: model.provider(pid).name.lower())
    by_provider = tuple(
        (pid, model.provider(pid).name,
         tuple(next((r for r in rows if r.provider_id == pid and r.period == p), None) for p in periods))
        for pid in providers)
    chart = kpi_chart(definition, [whole.get(p) for p in periods], periods,
                      threshold=model.small_number_threshold) if whole else None
    latest = whole[max(whole)] if whole else None
    return KpiSection(definition, chart, periods, by_lot, by_provider, latest,
                      lot_comparison_chart(definition, lots, by_lot, periods))


def lot_comparison_chart(definition: KpiDefinition, lots: list[str], by_lot, periods: tuple[str, ...]) -> Chart | None:
    """One line per lot, by quarter, each labelled at its end and drawn with its own dash, so colour is not the only cue."""
    kind = UNIT_KIND[definition.unit]
    rows = tuple(
        {"period": p, "lot": f"Lot {lot}", "value": v.value if v else None,
         "value_withheld": "withheld" if v and v.withheld else None}
        for lot, (_, values) in zip(lots, by_lot) for p, v in zip(periods, values))
    data = plotted(rows, "value")
    drawn = sorted({r["lot"] for r in data})
    if len(drawn) < 2:
        return None
    last = {}
    for row in data:
        last[row["lot"]] = row  # rows run by quarter within each lot
    ends = [{**row, "label": f"{row['lot']}: {_label(row['value'], definition.unit)}"} for row in last.values()]
    title = f"{definition.name}, each lot, by quarter"

    def spec() -> dict:
        encode_x = alt.X("period:O", title="Quarter", sort=list(periods), axis=alt.Axis(labelAngle=0))
        scale = alt.Scale(domain=[0, 100]) if definition.unit == "percent" else alt.Undefined
        colour = alt.Color("lot:N", scale=alt.Scale(domain=drawn, range=list(PALETTE[:len(drawn)])), legend=None)
        dash = alt.StrokeDash("lot:N", scale=alt.Scale(domain=drawn, range=[[1, 0], [8, 4], [2, 3], [12, 3, 2, 3]][:len(drawn)]),
                              legend=None)
        lines = alt.Chart(alt.Data(values=data)).mark_line(point=True, strokeWidth=2).encode(
            x=encode_x, y=alt.Y("value:Q", title=_axis_title(definition), scale=scale), color=colour, strokeDash=dash,
            detail="lot:N")
        labels = alt.Chart(alt.Data(values=ends)).mark_text(align="left", dx=8, fontSize=12, color="#0b0c0c").encode(
            x=encode_x, y="value:Q", text="label:N")
        spec = alt.layer(lines, labels).properties(width=420, height=220, title=title).to_dict(validate=False)
        spec["config"] = base_config()
        return spec

    columns = (Column("period", "Quarter"), Column("lot", "Lot"), Column("value", _axis_title(definition), kind))
    latest = ", ".join(f"{r['lot'].lower()} {_label(r['value'], definition.unit)}" for r in last.values())
    summary = f"{definition.name} for each lot: in its latest quarter with a value, {latest}."
    notes = ()
    if any(r["value_withheld"] for r in rows):
        notes = ("A withheld value is not drawn: the line has a gap there.",)
    return Chart(f"kpi-{definition.kpi_id}-lots", title, summary, columns, rows, spec, notes)


@dataclass(frozen=True)
class LotKpi:
    """One KPI for one lot: its chart by quarter and its latest value, for the lot's page."""

    definition: KpiDefinition
    chart: Chart | None  # None when every value is withheld: an empty chart tells no one anything
    latest: KpiValue | None


def lot_performance(model: SiteModel, programme_id: str, lot_id: str) -> tuple[LotKpi, ...]:
    """Each KPI with values for the lot as a whole (not per provider), charted by quarter."""
    values = [v for v in model.kpis_of(programme_id) if v.lot_id == lot_id and not v.provider_id]
    found = []
    for definition in model.kpi_definitions:
        rows = {v.period: v for v in values if v.kpi_id == definition.kpi_id}
        if not rows:
            continue
        periods = tuple(sorted(rows))
        chart = None
        if any(v.value is not None for v in rows.values()):
            chart = kpi_chart(definition, [rows[p] for p in periods], periods, scope=f"lot {lot_id}",
                              chart_id=f"kpi-{definition.kpi_id}-lot-{lot_id}", threshold=model.small_number_threshold)
        found.append(LotKpi(definition, chart, rows[periods[-1]]))
    return tuple(found)


def kpi_chart(definition: KpiDefinition, values: list[KpiValue | None], periods: tuple[str, ...],
              scope: str = "whole programme", chart_id: str | None = None, threshold: int = 5) -> Chart:
    kind = UNIT_KIND[definition.unit]
    rows = tuple(
        {"period": p, "value": v.value if v else None, "target": definition.target,
         "rating": v.rating if v else "Other", "value_withheld": "withheld" if v and v.withheld else None}
        for p, v in zip(periods, values))
    title = f"{definition.name}, {scope}, by quarter"

    def spec() -> dict:
        data = plotted(rows, "value")
        for row in data:
            row["label"] = _label(row["value"], definition.unit)
        encode_x = alt.X("period:O", title="Quarter", sort=list(periods), axis=alt.Axis(labelAngle=0))
        scale = alt.Scale(domain=[0, 100]) if definition.unit == "percent" else alt.Undefined
        bars = alt.Chart(alt.Data(values=data)).mark_bar(color=PALETTE[0]).encode(
            x=encode_x, y=alt.Y("value:Q", title=_axis_title(definition), scale=scale))
        labels = alt.Chart(alt.Data(values=data)).mark_text(dy=-6, fontSize=12, color="#0b0c0c").encode(
            x=encode_x, y="value:Q", text="label:N")
        layers = [bars, labels]
        if definition.target is not None:
            target = float(definition.target)
            rule_data = alt.Data(values=[{"target": target, "label": f"Target: {_label(target, definition.unit)}"}])
            layers.append(alt.Chart(rule_data).mark_rule(color=PALETTE[3], strokeDash=[6, 4], strokeWidth=2).encode(
                y="target:Q"))
            layers.append(alt.Chart(rule_data).mark_text(align="left", dx=6, color="#0b0c0c", fontSize=12).encode(
                y="target:Q", text="label:N", x=alt.value(460)))
        spec = alt.layer(*layers).properties(width=460, height=220, title=title).to_dict(validate=False)
        spec["config"] = base_config()
        return spec

    columns = (Column("period", "Quarter"), Column("value", _axis_title(definition), kind),
               Column("target", "Target", kind), Column("rating", "Rating"))
    notes = ()
    if any(r["value_withheld"] for r in rows):
        notes = (f"A withheld value is not drawn. Counts of fewer than {threshold} people are withheld, with one more "
                 "count beside each so the small one cannot be worked out.",)
    return Chart(chart_id or f"kpi-{definition.kpi_id}", title, kpi_summary(definition, rows), columns, rows, spec,
                 notes)


def kpi_summary(definition: KpiDefinition, rows) -> str:
    shown = [r for r in rows if r["value"] is not None]
    if not shown:
        return f"Every value of {definition.name.lower()} is withheld to protect people's privacy."
    first, last = shown[0], shown[-1]
    text = (f"{definition.name} went from {_label(first['value'], definition.unit)} in {quarter_words(first['period'])} "
            f"to {_label(last['value'], definition.unit)} in {quarter_words(last['period'])}")
    if definition.target is not None:
        text += f", against a target of {_label(definition.target, definition.unit)}"
    withheld = sum(1 for r in rows if r["value"] is None)
    if withheld:
        text += f"; {withheld} quarter{'s are' if withheld > 1 else ' is'} withheld"
    return text + "."


def _axis_title(definition: KpiDefinition) -> str:
    return {"percent": "Per cent", "count": "Number", "days": "Days"}[definition.unit]


def _label(value, unit: str) -> str:
    number = Decimal(str(value))
    if unit == "percent":
        return f"{number:.1f}%"
    if unit == "days":
        return f"{number:.1f} days" if number != number.to_integral_value() else f"{number:.0f} days"
    return f"{number:,.0f}"


def easy_read_value(definition: KpiDefinition, value: KpiValue | None) -> str:
    """One KPI value in easy-read words: "8 out of 10 people", never a percentage."""
    if value is None or value.value is None:
        return "The number is too small to show."
    if definition.unit == "percent":
        tenths = int((value.value / 10).to_integral_value())
        return f"It was about {tenths} out of 10 people."
    if definition.unit == "days":
        return f"It was about {value.value:.0f} days."
    return f"It was {value.value:,.0f}."

"""Where the money goes: the charts and sentences of the money pages.

Spend is shown as the reports give it: forecast beside actual, by client group
(people aged 26 and over; young people aged 18 to 25), transport beside the
service itself. Financial envelopes are shown year by year with optional
extension years marked, and a lifetime total per lot. Where the parts of a
figure do not add up to its stated total, both are shown and the page says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import altair as alt

from ..model.publishable import Programme, Reconciliation, SiteModel
from ..words import GROUP_WORDS, MEASURE_WORDS, money, year_words
from .charts import PALETTE, Chart, Column, base_config, plotted


@dataclass(frozen=True)
class EnvelopeLot:
    lot_id: str
    lot_name: str
    years: tuple[tuple[int, Decimal, bool], ...]  # (contract year, amount, optional)

    @property
    def committed(self) -> Decimal:
        return sum((a for _, a, optional in self.years if not optional), Decimal(0))

    @property
    def lifetime(self) -> Decimal:
        return sum((a for _, a, _ in self.years), Decimal(0))


@dataclass(frozen=True)
class MoneyPage:
    programme: Programme
    charts: tuple[Chart, ...]
    reconciliations: tuple[Reconciliation, ...]
    savings: tuple  # SpendFigure rows of the savings target
    envelopes: tuple[EnvelopeLot, ...]

    @property
    def envelope_total(self) -> Decimal:
        return sum((e.lifetime for e in self.envelopes), Decimal(0))


def money_pages(model: SiteModel) -> list[MoneyPage]:
    pages = []
    for programme in model.programmes:
        spend = model.spend_of(programme.programme_id)
        envelopes = envelope_lots(model, programme.programme_id)
        if not spend and not envelopes:
            continue
        charts = []
        charts += spend_charts(programme, spend)
        if envelopes:
            charts.append(envelope_chart(programme, envelopes))
        reconciliations = tuple(r for r in model.reconciliations if r.programme_id == programme.programme_id)
        savings = tuple(s for s in spend if s.measure == "savings-target")
        pages.append(MoneyPage(programme, tuple(charts), reconciliations, savings, tuple(envelopes)))
    return pages


def envelope_lots(model: SiteModel, programme_id: str) -> list[EnvelopeLot]:
    by_lot: dict[str, list] = defaultdict(list)
    for e in model.envelopes_of(programme_id):
        by_lot[e.lot_id].append((e.contract_year, e.amount_gbp, bool(e.optional)))
    return [EnvelopeLot(lot_id, model.lot(programme_id, lot_id).name, tuple(sorted(years)))
            for lot_id, years in by_lot.items()]


def spend_charts(programme: Programme, spend) -> list[Chart]:
    charts = []
    for year in sorted({s.financial_year for s in spend}):
        rows = [s for s in spend if s.financial_year == year and s.client_group != "all"]
        service = [s for s in rows if s.cost_type == "service" and s.measure in ("forecast", "actual")]
        if {s.measure for s in service} >= {"forecast", "actual"}:
            charts.append(forecast_actual_chart(programme, year, service))
        forecast = [s for s in rows if s.measure == "forecast"]
        if {s.cost_type for s in forecast} >= {"service", "transport"}:
            charts.append(transport_chart(programme, year, forecast))
    return charts


def _grouped_bars(rows: list[dict], category: str, series: str, order: list[str], title: str) -> dict:
    data = plotted(rows, "amount_gbp")
    for row in data:
        row["label"] = money(Decimal(str(row["amount_gbp"])))
    base = alt.Chart(alt.Data(values=data)).encode(
        y=alt.Y(f"{category}:N", title=None, sort=None, axis=alt.Axis(labelLimit=220)),
        yOffset=alt.YOffset(f"{series}:N", sort=order),
    )
    bars = base.mark_bar().encode(
        x=alt.X("amount_gbp:Q", title="Pounds", axis=alt.Axis(format="~s", labelExpr="'£' + datum.label")),
        color=alt.Color(f"{series}:N", sort=order, scale=alt.Scale(range=list(PALETTE[: len(order)])),
                        legend=alt.Legend(title=None, orient="top")),
    )
    labels = base.mark_text(align="left", dx=4, fontSize=12, color="#0b0c0c").encode(
        x="amount_gbp:Q", text=alt.Text("direct_label:N"))
    chart = (bars + labels).transform_calculate(direct_label=f"datum.{series} + ': ' + datum.label").properties(
        width=420, height=alt.Step(26), title=title)
    spec = chart.to_dict(validate=False)  # checked against the Vega-Lite schema by the tests, not at each build
    spec["config"] = base_config()
    return spec


def forecast_actual_chart(programme: Programme, year: str, service) -> Chart:
    rows = []
    for group in ("26-plus", "18-25"):
        for measure in ("forecast", "actual"):
            match = [s.amount_gbp for s in service if s.client_group == group and s.measure == measure]
            if match:
                rows.append({"client_group": GROUP_WORDS[group], "measure": MEASURE_WORDS[measure],
                             "amount_gbp": match[0]})
    title = f"Forecast and actual spending on support, {year}"
    return Chart(f"forecast-actual-{year}", title, _forecast_actual_summary(rows, year),
                 (Column("client_group", "Who for"), Column("measure", "Figure"),
                  Column("amount_gbp", "Amount", "money")), tuple(rows),
                 lambda: _grouped_bars(rows, "client_group", "measure", ["Forecast", "Actual"], title))


def _forecast_actual_summary(rows: list[dict], year: str) -> str:
    parts = []
    for group in ("People aged 26 and over", "People aged 18 to 25"):
        amounts = {r["measure"]: r["amount_gbp"] for r in rows if r["client_group"] == group}
        if {"Forecast", "Actual"} <= amounts.keys():
            diff = amounts["Actual"] - amounts["Forecast"]
            direction = "more" if diff > 0 else "less"
            verb = "was" if not parts else "it was"
            parts.append(f"{group.lower()} {verb} {money(amounts['Actual'])}, {money(abs(diff))} {direction} "
                         f"than the forecast of {money(amounts['Forecast'])}")
    return f"In {year}, actual spending on support for " + "; for ".join(parts) + "."


def transport_chart(programme: Programme, year: str, forecast) -> Chart:
    rows = []
    for group in ("26-plus", "18-25"):
        for cost_type, words in (("service", "Support"), ("transport", "Transport")):
            match = [s.amount_gbp for s in forecast if s.client_group == group and s.cost_type == cost_type]
            if match:
                rows.append({"client_group": GROUP_WORDS[group], "cost_type": words, "amount_gbp": match[0]})
    title = f"Forecast spending on support and on transport, {year}"
    total_transport = sum((r["amount_gbp"] for r in rows if r["cost_type"] == "Transport"), Decimal(0))
    total_support = sum((r["amount_gbp"] for r in rows if r["cost_type"] == "Support"), Decimal(0))
    summary = (f"In {year} the forecast for transport was {money(total_transport)}, beside "
               f"{money(total_support)} for the support itself.")
    return Chart(f"transport-{year}", title, summary,
                 (Column("client_group", "Who for"), Column("cost_type", "Cost"),
                  Column("amount_gbp", "Amount", "money")), tuple(rows),
                 lambda: _grouped_bars(rows, "client_group", "cost_type", ["Support", "Transport"], title))


def envelope_chart(programme: Programme, lots: list[EnvelopeLot]) -> Chart:
    totals: dict[int, list] = defaultdict(lambda: [Decimal(0), False])
    for lot in lots:
        for year, amount, optional in lot.years:
            totals[year][0] += amount
            totals[year][1] = totals[year][1] or optional
    rows = [{"contract_year": f"Year {y}", "kind": "Optional extension" if opt else "Agreed", "amount_gbp": amt}
            for y, (amt, opt) in sorted(totals.items())]
    title = "Money set aside each contract year, all lots"

    def spec() -> dict:
        data = plotted(rows, "amount_gbp")
        for row in data:
            row["label"] = money(Decimal(str(row["amount_gbp"]))) + (" (optional)" if row["kind"] != "Agreed" else "")
        base = alt.Chart(alt.Data(values=data)).encode(y=alt.Y("contract_year:N", title=None, sort=None))
        bars = base.mark_bar().encode(
            x=alt.X("amount_gbp:Q", title="Pounds", axis=alt.Axis(format="~s", labelExpr="'£' + datum.label")),
            color=alt.Color("kind:N", sort=["Agreed", "Optional extension"],
                            scale=alt.Scale(range=[PALETTE[0], PALETTE[5]]), legend=alt.Legend(title=None, orient="top")),
        )
        labels = base.mark_text(align="left", dx=4, fontSize=12, color="#0b0c0c").encode(
            x="amount_gbp:Q", text="label:N")
        spec = (bars + labels).properties(width=420, height=alt.Step(30), title=title).to_dict(validate=False)
        spec["config"] = base_config()
        return spec

    total = sum((r["amount_gbp"] for r in rows), Decimal(0))
    optional = sum((r["amount_gbp"] for r in rows if r["kind"] != "Agreed"), Decimal(0))
    first, last = rows[0], rows[-1]
    summary = (f"The council set aside {money(total)} over {len(rows)} contract years, from "
               f"{money(first['amount_gbp'])} in year 1 to {money(last['amount_gbp'])} in {last['contract_year'].lower()}"
               f"; {money(optional)} of it is for optional extension years.")
    return Chart("envelopes", title, summary,
                 (Column("contract_year", "Contract year"), Column("kind", "Agreed or optional"),
                  Column("amount_gbp", "Amount", "money")), tuple(rows), spec)


def easy_money_lines(page: MoneyPage) -> list[tuple[str, list[str]]]:
    """The money page in easy read: (picture, short sentences), numbers as digits."""
    lines: list[tuple[str, list[str]]] = []
    for chart in page.charts:
        if chart.chart_id.startswith("forecast-actual-"):
            year = chart.chart_id.removeprefix("forecast-actual-")
            lines.append(("calendar", [f"These numbers are for {year_words(year)}."]))
            for group in ("People aged 26 and over", "People aged 18 to 25"):
                amounts = {r["measure"]: r["amount_gbp"] for r in chart.rows if r["client_group"] == group}
                if {"Forecast", "Actual"} <= amounts.keys():
                    lines.append(("money", [f"{group}: the council planned to spend {money(amounts['Forecast'], pence='never')}.",
                                            f"It spent {money(amounts['Actual'], pence='never')}."]))
        elif chart.chart_id.startswith("transport-"):
            transport = sum((r["amount_gbp"] for r in chart.rows if r["cost_type"] == "Transport"), Decimal(0))
            lines.append(("travel", [f"It planned to spend {money(transport, pence='never')} on transport.",
                                     "This pays for people to get to their support."]))
    if page.reconciliations:
        lines.append(("question", ["Some numbers in the council's report do not add up.",
                                   "The standard page shows both numbers."]))
    for s in page.savings:
        lines.append(("grow", [f"The council wants to save {money(s.amount_gbp, pence='never')} on this support."]))
    if page.envelopes:
        lines.append(("council", [f"The council has set aside {money(page.envelope_total, pence='never')} for this support.",
                                  "This is for all the years of the contracts."]))
    return lines


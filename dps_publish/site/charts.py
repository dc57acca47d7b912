"""Charts everyone can read: Altair specs rendered to static SVG at build time.

A ``Chart`` carries its numbers once (``rows``); the Vega-Lite spec, the HTML
table and the CSV download are all made from those rows, so they cannot
disagree. vl-convert renders the SVG offline (no Vega JavaScript, no CDN), and
a cache keyed on the spec's content means an unchanged chart is never rendered
twice. Colours come from the Government Analysis Function palette; every mark
carries a direct label, so colour is never the only cue.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from ..files import write_atomically

# Government Analysis Function categorical palette (in order).
PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
FONT = "Arial"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str = "text"  # text, money, number, percent


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str  # the figure's accessible name
    summary: str  # one sentence, written from the numbers
    columns: tuple[Column, ...]
    rows: tuple[dict, ...]  # the numbers; None where a value is withheld or missing
    make_spec: Callable[[], dict] = field(compare=False, repr=False)
    notes: tuple[str, ...] = ()  # shown under the table, e.g. why a value is withheld

    @cached_property
    def spec(self) -> dict:
        """The Vega-Lite spec, made by Altair the first time it is needed. Working out which pages a build will
        write (the desk's check, ``dps-publish diff``) never needs it, and Altair is most of that time."""
        return self.make_spec()

    def csv_bytes(self) -> bytes:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.name for c in self.columns])
        for row in self.rows:
            writer.writerow([csv_cell(row.get(c.name)) for c in self.columns])
        return buffer.getvalue().encode("utf-8")

    def spec_json(self) -> str:
        return json.dumps(self.spec, sort_keys=True, ensure_ascii=False, default=_json_default)


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def _json_default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot write {type(value).__name__} in a chart spec")


def plotted(rows, *names) -> list[dict]:
    """The rows as the chart draws them: JSON numbers, and no row whose value is withheld (never drawn as 0)."""
    out = []
    for row in rows:
        if any(row.get(n) is None for n in names):
            continue
        out.append({k: _json_default(v) if isinstance(v, Decimal) else v for k, v in row.items()})
    return out


def base_config() -> dict:
    return {
        "font": FONT,
        "axis": {"labelFontSize": 13, "titleFontSize": 13, "labelColor": "#0b0c0c", "titleColor": "#0b0c0c"},
        "legend": {"labelFontSize": 13, "titleFontSize": 13},
        "view": {"stroke": None},
        "background": "#ffffff",
    }


@dataclass
class ChartRenderer:
    """Renders specs to SVG through a content-keyed cache, counting what it really rendered."""

    cache: Path | None
    rendered: int = 0
    reused: int = 0

    def spec_json(self, chart: Chart) -> str:
        """The chart's spec as JSON, from the cache when the chart is the same: Altair (and its schema check) takes
        about a tenth of a second a chart, most of a small rebuild's chart time. The same means the same code
        (the publisher's and Altair's), the same numbers and words, and the same values in the spec's closure
        (a KPI's definition, the quarters): what ``make_spec`` reads."""
        if not self.cache:
            return chart.spec_json()
        from importlib.metadata import version

        from ..cache import Fingerprinter, code_digest

        closure = tuple(cell.cell_contents for cell in chart.make_spec.__closure__ or ())
        key = Fingerprinter().of(code_digest(), version("altair"), chart.chart_id, chart.title, chart.summary,
                                 chart.columns, chart.rows, chart.notes, closure, chart.make_spec.__defaults__,
                                 chart.make_spec.__qualname__)
        cached = self.cache / "specs" / f"{key}.json"
        if cached.is_file():
            return cached.read_text(encoding="utf-8")
        text = chart.spec_json()
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(cached, text)
        return text

    def svg(self, chart: Chart, text: str | None = None) -> str:
        text = text or self.spec_json(chart)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        cached = self.cache / f"{key}.svg" if self.cache else None
        if cached and cached.is_file():
            self.reused += 1
            return cached.read_text(encoding="utf-8")
        import vl_convert

        svg = vl_convert.vegalite_to_svg(json.loads(text))
        self.rendered += 1
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(cached, svg)
        return svg

    def write(self, chart: Chart, folder: Path) -> None:
        """The chart's SVG, CSV and spec beside the page that shows it."""
        folder.mkdir(parents=True, exist_ok=True)
        text = self.spec_json(chart)
        (folder / f"{chart.chart_id}.svg").write_text(self.svg(chart, text), encoding="utf-8")
        (folder / f"{chart.chart_id}.csv").write_bytes(chart.csv_bytes())
        (folder / f"{chart.chart_id}.vl.json").write_text(text + "\n", encoding="utf-8")

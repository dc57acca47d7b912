"""Every chart in the build is readable without seeing it, and its numbers agree everywhere."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import lxml.html
from helpers import ROOT, THEME, dps, project, set_cell


def _figures(output: Path):
    for path in sorted(output.rglob("index.html")):
        doc = lxml.html.document_fromstring(path.read_bytes())
        for figure in doc.iter("figure"):
            yield path, doc, figure


def _local(output: Path, href: str) -> Path:
    return output / href.lstrip("/")


def _data_rows(spec: dict) -> list[list[dict]]:
    """Every inline data array in a Vega-Lite spec, layers included."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            values = node.get("data", {}).get("values") if isinstance(node.get("data"), dict) else None
            if isinstance(values, list):
                found.append(values)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def _number(text: str) -> Decimal:
    return Decimal(text)


def test_every_chart_has_name_summary_table_csv_and_the_same_numbers(example_build):
    output, _ = example_build
    charts = 0
    for path, doc, figure in _figures(output):
        charts += 1
        where = f"{path.relative_to(output)}#{figure.get('id')}"
        labelled_by = figure.get("aria-labelledby")
        name = doc.get_element_by_id(labelled_by)
        assert name is not None and name.text_content().strip(), f"{where}: no accessible name"
        assert figure.find("figcaption") is not None, where
        summary = figure.find_class("chart__summary")
        assert summary and len(summary[0].text_content().split()) >= 6, f"{where}: no summary sentence"
        img = figure.find(".//img")
        assert img is not None and img.get("alt"), f"{where}: the picture has no text alternative"
        assert _local(output, img.get("src")).read_text().lstrip().startswith("<svg"), where
        table = figure.find(".//table")
        assert table is not None, f"{where}: no table of the numbers"
        csv_links = [a.get("href") for a in figure.iter("a") if (a.get("href") or "").endswith(".csv")]
        assert csv_links == [figure.get("data-chart-csv")], f"{where}: no CSV link"

        with open(_local(output, csv_links[0]), newline="", encoding="utf-8") as f:
            csv_rows = list(csv.DictReader(f))
        spec = json.loads(_local(output, figure.get("data-chart-spec")).read_text())
        header = [th.text_content().strip() for th in table.find(".//thead").iter("th")]
        body = [tr for tr in table.find(".//tbody").iter("tr")]
        assert len(body) == len(csv_rows), f"{where}: table and CSV have different rows"
        numeric = [c for c in csv_rows[0] if any(_is_number(r[c]) for r in csv_rows)] if csv_rows else []
        assert numeric, f"{where}: the chart has no numbers"
        arrays = _data_rows(spec)
        for column in numeric:
            from_csv = Counter(_number(r[column]) for r in csv_rows if r[column] != "")
            position = list(csv_rows[0]).index(column)
            cells = [tr.findall("td")[position - 1] for tr in body]
            from_table = Counter(_number(td.get("data-value")) for td in cells if td.get("data-value"))
            assert from_table == from_csv, f"{where}: table and CSV disagree on {column} ({header})"
            plotted = next((a for a in arrays if a and column in a[0]), None)
            if column == "target":
                continue  # the target is drawn as a rule, from the same definition
            assert plotted is not None, f"{where}: {column} is not in the chart's data"
            from_spec = Counter(Decimal(str(row[column])) for row in plotted if row.get(column) is not None)
            assert from_spec == from_csv, f"{where}: chart and CSV disagree on {column}"
    assert charts >= 7


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
        return text != ""
    except ArithmeticError:
        return False


def test_withheld_values_are_not_plotted_as_zero(example_build):
    output, _ = example_build
    for path, _, figure in _figures(output):
        with open(_local(output, figure.get("data-chart-csv")), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        spec = json.loads(_local(output, figure.get("data-chart-spec")).read_text())
        keys = [k for k in ("period", "lot") if rows and k in rows[0]]  # a chart of several lots has one line each
        withheld = {tuple(r[k] for k in keys) for r in rows if "period" in r and r.get("value") == ""}
        for array in _data_rows(spec):
            drawn = [row for row in array if tuple(row.get(k) for k in keys) in withheld]
            assert not drawn, (path, figure.get("id"), drawn[:3])


def test_reconciliation_mismatch_is_on_the_money_page_and_in_the_build_summary(example_build, capsys, tmp_path):
    output, result = example_build
    page = (output / "money" / "everyday-life-activities" / "index.html").read_text()
    text = " ".join(lxml.html.document_fromstring(page).text_content().split())
    assert "The figures do not add up" in text
    assert "£9,547,321" in text and "£9,647,321" in text
    assert any("£9,547,321" in w and "£9,647,321" in w for w in result.warnings)
    assert dps(["build", "--data", str(ROOT / "data"), "--output", str(tmp_path / "out"), "--content",
                 str(ROOT / "content"), "--theme", str(THEME), "--cache", str(tmp_path / "cache")]) == 0
    assert "£9,547,321" in capsys.readouterr().out


def test_second_build_with_unchanged_data_renders_no_chart(tmp_path):
    from dps_publish.pipeline import build

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    cached = project(data, tmp_path / "output")
    cached.cache = tmp_path / "cache"
    first = build(cached)
    assert first.charts_rendered >= 7 and first.charts_reused == 0
    again = build(cached)  # nothing changed at all: nothing is done
    assert again.up_to_date and again.charts_rendered == 0
    set_cell(data / "providers.csv", 0, "description", "Changed, so the build runs; the charts' data did not change.")
    third = build(cached)
    assert not third.up_to_date
    assert third.charts_rendered == 0
    assert third.charts_reused == first.charts_rendered


def test_charts_use_no_vega_javascript_or_other_host(example_build):
    output, _ = example_build
    for path in output.rglob("*.html"):
        html = path.read_text()
        assert "vega" not in html.lower() or "vl.json" in html, path
        assert "cdn." not in html, path


def test_a_chart_spec_comes_from_the_cache_only_when_what_makes_it_is_the_same(tmp_path):
    """The spec cache is keyed on the chart's numbers and words and on what its spec function closes over: a
    value only the closure holds (a KPI's target, say) changed means Altair is asked again."""
    from dps_publish.site.charts import Chart, ChartRenderer, Column

    def chart(target):
        def spec():
            _ASKED.append(target)
            return {"mark": "bar", "target": target}
        return Chart("c", "A chart", "It goes up.", (Column("x", "X"),), ({"x": 1},), spec)

    _ASKED.clear()
    renderer = ChartRenderer(tmp_path / "charts")
    assert json.loads(renderer.spec_json(chart(10)))["target"] == 10
    assert json.loads(renderer.spec_json(chart(10)))["target"] == 10
    assert _ASKED == [10]  # the second from the cache
    assert json.loads(renderer.spec_json(chart(12)))["target"] == 12
    assert _ASKED == [10, 12]


_ASKED: list = []  # what the test's spec functions were asked for (a global: a closure's own values are its key)


def test_every_chart_spec_is_valid_vega_lite(example_build):
    """The build makes its specs without Altair's schema check (a tenth of a second a chart); every spec it wrote
    is checked here against the Vega-Lite schema Altair carries, so a chart built wrongly still fails."""
    import altair as alt
    import jsonschema

    output, _ = example_build
    specs = sorted(output.rglob("charts/*.vl.json"))
    assert len(specs) >= 20
    validator = jsonschema.Draft7Validator(alt.vegalite.v6.schema.core.load_schema())
    for path in specs:
        errors = [e.message for e in validator.iter_errors(json.loads(path.read_text(encoding="utf-8")))]
        assert not errors, f"{path.relative_to(output)}: {errors[:3]}"
    broken = json.loads(specs[0].read_text(encoding="utf-8"))
    broken["mark"] = {"type": "not-a-mark"}
    assert list(validator.iter_errors(broken))  # the check can fail

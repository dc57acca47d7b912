"""Nothing a cell contains ever runs: script payloads in every text field, proven inert in Chromium."""

from __future__ import annotations

import shutil
import sys

import pytest
from browser import event_handlers, html_pages, launch_chromium, live_script_links, serve
from helpers import ROOT, build_site, read_rows, write_rows

MARK = "window.__xss=(window.__xss||0)+1"
PAYLOADS = (
    f"<script>{MARK}</script>",
    f'"><img src=x onerror="{MARK}">',
    f"javascript:{MARK}",
    f"<svg onload={MARK}>",
    f"</title><script>{MARK}</script>",
    f"' onmouseover='{MARK}",
)
# Text fields that reach pages, feeds, chart specs or search metadata. Keys, enums, dates, numbers,
# websites and emails have their own rules (a payload there is refused at input, as the contract says).
TEXT_FIELDS = {
    "programmes.csv": ["name", "summary", "buyer"],
    "lots.csv": ["name", "description", "funder"],
    "rounds.csv": ["title"],
    "providers.csv": ["name", "description", "easy_read_description", "phone"],
    "listings.csv": ["activities"],
    "spend.csv": ["source"],
    "envelopes.csv": ["funder", "source"],
    "milestones.csv": ["event"],
    "kpi_definitions.csv": ["name", "easy_read_name", "description"],
    "naming.csv": ["reason", "source"],
    "glossary.csv": ["meaning"],
    "payments.csv": ["supplier_name", "expense_area", "expense_type"],
}


@pytest.fixture(scope="module")
def payload_site(tmp_path_factory):
    data = tmp_path_factory.mktemp("payloads") / "data"
    shutil.copytree(ROOT / "data", data)
    counter = 0
    for file, columns in TEXT_FIELDS.items():
        header, rows = read_rows(data / file)
        for row in rows:
            for column in columns:
                counter += 1
                payload = PAYLOADS[counter % len(PAYLOADS)]
                row[column] = f"{payload} {row[column][:30]}".strip()
        write_rows(data / file, header, rows)
    output = data.parent / "output"
    build_site(data, output, frozen=data.parent / "no-frozen-rounds")  # payments here differ from those frozen
    return output


def test_payloads_are_escaped_in_every_file(payload_site):
    """Parsed as a browser would: no handler attribute, no inline or foreign script, no script URL, anywhere."""
    from lxml import etree, html

    checked = 0
    for path in sorted(payload_site.rglob("*")):
        if path.suffix not in (".html", ".xml", ".svg"):
            continue
        checked += 1
        tree = html.document_fromstring(path.read_bytes()) if path.suffix == ".html" else etree.parse(str(path))
        where = path.relative_to(payload_site)
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            tag = etree.QName(element).localname.lower()
            for name, value in element.attrib.items():
                name = etree.QName(name).localname.lower()
                assert not name.startswith("on"), f"{where}: <{tag} {name}=...>"
                if name in ("href", "src", "action", "formaction"):
                    assert not value.strip().lower().startswith(("javascript:", "vbscript:")), f"{where}: {value}"
            if tag == "script":
                assert element.get("src", "").startswith(("/pagefind/", "/theme/")), f"{where}: a script from data"
                assert not (element.text or "").strip(), f"{where}: an inline script"
    assert checked > 300


def test_no_payload_executes_or_becomes_a_live_link_in_chromium(payload_site):
    from playwright.sync_api import sync_playwright

    executions, live_links, visited = [], [], 0
    with serve(payload_site) as base_url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        # The Content-Security-Policy is bypassed so the test proves escaping, not just the policy.
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.on("dialog", lambda dialog: (executions.append(f"dialog on {page.url}"), dialog.dismiss()))
        for path, _ in html_pages(payload_site):
            page.goto(base_url + path, wait_until="load")
            visited += 1
            if page.evaluate("window.__xss || 0"):
                executions.append(path)
            # An event handler attribute would run on a hover or a click: there must be none at all.
            executions += [f"{path}: {h}" for h in event_handlers(page)]
            live_links += [f"{path}: {href}" for href in live_script_links(page)]
        # Search results show text from the pages: search for a payload word.
        page.goto(base_url + "/search/", wait_until="load")
        page.fill("input.pagefind-ui__search-input", "onerror")
        page.wait_for_timeout(1500)
        if page.evaluate("window.__xss || 0"):
            executions.append("/search/ results")
        browser.close()
    sys.stderr.write(f"\npayload test: {visited} pages visited, {len(executions)} executions, "
                     f"{len(live_links)} live javascript: links\n")
    assert visited > 300
    assert executions == []
    assert live_links == []

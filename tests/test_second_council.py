"""A second council, unlike Kent, made with ``dps-publish init`` and its own tables, checked like the example.

Fenwold (``tests/fixtures/second-council``) has 5 districts with other ONS codes in two other areas, its own
programmes, lots, providers and naming register, and a small-number threshold of 10. Its folder is made by the
real command, filled in as a person would (the settings init leaves for the council, the tables in place of the
blank templates), and built by the installed ``dps-publish`` from inside that folder: the packaged theme and
GOV.UK Frontend, no ``--theme``, no npm. Then nothing of Kent may be anywhere in what it publishes, and the site
passes the checks the example's does: axe-core, the Nu checker, links, twins, open data.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import frictionless
import pytest
from browser import html_pages, launch_chromium, nu_check, preload_axe, run_axe, serve
from helpers import ROOT, file_texts, fill_in
from test_any_council import KENT
from test_easy_read import is_resident_page, pages, twin_link
from test_ocds import assert_valid, cove, extension_server  # noqa: F401 - extension_server is a fixture
from test_site_browser import link_problems, parse_pages

from dps_publish.cli import main

FIXTURE = ROOT / "tests" / "fixtures" / "second-council" / "data"
COMMAND = Path(sys.executable).parent / "dps-publish"
THRESHOLD = 10


@pytest.fixture(scope="module")
def fenwold(tmp_path_factory) -> tuple[Path, dict]:
    """(the council's folder, what ``dps-publish build --json`` said) after init, filling in and one build."""
    folder = tmp_path_factory.mktemp("council") / "fenwold"
    assert main(["init", str(folder)]) == 0
    settings = folder / "pelicanconf.py"
    fill_in(settings)
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "SMALL_NUMBER_THRESHOLD = 5", f"SMALL_NUMBER_THRESHOLD = {THRESHOLD}"), encoding="utf-8")
    for table in FIXTURE.glob("*.csv"):
        for blank in (folder / "data").glob(f"{table.stem}.*"):
            blank.unlink()
        shutil.copyfile(table, folder / "data" / table.name)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
    run = subprocess.run([str(COMMAND), "build", "--json"], cwd=folder, env=env, capture_output=True, text=True,
                         timeout=1200)
    assert run.returncode == 0, f"the second council did not build:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return folder, json.loads(run.stdout)


def site_of(fenwold) -> Path:
    return fenwold[0] / "output"


def test_nothing_of_kent_is_anywhere_in_its_site(fenwold):
    site = site_of(fenwold)
    found, kinds, said_fenwold = [], defaultdict(int), set()
    for path, text in file_texts(site):  # the search index's gzip files opened up
        kinds[path.suffix or path.name] += 1
        for match in KENT.finditer(text):
            start = max(0, match.start() - 60)
            found.append(f"{path.relative_to(site)}: …{text[start:match.end() + 60]!r}…")
        if "Fenwold" in text:
            said_fenwold.add(path.suffix)
    assert not found, f"{len(found)} places say Kent or carry its identifiers:\n  " + "\n  ".join(found[:30])
    # The scan read every kind of file a site publishes, the search index unpacked among them.
    for kind in (".html", ".csv", ".json", ".xml", ".pf_fragment", ".pf_meta", ".pdf"):
        assert kinds[kind], f"the site has no {kind} files to check"
    assert {".html", ".csv", ".json", ".pf_fragment", ".pdf"} <= said_fenwold, said_fenwold


def test_its_pages_name_its_own_place_districts_and_threshold(fenwold):
    site = site_of(fenwold)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Things to do in the day and evening in Fenwold" in home, "the first programme's name, and the place"
    districts = [row["name"] for row in csv.DictReader((FIXTURE / "districts.csv").open(encoding="utf-8"))]
    finder = (site / "find-support" / "index.html").read_text(encoding="utf-8")
    for name in districts:
        assert name in finder
    assert "North Fenwold" in finder and "South Fenwold" in finder
    easy = (site / "easy-read" / "find-support" / "index.html").read_text(encoding="utf-8")
    assert f"Fenwold has {len(districts)} areas called districts" in easy
    withheld = [p for p in site.rglob("*.html") if f"fewer than {THRESHOLD}" in p.read_text(encoding="utf-8")]
    assert withheld, f"no page says 'fewer than {THRESHOLD}': the council's threshold is not shown"
    assert not any("fewer than 5" in p.read_text(encoding="utf-8") for p in site.rglob("*.html"))


def test_its_first_build_says_it_is_the_first_publication_with_its_counts(fenwold):
    _, said = fenwold
    first = said["changes"]["first_publication"]
    rows = {name: sum(1 for _ in csv.DictReader((FIXTURE / f"{name}.csv").open(encoding="utf-8")))
            for name in ("programmes", "lots", "rounds")}
    assert {k: first[k] for k in rows} == rows
    built = [p for p in site_of(fenwold).rglob("index.html") if not p.relative_to(site_of(fenwold)).as_posix()
             .startswith(("pagefind/", "theme/"))]
    assert first["pages"] == len(built) > 50


def test_every_resident_page_has_its_easy_read_twin(fenwold):
    site = dict(pages(site_of(fenwold)))
    residents = [rel for rel in site if is_resident_page(rel)]
    assert len(residents) > 30
    for rel in residents:
        assert f"easy-read/{rel}" in site, f"/{rel} has no easy-read twin"
        assert twin_link(site[rel]) == f"/easy-read/{rel}"
        assert twin_link(site[f"easy-read/{rel}"]) == f"/{rel}"


def test_no_link_is_broken(fenwold):
    site = site_of(fenwold)
    broken, external, problems = link_problems(site, parse_pages(html_pages(site)))
    assert (broken, external) == (0, 0), "\n".join(problems[:30])


def test_axe_finds_no_violation_on_any_page(fenwold):
    from playwright.sync_api import sync_playwright

    site = site_of(fenwold)
    found = []
    with sync_playwright() as playwright, serve(site) as base:
        browser = launch_chromium(playwright)
        context = browser.new_context(bypass_csp=True, service_workers="block")
        preload_axe(context)
        page = context.new_page()
        visited = 0
        for path, _ in html_pages(site):
            response = page.goto(base + path, wait_until="load")
            assert response is not None and response.status == 200, path
            found += [f"{path}: {v['id']} ({v['help']})" for v in run_axe(page)]
            visited += 1
        browser.close()
    assert visited > 60
    assert not found, f"axe-core found {len(found)} violations:\n  " + "\n  ".join(found[:30])


def test_the_nu_checker_finds_no_errors(fenwold):
    nu_check(site_of(fenwold))


def test_its_open_data_is_valid(fenwold, extension_server, tmp_path):  # noqa: F811 - the fixture, imported
    data = site_of(fenwold) / "data"
    for package in (data / "datapackage.json", data / "openreferral" / "datapackage.json"):
        report = frictionless.validate(package)
        assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "message"])[:20]
    descriptor = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["name"] == "fenwold-adult-social-care-commissioning" and "Fenwold" in descriptor["keywords"]
    assert "Daytime and Evening Activities and Life Skills and Supported Employment" in descriptor["description"]
    areas = list(csv.DictReader((data / "openreferral" / "service_areas.csv").open(encoding="utf-8")))
    assert {a["name"] for a in areas if a["uri"].endswith("/E10000099")} == {"Fenwold"}, "a service in every district"
    assert all(re.search(r"/E(10000099|070002\d\d)$", a["uri"]) for a in areas), "only Fenwold's ONS codes"
    assert_valid(*cove(data / "ocds" / "release-package.json", "release", extension_server, tmp_path))
    releases = json.loads((data / "ocds" / "release-package.json").read_text(encoding="utf-8"))
    assert {r["buyer"]["id"] for r in releases["releases"] if "buyer" in r} == {"GB-LAE-FNW"}


# -- with its places and postcodes ---------------------------------------------------------------------------------

WHERE = ROOT / "tests" / "fixtures" / "second-council" / "where-you-live"


@pytest.fixture(scope="module")
def fenwold_with_places(fenwold, tmp_path_factory) -> Path:
    """The council's folder again, its places and postcodes tables added in place of the blank templates, rebuilt."""
    folder = tmp_path_factory.mktemp("council-places") / "fenwold"
    shutil.copytree(fenwold[0], folder, symlinks=True)
    for table in WHERE.glob("*.csv"):
        for blank in (folder / "data").glob(f"{table.stem}.*"):
            blank.unlink()
        shutil.copyfile(table, folder / "data" / table.name)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
    run = subprocess.run([str(COMMAND), "build", "--json"], cwd=folder, env=env, capture_output=True, text=True,
                         timeout=1200)
    assert run.returncode == 0, f"the second council did not build with its places:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return folder / "output"


def test_its_first_build_has_no_where_do_you_live_without_the_tables(fenwold):
    site = site_of(fenwold)
    assert not (site / "where-you-live").exists() and not (site / "find-support" / "a-to-z").exists()
    assert "data-where-you-live" not in (site / "find-support" / "index.html").read_text(encoding="utf-8")


def test_with_its_places_and_postcodes_it_finds_where_people_live_and_says_nothing_of_kent(fenwold_with_places):
    site = fenwold_with_places
    found = []
    for path, text in file_texts(site):
        found += [f"{path.relative_to(site)}: {m.group()}" for m in KENT.finditer(text)]
    assert not found, "\n".join(found[:30])
    areas = json.loads((site / "where-you-live" / "areas.json").read_text(encoding="utf-8"))
    assert [d["name"] for d in areas["districts"]] == ["Marshby", "Fenwold Vale", "Saltmere", "Ockley Downs",
                                                       "Harrowfield"]
    assert len(areas["outward"]["FW2"]) == 2 and (site / "where-you-live" / "postcodes" / "FW2.json").is_file()
    for path in ("find-support/", "easy-read/find-support/"):
        assert "data-where-you-live" in (site / path / "index.html").read_text(encoding="utf-8")
    a_to_z = (site / "find-support" / "a-to-z" / "index.html").read_text(encoding="utf-8")
    assert "Crossgate" in a_to_z and "Wyke St Anne" in a_to_z and "FW6" in a_to_z and "Fenwold" in a_to_z
    assert "Brackenby" in (site / "find-support" / "harrowfield" / "index.html").read_text(encoding="utf-8")
    broken, external, problems = link_problems(site, parse_pages(html_pages(site)))
    assert (broken, external) == (0, 0), "\n".join(problems[:30])


def test_with_its_places_the_new_pages_pass_axe_and_the_nu_checker(fenwold_with_places, tmp_path):
    from playwright.sync_api import sync_playwright

    site = fenwold_with_places
    new = ["/find-support/", "/easy-read/find-support/", "/find-support/a-to-z/", "/easy-read/find-support/a-to-z/",
           "/find-support/harrowfield/", "/easy-read/find-support/harrowfield/", "/privacy/", "/easy-read/privacy/"]
    found = []
    with sync_playwright() as playwright, serve(site) as base:
        browser = launch_chromium(playwright)
        context = browser.new_context(bypass_csp=True, service_workers="block")
        preload_axe(context)
        page = context.new_page()
        for path in new:
            response = page.goto(base + path, wait_until="load")
            assert response is not None and response.status == 200, path
            found += [f"{path}: {v['id']} ({v['help']})" for v in run_axe(page)]
        browser.close()
    assert not found, "\n".join(found)
    pages_only = tmp_path / "new-pages"
    for path in new:
        target = pages_only / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(site / path.strip("/") / "index.html", target)
    nu_check(pages_only)

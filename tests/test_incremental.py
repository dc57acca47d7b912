"""Incremental builds give exactly what a clean build gives, and skip what did not change."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from helpers import ROOT, project, read_rows, set_cell, tree_digest, write_rows

from dps_publish.pipeline import build


def _edit_provider(data):
    set_cell(data / "providers.csv", 0, "description", "A new description, edited for the incremental test.")


def _remove_listing(data):
    header, rows = read_rows(data / "listings.csv")
    index = next(i for i, r in enumerate(rows) if r["status"] == "awarded" and r["lot_id"] == "2")
    write_rows(data / "listings.csv", header, rows[:index] + rows[index + 1:])


def _add_round(data):
    header, rows = read_rows(data / "rounds.csv")
    rows.append({**rows[-1], "round_id": "2023-10-third", "title": "Third round, October 2023",
                 "opens": "2023-08-01", "closes": "2023-09-01", "award_date": "2023-09-29",
                 "services_start": "2023-10-01", "status": "awarded"})
    write_rows(data / "rounds.csv", header, rows)
    header, rows = read_rows(data / "listings.csv")
    joining = next(r for r in rows if r["lot_id"] == "2" and r["status"] == "applied")
    joining.update(status="awarded", round_id="2023-10-third")
    write_rows(data / "listings.csv", header, rows)


@pytest.mark.parametrize("change, reuses", [(_edit_provider, True), (_remove_listing, True), (_add_round, False)],
                         ids=["provider-edited", "listing-removed", "round-added"])
def test_incremental_build_equals_clean_build_byte_for_byte(tmp_path, change, reuses):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    incremental = project(data, tmp_path / "site" / "output")
    incremental.cache = tmp_path / "cache" / "charts"
    build(incremental)
    change(data)
    result = build(incremental)
    assert result.pages_rendered > 0
    if reuses:  # a new round changes what every page says (dates, rounds), so it renders them all
        assert result.pages_reused > 100, "an incremental build should reuse unchanged pages"
    clean = project(data, tmp_path / "clean" / "output")
    build(clean)
    assert tree_digest(incremental.output) == tree_digest(clean.output)


def test_nothing_changed_means_nothing_done(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    site = project(data, tmp_path / "output")
    site.cache = tmp_path / "cache" / "charts"
    build(site)
    before = tree_digest(site.output)
    again = build(site)
    assert again.up_to_date and again.timings == {}
    assert tree_digest(site.output) == before
    # The command asks whether the last build still stands before it imports the pipeline (pandas, Altair, the
    # writers): the county's nothing-changed rebuild spent more time importing them than checking.
    command = [f"--data={data}", f"--output={site.output}", f"--cache={site.cache}", f"--frozen={site.frozen}",
               f"--content={site.content}", f"--theme={site.theme}", f"--settings={ROOT / 'pelicanconf.py'}"]
    said = subprocess.run([sys.executable, "-c", "import sys; from dps_publish.cli import main; code = main(sys.argv[1:]); "
                           "print(sorted({'pandas', 'altair', 'dps_publish.pipeline'} & set(sys.modules))); "
                           "sys.exit(code)", "build", *command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert said.returncode == 0, said.stderr
    assert said.stdout.splitlines() == [f"Nothing has changed since the last build: the site in {site.output} is up to "
                                        "date.", "[]"], said.stdout
    # A hand edit to output/ is noticed: the next build puts it right.
    (site.output / "index.html").write_text("edited by hand")
    fixed = build(site)
    assert not fixed.up_to_date and tree_digest(site.output) == before

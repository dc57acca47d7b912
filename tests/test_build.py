"""The build: stage order, open data that frictionless accepts, safe and reproducible output."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, THEME, build_site, dps, scratch, set_cell, tree_digest

from dps_publish.pipeline import STAGE_NAMES
from dps_publish.problems import BuildError, DataProblems


def test_stages_run_in_the_pinned_order_and_output_changes_only_at_the_swap(data_copy, tmp_path):
    output = tmp_path / "output"
    build_site(data_copy, output)
    before = tree_digest(output)
    set_cell(data_copy / "providers.csv", 0, "name", "Hop Garden Makers Renamed")
    seen = []

    def on_stage(name):
        seen.append(name)
        assert tree_digest(output) == before, f"output/ changed before the swap (at {name})"

    build_site(data_copy, output, on_stage=on_stage)
    assert seen == ["validate", "model", "open-data", "check-open-data", "artefacts", "site", "check-site", "search-index",
                    "open-data-checked", "swap"]
    assert tuple(seen) == STAGE_NAMES
    assert tree_digest(output) != before


def test_frictionless_validates_the_published_package(example_build):
    output, _ = example_build
    frictionless = Path(sys.executable).parent / "frictionless"
    run = subprocess.run([str(frictionless), "validate", str(output / "data" / "datapackage.json"), "--json"],
                         capture_output=True, text=True)
    report = json.loads(run.stdout)
    assert run.returncode == 0 and report["valid"], run.stdout[:2000]
    assert report["stats"]["tasks"] >= 12


def test_package_metadata(example_build):
    output, _ = example_build
    package = json.loads((output / "data" / "datapackage.json").read_text())
    for key in ("name", "title", "description", "version", "created", "licenses", "sources", "contributors"):
        assert package[key], key
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert package["licenses"][0]["name"] == "OGL-UK-3.0"
    assert any("22/00034" in s["title"] for s in package["sources"])
    for resource in package["resources"]:
        assert resource["hash"].startswith("sha256:") and resource["bytes"] > 0
        for field in resource["schema"]["fields"]:
            assert field["description"], (resource["name"], field["name"])
            assert not any(k.startswith("x-") for k in field)


def test_site_has_home_programme_lot_and_download_pages(example_build):
    output, result = example_build
    assert (output / "index.html").is_file()
    assert (output / "data" / "index.html").is_file()
    for programme in result.model.programmes:
        assert (output / "programmes" / programme.programme_id / "index.html").is_file()
    for lot in result.model.lots:
        assert (output / "programmes" / lot.programme_id / "lots" / lot.lot_id / "index.html").is_file()


def test_two_builds_give_identical_trees(tmp_path):
    first, second = tmp_path / "one" / "output", tmp_path / "two" / "output"
    build_site(ROOT / "data", first)
    time.sleep(1.1)  # a clock leaking into the output would show
    build_site(ROOT / "data", second)
    assert tree_digest(first) == tree_digest(second)


def test_failed_validation_leaves_output_unchanged(data_copy, tmp_path, capsys):
    output = tmp_path / "output"
    build_site(data_copy, output)
    before = tree_digest(output)
    set_cell(data_copy / "listings.csv", 3, "districts", "Ashfrod")
    with pytest.raises(DataProblems):
        build_site(data_copy, output)
    assert dps(["build", "--data", str(data_copy), "--output", str(output)]) == 1
    assert "is unchanged" in capsys.readouterr().err
    assert tree_digest(output) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".output.building")) == []


def test_exception_while_writing_leaves_output_unchanged(data_copy, tmp_path, monkeypatch):
    output = tmp_path / "output"
    build_site(data_copy, output)
    before = tree_digest(output)
    set_cell(data_copy / "providers.csv", 0, "name", "Changed Name")

    half_written = []

    def broken_site(model, settings, content, theme, out, *rest):
        (out / "index.html").write_text("half written")
        half_written.append(out / "index.html")
        raise RuntimeError("disk trouble")

    monkeypatch.setattr("dps_publish.pipeline.write_site", broken_site)
    with pytest.raises(RuntimeError, match="disk trouble"):
        build_site(data_copy, output)
    assert half_written and half_written[0].parent != output, "the site stage wrote into the new build's own folder"
    assert tree_digest(output) == before
    assert [p.name for p in tmp_path.iterdir() if ".building-" in p.name] == [], "the half-written build is cleared"


def test_plain_existing_output_folder_is_replaced_whole(tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    (output / "stale.html").write_text("from an old build")
    build_site(ROOT / "data", output)
    assert not (output / "stale.html").exists()
    assert (output / "index.html").is_file() and not output.is_symlink()


def _build_command(data: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "dps_publish", "build", "--data", str(data), "--output", str(output),
            "--settings", str(ROOT / "pelicanconf.py"), "--content", str(ROOT / "content"),
            "--theme", str(THEME), "--cache", str(scratch())]


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.3, 1.8, 2.4])
def test_killed_build_leaves_old_or_new_output_never_a_mix(data_copy, tmp_path, delay):
    output = tmp_path / "output"
    build_site(data_copy, output)
    old = tree_digest(output)
    set_cell(data_copy / "providers.csv", 0, "name", "Hop Garden Makers Killed Build")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(_build_command(data_copy, output), env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    after = tree_digest(output)
    if after != old:
        fresh = tmp_path / "fresh"
        build_site(data_copy, fresh)
        assert after == tree_digest(fresh), "output/ is neither the old build nor the new one"
    # The next build clears what the killed one left and succeeds.
    build_site(data_copy, output)
    assert [p.name for p in tmp_path.iterdir() if ".building-" in p.name] == []


def test_an_output_folder_that_cannot_be_made_gives_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    code = dps(["build", "--data", str(ROOT / "data"), "--output", str(blocker / "output"),
                 "--content", str(ROOT / "content"), "--theme", str(THEME), "--cache", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "is a file, not a folder" in err


@pytest.mark.parametrize("error, words", [(28, "is full"), (13, "permission denied")])
def test_a_full_disk_or_unwritable_folder_gives_a_clear_error_and_keeps_output(data_copy, tmp_path, monkeypatch,
                                                                              capsys, error, words):
    output = tmp_path / "output"
    build_site(data_copy, output)
    before = tree_digest(output)
    set_cell(data_copy / "providers.csv", 0, "name", "Changed so the build runs")

    def no_space(*args, **kwargs):
        raise OSError(error, os.strerror(error), str(output.parent))

    monkeypatch.setattr("dps_publish.files.swap_in", no_space)
    code = dps(["build", "--data", str(data_copy), "--output", str(output), "--content", str(ROOT / "content"),
                 "--theme", str(THEME), "--frozen", str(ROOT / "published")])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err
    assert "is unchanged" in err
    assert tree_digest(output) == before


def test_the_open_data_checked_in_two_workers_finds_what_one_finds(example_build, tmp_path):
    """Over CHECK_APART_BYTES of tables, frictionless checks them in two workers: every table is still checked
    (the same keys), and a table made invalid is still refused, naming it, whichever worker read it."""
    from dps_publish.opendata.publication import check_open_data

    output, _ = example_build
    data = tmp_path / "data"
    shutil.copytree(output / "data", data)
    assert check_open_data(data, processes=2) == check_open_data(data, processes=1)
    providers = data / "providers.csv"
    lines = providers.read_text(encoding="utf-8").splitlines(keepends=True)
    providers.write_text("".join([lines[0], lines[1], lines[1], *lines[2:]]), encoding="utf-8")  # a key twice
    for processes in (1, 2):
        with pytest.raises(BuildError, match="the providers table did not pass frictionless validation"):
            check_open_data(data, processes=processes)


def test_pages_rendered_in_one_process_are_the_bytes_the_two_workers_wrote(example_build, tmp_path, monkeypatch):
    """The site stage renders its pages in two forked workers once there are more than RENDER_APART of them (the
    example has hundreds): the same build with every page rendered in this process writes the very same files."""
    from dps_publish.site import writer

    output, _ = example_build
    monkeypatch.setattr(writer, "RENDER_APART", 10**9)
    alone = tmp_path / "output"
    build_site(ROOT / "data", alone)
    assert tree_digest(alone) == tree_digest(output)

"""``dps-publish init``: a new council's folder, and the parts of the publisher it needs no npm for."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import ROOT, dps, fill_in

from dps_publish.cli import main
from dps_publish.settings import RULES, SettingsError, load_settings
from dps_publish.site import assets
from dps_publish.sources.rules import GLOSSARY_MUST_EXPLAIN
from dps_publish.sources.schemas import TABLE_ORDER
from dps_publish.starter import COUNCIL_WRITES, PLACEHOLDER_VALUES, PURPOSES, settings_text


@pytest.fixture
def folder(tmp_path) -> Path:
    target = tmp_path / "fenwold"
    assert main(["init", str(target)]) == 0
    return target


def test_init_makes_the_folder_a_council_fills_in(folder):
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*")}
    assert {"pelicanconf.py", "publishconf.py", "README.md", ".gitignore", "published", "content/pages",
            "content/pages/direct-payments.md", "content/pages/easy-read-direct-payments.md"} <= names
    assert not any((folder / "published").iterdir()), "published/ starts empty"
    tables = {p.stem for p in (folder / "data").iterdir()}
    assert tables == set(TABLE_ORDER), "data/ holds a template for every table, the districts table among them"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for step in ("dps-publish validate", "dps-publish build", "dps-publish desk", "districts"):
        assert step in readme
    for page in (folder / "content" / "pages").iterdir():
        assert "<!--" in page.read_text(encoding="utf-8"), f"{page.name} does not say what to write"


def test_init_never_changes_a_folder_that_has_things_in_it(folder, capsys):
    settings = folder / "pelicanconf.py"
    settings.write_text("# the council's own\n", encoding="utf-8")
    before = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    capsys.readouterr()
    assert main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "already holds" in err and "Nothing was written" in err and "Traceback" not in err
    assert settings.read_text(encoding="utf-8") == "# the council's own\n"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == before


def test_the_settings_file_lists_every_setting_with_what_it_is_for():
    assert set(PURPOSES) == {rule.setting for rule in RULES}, "every setting needs its purpose in starter.PURPOSES"
    text = settings_text()
    for rule in RULES:
        assert re.search(rf"^#? ?{rule.setting} = ", text, re.MULTILINE), f"{rule.setting} is not in the file"
    assert "Kent" not in text and "E10000016" not in text


def test_a_new_folder_says_which_settings_the_council_must_write(folder):
    with pytest.raises(SettingsError) as caught:
        load_settings(folder / "pelicanconf.py")
    missing = {(p.setting, p.code) for p in caught.value.problems}
    assert missing == {(name, "setting-missing") for name in COUNCIL_WRITES}
    lines = (folder / "pelicanconf.py").read_text(encoding="utf-8").splitlines()
    for problem in caught.value.problems:  # each is placed on the line to write, and says what to do there
        assert lines[problem.line - 1].startswith(f"# {problem.setting} = "), problem
        assert "remove the #" in problem.message
    fill_in(folder / "pelicanconf.py")
    settings = load_settings(folder / "pelicanconf.py")
    assert (settings.council_name, settings.council_area, settings.council_area_code) == (
        "Fenwold County Council", "Fenwold", "E10000099")
    assert settings.small_number_threshold == 5 and settings.example_data is True


def test_the_public_build_refuses_exactly_the_lines_marked_placeholder(folder):
    fill_in(folder / "pelicanconf.py")
    marked = set(re.findall(r"^([A-Z_]+) = .*# PLACEHOLDER", (folder / "pelicanconf.py").read_text(), re.MULTILINE))
    assert marked == set(PLACEHOLDER_VALUES)
    with pytest.raises(SettingsError) as caught:
        load_settings(folder / "publishconf.py")
    refused = {p.setting for p in caught.value.problems if p.code == "setting-placeholder"}
    assert refused == marked


def test_a_new_folder_validates_to_a_list_of_tables_to_fill_and_no_glossary_work(folder, capsys):
    fill_in(folder / "pelicanconf.py")
    capsys.readouterr()
    assert dps(["validate", "--json", "--data", str(folder / "data"), "--settings", str(folder / "pelicanconf.py"),
                "--content", str(folder / "content"), "--frozen", str(folder / "published"),
                "--cache", str(folder / ".dps-cache")]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert {p["code"] for p in problems} == {"no-rows"}, "the starter glossary explains the words the site uses"
    empty = {Path(p["file"]).stem for p in problems}
    assert {"districts", "programmes", "lots", "providers", "listings", "naming"} <= empty
    glossary = (folder / "data" / "glossary.csv").read_text(encoding="utf-8")
    assert all(f"\n{term}," in glossary for term in GLOSSARY_MUST_EXPLAIN)


def test_the_packaged_govuk_frontend_is_the_release_package_json_pins():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["govuk-frontend"]
    assert (assets.FRONTEND / "SOURCE").read_text().startswith(f"govuk-frontend {pinned}, MIT licence")
    npm = ROOT / "node_modules" / "govuk-frontend"
    if not npm.is_dir():
        pytest.fail("node_modules/govuk-frontend is missing: run `make test`, which runs npm ci", pytrace=False)
    assert json.loads((npm / "package.json").read_text())["version"] == pinned
    pairs = [(npm / "dist" / "govuk" / assets.GOVUK_CSS, assets.FRONTEND / assets.GOVUK_CSS),
             (npm / "dist" / "govuk" / "assets" / "images" / assets.FAVICON, assets.FRONTEND / assets.FAVICON)]
    for released, packaged in pairs:
        assert packaged.read_bytes() == released.read_bytes(), \
            f"{packaged.name} differs from GOV.UK Frontend {pinned}: run `make govuk-frontend` and commit it"


def test_the_theme_is_the_packaged_one_unless_the_folder_has_its_own(tmp_path):
    assert assets.theme_folder(None, tmp_path) == assets.PACKAGED_THEME
    assert (assets.PACKAGED_THEME / "templates" / "base.html").is_file()
    (tmp_path / "theme" / "templates").mkdir(parents=True)
    assert assets.theme_folder(None, tmp_path) == tmp_path / "theme"
    assert assets.theme_folder(tmp_path / "mine", tmp_path) == tmp_path / "mine"
    assert not (ROOT / "theme").exists(), "the example uses the packaged theme, as a new council's folder does"


def test_the_package_data_ships_every_file_of_the_theme_and_govuk_frontend():
    """An installed dps-publish (a wheel, not this checkout) has the whole theme: pyproject's globs cover it."""
    import tomllib

    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = set()
    for package, patterns in globs.items():
        base = ROOT.joinpath(*package.split("."))
        shipped |= {p for pattern in patterns for p in base.glob(pattern) if p.is_file()}
    needed = {p for folder in (assets.PACKAGED_THEME, assets.FRONTEND) for p in folder.rglob("*") if p.is_file()}
    assert needed and not needed - shipped, sorted(str(p.relative_to(ROOT)) for p in needed - shipped)

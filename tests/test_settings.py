"""Settings are checked once, when they are loaded: never a silent fallback, every problem at once."""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path

import lxml.html
import pytest
from helpers import ROOT, THEME, dps, fill_in, tree_digest

from dps_publish.cli import EXIT_SETTINGS, main
from dps_publish.settings import REQUIRED, RULES, SettingsError, load_settings, read_settings_file

# What a council would set for real in publishconf.py: a public build with these has no placeholder.
REAL = [
    "PUBLIC_BUILD = True",
    'SITEURL = "https://dps.kent.gov.uk"',
    'COUNCIL_EMAIL = "accessibility@kent.gov.uk"',
    'COUNCIL_PHONE = "03000 41 41 41"',
    'COUNCIL_ADDRESS = "Sessions House, County Road, Maidstone, ME14 1XQ"',
    "EXAMPLE_DATA = False",
    'OCDS_PREFIX = "ocds-a1b2c3"',
]


def settings_file(folder: Path, *lines: str, name: str = "settings_under_test.py") -> Path:
    """A settings file that starts from the preview settings, as publishconf.py does, then sets ``lines``."""
    path = folder / name
    path.write_text("\n".join([
        "import sys",
        f"if {str(ROOT)!r} not in sys.path:",
        f"    sys.path.append({str(ROOT)!r})",
        "from pelicanconf import *  # noqa: F401,F403",
        *lines,
    ]) + "\n", encoding="utf-8")
    return path


def problems_of(path: Path) -> list:
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    return caught.value.problems


def cli(*args: str) -> list[str]:
    return [*args, "--data", str(ROOT / "data"), "--content", str(ROOT / "content"), "--theme", str(THEME),
            "--frozen", str(ROOT / "published")]


def test_the_preview_settings_load_as_they_are():
    settings = load_settings(ROOT / "pelicanconf.py")
    assert settings.site_url == "https://dps.example.org" and settings.small_number_threshold == 5
    assert not settings.public_build and not settings.rehearsal


def test_a_missing_settings_file_stops_the_build_names_the_file_and_leaves_output_alone(tmp_path, capsys):
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_text("the last good site")
    before = tree_digest(output)
    typo = tmp_path / "publshconf.py"
    code = dps(cli("build", "--settings", str(typo), "--output", str(output), "--cache", str(tmp_path / "cache")))
    err = capsys.readouterr().err
    assert code == EXIT_SETTINGS
    assert "publshconf.py" in err and "there is no settings file" in err and "Traceback" not in err
    assert f"the site in {output} is unchanged" in err
    assert tree_digest(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]  # no cache, no half-built folder


@pytest.mark.parametrize("command", ["validate", "diff", "build", "freeze"])
def test_every_command_reports_a_missing_settings_file_as_json(tmp_path, capsys, command):
    code = dps(cli(command, "--settings", str(tmp_path / "nope.py"), "--output", str(tmp_path / "out"),
                    "--cache", str(tmp_path / "cache"), "--json"))
    report = json.loads(capsys.readouterr().out)
    assert code == EXIT_SETTINGS and report["valid"] is False
    [problem] = report["problems"]
    assert problem["code"] == "settings-file-missing" and problem["file"] == str(tmp_path / "nope.py")


def test_spreadsheet_templates_need_no_settings(tmp_path):
    assert dps(["templates", str(tmp_path / "templates"), "--settings", str(tmp_path / "nope.py")]) == 0


def test_a_folder_is_not_a_settings_file(tmp_path):
    [problem] = problems_of(tmp_path)
    assert problem.code == "settings-file-unreadable" and "is a folder" in problem.message


def test_a_syntax_error_is_named_with_its_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text('SITENAME = "Everyday life support in Kent"\n\nSITEURL = "https://dps.kent.gov.uk\n')
    [problem] = problems_of(path)
    assert (problem.code, problem.line) == ("settings-syntax", 3)
    assert str(problem).startswith(f"{path}, line 3: Python cannot read this line")
    assert 'SITEURL = "https://dps.kent.gov.uk' in problem.message


def test_an_error_when_the_file_runs_is_named_with_its_line_in_plain_words(tmp_path):
    path = tmp_path / "lower_case.py"
    path.write_text('SITENAME = "Everyday life support in Kent"\nEXAMPLE_DATA = false\n')
    [problem] = problems_of(path)
    assert (problem.code, problem.line) == ("settings-run-error", 2)
    assert '"false"' in problem.message and "capital letter" in problem.message


def test_an_error_in_the_settings_it_imports_names_that_file_and_line(tmp_path):
    (tmp_path / "shared_base.py").write_text('SITENAME = "x"\nSMALL_NUMBER_THRESHOLD = 5 / 0\n')
    path = tmp_path / "public_top.py"
    path.write_text("import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\nfrom shared_base import *\n")
    [problem] = problems_of(path)
    assert problem.line == 3 and "shared_base.py, line 2" in problem.message
    assert "ZeroDivisionError" in problem.message


BAD = [
    ("COUNCIL_AREA", "None"),
    ("COUNCIL_AREA_CODE", '"E1000016"'),
    ("COUNCIL_AREA_CODE", '"Kent"'),
    ("SITEURL", '"http://dps.kent.gov.uk"'),
    ("SITEURL", '"https://dps.kent.gov.uk/?page=1"'),
    ("SITEURL", '"https://dps.kent.gov.uk#top"'),
    ("SITEURL", '"https://dps.kent.gov.uk/ "'),
    ("SITEURL", '"dps.kent.gov.uk"'),
    ("SITEURL", '""'),
    ("SITENAME", '"  "'),
    ("SITENAME", "5"),
    ("COUNCIL_NAME", "None"),
    ("COUNCIL_EMAIL", '"accessibility"'),
    ("COUNCIL_EMAIL", '"accessibility@kent"'),
    ("COUNCIL_PHONE", '""'),
    ("COUNCIL_PHONE", "3000414141"),
    ("COUNCIL_ADDRESS", '""'),
    ("EXAMPLE_DATA", '"False"'),
    ("EXAMPLE_DATA", "0"),
    ("SMALL_NUMBER_THRESHOLD", "1"),
    ("SMALL_NUMBER_THRESHOLD", "4.5"),
    ("SMALL_NUMBER_THRESHOLD", "True"),
    ("SMALL_NUMBER_THRESHOLD", '"5"'),
    ("OCDS_PREFIX", '"ocds-abc"'),
    ("OCDS_PREFIX", '"xxxxxx"'),
    ("OCDS_PREFIX", '"ocds-a1b2c3-"'),
    ("CORRECTIONS_EMAIL", '"directory at council"'),
    ("CORRECTIONS_EMAIL", "None"),
    ("COUNCIL_ORG_ID", '"KEN"'),
    ("COUNCIL_ORG_ID", '"GB-LAE"'),
    ("COUNCIL_ORG_ID", '"gb-lae-ken"'),
    ("PUBLIC_BUILD", '"True"'),
    ("ALLOW_PLACEHOLDERS", '"yes"'),
    ("DESK_APPROVERS", '"Sam Patel"'),
    ("DESK_APPROVERS", "['Sam Patel', '']"),
    ("DESK_MAX_FILE_MB", "0"),
    ("DESK_MAX_FILE_MB", '"50"'),
    ("DESK_MAX_PAYMENTS_MB", "1.5"),
    ("DESK_TRUSTED_PROXIES", "['proxy.kent.gov.uk']"),
    ("DESK_TRUSTED_PROXIES", '"10.0.0.5"'),
    ("DESK_USER_HEADER", '"X Remote User"'),
    ("DESK_PUBLIC_ADDRESS", '"desk.kent.gov.uk"'),
    ("DESK_PUBLIC_ADDRESS", '"https://desk.kent.gov.uk/desk"'),
    ("DESK_SECURE_COOKIES", '"yes"'),
    ("DESK_BODY_TIMEOUT", "0"),
]


def test_every_check_has_a_bad_value_below():
    assert {rule.setting for rule in RULES} == {setting for setting, _ in BAD}


@pytest.mark.parametrize("setting, written", BAD)
def test_a_bad_setting_is_named_with_its_value_and_fix(tmp_path, setting, written):
    path = settings_file(tmp_path, f"{setting} = {written}")
    [problem] = problems_of(path)
    rule = next(r for r in RULES if r.setting == setting)
    assert (problem.code, problem.setting, problem.file) == ("setting-invalid", setting, str(path))
    assert problem.value == (eval(written) if written.startswith('"') else written)
    assert str(problem).startswith(f"{path}, {setting}: ")
    assert f"Write it like {rule.example}." in problem.message


@pytest.mark.parametrize("written, site_url, base_path", [
    ('"https://dps.kent.gov.uk"', "https://dps.kent.gov.uk", ""),
    ('"https://dps.kent.gov.uk/"', "https://dps.kent.gov.uk", ""),
    ('"https://www.kent.gov.uk/dps"', "https://www.kent.gov.uk/dps", "/dps"),
    ('"http://127.0.0.1:8000"', "http://127.0.0.1:8000", ""),
    ('"http://localhost:8000/"', "http://localhost:8000", ""),
])
def test_good_site_addresses_are_taken(tmp_path, written, site_url, base_path):
    settings = load_settings(settings_file(tmp_path, f"SITEURL = {written}"))
    assert (settings.site_url, settings.base_path) == (site_url, base_path)


def test_a_missing_setting_is_named_and_only_the_threshold_and_switches_have_defaults(tmp_path):
    path = tmp_path / "few.py"
    path.write_text('SITENAME = "Everyday life support in Kent"\n')
    problems = problems_of(path)
    assert {p.code for p in problems} == {"setting-missing"}
    with_defaults = {"SMALL_NUMBER_THRESHOLD", "PUBLIC_BUILD", "ALLOW_PLACEHOLDERS", "CORRECTIONS_EMAIL"} | {
        r.setting for r in RULES if r.setting.startswith("DESK_")}  # the desk's settings change nothing in the site
    assert {r.setting for r in RULES if r.default is not REQUIRED} == with_defaults
    required = {r.setting for r in RULES} - {"SITENAME"} - with_defaults
    assert {p.setting for p in problems} == required
    assert all("Add a line like" in p.message for p in problems)


def test_several_bad_settings_are_reported_together(tmp_path, capsys):
    path = settings_file(tmp_path, "SMALL_NUMBER_THRESHOLD = 0", 'COUNCIL_ORG_ID = "KEN"', 'EXAMPLE_DATA = "False"')
    code = dps(cli("build", "--settings", str(path), "--output", str(tmp_path / "out"),
                    "--cache", str(tmp_path / "cache"), "--json"))
    report = json.loads(capsys.readouterr().out)
    assert code == EXIT_SETTINGS
    assert [p["setting"] for p in report["problems"]] == ["EXAMPLE_DATA", "SMALL_NUMBER_THRESHOLD", "COUNCIL_ORG_ID"]
    assert not (tmp_path / "out").exists()


PLACEHOLDERS = {"SITEURL", "COUNCIL_EMAIL", "COUNCIL_PHONE", "COUNCIL_ADDRESS", "EXAMPLE_DATA", "OCDS_PREFIX"}


def test_the_public_build_refuses_every_placeholder_and_says_what_to_set(tmp_path, capsys):
    code = dps(cli("build", "--settings", str(ROOT / "publishconf.py"), "--output", str(tmp_path / "out"),
                    "--cache", str(tmp_path / "cache")))
    err = capsys.readouterr().err
    assert code == EXIT_SETTINGS and "Traceback" not in err
    for setting in PLACEHOLDERS:
        assert f"publishconf.py, {setting}: " in err
    assert "ALLOW_PLACEHOLDERS = True" in err
    problems = problems_of(ROOT / "publishconf.py")
    assert {p.setting for p in problems} == PLACEHOLDERS and {p.code for p in problems} == {"setting-placeholder"}


def test_every_value_pelicanconf_marks_placeholder_is_refused_in_a_public_build(tmp_path):
    marked = set(re.findall(r"^([A-Z_]+) = .*# PLACEHOLDER", (ROOT / "pelicanconf.py").read_text(), re.MULTILINE))
    assert marked >= {"SITEURL", "COUNCIL_EMAIL", "OCDS_PREFIX"}
    refused = {p.setting for p in problems_of(settings_file(tmp_path, "PUBLIC_BUILD = True"))}
    assert marked <= refused


def test_a_public_build_with_real_values_loads(tmp_path):
    settings = load_settings(settings_file(tmp_path, *REAL))
    assert settings.public_build and not settings.rehearsal and not settings.example_data


@pytest.mark.parametrize("line, setting", [
    ('SOCIAL = (("Contact us", "https://www.example.org/contact"),)', "SOCIAL"),
    ('COUNCIL_EMAIL = "dps@EXAMPLE.COM"', "COUNCIL_EMAIL"),
    ('SITEURL = "http://127.0.0.1:8000"', "SITEURL"),
])
def test_a_public_build_refuses_an_example_or_local_address_anywhere(tmp_path, line, setting):
    [problem] = problems_of(settings_file(tmp_path, *REAL, line))
    assert (problem.code, problem.setting) == ("setting-placeholder", setting)


def test_a_rehearsal_lets_placeholders_through_and_every_page_says_so(tmp_path, capsys):
    path = settings_file(tmp_path, "PUBLIC_BUILD = True", "ALLOW_PLACEHOLDERS = True", name="rehearsal.py")
    assert load_settings(path).rehearsal
    output = tmp_path / "output"
    assert dps(cli("build", "--settings", str(path), "--output", str(output), "--cache", str(tmp_path / "cache"))) == 0
    capsys.readouterr()
    pages = [p for p in output.rglob("*.html") if "pagefind" not in p.parts]
    assert len(pages) > 300
    for page in pages:
        tree = lxml.html.fromstring(page.read_bytes())
        [notice] = tree.xpath("//div[@role='note'][@aria-label='Rehearsal']")
        assert "practice copy of the public site" in notice.text_content(), page
    for package in (output / "data" / "datapackage.json", output / "data" / "openreferral" / "datapackage.json"):
        assert "REHEARSAL" in json.loads(package.read_text(encoding="utf-8"))["description"], package


def test_the_preview_site_has_no_rehearsal_notice(example_build):
    output, _ = example_build
    assert b'aria-label="Rehearsal"' not in (output / "index.html").read_bytes()


# --- one process, many councils' settings (the desk loads them for weeks) -----------------------------------------


def council_folder(folder: Path, name: str, area: str, code: str, org_id: str, address: str, site: str) -> Path:
    """A folder made by ``dps-publish init`` with the council's own values written in, ready for a public build;
    its ``publishconf.py``, which takes everything else from the ``pelicanconf.py`` beside it."""
    assert main(["init", str(folder)]) == 0
    settings = folder / "pelicanconf.py"
    fill_in(settings, {"SITENAME": f'"Everyday life support in {area}"', "COUNCIL_NAME": f'"{name}"',
                       "COUNCIL_AREA": f'"{area}"', "COUNCIL_AREA_CODE": f'"{code}"', "COUNCIL_ORG_ID": f'"{org_id}"'})
    lowered = area.lower()
    real = {"COUNCIL_ADDRESS": f'"{address}"', "COUNCIL_EMAIL": f'"accessibility@{lowered}.gov.uk"',
            "COUNCIL_PHONE": '"03000 41 41 41"', "EXAMPLE_DATA": "False", "OCDS_PREFIX": f'"ocds-{lowered[:6]}"'}
    text = settings.read_text(encoding="utf-8")
    for setting, value in real.items():
        text, count = re.subn(rf"^{setting} = .*$", f"{setting} = {value}", text, flags=re.MULTILINE)
        assert count == 1, setting
    settings.write_text(text, encoding="utf-8")
    public = folder / "publishconf.py"
    text, count = re.subn(r"^SITEURL = .*$", f'SITEURL = "{site}"', public.read_text(encoding="utf-8"),
                          flags=re.MULTILINE)
    assert count == 1
    public.write_text(text, encoding="utf-8")
    return public


@pytest.fixture
def three_councils(tmp_path) -> dict[Path, tuple[str, str, str]]:
    """The example's publishconf.py and two init folders': each file with its council's name, address and site."""
    fenwold = ("Fenwold County Council", "Fen House, Market Square, Fenby, FW1 2AB", "https://support.fenwold.gov.uk")
    marsh = ("Marshland District Council", "The Moot Hall, Dyke Road, Saltmarsh, MR4 9ZZ",
             "https://dps.marshland.gov.uk/care")
    return {
        ROOT / "publishconf.py": ("Kent County Council", "Example House, Example Street, Maidstone, ME14 0XX",
                                  "https://dps.example.org"),
        council_folder(tmp_path / "fenwold", fenwold[0], "Fenwold", "E10000099", "GB-LAE-FNW", *fenwold[1:]): fenwold,
        council_folder(tmp_path / "marshland", marsh[0], "Marshland", "E07000999", "GB-LAE-MRS", *marsh[1:]): marsh,
    }


def test_each_settings_file_reads_its_own_values_whatever_was_loaded_before_it(three_councils):
    load_settings(ROOT / "pelicanconf.py")  # Pelican's own modules are imported by the first load of the process
    modules, path = set(sys.modules), list(sys.path)
    for order in itertools.permutations(three_councils):
        for public in order:
            values = read_settings_file(public)
            seen = (values["COUNCIL_NAME"], values["COUNCIL_ADDRESS"], values["SITEURL"])
            assert seen == three_councils[public], f"{public} read after {[str(p) for p in order]}"
            if public.parent != ROOT:  # the example's public settings hold placeholders, so only read them
                settings = load_settings(public)
                assert settings.public_build
                assert (settings.council_name, settings.council_address, settings.site_url) == three_councils[public]
    assert set(sys.modules) - modules == set(), "a settings file's modules stayed after it was loaded"
    assert sys.path == path, "a settings file's folder stayed on sys.path after it was loaded"


def test_a_settings_file_reads_the_pelicanconf_beside_it_even_when_another_was_imported(three_councils,
                                                                                        monkeypatch):
    [fenwold] = [p for p in three_councils if "fenwold" in str(p)]
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.setitem(sys.modules, "pelicanconf", None)  # so that the test's import is undone after it
    del sys.modules["pelicanconf"]
    import pelicanconf  # the example's, imported the ordinary way by something else in the process

    assert pelicanconf.COUNCIL_NAME == "Kent County Council"
    assert read_settings_file(fenwold)["COUNCIL_NAME"] == "Fenwold County Council"
    assert sys.modules["pelicanconf"] is pelicanconf, "the process's own import is left as it was"


def test_a_package_the_process_runs_from_the_settings_folder_is_not_imported_a_second_time(tmp_path, monkeypatch):
    """The repository's root holds dps_publish/ beside pelicanconf.py: loading the settings must not give the
    process (a desk serving requests) a second copy of a package it already runs."""
    (tmp_path / "running_code").mkdir()
    (tmp_path / "running_code" / "__init__.py").write_text("", encoding="utf-8")
    settings = tmp_path / "council_settings.py"
    settings.write_text("import running_code\nSITENAME = getattr(running_code, 'MARK', 'a second copy')\n",
                        encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "running_code", None)  # so that the test's import is undone after it
    del sys.modules["running_code"]
    import running_code

    running_code.MARK = "the copy the process runs"
    assert read_settings_file(settings)["SITENAME"] == "the copy the process runs"
    assert sys.modules["running_code"] is running_code

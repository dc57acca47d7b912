"""Helpers for the tests (found from this file, never from the current directory)."""

from __future__ import annotations

import atexit
import csv
import gzip
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from dps_publish.pipeline import Project, build
from dps_publish.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
THEME = ROOT / "dps_publish" / "theme"  # the theme that comes with the package
FIXTURES = Path(__file__).resolve().parent / "fixtures"
_SCRATCH = Path(tempfile.mkdtemp(prefix="dps-tests-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


def in_ci() -> bool:
    """Running in CI (``CI=true``), which always has ``../shared`` and libcoveocds: a check never skips there."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require(path: Path, checks: str, how: str) -> Path:
    """``path``, which a conformance test cannot check ``checks`` without. If it is not there the test is skipped
    saying so, except in CI (``CI=true``), where it fails naming what is missing and how to put it there."""
    if path.exists():
        return path
    reason = f"{path} is not there, so {checks} cannot be checked. {how}"
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a conformance check never skips in CI)", pytrace=False)
    pytest.skip(reason)


def shared_folder() -> Path:
    """The folder of the standards' own files, ``../shared`` beside this clone unless ``DPS_SHARED`` names another."""
    return Path(os.environ.get("DPS_SHARED") or ROOT.parent / "shared")


def shared_path(*parts: str, checks: str) -> Path:
    """A file or folder of ``../shared`` (see ``shared_folder``), through ``require``."""
    return require(shared_folder().joinpath(*parts), checks,
                   f"Put the shared folder beside this clone at {ROOT.parent / 'shared'}, or name it in DPS_SHARED.")


def scratch(name: str = "cache") -> Path:
    """A fresh folder outside the repository, removed when the tests end."""
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=_SCRATCH))


def dps(args: list[str]) -> int:
    """``dps-publish ARGS`` through its ``main()``: every test calls the command through here, so each call has a
    scratch ``--cache`` unless it names one, and nothing is kept in the repository's own ``.dps-cache``."""
    from dps_publish.cli import main

    if "--cache" not in args:
        args = [*args, "--cache", str(scratch())]
    return main(args)


def project(data: Path, output: Path, settings: Path = ROOT / "pelicanconf.py", frozen: Path | None = None) -> Project:
    """A project on the repository's content and theme; frozen rounds default to the repository's own."""
    return Project(data, output, ROOT / "content", THEME, load_settings(settings),
                   frozen=frozen if frozen is not None else ROOT / "published")


def build_site(data: Path, output: Path, on_stage=None, frozen: Path | None = None):
    return build(project(data, output, frozen=frozen), on_stage=on_stage)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict], encoding: str = "utf-8") -> None:
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def set_cell(path: Path, index: int, column: str, value: str) -> int:
    """Change one cell (``index`` counts data rows from 0); returns the spreadsheet row number."""
    header, rows = read_rows(path)
    rows[index][column] = value
    write_rows(path, header, rows)
    return index + 2


def file_texts(folder: Path):
    """(path, text) of every file below ``folder``: gzip-compressed files opened up, and a PDF's text as pypdf
    reads it from its pages (every piece of text, tagged or not), not its compressed bytes."""
    from dps_publish.site.pdftext import read_pdf

    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if data[:5] == b"%PDF-":
            yield path, read_pdf(data).text
            continue
        yield path, data.decode("utf-8", errors="replace")


# The second council's own settings (tests/fixtures/second-council), as a person fills in what init left them.
COUNCIL = {"SITENAME": '"Everyday life support in Fenwold"', "COUNCIL_NAME": '"Fenwold County Council"',
           "COUNCIL_AREA": '"Fenwold"', "COUNCIL_AREA_CODE": '"E10000099"', "COUNCIL_ORG_ID": '"GB-LAE-FNW"'}


def fill_in(settings: Path, values: dict[str, str] = COUNCIL) -> None:
    """Do what a settings file made by ``dps-publish init`` asks: write each of the council's lines, without its #."""
    text = settings.read_text(encoding="utf-8")
    for name, value in values.items():
        text, count = re.subn(rf"^# {name} = .*$", f"{name} = {value}", text, flags=re.MULTILINE)
        assert count == 1, f"{settings.name} has no commented {name} line to fill in"
    settings.write_text(text, encoding="utf-8")

"""The README's "How it works" table is pipeline.STAGES: one row per stage, in order, naming where it is done."""

from __future__ import annotations

import re

from helpers import ROOT

from dps_publish.pipeline import STAGES


def how_it_works_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## How it works", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows[0].replace(" ", "") == "|#|stage|whatitdoes|where|", rows[0]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_the_readme_table_is_the_list_of_stages():
    rows = how_it_works_rows()
    assert len(rows) == len(STAGES)
    for number, (row, stage) in enumerate(zip(rows, STAGES), start=1):
        assert row == [str(number), f"`{stage.name}`", stage.does, f"`{stage.where}`"], row
        assert "(" not in row[3] and "," not in row[3], "one place per stage, no brackets"


def test_each_stage_is_done_where_it_says():
    for stage in STAGES:
        assert (ROOT / "dps_publish" / stage.where).exists(), stage.where
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", stage.name)


def test_every_picture_the_readme_shows_is_there_small_and_described():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", text)
    assert "docs/booklets/cover.png" in {path for _, path in pictures}, "the booklet's cover is shown"
    assert "docs/booklets/inside.png" in {path for _, path in pictures}, "and one of its inside pages"
    for alt, path in pictures:
        picture = ROOT / path
        assert picture.is_file(), f"README shows {path}, which is not in the repository"
        assert picture.stat().st_size < 300_000, f"{path} is {picture.stat().st_size:,} bytes; keep pictures small"
        assert len(alt.split()) >= 3, f"{path} needs alternative text that says what it shows, not {alt!r}"


def test_the_top_level_is_small():
    modules = sorted(p.name for p in (ROOT / "dps_publish").glob("*.py"))
    assert len(modules) <= 12, modules
    folders = sorted(p.name for p in (ROOT / "dps_publish").iterdir() if p.is_dir() and p.name != "__pycache__")
    assert {"sources", "model", "opendata", "site"} <= set(folders), folders

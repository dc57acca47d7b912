"""Nothing Kent-only in the code: every council-specific word comes from the settings or the tables.

Comments and docstrings may use Kent as an example; the example's own files (``data/``, ``content/``,
``pelicanconf.py``, ``publishconf.py``, ``published/``) are the example's. Everything else a person could read
(messages, page text, schema descriptions published in every data package) must not say Kent or carry its
identifiers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from helpers import ROOT

KENT = re.compile(r"(?i:\bkent\b)|E10000016|GB-LAE-KEN|\bKEN\b|E0700010[5-9]|E0700011[0-6]")
PACKAGE = ROOT / "dps_publish"


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def python_strings(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def test_the_check_finds_kent_where_it_is():
    assert KENT.search("They give support in all of Kent.") and KENT.search("GB-LAE-KEN")
    assert not KENT.search("Northshire has 5 areas called districts.")
    sample = ast.parse('"""Kent as an example."""\nx = "support in Kent"\n')
    found = [value for node in ast.walk(sample) if isinstance(node, ast.Constant) and id(node) not in _docstrings(sample)
             for value in [node.value]]
    assert found == ["support in Kent"]


def test_no_string_in_the_code_says_kent():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, text in python_strings(path):
            if KENT.search(text):
                found.append(f"{path.relative_to(ROOT)}:{line}: {text[:100]!r}")
    assert not found, "\n".join(found)


def test_no_template_schema_or_shipped_file_says_kent():
    found = []
    folders = [PACKAGE]  # the theme and the GOV.UK Frontend files ship inside it
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix in (".py", ".pyc", ".png", ".svg", ".woff2", ".woff", ".ico"):
                continue
            if "node_modules" in path.parts or "__pycache__" in path.parts:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            text = re.sub(r"\{#.*?#\}", "", text, flags=re.DOTALL)  # a template's comments are for developers
            for number, line in enumerate(text.splitlines(), start=1):
                if KENT.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not found, "\n".join(found)


def test_a_first_publication_says_so_with_its_counts_and_links_to_nothing_missing(tmp_path, capsys):
    import json

    from browser import html_pages
    from helpers import dps
    from test_site_browser import link_problems, parse_pages

    nothing_frozen, output = tmp_path / "published", tmp_path / "output"
    nothing_frozen.mkdir()
    assert dps(["diff", "--frozen", str(nothing_frozen), "--output", str(output), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    first = summary["first_publication"]
    assert first["programmes"] >= 1 and first["lots"] >= 1 and first["providers"] >= 1 and first["pages"] > 300
    assert summary["compared_with"] == "nothing: this is the first publication"
    assert dps(["build", "--frozen", str(nothing_frozen), "--output", str(output)]) == 0
    said = capsys.readouterr().out
    assert (f"This is the first publication: it holds {first['programmes']} programmes, {first['lots']} lots, "
            f"{first['rounds']} rounds, {first['providers']} providers, {first['listings']} listings and "
            f"{first['pages']} pages.") in said
    assert "No changes to the published tables or pages" not in said
    assert not (output / "data" / "latest").exists()
    broken, _, problems = link_problems(output, parse_pages(html_pages(output)))
    assert broken == 0, "\n".join(problems)


def test_a_council_without_areas_gets_its_districts_listed_without_headings(tmp_path):
    import shutil

    from helpers import build_site, read_rows, write_rows
    from lxml import html

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    header, rows = read_rows(data / "districts.csv")
    for row in rows:
        row["area"] = ""
    write_rows(data / "districts.csv", header, rows)
    output = tmp_path / "output"
    build_site(data, output, frozen=ROOT / "published")
    page = html.fromstring((output / "find-support" / "index.html").read_bytes())
    main = page.get_element_by_id("main-content")
    # No area headings: only the "Where do you live?" box's own (the example has places and postcodes).
    assert [h.text_content() for h in main.iter("h2")] == ["Where do you live?", "Or choose your district"]
    assert len(main.xpath(".//ul/li/a")) == len(rows)
    easy = (output / "easy-read" / "find-support" / "index.html").read_text(encoding="utf-8")
    assert f"Kent has {len(rows)} areas called districts." in easy  # COUNCIL_AREA, and the table's count
    services = (output / "data" / "openreferral" / "service_areas.csv").read_text(encoding="utf-8")
    assert "Maidstone (ONS code E07000110)" in services and "All of Kent (ONS code E10000016)" in services

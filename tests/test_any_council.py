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
    folders = [ROOT / "theme", PACKAGE]
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

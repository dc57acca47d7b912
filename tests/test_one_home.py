"""One home each: a helper that several modules need is written once, and this test finds each one where it lives.

Read from the code with ``ast``, so a copy pasted into a new module is found the day it is written:

- telling UTF-8 from Windows-1252 and spotting what is not text: the codec's name and the byte-order marks
  appear in ``sources/encoding.py`` only;
- writing a file atomically (a file written under one name, then renamed over another): ``files.write_atomically``;
- link or copy (a hard link, else a copy): ``files.link_or_copy``;
- the quarter notation (``2023-Q1``, ``2023-24-q1``): ``quarters.py``;
- the organisation register (the org-id.guide lists a registration number is on): ``opendata/registers.py``.

Each check is shown finding the copies in a small package written here, so it can fail.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import ROOT

PACKAGE = ROOT / "dps_publish"


def trees(package: Path) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(package.rglob("*.py")):
        yield path.relative_to(package.parent).as_posix(), ast.parse(path.read_text(encoding="utf-8"), str(path))


def functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """Every function (methods and nested ones too) by its qualified name, and the module's own top level."""
    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield f"{prefix}{child.name}", child
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield "<module>", tree
    yield from walk(tree, "")


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function (or module) that are not inside a function of their own."""
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield child
        yield from _own_nodes(child)


def _call_name(call: ast.Call) -> str:
    """``os.replace``, ``.replace`` (a method on anything else), ``open``."""
    func = call.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) and func.value.id in ("os", "tempfile", "io") else ""
        return f"{owner}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


def _name(node) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


# The checks ---------------------------------------------------------------------------------------------------------

def atomic_writers(package: Path) -> list[str]:
    """Functions that write a file under one name and rename it over another.

    A name is written when it is opened for writing (``open``, ``os.open``), written whole (``.write_text``,
    ``.write_bytes``) or made by ``tempfile.mkstemp``; it is renamed over another when it is the first argument
    of ``os.replace`` or ``os.rename``, or a path whose ``.replace`` or ``.rename`` takes one argument.
    """
    found = []
    for module, tree in trees(package):
        for qualified, scope in functions(tree):
            written, renamed = set(), set()
            for node in _own_nodes(scope):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                        and _call_name(node.value) in ("tempfile.mkstemp", "tempfile.NamedTemporaryFile"):
                    for target in node.targets:
                        for item in ast.walk(target):
                            if isinstance(item, ast.Name):
                                written.add(item.id)
                if not isinstance(node, ast.Call):
                    continue
                name = _call_name(node)
                if name in ("open", "os.open", "io.open") and node.args:
                    written.add(_name(node.args[0]))
                elif name in (".write_text", ".write_bytes", ".open"):
                    written.add(_name(node.func.value))
                elif name in ("os.replace", "os.rename") and node.args:
                    renamed.add(_name(node.args[0]))
                elif name in (".replace", ".rename") and len(node.args) == 1 and not node.keywords:
                    renamed.add(_name(node.func.value))
            if (written & renamed) - {None}:
                found.append(f"{module}::{qualified}")
    return found


def linkers(package: Path) -> list[str]:
    """Functions that make a hard link (``os.link``, ``Path.hardlink_to``)."""
    return [f"{module}::{qualified}" for module, tree in trees(package) for qualified, scope in functions(tree)
            if any(isinstance(n, ast.Call) and _call_name(n) in ("os.link", ".hardlink_to") for n in _own_nodes(scope))]


def _strings(tree: ast.Module) -> Iterator[tuple[str | bytes, ast.AST]]:
    """Every str and bytes constant, with f-strings' literal parts, and the node it is an argument of, if any."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            parent = parents.get(node)
            yield node.value, parents.get(parent) if isinstance(parent, ast.JoinedStr) else parent


def modules_with(package: Path, wanted: Callable[[str | bytes, ast.AST | None], bool]) -> list[str]:
    return [module for module, tree in trees(package) if any(wanted(value, parent) for value, parent in _strings(tree))]


WINDOWS_1252 = re.compile(r"(cp|windows)[-_]?1252", re.IGNORECASE)
BYTE_ORDER_MARKS = {b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"}


def encoding_names(value, parent) -> bool:
    """The Windows-1252 codec, any byte-order mark, or the codec that drops UTF-8's."""
    if isinstance(value, bytes):
        return any(mark in value for mark in BYTE_ORDER_MARKS)
    return bool(WINDOWS_1252.fullmatch(value)) or value.lower() in ("utf-8-sig", "utf_8_sig")


def quarter_notation(value, parent) -> bool:
    """The quarter's separator (``-Q``, ``-q``) joined or split on, or in a regular expression."""
    if isinstance(value, bytes):
        return False
    if value in ("-Q", "-q") or (isinstance(parent, ast.JoinedStr) and re.search(r"-[qQ]$", value)):
        return True
    in_pattern = isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) \
        and _name(parent.func.value) == "re"
    return in_pattern and bool(re.search(r"-[qQ][(\[]", value))


def register_prefixes(value, parent) -> bool:
    """The org-id.guide lists of Companies House and the Charity Commission."""
    return isinstance(value, str) and value in ("GB-COH", "GB-CHC")


# The checks can fail ------------------------------------------------------------------------------------------------

COPIES = {
    "a.py": '''
import os, tempfile, shutil
def save(path, text):
    handle, name = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(handle, "w") as f:
        f.write(text)
    os.replace(name, path)
def place(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
def period(p):
    year, quarter = p.split("-Q")
    return open(p, encoding="cp1252").read().removeprefix("\\ufeff") + f"{year}-q"
SCHEME = {"company": "GB-COH"}
''',
    "b.py": '''
import os, re
class State:
    def save(self):
        partial = self.path.with_suffix(".part")
        partial.write_text("x")
        partial.replace(self.path)
        self.path.replace("a", "b")  # a string's replace: two arguments
def move(source, target):
    os.replace(source, target)  # not written here: a move, not a write
QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
HINTS = {"^[0-9]{4}-Q[1-4]$": "like 2023-Q1"}  # a schema's pattern, as text: no parser
BOM = b"\\xef\\xbb\\xbf"
''',
}


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("copies") / "dps_publish"
    root.mkdir()
    for name, text in COPIES.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_each_check_finds_copies(copies):
    assert atomic_writers(copies) == ["dps_publish/a.py::save", "dps_publish/b.py::State.save"]
    assert linkers(copies) == ["dps_publish/a.py::place"]
    assert modules_with(copies, encoding_names) == ["dps_publish/a.py", "dps_publish/b.py"]
    assert modules_with(copies, quarter_notation) == ["dps_publish/a.py", "dps_publish/b.py"]
    assert modules_with(copies, register_prefixes) == ["dps_publish/a.py"]


# The package itself -------------------------------------------------------------------------------------------------

def _only(found: list[str], home: str, what: str, use: str) -> None:
    assert found == [home], f"{what} is written in more places than {home}: use {use} instead:\n  " + "\n  ".join(
        f for f in found if f != home)


def test_one_atomic_write():
    _only(atomic_writers(PACKAGE), "dps_publish/files.py::write_atomically", "an atomic write",
          "dps_publish.files.write_atomically")


def test_one_link_or_copy():
    _only(linkers(PACKAGE), "dps_publish/files.py::link_or_copy", "a hard link", "dps_publish.files.link_or_copy")


def test_one_home_for_telling_encodings_apart():
    _only(modules_with(PACKAGE, encoding_names), "dps_publish/sources/encoding.py",
          "telling UTF-8 from Windows-1252 (a codec name or a byte-order mark)", "dps_publish.sources.encoding")


def test_one_home_for_the_quarter_notation():
    _only(modules_with(PACKAGE, quarter_notation), "dps_publish/quarters.py", "the quarter notation",
          "dps_publish.quarters")


def test_one_organisation_register():
    _only(modules_with(PACKAGE, register_prefixes), "dps_publish/opendata/registers.py", "the organisation register",
          "dps_publish.opendata.registers")


# The homes do what their callers did ----------------------------------------------------------------------------------

def test_an_atomic_write_keeps_the_callers_permissions_and_leaves_nothing_behind(tmp_path):
    import os

    from dps_publish.files import link_or_copy, write_atomically

    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "page.json", "{}\n")  # what the build writes: readable by the web server
        write_atomically(tmp_path / "users.toml", "secret", mode=0o600, durable=True)  # the desk's own records
    finally:
        os.umask(umask)
    assert (tmp_path / "page.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "users.toml").stat().st_mode & 0o777 == 0o600
    write_atomically(tmp_path / "page.json", b"new")
    assert (tmp_path / "page.json").read_bytes() == b"new"
    with pytest.raises(TypeError):
        write_atomically(tmp_path / "page.json", 12)  # fails after the temporary file is made
    assert (tmp_path / "page.json").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.json", "users.toml"]
    link_or_copy(tmp_path / "page.json", tmp_path / "linked.json")
    assert (tmp_path / "linked.json").stat().st_ino == (tmp_path / "page.json").stat().st_ino

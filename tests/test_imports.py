"""Layers point one way: read from dps_publish's own imports, every one of them, at any depth in a module.

An import inside a function is still an import (it is how a cycle usually hides), and so is one under
``if TYPE_CHECKING``. A package's ``__init__`` is a module like any other, named by its package: an edge
goes to it only when something imports a name from it (``from .. import __version__``), never just because
a submodule is inside it (Python has the package in ``sys.modules`` before its ``__init__`` runs, so
``__init__`` importing its own submodules is no cycle).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "dps_publish"
LOWER_LAYERS = ("dps_publish.model", "dps_publish.sources")  # read and model: they know nothing of the outputs
HIGHER_LAYERS = ("dps_publish.opendata", "dps_publish.site")


@dataclass(frozen=True)
class Edge:
    source: str  # the importing module
    target: str  # the imported module
    line: int
    names: tuple[str, ...]  # the names taken from it (empty for ``import x``)

    def __str__(self) -> str:
        taken = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.source} line {self.line} imports {self.target}{taken}"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(path, package): path for path in sorted(package.rglob("*.py"))}


def _resolve(source: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name an ``ImportFrom`` reads from (``from ..x import y`` in ``a.b.c`` is ``a.x``)."""
    if not node.level:
        return node.module or ""
    base = source.split(".")
    if not is_package:
        base = base[:-1]  # a module's own package
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(source: str, path: Path, known: set[str]) -> list[Edge]:
    """Every import of one of ``known`` in the module, wherever in it the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    edges = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    edges.append(Edge(source, alias.name, node.lineno, ()))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(source, path.name == "__init__.py", node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:  # ``from . import x`` where x is a module
                    edges.append(Edge(source, submodule, node.lineno, ()))
                elif base in known:
                    edges.append(Edge(source, base, node.lineno, (alias.name,)))
    return edges


@cache
def all_edges() -> tuple[Edge, ...]:
    found = modules()
    known = set(found)
    return tuple(edge for name, path in found.items() for edge in imports_of(name, path, known))


def cycles(edges) -> list[list[str]]:
    """Each group of modules that import each other, directly or round a loop (Tarjan's components), sorted."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(start: str) -> None:  # iterative: no recursion limit however deep the imports go
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in graph[node]:
                        groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def cycle_words(group: list[str], edges) -> str:
    inside = [str(e) for e in edges if e.source in group and e.target in group]
    return " <-> ".join(group) + ":\n    " + "\n    ".join(sorted(inside))


def private_imports(edges) -> list[str]:
    """``from x import _name`` across modules: a private name is its module's own business."""
    return [str(e) for e in edges for name in e.names
            if name.startswith("_") and not (name.startswith("__") and name.endswith("__"))]


def private_attributes(package: Path = PACKAGE) -> list[str]:
    """``module._name`` on a module imported whole (``from . import sitecheck; sitecheck._check(...)``)."""
    found = modules(package)
    known = set(found)
    out = []
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        bound = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _resolve(name, path.name == "__init__.py", node)
                for alias in node.names:
                    if f"{base}.{alias.name}" in known:
                        bound[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in known and alias.asname:
                        bound[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
                    and node.attr.startswith("_") and not node.attr.endswith("__") and bound[node.value.id] != name):
                out.append(f"{name} line {node.lineno} uses {bound[node.value.id]}.{node.attr}")
    return out


def layer_breaks(edges) -> list[str]:
    def under(module: str, packages) -> bool:
        return any(module == p or module.startswith(p + ".") for p in packages)

    return [str(e) for e in edges if under(e.source, LOWER_LAYERS) and under(e.target, HIGHER_LAYERS)]


# The checks can fail: each is shown finding what it is for in a small package written here -----------------------

def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "dps_publish"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _edges(root: Path) -> list[Edge]:
    found = modules(root)
    return [e for name, path in found.items() for e in imports_of(name, path, set(found))]


def test_the_checks_find_what_they_are_for(tmp_path):
    root = _package(tmp_path, {
        "model/__init__.py": "",
        "model/a.py": "def f():\n    from ..site.b import shown\n",  # a function-level import, up a layer
        "site/__init__.py": "from . import b\n",  # an __init__ importing its own submodule: no cycle
        "site/b.py": "from .c import _hidden\nshown = 1\n",
        "site/c.py": "from . import b\n_hidden = 2\ndef g():\n    return b._secret\n",
        "d.py": "from . import __version__\n",
    })
    edges = _edges(root)
    assert cycles(edges) == [["dps_publish.site.b", "dps_publish.site.c"]]
    assert private_imports(edges) == ["dps_publish.site.b line 1 imports dps_publish.site.c (_hidden)"]
    assert private_attributes(root) == ["dps_publish.site.c line 4 uses dps_publish.site.b._secret"]
    assert layer_breaks(edges) == ["dps_publish.model.a line 2 imports dps_publish.site.b (shown)"]
    assert Edge("dps_publish.d", "dps_publish", 1, ("__version__",)) in edges


def test_the_walk_sees_the_whole_package():
    names = set(modules())
    assert {"dps_publish", "dps_publish.cli", "dps_publish.site.booklets", "dps_publish.desk.uploads",
            "dps_publish.sources.readers", "dps_publish.model.payments"} <= names
    assert len(all_edges()) > 200
    assert any(e.source == "dps_publish.site.booklets" and e.target == "dps_publish.cache" for e in all_edges())


# The package itself -------------------------------------------------------------------------------------------------

def test_no_module_imports_itself_round_a_loop():
    edges = all_edges()
    found = cycles(edges)
    assert not found, "modules that import each other:\n" + "\n".join(cycle_words(g, edges) for g in found)


def test_no_private_name_is_imported_from_another_module():
    found = private_imports(all_edges()) + private_attributes()
    assert not found, "private names used from another module:\n  " + "\n  ".join(found)


def test_reading_and_the_model_know_nothing_of_the_outputs():
    found = layer_breaks(all_edges())
    assert not found, "model/ or sources/ importing opendata/ or site/:\n  " + "\n  ".join(found)


# Per-page artefacts (booklets today) are reached only through their seam (site/artefact.py, site/artefacts.py) -----

ARTEFACT_SEAM = "dps_publish.site.artefacts"  # the stage that runs every kind
ARTEFACT_KINDS = ("dps_publish.site.booklets", "dps_publish.site.audio")  # one module for each kind
# What the issue names: these know "artefacts", never a kind, neither by import nor by a name in their code
# (site/contexts.py declares every template's context, booklet.html's too, so it names BookletContext).
KNOW_ONLY_THE_SEAM = ("dps_publish.pipeline", "dps_publish.site.writer", "dps_publish.site.templating",
                      "dps_publish.cli", "dps_publish.cache")


def kind_imports(edges, kinds=ARTEFACT_KINDS) -> list[str]:
    """Imports of a kind's module by anything but the seam's stage (or another kind that builds on it: the
    recordings are of the booklets' pages, from the same rendered content)."""
    return [str(e) for e in edges if e.target in kinds and e.source not in (ARTEFACT_SEAM, *kinds)]


def kind_names(package: Path = PACKAGE, words=("booklet", "audio"), within=KNOW_ONLY_THE_SEAM) -> list[str]:
    """A kind named in the code (a variable, attribute, argument or function: words for people are fine)."""
    found = []
    for name, path in modules(package).items():
        if name not in within:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            named = (node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute)
                     else node.arg if isinstance(node, ast.arg)
                     else node.name if isinstance(node, ast.FunctionDef | ast.ClassDef) else "")
            if any(w in named.lower() for w in words):
                found.append(f"{name} line {node.lineno} names {named}")
    return found


def test_the_build_reaches_booklets_only_through_the_artefact_seam():
    edges = all_edges()
    assert not kind_imports(edges), "\n".join(kind_imports(edges))
    assert not kind_names(), "\n".join(kind_names())
    for module in ("dps_publish.pipeline", "dps_publish.site.writer"):
        assert any(e.source == module and e.target == ARTEFACT_SEAM for e in edges), f"{module} does not use the seam"
    assert any(e.source == ARTEFACT_SEAM and e.target == "dps_publish.site.booklets" for e in edges)


def test_the_seam_check_finds_a_kind_reached_round_it(tmp_path):
    root = _package(tmp_path, {
        "site/__init__.py": "",
        "site/booklets.py": "MADE = 1\n",
        "site/artefacts.py": "from .booklets import MADE\n",
        "site/writer.py": "from .booklets import MADE\n",
        "pipeline.py": "def build(result):\n    return result.booklets_rendered\n",
    })
    assert kind_imports(_edges(root)) == ["dps_publish.site.writer line 1 imports dps_publish.site.booklets (MADE)"]
    assert kind_names(root) == ["dps_publish.pipeline line 2 names booklets_rendered"]

"""Read, normalise and check every source table; report all problems together.

This is the ``validate`` stage (readers, normalise, checks, rules) over the whole
data folder. Nothing is written: a caller gets either the checked tables or
every problem found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..cache import CacheFolders
from ..problems import Problem
from .checks import check_table
from .normalise import normalise_table
from .readers import Header, find_table_files, normalise_label, read_table
from .rules import SourceTable, check_foreign_keys, check_rules, refused_cells
from .schemas import TABLE_ORDER, load_schema
from .tablecache import TableCache


@dataclass
class Validation:
    tables: dict[str, SourceTable]
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_folder(data_dir: Path, cache: Path | None = None) -> Validation:
    """Every problem of the data folder. With a ``cache`` (the cache root), a table file that passed its own
    checks in an earlier build is not read or checked again (see ``tablecache``)."""
    data_dir = Path(data_dir)
    kept = TableCache(CacheFolders(cache).tables)
    if not data_dir.is_dir():
        return Validation({}, [Problem(str(data_dir), None, None, "missing-folder", None,
                                       "this data folder does not exist. Check the path given with --data.")])
    files, problems = find_table_files(data_dir)
    tables: dict[str, SourceTable] = {}
    unreadable: set[str] = set()
    headers: dict[str, Header] = {}  # each file's own header, as read: where its problems' cells are
    for name in TABLE_ORDER:
        schema = load_schema(name)
        path = files.get(name)
        if path is None:
            if schema.required_table:
                problems.append(Problem(f"{name}.csv", None, None, "missing-table", None,
                                        f"the {name} table is needed but there is no {name}.csv or {name}.xlsx "
                                        "in the data folder. Add it."))
            continue
        cached = kept.load(name, path)
        if cached is not None:
            tables[name] = cached
            headers[path.name] = cached.header
            continue
        before = len(problems)
        raw = read_table(name, path)
        headers[path.name] = raw.header
        problems += raw.problems
        if not raw.labels:
            unreadable.add(name)
            if not raw.problems:
                problems.append(Problem(path.name, None, None, "empty-file", None,
                                        "this file is empty. Export the table again with its header row."))
            continue
        typed, frame, header_problems = normalise_table(raw, schema)
        problems += header_problems
        if frame.empty and schema.required_table:
            problems.append(Problem(path.name, 2, None, "no-rows", None,
                                    f"this file has a header but no rows; the {name} table needs at least one."))
        missing = {p.column for p in header_problems if p.code == "missing-label"}
        problems += check_table(path.name, frame, typed, schema, skip=missing)
        present = frozenset(normalise_label(label) for label in raw.labels) & set(schema.field_names)
        table = SourceTable(name, path.name, typed, frame, present, raw.header)
        if any(p.code in STRUCTURAL for p in raw.problems + header_problems):
            unreadable.add(name)  # its own problems are reported; other tables are not checked against it
        else:
            tables[name] = table
            if len(problems) == before:
                kept.save(table, path)
    # All problems are reported together: tables that could be read are checked against each other.
    problems += check_foreign_keys(tables, unreadable)
    problems += check_rules(tables, refused_cells(problems))  # a cell with a problem is not read again
    problems = [headers[p.file].place(p) if p.file in headers else p for p in set(problems)]
    return Validation(tables, sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or "", p.code,
                                                              p.value or "", p.message)))


# A table with one of these problems cannot be trusted row by row, so no cross-table rule reads it.
STRUCTURAL = {"missing-label", "duplicate-label", "bad-encoding", "unreadable-file", "malformed-csv", "empty-file",
              "missing-cell", "extra-cell", "blank-label"}

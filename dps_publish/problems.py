"""Problems found in the source tables, as data.

Every problem has a stable ``code`` (tests and scripts rely on it), the place
it was found (file, spreadsheet row, column), the bad value, and a message in
words a comms officer understands that says what to do about it.

The codes that mean the same as frictionless' error types use frictionless'
names (``type-error``, ``constraint-error``, ``primary-key``, ``foreign-key``,
``missing-label``, ``extra-label``, ``blank-label``, ``duplicate-label``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    code: str
    value: str | None
    message: str

    def __str__(self) -> str:
        place = [self.file]
        if self.row is not None:
            place.append(f"row {self.row}")
        if self.column:
            place.append(f"column {self.column}")
        return f"{', '.join(place)}: {self.message}"

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


def quote(value: object, limit: int = 60) -> str:
    """A cell value as people should see it in a message: quoted, short, printable."""
    text = str(value)
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def one_of(options, limit: int = 12) -> str:
    options = list(options)
    shown = ", ".join(str(o) for o in options[:limit])
    return shown + (", …" if len(options) > limit else "")


class DataProblems(Exception):
    """The source tables have problems: nothing is published."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_sort_key)
        super().__init__(f"{len(self.problems)} problem(s) in the source tables")


def _sort_key(p: Problem):
    return (p.file, p.row if p.row is not None else -1, p.column or "", p.code, p.value or "")


class BuildError(Exception):
    """A build step failed for a reason that is not a data problem (disk, permissions, tools)."""

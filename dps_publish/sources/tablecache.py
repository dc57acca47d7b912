"""Tables already checked, kept between builds so an unchanged file is not read again.

A year of payments takes seconds to read, normalise and check; a rebuild after
a provider's description changed should not pay that again. A table that
passed its own checks (read, normalised and its cells checked) is kept in the build cache as Arrow
files, keyed on the file's bytes and the publisher's own code: the same key
means the same table and the same (empty) list of problems. Cross-table rules
(foreign keys, contract rules) still run on every build, because another
table may have changed. Nothing here is ever published.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..cache import code_digest, file_digest
from .readers import Header
from .rules import SourceTable

CACHE_VERSION = "2"  # 2: the file's header and sheet are kept, so rule problems name their cells


@dataclass
class TableCache:
    folder: Path | None

    def key(self, name: str, path: Path) -> str:
        return hashlib.sha256(f"{CACHE_VERSION}\0{name}\0{path.name}\0{file_digest(path)}\0{code_digest()}"
                              .encode()).hexdigest()[:32]

    def load(self, name: str, path: Path) -> SourceTable | None:
        """The table as checked by an earlier build, or None."""
        if self.folder is None:
            return None
        base = self.folder / f"{name}-{self.key(name, path)}"
        try:
            about = json.loads((base / "about.json").read_text(encoding="utf-8"))
            frame = _read(base / "frame.arrow")
            typed = _read(base / "typed.arrow") if about["typed_differs"] else None
            header = Header(tuple(about["labels"]), about["sheet"])  # where each cell is, for rule problems
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if typed is not None:
            for column in frame.columns:
                if column not in typed.columns:
                    typed[column] = frame[column]
            typed = typed[list(frame.columns)]
        return SourceTable(name, path.name, frame if typed is None else typed, frame, frozenset(about["present"]),
                           header)

    def save(self, table: SourceTable, path: Path) -> None:
        """Keep a table that passed its own checks; any older copy of the same table is removed."""
        if self.folder is None:
            return
        tables = self.folder
        base = tables / f"{table.name}-{self.key(table.name, path)}"
        partial = base.with_name(base.name + ".part")
        try:
            _remove(partial)
            partial.mkdir(parents=True)
            _write(table.frame, partial / "frame.arrow")
            differs = [c for c in table.frame.columns if not table.typed[c].equals(table.frame[c])]
            if differs:
                _write(table.typed[differs], partial / "typed.arrow")
            (partial / "about.json").write_text(json.dumps({"present": sorted(table.present),
                                                            "typed_differs": bool(differs),
                                                            "labels": list(table.header.labels),
                                                            "sheet": table.header.sheet}), encoding="utf-8")
            for old in tables.glob(f"{table.name}-*"):
                if old.name.rsplit("-", 1)[-1].isalnum() and len(old.name) == len(base.name):
                    _remove(old)
            os.replace(partial, base)
        except OSError:
            _remove(partial)  # a cache that cannot be written is only slower, never wrong


def _write(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.feather as feather

    feather.write_feather(pa.Table.from_pandas(frame, preserve_index=True), str(path), compression="uncompressed")


def _read(path: Path) -> pd.DataFrame:
    import pyarrow.feather as feather

    return feather.read_table(str(path), memory_map=True).to_pandas()


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)

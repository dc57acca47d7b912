"""The Table Schemas of the source tables, one frictionless JSON file per table.

The JSON files beside this module are the contract in machine form. Besides
standard Table Schema properties they carry a few of ours, all prefixed ``x-``:

- ``x-list``: the column holds several values separated by ``;``;
- ``x-itemEnum``: the values each item of a list may take;
- ``x-money``: the column holds money, which people write in many ways;
- ``x-exempt``: the column is never published (why, in words);
- ``x-key``: a unique key whose parts may be blank (so not a primary key);
- ``x-postcode``: the column holds UK postcodes, written in any spacing and case;
- ``x-required-table``: the table must be present in the data folder;
- ``x-replaced-columns``: columns the table used to have, each with what replaced it (a file that still has
  one is refused with those words).

``published_schema`` strips exempt fields and every ``x-`` property, giving
the schema that goes out with the data package.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

TABLE_ORDER = (
    "districts",
    "programmes",
    "lots",
    "rounds",
    "providers",
    "listings",
    "spend",
    "envelopes",
    "kpi_definitions",
    "kpis",
    "milestones",
    "payments",
    "naming",
    "glossary",
    "places",
    "postcodes",
    "pronunciations",
)


@dataclass(frozen=True)
class TableSchema:
    name: str
    descriptor: dict

    @property
    def fields(self) -> list[dict]:
        return self.descriptor["fields"]

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def field(self, name: str) -> dict:
        for f in self.fields:
            if f["name"] == name:
                return f
        raise KeyError(name)

    @property
    def required_table(self) -> bool:
        return bool(self.descriptor.get("x-required-table"))

    @property
    def key(self) -> list[str]:
        return self.descriptor.get("primaryKey") or self.descriptor.get("x-key") or []

    @property
    def foreign_keys(self) -> list[dict]:
        return self.descriptor.get("foreignKeys", [])

    @property
    def exempt_fields(self) -> list[str]:
        return [f["name"] for f in self.fields if f.get("x-exempt")]

    def required_fields(self) -> list[str]:
        return [f["name"] for f in self.fields if f.get("constraints", {}).get("required")]


@cache
def load_schema(name: str) -> TableSchema:
    text = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return TableSchema(name, json.loads(text))


def all_schemas() -> dict[str, TableSchema]:
    return {name: load_schema(name) for name in TABLE_ORDER}


def published_schema(name: str, fields: list[str] | None = None, derived: dict | None = None) -> dict:
    """The schema as published: no exempt field, no ``x-`` property.

    ``fields`` limits it to the columns the publishable model carries, in
    that order; a published schema never names a column the file lacks.
    ``derived`` describes columns the model works out (not in the source).
    """
    src = load_schema(name)
    keep = fields if fields is not None else [f for f in src.field_names if f not in src.exempt_fields]
    out = {k: copy.deepcopy(v) for k, v in src.descriptor.items() if not k.startswith("x-")}
    by_name = {f["name"]: f for f in src.fields} | (derived or {})
    out["fields"] = [
        {k: copy.deepcopy(v) for k, v in by_name[n].items() if not k.startswith("x-")} for n in keep
    ]
    if "foreignKeys" in out:
        # frictionless reads a composite key with a blank part as a broken reference, so
        # such keys (e.g. a listing's programme and optional round) are checked at input only.
        required = set(src.required_fields())
        out["foreignKeys"] = [
            fk for fk in out["foreignKeys"]
            if set(fk["fields"]) <= set(keep) and (len(fk["fields"]) == 1 or set(fk["fields"]) <= required)
        ]
        if not out["foreignKeys"]:
            del out["foreignKeys"]
    return out

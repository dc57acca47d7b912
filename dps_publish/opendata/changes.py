"""What changed between two versions of the published tables, in plain words.

Both sides are read from published CSV files (a frozen round, or the data a
build has just written), so the comparison sees exactly what a data user
sees. The changelog page, ``changelog.csv`` and ``dps-publish diff`` all use it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from pathlib import Path

from ..words import money

TABLES = ("programmes", "lots", "rounds", "providers", "listings", "spend", "envelopes")


@dataclass(frozen=True, order=True)
class Change:
    kind: str  # provider-joined, provider-left, provider-suspended, provider-back, listing-moved,
    #            lot-closed, lot-reopened, round-added, figure-revised, figure-added, figure-removed,
    #            provider-details-changed
    text: str
    table: str = ""
    key: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def read_tables(folder: Path) -> dict[str, list[dict]]:
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if path.is_file():
            tables[name] = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return tables


def compare(old: dict[str, list[dict]], new: dict[str, list[dict]]) -> list[Change]:
    names = {r["provider_id"]: r["name"] for r in old.get("providers", []) + new.get("providers", [])}
    lot_names = {(r["programme_id"], r["lot_id"]): r["name"] for r in old.get("lots", []) + new.get("lots", [])}
    changes = _listing_changes(old, new, names, lot_names)
    changes += _lot_changes(old, new)
    changes += _round_changes(old, new)
    changes += _figure_changes(old, new)
    changes += _provider_detail_changes(old, new)
    return sorted(set(changes))


def _keyed(rows: list[dict], *key: str) -> dict[tuple, dict]:
    return {tuple(r[k] for k in key): r for r in rows}


def _lot_words(lot_names, programme_id: str, lot_id: str) -> str:
    return f"lot {lot_id} ({lot_names.get((programme_id, lot_id), lot_id)})"


def _listing_changes(old, new, names, lot_names) -> list[Change]:
    before = _keyed(old.get("listings", []), "programme_id", "lot_id", "provider_id")
    after = _keyed(new.get("listings", []), "programme_id", "lot_id", "provider_id")
    out = []
    for key, row in after.items():
        pid, lot, provider = key
        who, where = names.get(provider, provider), _lot_words(lot_names, pid, lot)
        ref = "/".join(key)
        previous = before.get(key)
        if previous is None:
            kind, verb = ("provider-left", "left") if row["status"] == "left" else ("provider-joined", "joined")
            out.append(Change(kind, f"{who} {verb} {where}.", "listings", ref))
            continue
        if previous["status"] != row["status"]:
            if row["status"] == "left":
                out.append(Change("provider-left", f"{who} left {where}.", "listings", ref))
            elif row["status"] == "suspended":
                out.append(Change("provider-suspended", f"{who} is not taking new people on {where} at the moment.",
                                  "listings", ref))
            else:
                out.append(Change("provider-back", f"{who} is taking new people again on {where}.", "listings", ref))
        if previous["districts"] != row["districts"]:
            out.append(Change("listing-moved", f"{who} changed the districts it serves on {where}.", "listings", ref))
    for key in before.keys() - after.keys():
        pid, lot, provider = key
        out.append(Change("provider-left", f"{names.get(provider, provider)} is no longer listed on "
                                           f"{_lot_words(lot_names, pid, lot)}.", "listings", "/".join(key)))
    return out


def _lot_changes(old, new) -> list[Change]:
    before = _keyed(old.get("lots", []), "programme_id", "lot_id")
    out = []
    for key, row in _keyed(new.get("lots", []), "programme_id", "lot_id").items():
        previous = before.get(key)
        if previous and previous["reopens"] != row["reopens"]:
            closed = row["reopens"] == "false"
            kind = "lot-closed" if closed else "lot-reopened"
            words = "closed to new providers" if closed else "open to new providers again"
            out.append(Change(kind, f"Lot {key[1]} ({row['name']}) is {words}.", "lots", "/".join(key)))
    return out


def _round_changes(old, new) -> list[Change]:
    before = _keyed(old.get("rounds", []), "programme_id", "round_id")
    return [Change("round-added", f"New round: {row['title']}.", "rounds", "/".join(key))
            for key, row in _keyed(new.get("rounds", []), "programme_id", "round_id").items() if key not in before]


FIGURE_KEYS = {
    "spend": ("programme_id", "financial_year", "measure", "cost_type", "client_group"),
    "envelopes": ("programme_id", "lot_id", "contract_year"),
}


def _figure_changes(old, new) -> list[Change]:
    out = []
    for table, key in FIGURE_KEYS.items():
        before = _keyed(old.get(table, []), *key)
        after = _keyed(new.get(table, []), *key)
        for k, row in after.items():
            label = " ".join(k[1:])
            if k not in before:
                out.append(Change("figure-added", f"New {table} figure: {label}, {_amount(row)}.", table, "/".join(k)))
            elif before[k]["amount_gbp"] != row["amount_gbp"]:
                out.append(Change("figure-revised", f"The {table} figure {label} was revised from "
                                                    f"{_amount(before[k])} to {_amount(row)}.",
                                  table, "/".join(k)))
        for k in before.keys() - after.keys():
            out.append(Change("figure-removed", f"The {table} figure {' '.join(k[1:])} was removed.", table, "/".join(k)))
    return out


def _provider_detail_changes(old, new) -> list[Change]:
    before = _keyed(old.get("providers", []), "provider_id")
    out = []
    for key, row in _keyed(new.get("providers", []), "provider_id").items():
        if key in before and before[key] != row:
            fields = sorted(f for f in row if before[key].get(f) != row[f])
            out.append(Change("provider-details-changed", f"{row['name']}: {', '.join(fields)} changed.",
                              "providers", key[0]))
    return out


def _amount(row: dict) -> str:
    """A figure as the table wrote it (the change summary says it in the published figure's own digits)."""
    return money(row["amount_gbp"], pence="as-written", grouping=False)

"""The ``open-data`` and ``check-open-data`` stages: every open data file under ``data/``, and what the data pages say about them.

The live Data Package; the Transparency Code files; OCDS; Open Referral UK;
every frozen round copied byte for byte; and the changelog between rounds.
Everything is written from the publishable model (or from frozen files), so
nothing exempt can be in it. ``check_open_data`` then validates every data
package with frictionless itself before the build may succeed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from ..background import in_workers
from ..model.publishable import SiteModel
from ..problems import BuildError
from ..settings import PublishSettings
from .changes import Change, compare, read_tables
from .datapackage import package_version, table_resources, write_data_package
from .freeze import check_frozen_payments, frozen_payment_files, latest_manifest, publish_frozen
from .transparency import transparency_files, write_transparency


@dataclass(frozen=True)
class RoundRecord:
    round_id: str
    version: str
    frozen_on: str


@dataclass(frozen=True)
class ChangelogEntry:
    title: str  # e.g. "2023-04-second (version 1.1.0)" or "Since 2023-04-second"
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Publication:
    version: str
    transparency_files: tuple[str, ...]
    rounds: tuple[RoundRecord, ...]
    changelog: tuple[ChangelogEntry, ...]
    legacy_spend_quarters: tuple[str, ...] = ()  # frozen before the Code's full field list: their old columns kept


def plan_publication(model: SiteModel, settings: PublishSettings, frozen: Path) -> Publication:
    """What the open data will be (version, files, rounds, changelog), worked out without writing it.

    The data pages need this while the files themselves are still being
    written and checked in a second process.
    """
    from .freeze import frozen_rounds
    from .summary import new_tables

    rounds = frozen_rounds(frozen)
    resources = table_resources(model, exclude=("payments",))
    changelog = unchecked_entries(frozen) + build_changelog(
        [(r.round_id, r.version, read_tables(r.folder)) for r in rounds], new_tables(model))
    return Publication(
        version=package_version(model, resources, rounds[-1].manifest if rounds else None),
        transparency_files=transparency_files(model),
        rounds=tuple(RoundRecord(r.round_id, r.version, r.manifest["frozen_on"]) for r in rounds),
        changelog=tuple(changelog),
        legacy_spend_quarters=legacy_spend_quarters(frozen),
    )


def legacy_spend_quarters(frozen: Path) -> tuple[str, ...]:
    """The frozen spend quarters published before the Code's full field list (no purpose column)."""
    from .transparency import SPEND_COLUMNS

    purpose = next(c.label for c in SPEND_COLUMNS if c.name == "purpose")
    found = []
    for path in sorted((frozen / "payments").glob("spend-over-500-*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            if purpose not in next(csv.reader(f), []):
                found.append(path.stem.removeprefix("spend-over-500-"))
    return tuple(found)


def write_open_data(model: SiteModel, settings: PublishSettings, frozen: Path, data_out: Path,
                    publication: Publication) -> None:
    """Every open data file, as ``publication`` said it would be."""
    from .ocds import write_ocds
    from .openreferral import write_open_referral

    descriptor = write_data_package(model, settings, data_out, latest=latest_manifest(frozen))
    frozen_quarters = frozen_payment_files(frozen)
    transparency = write_transparency(model, settings, data_out / "transparency", frozen_quarters)
    check_frozen_payments(frozen_quarters, transparency)
    write_ocds(model, settings, data_out / "ocds")
    write_open_referral(model, settings, data_out / "openreferral")
    publish_frozen(frozen, data_out)
    _write_changelog(list(publication.changelog), data_out)
    if descriptor["version"] != publication.version or tuple(transparency) != publication.transparency_files:
        raise BuildError("the open data written differs from what the pages say about it; this is a bug.")


def write_and_check_open_data(model: SiteModel, settings: PublishSettings, frozen: Path, data_out: Path,
                              publication: Publication, trusted: set[str]) -> list[str]:
    """Run in a second process: write the open data, then have frictionless check every package."""
    write_open_data(model, settings, frozen, data_out, publication)
    return check_open_data(data_out, trusted)


def build_changelog(rounds: list[tuple[str, str, dict]], live: dict) -> list[ChangelogEntry]:
    """Newest first: what the current data changes since the latest round, then each round against the one before."""
    entries = []
    previous: dict = {}
    for round_id, version, tables in rounds:
        entries.append(ChangelogEntry(f"Round {round_id} (version {version})", tuple(compare(previous, tables))))
        previous = tables
    if rounds:
        pending = compare(previous, live)
        if pending:
            entries.append(ChangelogEntry(f"Not yet frozen: changes since round {rounds[-1][0]}", tuple(pending)))
    return list(reversed(entries))


UNCHECKED = "releases-without-check.json"


def unchecked_entries(frozen: Path) -> list[ChangelogEntry]:
    """Releases the publishing desk published without a second person's check, newest first, with the reason given.

    The desk appends to ``published/releases-without-check.json`` before it builds such a release, so the public
    changelog says so (the names of the staff involved stay in the desk's audit log, never here)."""
    from ..words import long_date

    path = Path(frozen) / UNCHECKED
    if not path.is_file():
        return []
    try:
        releases = json.loads(path.read_text(encoding="utf-8"))
        entries = [ChangelogEntry(f"Published on {long_date(dt.date.fromisoformat(r['published_on']))} "
                                  "without a second check",
                                  (Change("published-without-check",
                                          f"This release was published without a second person checking it first. "
                                          f"The reason given: {r['reason']}", "", r["published_on"]),))
                   for r in releases]
    except (ValueError, KeyError, TypeError) as exc:
        raise BuildError(f"{path} cannot be read ({exc}). Restore it from git (git checkout -- {path}).") from None
    return list(reversed(entries))


def _write_changelog(entries: list[ChangelogEntry], data_out: Path) -> None:
    records = [{"release": e.title, **c.to_dict()} for e in entries for c in e.changes]
    (data_out / "changelog.json").write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=["release", "kind", "text", "table", "key", "field", "before", "after"],
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    (data_out / "changelog.csv").write_text(buffer.getvalue(), encoding="utf-8")


CHECK_APART_BYTES = 50_000_000  # tables to check before frictionless runs in two workers (a year of payments)


def check_open_data(data_out: Path, trusted: set[str] = frozenset(), processes: int | None = None) -> list[str]:
    """frictionless validates every data package we publish: live, each frozen round, Open Referral.

    Each table is validated within its package (so foreign keys are checked),
    unless frictionless already accepted the very same bytes, with the same
    schema and the same keys in the tables it refers to (``trusted``, by
    content hash): a year of payments is not read again because a provider's
    description changed. Returns the keys of every table now known to be valid.

    When there is more than ``CHECK_APART_BYTES`` to read, the tables are checked in two workers, largest first,
    so the last minutes of a county's check (the payments and the Transparency Code's spend files) use both cores.
    """
    from frictionless import Package

    packages = [data_out / "datapackage.json", *sorted(data_out.glob("rounds/*/datapackage.json")),
                data_out / "openreferral" / "datapackage.json", data_out / "transparency" / "datapackage.json"]
    if (data_out / "latest" / "datapackage.json").is_file():
        packages.append(data_out / "latest" / "datapackage.json")
    valid, todo = [], []
    for path in packages:
        if not path.is_file():
            continue
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        structure = Package.validate_descriptor(str(path))  # the descriptor itself, against the profile
        if not structure.valid:
            raise BuildError(f"{path.relative_to(data_out.parent)} is not a valid data package: "
                             + "; ".join(e.message for e in structure.errors)[:2000])
        for resource in descriptor["resources"]:
            key = resource_key(path.parent, resource, descriptor)
            if key not in trusted:
                todo.append((path, resource["name"], (path.parent / resource["path"]).stat().st_size))
            valid.append(key)
    if processes is None:
        processes = 2 if sum(size for *_, size in todo) > CHECK_APART_BYTES and len(todo) > 1 else 1
    order = sorted(range(len(todo)), key=lambda i: -todo[i][2])
    verdicts = dict(zip(order, in_workers(_table_verdict, [todo[i][:2] for i in order], processes)))
    for number, (path, name, _) in enumerate(todo):  # the first table that failed, in the packages' order
        if verdicts[number]:
            raise BuildError(f"{path.relative_to(data_out.parent)}: the {name} table did not pass frictionless "
                             "validation:\n  " + "\n  ".join(verdicts[number]))
    return valid


def _table_verdict(table: tuple[Path, str]) -> list[str]:
    """frictionless' errors on one table of a package (the first 10), none when it is valid."""
    from frictionless import Package

    path, name = table
    report = Package(str(path)).get_resource(name).validate()
    if report.valid:
        return []
    errors = [f"{e.type}: {e.message}" for e in report.tasks[0].errors][:10] if report.tasks else []
    return errors or ["frictionless gave no details"]


def resource_key(folder: Path, resource: dict, descriptor: dict) -> str:
    """A table's bytes, its schema, and the key columns of the tables its foreign keys refer to."""
    digest = hashlib.sha256(json.dumps(resource.get("schema", {}), sort_keys=True).encode())
    _hash_file(digest, folder / resource["path"])
    by_name = {r["name"]: r for r in descriptor["resources"]}
    for fk in resource.get("schema", {}).get("foreignKeys", []):
        target = by_name.get(fk["reference"].get("resource") or resource["name"])
        if target is None:
            continue
        with open(folder / target["path"], newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                digest.update("\x1f".join(row.get(k, "") for k in fk["reference"]["fields"]).encode() + b"\n")
    return digest.hexdigest()


def _hash_file(digest, path: Path) -> None:
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)

"""Every round kept as it was published.

Publishing a round is explicit: ``dps-publish freeze ROUND_ID`` writes that
round's data package (every published table but payments) into
``published/rounds/<round_id>/`` in the repository, with a ``manifest.json``
of each file's sha256, so the history survives a fresh clone. Payments have
their own quarterly files, frozen the same way with ``dps-publish freeze
--payments QUARTER`` into ``published/payments/``.

A build copies the frozen files to ``/data/rounds/<round_id>/`` byte for
byte (the latest round also to ``/data/latest/``), and fails rather than
publish a frozen file that no longer matches its manifest, or a frozen payments
quarter that the current data would change. A frozen round is never written
again: freezing it a second time is refused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..files import write_atomically
from ..model.publishable import SiteModel
from ..problems import BuildError
from ..settings import PublishSettings
from .datapackage import awarded_rounds, fingerprint, table_resources, write_data_package
from .transparency import spend_csv, spend_over_500

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class FrozenRound:
    round_id: str
    folder: Path
    manifest: dict

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def sequence(self) -> int:
        return self.manifest["sequence"]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_list(folder: Path) -> dict[str, dict]:
    return {
        p.relative_to(folder).as_posix(): {"sha256": _sha256(p.read_bytes()), "bytes": p.stat().st_size}
        for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST
    }


def frozen_rounds(frozen: Path) -> list[FrozenRound]:
    rounds_dir = frozen / "rounds"
    if not rounds_dir.is_dir():
        return []
    found = []
    for folder in sorted(p for p in rounds_dir.iterdir() if p.is_dir()):
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file():
            raise BuildError(f"{folder} has no {MANIFEST}: a frozen round must keep its manifest. Restore it from git.")
        found.append(FrozenRound(folder.name, folder, json.loads(manifest_path.read_text(encoding="utf-8"))))
    return sorted(found, key=lambda r: r.sequence)


def latest_manifest(frozen: Path) -> dict | None:
    rounds = frozen_rounds(frozen)
    return rounds[-1].manifest if rounds else None


def verify(folder: Path, manifest: dict) -> list[str]:
    """Where the files of a frozen folder no longer match their manifest."""
    problems = []
    actual = _file_list(folder)
    for name, entry in manifest["files"].items():
        if name not in actual:
            problems.append(f"{folder / name} is missing")
        elif actual[name]["sha256"] != entry["sha256"]:
            problems.append(f"{folder / name} has changed since it was frozen")
    problems += [f"{folder / name} was added after freezing" for name in actual.keys() - manifest["files"].keys()]
    return problems


def freeze_round(model: SiteModel, settings: PublishSettings, frozen: Path, round_id: str) -> FrozenRound:
    rounds = {r.round_id: r for r in model.rounds}
    if round_id not in rounds:
        raise BuildError(f'there is no round "{round_id}" in rounds. Use one of: {", ".join(sorted(rounds))}.')
    if rounds[round_id].status != "awarded":
        raise BuildError(f'round "{round_id}" is {rounds[round_id].status}, not awarded: freeze it once it is awarded.')
    target = frozen / "rounds" / round_id
    if target.exists():
        raise BuildError(f'round "{round_id}" is already frozen in {target}. A published round never changes: '
                         "publish corrections in the current data, which the changelog will show.")
    existing = frozen_rounds(frozen)
    latest = existing[-1].manifest if existing else None
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{round_id}.", dir=target.parent))
    try:
        descriptor = write_data_package(model, settings, staging, latest=latest, exclude=("payments",))
        manifest = {
            "round_id": round_id,
            "version": descriptor["version"],
            "frozen_on": model.published_on.isoformat(),
            "sequence": (existing[-1].sequence + 1) if existing else 1,
            "rounds": awarded_rounds(model),
            **fingerprint(table_resources(model, exclude=("payments",))),
            "files": _file_list(staging),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return FrozenRound(round_id, target, manifest)


def freeze_payments(model: SiteModel, settings: PublishSettings, frozen: Path, quarter: str) -> Path:
    quarters = spend_over_500(model, settings)
    if quarter not in quarters:
        raise BuildError(f'there are no payments for quarter "{quarter}". Use one of: {", ".join(quarters)}.')
    folder = frozen / "payments"
    target = folder / f"spend-over-500-{quarter}.csv"
    if target.exists():
        raise BuildError(f"payments for {quarter} are already frozen in {target}; a published quarter never changes.")
    folder.mkdir(parents=True, exist_ok=True)
    # Each file whole or not at all: the manifest holds every quarter frozen before, and a half-written one
    # would stop every build.
    write_atomically(target, spend_csv(quarters[quarter]), durable=True)
    manifest_path = folder / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"files": {}}
    manifest["files"] = _file_list(folder)
    write_atomically(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n", durable=True)
    return target


def publish_frozen(frozen: Path, data_out: Path) -> list[FrozenRound]:
    """Copy every frozen round (and the latest again as ``latest/``) into the site, byte for byte."""
    rounds = frozen_rounds(frozen)
    problems = [p for r in rounds for p in verify(r.folder, r.manifest)]
    if problems:
        raise BuildError("a frozen round no longer matches what was published, so nothing is built:\n  "
                         + "\n  ".join(problems) + "\nRestore the frozen files from git (git checkout -- published/).")
    for r in rounds:
        shutil.copytree(r.folder, data_out / "rounds" / r.round_id)
    if rounds:
        shutil.copytree(rounds[-1].folder, data_out / "latest")
    return rounds


def frozen_payment_files(frozen: Path) -> dict[str, bytes]:
    """Each frozen payments quarter's file, by name, once its manifest says it is as it was frozen."""
    folder = frozen / "payments"
    if not folder.is_dir():
        return {}
    manifest = json.loads((folder / MANIFEST).read_text()) if (folder / MANIFEST).exists() else {"files": {}}
    problems = verify(folder, manifest)
    if problems:
        raise BuildError("frozen payments no longer match what was published:\n  " + "\n  ".join(problems)
                         + "\nRestore the frozen files from git (git checkout -- published/).")
    return {name: (folder / name).read_bytes() for name in sorted(manifest["files"])}


def check_frozen_payments(frozen_files: dict[str, bytes], written: list[str]) -> None:
    """Every frozen quarter must still come out of the current data (``write_transparency`` checks its rows)."""
    missing = [name for name in frozen_files if name not in written]
    if missing:
        raise BuildError("frozen payments would change:\n  " + "\n  ".join(
            f"{name} was published and frozen, but the payments in data/ no longer have that quarter"
            for name in missing) + "\nPut corrections in a later quarter, or restore payments.csv.")

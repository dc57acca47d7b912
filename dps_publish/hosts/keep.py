"""The last few releases' built folders, kept on this computer so a rollback needs no rebuild.

Each is ``<cache>/hosts/releases/<id>/`` holding the site as hard links to the files the build wrote (so a
kept release costs almost no space while its files are also in ``output/``) and its ``dps-release.json``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..files import link_or_copy
from .headers import MANIFEST_NAME
from .manifest import Manifest, ManifestError


class KeptReleases:
    def __init__(self, cache: Path):
        self.folder = Path(cache) / "hosts" / "releases"

    def site(self, release: str) -> Path:
        return self.folder / release

    def manifest(self, release: str) -> Manifest | None:
        try:
            return Manifest.from_json((self.site(release) / MANIFEST_NAME).read_bytes())
        except (OSError, ManifestError):
            return None

    def releases(self) -> list[str]:
        """The releases kept whole, newest first."""
        if not self.folder.is_dir():
            return []
        return sorted((p.name for p in self.folder.iterdir() if (p / MANIFEST_NAME).is_file()), reverse=True)

    def keep(self, site: Path, manifest: Manifest) -> Path:
        target = self.site(manifest.release)
        if (target / MANIFEST_NAME).is_file():
            return target
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        made, source, into = set(), str(site), str(partial)  # plain strings: 20,000 files, no Path made for each
        for entry in manifest.files:
            destination = os.path.join(into, entry.path)
            folder = os.path.dirname(destination)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            link_or_copy(os.path.join(source, entry.path), destination)
        partial.mkdir(parents=True, exist_ok=True)
        (partial / MANIFEST_NAME).write_bytes(manifest.to_json())
        shutil.rmtree(target, ignore_errors=True)
        os.rename(partial, target)
        return target

    def prune(self, keep: int, protect: set[str]) -> None:
        for name in self.releases()[keep:]:
            if name not in protect:
                shutil.rmtree(self.site(name), ignore_errors=True)
        if self.folder.is_dir():
            for path in self.folder.glob("*.partial"):
                shutil.rmtree(path, ignore_errors=True)

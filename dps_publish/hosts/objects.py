"""An object store as a web host (Azure Blob's ``$web``, an S3-compatible bucket): files are replaced in place at
their public names, and the manifest written last makes a release live (see ``base.py``). ``azure.py`` and
``s3.py`` each give it a ``Bucket``: the few calls that differ between the two services.

Files of one step of the plan's order (``plan.step_of``) are sent in parallel; a step starts only once every
file of the step before is at the host, and the manifest only once every file is. The half-done marker,
``dps-release-pending.json``, is written before any file: a deploy stopped part way (even killed) is seen by
the next one, which sends again every file it may have touched. It also carries the files an earlier stopped
deploy touched (``dirty``), so two interrupted deploys in a row still leave nothing unsent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from .base import PENDING_NAME, HostError, HostState
from .headers import MANIFEST_NAME, NO_STORE, content_type_of
from .manifest import Entry, Manifest, ManifestError
from .plan import Plan, step_of

WORKERS = 8  # uploads at once within one step (see bench/ for what it gains)
_UNKNOWN = "unknown: a deploy stopped while sending it"


class Bucket(Protocol):
    """What an object-store driver needs of the service; names are release paths (``a/index.html``)."""

    where: str  # in words, no secret

    def problems(self) -> list[str]: ...  # what would stop a deploy (no such container or bucket), in words

    def read(self, name: str) -> bytes | None: ...  # None when there is no such object

    def write(self, name: str, data: bytes, content_type: str, cache_control: str) -> None: ...

    def upload(self, name: str, source: Path, content_type: str, cache_control: str) -> None: ...

    def remove(self, names: Sequence[str]) -> None: ...  # no error for a name that is not there

    def close(self) -> None: ...


class ObjectStore:
    """The driver for an object store (see ``base.py``)."""

    def __init__(self, bucket: Bucket, kind: str, workers: int = WORKERS):
        self.bucket, self.kind, self.where = bucket, kind, bucket.where
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"dps-{kind}")
        self._sending: list[Future] = []
        self._steps: dict[str, tuple] = {}
        self._step: tuple | None = None
        self._pending: Manifest | None = None
        self._live: Manifest | None = None

    # --- reading the host -------------------------------------------------------------------------------------

    def preflight(self) -> list[str]:
        return self.bucket.problems()

    def state(self) -> HostState:
        self._live = self._manifest(MANIFEST_NAME, "the live release's manifest")
        self._pending = self._pending_marker(self._live)
        return HostState(self._live, self._pending)

    def _manifest(self, name: str, what: str, data: bytes | None = None) -> Manifest | None:
        data = self.bucket.read(name) if data is None else data
        if data is None:
            return None
        try:
            return Manifest.from_json(data, f"{what} ({name}) at {self.where}")
        except ManifestError as exc:
            raise HostError(str(exc)) from None

    def _pending_marker(self, live: Manifest | None) -> Manifest | None:
        """The release a stopped deploy was sending, with every file it or an earlier stopped one may have
        changed: a file it did not send shows as changed (its sha256 unknown), so the planner sends it again."""
        data = self.bucket.read(PENDING_NAME)
        if data is None:
            return None
        pending = self._manifest(PENDING_NAME, "the half-done release's marker", data)
        try:
            dirty = [str(p) for p in json.loads(data).get("dirty", [])]
        except (ValueError, AttributeError):
            dirty = []
        files = dict(pending.by_path)
        live_files = live.by_path if live else {}
        for path in dirty:
            if files.get(path) is None or files[path] == live_files.get(path):
                files[path] = _unknown(path)
        return Manifest(pending.release, pending.made, tuple(sorted(files.values())), pending.leftovers)

    def held(self, release: str) -> Manifest | None:
        return None  # an object store keeps no earlier release whole

    # --- sending a release ------------------------------------------------------------------------------------

    def begin(self, plan: Plan) -> None:
        self._drain()
        live_files = plan.live.by_path if plan.live else {}
        self._steps = {e.path: step_of(e.path, e.path in live_files) for e in plan.upload}
        self._step = None
        self.bucket.write(PENDING_NAME, self._marker(plan, live_files), content_type_of(PENDING_NAME), NO_STORE)

    def _marker(self, plan: Plan, live_files: dict[str, Entry]) -> bytes:
        """The new release's manifest, and the files an earlier stopped deploy touched that this one leaves as
        they are in the live release (so a stop now still has them sent again)."""
        earlier = self._pending
        if earlier is not None and _name(self._live) == _name(plan.live):
            mine = {e.path for e in plan.release.files if live_files.get(e.path) != e}
            return plan.release.to_json(
                dirty=sorted({e.path for e in earlier.files if live_files.get(e.path) != e} - mine))
        return plan.release.to_json()

    def put(self, entry: Entry, source: Path) -> None:
        step = self._steps.get(entry.path, ("unplanned", entry.path))
        if step != self._step:
            self._drain()  # the step before is all at the host before this one starts
            self._step = step
        self._sending.append(self._pool.submit(self.bucket.upload, entry.path, source, entry.content_type,
                                               entry.cache_control))

    def _drain(self) -> None:
        sending, self._sending = self._sending, []
        failure = None
        for future in sending:
            try:
                future.result()
            except (HostError, OSError) as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    def switch(self, plan: Plan) -> None:
        self._drain()
        self.bucket.write(MANIFEST_NAME, plan.release.to_json(), content_type_of(MANIFEST_NAME), NO_STORE)
        self._live, self._pending = plan.release, None

    def delete(self, paths: Sequence[str]) -> None:
        names = [p for p in paths if p not in (MANIFEST_NAME, PENDING_NAME)]
        if names:
            self.bucket.remove(names)

    def activate(self, release: str) -> bool:
        return False  # rollback sends the earlier release again from this computer's kept copy

    def finish(self, keep: int) -> None:
        self._drain()
        self.bucket.remove([PENDING_NAME])

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.bucket.close()


def _name(manifest: Manifest | None) -> str | None:
    return manifest.release if manifest else None


def _unknown(path: str) -> Entry:
    return Entry(path, _UNKNOWN, -1, "", "")

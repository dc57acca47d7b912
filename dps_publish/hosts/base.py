"""The seam every web host fits behind: what a driver does, and what the one publish sequence asks of it.

``deploy.py`` runs the same sequence for every kind of host (the CLI and the desk share it)::

    state = driver.state()                  # the live release's manifest (and any half-done one)
    plan = make_plan(new, state.live, state.pending, reason)     # plan.py: what to send, in order
    driver.begin(plan)                      # get ready; nothing public changes
    for entry in plan.upload: driver.put(entry, site / entry.path)
    driver.switch(plan)                     # the one step that makes the release live
    verify(...)                             # verify.py, from the public address; on failure: put back
    driver.delete(plan.delete)              # files two releases old
    driver.finish(keep)                     # forget the half-done marker, drop old releases

A failure before ``switch`` leaves the old release serving; after it, the sequence puts the previous release
back (``activate`` where the host still holds it whole, otherwise by sending it again from the copy kept on
this machine).

Two families of host fit this:

**Folders** (``releases.py`` on this machine, ``ssh.py`` over SFTP): ``begin`` makes ``releases/<id>/`` from
the live release by hard links (so unchanged files cost nothing and the old release stays whole); ``put``
writes a file beside its place and renames it over (never into a linked file, which would change the old
release too); ``switch`` writes the manifest into the new folder and renames a new ``current`` link over the
old one in one step, so the web server serves one release or the other, never a mix; ``activate(id)`` points
``current`` back at a release the host still holds; ``finish`` removes all but the last ``keep`` releases.

**Object stores** (Azure Blob ``$web``, S3-compatible buckets): there are no links and no folder to switch,
files are replaced in place at their public names. So:

- ``state``: ``live`` is read from the object ``dps-release.json`` (the manifest, ``Cache-Control:
  no-store``); ``pending`` from ``dps-release-pending.json`` when it names another release;
- ``begin(plan)``: write ``dps-release-pending.json`` (``plan.release.to_json()``) before any file, so an
  interrupted deploy is seen by the next one, which shows the site as "partly live" and completes it (the
  planner sends again every file the half-done release touched);
- ``put(entry, source)``: upload with ``entry.content_type`` and ``entry.cache_control`` as the object's own
  headers, no Content-Encoding (Pagefind's files are gzip inside and are sent as they are); the order of
  ``plan.upload`` is what keeps pages whole while files change one by one;
- ``switch(plan)``: write ``dps-release.json``: writing the manifest last marks the release live;
- ``delete(paths)``: delete those objects (leftovers of the release before: one release late, on purpose);
- ``activate`` returns False and ``held`` None (an object store keeps no earlier release whole); rollback
  sends the earlier release again from this machine's kept copy;
- ``finish``: delete ``dps-release-pending.json``.

Drivers raise ``HostError`` with plain words ("the web host refused the password", "could not be reached")
and never put a secret (password, key, token, signed address) into a message, a log line, an address or a
child process's command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .headers import MANIFEST_NAME
from .manifest import Entry, Manifest
from .plan import Plan

PENDING_NAME = "dps-release-pending.json"  # object stores: the release being sent, until it is live
__all__ = ["Driver", "HostError", "HostState", "MANIFEST_NAME", "PENDING_NAME"]


class HostError(Exception):
    """A web host that could not do what was asked, in plain words, naming the host and never a secret."""


@dataclass(frozen=True)
class HostState:
    live: Manifest | None  # the release the public is reading (None: nothing was ever deployed here)
    pending: Manifest | None = None  # begun and not finished: the site is "partly live" (object stores)
    kept: tuple[str, ...] = ()  # releases the host holds whole and can activate, newest first (folders)

    @property
    def partly_live(self) -> bool:
        return self.pending is not None and (self.live is None or self.pending.release != self.live.release)


class Driver(Protocol):
    kind: str  # "releases", "ssh", "azure", "s3"
    where: str  # the host in words, no secrets: "the releases folder /srv/dps on this computer"

    def preflight(self) -> list[str]:
        """What would stop a deploy, found without changing anything, in words (``--dry-run`` shows them): a
        folder that cannot be written, a place where a link cannot be made, a container that is not there."""

    def state(self) -> HostState: ...

    def begin(self, plan: Plan) -> None: ...

    def put(self, entry: Entry, source: Path) -> None: ...

    def switch(self, plan: Plan) -> None: ...

    def delete(self, paths: Sequence[str]) -> None: ...

    def activate(self, release: str) -> bool:
        """Make a release the host still holds whole live again in one step; False if it holds none."""

    def held(self, release: str) -> Manifest | None:
        """The manifest of a release the host holds whole (folders), or None (object stores)."""

    def finish(self, keep: int) -> None: ...

    def close(self) -> None: ...

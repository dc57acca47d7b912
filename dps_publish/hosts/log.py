"""The hosts log: each time a release went live, failed to, or was put back, one JSON line in
``<cache>/hosts/deploys.jsonl`` (the desk's History reads it). It never holds a secret: every text in it has
been through ``Secrets.redact``."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path


class DeployLog:
    def __init__(self, cache: Path):
        self.path = Path(cache) / "hosts" / "deploys.jsonl"

    def append(self, event: dict) -> dict:
        event = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), **event}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return event

    def events(self) -> list[dict]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        events = []
        for line in lines:
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by a crash
        return events

    def went_live(self, where: str) -> list[str]:
        """The releases that went live at a host, oldest first (a release put back appears again)."""
        return [e["release"] for e in self.events() if e.get("where") == where and e.get("live")]

    def live_before(self, release: str, where: str) -> str | None:
        """The release the public read before ``release`` last went live."""
        history = self.went_live(where)
        if release not in history:
            return history[-1] if history else None
        last = len(history) - 1 - history[::-1].index(release)
        earlier = [r for r in history[:last] if r != release]
        return earlier[-1] if earlier else None

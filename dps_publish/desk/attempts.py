"""How many wrong passwords the desk takes before it makes someone wait.

Counted three ways: one name from one address (5 free tries), one name from
anywhere (20), one address for any name (100). Past its free tries a count
makes the next try wait 30 seconds, doubling with each further wrong password
up to 15 minutes; a right password clears its name-and-address count. So a
guesser is slowed on one name, while the rest of an office behind the same
address still signs in; a guesser spread over many addresses is slowed on the
name. Counts are kept in memory only (the desk is one process) and forgotten
an hour after their last wrong password.

The address is the client's own: behind a trusted proxy, the last address in
``X-Forwarded-For`` that is not a trusted proxy (``Desk.client_address``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_TRIES = {"name-address": 5, "name": 20, "address": 100}
FIRST_WAIT = 30
LONGEST_WAIT = 15 * 60
FORGET_AFTER = 60 * 60
MOST_COUNTS = 10_000


@dataclass
class Count:
    wrong: int
    last: float


class SignInAttempts:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.counts: dict[tuple, Count] = {}

    @staticmethod
    def _keys(address: str | None, name: str) -> list[tuple]:
        keys = [("name-address", name, address or ""), ("name", name)]
        if address:
            keys.append(("address", address))
        return keys

    def wait(self, address: str | None, name: str) -> int:
        """Seconds before ``name`` may try again from ``address``; 0 when they may try now."""
        now, longest = self.clock(), 0.0
        for key in self._keys(address, name):
            count = self.counts.get(key)
            free = FREE_TRIES[key[0]]
            if count is None or count.wrong < free or now - count.last >= FORGET_AFTER:
                continue
            until = count.last + min(FIRST_WAIT * 2 ** (count.wrong - free), LONGEST_WAIT)
            longest = max(longest, until - now)
        return math.ceil(longest) if longest > 0 else 0

    def failed(self, address: str | None, name: str) -> None:
        now = self.clock()
        for key in self._keys(address, name):
            count = self.counts.setdefault(key, Count(0, now))
            if now - count.last >= FORGET_AFTER:
                count.wrong = 0
            count.wrong, count.last = count.wrong + 1, now
        self._forget(now)

    def succeeded(self, address: str | None, name: str) -> None:
        self.counts.pop(self._keys(address, name)[0], None)

    def _forget(self, now: float) -> None:
        if len(self.counts) < MOST_COUNTS // 10:
            return
        self.counts = {k: c for k, c in self.counts.items() if now - c.last < FORGET_AFTER}
        while len(self.counts) > MOST_COUNTS:
            del self.counts[min(self.counts, key=lambda k: self.counts[k].last)]

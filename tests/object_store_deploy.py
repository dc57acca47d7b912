"""``dps-publish deploy`` that kills itself with SIGKILL part way, as a power cut or a killed job would stop it.

    python tests/object_store_deploy.py KIND:N deploy --settings ... (the rest as for dps-publish)

The real command runs with the real driver; once the driver has been handed its N-th file of KIND ("asset"
for anything sent before the search runtime, "page" for HTML) and a moment has passed for the files in flight,
the process is killed where it stands: no exception, no clean-up, no ``finally``.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from dps_publish.cli import main
from dps_publish.hosts import deploy
from dps_publish.hosts.headers import kind_of

SETTLE_SECONDS = 0.3


def _group(path: str) -> str:
    kind = kind_of(path)
    return kind if kind in ("page", "search-runtime") else "asset"


def killing(open_driver, wanted: str, count: int):
    def open_killing(host, secrets):
        driver = open_driver(host, secrets)
        put, seen = driver.put, [0]

        def put_then_maybe_die(entry, source):
            put(entry, source)
            if _group(entry.path) == wanted:
                seen[0] += 1
                if seen[0] >= count:
                    time.sleep(SETTLE_SECONDS)
                    os.kill(os.getpid(), signal.SIGKILL)

        driver.put = put_then_maybe_die
        return driver

    return open_killing


if __name__ == "__main__":
    wanted, count = sys.argv[1].split(":")
    deploy.open_driver = killing(deploy.open_driver, wanted, int(count))
    sys.exit(main(sys.argv[2:]))

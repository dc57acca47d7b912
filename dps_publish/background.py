"""One job in a second process, sharing the model without copying it.

The open data is written and checked in a forked child while this process
writes the pages: the child sees the model the parent built (copy-on-write
memory), so nothing the size of a year of payments is pickled. The child dies
with its parent, and a failure in it comes back as a ``BuildError``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import signal
import traceback

from .problems import BuildError

PR_SET_PDEATHSIG = 1


class BackgroundJob:
    def __init__(self, function, *args):
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(send, function, args), daemon=True)
        self._process.start()
        send.close()

    def result(self):
        try:
            outcome, value = self._receive.recv()
        except EOFError:
            outcome, value = "error", "the open data process stopped without saying why"
        self._process.join()
        if outcome == "error":
            raise BuildError(value)
        return value

    def cancel(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


def _run(send, function, args) -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    try:
        send.send(("ok", function(*args)))
    except BuildError as exc:
        send.send(("error", str(exc)))
    except Exception:  # noqa: BLE001 - reported to the parent, which stops the build
        send.send(("error", "writing the open data failed:\n" + traceback.format_exc()))
    finally:
        send.close()

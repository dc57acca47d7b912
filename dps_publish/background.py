"""Work in other processes, sharing the model without copying it: one job beside the build, or a pool of workers.

The open data is written and checked in a forked child while this process
writes the pages: the child sees the model the parent built (copy-on-write
memory), so nothing the size of a year of payments is pickled. The child dies
with its parent, and a failure in it comes back as a ``BuildError``. It is not
a daemon, so it may have workers of its own (``in_workers``: frictionless
checks the largest tables two at a time); it is always joined or killed.

``in_workers`` is the one worker pool: the booklets, the recordings, the page
checks and the open data's checks each use it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import signal
import traceback
from collections.abc import Callable
from typing import TypeVar

from .problems import BuildError

PR_SET_PDEATHSIG = 1


class BackgroundJob:
    def __init__(self, function, *args):
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(send, function, args), daemon=False)
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


Item = TypeVar("Item")
Result = TypeVar("Result")
_JOB: Callable | None = None


def _take_job(job: Callable) -> None:
    global _JOB
    _JOB = job


def _run_item(item):
    return _JOB(item)


def dealt(items: list[Item], processes: int, per_batch: int) -> list[list[Item]]:
    """``items`` dealt into batches as cards are dealt: batch ``i`` holds items ``i``, ``i + n``, ``i + 2n``…, so
    when the items come largest first every batch gets its share of the large ones. At least four batches a worker
    (one slow batch does not leave a core idle), and about ``per_batch`` items in each."""
    count = max(1, min(len(items), max(4 * processes, len(items) // per_batch)))
    return [items[start::count] for start in range(count)]


def in_workers(job: Callable[[Item], Result], items: list[Item], processes: int, start: str = "fork",
               preload: tuple[str, ...] = (), apart: bool = False) -> list[Result]:
    """``job`` on each item, in order, in up to ``processes`` worker processes (in this one when ``processes`` is 1,
    unless ``apart``: then always in a worker, for a job that must never run in this process).

    ``start`` is how the workers start: "fork" shares what ``job`` holds; "forkserver" forks them from a clean
    process (with the modules in ``preload`` imported), for a job whose native library must not run in a process
    that is forked later: Typst's compiler leaves threads whose locks a forked child waits on for ever. The job
    must then pickle, and is sent to each worker once."""
    if not items:
        return []
    if processes <= 1 and not apart:
        return [job(item) for item in items]
    context = multiprocessing.get_context(start)
    if start == "forkserver" and preload:
        context.set_forkserver_preload(list(preload))
    with context.Pool(max(1, min(processes, len(items))), initializer=_take_job, initargs=(job,)) as pool:
        return pool.map(_run_item, items, chunksize=1)

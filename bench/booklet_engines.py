"""The old booklet engine (WeasyPrint) beside the new (Typst), same data, back to back, in one run.

    .venv/bin/python bench/booklet_engines.py [--data data] [--old-commit 5cf5cff] [--old-tree /tmp/dps-weasyprint]

The old engine is the commit before the switch (5cf5cff, WeasyPrint 70), checked out with ``git worktree`` into
``--old-tree`` and given its own virtual environment installed from that commit's pinned ``constraints.txt`` (made
the first time, kept for the next run; WeasyPrint needs Debian's Pango and HarfBuzz, which
``--install-system-packages`` installs through that commit's ``scripts/install-system-packages.sh``). Each engine's
own ``bench/run.py --booklets-only`` lays out every booklet of the same data folder into an empty cache, the old
first, then this tree's. Printed: pages, size, seconds from nothing, pages a second, the CPU time of each run, the
load average before and after, and new pages a second over old (the issue asks for at least 20).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 20.0  # new pages a second over old, at least

PAGES = re.compile(r"\| pages laid out \| ([\d,]+)")
SIZE = re.compile(r"\| size \| ([\d.]+) MB")
SECONDS = re.compile(r"\| laid out and checked from nothing \| ([\d.]+) s")
AGAIN = re.compile(r"\| again, every booklet from the cache \| ([\d.]+) s")


@dataclass
class Run:
    engine: str
    pages: int
    megabytes: float
    seconds: float  # the booklet stage from an empty cache, as the engine's own bench measured it
    again: float  # again, every booklet from the cache
    cpu: float  # user + system seconds of the whole bench process and its children
    wall: float  # the whole bench process, model included

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def old_tree(tree: Path, commit: str, install_system_packages: bool) -> Path:
    """The old commit's work tree with its own venv, made if missing; returns its Python."""
    python = tree / ".venv" / "bin" / "python"
    if python.exists():
        return python
    if not (tree / "pyproject.toml").exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT, check=True)
    if install_system_packages:
        subprocess.run(["bash", "scripts/install-system-packages.sh"], cwd=tree, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(tree / ".venv")], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "-e", "."],
                   cwd=tree, check=True)
    return python


def measure(engine: str, python: Path, tree: Path, data: Path, work: Path, sample: int = 1) -> Run:
    shutil.rmtree(work, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k not in ("DPS_BOOKLET_CACHE", "DPS_ARTEFACT_CACHE")}
    env["PYTHONPATH"] = str(tree)  # this tree's package, whichever checkout the venv was installed from
    done = subprocess.run([str(python), str(tree / "bench" / "run.py"), "--booklets-only", "--data", str(data),
                           "--work", str(work), "--sample", str(sample)], cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{engine}'s booklet bench failed ({tree}):\n{done.stdout}\n{done.stderr[-3000:]}")
    print(f"--- {engine} ({tree}) ---\n{done.stdout.strip()}\n")
    text = done.stdout
    return Run(engine, int(PAGES.search(text).group(1).replace(",", "")), float(SIZE.search(text).group(1)),
               float(SECONDS.search(text).group(1)), float(AGAIN.search(text).group(1)),
               (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall)


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--old-commit", default="5cf5cff", help="the last commit that laid booklets out with WeasyPrint")
    parser.add_argument("--old-tree", type=Path, default=Path("/tmp/dps-weasyprint"))
    parser.add_argument("--new-tree", type=Path, default=ROOT,
                        help="the new engine's work tree (default: this one; another, a clean checkout of a commit, "
                             "runs with this tree's venv)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/dps-booklet-engines"))
    parser.add_argument("--sample", type=int, default=1,
                        help="lay out every Nth booklet only, with both engines (the issue's figure of today was "
                             "measured on the county-times-ten data with --sample 20)")
    parser.add_argument("--install-system-packages", action="store_true",
                        help="install the Debian libraries WeasyPrint needs (the old commit's script)")
    args = parser.parse_args(argv)
    data = args.data.resolve()
    old_python = old_tree(args.old_tree.resolve(), args.old_commit, args.install_system_packages)
    new_python = ROOT / ".venv" / "bin" / "python"
    if not new_python.exists():
        new_python = Path(sys.executable)
    first_load = load()
    old = measure(f"WeasyPrint ({args.old_commit})", old_python, args.old_tree.resolve(), data, args.work / "old",
                  args.sample)
    new_tree = args.new_tree.resolve()
    new = measure("Typst (this tree)" if new_tree == ROOT else f"Typst ({new_tree})", new_python, new_tree, data,
                  args.work / "new", args.sample)
    print(f"booklets of {data}{f' (every {args.sample}th)' if args.sample > 1 else ''}, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
          f"load average before {first_load}, after {load()}")
    print("| engine | pages laid out | size | from nothing | pages a second | again, from the cache | CPU time of the bench |")
    print("|---|---|---|---|---|---|---|")
    for run in (old, new):
        print(f"| {run.engine} | {run.pages:,} | {run.megabytes:.1f} MB | {run.seconds:.1f} s | {run.rate:.1f} | "
              f"{run.again:.2f} s | {run.cpu:.1f} s |")
    ratio = new.rate / old.rate
    print(f"new over old: {ratio:.1f} times the pages a second (target at least {TARGET:.0f}); "
          f"pages {new.pages:,} against {old.pages:,} ({new.pages / old.pages - 1:+.1%})")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

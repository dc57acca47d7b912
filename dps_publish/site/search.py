"""The ``search-index`` stage: the search index, built by Pagefind in shards beside the pages.

Pagefind indexes the text inside ``<main>`` of every page. Former names sit in
hidden search metadata on the pages they used to name, so searching
"day opportunities" finds the Everyday Life Activities pages.

Pagefind has no incremental mode, and its time grows faster than the text it
reads (about half a minute for a county-scale site), so the site is indexed in
shards (``plan_shards``): a *hub* of the general pages in ``pagefind/``, and
in ``pagefind/shards/<name>/`` one shard per district's find-support pages and
the provider pages (each with its easy-read twin) in buckets of about
``PAGES_PER_SHARD`` pages, chosen by a hash of the provider's slug. Each shard
is one Pagefind run over a folder of links to just its pages, two runs at a
time. A shard whose pages are the same files as in the previous build keeps
its previous bundle (linked, not copied), so editing one provider re-indexes
its bucket and the hub (whose data pages give the data's new version), and the
districts it works in only if what they show of it changed. The search page is
told the other shards' bundles and Pagefind's search box merges them
(``mergeIndex``). ``pagefind/shards.json`` records which pages each bundle
indexed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from ..cache import walk_files
from ..files import link_or_copy
from ..problems import BuildError

PR_SET_PDEATHSIG = 1
PAGES_PER_SHARD = 1000  # provider pages per bucket: Pagefind takes about 2 s for 1,000 of them
PARALLEL = 2  # Pagefind runs at a time
HUB = "hub"
BUNDLE = "pagefind"  # the hub's bundle, below the site root; the others go in BUNDLE/SHARDS/<name>/
SHARDS = "shards"
MANIFEST = "shards.json"
MANIFEST_VERSION = 1
_PROVIDER_PAGE = re.compile(r"^(?:easy-read/)?providers/([^/]+)/index\.html$")
_DISTRICT_PAGE = re.compile(r"^(?:easy-read/)?find-support/([a-z0-9-]+)/(?:[^/]+/)*index\.html$")


def plan_shards(pages: Iterable[str], pages_per_shard: int | None = None) -> dict[str, list[str]]:
    """Which shard indexes each page: ``{shard name: sorted page files}``, the hub first.

    ``pages`` are HTML files below the site root (``providers/p1/index.html``); a
    page and its easy-read twin always share a shard.

    - A provider's page goes to the bucket its slug hashes to, out of
      ``ceil(provider pages / pages_per_shard)`` buckets (``providers-<n>``);
      empty buckets are left out.
    - A district's find-support pages have a shard of their own
      (``find-support-<district>``): they list every provider there, so at
      county scale they are most of the text, and editing a provider changes
      only the districts it works in.
    - Every other page goes to the hub, which is always there.
    """
    per = pages_per_shard or PAGES_PER_SHARD
    hub: list[str] = []
    districts: dict[str, list[str]] = {}
    providers: dict[str, list[str]] = {}
    for page in pages:
        if match := _PROVIDER_PAGE.match(page):
            providers.setdefault(match.group(1), []).append(page)
        elif match := _DISTRICT_PAGE.match(page):
            districts.setdefault(f"find-support-{match.group(1)}", []).append(page)
        else:
            hub.append(page)
    buckets = max(1, math.ceil(sum(len(p) for p in providers.values()) / per))
    filled: dict[int, list[str]] = {}
    for slug, files in providers.items():
        filled.setdefault(_bucket(slug, buckets), []).extend(files)
    shards = {HUB: sorted(hub)}
    shards.update((name, sorted(districts[name])) for name in sorted(districts))
    shards.update((f"providers-{number}", sorted(filled[number])) for number in sorted(filled))
    return shards


def _bucket(slug: str, buckets: int) -> int:
    return int.from_bytes(hashlib.sha256(slug.encode("utf-8")).digest()[:8], "big") % buckets


def merged_shards(pages: Iterable[str]) -> list[str]:
    """The shards the search page merges into the hub's results (for the template)."""
    return [name for name in plan_shards(pages) if name != HUB]


def bundle_folder(site: Path, shard: str) -> Path:
    return site / BUNDLE if shard == HUB else site / BUNDLE / SHARDS / shard


def _die_with_parent() -> None:
    """If the build is killed, Pagefind goes too, rather than write into a folder the next build has cleared."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: nothing to ask for


def write_search_index(out: Path, previous: Path | None = None) -> bool:
    """Index the pages, shard by shard, reusing the previous bundle of every shard whose pages
    are unchanged. Returns whether any shard was indexed."""
    out = Path(out)
    pages = _pages(out)
    plan = plan_shards(pages)
    manifest = {name: _digest(files) for name, files in plan.items()}
    reused = _reusable(plan, manifest, pages, previous) if previous is not None else set()
    fresh = [name for name in plan if name not in reused]
    work = out / ".search-shards"  # inside the build's own folder: a killed build's leftovers go with it
    try:
        _index_shards({name: plan[name] for name in fresh}, pages, work)
        for name in plan:  # the hub first: the others go inside its folder
            target = bundle_folder(out, name)
            if name in reused:
                _link_tree(bundle_folder(previous, name), target, skip=(SHARDS, MANIFEST) if name == HUB else ())
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(work / name / "bundle", target)
        (out / BUNDLE / MANIFEST).write_text(
            json.dumps({"version": MANIFEST_VERSION, "pagefind": _pagefind_version(), "shards": manifest},
                       indent=1, sort_keys=True) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return bool(fresh)


def _index_shards(shards: dict[str, list[str]], pages: dict[str, Path], work: Path) -> None:
    """One Pagefind run per shard over a folder of links to just its pages, at the same paths,
    ``PARALLEL`` at a time; each bundle is left in ``work/<shard>/bundle``. A shard's folder of
    links is made just before its run and removed just after, while the other run goes on.
    The first failure stops the rest."""
    if not shards:
        return
    from pagefind_bin_extended import get_executable

    executable = str(get_executable())
    waiting, running = list(shards), []
    try:
        while waiting or running:
            while waiting and len(running) < PARALLEL:
                name = waiting.pop(0)
                site = work / name / "site"
                _link_pages(shards[name], pages, site)
                log = work / name / "pagefind.log"
                with open(log, "w", encoding="utf-8") as log_file:
                    process = subprocess.Popen(
                        [executable, "--site", str(site), "--output-path", str(work / name / "bundle"), "--quiet"],
                        stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                        preexec_fn=_die_with_parent,
                    )
                running.append((name, process))
            time.sleep(0.02)
            for name, process in [r for r in running if r[1].poll() is not None]:
                running.remove((name, process))
                if process.returncode != 0:
                    said = (work / name / "pagefind.log").read_text(encoding="utf-8", errors="replace").strip()
                    raise BuildError(f"Pagefind could not index the site (the {name} shard):\n{said}".strip())
                shutil.rmtree(work / name / "site", ignore_errors=True)
    finally:
        for _, process in running:  # after a failure, or if the build was interrupted
            process.kill()
            process.wait()


def _reusable(plan: dict[str, list[str]], manifest: dict[str, str], pages: dict[str, Path],
              previous: Path) -> set[str]:
    """The shards whose previous bundle indexed exactly these pages, each the same file as now."""
    try:
        before = json.loads((previous / BUNDLE / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()  # no record of what the previous bundles hold: index them all
    if before.get("version") != MANIFEST_VERSION or before.get("pagefind") != _pagefind_version():
        return set()
    old = before.get("shards", {})
    reusable = set()
    for name, files in plan.items():
        if old.get(name) != manifest[name] or not bundle_folder(previous, name).is_dir():
            continue
        if all(_same_file(pages[page], previous / page) for page in files):
            reusable.add(name)
    return reusable


def _same_file(path: Path, other: Path) -> bool:
    try:
        if os.path.samefile(path, other):
            return True  # linked from the previous build: the same file
        return path.stat().st_size == other.stat().st_size and path.read_bytes() == other.read_bytes()
    except OSError:
        return False


def _digest(files: list[str]) -> str:
    return hashlib.sha256("\n".join(files).encode("utf-8")).hexdigest()


def _pagefind_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pagefind_bin_extended")
    except PackageNotFoundError:
        return "unknown"


def _pages(folder: Path) -> dict[str, Path]:
    """Every HTML page below ``folder`` by its path there, the search bundles left out."""
    return {name: folder / name for name, _ in walk_files(folder)
            if name.endswith(".html") and not name.startswith(f"{BUNDLE}/")}


def _link_pages(files: list[str], pages: dict[str, Path], site: Path) -> None:
    """Links to ``files`` (paths below the site root) in ``site``, at the same paths."""
    os.makedirs(site, exist_ok=True)
    made = {""}
    for page in files:
        folder = os.path.dirname(page)
        if folder not in made:
            os.makedirs(os.path.join(site, folder), exist_ok=True)
            made.add(folder)
        link_or_copy(pages[page], os.path.join(site, page))


def _link_tree(source: Path, target: Path, skip: tuple[str, ...] = ()) -> None:
    """Links in ``target`` to every file below ``source`` but the top-level names in ``skip``."""
    os.makedirs(target, exist_ok=True)
    for top, dirs, files in os.walk(source):
        relative = os.path.relpath(top, source)
        if relative == ".":
            dirs[:] = [d for d in dirs if d not in skip]
            files = [f for f in files if f not in skip]
        here = os.path.normpath(os.path.join(target, relative))
        for folder in dirs:
            os.makedirs(os.path.join(here, folder), exist_ok=True)
        for name in files:
            link_or_copy(os.path.join(top, name), os.path.join(here, name))

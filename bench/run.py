"""The county-times-ten benchmark: every figure of the targets, in one run.

    python bench/run.py [--data FOLDER] [--scale 1.0] [--work /tmp/dps-bench]

Without --data it generates the data set with bench/generate.py first. It
reports: validate time; cold build (booklets included, from an empty booklet
cache); rebuild with nothing changed; rebuild after editing one provider, each
with its stages' times from ``--timings`` and the machine's load; peak memory
(the largest process); pages, files and booklets written; charts drawn; and
our cell checks beside frictionless' row-by-row
validation of the same normalised payments table, as a ratio. Timings live
here, never in the tests. Going live to a web host is measured by bench/hosts.py.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# With the booklets (issue 26): the county-times-ten data's 5,043 booklets, about 45,000 pages, included.
# The recordings (issue 27) are a one-off first build of their own, measured by bench/audio.py: these builds leave
# them out, as the desk's preview does.
NO_AUDIO = ["--leave-out", "audio"]
TARGETS = {"cold build": 240.0, "rebuild, nothing changed": 2.0, "rebuild, one provider edited": 20.0}
SMALL_COLD_BUILD = 60.0  # the cold build's target at the size of a real council (--scale 0.1)


def run(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def keep_site(output: Path, folder: Path) -> None:
    """Keep a built site, as hard links (a build replaces output/ whole, never a file in it), for bench/hosts.py:
    ``python bench/hosts.py --sites WORK/site-cold WORK/site-edited`` sends these two to each web host."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(output, folder, copy_function=os.link)


def load() -> str:
    """The machine's load average over the last minute: other jobs share its cores."""
    return f"{os.getloadavg()[0]:.1f}"


def timed_build(args: list[str], name: str, stages: dict[str, dict[str, float]]) -> float:
    """One ``dps-publish build --timings``: its time; what it said and each stage's time are printed as it ends."""
    started = time.perf_counter()
    done = subprocess.run([*args, "--timings"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        print(f"{name}: the build stopped after {seconds:.1f} s:\n{done.stdout}{done.stderr}", flush=True)
        done.check_returncode()
    stages[name] = {}
    print(f"{name}: {seconds:.1f} s (load {load()})", flush=True)
    for line in done.stdout.splitlines():
        parts = line.split()
        if line.startswith("  ") and len(parts) == 3 and parts[2] == "s":
            stages[name][parts[0]] = float(parts[1])
        elif line.startswith(("Built", "Nothing has changed")):
            print(f"  {line}", flush=True)
    for stage, taken in stages[name].items():
        print(f"  {stage:<18} {taken:7.2f} s", flush=True)
    return seconds


def booklet_rows(output: Path) -> list[str]:
    """The booklets a build left in ``output``: how many PDFs, pages and bytes."""
    from dps_publish.site.booklets import PAGE_OBJECT

    pdfs = [p for p in output.rglob("*-easy-read*.pdf")]
    pages = sum(len(PAGE_OBJECT.findall(p.read_bytes())) for p in pdfs)
    size = sum(p.stat().st_size for p in pdfs)
    return [f"| booklets (PDFs / pages) | {len(pdfs):,} / {pages:,} | |",
            f"| booklets' size | {size / 1e6:.1f} MB ({size / max(1, pages) / 1e3:.1f} KB a page) | |"]


def edit_one_provider(data: Path) -> None:
    path = data / "providers.csv"
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    rows[len(rows) // 2]["description"] = f"Edited for the benchmark at {dt.datetime.now():%H:%M:%S}."
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def validation_ratio(data: Path, work: Path) -> tuple[float, float, int]:
    """Seconds for our checks and for frictionless on the same normalised payments table and schema."""
    import frictionless

    from dps_publish.sources.checks import check_table
    from dps_publish.sources.normalise import normalise_table
    from dps_publish.sources.readers import read_table
    from dps_publish.sources.schemas import load_schema

    schema = load_schema("payments")
    typed, frame, _ = normalise_table(read_table("payments", data / "payments.csv"), schema)
    started = time.perf_counter()
    ours = check_table("payments.csv", frame, typed, schema)
    our_seconds = time.perf_counter() - started
    (work / "normalised").mkdir(parents=True, exist_ok=True)
    frame.to_csv(work / "normalised" / "payments.csv", index=False)
    descriptor = {k: v for k, v in schema.descriptor.items() if not k.startswith("x-") and k != "foreignKeys"}
    descriptor["fields"] = [{k: v for k, v in f.items() if not k.startswith("x-")} for f in schema.fields]
    resource_ = frictionless.Resource(path="payments.csv", basepath=str(work / "normalised"),
                                      schema=frictionless.Schema.from_descriptor(descriptor))
    started = time.perf_counter()
    report = frictionless.validate(resource_)
    their_seconds = time.perf_counter() - started
    assert report.valid == (not ours), "frictionless and our checks disagree on the payments table"
    return our_seconds, their_seconds, len(frame)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a data folder (default: generate one)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/dps-bench"))
    parser.add_argument("--validate-only", action="store_true", help="measure only validate, cold and again")
    parser.add_argument("--open-referral-only", action="store_true",
                        help="measure only the Open Referral UK API files: how many, how big, how long")
    parser.add_argument("--booklets-only", action="store_true",
                        help="measure only the easy-read booklets: laid out from nothing, then again from the cache")
    parser.add_argument("--where-you-live-only", action="store_true",
                        help="measure only what the places and postcodes tables add: their lookup files' sizes, and "
                             "a build with them beside one without")
    parser.add_argument("--booklets-unchanged-only", action="store_true",
                        help="measure only how long the booklet stage takes to find every booklet unchanged (each "
                             "page's fingerprint, the index, the PDFs linked), with a cache that knows them all")
    parser.add_argument("--sample", type=int, default=1,
                        help="with --booklets-only, lay out every Nth booklet only (and say what all would take)")
    args = parser.parse_args(argv)
    work = args.work
    data = args.data
    if data is None:
        data = work / "data"
        if not (data / "payments.csv").exists():
            subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(data), "--scale", str(args.scale)],
                           check=True)
    bench_data = work / "bench-data"
    shutil.rmtree(bench_data, ignore_errors=True)
    shutil.copytree(data, bench_data)
    output, cache, frozen = work / "output", work / "cache", work / "no-frozen"
    for folder in (output, cache):
        shutil.rmtree(folder, ignore_errors=True)
    common = ["--data", str(bench_data), "--output", str(output), "--cache", str(cache), "--frozen", str(frozen)]
    dps = str(BIN / "dps-publish")
    figures = {}
    if args.open_referral_only:
        return open_referral_figures(bench_data, work / "openreferral")
    if args.booklets_only:
        return booklet_figures(bench_data, work / "booklets", args.sample)
    if args.booklets_unchanged_only:
        return unchanged_booklet_figures(bench_data, work / "booklets-unchanged")
    if args.where_you_live_only:
        return where_you_live_figures(bench_data, work / "where-you-live")
    validate_cache = work / "validate-cache"
    shutil.rmtree(validate_cache, ignore_errors=True)
    validate = [dps, "validate", "--data", str(bench_data), "--cache", str(validate_cache)]
    figures["validate"] = run(validate)
    figures["validate again (table cache)"] = run(validate)
    print(f"validate: {figures['validate']:.1f} s; again: {figures['validate again (table cache)']:.1f} s "
          f"({figures['validate again (table cache)'] / figures['validate']:.0%} of the first; target under 33%)")
    if args.validate_only:
        return 0
    # Each build with its booklets (the booklet cache starts empty, below --work), every stage timed.
    os.environ.pop("DPS_BOOKLET_CACHE", None)
    os.environ.pop("DPS_ARTEFACT_CACHE", None)
    stages: dict[str, dict[str, float]] = {}
    loads = {}
    figures["cold build"] = timed_build([dps, "build", *common, *NO_AUDIO], "cold build", stages)
    loads["cold build"] = load()
    keep_site(output, work / "site-cold")
    figures["rebuild, nothing changed"] = timed_build([dps, "build", *common, *NO_AUDIO], "rebuild, nothing changed", stages)
    loads["rebuild, nothing changed"] = load()
    edit_one_provider(bench_data)
    figures["rebuild, one provider edited"] = timed_build([dps, "build", *common, *NO_AUDIO], "rebuild, one provider edited",
                                                          stages)
    loads["rebuild, one provider edited"] = load()
    keep_site(output, work / "site-edited")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    pages = sum(1 for _ in output.rglob("*.html"))
    files = sum(1 for p in output.rglob("*") if p.is_file())
    charts = sum(1 for _ in output.rglob("charts/*.svg"))
    ours, theirs, rows = validation_ratio(bench_data, work)

    print(f"dps-publish benchmark, {dt.date.today().isoformat()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"data: {bench_data} (payments: {rows:,} rows)")
    print("| measure | result | target |")
    print("|---|---|---|")
    for name, seconds in figures.items():
        goal = SMALL_COLD_BUILD if name == "cold build" and args.data is None and args.scale <= 0.1 else TARGETS.get(name)
        target = f"under {goal:.0f} s" if goal else ""
        under = f" (load {loads[name]})" if name in loads else ""
        print(f"| {name} | {seconds:.1f} s{under} | {target} |")
    print(f"| peak memory (largest process) | {peak_mb:,.0f} MB | under 2 GB |")
    print(f"| pages written | {pages:,} | |")
    print(f"| files written | {files:,} | |")
    print(f"| charts | {charts:,} | 50 or more |")
    for line in booklet_rows(output):
        print(line)
    print(f"| payments cell checks: ours | {ours:.1f} s | |")
    print(f"| payments cell checks: frictionless row by row | {theirs:.1f} s | |")
    print(f"| ratio | {theirs / ours:.1f} times faster | at least 10 |")
    for line in api_size_rows(output / "data" / "openreferral" / "api"):
        print(line)
    print()
    print("| stage | " + " | ".join(stages) + " |")
    print("|---|" + "---|" * len(stages))
    for stage in dict.fromkeys(name for taken in stages.values() for name in taken):
        print(f"| {stage} | " + " | ".join(f"{taken[stage]:.1f} s" if stage in taken else "" for taken in
                                           stages.values()) + " |")
    return 0


def api_size_rows(api: Path) -> list[str]:
    """The Open Referral UK API files' sizes, as rows of the figures table."""
    each = [p.stat().st_size for p in (api / "services").glob("*.json")]
    listing = (api / "services.json").stat().st_size
    return [f"| Open Referral UK API: services.json (one page, {len(each):,} services) | {listing / 1e6:.1f} MB | |",
            f"| Open Referral UK API: services/<id>.json, all / largest | {sum(each) / 1e6:.1f} MB / "
            f"{max(each) / 1e3:.1f} KB | |"]


def open_referral_figures(data: Path, folder: Path) -> int:
    """Write only the Open Referral UK files from ``data`` into ``folder`` and print their figures."""
    import time

    from dps_publish.model.build import build_model
    from dps_publish.opendata.openreferral import write_open_referral
    from dps_publish.settings import load_settings
    from dps_publish.sources.validate import validate_folder

    model = build_model(validate_folder(data).tables)
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    write_open_referral(model, load_settings(ROOT / "pelicanconf.py"), folder)
    seconds = time.perf_counter() - start
    print(f"| Open Referral UK package and API written | {seconds:.1f} s | |")
    for line in api_size_rows(folder / "api"):
        print(line)
    return 0


def where_you_live_figures(data: Path, folder: Path) -> int:
    """The lookup files of the data's places and postcodes, and how much longer a build is with those tables.

    Each build starts from an empty output and table cache; the booklet cache is warmed by a first build of each
    kind, so the figures compare the pages, files and checks the tables add, not booklets laid out once."""
    from dps_publish.model.build import build_model
    from dps_publish.site.whereyoulive import lookup_files
    from dps_publish.sources.validate import validate_folder

    model = build_model(validate_folder(data).tables)
    start = time.perf_counter()
    files = lookup_files(model)
    seconds = time.perf_counter() - start
    shards = {n: len(b) for n, b in files.items() if n.startswith("postcodes/")}
    print(f"| places / postcodes | {len(model.places):,} / {len(model.postcodes):,} rows | |")
    print(f"| lookup files, all ({len(files):,} files) | {sum(map(len, files.values())) / 1e6:.2f} MB | under 3 MB |")
    print(f"| a postcode lookup: areas.json and the largest first half's file | "
          f"{(len(files['areas.json']) + max(shards.values())) / 1024:.1f} KB | at most 10 KB |")
    print(f"| a town lookup: areas.json and places.json | "
          f"{(len(files['areas.json']) + len(files['places.json'])) / 1024:.1f} KB | at most 30 KB |")
    print(f"| lookup files worked out | {seconds:.2f} s | |")
    without = folder / "data-without"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(data, without, ignore=shutil.ignore_patterns("places.*", "postcodes.*"))
    dps = str(BIN / "dps-publish")
    booklets = folder / "booklets"
    totals: dict[str, list[float]] = {"without": [], "with": []}
    stages: dict[str, dict[str, list[float]]] = {"without": {}, "with": {}}
    for turn in range(3):  # the first of each warms the booklet cache; the least of the other two counts
        for name, source in (("without", without), ("with", data)):
            output, cache = folder / f"output-{name}", folder / f"cache-{name}"
            shutil.rmtree(output, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            env = {**os.environ, "DPS_BOOKLET_CACHE": str(booklets)}
            started = time.perf_counter()
            done = subprocess.run([dps, "build", "--json", "--data", str(source), "--output", str(output),
                                   "--cache", str(cache), "--frozen", str(folder / "no-frozen")], check=True,
                                  cwd=ROOT, env=env, capture_output=True, text=True)
            if turn:
                totals[name].append(time.perf_counter() - started)
                for stage, seconds in json.loads(done.stdout)["timings"].items():
                    stages[name].setdefault(stage, []).append(seconds)
    for stage in stages["with"]:
        added = min(stages["with"][stage]) - min(stages["without"].get(stage, [0.0]))
        print(f"| stage {stage}: with / without | {min(stages['with'][stage]):.1f} s / "
              f"{min(stages['without'].get(stage, [0.0])):.1f} s ({added:+.1f} s) | |")
    print(f"| cold build without places and postcodes (least of 2) | {min(totals['without']):.1f} s | |")
    print(f"| cold build with them (least of 2) | {min(totals['with']):.1f} s | |")
    print(f"| what they add | {min(totals['with']) - min(totals['without']):+.1f} s | under 5 s |")
    return 0


def booklet_figures(data: Path, folder: Path, sample: int = 1) -> int:
    """Lay out the booklets of ``data`` (every ``sample``-th of them) into an empty cache, then again from it."""
    from dps_publish.model.build import build_model
    from dps_publish.settings import load_settings
    from dps_publish.site.assets import PACKAGED_THEME
    from dps_publish.site.booklets import booklet_pages, write_booklets
    from dps_publish.site.pages import site_pages
    from dps_publish.sources.validate import validate_folder

    settings = load_settings(ROOT / "pelicanconf.py")
    model = build_model(validate_folder(data, folder.parent / "validate-cache").tables,
                        example_data=settings.example_data, threshold=settings.small_number_threshold)
    every = booklet_pages(site_pages(model))
    chosen = every[::max(1, sample)]
    shutil.rmtree(folder, ignore_errors=True)
    os.environ.pop("DPS_BOOKLET_CACHE", None)
    cache, out = folder / "cache", folder / "out"
    started, cpu = time.perf_counter(), cpu_seconds()
    cold = write_booklets(model, settings, PACKAGED_THEME, out, chosen, cache)
    cold_seconds, cold_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    shutil.rmtree(out)
    started = time.perf_counter()
    warm = write_booklets(model, settings, PACKAGED_THEME, out, chosen, cache)
    warm_seconds = time.perf_counter() - started
    pdfs = [f for files in cold.files.values() for f in files]
    pages = sum(f.pages for f in pdfs)
    parts = sum(1 for files in cold.files.values() if len(files) > 1)
    print(f"booklets of {data}, {dt.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores")
    print("| measure | result |")
    print("|---|---|")
    print(f"| pages with a booklet | {len(every):,}{f' (every {sample}th measured: {len(chosen):,})' if sample > 1 else ''} |")
    print(f"| PDFs laid out (booklets in parts) | {cold.rendered:,} ({parts:,} in parts) |")
    print(f"| pages laid out | {pages:,} ({pages / max(1, len(pdfs)):.1f} a PDF, largest {max(f.pages for f in pdfs)}) |")
    print(f"| size | {sum(f.size for f in pdfs) / 1e6:.1f} MB ({sum(f.size for f in pdfs) / max(1, pages) / 1e3:.1f} KB a page) |")
    print(f"| laid out and checked from nothing | {cold_seconds:.1f} s ({pages / cold_seconds:.1f} pages a second; "
          f"load {load()}) |")
    print(f"| CPU time of that, all processes | {cold_cpu:.1f} s ({pages / cold_cpu:.1f} pages a CPU second) |")
    print(f"| again, every booklet from the cache | {warm_seconds:.2f} s ({warm.rendered} laid out) |")
    if sample > 1:
        scale = len(every) / len(chosen)
        print(f"| all {len(every):,}, estimated from the sample | {cold_seconds * scale:,.0f} s from nothing, "
              f"{warm_seconds * scale:.2f} s from the cache |")
    return 0


def cpu_seconds() -> float:
    """CPU time (user and system) of this process and of the children it has waited for (the workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def unchanged_booklet_figures(data: Path, folder: Path) -> int:
    """How long the booklet stage takes to find every booklet of ``data`` unchanged: a cache whose index knows each
    page's fingerprint (each page's PDF a one-page stand-in, as linking does not read it), then the stage run."""
    from dps_publish.model.build import build_model
    from dps_publish.settings import load_settings
    from dps_publish.site.assets import PACKAGED_THEME
    from dps_publish.site.booklets import (
        BookletIndex,
        BookletMaker,
        _naming_digest,
        booklet_fingerprints,
        booklet_pages,
        write_booklets,
    )
    from dps_publish.site.pages import site_pages
    from dps_publish.sources.validate import validate_folder

    settings = load_settings(ROOT / "pelicanconf.py")
    model = build_model(validate_folder(data, folder.parent / "validate-cache").tables,
                        example_data=settings.example_data, threshold=settings.small_number_threshold)
    pages = site_pages(model)
    by_path = {page.path: page for page in booklet_pages(pages)}
    shutil.rmtree(folder, ignore_errors=True)
    cache, out = folder / "cache", folder / "out"
    cache.mkdir(parents=True)
    index = BookletIndex(cache, _naming_digest(model.naming))
    for path, fingerprint in booklet_fingerprints(BookletMaker(model, settings, PACKAGED_THEME), PACKAGED_THEME,
                                                  by_path).items():
        key = fingerprint  # any name will do for a stand-in
        (cache / f"{key}.pdf").write_bytes(b"%PDF-1.7 stand-in")
        index.add(fingerprint, [[key, 9, 17]])
    index.save()
    started, cpu = time.perf_counter(), cpu_seconds()
    found = write_booklets(model, settings, PACKAGED_THEME, out, pages, cache)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    assert found.rendered == 0 and found.reused == len(by_path), (found.rendered, found.reused)
    print(f"| every booklet found unchanged ({len(by_path):,} pages, fingerprints, one index, PDFs linked) | "
          f"{seconds:.2f} s ({cpu:.2f} s of CPU; load {load()}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

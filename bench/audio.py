"""How long the easy-read recordings take to make, and how much they weigh (issue 27, "Listen to it").

    python bench/audio.py                       # the example: from nothing, then from the cache
    python bench/audio.py --county FOLDER       # also a sample of a county data set (bench/generate.py)

For the example it times the ``artefacts`` stage's audio (``site/audio.py``) from an empty cache and again from
the full one, and says the minutes and megabytes made; the targets are under 90 s and under 25 MB added to the
example's first build. For a county data set (``python bench/generate.py FOLDER``) it records a sample of the
easy-read pages (``--sample``, chosen evenly across the kinds of page), measures seconds of work per spoken word,
and estimates the one-off first build of them all from every page's spoken word count.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def pages_of(data: Path):
    """The model, settings and easy-read pages of a data folder, with the tables."""
    from helpers import THEME, project

    from dps_publish.model.build import build_model
    from dps_publish.site.booklets import booklet_pages
    from dps_publish.site.pages import site_pages
    from dps_publish.sources.validate import validate_folder

    p = project(data, Path(tempfile.mkdtemp()))
    validation = validate_folder(data, None)
    if not validation.ok:
        raise SystemExit(f"{data} has problems: {validation.problems[:3]}")
    model = build_model(validation.tables, example_data=p.settings.example_data,
                        threshold=p.settings.small_number_threshold)
    return model, p.settings, THEME, booklet_pages(site_pages(model)), validation.tables


def record(model, settings, theme, pages, tables, cache: Path) -> tuple[float, object]:
    from dps_publish.site.audio import write_audio

    out = Path(tempfile.mkdtemp(prefix="dps-bench-audio-"))
    try:
        started = time.perf_counter()
        made = write_audio(model, settings, theme, out, pages, cache, tables=tables)
        return time.perf_counter() - started, made
    finally:
        shutil.rmtree(out, ignore_errors=True)


def work(cache: Path) -> float:
    """Processor seconds the recordings in ``cache`` took to make (each worker's own, whatever the machine's load)."""
    import json

    return json.loads((cache / "work.json").read_text(encoding="utf-8"))["seconds"]


def totals(made) -> tuple[float, float, int]:
    files = [f for fs in made.files.values() for f in fs]
    return sum(f.seconds for f in files) / 60, sum(f.size for f in files) / 1e6, sum(f.spoken_words for f in files)


def example() -> None:
    model, settings, theme, pages, tables = pages_of(ROOT / "data")
    cache = Path(tempfile.mkdtemp(prefix="dps-bench-audio-cache-"))
    try:
        cold, made = record(model, settings, theme, pages, tables, cache)
        processor = work(cache)
        minutes, megabytes, words = totals(made)
        warm, again = record(model, settings, theme, pages, tables, cache)
        edit, edited, said = one_provider_renamed(cache)
        lines_mb = sum(f.stat().st_size for f in (cache / "lines").iterdir()) / 1e6
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"example: {len(made.files)} recordings, {words:,} words, {minutes:.1f} minutes, {megabytes:.1f} MB "
          f"({megabytes * 1e6 / max(1, minutes * 60) * 8 / 1000:.1f} kbps)")
    print(f"  from nothing: {cold:.1f} s ({made.rendered} made; {processor:.0f} s of processor time in the workers, "
          f"so about {processor / 2:.0f} s on two free cores)   target: under 90 s, under 25 MB")
    print(f"  from the cache: {warm:.2f} s ({again.reused} unchanged, {again.rendered} made)")
    print(f"  one provider renamed: {edit:.1f} s, {edited.rendered} recordings made again from {said['lines']} lines "
          f"said and {said['lines_known']} from the line cache ({lines_mb:.1f} MB of lines); without the line cache "
          f"all {said['lines'] + said['lines_known']} would be said")


def one_provider_renamed(cache: Path):
    """The first provider renamed in a copy of the example: the seconds, the stage's Made and work.json."""
    import csv
    import io
    import json

    folder = Path(tempfile.mkdtemp(prefix="dps-bench-audio-data-"))
    try:
        shutil.copytree(ROOT / "data", folder / "data")
        path = folder / "data" / "providers.csv"
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        rows[0]["name"] = "Oast House Makers CIC"
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        seconds, made = record(*pages_of(folder / "data"), cache)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return seconds, made, json.loads((cache / "work.json").read_text(encoding="utf-8"))


def county(folder: Path, sample: int) -> None:
    from dps_publish.site.audio import _content_blocks
    from dps_publish.site.booklets import BookletMaker
    from dps_publish.site.speech import pronunciations_of, spoken_lines, spoken_word_count

    model, settings, theme, pages, tables = pages_of(folder)
    maker = BookletMaker(model, settings, theme)
    said = pronunciations_of(tables.get("pronunciations"))
    started = time.perf_counter()
    words = {page.path: spoken_word_count(spoken_lines(_content_blocks(maker, page), said)) for page in pages}
    reading = time.perf_counter() - started
    kinds = Counter(page.template for page in pages)
    step = max(1, len(pages) // sample)
    chosen = pages[::step][:sample]
    cache = Path(tempfile.mkdtemp(prefix="dps-bench-audio-cache-"))
    try:
        seconds, made = record(model, settings, theme, chosen, tables, cache)
        processor = work(cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    minutes, megabytes, sample_words = totals(made)
    all_words = sum(words.values())
    scale = all_words / max(1, sample_words)
    print(f"county {folder}: {len(pages)} easy-read pages with a recording ({dict(kinds)}), {all_words:,} words "
          f"(reading their text: {reading:.1f} s)")
    print(f"  sample: {len(chosen)} pages, {sample_words:,} words, {minutes:.1f} minutes, {megabytes:.1f} MB, "
          f"made in {seconds:.1f} s ({processor:.0f} s of processor time)")
    print(f"  estimate for all: {minutes * scale / 60:.1f} hours, {megabytes * scale / 1000:.2f} GB, "
          f"{seconds * scale / 60:.0f} minutes of a first build as measured, {processor * scale / 2 / 60:.0f} minutes "
          "on two free cores (once; then only changed pages)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county", type=Path, help="a folder made by bench/generate.py")
    parser.add_argument("--sample", type=int, default=12, help="county pages to record (default 12)")
    parser.add_argument("--no-example", action="store_true")
    args = parser.parse_args()
    if not args.no_example:
        example()
    if args.county:
        county(args.county, args.sample)


if __name__ == "__main__":
    main()

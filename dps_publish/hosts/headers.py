"""The one table of response headers every file of the site is served with, whatever the host.

Hosts guess: an object store types a ``.pagefind`` file as binary junk, a web server adds
``Content-Encoding: gzip`` to Pagefind's fragments (which are gzip already, so the browser unpacks
them twice and search breaks), a CDN keeps an old page for a day. So every file's Content-Type and
Cache-Control come from here: object-store drivers set them on each upload, the manifest records them,
verification checks them from the public address, and the example nginx and Caddy configurations in
``docs/hosting/`` are written from the same table (a test holds them equal).

Cache-Control, by kind of file:

- pages, the theme, charts, feeds: ``no-cache`` (kept, but asked for again each time: fixed names);
- Pagefind's content-named files (``fragment/*.pf_fragment``, ``index/*.pf_index``, ``*.pf_meta``):
  a year, immutable: a new index gets new names;
- Pagefind's fixed-name runtime (``pagefind.js``, ``pagefind-entry.json``, ``wasm.*.pagefind``, the
  UI files, our ``shards.json``): ``no-cache``, so it never points at fragments that are gone;
- open data (CSV and JSON outside ``pagefind/``): five minutes;
- booklets (PDF) and audio: an hour;
- the release manifest: ``no-store``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

# The release manifest, at the root of every release: which release this is and every file in it.
MANIFEST_NAME = "dps-release.json"

REVALIDATE = "public, no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
OPEN_DATA = "public, max-age=300"
DOWNLOAD = "public, max-age=3600"
NO_STORE = "no-store"

# Content-Type by the file's ending. Text is always UTF-8 and says so.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".geojson": "application/geo+json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".pdf": "application/pdf",
    ".wasm": "application/wasm",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".vtt": "text/vtt; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".zip": "application/zip",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".parquet": "application/vnd.apache.parquet",
    # Pagefind's own files are gzip inside; served as plain bytes (never with Content-Encoding), Pagefind
    # unpacks them itself.
    ".pf_fragment": "application/octet-stream",
    ".pf_index": "application/octet-stream",
    ".pf_meta": "application/octet-stream",
    ".pagefind": "application/octet-stream",
}
# Whole names with a type of their own.
NAMED_TYPES = {
    "feed.atom.xml": "application/atom+xml; charset=utf-8",
}

_PAGEFIND_CONTENT_NAMED = re.compile(r"(?:^|/)(?:fragment/[^/]+\.pf_fragment|index/[^/]+\.pf_index|[^/]+\.pf_meta)$")


@dataclass(frozen=True)
class FileHeaders:
    content_type: str
    cache_control: str
    kind: str  # page, asset, search-index, search-runtime, open-data, download, manifest


class UnknownFileType(ValueError):
    """A file whose ending is not in the table: no host is left to guess its type."""

    def __init__(self, path: str):
        self.path = path
        ending = posixpath.splitext(path)[1] or "(none)"
        super().__init__(
            f"{path}: dps-publish does not know what kind of file this is (its ending is {ending}), so it cannot "
            "say how the web host should serve it. Remove it from the site's content, or ask for its ending to be "
            "added to dps_publish/hosts/headers.py.")


def is_pagefind(path: str) -> bool:
    return path == "pagefind" or path.startswith("pagefind/")


def kind_of(path: str) -> str:
    """What a file is to the site, from its path in the release (``a/b/index.html``)."""
    ending = posixpath.splitext(path)[1].lower()
    if path == MANIFEST_NAME:
        return "manifest"
    if is_pagefind(path):
        return "search-index" if _PAGEFIND_CONTENT_NAMED.search(path) else "search-runtime"
    if ending == ".html":
        return "page"
    if ending in (".pdf", ".mp3", ".m4a", ".ogg", ".opus", ".vtt", ".zip"):
        return "download"
    if ending in (".csv", ".json", ".geojson", ".parquet", ".xlsx", ".ods"):
        return "open-data"
    return "asset"


CACHE_CONTROL = {
    "page": REVALIDATE,
    "asset": REVALIDATE,
    "search-index": IMMUTABLE,
    "search-runtime": REVALIDATE,
    "open-data": OPEN_DATA,
    "download": DOWNLOAD,
    "manifest": NO_STORE,
}


def content_type_of(path: str) -> str:
    name = posixpath.basename(path)
    if name in NAMED_TYPES:
        return NAMED_TYPES[name]
    try:
        return CONTENT_TYPES[posixpath.splitext(name)[1].lower()]
    except KeyError:
        raise UnknownFileType(path) from None


def headers_for(path: str) -> FileHeaders:
    """The Content-Type and Cache-Control a file is served with; ``UnknownFileType`` for an ending not in the
    table."""
    kind = kind_of(path)
    return FileHeaders(content_type_of(path), CACHE_CONTROL[kind], kind)

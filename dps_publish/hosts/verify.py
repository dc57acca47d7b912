"""Checking a release from the public address (or the origin behind a CDN), as readers will fetch it.

Every file the release changed and a fixed sample (the home page, a provider page, a CSV, a booklet, the search
entry file, one fragment) are fetched and compared with the manifest: status 200, the same sha256, the same
Content-Type and Cache-Control, and no Content-Encoding on Pagefind's files (they are gzip inside: a host that
compresses them again breaks search). The manifest at the root must name the new release. Each changed page's
local links are fetched too. ``HTTPS_PROXY`` and ``NO_PROXY`` are honoured (httpx reads them).
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urldefrag, urljoin, urlsplit

import httpx

from .headers import MANIFEST_NAME, is_pagefind
from .manifest import Entry, Manifest

WORKERS = 8
_SAMPLE = (
    ("the home page", re.compile(r"index\.html")),
    ("a provider page", re.compile(r"providers/[^/]+/index\.html")),
    ("a CSV file", re.compile(r"data/[^/]+\.csv")),
    ("a booklet", re.compile(r".+\.pdf")),
    ("the search entry file", re.compile(r"pagefind/pagefind-entry\.json")),
    ("a search fragment", re.compile(r"pagefind/fragment/[^/]+\.pf_fragment")),
)


@dataclass
class Verification:
    address: str
    checked: int = 0
    links: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sample_of(manifest: Manifest) -> list[str]:
    """The fixed sample: the first file of each kind, by path."""
    chosen = []
    for _, pattern in _SAMPLE:
        match = next((e.path for e in manifest.files if pattern.fullmatch(e.path)), None)
        if match:
            chosen.append(match)
    return chosen


def url_of(address: str, path: str) -> str:
    """Where readers fetch a release path: ``a/index.html`` is asked for as ``a/``."""
    if path == "index.html":
        path = ""
    elif path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return address.rstrip("/") + "/" + quote(path, safe="/~")


def client(ca_file: str = "", timeout: float = 30.0) -> httpx.Client:
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
    return httpx.Client(verify=verify, timeout=timeout, follow_redirects=False, trust_env=True,
                        headers={"Accept-Encoding": "gzip, br", "User-Agent": "dps-publish verify"})


def verify_release(address: str, manifest: Manifest, changed: Iterable[str], site: Path, *, ca_file: str = "",
                   on_progress: Callable[[int, int], None] | None = None) -> Verification:
    result = Verification(address)
    paths = sorted(set(changed) | set(sample_of(manifest)))
    with client(ca_file) as http:
        problem = _check_manifest(http, address, manifest)
        if problem:
            result.problems.append(problem)
            return result
        done = 0
        with ThreadPoolExecutor(WORKERS) as pool:
            for problem in pool.map(lambda p: _check_file(http, address, manifest.by_path[p]), paths):
                done += 1
                if problem:
                    result.problems.append(problem)
                if on_progress:
                    on_progress(done, len(paths))
        result.checked = len(paths)
        # a link to a file just checked needs no second fetch (a first release links almost only to those)
        fetched = {url_of(address, p) for p in paths}
        resolved: dict[tuple[str, str], str | None] = {}  # a theme's links are the same on every page
        pages = [p for p in paths if p.endswith(".html")]
        with ThreadPoolExecutor(WORKERS) as pool:
            found = set().union(*pool.map(lambda p: _local_links(site / p, url_of(address, p), address, resolved),
                                          pages))
            result.problems += [p for p in pool.map(lambda u: _check_link(http, u), sorted(found - fetched)) if p]
        result.links = len(found)  # each checked: as a file above, or fetched as a link
    return result


def _fetch(http: httpx.Client, url: str) -> tuple[httpx.Response | None, str | None]:
    try:
        return http.get(url), None
    except httpx.HTTPError as exc:
        return None, f"{url}: could not be fetched ({_reason(exc)})"


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError) and "CERTIFICATE" in str(exc).upper():
        return "its HTTPS certificate is not trusted by this computer"
    if isinstance(exc, httpx.ConnectError):
        return "the address could not be reached"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    return type(exc).__name__


def _check_manifest(http: httpx.Client, address: str, manifest: Manifest) -> str | None:
    url = url_of(address, MANIFEST_NAME)
    response, problem = _fetch(http, url)
    if problem:
        return problem
    if response.status_code != 200:
        return f"{url}: answered {response.status_code}, not the release manifest"
    try:
        release = json.loads(response.content).get("release")
    except ValueError:
        return f"{url}: is not the release manifest"
    if release != manifest.release:
        return f"{url}: names release {release}, not {manifest.release}: the public address serves another release"
    return None


def _check_file(http: httpx.Client, address: str, entry: Entry) -> str | None:
    url = url_of(address, entry.path)
    response, problem = _fetch(http, url)
    if problem:
        return problem
    if response.status_code != 200:
        return f"{url}: answered {response.status_code}, expected 200"
    found = []
    if hashlib.sha256(response.content).hexdigest() != entry.sha256:
        found.append(f"its bytes differ from the release's ({len(response.content):,} bytes, expected {entry.size:,})")
    for header, expected in (("content-type", entry.content_type), ("cache-control", entry.cache_control)):
        got = response.headers.get(header)
        if _normal(got) != _normal(expected):
            found.append(f"{header.title()} is {got!r}, expected {expected!r}")
    encoding = response.headers.get("content-encoding")
    if is_pagefind(entry.path) and encoding not in (None, "identity"):
        found.append(f"it is sent with Content-Encoding {encoding!r}; Pagefind's files are gzip already and must be "
                     "sent as they are")
    return f"{url}: " + "; ".join(found) if found else None


def _normal(value: str | None) -> str | None:
    return None if value is None else re.sub(r"\s*([;,])\s*", r"\1 ", value.strip().lower())


def _check_link(http: httpx.Client, url: str) -> str | None:
    response, problem = _fetch(http, url)
    if problem:
        return "a link " + problem
    if response.status_code in (301, 302, 307, 308):
        location = response.headers.get("location", "")
        target, problem = _fetch(http, urljoin(url, location))
        if problem or target.status_code != 200:
            return f"a link to {url}: redirects to {location}, which does not answer 200"
        return None
    if response.status_code != 200:
        return f"a link to {url}: answered {response.status_code}"
    return None


def _local_links(page: Path, page_url: str, address: str, resolved: dict | None = None) -> set[str]:
    """The links of a page that stay on the site, without fragments or queries. ``resolved`` remembers what a link
    resolves to from a folder, for the next page in the same folder."""
    import lxml.html
    from lxml.html.defs import link_attrs

    try:
        tree = lxml.html.fromstring(page.read_bytes())
    except (OSError, ValueError):
        return set()
    resolved = {} if resolved is None else resolved
    folder = page_url.rsplit("/", 1)[0] + "/"  # a relative link means the same from any page of the folder
    links = set()
    for element in tree.iter(*_LINKING):
        attributes = element.attrib
        for attribute in link_attrs:
            link = attributes.get(attribute)
            if link is None:
                continue
            base = page_url if not link or link[0] in "#?" else folder
            key = (base, link)
            if key not in resolved:
                resolved[key] = _on_site(urljoin(base, link), address)
            if resolved[key] is not None:
                links.add(resolved[key])
    return links


_LINKING = ("a", "link", "script", "img", "source", "audio", "video", "track", "iframe")


def _on_site(url: str, address: str) -> str | None:
    """``url`` without fragment or query if it is on the site at ``address``, else None."""
    absolute, _ = urldefrag(url)
    parts, site = urlsplit(absolute), urlsplit(address)
    if parts.scheme == site.scheme and parts.netloc == site.netloc and \
            parts.path.startswith(site.path.rstrip("/") + "/"):
        return parts._replace(query="").geturl()
    return None

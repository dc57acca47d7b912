"""A reader during the switch: while a release goes live on the releases folder (behind Caddy) and over SSH, a
crawler in another thread fetches, again and again, every file the two releases differ in and every file the
changed pages link to, one after another. It must meet no 404, and no mix of two releases: every answer is
one release's file, and once it has met the new release it never meets the old one again (a switch made file
by file would serve new pages beside old ones for a while). The crawl is bounded in time and must have run
both before and after the switch.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import lxml.html
import pytest
from hosting import caddy, copy_site, live_release, rewrite, sshd, trust, url_of

from dps_publish.hosts.config import web_host_of
from dps_publish.hosts.deploy import Target, deploy
from dps_publish.hosts.manifest import manifest_of
from dps_publish.hosts.secrets import Secrets

ADDRESS = "https://support.northshire.gov.uk"
EDITED = 12  # provider pages changed in the second release
LIMIT = 300  # seconds the crawl may run at most


@dataclass
class Crawl:
    answers: list = field(default_factory=list)  # (path, "old" | "new" | "both" | "neither", status), in order
    passes: int = 0
    error: str = ""


def _second_site(site: Path, folder: Path) -> Path:
    """The example with EDITED provider pages, the providers CSV and the theme's stylesheet changed."""
    two = copy_site(site, folder / "two")
    for n, page in enumerate(sorted(two.glob("providers/*/index.html"))[:EDITED]):
        rewrite(page, lambda b, n=n: b.replace(b"<h1", f'<h1 data-release="two-{n}"'.encode(), 1))
    rewrite(two / "data/providers.csv", lambda b: b.replace(b"\n", b"\r\n", 1))
    for css in sorted(two.glob("theme/**/*.css"))[:1]:
        rewrite(css, lambda b: b + b"\n/* release two */\n")
    return two


def _watched(one: Path, two: Path) -> tuple[list[str], dict, dict]:
    """The paths to fetch (what differs, and what the changed pages link to) and each release's sha256 by path."""
    old = {e.path: e.sha256 for e in manifest_of(one, "", "").files}
    new = {e.path: e.sha256 for e in manifest_of(two, "", "").files}
    changed = sorted(p for p in new if old.get(p) != new[p])
    linked = set()
    for path in changed:
        if not path.endswith(".html"):
            continue
        url = url_of("https://x.invalid", path)
        for element, _, link, _ in lxml.html.fromstring((two / path).read_bytes()).iterlinks():
            if element.tag not in ("a", "link", "script", "img"):
                continue
            target, _ = urldefrag(urljoin(url, link))
            parts = urlsplit(target)
            if parts.netloc != "x.invalid":
                continue
            local = parts.path.lstrip("/")
            local = local + "index.html" if local.endswith("/") or not local else local
            if local in new:
                linked.add(local)
    return changed + sorted(linked - set(changed)), old, new


def _crawl(address: str, ca_file: Path, paths: list[str], old: dict, new: dict, stop: threading.Event,
           told: Crawl) -> None:
    deadline = time.monotonic() + LIMIT
    try:
        with httpx.Client(verify=trust(ca_file), timeout=30) as http:
            while time.monotonic() < deadline:
                finishing = stop.is_set()  # one whole pass more after the deploy ended
                for path in paths:
                    answer = http.get(url_of(address, path))
                    digest = hashlib.sha256(answer.content).hexdigest()
                    kind = ("both" if old.get(path) == digest == new.get(path) else "old" if old.get(path) == digest
                            else "new" if new.get(path) == digest else "neither")
                    told.answers.append((path, kind, answer.status_code))
                told.passes += 1
                if finishing:
                    return
    except Exception as exc:  # noqa: BLE001 - the test reports it
        told.error = f"{type(exc).__name__}: {exc}"


def _during(site: Path, folder: Path, server, target: Target, secrets: Secrets) -> Crawl:
    cache = folder / "cache"
    deploy(site, target, secrets, cache)
    two = _second_site(site, folder)
    paths, old, new = _watched(site, two)
    assert len(paths) > EDITED
    told, stop = Crawl(), threading.Event()
    crawler = threading.Thread(target=_crawl, args=(server.address, server.ca_file, paths, old, new, stop, told))
    crawler.start()
    try:
        while told.passes < 1 and crawler.is_alive():  # the crawl has met the old release whole first
            time.sleep(0.05)
        outcome = deploy(two, target, secrets, cache)
    finally:
        stop.set()
        crawler.join(LIMIT + 60)
    assert outcome.action == "live"
    assert live_release(server.address, server.ca_file) == outcome.release
    return told


def _problems(told: Crawl) -> list[str]:
    problems = [told.error] if told.error else []
    problems += [f"{path} answered {status}" for path, _, status in told.answers if status != 200]
    problems += [f"{path}: bytes of neither release" for path, kind, status in told.answers
                 if kind == "neither" and status == 200]
    kinds = [kind for _, kind, _ in told.answers]
    if "new" in kinds:
        after = kinds[kinds.index("new"):]
        back = [told.answers[kinds.index("new") + i][0] for i, kind in enumerate(after) if kind == "old"]
        problems += [f"{path}: the old release's file, after the new release had been served" for path in back]
    return problems


@pytest.fixture(scope="module")
def site(example_build) -> Path:
    return example_build[0]


def test_a_reader_during_the_switch_on_a_releases_folder_meets_one_release_and_no_404(site, tmp_path):
    with caddy(tmp_path, tmp_path / "site") as server:
        host = web_host_of({"kind": "releases", "path": str(server.releases), "verify_url": server.address,
                            "ca_file": str(server.ca_file)})
        told = _during(site, tmp_path, server, Target(host, ADDRESS), Secrets({}, {}))
    kinds = {kind for _, kind, _ in told.answers}
    assert {"old", "new"} <= kinds, f"the crawl did not run across the switch ({told.passes} passes): {kinds}"
    assert _problems(told) == []


def test_a_reader_during_the_switch_over_ssh_meets_one_release_and_no_404(site, tmp_path):
    (tmp_path / "sshd").mkdir()
    with sshd(tmp_path / "sshd") as ssh, caddy(tmp_path, tmp_path / "site") as server:
        host = web_host_of({"kind": "ssh", "host": "127.0.0.1", "port": ssh.port, "user": ssh.user,
                            "path": str(server.releases), "host_key": ssh.host_key, "verify_url": server.address,
                            "ca_file": str(server.ca_file)})
        told = _during(site, tmp_path, server, Target(host, ADDRESS), Secrets({"ssh_key": ssh.private_key}, {}))
    kinds = {kind for _, kind, _ in told.answers}
    assert {"old", "new"} <= kinds, f"the crawl did not run across the switch ({told.passes} passes): {kinds}"
    assert _problems(told) == []

"""Real object stores on 127.0.0.1 for the hosts tests, each with Caddy in front serving it as a website.

Azurite (npm ``azurite``, pinned in package.json) is Azure Blob Storage; moto's standalone server is S3. Neither
serves a website (no index document, no 404 page), so ``tests/fixtures/hosts/website-endpoint.Caddyfile`` puts
Caddy in front of each, as Azure's static website and S3's website endpoints serve: verification and the
crawls go through it. Each server is started on a free loopback port through tests/hosting.py's ``running``,
which waits (bounded) for it and stops it by its own process id.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import lxml.html
from helpers import ROOT
from hosting import free_port, need, running

from dps_publish.hosts.verify import url_of

CADDYFILE = Path(__file__).resolve().parent / "fixtures" / "hosts" / "website-endpoint.Caddyfile"
AZURITE = ROOT / "node_modules" / ".bin" / "azurite-blob"


@dataclass(frozen=True)
class Served:
    port: int
    log: Path


@contextmanager
def azurite(folder: Path, accounts: dict[str, str]):
    """Azurite's Blob service with these accounts (name: key, in base64)."""
    need(str(AZURITE))
    folder.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), folder / "azurite.log"
    command = [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(folder),
               "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"]
    env = {**os.environ, "AZURITE_ACCOUNTS": ";".join(f"{name}:{key}" for name, key in accounts.items())}
    with running(command, port, log, env=env):
        yield Served(port, log)


@contextmanager
def moto_s3(folder: Path):
    """moto's standalone server, for S3."""
    folder.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), folder / "moto.log"
    with running([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, log):
        yield Served(port, log)


@contextmanager
def website(folder: Path, store_port: int, prefix: str):
    """Caddy serving the bucket (or container) at ``prefix`` of the store as a website endpoint does."""
    need("caddy")
    folder.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), folder / "caddy.log"
    text = CADDYFILE.read_text(encoding="utf-8").replace("@LISTEN@", f"127.0.0.1:{port}") \
        .replace("@STORE@", f"127.0.0.1:{store_port}").replace("@PREFIX@", prefix)
    (folder / "Caddyfile").write_text(text, encoding="utf-8")
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
           "XDG_CONFIG_HOME": str(folder / "config")}
    with running(["caddy", "run", "--config", str(folder / "Caddyfile"), "--adapter", "caddyfile"], port, log,
                 env=env):
        yield Served(port, log)


def planted_key(label: str) -> str:
    """A secret to plant and look for: an Azure account key is base64 of 64 bytes, so is this."""
    return base64.b64encode(f"PLANTED-{label}-".encode().ljust(64, b"k")).decode()


# --- looking at the public site ----------------------------------------------------------------------------------


def read_back(address: str, paths, workers: int = 8) -> dict[str, httpx.Response]:
    """Every path fetched from the public address."""
    with httpx.Client(timeout=30, trust_env=False) as http, ThreadPoolExecutor(workers) as pool:
        return dict(zip(paths, pool.map(lambda p: http.get(url_of(address, p)), paths)))


def live_manifest(address: str) -> dict | None:
    with httpx.Client(timeout=30, trust_env=False) as http:
        answer = http.get(f"{address}/dps-release.json")
    return answer.json() if answer.status_code == 200 else None


@dataclass
class Crawl:
    pages: int = 0
    files: int = 0
    missing: list[str] = field(default_factory=list)  # "page: link answered 404"


_LINKING = ("a", "link", "script", "img", "source", "audio", "video", "track", "iframe")


def crawl(address: str, pages: list[str], workers: int = 8) -> Crawl:
    """Fetch every page (and every page it links to), then every file the pages link to on the site: what a
    reader following every link would meet."""
    result, seen, lock = Crawl(), set(), threading.Lock()
    site = urlsplit(address)
    queue = [url_of(address, p) for p in pages]
    links: dict[str, set[str]] = {}  # target: the pages linking to it

    def fetch(url: str) -> tuple[str, httpx.Response]:
        return url, http.get(url)

    with httpx.Client(timeout=30, trust_env=False) as http, ThreadPoolExecutor(workers) as pool:
        while queue:
            batch = [u for u in dict.fromkeys(queue) if u not in seen]
            seen.update(batch)
            queue = []
            for url, answer in pool.map(fetch, batch):
                if answer.status_code != 200:
                    with lock:
                        result.missing.append(f"{url} answered {answer.status_code} (linked from "
                                              f"{', '.join(sorted(links.get(url, {'the list of pages'}))[:3])})")
                    continue
                if not answer.headers.get("content-type", "").startswith("text/html"):
                    result.files += 1
                    continue
                result.pages += 1
                tree = lxml.html.fromstring(answer.content)
                for element, _, link, _ in tree.iterlinks():
                    if element.tag not in _LINKING:
                        continue
                    target, _ = urldefrag(urljoin(url, link))
                    parts = urlsplit(target)
                    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
                        continue
                    target = parts._replace(query="").geturl()
                    links.setdefault(target, set()).add(urlsplit(url).path)
                    if target not in seen:
                        queue.append(target)
    return result


# --- running dps-publish -----------------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict:
        return json.loads(self.out)


class CommandLines:
    """Every process's command line on this computer, sampled while deploys run: a secret must appear in none."""

    def __init__(self):
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    try:
                        with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                            self.seen.add(f.read().replace(b"\0", b" ").decode(errors="replace"))
                    except OSError:
                        pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def dps(args: list[str], env: dict, kill_after: str | None = None, timeout: int = 300) -> Run:
    """``dps-publish ARGS`` in a child process, its secrets given only in its environment. ``kill_after``
    ("asset:20", "page:60") runs it through object_store_deploy.py, which kills it with SIGKILL there."""
    if kill_after:
        command = [sys.executable, str(Path(__file__).resolve().parent / "object_store_deploy.py"), kill_after, *args]
    else:
        command = [sys.executable, "-m", "dps_publish", *args]
    child_env = {k: v for k, v in os.environ.items() if not re.match(r"(AWS_|AZURE_|DPS_WEB_HOST_)", k)}
    done = subprocess.run(command, capture_output=True, text=True, env={**child_env, **env}, cwd=ROOT,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return Run(done.returncode, done.stdout, done.stderr)

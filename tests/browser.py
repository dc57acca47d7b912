"""Helpers for the browser and HTML tests: a local server, Debian's Chromium, axe-core.

Browser downloads fail here (``playwright install`` is never run): Playwright
launches the ``chromium`` that ``make test`` apt-installs, by its path.
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import subprocess
import threading
from collections import defaultdict
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
from helpers import ROOT

NODE_MODULES = ROOT / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--headless",
]

# Every host but 127.0.0.1 fails to resolve, so no page can reach the network (its requests to
# other hosts still show in page.on("request") and fail with net::ERR_NAME_NOT_RESOLVED).
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

# The WCAG levels every page must meet (axe-core tags).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

HOST = "127.0.0.1"


# -- serving a folder -------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the name http.server uses
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 on a free port in a background thread; yields the base URL
    (no trailing slash), e.g. ``http://127.0.0.1:41234``."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer((HOST, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"serve {folder}", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- the browser -------------------------------------------------------------------------------


def chromium_path() -> Path:
    """Debian's Chromium, or a test failure that says how to install it."""
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    pytest.fail(
        "Chromium is not installed, so the browser tests cannot run. Run `make test`: it installs "
        "Debian's chromium (scripts/install-test-tools.sh, `apt-get install chromium`). Do not run "
        "`playwright install`: browser downloads fail here.",
        pytrace=False,
    )


def launch_chromium(playwright, offline: bool = True):
    """Launch Debian's Chromium headless through a Playwright sync API instance.

    ``offline``: only 127.0.0.1 resolves (see OFFLINE_ARGS)."""
    path = chromium_path()
    args = CHROMIUM_ARGS + (OFFLINE_ARGS if offline else [])
    try:
        return playwright.chromium.launch(executable_path=str(path), args=args, headless=True)
    except Exception as error:  # noqa: BLE001 - say what to do, whatever went wrong
        pytest.fail(
            f"Chromium at {path} did not start: {error}\nRun `make test` (it installs Debian's chromium).",
            pytrace=False,
        )


# -- the pages of a built site -----------------------------------------------------------------


def page_url(output: Path, file: Path) -> str:
    """The site path of an HTML file: ``x/index.html`` -> ``/x/``, ``index.html`` -> ``/``."""
    relative = file.relative_to(output).as_posix()
    if relative == "index.html":
        return "/"
    if relative.endswith("/index.html"):
        return "/" + relative[: -len("index.html")]
    return "/" + relative


def html_pages(output: Path) -> list[tuple[str, Path]]:
    """Every ``*.html`` file under ``output`` as (site path, file), sorted by site path."""
    return sorted((page_url(output, f), f) for f in output.rglob("*.html") if f.is_file())


def url_to_file(output: Path, path: str) -> Path | None:
    """The file a site path (already unquoted, no query or fragment) is served from, or None.

    A path ending in ``/`` means its ``index.html``. A folder without the ``/`` is not a file."""
    if not path.startswith("/"):
        path = "/" + path
    relative = path.lstrip("/")
    target = output / relative
    if path.endswith("/"):
        target = target / "index.html"
    try:
        target.resolve().relative_to(output.resolve())
    except ValueError:
        return None  # outside the site (../..)
    return target if target.is_file() else None


# -- axe-core ----------------------------------------------------------------------------------


def axe_path() -> Path:
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is missing ({AXE_JS}). Run `make test` (it runs `npm ci`).", pytrace=False)
    return AXE_JS


_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary})),
  }));
}"""


def preload_axe(context) -> None:
    """Have axe-core ready in every page of ``context`` (much faster than injecting it page by page:
    the browser keeps the compiled script; the page's own scripts do not use it)."""
    context.add_init_script(path=str(axe_path()))


def run_axe(page, tags=AXE_TAGS) -> list[dict]:
    """axe-core's WCAG 2.2 AA violations on the loaded page: a list of
    ``{id, impact, help, helpUrl, nodes: [{target, html, failureSummary}]}``.

    Injects axe.min.js unless the context preloaded it (``preload_axe``)."""
    if not page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.add_script_tag(path=str(axe_path()))
    return page.evaluate(_RUN_AXE, list(tags))


def describe_target(target) -> str:
    """A readable selector from an axe node target (a list, nested for iframes/shadow DOM)."""
    if isinstance(target, list):
        return " >>> ".join(describe_target(t) for t in target)
    return str(target)


def event_handlers(page) -> list[str]:
    """Every event handler attribute on the loaded page ("IMG onerror"): one from a table's cell would run on a
    hover or a click, so a page built from payloads must have none."""
    return page.evaluate("""() => [...document.querySelectorAll('*')].flatMap(e =>
        [...e.attributes].filter(a => a.name.toLowerCase().startsWith('on')).map(a => e.tagName + ' ' + a.name))""")


def live_script_links(page) -> list[str]:
    """The href of every link on the loaded page that would run script or load data when followed."""
    return [href for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
            if href.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]


# -- the Nu HTML Checker ---------------------------------------------------------------------------


def nu_check(site: Path) -> None:
    """Fail, listing them by message, if the Nu HTML Checker finds an error in any page of the built ``site``."""
    java = shutil.which("java")
    if not java:
        pytest.fail("Java is not installed: the Nu HTML Checker (vnu.jar) needs it. Install Java 17.", pytrace=False)
    if not VNU_JAR.is_file():
        pytest.fail(f"The Nu HTML Checker is missing ({VNU_JAR}). Run `make test` (it runs `npm ci`).", pytrace=False)
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--skip-non-html", "--format", "json", str(site)],
        capture_output=True, text=True, timeout=900,
    )
    try:
        messages = json.loads(run.stderr)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"vnu.jar did not report JSON (exit {run.returncode}):\n{run.stderr[:3000]}", pytrace=False)
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error", "fatal")
              or m.get("subType") == "fatal"]
    if run.returncode != 0 and not errors:
        pytest.fail(f"vnu.jar failed (exit {run.returncode}) without listing errors:\n{run.stderr[:3000]}",
                    pytrace=False)
    if not errors:
        return
    root = site.resolve().as_uri().removeprefix("file://")
    by_message: dict[str, list[str]] = defaultdict(list)
    for m in errors:
        where = unquote(m.get("url", "?").removeprefix("file:")).removeprefix(root).removeprefix(str(site))
        line = m.get("lastLine") or m.get("firstLine")
        column = m.get("firstColumn") or m.get("lastColumn")
        extract = (m.get("extract") or "").replace("\n", " ").strip()
        position = f":{line}" + (f":{column}" if column else "") if line else ""
        by_message[m.get("message", "?")].append(f"{where}{position}" + (f"  {extract[:100]!r}" if extract else ""))
    pytest.fail(
        f"The Nu HTML Checker found {len(errors)} errors ({len(by_message)} kinds):\n"
        + "\n".join(f"  {message} ({len(where)} times)\n      " + "\n      ".join(where[:5]) + (f"\n      ... and {len(where) - 5} more" if len(where) > 5 else "")
                    for message, where in sorted(by_message.items(), key=lambda item: -len(item[1]))),
        pytrace=False,
    )


def nu_check_pages(pages, folder: Path) -> None:
    """The Nu HTML Checker over pages a browser was shown: ``pages`` gives (name, html) pairs, each written to
    ``folder`` under its number and name (the desk's pages in each state are not files of a build)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, (name, raw) in enumerate(pages):
        safe = "".join(c if c.isalnum() else "-" for c in name)
        (folder / f"{number:02d}-{safe}.html").write_text(raw, encoding="utf-8")
    nu_check(folder)

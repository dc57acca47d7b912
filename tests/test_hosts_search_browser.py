"""A search in Chromium through the releases folder as the council's web server serves it: the example goes live
to a releases folder behind Caddy and behind nginx, each running the example configuration in docs/hosting/
over HTTPS, and the search page, under the server's own Content-Security-Policy (not bypassed), finds a
provider. Pagefind compiles WebAssembly in a Web Worker, which follows the policy sent with the worker's own
script, and fetches its index: a policy without 'wasm-unsafe-eval' on the page or on pagefind-worker.js, or a
Content-Encoding on the fragments, breaks it here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import launch_chromium
from hosting import caddy, nginx

from dps_publish.hosts.config import web_host_of
from dps_publish.hosts.deploy import Target, deploy
from dps_publish.hosts.secrets import Secrets

SERVERS = {"caddy": caddy, "nginx": nginx}
TIMEOUT_MS = 30_000
# Every policy violation and console error the page meets, kept where the test can read it.
WATCH = """
window.__problems = [];
document.addEventListener('securitypolicyviolation',
  e => window.__problems.push(`Content-Security-Policy blocked ${e.blockedURI} (${e.effectiveDirective})`));
"""


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_a_search_in_chromium_works_through_the_served_releases_folder(name, example_build, chromium,
                                                                        tmp_path: Path):
    output, _ = example_build
    with SERVERS[name](tmp_path, tmp_path / "site") as server:
        host = web_host_of({"kind": "releases", "path": str(server.releases), "verify_url": server.address,
                            "ca_file": str(server.ca_file)})
        outcome = deploy(output, Target(host, "https://support.northshire.gov.uk"), Secrets({}, {}),
                         tmp_path / "cache")
        assert outcome.action == "live"
        # The test's own certificate authority is not in Chromium's store: its errors are ignored, HTTPS stays.
        context = chromium.new_context(ignore_https_errors=True, service_workers="block")
        context.add_init_script(WATCH)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
        try:
            answer = page.goto(f"{server.address}/search/", wait_until="load")
            assert answer is not None and answer.status == 200
            policy = answer.headers.get("content-security-policy", "")
            assert "'wasm-unsafe-eval'" in policy and "'unsafe-eval'" not in policy.replace("'wasm-unsafe-eval'", "")
            page.fill("input.pagefind-ui__search-input", "tandem")
            try:
                page.wait_for_selector(".pagefind-ui__result-link", timeout=TIMEOUT_MS)
            except Exception:  # noqa: BLE001 - say what the page met instead
                message = page.query_selector(".pagefind-ui__message")
                problems.append(f"no result; the search box said: {message.inner_text() if message else 'nothing'}")
            links = [a.get_attribute("href") for a in page.query_selector_all(".pagefind-ui__result-link")]
            problems += page.evaluate("window.__problems")
        finally:
            context.close()
    assert problems == [], f"{name}: {problems}"
    assert links[:1] == ["/providers/weald-wheels/"], links[:5]

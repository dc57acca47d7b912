"""The desk's round in Debian's Chromium ends live on a real web host: a releases folder served by Caddy on
127.0.0.1 (the example configuration in docs/hosting/, as tests/hosting.py runs it) is WEB_HOST.

One round, run once: a one-page site is already live there (sent by the one publish sequence), so the desk has a
version to put back. Jo uploads a changed table and builds the preview, Sam approves;
in Chromium, Sam's Publish page shows the plan from the preview; Caddy stops before Sam publishes, so the
publication stands here but does not go live, said in words with "Try again"; Caddy starts again on the same
address and "Try again" makes it live ("Live at ..., N files checked from the public address"); History shows the
public site; Sam puts back the version before, with a reason, and is offered to reopen the newer round as a draft,
which he does. Every desk page met on the way is checked with axe-core (WCAG 2.2 AA) and the Nu HTML Checker.
"""

from __future__ import annotations

import re
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
from browser import describe_target, launch_chromium, nu_check_pages, preload_axe, run_axe
from desk_support import Person, make_publisher, running_desk
from hosting import caddy, live_release, read_back
from playwright.sync_api import sync_playwright
from test_desk_integrity import config_of, draft_of, providers_with_phone

from dps_publish.hosts.deploy import deploy, target_of
from dps_publish.hosts.keep import KeptReleases
from dps_publish.hosts.secrets import Secrets

REASON = "The new round showed a wrong phone number for a provider."


@dataclass
class Round:
    pages: list = field(default_factory=list)  # (name, url, raw html, axe violations)
    said: dict = field(default_factory=dict)  # words read off the pages, by step
    live: dict = field(default_factory=dict)  # the release the public read after each step
    read: dict = field(default_factory=dict)
    address: str = ""
    seconds: float = 0.0


def _until_done(page, timeout: float = 1500) -> None:
    """Reload ``page`` until its job is no longer running (the desk's own script may reload it too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.reload()  # not goto(page.url): an address with a #fragment would not load the page again
        if "Check progress" not in page.content():
            return
        time.sleep(1)
    raise AssertionError(f"{page.url} was still running after {timeout} s")


@pytest.fixture(scope="module")
def live_round(tmp_path_factory) -> Round:
    started = time.monotonic()
    folder = tmp_path_factory.mktemp("desk-live-browser")
    told = Round()
    host_folder, releases = folder / "caddy", folder / "site"
    host_folder.mkdir()
    host = ExitStack()
    server = host.enter_context(caddy(host_folder, releases))
    told.address = server.address
    port = int(server.address.rsplit(":", 1)[1])
    setting = {"kind": "releases", "path": str(releases), "verify_url": server.address,
               "ca_file": str(server.ca_file), "keep": 3}
    publisher = make_publisher(folder / "council", f"WEB_HOST = {setting!r}")
    settings = config_of(publisher).load_settings()
    # A version already live, for the desk to put back: a one-page site sent by the one publish sequence (not
    # another build of the example: the round's builds are its preview and its publication).
    seed = folder / "seed"
    seed.mkdir()
    (seed / "index.html").write_text('<!doctype html><html lang="en"><title>Before</title><p>Before</p></html>')
    told.live["seeded"] = deploy(seed, target_of(settings), Secrets({}, {}), publisher.cache).release

    def read_now(step: str) -> None:
        told.live[step] = live_release(server.address, server.ca_file)
        told.read[step] = read_back(server.address, server.ca_file,
                                    KeptReleases(publisher.cache).manifest(told.live[step]))

    try:
        with running_desk(publisher) as desk, sync_playwright() as playwright:
            jo, sam = Person(desk, "Jo Bloggs"), Person(desk, "Sam Patel")
            draft = draft_of(jo.post("/drafts"))
            phone = providers_with_phone(publisher, "01622 000 333")
            checked = jo.post(f"/drafts/{draft}/upload", files=[("files", ("providers.csv", phone, "text/csv"))])
            assert "No problems found" in checked.text, checked.text[-2000:]
            jo.post(f"/drafts/{draft}/preview")
            jo.wait_for_job(draft, timeout=1500)
            assert sam.post(f"/drafts/{draft}/approve").status_code == 200

            browser = launch_chromium(playwright)
            context = browser.new_context()
            preload_axe(context)
            page = context.new_page()

            def visit(name: str, path: str | None = None) -> None:
                if path is not None:
                    page.goto(desk + path)
                raw = context.request.get(page.url).text()
                told.pages.append((name, page.url.removeprefix(desk), raw, run_axe(page)))

            page.goto(desk + "/sign-in")
            page.fill("#name", "Sam Patel")
            page.keyboard.press("Enter")
            page.wait_for_url(desk + "/")

            visit("publish page with the plan", f"/drafts/{draft}/publish")
            told.said["plan"] = page.inner_text("#live-plan")
            host.close()  # the web host stops before the publication's live step
            page.click("#publish")
            page.wait_for_url(re.compile(r".*/status\?job="))
            visit("progress page")
            _until_done(page)
            visit("publication standing, not live, with Try again")
            told.said["failed"] = page.inner_text("#live-failed")
            told.said["failed title"] = page.inner_text("h1")

            host = ExitStack()
            host.enter_context(caddy(host_folder, releases, port))  # back, at the same address
            read_now("host back")
            page.click("#try-again")
            page.wait_for_url(re.compile(r".*/status\?job="))
            visit("progress page, going live")
            _until_done(page)
            visit("live")
            told.said["live"] = page.inner_text("#job-live")
            read_now("live")

            visit("history with the public site", "/history")
            told.said["history"] = page.inner_text("#public-now")
            page.fill("#reason", REASON)
            page.click("#put-back")
            page.wait_for_url(re.compile(r".*/history\?job="))
            _until_done(page)
            visit("rollback page with the offer to reopen the round")
            told.said["put back"] = page.inner_text("#live-job")
            told.said["reopen"] = page.inner_text("#reopen")
            read_now("put back")
            page.click("#reopen-round")
            page.wait_for_url(re.compile(r".*/drafts/[^/]+$"))
            told.said["reopened"] = page.url
            visit("the reopened draft")
            browser.close()
    finally:
        host.close()
    told.seconds = time.monotonic() - started
    return told


def test_the_publish_page_shows_the_plan_from_the_preview(live_round):
    plan = live_round.said["plan"]
    assert re.match(r"From the draft's preview: [\d,]+ files? to upload, [\d.]+ [kM]B; [\d,]+ to delete", plan), plan


def test_a_stopped_web_host_is_named_in_words_with_try_again(live_round):
    said = live_round.said["failed"]
    assert live_round.said["failed title"] == "Published here, not live yet"
    assert f"The web host could not be reached at {live_round.address}" in said, said
    assert "The previous version was put back" in said and "Check that the web server is running" in said
    assert "Traceback" not in said
    assert live_round.live["host back"] == live_round.live["seeded"]  # the public kept the version before


def test_try_again_makes_it_live_and_says_how_many_files_were_checked(live_round):
    said = live_round.said["live"]
    assert re.search(r"Live at https://\S+, [1-9][\d,]* files checked from the public address", said), said
    assert live_round.live["live"] != live_round.live["seeded"] and live_round.read["live"] == []
    assert live_round.live["live"] in live_round.said["history"]


def test_the_version_before_is_put_back_and_the_newer_round_can_be_reopened(live_round):
    assert "is live again" in live_round.said["put back"]
    assert live_round.live["put back"] == live_round.live["seeded"] and live_round.read["put back"] == []
    assert "the next Publish would make it live again" in live_round.said["reopen"]
    assert re.search(r"/drafts/[\w-]+$", live_round.said["reopened"])


def test_the_new_desk_pages_have_no_axe_violations(live_round):
    assert len(live_round.pages) == 8
    found = [f"{name} ({path}): {v['id']} {v['help']} at {describe_target(n['target'])}"
             for name, path, _, violations in live_round.pages for v in violations for n in v["nodes"]]
    assert not found, "\n".join(found)


def test_the_new_desk_pages_have_no_nu_checker_errors(live_round, tmp_path):
    nu_check_pages(((name, raw) for name, _, raw, _ in live_round.pages), tmp_path / "pages")

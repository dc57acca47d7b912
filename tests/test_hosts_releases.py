"""Going live to a releases folder behind Caddy and behind nginx, each running the example configuration in
docs/hosting/ over HTTPS, on 127.0.0.1.

One story per server, run once (the tests below read what it recorded): the example goes live; a second
release after editing one provider sends only what changed and deletes nothing; the release after deletes
what the second dropped; a build that lost most of its pages is refused; a release that fails its check is
taken back; rollback makes the previous release live byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hosting import caddy, copy_site, live_release, nginx, read_back, rewrite, status_of, trust

from dps_publish.hosts.config import web_host_of
from dps_publish.hosts.deploy import DeployFailed, Target, deploy, rollback
from dps_publish.hosts.log import DeployLog
from dps_publish.hosts.manifest import Manifest
from dps_publish.hosts.plan import DeletionsRefused
from dps_publish.hosts.secrets import Secrets

SERVERS = {"caddy": caddy, "nginx": nginx}


@dataclass
class Story:
    server: object
    outcomes: dict = field(default_factory=dict)
    read: dict = field(default_factory=dict)  # what reading every file back found, after each step
    status: dict = field(default_factory=dict)
    live: dict = field(default_factory=dict)
    edited: set = field(default_factory=set)
    dropped: list = field(default_factory=list)
    refused: str = ""
    failed: DeployFailed | None = None
    headers: dict = field(default_factory=dict)
    log: list = field(default_factory=list)
    lost: tuple = ()  # pages removed, files in the live release


def _edit(site: Path, provider: int, mark: str) -> str:
    page = sorted(site.glob("providers/*/index.html"))[provider]
    rewrite(page, lambda b: b.replace(b"<h1", f'<h1 data-edit="{mark}"'.encode(), 1))
    return page.relative_to(site).as_posix()


@pytest.fixture(scope="module", params=sorted(SERVERS))
def story(request, example_build, tmp_path_factory) -> Story:
    output, _ = example_build
    folder = tmp_path_factory.mktemp(request.param)
    cache = folder / "cache"
    with SERVERS[request.param](folder, folder / "site") as server:
        host = web_host_of({"kind": "releases", "path": str(server.releases), "verify_url": server.address,
                            "ca_file": str(server.ca_file), "keep": 3})
        target = Target(host, "https://support.northshire.gov.uk")
        told = Story(server)
        none = Secrets({}, {})

        def go(name, site, **options):
            told.outcomes[name] = deploy(site, target, none, cache, **options)
            told.live[name] = live_release(server.address, server.ca_file)
            return told.outcomes[name]

        # 1. The example, first release.
        one = go("first", output)
        told.read["first"] = read_back(server.address, server.ca_file, one.plan.release)
        import httpx

        for page in ("index.html", "search/index.html"):
            told.headers[page] = httpx.get(f"{server.address}/{page.removesuffix('index.html')}",
                                           verify=trust(server.ca_file)).headers.get("content-security-policy")
        # 2. One provider edited, its CSV changed, a search fragment added and two dropped.
        two_site = copy_site(output, folder / "two")
        told.edited = {_edit(two_site, 0, "2"), "data/providers.csv", "pagefind/fragment/en-gb_added01.pf_fragment"}
        rewrite(two_site / "data/providers.csv", lambda b: b.replace(b"\n", b"\r\n", 1))
        fragments = sorted((two_site / "pagefind/fragment").iterdir())
        (two_site / "pagefind/fragment/en-gb_added01.pf_fragment").write_bytes(fragments[0].read_bytes() + b"\0")
        told.dropped = [f"pagefind/fragment/{p.name}" for p in fragments[1:3]]
        for path in fragments[1:3]:
            path.unlink()
        go("second", two_site)
        told.status["second"] = {p: status_of(server.address, server.ca_file, p) for p in told.dropped}
        # 3. Another provider edited: the two dropped files go now.
        three_site = copy_site(two_site, folder / "three")
        _edit(three_site, 1, "3")
        go("third", three_site)
        told.status["third"] = {p: status_of(server.address, server.ca_file, p) for p in told.dropped}
        # 4. A build that lost most of its pages.
        lost = copy_site(three_site, folder / "lost")
        pages = [page for page in lost.rglob("*.html") if page.parent != lost]  # every page but the home page
        for page in pages:
            page.unlink()
        told.lost = (len(pages), len(told.outcomes["third"].plan.release.files))
        try:
            deploy(lost, target, none, cache)
        except DeletionsRefused as exc:
            told.refused = str(exc)
        told.live["refused"] = live_release(server.address, server.ca_file)
        # 5. A release whose check fails (the check address answers nothing) is taken back at once.
        four_site = copy_site(three_site, folder / "four")
        _edit(four_site, 2, "4")
        closed = Target(web_host_of({"kind": "releases", "path": str(server.releases), "keep": 3,
                                     "verify_url": "https://127.0.0.1:9"}), target.address)
        try:
            deploy(four_site, closed, none, cache)
        except DeployFailed as exc:
            told.failed = exc
        told.live["failed"] = live_release(server.address, server.ca_file)
        # 6. Put back the version before the third.
        back = rollback(target, none, cache, reason="a provider asked for the old wording")
        told.outcomes["rollback"] = back
        told.live["rollback"] = live_release(server.address, server.ca_file)
        second = Manifest.from_json((server.releases / "releases" / told.outcomes["second"].release /
                                     "dps-release.json").read_bytes())
        told.read["rollback"] = read_back(server.address, server.ca_file, second)
        told.status["rollback"] = {p: status_of(server.address, server.ca_file, p) for p in told.dropped}
        told.log = DeployLog(cache).events()
        yield told


def test_every_file_is_served_with_the_manifests_bytes_and_headers(story):
    first = story.outcomes["first"]
    assert first.action == "live" and story.live["first"] == first.release
    assert len(first.plan.upload) == len(first.plan.release.files) > 1000
    assert first.verification.checked == len(first.plan.upload) and first.verification.links > 100
    assert story.read["first"] == []


def test_each_page_has_its_own_content_security_policy(story, example_build):
    output, _ = example_build
    for page in ("index.html", "search/index.html"):
        meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                         (output / page).read_text(encoding="utf-8")).group(1)
        assert story.headers[page] == meta + "; frame-ancestors 'none'", page
    assert story.headers["index.html"] != story.headers["search/index.html"]


def test_a_one_provider_edit_sends_only_what_changed_and_deletes_nothing_yet(story):
    second = story.outcomes["second"]
    assert {e.path for e in second.plan.upload} == story.edited and len(second.plan.upload) == 3
    assert second.plan.delete == () and sorted(second.plan.removed) == story.dropped
    assert story.status["second"] == {p: 200 for p in story.dropped}  # still there for pages opened before
    third = story.outcomes["third"]
    assert len(third.plan.upload) == 1 and sorted(third.plan.delete) == story.dropped
    assert story.status["third"] == {p: 404 for p in story.dropped}


def test_a_build_that_lost_most_pages_is_refused(story):
    removed, files = story.lost
    assert removed > 300
    assert story.refused.startswith(f"This release would remove {removed:,} of {files:,} files from the public site "
                                    f"({removed / files:.0%}), more than the 5% (or 50 files)")
    assert story.live["refused"] == story.outcomes["third"].release


def test_a_release_that_fails_its_check_is_taken_back(story):
    assert story.failed is not None and story.failed.switched and story.failed.put_back
    assert "the address could not be reached" in str(story.failed)
    assert "The previous version was put back" in str(story.failed)
    assert story.live["failed"] == story.outcomes["third"].release


def test_rollback_puts_the_previous_release_back_byte_for_byte(story):
    back = story.outcomes["rollback"]
    assert back.action == "rolled-back" and back.release == story.outcomes["second"].release
    assert story.live["rollback"] == back.release
    assert story.read["rollback"] == []
    assert story.status["rollback"] == {p: 200 for p in story.dropped}  # the second release's leftovers too
    last = story.log[-1]
    assert (last["action"], last["release"], last["reason"]) == ("rollback", back.release,
                                                                "a provider asked for the old wording")
    assert [e["live"] for e in story.log] == [True, True, True, False, True]
    kept = sorted(p.name for p in (story.server.releases / "releases").iterdir())
    assert len(kept) <= 4 and back.release in kept

"""Publish means live, through the real desk: a releases folder served by Caddy on 127.0.0.1 (the example
configuration in docs/hosting/, as tests/hosting.py runs it) is the web host in the settings.

One story, run once (the tests below read what it recorded): a round is published and goes live, every file read
back from Caddy; the web host stops (Caddy killed) and the next publication stands on this computer but not live,
said in words with "Try again"; trying again while the host is down fails again in words; with Caddy back it goes
live; an approver puts back the version before, with a reason, byte for byte; the journal's live step left by an
interruption is resumed by ``recover`` as the desk's start runs it.
"""

from __future__ import annotations

import html
import re
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
from desk_support import Person, make_publisher, running_desk
from hosting import caddy, ed25519_pair, free_port, live_release, read_back
from test_desk_integrity import config_of, draft_of, providers_with_phone

from dps_publish.desk import audit
from dps_publish.desk.drafts import write_json
from dps_publish.desk.going_live import plan_from_preview
from dps_publish.desk.jobs import Jobs
from dps_publish.desk.publishing import journal_path, pending, recover
from dps_publish.hosts.keep import KeptReleases


@dataclass
class Story:
    pages: dict = field(default_factory=dict)  # the desk's pages, as text, after each step
    status: dict = field(default_factory=dict)
    live: dict = field(default_factory=dict)  # the release the public read after each step
    read: dict = field(default_factory=dict)  # what reading every file back found after each step
    journal: dict = field(default_factory=dict)
    recovered: tuple = ()
    audit: list = field(default_factory=list)
    reopened: object = None  # the data folder of the draft reopened after the put-back


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.text))


def _round(jo: Person, sam: Person, phone: str) -> str:
    draft = draft_of(jo.post("/drafts"))
    checked = jo.post(f"/drafts/{draft}/upload", files=[("files", ("providers.csv", phone, "text/csv"))])
    assert "No problems found" in checked.text, checked.text[-2000:]
    assert sam.post(f"/drafts/{draft}/approve").status_code == 200
    return draft


def _wait_on_history(person: Person, job_url: str, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = person.get(job_url)
        if "Check progress" not in page.text:
            return page
        time.sleep(1)
    raise AssertionError(f"{job_url} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    folder = tmp_path_factory.mktemp("desk-live")
    told = Story()
    host_folder, releases = folder / "caddy", folder / "site"
    host_folder.mkdir()
    host = ExitStack()
    server = host.enter_context(caddy(host_folder, releases))
    port = int(server.address.rsplit(":", 1)[1])
    setting = {"kind": "releases", "path": str(releases), "verify_url": server.address,
               "ca_file": str(server.ca_file), "keep": 3}
    publisher = make_publisher(folder / "council", f"WEB_HOST = {setting!r}")
    config = config_of(publisher)

    def read_now(step: str) -> None:
        told.live[step] = live_release(server.address, server.ca_file)
        told.read[step] = read_back(server.address, server.ca_file,
                                    KeptReleases(publisher.cache).manifest(told.live[step]))

    try:
        with running_desk(publisher) as desk:
            jo, sam = Person(desk, "Jo Bloggs"), Person(desk, "Sam Patel")
            first = _round(jo, sam, providers_with_phone(publisher, "01622 000 111"))
            told.pages["publish page"] = _text(jo.get(f"/drafts/{first}/publish"))
            jo.post(f"/drafts/{first}/publish", {"mode": "checked"})
            told.pages["first"] = _text(jo.wait_for_job(first, timeout=900))
            told.status["first job"] = Jobs(config).latest()
            read_now("first")
            told.pages["history after first"] = _text(jo.get("/history"))

            second = _round(jo, sam, providers_with_phone(publisher, "01622 000 222"))
            host.close()  # the web host stops
            jo.post(f"/drafts/{second}/publish", {"mode": "checked"})
            told.pages["host down"] = _text(jo.wait_for_job(second, timeout=900))
            told.journal["host down"] = pending(config)
            told.pages["history host down"] = _text(jo.get("/history"))
            told.pages["home host down"] = _text(jo.get("/"))
            told.status["try again by someone else"] = Person(desk, "Pat Doe").post("/live/try-again").status_code
            jo.post("/live/try-again")
            told.pages["tried again, host down"] = _text(jo.wait_for_job(second, timeout=900))

            host = ExitStack()
            host.enter_context(caddy(host_folder, releases, port))  # the web host is back, at the same address
            read_now("host back, before trying again")
            jo.post("/live/try-again")
            told.pages["tried again, host back"] = _text(jo.wait_for_job(second, timeout=900))
            read_now("second")
            told.pages["history after second"] = _text(sam.get("/history"))

            told.status["put back by Jo"] = jo.post("/live/put-back", {"reason": "a wrong phone number"}).status_code
            told.pages["put back without a reason"] = _text(sam.post("/live/put-back", {"reason": " "}))
            sam.post("/live/put-back", {"reason": "The second round showed a wrong phone number for a provider."})
            told.pages["put back"] = _text(_wait_on_history(sam, str(sam.last.url.copy_with(fragment=None))))
            read_now("put back")
            told.pages["history after put back"] = _text(sam.get("/history"))
            told.pages["history after put back, Jo"] = _text(jo.get("/history"))
            told.status["reopen by Jo"] = jo.post("/live/reopen").status_code
            told.status["reopen without a token"] = sam.client.post("/live/reopen", data={}).status_code
            reopened = sam.post("/live/reopen")
            told.status["reopened"] = (reopened.status_code, str(reopened.url))
            told.reopened = (publisher.drafts / str(reopened.url).rstrip("/").rsplit("/", 1)[-1] / "data")

        # an interruption after the git step: the journal keeps only the live step, which the next start resumes
        journal = {k: v for k, v in told.journal["host down"].items() if not k.startswith("live_")}
        write_json(journal_path(config), journal)
        told.recovered = recover(config, config.load_settings())
        told.journal["after recovery"] = pending(config)
        read_now("recovered")
        told.audit = audit.read(config.audit_log)
    finally:
        host.close()
    told.pages["releases"] = sorted(p.name for p in (releases / "releases").iterdir())
    return told


def test_publishing_sends_the_site_live_and_says_how_many_files_were_checked(story):
    assert "Then it sends the site to the web host" in story.pages["publish page"]
    page = story.pages["first"]
    assert "is published" in page and "Live at https://dps.example.org" in page, page[-3000:]
    assert re.search(r"[1-9][\d,]* files checked from the public address", page)
    job = story.status["first job"]  # what the progress page showed before and while sending
    assert re.fullmatch(r"[1-9][\d,]* files to upload, [\d.]+ [kM]B; 0 to delete", job["plan"]), job
    assert job["stage"] == "live" and job["stage_words"].startswith("Checking ")
    assert story.read["first"] == []  # every file from Caddy has the manifest's bytes, type and cache header
    [went] = [line for line in story.audit if line["action"] == "went-live"][:1]
    assert went["release"] == story.live["first"] and went["who"] == "Jo Bloggs"
    assert "The public reads release <strong>" + story.live["first"] in story.pages["history after first"]


def test_a_stopped_host_leaves_the_publication_standing_and_says_so_with_try_again(story):
    page = story.pages["host down"]
    assert "Published here, not live yet" in page and "Try again" in page, page[-3000:]
    assert "is published" in page and "previous version" in page
    assert "Traceback" not in page
    journal = story.journal["host down"]
    assert journal["done"][-1] == "git" and "previous version" in journal["live_error"]
    assert "not live yet" in story.pages["history host down"] and "Try again" in story.pages["history host down"]
    assert "not live on the web host yet" in story.pages["home host down"]
    assert "was interrupted before it finished" not in story.pages["home host down"]
    assert story.status["try again by someone else"] == 403
    assert "not live yet" in story.pages["tried again, host down"].lower()
    assert story.live["host back, before trying again"] == story.live["first"]  # the public kept the first


def test_try_again_with_the_host_back_makes_it_live(story):
    page = story.pages["tried again, host back"]
    assert "Live at https://dps.example.org" in page, page[-3000:]
    assert story.live["second"] != story.live["first"] and story.read["second"] == []
    history = story.pages["history after second"]
    assert "Could not go live on the web host" in history and "Went live on the web host" in history
    assert "Put back the version of " in history


def test_an_approver_puts_back_the_previous_version_byte_for_byte_with_a_reason(story):
    assert story.status["put back by Jo"] == 403
    assert "Say why the previous version is put back" in story.pages["put back without a reason"]
    page = story.pages["put back"]
    assert "is live again" in page and "data folder still holds the newer round" in page, page[-3000:]
    assert story.live["put back"] == story.live["first"] and story.read["put back"] == []
    [line] = [line for line in story.audit if line["action"] == "rollback"]
    assert line["who"] == "Sam Patel" and line["release"] == story.live["first"]
    assert line["reason"].startswith("The second round showed a wrong phone number")
    history = story.pages["history after put back"]
    assert "Put back the previous version of the public site" in history
    assert "The second round showed a wrong phone number" in history and "Sam Patel" in history


def test_the_live_step_left_by_an_interruption_is_resumed_by_recovery(story):
    state, words = story.recovered
    assert state == "live" and "has gone live" in words, words
    assert story.journal["after recovery"] is None
    assert story.live["recovered"] != story.live["first"] and story.read["recovered"] == []


def test_the_publish_page_plans_from_the_preview_or_says_how_to_see_the_plan(story):
    page = story.pages["publish page"]
    assert "What would be sent" in page and "Build the preview</a> to see it here" in page, page[-3000:]


def test_after_a_put_back_an_approver_can_reopen_the_newer_round_as_a_draft(story, tmp_path):
    history = story.pages["history after put back"]
    assert "the data folder still holds the newer round, so the next Publish would make it live again" in history
    assert "Reopen the newer round as a draft" in history
    jo_sees = story.pages["history after put back, Jo"]  # not an approver: told who can
    assert "Reopen the newer round as a draft" not in jo_sees and "DESK_APPROVERS can reopen it" in jo_sees
    assert story.status["reopen by Jo"] == 403 and story.status["reopen without a token"] == 403
    status, url = story.status["reopened"]
    assert status == 200 and "/drafts/" in url
    providers = (story.reopened / "providers.csv").read_text(encoding="utf-8")
    assert "01622 000 222" in providers, "the draft holds the newer round, as data/ does"
    [line] = [a for a in story.audit if a["action"] == "draft-started" and "reopened" in a.get("reason", "")]
    assert line["who"] == "Sam Patel"


def _tiny_site(folder):
    (folder / "data").mkdir(parents=True)
    (folder / "index.html").write_text('<!doctype html><html lang="en"><title>Home</title></html>')
    (folder / "data" / "providers.csv").write_text("id,name\n1,A\n")
    return folder


def test_the_plan_from_a_preview_counts_what_would_be_sent(tmp_path):
    setting = {"kind": "releases", "path": str(tmp_path / "host")}
    config = config_of(make_publisher(tmp_path / "council", f"WEB_HOST = {setting!r}"))
    plan = plan_from_preview(config, config.load_settings(), _tiny_site(tmp_path / "preview"))
    assert re.fullmatch(r"2 files to upload, 0\.\d kB; 0 to delete", plan["summary"]), plan
    assert not (tmp_path / "host" / "current").exists(), "planning sends nothing"


def test_the_plan_says_in_words_when_the_web_host_cannot_be_asked(tmp_path, monkeypatch):
    port = free_port()
    setting = {"kind": "ssh", "host": "127.0.0.1", "port": port, "user": "deploy", "path": "/srv/dps",
               "host_key": ed25519_pair()[1].strip()}
    monkeypatch.setenv("DPS_WEB_HOST_PASSWORD", "planted-Plan-4Tq")
    config = config_of(make_publisher(tmp_path / "council", f"WEB_HOST = {setting!r}"))
    plan = plan_from_preview(config, config.load_settings(), _tiny_site(tmp_path / "preview"))
    said = plan["problem"]
    assert said.startswith("The web host could not be asked what it serves now, so the plan is not known yet: The "
                           f"web host could not be reached at 127.0.0.1, port {port}"), said
    assert "planted-Plan-4Tq" not in said and "Traceback" not in said


def test_the_publish_page_shows_the_plan_from_the_preview_over_http(tmp_path):
    """The page as people get it, without a build: the draft's preview is a tiny site put where a preview build
    leaves it, with the record a preview build writes."""
    from dps_publish.desk.drafts import DraftStore

    setting = {"kind": "releases", "path": str(tmp_path / "host")}
    publisher = make_publisher(tmp_path / "council", f"WEB_HOST = {setting!r}")
    with running_desk(publisher) as desk:
        jo, sam = Person(desk, "Jo Bloggs"), Person(desk, "Sam Patel")
        draft = _round(jo, sam, providers_with_phone(publisher, "01622 000 444"))
        before = _text(sam.get(f"/drafts/{draft}/publish"))
        preview = DraftStore(publisher.drafts).get(draft)
        _tiny_site(preview.preview)
        preview.change(preview={"data_digest": preview.data_digest(), "at": audit.now(), "by": "Jo Bloggs"})
        after = sam.get(f"/drafts/{draft}/publish")
    assert "which has not been built from these tables yet" in before and "Build the preview</a> to see it here" in before
    assert after.status_code == 200
    assert re.search(r"From the draft's preview: <strong>2 files to upload, 0\.\d kB; 0 to delete</strong>\.", _text(after)), \
        _text(after)[-3000:]


def test_after_a_put_back_the_reopen_offer_over_http_without_a_build(tmp_path):
    """Two tiny versions sent and the first put back by the one publish sequence (Caddy serving them), then the
    desk: History offers approvers to reopen the newer round, refuses others and a missing token."""
    from dps_publish.hosts.deploy import deploy, rollback, target_of
    from dps_publish.hosts.secrets import Secrets

    releases = tmp_path / "site"
    (tmp_path / "caddy").mkdir()
    with caddy(tmp_path / "caddy", releases) as web:
        setting = {"kind": "releases", "path": str(releases), "verify_url": web.address, "ca_file": str(web.ca_file)}
        publisher = make_publisher(tmp_path / "council", f"WEB_HOST = {setting!r}")
        target = target_of(config_of(publisher).load_settings())
        for n in (1, 2):
            site = _tiny_site(tmp_path / f"v{n}")
            (site / "index.html").write_text(f'<!doctype html><html lang="en"><title>V{n}</title></html>')
            deploy(site, target, Secrets({}, {}), publisher.cache)
        rollback(target, Secrets({}, {}), publisher.cache, reason="the second version was wrong")
    with running_desk(publisher) as desk:
        jo, sam = Person(desk, "Jo Bloggs"), Person(desk, "Sam Patel")
        history = _text(sam.get("/history"))
        refused = (jo.post("/live/reopen").status_code, sam.client.post("/live/reopen", data={}).status_code)
        reopened = sam.post("/live/reopen")
    assert "so the next Publish would make it live again" in history and "Reopen the newer round as a draft" in history
    assert refused == (403, 403)
    assert reopened.status_code == 200 and re.search(r"/drafts/[\w-]+$", str(reopened.url))

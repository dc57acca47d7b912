"""What is approved is what is published, through the real desk: a draft is locked while a build runs, a
publication is built, swapped in and committed from one copy of the approved tables, a worker never loses what was
saved to a draft while it ran, only approvers publish without a check or finish an interrupted publication, and
the history is a chained, private log whose breaks are shown."""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import time

import httpx
import openpyxl
import pytest
from desk_support import Person, make_publisher, running_desk
from helpers import ROOT, THEME, read_rows, set_cell

from dps_publish.desk import audit
from dps_publish.desk.approvals import approval_refusal
from dps_publish.desk.config import DeskConfig
from dps_publish.desk.drafts import DraftStore
from dps_publish.desk.jobs import Jobs
from dps_publish.desk.publishing import journal_path
from dps_publish.desk.tasks import preview_ready

APPROVERS = ("Sam Patel", "Alex Morgan")  # as the example's pelicanconf.py names them


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def draft_of(response: httpx.Response) -> str:
    return response.url.path.rstrip("/").split("/")[2]


def providers_with_phone(publisher, phone: str) -> bytes:
    header, rows = read_rows(publisher.data / "providers.csv")
    rows[0]["phone"] = phone
    out = io.StringIO(newline="")
    import csv

    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def config_of(publisher) -> DeskConfig:
    return DeskConfig(data=publisher.data, output=publisher.output, frozen=publisher.frozen, cache=publisher.cache,
                      settings=publisher.settings, content=ROOT / "content", theme=THEME,
                      drafts=publisher.drafts, users=publisher.users)


def wait_for_stage(jobs: Jobs, job: str, stages: set[str], timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.status(job)
        if status.get("stage") in stages:
            return status["stage"]
        assert status["state"] == "running", status
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not reach {sorted(stages)} in {timeout} s: {jobs.status(job)}")


def wait_for_end(jobs: Jobs, job: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.status(job)
        if status["state"] != "running":
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One desk for the tests that build nothing."""
    publisher = make_publisher(tmp_path_factory.mktemp("integrity") / "council")
    with running_desk(publisher) as address:
        yield publisher, address


# What is approved is what is published ----------------------------------------------------------------------

def test_a_draft_is_locked_while_it_is_published_and_what_was_approved_is_what_is_published(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    approved = providers_with_phone(publisher, "01622 000 111")
    later = providers_with_phone(publisher, "01622 000 666")
    with running_desk(publisher) as desk:
        jo, sam = Person(desk, "Jo Bloggs"), Person(desk, "Sam Patel")
        draft = draft_of(jo.post("/drafts"))
        checked = jo.post(f"/drafts/{draft}/upload", files=[("files", ("providers.csv", approved, "text/csv"))])
        assert "No problems found" in checked.text
        assert sam.post(f"/drafts/{draft}/approve").status_code == 200
        started = jo.post(f"/drafts/{draft}/publish", {"mode": "checked"})
        assert started.url.path == f"/drafts/{draft}/status"
        during = jo.post(f"/drafts/{draft}/upload", files=[("files", ("providers.csv", later, "text/csv"))])
        check = jo.post(f"/drafts/{draft}/check")
        ask = jo.post(f"/drafts/{draft}/request-check")
        approve = Person(desk, "Alex Morgan").post(f"/drafts/{draft}/approve")
        done = jo.wait_for_job(draft)
        assert "is published" in done.text, done.text[-2000:]
    assert (publisher.data / "providers.csv").read_bytes() == approved
    [line] = [r for r in audit.read(publisher.frozen / "audit.jsonl") if r["action"] == "publish"]
    [approval] = [r for r in audit.read(publisher.frozen / "audit.jsonl") if r["action"] == "approve"]
    assert line["tables"]["providers.csv"] == sha256(approved)
    assert line["tables"] == approval["tables"] == {
        p.name: sha256(p.read_bytes()) for p in publisher.data.iterdir() if p.suffix in (".csv", ".xlsx")}
    for refused in (during, check, ask, approve):
        assert refused.status_code == 409, (refused.url, refused.status_code)
        assert "is being published" in html.unescape(refused.text) and "Traceback" not in refused.text
        assert "content-security-policy" in refused.headers


def test_an_upload_saved_while_a_preview_is_built_is_kept_and_its_uploader_still_cannot_approve(tmp_path):
    from dps_publish.desk.checking import run_check

    publisher = make_publisher(tmp_path / "council")
    config = config_of(publisher)
    store = DraftStore(config.drafts)
    draft = store.create(config.data, "Jo Bloggs")
    draft.change(check={**run_check(config, config.load_settings(), draft), "by": "Jo Bloggs", "at": audit.now()})
    built_from = draft.data_digest()
    jobs = Jobs(config)
    job = jobs.start("preview", draft.id, "Jo Bloggs", preview_url="http://127.0.0.1:1/preview/" + draft.id)
    wait_for_stage(jobs, job, {"site", "check-site", "search-index"})
    # Sam, an approver, uploads to the draft while its preview is being built (from another desk process, say)
    set_cell(draft.data / "providers.csv", 0, "phone", "01622 000 222")
    during = store.get(draft.id)  # as the upload view records an upload
    during.update(lambda meta: during.record_upload([{
        "by": "Sam Patel", "at": audit.now(), "name": "providers.csv", "table": "providers",
        "sha256": sha256((draft.data / "providers.csv").read_bytes())}]) or during.reopen())
    assert wait_for_end(jobs, job)["state"] == "done"
    after = store.get(draft.id)
    assert [u["by"] for u in after.uploads] == ["Sam Patel"]
    assert after.meta["check"]["by"] == "Jo Bloggs"
    assert after.meta["preview"]["data_digest"] == built_from != after.data_digest()
    assert not preview_ready(after)  # the preview is of the tables before Sam's upload
    after.meta["check"] = {**run_check(config, config.load_settings(), after), "by": "Sam Patel", "at": audit.now()}
    assert "cannot approve it yourself" in approval_refusal(after, "Sam Patel", APPROVERS)
    assert "cannot approve it yourself" in approval_refusal(after, "  sam PATEL ", APPROVERS)


# Publishing without a check --------------------------------------------------------------------------------

def test_only_an_approver_may_publish_without_a_check_and_only_with_a_real_reason(shared):
    publisher, desk = shared
    jo, sam = Person(desk, "Jo Bloggs"), Person(desk, "Sam Patel")
    draft = draft_of(jo.post("/drafts"))
    jo.post(f"/drafts/{draft}/check")
    reason = "The phone number of a provider was wrong."
    refused = jo.post(f"/drafts/{draft}/publish", {"mode": "without-check", "reason": reason})
    words = html.unescape(refused.text)
    assert refused.status_code == 403, refused.url
    assert "Only the people named in DESK_APPROVERS" in words and "Sam Patel" in words
    short = sam.post(f"/drafts/{draft}/publish", {"mode": "without-check", "reason": "urgent fix"})
    assert short.status_code == 400 and "at least 20 characters" in html.unescape(short.text)
    assert "you wrote 10" in html.unescape(short.text)
    assert not journal_path(config_of(publisher)).exists()
    assert [r["action"] for r in audit.read(publisher.frozen / "audit.jsonl")
            if r.get("draft") == draft] == ["draft-started", "check"]


def test_a_round_uploaded_as_a_workbook_is_offered_for_freezing_and_frozen_at_publication(tmp_path):
    import shutil

    publisher = make_publisher(tmp_path / "council")
    shutil.rmtree(publisher.frozen / "rounds" / "2023-04-second")  # awarded, not frozen yet
    header, rows = read_rows(publisher.data / "rounds.csv")
    book = openpyxl.Workbook()
    book.active.title = "Rounds"
    book.active.append(header)
    for row in rows:
        book.active.append([row[c] for c in header])
    rounds = io.BytesIO()
    book.save(rounds)
    reason = "A provider's phone number was wrong and people were calling a stranger."
    with running_desk(publisher) as desk:
        sam = Person(desk, "Sam Patel")
        draft = draft_of(sam.post("/drafts"))
        page = sam.post(f"/drafts/{draft}/upload", files=[("files", ("rounds.xlsx", rounds.getvalue(),
                                                                      "application/octet-stream"))])
        assert "No problems found" in page.text, page.text[-3000:]
        assert not (publisher.drafts / draft / "data" / "rounds.csv").exists()
        offered = sam.get(f"/drafts/{draft}/publish")
        assert "Freeze Second round: more organisations join (2023-04-second)" in html.unescape(offered.text)
        sam.post(f"/drafts/{draft}/publish", {"mode": "without-check", "reason": reason, "freeze": "2023-04-second"})
        done = sam.wait_for_job(draft)
        assert "is published" in done.text, done.text[-2000:]
        history = html.unescape(sam.get("/history").text)
    assert (publisher.frozen / "rounds" / "2023-04-second").is_dir()
    assert (publisher.data / "rounds.xlsx").is_file() and not (publisher.data / "rounds.csv").exists()
    [line] = [r for r in audit.read(publisher.frozen / "audit.jsonl") if r["action"] == "publish-without-check"]
    assert line["reason"] == reason and line["froze_round"] == "2023-04-second" and line["who"] == "Sam Patel"
    assert f"reason: {reason}" in history


# Refusals are pages ------------------------------------------------------------------------------------------

def test_refusing_an_approval_is_a_plain_page_with_its_reason(shared):
    _, desk = shared
    jo = Person(desk, "Jo Bloggs")
    draft = draft_of(jo.post("/drafts"))
    jo.post(f"/drafts/{draft}/check")
    assert "Ask for a check" in jo.post(f"/drafts/{draft}/request-check").text
    own = jo.post(f"/drafts/{draft}/approve")
    assert own.status_code == 403 and "cannot approve it yourself" in own.text
    assert "content-security-policy" in own.headers and "Traceback" not in own.text
    pat = Person(desk, "Pat Nobody").post(f"/drafts/{draft}/approve")
    assert pat.status_code == 403 and "Only the people named in DESK_APPROVERS" in pat.text


# Finishing an interrupted publication -----------------------------------------------------------------------

def test_only_an_approver_may_finish_an_interrupted_publication(shared):
    publisher, desk = shared
    config = config_of(publisher)
    journal_path(config).write_text(json.dumps({
        "publication": "2026-12-02-abcdef", "draft": "20261202-000000-dead", "by": "Jo Bloggs", "approved_by": None,
        "reason": "x" * 20, "freeze": None, "started_at": audit.now(), "done": ["prepare"]}))
    jo, sam = Person(desk, "Jo Bloggs"), Person(desk, "Sam Patel")
    assert "was interrupted before it finished" in jo.get("/").text
    refused = jo.post("/finish-publication")
    assert refused.status_code == 403 and "Only the people named in DESK_APPROVERS" in html.unescape(refused.text)
    time.sleep(1)
    assert journal_path(config).exists()
    sam.post("/finish-publication")
    deadline = time.monotonic() + 120
    while journal_path(config).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not journal_path(config).exists()
    [undone] = [r for r in audit.read(config.audit_log) if r["action"] == "publication-undone"]
    assert undone["who"] == "Sam Patel"


# The history -------------------------------------------------------------------------------------------------

def test_the_history_is_private_and_chained_and_a_break_is_shown_in_words(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    log = publisher.frozen / "audit.jsonl"
    with running_desk(publisher) as desk:
        jo = Person(desk, "Jo Bloggs")
        draft = draft_of(jo.post("/drafts"))
        jo.post(f"/drafts/{draft}/check")
        assert log.stat().st_mode & 0o777 == 0o600
        lines = log.read_bytes().splitlines()
        assert len(lines) == 2
        first, second = (json.loads(line) for line in lines)
        assert second["previous"] == sha256(lines[0]) and first["previous"] is None
        assert "changed" not in jo.get("/history").text
        tampered = log.read_text().replace('"who": "Jo Bloggs"', '"who": "Al Bloggs"', 1)  # the first line
        log.write_text(tampered)
        words = html.unescape(jo.get("/history").text)
        assert "The history has been changed" in words and "line 2" in words
    log.write_text(tampered)
    with running_desk(publisher):
        pass
    said = "".join(p.read_text(errors="replace") for p in publisher.root.glob("desk-*.log"))
    assert "The history has been changed" in said and "line 2" in said


def test_an_unchained_history_still_reads_and_the_chain_starts_at_its_next_line(tmp_path):
    log = tmp_path / "published" / "audit.jsonl"
    log.parent.mkdir()
    old = [{"at": "2026-01-01T10:00:00Z", "action": "upload", "who": "Jo Bloggs"},
           {"at": "2026-01-01T10:05:00Z", "action": "check", "who": "Jo Bloggs"}]
    log.write_text("".join(json.dumps(line) + "\n" for line in old))
    os.chmod(log, 0o644)
    assert audit.verify(log) is None
    audit.append(log, {"action": "approve", "who": "Sam Patel"})
    audit.append(log, {"action": "publish", "who": "Jo Bloggs"})
    assert log.stat().st_mode & 0o777 == 0o600
    assert [r["action"] for r in audit.read(log)] == ["upload", "check", "approve", "publish"]
    raw = log.read_bytes().splitlines()
    assert json.loads(raw[2])["previous"] == sha256(raw[1]) and json.loads(raw[3])["previous"] == sha256(raw[2])
    assert audit.verify(log) is None
    log.write_bytes(b"\n".join([raw[0], raw[1].replace(b"Jo", b"Al"), raw[2], raw[3]]) + b"\n")
    assert "line 3" in audit.verify(log)  # an unchained line changed: the first chained line no longer follows it
    log.write_bytes(b"\n".join([raw[0], raw[1], raw[3]]) + b"\n")
    assert "line 3" in audit.verify(log)  # a line taken out


# Uploads ---------------------------------------------------------------------------------------------------

def test_partial_uploads_left_by_a_crash_are_swept_when_the_desk_starts(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    with running_desk(publisher) as desk:
        draft = draft_of(Person(desk, "Jo Bloggs").post("/drafts"))
    left = publisher.drafts / draft / "incoming" / ".upload-abc123.part"
    left.write_bytes(b"half a file")
    kept = publisher.drafts / draft / "data" / "providers.csv"
    with running_desk(publisher):
        assert not left.exists()
        assert kept.is_file()

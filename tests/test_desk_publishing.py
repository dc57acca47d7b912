"""Publishing survives a crash at any step: a publication stopped between its steps is finished (or undone) at the
next start, and a build killed part way leaves the draft, data/, published/ and output/ as they were."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from desk_support import make_publisher
from helpers import ROOT, THEME, set_cell, tree_digest

from dps_publish.desk import audit
from dps_publish.desk.config import DeskConfig
from dps_publish.desk.drafts import DraftStore
from dps_publish.desk.jobs import Jobs
from dps_publish.desk.publishing import journal_path, pending, recover


def _config(publisher) -> DeskConfig:
    return DeskConfig(data=publisher.data, output=publisher.output, frozen=publisher.frozen, cache=publisher.cache,
                      settings=publisher.settings, content=ROOT / "content", theme=THEME,
                      drafts=publisher.drafts, users=publisher.users)


def _approved_draft(config: DeskConfig, settings):
    from dps_publish.desk.checking import run_check

    draft = DraftStore(config.drafts).create(config.data, "Jo Bloggs")
    set_cell(draft.data / "providers.csv", 0, "phone", "01622 000 999")
    draft.change(check={**run_check(config, settings, draft), "by": "Jo Bloggs", "at": audit.now()},
                 approval={"by": "Sam Patel", "at": audit.now(), "data_digest": draft.data_digest()}, state="approved")
    return draft


STOP_AFTER_BUILD = """
import os, sys
from dps_publish.desk import publishing
from dps_publish.desk.config import DeskConfig
from dps_publish.desk.drafts import DraftStore
import json
config = DeskConfig.from_dict(json.loads(sys.argv[1]))
publishing._replace_data = lambda *a: os._exit(9)  # the power goes off just after the site was swapped in
draft = DraftStore(config.drafts).get(sys.argv[2])
publishing.publish(config, config.load_settings(), draft, publishing.PublishRequest("Jo Bloggs"))
"""


def test_a_publication_stopped_between_its_steps_is_finished_at_the_next_start(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    config = _config(publisher)
    settings = config.load_settings()
    draft = _approved_draft(config, settings)
    tables = tree_digest(publisher.data)
    run = subprocess.run([sys.executable, "-c", STOP_AFTER_BUILD, json.dumps(config.to_dict()), draft.id],
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600)
    assert run.returncode == 9, run.stderr
    journal = pending(config)
    assert journal["done"] == ["prepare", "build"]
    assert tree_digest(publisher.data) == tables  # stopped before the tables were replaced
    outcome = recover(config, settings)
    assert outcome[0] == "finished"
    assert pending(config) is None and not journal_path(config).exists()
    assert "01622 000 999" in (publisher.data / "providers.csv").read_text()
    [line] = [r for r in audit.read(config.audit_log) if r["action"] == "publish"]
    assert line["finished_after_interruption"] is True and line["approved_by"] == "Sam Patel"
    assert DraftStore(config.drafts).get(draft.id).state == "published"


def test_an_interrupted_publication_whose_draft_changed_since_is_undone_not_published(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    config = _config(publisher)
    settings = config.load_settings()
    draft = _approved_draft(config, settings)
    tables = tree_digest(publisher.data)
    run = subprocess.run([sys.executable, "-c", STOP_AFTER_BUILD, json.dumps(config.to_dict()), draft.id],
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600)
    assert run.returncode == 9, run.stderr
    set_cell(draft.data / "providers.csv", 0, "phone", "01622 000 666")  # uploaded after the power came back
    outcome = recover(config, settings)
    assert outcome[0] == "undone" and "no longer the ones approved" in outcome[1]
    assert pending(config) is None
    assert tree_digest(publisher.data) == tables
    site = "".join(p.read_text(encoding="utf-8") for p in publisher.output.rglob("*.html"))
    assert "01622 000 666" not in site and "01622 000 999" not in site  # rebuilt from the tables as they were
    assert [r["action"] for r in audit.read(config.audit_log)] == ["publication-undone"]
    assert DraftStore(config.drafts).get(draft.id).state == "approved"


def test_a_publication_that_cannot_be_finished_is_undone(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    config = _config(publisher)
    settings = config.load_settings()
    tables, frozen = tree_digest(publisher.data), tree_digest(publisher.frozen)
    config.drafts.mkdir(parents=True)
    journal_path(config).write_text(json.dumps({
        "publication": "2026-12-02-abcdef", "draft": "20261202-000000-dead", "by": "Jo Bloggs", "approved_by": None,
        "reason": "x", "freeze": None, "started_at": audit.now(), "done": ["prepare"]}))
    outcome = recover(config, settings)
    assert outcome[0] == "undone" and "no longer there" in outcome[1]
    assert pending(config) is None
    assert tree_digest(publisher.data) == tables
    assert {k: v for k, v in tree_digest(publisher.frozen).items() if k != "audit.jsonl"} == frozen
    assert [r["action"] for r in audit.read(config.audit_log)] == ["publication-undone"]


def test_a_killed_build_leaves_everything_as_it_was_and_says_so(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    config = _config(publisher)
    settings = config.load_settings()
    draft = _approved_draft(config, settings)
    before = {name: tree_digest(folder) for name, folder in
              (("draft", draft.folder), ("data", publisher.data), ("frozen", publisher.frozen))}
    jobs = Jobs(config)
    job = jobs.start("publish", draft.id, "Jo Bloggs", freeze=None, reason=None)
    building = ("site", "check-site", "search-index")  # the site is being written: output/ not swapped yet
    deadline = time.monotonic() + 300
    while jobs.status(job).get("stage") not in building and jobs.status(job)["state"] == "running":
        assert time.monotonic() < deadline, f"the build never reached {building}: {jobs.status(job)}"
        time.sleep(0.05)
    assert jobs.status(job)["stage"] in building and jobs.status(job)["state"] == "running", jobs.status(job)
    os.killpg(jobs.status(job)["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while jobs.status(job)["state"] == "running":
        assert time.monotonic() < deadline, "the killed worker still counts as running"
        time.sleep(0.05)
    assert jobs.status(job)["state"] == "stopped"
    assert not publisher.output.exists()
    assert tree_digest(publisher.data) == before["data"] and tree_digest(publisher.frozen) == before["frozen"]
    after = tree_digest(draft.folder)
    assert {k: v for k, v in after.items() if k in before["draft"]} == before["draft"]
    assert pending(config)["done"] == ["prepare"]  # the next start finishes or undoes it

"""A whole round at the desk, as two people, against the real server: check, preview, approve, publish. Afterwards
``output/`` is byte for byte what ``dps-publish build`` makes of the same tables, and the history says who did what."""

from __future__ import annotations

import json

from desk_support import Person, make_publisher, running_desk
from helpers import ROOT, dps, scratch, set_cell, tree_digest


def test_a_round_checked_by_a_second_person_publishes_exactly_what_a_build_makes(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    with running_desk(publisher) as desk:
        jo = Person(desk, "Jo Bloggs")
        draft = str(jo.post("/drafts").url).rstrip("/").rsplit("/", 1)[1]
        # A change in the draft's own tables (standing in for an upload) is seen, and data/ is not touched yet.
        set_cell(publisher.drafts / draft / "data" / "providers.csv", 0, "phone", "01622 000 999")
        before = tree_digest(publisher.data)
        assert "No problems found" in jo.post(f"/drafts/{draft}/check").text
        changes = jo.get(f"/drafts/{draft}/changes").text
        assert "01622 000 999" in changes
        jo.post(f"/drafts/{draft}/preview")
        assert "Open the preview" in jo.wait_for_job(draft).text
        home = jo.get(f"/preview/{draft}/")
        assert home.status_code == 200 and "It is not published" in home.text
        assert jo.get(f"/preview/{draft}/easy-read/").status_code == 200
        assert jo.post(f"/drafts/{draft}/approve").status_code == 403  # not their own work
        assert Person(desk, "Sam Patel").post(f"/drafts/{draft}/approve").status_code == 200
        assert tree_digest(publisher.data) == before and not publisher.output.exists()
        jo.post(f"/drafts/{draft}/publish", {"mode": "checked"})
        done = jo.wait_for_job(draft)
        assert "is published" in done.text
    assert "01622 000 999" in (publisher.data / "providers.csv").read_text()
    clean = scratch("clean-build") / "output"
    args = publisher.folder_args()
    args[args.index("--output") + 1] = str(clean)
    args[args.index("--cache") + 1] = str(scratch("clean-cache"))
    assert dps(["build", *args]) == 0
    assert tree_digest(publisher.output) == tree_digest(clean)
    lines = [json.loads(t) for t in (publisher.frozen / "audit.jsonl").read_text().splitlines()]
    assert [(line["action"], line["who"]) for line in lines] == [
        ("draft-started", "Jo Bloggs"), ("check", "Jo Bloggs"), ("preview", "Jo Bloggs"), ("approve", "Sam Patel"),
        ("publish", "Jo Bloggs")]
    published = lines[-1]
    assert published["approved_by"] == "Sam Patel" and published["tables"]["providers.csv"]
    assert (ROOT / "data" / "providers.csv").read_text() != (publisher.data / "providers.csv").read_text()

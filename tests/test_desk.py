"""The publishing desk, run for real (``dps-publish desk`` under uvicorn on a loopback port), through HTTP."""

from __future__ import annotations

import subprocess
import sys

import pytest
from desk_support import Person, desk_command, free_port, make_publisher, running_desk
from helpers import project

from dps_publish.cache import inputs_fingerprint
from dps_publish.desk import audit


@pytest.fixture(scope="module")
def publisher(tmp_path_factory):
    return make_publisher(tmp_path_factory.mktemp("desk") / "council")


@pytest.fixture(scope="module")
def desk(publisher):
    with running_desk(publisher) as address:
        yield address


def test_nobody_gets_in_without_saying_who_they_are(desk):
    jo = Person(desk, "Jo Bloggs")
    assert "Signed in as" in jo.last.text and "Jo Bloggs" in jo.last.text
    import httpx

    stranger = httpx.get(desk + "/history", follow_redirects=False)
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/sign-in")


def test_a_post_without_the_csrf_token_is_refused(desk, publisher):
    jo = Person(desk, "Jo Bloggs")
    before = sorted(p.name for p in publisher.drafts.iterdir()) if publisher.drafts.is_dir() else []
    refused = jo.client.post("/drafts", data={})
    wrong = jo.client.post("/drafts", data={"csrf_token": "not-the-token"})
    assert refused.status_code == wrong.status_code == 403
    assert "it was not sent from this desk" in refused.text
    after = sorted(p.name for p in publisher.drafts.iterdir()) if publisher.drafts.is_dir() else []
    assert after == before


def test_every_response_has_a_content_security_policy_without_inline_script(desk):
    jo = Person(desk, "Jo Bloggs")
    for path in ("/", "/history", "/sign-in", "/no-such-page"):
        policy = jo.get(path).headers["content-security-policy"]
        script = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script and "'self'" in script
        assert "<script>" not in jo.last.text


@pytest.mark.parametrize("path", ["/preview/x/..%2f..%2fpelicanconf.py", "/preview/..%2f..%2fpelicanconf.py/x",
                                  "/drafts/..%2fdata/check", "/assets/..%2f..%2fapp.py", "/preview/%2e%2e/x"])
def test_a_path_outside_the_desk_folders_is_not_found(desk, path):
    jo = Person(desk, "Jo Bloggs")
    response = jo.client.get(path)
    assert response.status_code == 404
    assert "SITEURL" not in response.text and "import" not in response.text


def test_the_uploader_cannot_approve_and_an_approver_can(desk, publisher):
    jo = Person(desk, "Jo Bloggs")
    page = jo.post("/drafts")
    draft = str(page.url).rstrip("/").rsplit("/", 1)[1]
    checked = jo.post(f"/drafts/{draft}/check")
    assert "No problems found" in checked.text
    own = jo.post(f"/drafts/{draft}/approve")
    assert own.status_code == 403 and "cannot approve it yourself" in own.text
    outsider = Person(desk, "Pat Nobody")
    assert outsider.post(f"/drafts/{draft}/approve").status_code == 403
    sam = Person(desk, "Sam Patel")  # named in DESK_APPROVERS
    approved = sam.post(f"/drafts/{draft}/approve")
    assert approved.status_code == 200 and "by Sam Patel" in approved.text
    actions = [(line["action"], line["who"]) for line in audit.read(publisher.frozen / "audit.jsonl")
               if line.get("draft") == draft]
    assert actions == [("draft-started", "Jo Bloggs"), ("check", "Jo Bloggs"), ("approve", "Sam Patel")]


def test_a_publish_without_a_check_needs_a_reason(desk):
    sam = Person(desk, "Sam Patel")  # an approver: nobody else may publish without a check (test_desk_integrity)
    draft = str(sam.post("/drafts").url).rstrip("/").rsplit("/", 1)[1]
    sam.post(f"/drafts/{draft}/check")
    refused = sam.post(f"/drafts/{draft}/publish", {"mode": "without-check", "reason": "   "})
    assert refused.status_code == 400 and "Give the reason" in refused.text
    checked = sam.post(f"/drafts/{draft}/publish", {"mode": "checked"})
    assert checked.status_code == 400 and "has not been approved" in checked.text


def test_drafts_are_still_there_after_the_desk_restarts(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    with running_desk(publisher) as address:
        draft = str(Person(address, "Jo Bloggs").post("/drafts").url).rstrip("/").rsplit("/", 1)[1]
    with running_desk(publisher) as address:
        home = Person(address, "Jo Bloggs").get("/")
        assert f"Draft {draft}" in home.text


def test_the_desk_will_not_start_on_a_shared_address_without_users(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    run = subprocess.run(desk_command(publisher, free_port(), host="0.0.0.0"), capture_output=True, text=True,
                         timeout=60, cwd=publisher.root)
    assert run.returncode == 2
    assert "will not listen on 0.0.0.0" in run.stderr and "add-user" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_user_added_with_a_password_is_stored_as_an_argon2_hash(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    run = subprocess.run([sys.executable, "-m", "dps_publish", "desk", "--settings", str(publisher.settings),
                          "--users", str(publisher.users), "add-user", "Sam Patel", "--password-stdin"],
                         input="a long enough password\n", capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    text = publisher.users.read_text()
    assert "$argon2id$" in text and "a long enough password" not in text
    assert publisher.users.stat().st_mode & 0o777 == 0o600


def test_appending_to_the_audit_log_is_not_a_change_to_the_site(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    site = project(publisher.data, publisher.output, frozen=publisher.frozen)
    before = inputs_fingerprint(site)
    audit.append(publisher.frozen / "audit.jsonl", {"action": "upload", "who": "Jo Bloggs"})
    assert inputs_fingerprint(site) == before
    (publisher.frozen / "releases-without-check.json").write_text('[{"published_on": "2026-12-02", "reason": "x"}]')
    assert inputs_fingerprint(site) != before  # the public note of an unchecked release is an input



def test_an_upload_is_matched_checked_and_comes_back_with_its_problems_marked(desk, publisher, tmp_path):
    import io

    import openpyxl

    jo = Person(desk, "Jo Bloggs")
    draft = str(jo.post("/drafts").url).rstrip("/").rsplit("/", 1)[1]
    body = (publisher.data / "listings.csv").read_text().replace("Maidstone; Tonbridge and Malling", "Ashfrod", 1)
    outside = sorted(p.name for p in publisher.root.iterdir())
    page = jo.post(f"/drafts/{draft}/upload", files=[
        ("files", ("Listings (2).csv", body.encode(), "text/csv")),
        ("files", ("../../evil.csv", b"hello,world\n1,2\n", "text/csv"))])
    assert page.url.path == f"/drafts/{draft}/check"
    assert "Listings (2).csv was taken as the <strong>listings</strong> table (from its name)" in page.text
    assert "evil.csv&#34; was not taken" in page.text
    assert "listings.csv, cell G2 (row 2, column districts): &#34;Ashfrod&#34;" in page.text
    assert {p.name for p in publisher.root.iterdir()} - set(outside) <= {".dps-cache"}  # the check's table cache
    assert not list(publisher.root.rglob("evil*")) and not list(publisher.root.parent.rglob("evil*"))
    marked = jo.get(f"/drafts/{draft}/marked/listings.csv")
    assert marked.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(marked.content))
    assert workbook.sheetnames[0] == "Problems"
    table = workbook[workbook.sheetnames[1]]
    assert table["G2"].value == "Ashfrod" and table["G2"].comment and "Ashfrod" in table["G2"].comment.text
    assert table["G2"].fill.fgColor.rgb not in (None, "00000000") and table["G3"].comment is None
    links = [c.hyperlink.location for row in workbook["Problems"].iter_rows() for c in row if c.hyperlink]
    assert any(link and link.endswith("!G2") for link in links)


def test_the_marked_workbook_fixed_in_excel_and_uploaded_again_is_read_from_its_own_sheet(desk, publisher):
    import io

    import openpyxl

    jo = Person(desk, "Jo Bloggs")
    draft = str(jo.post("/drafts").url).rstrip("/").rsplit("/", 1)[1]
    body = (publisher.data / "listings.csv").read_text().replace("Maidstone; Tonbridge and Malling", "Ashfrod", 1)
    jo.post(f"/drafts/{draft}/upload", files=[("files", ("listings.csv", body.encode(), "text/csv"))])
    workbook = openpyxl.load_workbook(io.BytesIO(jo.get(f"/drafts/{draft}/marked/listings.csv").content))
    table = workbook[workbook.sheetnames[1]]
    table["G2"].value = "Maidstone"  # fixed in Excel, the Problems sheet left in
    fixed = io.BytesIO()
    workbook.save(fixed)
    page = jo.post(f"/drafts/{draft}/upload", files=[("files", ("listings-problems-marked.xlsx", fixed.getvalue(),
                                                                "application/octet-stream"))])
    assert "taken as the <strong>listings</strong> table" in page.text
    assert "No problems found" in page.text, page.text[:3000]


def _draft_files(publisher, draft: str) -> dict[str, int]:
    folder = publisher.drafts / draft
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")
            if p.is_file() and p.name != "draft.json"}


def test_an_oversize_file_and_a_zip_bomb_are_refused_with_their_limits_named_and_nothing_kept(desk, publisher):
    import html

    from test_uploads import xlsx_like

    jo = Person(desk, "Jo Bloggs")
    draft = str(jo.post("/drafts").url).rstrip("/").rsplit("/", 1)[1]
    before = _draft_files(publisher, draft)
    too_big = b"programme_id,lot_id\n" + b"x" * (51 * 1024 * 1024)
    page = jo.post(f"/drafts/{draft}/upload", files=[("files", ("listings.csv", too_big, "text/csv"))])
    words = html.unescape(page.text)
    assert page.status_code == 400 and "There is a problem" in words
    assert '"listings.csv" was stopped at 50 MB and not kept' in words, words[:3000]
    assert "a file of the listings table may be at most 50 MB" in words
    assert _draft_files(publisher, draft) == before
    bomb = xlsx_like(zeros=("xl/worksheets/sheet1.xml", 200 * 1024 * 1024))
    page = jo.post(f"/drafts/{draft}/upload", files=[("files", ("listings.xlsx", bomb, "application/octet-stream"))])
    words = html.unescape(page.text)
    assert page.status_code == 400
    assert '"listings.xlsx" was not opened: it would be 200 MB when unpacked' in words
    assert "at most 100 MB unpacked" in words
    assert _draft_files(publisher, draft) == before
    assert not list(publisher.drafts.rglob("*.part"))

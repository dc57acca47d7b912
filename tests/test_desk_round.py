"""A whole round at the desk, as two people in Debian's Chromium, against the real server: upload a workbook with
three problems, get it back with them marked, upload it fixed, see what will change, preview, ask for a check, have
someone else approve, publish. Afterwards ``output/`` is byte for byte what ``dps-publish build`` makes of the same
tables, and the history says who did what."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import openpyxl
import pytest
from browser import launch_chromium
from desk_support import make_publisher, running_desk
from helpers import dps, read_rows, scratch, tree_digest
from playwright.sync_api import sync_playwright

from dps_publish.site.pdftext import read_pdf

NEW_PROVIDER = {
    "provider_id": "orchard-tandems", "name": "Orchard Tandems Cycling Club", "organisation_type": "charity",
    "registration_number": "1201234", "size": "small", "website": "https://www.example.org/orchard-tandems",
    "phone": "01622 000 321",
    "email": "hello@orchard-tandems.example.org",
    "description": "A cycling club with adapted bikes, trikes and tandems, riding quiet lanes in small groups.",
    "easy_read_description": "We ride bikes together. We have bikes for everyone.", "last_checked": "2024-01-15",
    "main_contact_name": "Ivy Lark"}
NEW_LISTING = {
    "programme_id": "everyday-life-activities", "lot_id": "1a", "provider_id": "orchard-tandems",
    "round_id": "2023-04-second", "status": "awarded", "left_date": "", "districts": "Ashford; Maidstone",
    "support_types": "small-group", "age_groups": "18-25; 26-plus", "activities": "cycling; bike repair",
    "day_rate_gbp": "", "hourly_rate_gbp": "19.50"}
# The three mistakes in the listings workbook, by the cell Excel shows, with the value the fixed file has.
MISTAKES = {"G14": "Ashfrod", "I80": "18-99", "L80": "nineteen fifty"}


def workbook(path, header: list[str], rows: list[dict], sheet: str) -> None:
    book = openpyxl.Workbook()
    table = book.active
    table.title = sheet
    table.append(header)
    for row in rows:
        table.append([row[c] for c in header])
    book.save(path)


@pytest.fixture(scope="module")
def round_done(tmp_path_factory):
    """Jo uploads, fixes and publishes; Sam approves. Returns what was seen on the way."""
    root = tmp_path_factory.mktemp("desk-round")
    publisher = make_publisher(root / "council")
    files = root / "jo's computer"
    files.mkdir()
    header, providers = read_rows(publisher.data / "providers.csv")
    workbook(files / "providers.xlsx", header, [*providers, NEW_PROVIDER], "Providers")
    header, listings = read_rows(publisher.data / "listings.csv")
    assert len(listings) == 78  # so the new listing is on row 80, under the header and 78 rows
    rows = [*listings, NEW_LISTING]
    broken = [dict(r) for r in rows]
    for cell, value in MISTAKES.items():
        column, number = header[ord(cell[0]) - ord("A")], int(cell[1:])
        broken[number - 2][column] = value
    workbook(files / "listings.xlsx", header, broken, "Listings")
    data_before = tree_digest(publisher.data)
    seen = {}
    with running_desk(publisher) as desk, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        jo = browser.new_context(accept_downloads=True).new_page()
        sam = browser.new_context().new_page()
        for page, name in ((jo, "Jo Bloggs"), (sam, "Sam Patel")):
            page.goto(desk + "/")
            page.fill("#name", name)
            page.get_by_role("button", name="Continue", exact=True).click()
            page.wait_for_url(desk + "/")

        jo.get_by_role("button", name="Start a new draft", exact=True).click()
        draft = jo.url.rstrip("/").rsplit("/", 1)[1]
        jo.click("text=Upload the tables")
        jo.set_input_files("#files", [files / "providers.xlsx", files / "listings.xlsx"])
        jo.get_by_role("button", name="Upload and check", exact=True).click()
        jo.wait_for_url(f"**/drafts/{draft}/check")
        seen["uploaded"] = jo.inner_text(".govuk-notification-banner")
        seen["summary"] = jo.inner_text(".govuk-error-summary")
        seen["problems"] = jo.locator("li.desk-problem").all_inner_texts()
        with jo.expect_download() as download:
            jo.click("text=Download listings.xlsx with its 3 problems marked")
        marked = files / download.value.suggested_filename
        download.value.save_as(marked)
        seen["marked"] = marked

        # Jo fixes the three cells in the workbook the desk gave back (its Problems sheet left in) and uploads it.
        book = openpyxl.load_workbook(marked)
        table = book[book.sheetnames[1]]
        fixes = {"G14": broken[12]["districts"].replace("Ashfrod", rows[12]["districts"]),
                 "I80": NEW_LISTING["age_groups"], "L80": NEW_LISTING["hourly_rate_gbp"]}
        for cell, value in fixes.items():
            table[cell].value = value
        book.save(files / "listings fixed.xlsx")
        jo.click("text=Upload fixed files")
        jo.set_input_files("#files", [files / "listings fixed.xlsx"])
        jo.get_by_role("button", name="Upload and check", exact=True).click()
        jo.wait_for_url(f"**/drafts/{draft}/check")
        seen["fixed"] = jo.inner_text("main")
        jo.click("text=see what will change")
        seen["changes"] = jo.inner_text("main")
        seen["data untouched"] = tree_digest(publisher.data) == data_before

        jo.goto(desk + f"/drafts/{draft}")
        jo.click(".govuk-task-list >> text=Preview")
        jo.get_by_role("button", name="Build the preview", exact=True).click()
        # The script updates the status in its aria-live region; then "See the result" reloads the page.
        jo.click("#job-live >> text=See the result", timeout=300_000)
        jo.click("text=Open the preview")
        seen["preview home"] = jo.inner_text("body")
        jo.goto(desk + f"/preview/{draft}/providers/orchard-tandems/")
        seen["preview provider"] = jo.inner_text("main")
        jo.goto(desk + f"/preview/{draft}/easy-read/providers/orchard-tandems/")
        seen["preview easy read"] = jo.inner_text("body")
        seen["preview booklet link"] = jo.inner_text(".booklet-link")
        booklet = jo.request.get(urljoin(jo.url, jo.get_attribute(".booklet-link a", "href")))
        seen["preview booklet"] = (booklet.status, booklet.headers.get("content-type"), booklet.body())

        jo.goto(desk + f"/drafts/{draft}/approval")
        jo.get_by_role("button", name="Ask for a check", exact=True).click()
        seen["jo approval"] = jo.inner_text("main")
        sam.goto(desk + f"/drafts/{draft}/approval")
        sam.get_by_role("button", name="Approve this draft", exact=True).click()
        seen["sam approved"] = sam.inner_text("main")

        jo.goto(desk + f"/drafts/{draft}/publish")
        jo.click("#publish")
        jo.click("#job-live >> text=See the result", timeout=300_000)
        seen["published"] = jo.inner_text("main")
        browser.close()
    seen["publisher"] = publisher
    return seen


def test_each_problem_is_shown_with_its_cell_as_excel_shows_it(round_done):
    assert "providers.xlsx was taken as the providers table (from its name)" in round_done["uploaded"]
    assert "listings.xlsx was taken as the listings table (from its name)" in round_done["uploaded"]
    assert "There are 3 problems" in round_done["summary"]
    problems = round_done["problems"]
    assert len(problems) == 3, problems
    for cell, value in MISTAKES.items():
        [problem] = [p for p in problems if f"cell {cell} " in p]
        assert problem.startswith("Sheet Listings, cell") and f'"{value}"' in problem, problem
    assert re.search(r"cell G14 \(row 14, column districts\): \"Ashfrod\" is not", "\n".join(problems))


def test_the_marked_workbook_has_the_three_cells_filled_and_commented_and_a_problems_sheet(round_done):
    book = openpyxl.load_workbook(round_done["marked"])
    assert book.sheetnames[0] == "Problems"
    table = book[book.sheetnames[1]]
    for cell, value in MISTAKES.items():
        assert table[cell].value == value
        assert table[cell].comment is not None and value in table[cell].comment.text
        assert table[cell].fill.fill_type == "solid"
    assert table["G15"].comment is None and table["G15"].fill.fill_type is None
    links = {c.hyperlink.location.rsplit("!", 1)[1] for row in book["Problems"].iter_rows() for c in row
             if c.hyperlink and c.hyperlink.location}
    assert set(MISTAKES) <= {link.replace("$", "") for link in links}


def test_the_fixed_file_checks_clean_and_the_summary_names_the_provider_who_joined(round_done):
    assert "No problems found" in round_done["fixed"]
    assert "Orchard Tandems Cycling Club joined" in round_done["changes"]
    assert round_done["data untouched"]


def test_the_preview_shows_standard_and_easy_read_pages_marked_as_a_preview(round_done):
    assert "It is not published" in round_done["preview home"]
    assert "Orchard Tandems Cycling Club" in round_done["preview provider"]
    assert "We ride bikes together." in round_done["preview easy read"]
    assert "It is not published" in round_done["preview easy read"]


def test_the_preview_has_the_new_organisations_booklet_to_print(round_done):
    status, kind, body = round_done["preview booklet"]
    assert status == 200 and kind == "application/pdf"
    assert round_done["preview booklet link"].startswith("Print this as a booklet (PDF, ")
    blocks = read_pdf(body).texts()
    assert blocks[0] == "Orchard Tandems Cycling Club" and "We ride bikes together." in blocks


def test_the_uploader_waits_for_someone_else_who_approves(round_done):
    jo = round_done["jo approval"]
    assert "Check asked for\tby Jo Bloggs" in jo and "Approve this draft" not in jo
    assert "you cannot approve it yourself" in jo
    assert "Approved\tby Sam Patel" in round_done["sam approved"]


def test_what_was_published_is_exactly_what_a_build_of_the_same_tables_makes(round_done):
    publisher = round_done["publisher"]
    assert "Published" in round_done["published"]
    # The tables as uploaded take the place of the ones they replace: a workbook for a CSV, its Problems sheet gone.
    assert not (publisher.data / "listings.csv").exists() and not (publisher.data / "providers.csv").exists()
    published = openpyxl.load_workbook(publisher.data / "listings.xlsx")
    assert published.sheetnames == ["Listings"] and published["Listings"]["C80"].value == "orchard-tandems"
    assert (publisher.output / "providers" / "orchard-tandems" / "index.html").is_file()
    clean = scratch("desk-round-clean") / "output"
    args = publisher.folder_args()
    args[args.index("--output") + 1] = str(clean)
    args[args.index("--cache") + 1] = str(scratch("desk-round-clean-cache"))
    assert dps(["build", *args]) == 0
    assert tree_digest(publisher.output) == tree_digest(clean)


def test_the_history_holds_the_upload_check_approval_and_publication(round_done):
    publisher = round_done["publisher"]
    lines = [json.loads(t) for t in (publisher.frozen / "audit.jsonl").read_text().splitlines()]
    actions = [(line["action"], line["who"]) for line in lines]
    for step in (("upload", "Jo Bloggs"), ("check", "Jo Bloggs"), ("check-requested", "Jo Bloggs"),
                 ("approve", "Sam Patel"), ("publish", "Jo Bloggs")):
        assert step in actions, actions
    assert actions.index(("approve", "Sam Patel")) < actions.index(("publish", "Jo Bloggs"))
    uploads = [line for line in lines if line["action"] == "upload"]
    assert {f["table"] for u in uploads for f in u.get("files", [])} >= {"providers", "listings"}
    published = lines[-1]
    assert published["action"] == "publish" and published["approved_by"] == "Sam Patel"
    assert set(published["tables"]) >= {"providers.xlsx", "listings.xlsx"}
    assert all(re.fullmatch("[0-9a-f]{64}", digest) for digest in published["tables"].values())

"""Every desk page, in each state a round goes through, in Debian's Chromium: 0 axe-core violations (WCAG 2.2 AA)
and 0 Nu HTML Checker errors; the error summary's links move focus to the problem."""

from __future__ import annotations

import shutil

import pytest
from browser import describe_target, launch_chromium, nu_check_pages, preload_axe, run_axe
from desk_support import Person, make_publisher, running_desk
from helpers import set_cell
from playwright.sync_api import sync_playwright


@pytest.fixture(scope="module")
def desk_pages(tmp_path_factory):
    """(name, url, raw html, axe violations) of every desk page in each state."""
    root = tmp_path_factory.mktemp("desk-browser")
    publisher = make_publisher(root / "council")
    seen = []
    with running_desk(publisher) as desk, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context()
        preload_axe(context)
        page = context.new_page()

        def visit(name: str, path: str) -> None:
            page.goto(desk + path)
            raw = context.request.get(desk + path).text()
            seen.append((name, path, raw, run_axe(page)))

        visit("sign in", "/sign-in")
        page.fill("#name", "Jo Bloggs")
        page.keyboard.press("Enter")  # the keyboard alone
        page.wait_for_url(desk + "/")
        visit("no drafts", "/")
        page.get_by_role("button", name="Start a new draft", exact=True).click()
        draft = page.url.rstrip("/").rsplit("/", 1)[1]
        base = f"/drafts/{draft}"
        for name, path in (("nothing uploaded", base), ("upload", f"{base}/upload"), ("not checked", f"{base}/check"),
                           ("history", "/history"), ("not found", "/no-such-page")):
            visit(name, path)
        set_cell(publisher.drafts / draft / "data" / "listings.csv", 0, "districts", "Ashfrod")
        page.goto(desk + f"{base}/check")
        page.get_by_role("button", name="Check the tables again", exact=True).click()
        visit("problems", f"{base}/check")
        page.click(".govuk-error-summary__list a")
        focused = page.evaluate("document.activeElement.id")
        shutil.copy(publisher.data / "listings.csv", publisher.drafts / draft / "data" / "listings.csv")
        page.goto(desk + f"{base}/check")
        page.get_by_role("button", name="Check the tables again", exact=True).click()
        for name, path in (("all fine", f"{base}/check"), ("changes", f"{base}/changes"),
                           ("preview not built", f"{base}/preview"), ("approval", f"{base}/approval"),
                           ("publish unchecked", f"{base}/publish")):
            visit(name, path)
        page.goto(desk + f"{base}/preview")
        page.get_by_role("button", name="Build the preview", exact=True).click()
        visit("building", page.url.removeprefix(desk))
        jo = Person(desk, "Jo Bloggs")
        jo.wait_for_job(draft)
        visit("preview ready", f"{base}/preview")
        page.goto(desk + f"{base}/approval")
        page.get_by_role("button", name="Ask for a check", exact=True).click()
        visit("awaiting approval", f"{base}/approval")
        assert Person(desk, "Sam Patel").post(f"{base}/approve").status_code == 200
        visit("approved", f"{base}/publish")
        page.goto(desk + f"{base}/publish")
        page.click("#publish")
        jo.wait_for_job(draft)
        visit("published", page.url.removeprefix(desk))
        visit("published draft", base)
        browser.close()
    return seen, focused


def test_every_desk_page_in_every_state_has_no_axe_violations(desk_pages):
    pages, _ = desk_pages
    assert len(pages) >= 18
    found = [f"{name} ({path}): {v['id']} {v['help']} at {describe_target(n['target'])}"
             for name, path, _, violations in pages for v in violations for n in v["nodes"]]
    assert not found, "\n".join(found)


def test_the_error_summary_moves_focus_to_the_problem(desk_pages):
    _, focused = desk_pages
    assert focused == "problem-1"


def test_every_desk_page_in_every_state_has_no_nu_checker_errors(desk_pages, tmp_path):
    pages, _ = desk_pages
    nu_check_pages(((name, raw) for name, _, raw, _ in pages), tmp_path / "pages")

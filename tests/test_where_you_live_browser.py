"""Where do you live? in Chromium, under the site's own Content-Security-Policy (not bypassed): a postcode or a town
typed as people type them lands on the right district's page; a postcode outside the area says so with GOV.UK's
"Find your local council"; a place in two districts asks which; an empty box follows the GOV.UK error pattern (and
axe finds nothing wrong with it); with JavaScript off the button opens the A to Z page, and from it the district.
No request ever carries what was typed, and the bytes fetched stay small (the script itself excluded).
"""

from __future__ import annotations

import pytest
from browser import AXE_TAGS, launch_chromium, run_axe, serve

PAGE_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def base_url(example_build):
    with serve(example_build[0]) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """One page in a fresh context, recording every request and the bytes of every response."""

    def __init__(self, browser, base_url: str, javascript: bool = True, bypass_csp: bool = False):
        self.context = browser.new_context(java_script_enabled=javascript, bypass_csp=bypass_csp,
                                           service_workers="block", viewport={"width": 375, "height": 800})
        self.context.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.requests: list[str] = []
        self.sizes: dict[str, int] = {}
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfinished", self._finished)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _finished(self, request) -> None:
        sizes = request.sizes()
        self.sizes[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

    def open(self, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response.status == 200, path

    def find(self, typed: str) -> None:
        self.requests.clear()
        self.sizes.clear()
        self.page.fill("#where-you-live", typed)
        self.page.click("form[data-where-you-live] button")

    def land_on(self, path: str) -> None:
        self.page.wait_for_url(self.base_url + path)

    def fetched_bytes(self) -> int:
        """Bytes over the wire for the lookup, the script excluded (and the page navigated to after it)."""
        return sum(size for url, size in self.sizes.items() if "/where-you-live/" in url)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(chromium, base_url):
    opened = []

    def make(**options) -> Visit:
        opened.append(Visit(chromium, base_url, **options))
        return opened[-1]

    yield make
    for v in opened:
        assert not v.errors, v.errors
        v.close()


def never_sent(visit: Visit, *parts: str) -> None:
    for url in visit.requests:
        for part in parts:
            assert part.lower() not in url.lower(), f"{url} carries {part!r}, which was typed"


@pytest.mark.parametrize("typed, district", [("tn121xl", "tonbridge-and-malling"), ("tn301xa", "ashford"),
                                             ("  Me14 1xA ", "maidstone")])
def test_a_postcode_in_any_spacing_and_case_lands_on_its_district(visit, typed, district):
    v = visit()
    v.open("/find-support/")
    v.find(typed)
    v.land_on(f"/find-support/{district}/")
    second = typed.replace(" ", "")[-3:]
    never_sent(v, second, typed.strip())
    lookups = [u for u in v.requests if "/where-you-live/" in u]
    first = typed.replace(" ", "").upper()[:-3]
    assert sorted(u.rsplit("/where-you-live/", 1)[1] for u in lookups) == ["areas.json", f"postcodes/{first}.json"]
    assert v.fetched_bytes() <= 10 * 1024, f"a postcode lookup fetched {v.fetched_bytes()} bytes"


def test_the_easy_read_page_goes_to_the_easy_read_district_page(visit):
    v = visit()
    v.open("/easy-read/find-support/")
    v.find("ct5 1xa")
    v.land_on("/easy-read/find-support/canterbury/")


@pytest.mark.parametrize("typed, district", [("Tenterdn", "ashford"), ("TUNBRIDGE WELLS", "tunbridge-wells"), ("royal tunbridge-wells", "tunbridge-wells"),
                                             ("st marys bay", "folkestone-and-hythe"), ("Sittingbourn", "swale")])
def test_a_town_its_other_names_and_one_typo_land_on_its_district(visit, typed, district):
    v = visit()
    v.open("/find-support/")
    v.find(typed)
    v.land_on(f"/find-support/{district}/")
    never_sent(v, typed)
    assert sorted(u.rsplit("/where-you-live/", 1)[1] for u in v.requests if "/where-you-live/" in u) == [
        "areas.json", "places.json"]
    assert v.fetched_bytes() <= 30 * 1024, f"a town lookup fetched {v.fetched_bytes()} bytes"


def test_a_postcode_outside_the_area_says_so_and_links_to_gov_uk(visit):
    v = visit()
    v.open("/find-support/")
    v.find("sw1a1aa")
    result = v.page.locator("#where-you-live-result")
    result.wait_for(state="visible")
    assert "SW1A 1AA is not in Kent" in result.inner_text()
    assert result.locator("a[href='https://www.gov.uk/find-local-council']").count() == 1
    assert v.page.evaluate("document.activeElement.id") == "where-you-live-result"
    never_sent(v, "sw1a", "1aa")


@pytest.mark.parametrize("typed, choices", [
    ("Hartley", {"/find-support/sevenoaks/", "/find-support/tunbridge-wells/"}),
    ("Minster", {"/find-support/swale/", "/find-support/thanet/"}),
    ("TN12", {"/find-support/maidstone/", "/find-support/tonbridge-and-malling/", "/find-support/tunbridge-wells/"}),
])
def test_a_place_or_first_half_in_two_districts_asks_which(visit, base_url, typed, choices):
    v = visit()
    v.open("/find-support/")
    v.find(typed)
    result = v.page.locator("#where-you-live-result")
    result.wait_for(state="visible")
    assert "Which district do you live in?" in result.inner_text()
    links = {a.replace(base_url, "") for a in result.locator("a").evaluate_all("(as) => as.map(a => a.href)")}
    assert links == choices
    result.locator("a").first.click()
    v.page.wait_for_url(lambda url: url.replace(base_url, "") in choices)


def test_an_empty_box_or_an_unknown_town_follows_the_gov_uk_error_pattern_and_passes_axe(visit):
    v = visit(bypass_csp=True)  # axe is injected as a script of its own
    v.open("/find-support/")
    title = v.page.title()
    v.find("")
    summary = v.page.locator(".govuk-error-summary")
    summary.wait_for(state="visible")
    assert "There is a problem" in summary.inner_text()
    assert summary.locator("a[href='#where-you-live']").inner_text() == (
        "Enter your postcode, or the name of your town or village")
    assert v.page.title() == "Error: " + title
    assert v.page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    message = v.page.locator("#where-you-live-error")
    assert message.inner_text().startswith("Error:")
    described = v.page.get_attribute("#where-you-live", "aria-describedby").split()
    assert described == ["where-you-live-hint", "where-you-live-error"]
    assert "govuk-input--error" in v.page.get_attribute("#where-you-live", "class")
    assert run_axe(v.page, AXE_TAGS) == []
    v.find("Zzyzxville")
    # The lookup fetches its files before it answers: wait (bounded) for the message to change from the empty box's.
    v.page.locator("#where-you-live-error", has_text="We could not find").wait_for(state="visible", timeout=15_000)
    assert "We could not find a town, village or postcode called Zzyzxville" in v.page.locator(
        "#where-you-live-error").inner_text()
    assert v.page.locator(".govuk-error-summary").count() == 1, "one summary, replaced, not two"
    assert run_axe(v.page, AXE_TAGS) == []


@pytest.mark.parametrize("start", ["/find-support/", "/easy-read/find-support/"])
def test_without_javascript_the_button_opens_the_a_to_z_and_sends_nothing_typed(visit, base_url, start):
    v = visit(javascript=False)
    v.open(start)
    v.find("TN30 1XA")
    a_to_z = start + "a-to-z/"
    v.page.wait_for_url(lambda url: url.replace(base_url, "").split("?")[0] == a_to_z)
    assert v.page.url.replace(base_url, "") in (a_to_z, a_to_z + "?")
    never_sent(v, "TN30", "1XA", "1+XA", "TN30+1XA")
    v.page.locator("li", has_text="Tenterden").locator("a").click()
    v.land_on(start + "ashford/")


def test_the_sites_search_finds_a_village_on_its_districts_page(visit, base_url):
    v = visit()
    v.open("/search/")
    v.page.fill(".pagefind-ui__search-input", "Tenterden")
    results = v.page.locator(".pagefind-ui__result-link")
    results.first.wait_for(state="visible")
    v.page.wait_for_timeout(500)  # the merged shards' results come in one after another
    links = {href.replace(base_url, "") for href in results.evaluate_all("(as) => as.map(a => a.href)")}
    assert "/find-support/ashford/" in links, links

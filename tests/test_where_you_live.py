"""Where do you live? in the built example: the lookup files, the A to Z page, each district's towns, the privacy
notice, and on every provider page "Checked on" and "Is something wrong on this page? Tell us".

The behaviour in a browser (typing a postcode or a town) is in test_where_you_live_browser.py.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from urllib.parse import parse_qs, unquote, urlsplit

import lxml.html
import pytest
from helpers import ROOT

from dps_publish.addresses import district_path, easy
from dps_publish.site.whereyoulive import ONS_ATTRIBUTION, lookup_files

DATA = ROOT / "data"
GOV_UK_FIND_COUNCIL = "https://www.gov.uk/find-local-council"


def rows(name: str) -> list[dict]:
    with open(DATA / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def html(path):
    return lxml.html.document_fromstring(path.read_bytes())


def text_of(path) -> str:
    return " ".join(html(path).xpath("//main")[0].text_content().split())


@pytest.fixture(scope="module")
def site(example_build):
    return example_build[0]


@pytest.fixture(scope="module")
def model(example_build):
    return example_build[1].model


@pytest.fixture(scope="module")
def districts(model) -> dict[str, object]:
    """District name and code to the district."""
    return {d.name: d for d in model.districts} | {d.code: d for d in model.districts}


def test_every_postcode_of_the_table_is_found_in_its_first_halfs_file_with_its_district(site, districts):
    folder = site / "where-you-live"
    areas = json.loads((folder / "areas.json").read_text(encoding="utf-8"))
    names = [d["name"] for d in areas["districts"]]
    expected: dict[str, set] = defaultdict(set)
    for row in rows("postcodes"):
        first, second = row["postcode"].split(" ")
        expected[first].add(districts[row["district"]].name)
        shard = json.loads((folder / "postcodes" / f"{first}.json").read_text(encoding="utf-8"))
        found = [names[int(n)] for n, seconds in shard["districts"].items() if second in seconds.split(" ")]
        assert found == [districts[row["district"]].name], row
        assert shard["source"] == ONS_ATTRIBUTION
    assert {o: {names[n] for n in ns} for o, ns in areas["outward"].items()} == expected
    assert set(areas["outward"]["TN12"]) == {names.index("Maidstone"), names.index("Tonbridge and Malling"),
                                             names.index("Tunbridge Wells")}, "TN12 is in three districts"
    assert areas["source"] == ONS_ATTRIBUTION and ONS_ATTRIBUTION in (folder / "README.txt").read_text()
    for d in areas["districts"]:
        assert (site / d["page"] / "index.html").is_file() and (site / easy(d["page"]) / "index.html").is_file()


def test_every_place_and_other_name_is_in_the_places_file(site, districts):
    places = json.loads((site / "where-you-live" / "places.json").read_text(encoding="utf-8"))["places"]
    areas = json.loads((site / "where-you-live" / "areas.json").read_text(encoding="utf-8"))
    listed = {(p[0], areas["districts"][n]["name"]) for p in places for n in p[1]}
    assert listed == {(r["name"], districts[r["district"]].name) for r in rows("places")}
    hartley = [p for p in places if p[0] == "Hartley"]
    assert len(hartley) == 1 and len(hartley[0][1]) == 2, "a name in two districts is one entry with both"
    others = {n for p in places for n in (p[2] if len(p) > 2 else [])}
    assert {"Tankerton", "Folkestone Harbour", "St Mary's Bay", "Tunbridge Wells"} <= others


def test_the_lookup_files_are_small_and_the_same_from_the_same_model(model, site):
    files = lookup_files(model)
    assert files == lookup_files(model)
    on_disk = {p.relative_to(site / "where-you-live").as_posix(): p.read_bytes()
               for p in (site / "where-you-live").rglob("*") if p.is_file()}
    assert on_disk == files
    assert sum(len(b) for b in files.values()) < 3_000_000
    biggest_shard = max(len(b) for n, b in files.items() if n.startswith("postcodes/"))
    assert len(files["areas.json"]) + biggest_shard <= 10_240, "a postcode lookup fetches at most 10 KB"
    assert len(files["areas.json"]) + len(files["places.json"]) <= 30_720, "a town lookup fetches at most 30 KB"


@pytest.mark.parametrize("easy_read", [False, True])
def test_find_support_has_the_where_do_you_live_form_sending_nothing(site, easy_read):
    path = site / (easy("find-support/") if easy_read else "find-support/") / "index.html"
    page = html(path)
    form = page.xpath("//form[@data-where-you-live]")[0]
    assert form.get("method") == "get" and form.get("action").endswith(
        ("easy-read/" if easy_read else "") + "find-support/a-to-z/")
    field = form.xpath(".//input[@id='where-you-live']")[0]
    assert field.get("name") is None, "the box has no name, so the form sends nothing typed"
    assert not form.xpath(".//*[@name]"), "no field of the form is sent"
    assert page.xpath("//label[@for='where-you-live']")[0].text_content().strip() == "Where do you live?"
    assert field.get("aria-describedby") == "where-you-live-hint"
    assert page.xpath("//script[contains(@src, 'where-you-live.js')]") and not page.xpath("//script[not(@src)]")
    assert ONS_ATTRIBUTION in text_of(path)
    assert page.xpath("//div[@id='where-you-live-summary']"), "the place of the GOV.UK error summary"


@pytest.mark.parametrize("easy_read", [False, True])
def test_the_a_to_z_page_lists_every_place_other_name_and_postcode_first_half(site, districts, easy_read):
    path = site / (easy("find-support/a-to-z/") if easy_read else "find-support/a-to-z/") / "index.html"
    page = html(path)
    links = defaultdict(set)
    for item in page.xpath("//ul[contains(@class, 'a-to-z__list')]/li"):
        name = item.text_content().split(":")[0].split(" (see ")[0].strip()
        links[name] |= {a.get("href") for a in item.xpath(".//a")}
    prefix = "/easy-read/" if easy_read else "/"
    for row in rows("places"):
        want = prefix + district_path(districts[row["district"]])
        assert want in links[row["name"]], row
        for other in filter(None, (n.strip() for n in row["other_names"].split(";"))):
            assert want in links[other], (other, row)
    for row in rows("postcodes"):
        assert prefix + district_path(districts[row["district"]]) in links[row["postcode"].split(" ")[0]], row
    assert len(links["Hartley"]) == 2
    assert page.xpath(f"//a[@href='{GOV_UK_FIND_COUNCIL}']")
    assert ONS_ATTRIBUTION in text_of(path)
    if easy_read:
        assert len(page.xpath("//div[contains(@class, 'er-point')]/img")) >= 3, "pictures beside the words"


def test_each_district_page_lists_its_towns_and_the_easy_read_one_only_the_main_towns(site, model):
    by_district = defaultdict(list)
    for row in rows("places"):
        by_district[row["district"]].append(row["name"])
    for district in model.districts:
        names = by_district[district.name]
        details = html(site / district_path(district) / "index.html").xpath("//details[contains(@class, 'district-places')]")
        assert len(details) == 1
        listed = " ".join(details[0].text_content().split())
        assert all(name in listed for name in names), district.name
        easy_page = html(site / easy(district_path(district)) / "index.html")
        point = [p for p in easy_page.xpath("//div[contains(concat(' ', @class, ' '), ' er-point ')]")
                 if f"Towns in {district.name} include" in p.text_content()]
        assert len(point) == 1, district.name
        shown = [li.text_content().strip() for li in point[0].xpath(".//li")]
        assert shown == names[:3], "easy read names only the main towns: the first the table lists"
        filtered = site / district_path(district, support_type="one-to-one") / "index.html"
        assert not html(filtered).xpath("//details[contains(@class, 'district-places')]")


def test_the_privacy_notice_says_nothing_typed_leaves_the_browser(site):
    text = text_of(site / "privacy" / "index.html")
    assert "What you type is never sent to us or to anyone else" in text
    assert "We do not see what you type" in text_of(site / "easy-read" / "privacy" / "index.html")
    footer = html(site / "index.html").xpath("//footer//a[text()='Privacy']")
    assert footer and footer[0].get("href").endswith("/privacy/")


def test_every_provider_page_says_when_it_was_checked_and_how_to_report_a_mistake(site, model):
    checked = {r["provider_id"]: r["last_checked"] for r in rows("providers")}
    old = 0
    for provider in model.providers:
        for easy_read in (False, True):
            path = site / (easy("providers/") if easy_read else "providers/") / provider.provider_id / "index.html"
            page, text = html(path), text_of(path)
            day = checked[provider.provider_id]
            if day:
                words = f"{int(day[8:])} {['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'][int(day[5:7]) - 1]} {day[:4]}"
                assert ("We checked this page on " if easy_read else "Checked on ") + words in text, path
                if day < "2022-03-31":
                    assert ("more than a year ago" in text), path
                    old += 1
            mail = page.xpath("//a[contains(@class, 'tell-us')]")
            assert len(mail) == 1, path
            link = urlsplit(mail[0].get("href"))
            assert link.scheme == "mailto" and link.path == "accessibility@example.org"
            query = parse_qs(link.query)
            assert query["subject"] == [f"Something wrong on the page: {provider.name}"]
            assert f"https://dps.example.org/{'easy-read/' if easy_read else ''}providers/{provider.provider_id}/" in unquote(query["body"][0])
            assert mail[0].text_content() == ("Email us" if easy_read else "Tell us")
            assert ("Is something wrong?" if easy_read else "Is something wrong on this page?") in text
    assert old, "the example has an entry checked more than a year before its data"


def test_last_checked_is_in_the_open_data_and_open_referral(site):
    with open(site / "data" / "providers.csv", newline="", encoding="utf-8") as f:
        published = {r["provider_id"]: r["last_checked"] for r in csv.DictReader(f)}
    source = {r["provider_id"]: r["last_checked"] for r in rows("providers")}
    assert published and all(published[p] == source[p] for p in published)
    with open(site / "data" / "openreferral" / "services.csv", newline="", encoding="utf-8") as f:
        services = list(csv.DictReader(f))
    with open(site / "data" / "openreferral" / "organizations.csv", newline="", encoding="utf-8") as f:
        organisations = {r["id"]: r["name"] for r in csv.DictReader(f)}
    names = {r["name"]: r["last_checked"] for r in rows("providers")}
    assert services and all(s["assured_date"] == names[organisations[s["organization_id"]]] for s in services)
    assert any(s["assured_date"] for s in services)

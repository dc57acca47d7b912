"""The search index in shards: which page goes where, and what a rebuild indexes again."""

from __future__ import annotations

import hashlib
import os
import random
import shutil

import pytest
from helpers import project, read_rows, tree_digest, write_rows

from dps_publish.pipeline import build
from dps_publish.problems import BuildError
from dps_publish.site import search
from dps_publish.site.search import HUB, bundle_folder, plan_shards, write_search_index

GENERAL = ["index.html", "easy-read/index.html", "providers/index.html", "easy-read/providers/index.html",
           "find-support/index.html", "programmes/everyday-life-activities/index.html", "search/index.html",
           "whats-new/2023-04-second/index.html", "providers/p1/charts/index.html"]


def provider_pages(count: int) -> list[str]:
    pages = []
    for number in range(count):
        pages += [f"providers/provider-{number}/index.html", f"easy-read/providers/provider-{number}/index.html"]
    return pages


def district_pages(district: str) -> list[str]:
    pages = []
    for tail in ("", "one-to-one/", "virtual/", "age-18-25/"):
        pages += [f"find-support/{district}/{tail}index.html", f"easy-read/find-support/{district}/{tail}index.html"]
    return pages


def shard_of(plan: dict[str, list[str]]) -> dict[str, str]:
    return {page: name for name, files in plan.items() for page in files}


def test_every_page_is_in_exactly_one_shard_and_the_hub_has_the_general_pages():
    pages = GENERAL + district_pages("ashford") + district_pages("dover") + provider_pages(1500)
    plan = plan_shards(pages)
    assert list(plan)[0] == HUB
    assert sorted(p for files in plan.values() for p in files) == sorted(pages)
    assert plan[HUB] == sorted(GENERAL)
    assert plan["find-support-ashford"] == sorted(district_pages("ashford"))
    assert plan["find-support-dover"] == sorted(district_pages("dover"))
    # 3,000 provider pages, 1,000 a shard: three buckets, each about a third
    buckets = [name for name in plan if name.startswith("providers-")]
    assert buckets == ["providers-0", "providers-1", "providers-2"]
    assert all(800 < len(plan[name]) < 1200 for name in buckets), {n: len(plan[n]) for n in buckets}


def test_a_page_and_its_easy_read_twin_share_a_shard():
    pages = GENERAL + district_pages("swale") + provider_pages(2600)
    where = shard_of(plan_shards(pages))
    for page in pages:
        if page.startswith("easy-read/"):
            assert where[page] == where[page.removeprefix("easy-read/")], page


@pytest.mark.parametrize("providers, buckets", [(0, 0), (1, 1), (500, 1), (501, 2), (1000, 2), (1001, 3)])
def test_the_number_of_buckets_follows_the_number_of_provider_pages(providers, buckets):
    plan = plan_shards(GENERAL + provider_pages(providers))  # two pages a provider, 1,000 pages a bucket
    assert len(plan) == 1 + buckets  # no empty bucket at these sizes


def test_a_provider_stays_in_its_bucket_whatever_the_order_and_the_other_providers():
    pages = GENERAL + provider_pages(1800)
    plan = plan_shards(pages)
    shuffled = list(pages)
    random.Random(7).shuffle(shuffled)
    assert plan_shards(shuffled) == plan
    # the bucket is the slug's sha256 modulo the number of buckets, not anything about this run
    for number in (0, 17, 1799):
        slug = f"provider-{number}"
        expected = int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big") % 4
        assert shard_of(plan)[f"providers/{slug}/index.html"] == f"providers-{expected}"
    # a provider joining or leaving moves no other provider while the number of buckets holds
    fewer = shard_of(plan_shards(GENERAL + provider_pages(1790)))
    assert all(fewer[page] == shard_of(plan)[page] for page in fewer)


def test_the_pages_per_shard_can_be_changed():
    assert len(plan_shards(provider_pages(100), pages_per_shard=20)) == 1 + 10


# -- what a rebuild indexes again -----------------------------------------------------------------


def _snapshot(output, where):
    """Hard links to every file of ``output``: it is deleted when the next build is swapped in."""
    shutil.copytree(output, where, copy_function=os.link)
    return where


def _reindexed(output, before) -> set[str]:
    """The shards whose bundle is not the previous build's (same files, by inode)."""
    fresh = set()
    for name in plan_shards(p.relative_to(output).as_posix() for p in output.rglob("*.html")):
        folder = bundle_folder(output, name)
        files = [p for p in folder.rglob("*") if p.is_file() and (name != HUB or p.relative_to(folder).parts[0]
                                                                  not in (search.SHARDS, search.MANIFEST))]
        assert files, f"no bundle for {name}"
        old = bundle_folder(before, name)
        if not all((old / p.relative_to(folder)).is_file() and os.path.samefile(p, old / p.relative_to(folder))
                   for p in files):
            fresh.add(name)
    return fresh


def _changed(output, before, plan) -> set[str]:
    """The shards with a page whose bytes are not the previous build's."""
    return {name for name, files in plan.items()
            if any(not (before / page).is_file() or (before / page).read_bytes() != (output / page).read_bytes()
                   for page in files)}


def test_editing_one_provider_indexes_only_the_shards_whose_pages_changed(tmp_path, monkeypatch, data_copy):
    monkeypatch.setattr(search, "PAGES_PER_SHARD", 20)  # the example's 106 provider pages in about 6 buckets
    site = project(data_copy, tmp_path / "site" / "output")
    site.cache = tmp_path / "cache" / "charts"
    build(site)
    output = site.output
    plan = plan_shards(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    buckets = [name for name in plan if name.startswith("providers-")]
    districts = [name for name in plan if name.startswith("find-support-")]
    assert len(buckets) >= 4 and len(districts) >= 4
    header, rows = read_rows(data_copy / "providers.csv")
    edited = rows[0]["provider_id"]
    bucket = shard_of(plan)[f"providers/{edited}/index.html"]

    # Its description is only on its own pages; the hub's data pages give the data's new version.
    before = _snapshot(output, tmp_path / "first")
    rows[0]["description"] = "A new description, edited for the search shard test."
    write_rows(data_copy / "providers.csv", header, rows)
    result = build(site)
    assert result.search_reindexed
    assert _changed(output, before, plan) == {HUB, bucket}
    assert _reindexed(output, before) == {HUB, bucket}

    # Its name is also on the find-support pages of the districts it works in: those too, no others.
    before = _snapshot(output, tmp_path / "second")
    rows[0]["name"] = "Renamed Makers CIC"
    write_rows(data_copy / "providers.csv", header, rows)
    build(site)
    changed = _changed(output, before, plan)
    assert {HUB, bucket} < changed and set(districts) & changed and set(districts) - changed
    assert _reindexed(output, before) == changed

    # The shards linked from earlier builds are exactly what a clean build indexes.
    clean = project(data_copy, tmp_path / "clean" / "output")
    build(clean)
    assert tree_digest(output) == tree_digest(clean.output)


def _pages_only(output, target):
    shutil.copytree(output, target, copy_function=os.link, ignore=lambda folder, names:
                    ["pagefind"] if folder == str(output) else [])
    return target


def test_unchanged_pages_index_nothing_and_every_bundle_is_linked(example_build, tmp_path):
    output, _ = example_build
    again = _pages_only(output, tmp_path / "again")
    assert write_search_index(again, previous=output) is False
    assert _reindexed(again, output) == set()
    assert tree_digest(again / "pagefind") == tree_digest(output / "pagefind")


def test_bundles_without_a_record_of_their_pages_are_not_reused(example_build, tmp_path):
    """A previous output whose search index was built another way (one bundle for the whole site,
    before shards) is indexed afresh, never mistaken for the hub's bundle."""
    output, _ = example_build
    previous = _pages_only(output, tmp_path / "previous")
    shutil.copytree(output / "pagefind", previous / "pagefind", copy_function=os.link,
                    ignore=lambda folder, names: [search.MANIFEST] if folder == str(output / "pagefind") else [])
    again = _pages_only(output, tmp_path / "again")
    assert write_search_index(again, previous=previous) is True
    assert _reindexed(again, previous) == set(plan_shards(p.relative_to(again).as_posix()
                                                          for p in again.rglob("*.html")))
    assert tree_digest(again / "pagefind") == tree_digest(output / "pagefind")


def test_a_failing_pagefind_is_a_clear_build_error_and_leaves_no_link_folders(example_build, tmp_path, monkeypatch):
    import pagefind_bin_extended

    output, _ = example_build
    again = _pages_only(output, tmp_path / "again")
    failing = tmp_path / "pagefind"
    failing.write_text("#!/bin/sh\necho 'Error: no space left for the index' >&2\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setattr(pagefind_bin_extended, "get_executable", lambda: failing)
    with pytest.raises(BuildError, match="Pagefind could not index the site .*\n.*no space left for the index"):
        write_search_index(again)
    assert not (again / ".search-shards").exists()
    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in output.iterdir() if p.name != "pagefind")


def test_the_search_page_merges_every_shard_the_index_has(example_build):
    """The search page is written before the index, from the planned pages: it must name the
    bundles the index then has, no more, no fewer."""
    import re

    output, _ = example_build
    plan = plan_shards(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    page = (output / "search" / "index.html").read_text(encoding="utf-8")
    listed = re.search(r'<div id="search"[^>]* data-merge-bundles="([^"]*)"', page).group(1).split()
    assert listed == [f"/pagefind/shards/{name}/" for name in plan if name != HUB]
    assert len(listed) >= 2
    for bundle in listed:
        assert (output / bundle.strip("/") / "pagefind-entry.json").is_file(), bundle
    assert (output / "pagefind" / "pagefind-ui.js").is_file() and (output / "pagefind" / "pagefind-entry.json").is_file()
    assert not list(output.glob(".search-shards*"))

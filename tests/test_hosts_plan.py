"""Going live, without a server: the header table, manifests, the planner's order and guard, the WEB_HOST
setting and the secrets file."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from helpers import ROOT

from dps_publish.hosts.config import web_host_problems
from dps_publish.hosts.headers import UnknownFileType, headers_for
from dps_publish.hosts.manifest import Entry, Manifest, manifest_of
from dps_publish.hosts.plan import DeletionsRefused, make_plan
from dps_publish.hosts.secrets import HostError, load_secrets
from dps_publish.settings import SettingsError, load_settings


def entry(path: str, content: str = "a") -> Entry:
    h = headers_for(path)
    return Entry(path, content * 64, 10, h.content_type, h.cache_control)


def manifest(release: str, *entries: Entry, leftovers=()) -> Manifest:
    return Manifest(release, "2026-12-07T10:00:00+00:00", tuple(sorted(entries)), tuple(leftovers))


# --- headers ----------------------------------------------------------------------------------------------------


def test_every_file_of_the_example_has_its_headers_from_the_table(example_build):
    output, _ = example_build
    found = {e.path: e for e in manifest_of(output, "r1", "now").files}
    assert len(found) > 1000
    fragment = next(p for p in found if p.startswith("pagefind/fragment/"))
    pdf = next(p for p in found if p.endswith(".pdf"))
    shard_entry = next(p for p in found if p.startswith("pagefind/shards/") and p.endswith("pagefind-entry.json"))
    expected = {
        "index.html": ("text/html; charset=utf-8", "public, no-cache"),
        "search/index.html": ("text/html; charset=utf-8", "public, no-cache"),
        "data/providers.csv": ("text/csv; charset=utf-8", "public, max-age=300"),
        "data/datapackage.json": ("application/json; charset=utf-8", "public, max-age=300"),
        "pagefind/pagefind-entry.json": ("application/json; charset=utf-8", "public, no-cache"),
        "pagefind/shards.json": ("application/json; charset=utf-8", "public, no-cache"),
        shard_entry: ("application/json; charset=utf-8", "public, no-cache"),
        "pagefind/pagefind.js": ("text/javascript; charset=utf-8", "public, no-cache"),
        "pagefind/wasm.en-gb.pagefind": ("application/octet-stream", "public, no-cache"),
        fragment: ("application/octet-stream", "public, max-age=31536000, immutable"),
        pdf: ("application/pdf", "public, max-age=3600"),
        "theme/css/site.css": ("text/css; charset=utf-8", "public, no-cache"),
        "theme/icons/home.svg": ("image/svg+xml", "public, no-cache"),
        "whats-new/feed.atom.xml": ("application/atom+xml; charset=utf-8", "public, no-cache"),
        "sitemap.xml": ("application/xml; charset=utf-8", "public, no-cache"),
    }
    for path, (content_type, cache_control) in expected.items():
        assert (found[path].content_type, found[path].cache_control) == (content_type, cache_control), path
    meta = next(p for p in found if p.endswith(".pf_meta"))
    assert found[meta].cache_control.endswith("immutable")
    # Pagefind's fragments are gzip already (so no host may add Content-Encoding to them).
    assert (output / fragment).read_bytes()[:2] == b"\x1f\x8b"


def test_the_rest_of_the_table():
    assert headers_for("dps-release.json").cache_control == "no-store"
    assert headers_for("audio/page.mp3") .content_type == "audio/mpeg"
    assert headers_for("audio/page.mp3").cache_control == "public, max-age=3600"
    assert headers_for("x/search.wasm").content_type == "application/wasm"
    with pytest.raises(UnknownFileType, match=r"notes\.xyz: .*ending is \.xyz"):
        headers_for("notes.xyz")


def test_a_manifest_is_deterministic_and_read_back(example_build):
    output, _ = example_build
    one = manifest_of(output, "r1", "2026-12-07T10:00:00+00:00")
    two = manifest_of(output, "r1", "2026-12-07T10:00:00+00:00")
    assert one.to_json() == two.to_json()
    assert Manifest.from_json(one.to_json()) == one
    document = json.loads(one.to_json())
    document["files"][0]["sha256"] = "0" * 64
    with pytest.raises(ValueError, match="does not add up"):
        Manifest.from_json(json.dumps(document).encode())


def test_a_manifest_is_one_file_to_a_line_and_read_back_with_what_a_marker_adds():
    one = manifest("r1", entry("caf\u00e9/index.html"), entry("data/a.csv", "b"), leftovers=["old.html"])
    text = one.to_json(dirty=["data/a.csv"]).decode()
    document = json.loads(text)
    assert document["dirty"] == ["data/a.csv"] and document["leftovers"] == ["old.html"]
    assert document["digest"] == one.digest and list(document) == sorted(document)
    assert '"path": "caf\u00e9/index.html"' in text.splitlines()[4], "one file to a line, as written"
    assert Manifest.from_json(text.encode()) == one
    assert Manifest.from_json(one.to_json()).to_json() == one.to_json()


def test_a_kept_release_spares_reading_again_only_files_that_cannot_have_changed(tmp_path):
    """A file that is the kept release's own (the same inode), its size, and not written since the release was
    kept takes the kept sha256 (here a made-up one, to show it was not read); any other file is read."""
    import time

    site, kept = tmp_path / "site", tmp_path / "kept"
    for name in ("same.html", "edited.html", "replaced.html", "grown.html"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("<p>one</p>", encoding="utf-8")
    known = manifest("r1", *(Entry(n, "f" * 64, 10, "text/html; charset=utf-8", "no-cache")
                             for n in ("same.html", "edited.html", "replaced.html", "grown.html")))
    kept.mkdir()
    for name in ("same.html", "edited.html", "replaced.html", "grown.html"):
        os.link(site / name, kept / name)
    (kept / "dps-release.json").write_bytes(known.to_json())
    time.sleep(0.05)
    with open(site / "edited.html", "r+b") as f:  # written in place, so the kept link changed too
        f.write(b"<p>two</p>")
    (site / "replaced.html").unlink()
    (site / "replaced.html").write_text("<p>new</p>", encoding="utf-8")
    with open(site / "grown.html", "ab") as f:
        f.write(b"\n")
    found = {e.path: e.sha256 for e in manifest_of(site, "r2", "now", known, kept).files}
    assert found["same.html"] == "f" * 64
    for name in ("edited.html", "replaced.html", "grown.html"):
        assert found[name] == hashlib.sha256((site / name).read_bytes()).hexdigest(), name
    assert manifest_of(site, "r2", "now").files != manifest_of(site, "r2", "now", known, kept).files


def test_a_file_is_fetched_where_readers_fetch_it():
    from dps_publish.hosts.verify import url_of

    assert url_of("https://x.gov.uk/dps/", "index.html") == "https://x.gov.uk/dps/"
    assert url_of("https://x.gov.uk", "providers/a/index.html") == "https://x.gov.uk/providers/a/"
    assert url_of("https://x.gov.uk", "data/caf\u00e9 list.csv") == "https://x.gov.uk/data/caf%C3%A9%20list.csv"


def test_a_pages_links_are_found_the_same_from_every_page_of_a_folder(tmp_path):
    """Links are resolved once for each folder and remembered (a theme's links repeat on every page): two pages of
    one folder, and a page elsewhere, each get their own links, fragments and queries dropped, other sites left."""
    from dps_publish.hosts.verify import _local_links

    page = ('<html><head><link rel="stylesheet" href="../../theme/site.css"></head><body>'
            '<a href="#top">top</a> <a href="?page=2">next</a> <a href="../b/">b</a> <a href="/dps/data/x.csv#r">x</a>'
            '<a href="https://elsewhere.example.org/">away</a> <img src="pic.png" alt="">'
            '<a href="mailto:a@example.org">mail</a></body></html>')
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    remembered: dict = {}
    site = "https://x.gov.uk/dps"
    one = _local_links(tmp_path / "p.html", f"{site}/providers/a/", site, remembered)
    assert one == {f"{site}/theme/site.css", f"{site}/providers/a/", f"{site}/providers/b/", f"{site}/data/x.csv",
                   f"{site}/providers/a/pic.png"}
    two = _local_links(tmp_path / "p.html", f"{site}/providers/a/more.html", site, remembered)
    assert two == (one - {f"{site}/providers/a/"}) | {f"{site}/providers/a/more.html"}
    elsewhere = _local_links(tmp_path / "p.html", f"{site}/about/", site, remembered)
    assert f"{site}/providers/b/" not in elsewhere and f"{site}/b/" in elsewhere and f"{site}/about/pic.png" in elsewhere


# --- the plan -----------------------------------------------------------------------------------------------------


def test_the_order_never_breaks_a_page():
    live = manifest("r1", entry("index.html"), entry("providers/a/index.html"), entry("theme/css/site.css"))
    new = manifest("r2", entry("index.html", "b"), entry("providers/a/index.html", "b"),
                   entry("providers/b/index.html"), entry("providers/index.html"), entry("theme/css/site.css", "b"),
                   entry("pagefind/fragment/en_1.pf_fragment"), entry("pagefind/pagefind-entry.json"),
                   entry("pagefind/shards/p/pagefind-entry.json"), entry("pagefind/shards.json"),
                   entry("pagefind/pagefind.js"), entry("data/providers.csv"), entry("easy-read/a.pdf"))
    order = [e.path for e in make_plan(new, live).upload]
    assert order == [
        "data/providers.csv", "easy-read/a.pdf", "pagefind/fragment/en_1.pf_fragment", "theme/css/site.css",
        "pagefind/pagefind.js", "pagefind/shards/p/pagefind-entry.json", "pagefind/pagefind-entry.json",
        "pagefind/shards.json",
        "providers/b/index.html", "providers/index.html",  # new pages first: nothing live links to them yet
        "providers/a/index.html",
        "index.html",
    ]


def test_deletions_wait_a_release():
    one = manifest("r1", entry("index.html"), entry("old.csv"), *[entry(f"kept{i}.csv") for i in range(30)])
    two = manifest("r2", entry("index.html", "b"), *[entry(f"kept{i}.csv") for i in range(30)])
    plan = make_plan(two, one)  # 1 file of 32: under the guard
    assert plan.delete == () and plan.removed == ("old.csv",) and plan.release.leftovers == ("old.csv",)
    assert plan.summary() == "1 file to upload, 0.0 kB; 0 to delete (1 no longer in the site, deleted with the " \
                             "release after this one)"
    kept = [entry(f"kept{i}.csv") for i in range(30)]
    three = make_plan(manifest("r3", entry("index.html", "c"), *kept), plan.release)
    assert three.delete == ("old.csv",) and three.release.leftovers == ()
    # A file brought back before its deletion is not deleted.
    back = make_plan(manifest("r3", entry("index.html", "c"), *kept, entry("old.csv")), plan.release)
    assert back.delete == () and [e.path for e in back.upload] == ["old.csv", "index.html"]


def test_nothing_changed_sends_nothing():
    one = manifest("r1", entry("index.html"), entry("a.csv"))
    plan = make_plan(manifest("r2", entry("index.html"), entry("a.csv")), one)
    assert plan.nothing_to_do and plan.upload == ()


def test_a_release_that_loses_much_of_the_site_is_refused_without_a_reason():
    pages = [entry(f"p{i}/index.html") for i in range(100)]
    live = manifest("r1", entry("index.html"), *pages)
    six_gone = manifest("r2", entry("index.html"), *pages[6:])  # 6 of 101: more than 5 %
    with pytest.raises(DeletionsRefused) as refused:
        make_plan(six_gone, live)
    assert str(refused.value).startswith("This release would remove 6 of 101 files from the public site (6%)")
    assert "--confirm-deletions" in str(refused.value)
    with pytest.raises(DeletionsRefused):
        make_plan(six_gone, live, confirmed_reason="   ")
    plan = make_plan(six_gone, live, confirmed_reason="six services closed")
    assert plan.confirmed_reason == "six services closed" and len(plan.removed) == 6
    assert make_plan(manifest("r2", entry("index.html"), *pages[5:]), live).removed  # 5 of 101: allowed
    many = [entry(f"q{i}.csv") for i in range(2000)]
    with pytest.raises(DeletionsRefused, match="remove 51 of 2,000"):  # under 5 %, but more than 50 files
        make_plan(manifest("r2", *many[51:]), manifest("r1", *many))


def test_a_half_done_release_is_completed():
    """An interrupted deploy to an object store: every file it touched is sent again, what it added is deleted."""
    kept = [entry(f"kept{i}.csv") for i in range(30)]
    live = manifest("r1", entry("index.html"), entry("a.csv"), *kept)
    pending = manifest("r2", entry("index.html", "b"), entry("a.csv", "b"), entry("new.csv"), *kept)
    plan = make_plan(manifest("r1b", entry("index.html"), entry("a.csv"), *kept), live, pending)
    assert [e.path for e in plan.upload] == ["a.csv", "index.html"]
    assert plan.delete == ("new.csv",)


# --- the setting and the secrets -------------------------------------------------------------------------------------


def test_every_mistake_in_the_web_host_setting_has_words():
    assert web_host_problems({"kind": "releases", "path": "/srv/dps"}) == []
    assert web_host_problems({"kind": "ssh", "host": "web1.northshire.gov.uk", "user": "deploy", "path": "/srv/dps",
                              "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB", "port": 2222}) == []
    said = [m for _, m in web_host_problems({"kind": "ftp"})]
    assert said == ["'kind' is 'ftp', which is not one of \"releases\", \"ssh\", \"azure\", \"s3\"."]
    said = " | ".join(m for _, m in web_host_problems({"kind": "ssh", "host": "web1", "path": "srv/dps", "port": "22",
                                                         "user": "deploy", "pasword": "x"}))
    assert "needs 'host_key'" in said
    assert "'path' is 'srv/dps', which is not the full path" in said
    assert "'port' is '22', which is not a port number" in said
    assert "passwords, keys and tokens never go in the settings file" in said and "DPS_WEB_HOST_PASWORD" in said
    said = [m for _, m in web_host_problems({"kind": "releases", "path": "/srv/dps", "verify_url": "ftp://x"})]
    assert said and "verify_url" in said[0]
    assert web_host_problems("releases")[0][1].startswith("is not a set of settings in curly brackets")


def test_a_settings_file_with_a_password_in_it_is_refused_without_showing_it(tmp_path):
    (tmp_path / "pelicanconf.py").write_text((ROOT / "pelicanconf.py").read_text(encoding="utf-8"))
    conf = tmp_path / "conf.py"
    conf.write_text('from pelicanconf import *  # noqa\n'
                    'WEB_HOST = {"kind": "releases", "path": "/srv/dps", "password": "planted-Zx81"}\n')
    with pytest.raises(SettingsError) as error:
        load_settings(conf)
    assert [p.code for p in error.value.problems] == ["setting-invalid"]
    assert "never go in the settings file" in str(error.value)
    assert "planted-Zx81" not in str(error.value) and "planted-Zx81" not in json.dumps(
        [p.to_dict() for p in error.value.problems])
    conf.write_text('from pelicanconf import *  # noqa\nWEB_HOST = {"kind": "releases", "path": "/srv/dps"}\n')
    assert load_settings(conf).web_host.get("path") == "/srv/dps"
    conf.write_text('from pelicanconf import *  # noqa\n')
    assert load_settings(conf).web_host is None  # no host: everything as before


def test_secrets_come_from_the_environment_or_a_file_only_its_owner_reads(tmp_path):
    users = tmp_path / "users.toml"
    secrets_file = tmp_path / "web-host-secrets.toml"
    secrets_file.write_text('password = "planted-from-file"\n')
    os.chmod(secrets_file, 0o644)
    with pytest.raises(HostError) as refused:
        load_secrets(users, environ={})
    assert "can be read by other people" in str(refused.value) and "chmod 600" in str(refused.value)
    assert "planted-from-file" not in str(refused.value)
    os.chmod(secrets_file, 0o600)
    found = load_secrets(users, environ={})
    assert found.get("password") == "planted-from-file" and "planted" not in repr(found)
    found = load_secrets(users, environ={"DPS_WEB_HOST_PASSWORD": "planted-from-env"})
    assert found.get("password") == "planted-from-env"
    assert found.redact("the password planted-from-env was refused") == "the password [hidden] was refused"
    secrets_file.write_text('password = "planted-broken\n')
    with pytest.raises(HostError) as unreadable:
        load_secrets(users, environ={})
    assert "planted-broken" not in str(unreadable.value) and "cannot be read as TOML" in str(unreadable.value)


# --- the command, without a host ------------------------------------------------------------------------------------


def _conf(folder, web_host: str | None) -> str:
    (folder / "pelicanconf.py").write_text((ROOT / "pelicanconf.py").read_text(encoding="utf-8"))
    conf = folder / "conf.py"
    conf.write_text("from pelicanconf import *  # noqa\n" + (f"WEB_HOST = {web_host}\n" if web_host else ""))
    return str(conf)


def test_deploy_with_no_web_host_says_where_to_set_one(tmp_path, capsys):
    from helpers import dps

    assert dps(["deploy", "--dry-run", "--settings", _conf(tmp_path, None), "--output", str(tmp_path / "out"),
                "--users", str(tmp_path / "users.toml")]) == 4
    said = capsys.readouterr().err
    assert said.startswith("No web host is set, so there is nowhere to go live. Add WEB_HOST to the settings file")
    assert "Traceback" not in said


def test_a_dry_run_sends_nothing_and_says_what_would_go(tmp_path, capsys, example_build):
    from helpers import dps

    output, _ = example_build
    conf = _conf(tmp_path, repr({"kind": "releases", "path": str(tmp_path / "srv")}))
    assert dps(["deploy", "--dry-run", "--settings", conf, "--output", str(output),
                "--users", str(tmp_path / "users.toml")]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"Dry run, nothing sent. Going live at the releases folder {tmp_path / 'srv'} on this "
                           "computer would send release ")
    assert "files to upload" in said and "Live there now: nothing yet." in said
    assert not (tmp_path / "srv").exists()
    assert dps(["rollback", "--reason", "test", "--settings", conf, "--output", str(output),
                "--users", str(tmp_path / "users.toml")]) == 4
    said = capsys.readouterr().err
    assert "Nothing has gone live at the releases folder" in said
    assert "The data folder still holds the newer round" in said

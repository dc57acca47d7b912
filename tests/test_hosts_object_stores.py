"""Going live to object stores, for real: Azure Blob Storage's $web through Azurite and an S3 bucket through
moto's server, each behind Caddy serving it as the services' website endpoints do (tests/object_store_support.py).

Each kind gets one server, one container or bucket and one website for the module; each test first makes live
the release it starts from (nothing is sent when it already is), so any test can run alone. dps-publish runs in
a child process, as IT would run it, its key given only as a web host secret (Azure: web-host-secrets.toml) or
in AWS's own variables (S3).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest
from helpers import ROOT, build_site, set_cell
from hosting import free_port
from object_store_support import (
    CommandLines,
    Run,
    azurite,
    crawl,
    dps,
    live_manifest,
    moto_s3,
    planted_key,
    read_back,
    website,
)

from dps_publish.hosts.manifest import Manifest, manifest_of
from dps_publish.hosts.verify import url_of

azure_blob = pytest.importorskip("azure.storage.blob")
boto3 = pytest.importorskip("boto3")

ACCOUNT, EMPTY_ACCOUNT = "dpsplanted", "dpsempty"
BUCKET = "dps-site"
OLD_PAGE = "news-archive/old-notice/index.html"


@lru_cache(maxsize=None)
def manifest(site: Path) -> Manifest:
    return manifest_of(site, "local", "local")


def changed(old: Path, new: Path) -> set[str]:
    before, after = manifest(old).by_path, manifest(new).by_path
    return {path for path, entry in after.items() if before.get(path) != entry}


# --- the sites -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example(example_build) -> Path:
    return example_build[0]


@pytest.fixture(scope="module")
def with_old_page(example, tmp_path_factory) -> Path:
    """The example and one page more (a notice since taken down), as hard links: the release before a release
    that drops a page."""
    site = tmp_path_factory.mktemp("with-old-page") / "output"
    shutil.copytree(example, site, copy_function=os.link)
    page = site / OLD_PAGE
    page.parent.mkdir(parents=True)
    page.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Old notice</title></head>'
                    '<body><p>This notice has ended. <a href="/">Home</a></p></body></html>\n', encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def provider_edited(tmp_path_factory) -> Path:
    """The example with one provider's description changed, built."""
    folder = tmp_path_factory.mktemp("provider-edited")
    shutil.copytree(ROOT / "data", folder / "data")
    set_cell(folder / "data" / "providers.csv", 0, "description", "A new description, edited for the hosts test.")
    build_site(folder / "data", folder / "output")
    return folder / "output"


# --- the hosts -----------------------------------------------------------------------------------------------------


@dataclass
class Host:
    kind: str
    address: str  # the website, through Caddy
    folder: Path
    web_host: dict
    env: dict  # what the child process is given: for S3, the key
    secrets: list[str]  # every secret planted, to look for
    runs: list[Run] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def settings(self, **changes) -> Path:
        web_host = {**self.web_host, **changes}
        name = "settings-" + hashlib.sha256(json.dumps(web_host, sort_keys=True).encode()).hexdigest()[:8] + ".py"
        path = self.folder / name
        path.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *  # noqa\n"
                        f"WEB_HOST = {web_host!r}\n", encoding="utf-8")
        return path

    def run(self, *args: str, kill_after: str | None = None, settings: Path | None = None,
            env: dict | None = None, desk: str = "desk") -> Run:
        """``desk``: the folder of the desk's users file, beside which the secrets file is read."""
        run = dps([*args, "--settings", str(settings or self.settings()), "--cache", str(self.folder / "cache"),
                   "--users", str(self.folder / desk / "users.toml")], {**self.env, **(env or {})},
                  kill_after=kill_after)
        self.runs.append(run)
        return run

    def deploy(self, site: Path, *more: str, kill_after: str | None = None, **kw) -> Run:
        return self.run("deploy", "--output", str(site), "--json", *more, kill_after=kill_after, **kw)

    def live(self) -> dict | None:
        return live_manifest(self.address)

    def make_live(self, site: Path) -> None:
        """Make ``site`` the live release, sending nothing if it already is."""
        now = self.live()
        if now and now["digest"] == manifest(site).digest and self.pending() is None:
            return
        run = self.deploy(site, "--confirm-deletions", "the tests start from this release")
        assert run.code == 0, run.out + run.err

    def pending(self) -> dict | None:
        answer = read_back(self.address, ["dps-release-pending.json"])["dps-release-pending.json"]
        return answer.json() if answer.status_code == 200 else None


def _secrets_file(folder: Path, values: dict) -> None:
    desk = folder / "desk"
    desk.mkdir(parents=True, exist_ok=True)
    path = desk / "web-host-secrets.toml"
    path.write_text("".join(f'{k} = "{v}"\n' for k, v in values.items()), encoding="utf-8")
    path.chmod(0o600)


def _azure(folder: Path, servers: ExitStack) -> Host:
    from azure.storage.blob import BlobServiceClient, StaticWebsite

    key, empty_key = planted_key("azure"), planted_key("azure-empty")
    store = servers.enter_context(azurite(folder / "azurite", {ACCOUNT: key, EMPTY_ACCOUNT: empty_key}))
    endpoint = f"http://127.0.0.1:{store.port}/{ACCOUNT}"
    service = BlobServiceClient(endpoint, credential={"account_name": ACCOUNT, "account_key": key})
    service.create_container("$web", public_access="blob")  # the website endpoint reads $web without a key
    service.set_service_properties(static_website=StaticWebsite(enabled=True, index_document="index.html",
                                                                error_document404_path="404.html"))
    site = servers.enter_context(website(folder / "caddy", store.port, f"/{ACCOUNT}/$web"))
    _secrets_file(folder, {"account_key": key})
    return Host("azure", f"http://127.0.0.1:{site.port}", folder,
                {"kind": "azure", "account": ACCOUNT, "endpoint": endpoint,
                 "verify_url": f"http://127.0.0.1:{site.port}"}, {}, [key, empty_key],
                extra={"port": store.port, "empty_key": empty_key})


def _s3(folder: Path, servers: ExitStack) -> Host:
    store = servers.enter_context(moto_s3(folder / "moto"))
    endpoint = f"http://127.0.0.1:{store.port}"
    key_id, secret = "AKIAPLANTEDKEY000001", planted_key("s3")
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id,
                          aws_secret_access_key=secret)
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({  # as a public website bucket is
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
    site = servers.enter_context(website(folder / "caddy", store.port, f"/{BUCKET}"))
    return Host("s3", f"http://127.0.0.1:{site.port}", folder,
                {"kind": "s3", "bucket": BUCKET, "endpoint": endpoint, "verify_url": f"http://127.0.0.1:{site.port}"},
                {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}, [secret], extra={"port": store.port})


@pytest.fixture(scope="module", params=["azure", "s3"])
def host(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    with ExitStack() as servers:
        made = (_azure if request.param == "azure" else _s3)(folder, servers)
        made.extra["command_lines"] = command_lines = CommandLines()
        servers.callback(command_lines.stop)
        yield made


# --- the tests -----------------------------------------------------------------------------------------------------


def _served_as_in(host: Host, site: Path, paths) -> list[str]:
    """What differs between the public site and the release's manifest, for each path."""
    entries = manifest(site).by_path
    problems = []
    for path, answer in read_back(host.address, sorted(paths)).items():
        entry = entries[path]
        if answer.status_code != 200:
            problems.append(f"{path}: {answer.status_code}")
            continue
        if hashlib.sha256(answer.content).hexdigest() != entry.sha256:
            problems.append(f"{path}: other bytes")
        if answer.headers.get("content-type") != entry.content_type:
            problems.append(f"{path}: Content-Type {answer.headers.get('content-type')!r}, not {entry.content_type!r}")
        if answer.headers.get("cache-control") != entry.cache_control:
            problems.append(f"{path}: Cache-Control {answer.headers.get('cache-control')!r}, not "
                            f"{entry.cache_control!r}")
        if answer.headers.get("content-encoding"):
            problems.append(f"{path}: Content-Encoding {answer.headers['content-encoding']!r}")
    return problems


def test_a_release_goes_live_every_file_as_its_manifest_says(host, with_old_page):
    if host.live() is None:
        started = time.monotonic()
        run = host.deploy(with_old_page)
        assert run.code == 0, run.out + run.err
        print(f"{host.kind}: first release, {run.json['plan']['upload']} files in "
              f"{time.monotonic() - started:.1f} s")
        assert run.json["action"] == "live"
        assert run.json["plan"]["upload"] == len(manifest(with_old_page).files)
        assert run.json["checked"] > 0 and run.json["links"] > 0
    host.make_live(with_old_page)
    assert _served_as_in(host, with_old_page, manifest(with_old_page).paths) == []
    marker = read_back(host.address, ["dps-release.json"])["dps-release.json"]
    assert marker.headers["cache-control"] == "no-store"
    assert marker.json()["digest"] == manifest(with_old_page).digest
    assert host.pending() is None, "a finished deploy leaves no half-done marker"
    missing = read_back(host.address, ["no/such/page/"])["no/such/page/"]
    assert missing.status_code == 404
    if (with_old_page / "404.html").exists():
        assert missing.content == (with_old_page / "404.html").read_bytes()

    again = host.deploy(with_old_page)
    assert again.code == 0 and again.json["action"] == "up-to-date", again.out + again.err


def test_one_provider_edit_sends_only_what_changed_and_deletes_a_release_late(host, with_old_page,
                                                                              provider_edited, example):
    host.make_live(with_old_page)
    expected = changed(with_old_page, provider_edited)
    assert 0 < len(expected) < len(manifest(provider_edited).files) / 4

    run = host.deploy(provider_edited)
    assert run.code == 0, run.out + run.err
    plan = run.json["plan"]
    print(f"{host.kind}: one provider edited, {plan['upload']} of {len(manifest(provider_edited).files)} files "
          f"sent ({plan['summary']})")
    assert plan["upload"] == len(expected)
    assert plan["delete"] == 0 and plan["removed"] == len(manifest(with_old_page).paths - manifest(provider_edited).paths)
    assert _served_as_in(host, provider_edited, expected) == []
    assert read_back(host.address, [OLD_PAGE])[OLD_PAGE].status_code == 200, \
        "a page the new release dropped stays until the release after"
    assert OLD_PAGE in host.live()["leftovers"]

    back = host.deploy(example)  # the release after: the dropped page goes now
    assert back.code == 0, back.out + back.err
    assert back.json["plan"]["upload"] == len(changed(provider_edited, example))
    assert back.json["plan"]["delete"] == 1
    assert read_back(host.address, [OLD_PAGE])[OLD_PAGE].status_code == 404


def _crawled(host: Host, *sites: Path):
    pages = sorted({p for site in sites for p in manifest(site).paths if p.endswith(".html")})
    found = crawl(host.address, pages)
    assert found.missing == [], f"{len(found.missing)} links answer no page: {found.missing[:5]}"
    assert found.pages >= len(pages) - 1 and found.files > 100
    return found


def test_a_killed_deploy_leaves_every_page_whole_and_the_next_completes_it(host, example, provider_edited):
    host.make_live(example)
    before = host.live()["release"]
    edited = changed(example, provider_edited)
    pages = sorted(p for p in edited if p.endswith(".html"))
    assert len(pages) >= 2, "the edit changes more than one page"

    killed = host.deploy(provider_edited, kill_after="asset:5")
    assert killed.code == -9, killed.out + killed.err
    assert host.live()["release"] == before, "the manifest is written last"
    assert host.pending() is not None, "the half-done marker is written before any file"
    sent = [p for p in edited if not p.endswith(".html")]
    served = read_back(host.address, sent)
    assert any(hashlib.sha256(a.content).hexdigest() == manifest(provider_edited).by_path[p].sha256
               for p, a in served.items()), "some files of the new release were sent before the kill"
    assert _served_as_in(host, example, pages) == [], "no page of the new release before its files"
    _crawled(host, example)

    dry = host.run("deploy", "--output", str(provider_edited), "--dry-run", "--json")
    assert dry.code == 0, dry.out + dry.err
    assert any("partly live" in note for note in dry.json["notes"]), dry.json

    killed = host.deploy(provider_edited, kill_after="page:1")
    assert killed.code == -9, killed.out + killed.err
    new_pages = [p for p in pages if not _served_as_in(host, provider_edited, [p])]
    assert 0 < len(new_pages) < len(pages), "killed part way through the pages"
    _crawled(host, example, provider_edited)

    done = host.deploy(provider_edited)
    assert done.code == 0, done.out + done.err
    assert any("partly live" in note for note in done.json["notes"])
    assert _served_as_in(host, provider_edited, manifest(provider_edited).paths) == []
    assert host.pending() is None

    back = host.run("rollback", "--reason", "a provider's page showed the wrong description", "--json")
    assert back.code == 0, back.out + back.err
    assert back.json["release"] == before
    assert _served_as_in(host, example, manifest(example).paths) == [], "the previous release byte for byte"
    assert host.live()["rolled_back_from"] == done.json["release"]


def _plain_failure(run: Run, *words: str) -> str:
    assert run.code == 4, run.out + run.err
    message = json.loads(run.out)["message"]
    for word in words:
        assert word in message, message
    assert "Traceback" not in run.out + run.err
    return message


def test_failures_are_in_plain_words_and_no_secret_is_shown_anywhere(host, example):
    host.make_live(example)
    started = time.monotonic()
    closed = host.settings(endpoint=f"http://127.0.0.1:{_closed_port()}" + ("/" + ACCOUNT if host.kind == "azure"
                                                                              else ""))
    _plain_failure(host.deploy(example, settings=closed), "could not be reached")
    assert time.monotonic() - started < 45, "an unreachable host fails in seconds, not minutes"

    if host.kind == "azure":
        wrong = host.run("deploy", "--output", str(example), "--json",
                         env={"DPS_WEB_HOST_ACCOUNT_KEY": planted_key("wrong")})
        _plain_failure(wrong, "refused the key")
        host.secrets.append(planted_key("wrong"))
        empty = host.settings(account=EMPTY_ACCOUNT, endpoint=f"http://127.0.0.1:{host.extra['port']}/{EMPTY_ACCOUNT}")
        no_web = host.run("deploy", "--output", str(example), "--json", "--dry-run", settings=empty,
                          env={"DPS_WEB_HOST_ACCOUNT_KEY": host.extra["empty_key"]})
        _plain_failure(no_web, "the container $web does not exist")
        sas = _read_only_sas(host)  # a key that may read the container but not write to it
        host.secrets.append(sas.split("sig=")[1].split("&")[0])
        refused = host.deploy(_one_file_changed(example, host.folder), env={"DPS_WEB_HOST_SAS_TOKEN": sas},
                              desk="desk-without-secrets-file")
        _plain_failure(refused, "refused the key")
    else:
        no_bucket = host.run("deploy", "--output", str(example), "--json", "--dry-run",
                             settings=host.settings(bucket="no-such-bucket"))
        _plain_failure(no_bucket, "the bucket no-such-bucket does not exist")
    assert host.live()["digest"] == manifest(example).digest, "the public site still shows the previous version"

    texts = [run.out + run.err for run in host.runs]
    logs = [p.read_text(encoding="utf-8", errors="replace") for p in (host.folder / "cache").rglob("*.jsonl")]
    command_lines = sorted(host.extra["command_lines"].seen)
    assert len(host.runs) >= 4 and logs and any("dps_publish" in c for c in command_lines)
    for secret in host.secrets:
        for where, found in (("output", texts), ("hosts log", logs), ("command line", command_lines)):
            assert not [t for t in found if secret in t], f"a secret is in a {where}"


def _closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed


def _read_only_sas(host: Host) -> str:
    from datetime import datetime, timedelta, timezone

    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    return generate_container_sas(ACCOUNT, "$web", account_key=host.secrets[0],
                                  permission=ContainerSasPermissions(read=True),
                                  expiry=datetime.now(timezone.utc) + timedelta(hours=1))


def _one_file_changed(site: Path, folder: Path) -> Path:
    copy = folder / "one-file-changed"
    if not copy.exists():
        shutil.copytree(site, copy, copy_function=os.link)
        robots = copy / "robots.txt"
        text = robots.read_text(encoding="utf-8") if robots.exists() else ""
        robots.unlink(missing_ok=True)
        robots.write_text(text + "# changed\n", encoding="utf-8")
    return copy


def test_the_website_endpoint_serves_folders_and_misses_as_the_services_do(host, example):
    host.make_live(example)
    answers = read_back(host.address, ["index.html", "providers/index.html", "no-such-file.css"])
    assert answers["index.html"].content == (example / "index.html").read_bytes()
    assert answers["providers/index.html"].content == (example / "providers" / "index.html").read_bytes()
    assert answers["no-such-file.css"].status_code == 404
    assert url_of(host.address, "a/index.html").endswith("/a/")

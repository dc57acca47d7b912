"""A deploy to a releases folder (behind Caddy, running docs/hosting's example) killed with SIGKILL part way:
while sending the files pages use, while sending pages, and after the switch before the check. Each time the
public site is one whole release, byte for byte, and the next deploy completes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import ROOT
from hosting import caddy, copy_site, live_release, read_back, rewrite

from dps_publish.hosts.config import web_host_of
from dps_publish.hosts.deploy import Target, deploy
from dps_publish.hosts.log import DeployLog
from dps_publish.hosts.manifest import Manifest
from dps_publish.hosts.secrets import Secrets

DEADLINE = 120  # seconds a deploy may take before the test gives up waiting for its moment


@dataclass
class Story:
    after_kill: dict = field(default_factory=dict)  # moment: (release served, what reading it back found)
    served_before: dict = field(default_factory=dict)
    completed: dict = field(default_factory=dict)
    logged: dict = field(default_factory=dict)
    killed: dict = field(default_factory=dict)


def _changed(site: Path, folder: Path, mark: bytes) -> Path:
    """A copy with every page and every open data file changed."""
    copy = copy_site(site, folder)
    for path in [*copy.rglob("*.html"), *copy.glob("data/*.csv"), *copy.glob("data/*.json")]:
        rewrite(path, lambda b: b + mark)
    return copy


def _replaced(releases: Path, path: str) -> bool:
    """Whether the release being made has its own copy of ``path`` yet (it starts as links to the live one)."""
    live = os.path.realpath(releases / "current")
    for partial in (releases / "releases").glob("*.partial"):
        try:
            if not os.path.samefile(partial / path, Path(live) / path):
                return True
        except OSError:
            continue
    return False


def _switched(releases: Path, before: str) -> bool:
    return os.readlink(releases / "current") != before


def _deploy_and_kill(site: Path, conf: Path, cache: Path, moment) -> bool:
    """Run ``dps-publish deploy`` and SIGKILL it at ``moment``; whether the moment came."""
    process = subprocess.Popen([sys.executable, "-m", "dps_publish", "deploy", "--settings", str(conf), "--output",
                                str(site), "--cache", str(cache), "--users", str(conf.parent / "users.toml")],
                               cwd=conf.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + DEADLINE
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if moment():
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
                return True
            time.sleep(0.001)
        return False
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def story(example_build, tmp_path_factory) -> Story:
    output, _ = example_build
    folder = tmp_path_factory.mktemp("interrupted")
    releases, cache = folder / "site", folder / "cache"
    told = Story()
    with caddy(folder, releases) as web:
        setting = {"kind": "releases", "path": str(releases), "verify_url": web.address, "ca_file": str(web.ca_file)}
        target = Target(web_host_of(setting), "https://support.northshire.gov.uk")
        conf = folder / "conf"
        conf.mkdir()
        (conf / "pelicanconf.py").write_text((ROOT / "pelicanconf.py").read_text(encoding="utf-8"))
        (conf / "live.py").write_text(f"from pelicanconf import *  # noqa\nWEB_HOST = {setting!r}\n")
        none = Secrets({}, {})
        deploy(output, target, none, cache)
        site = output
        moments = {
            "mid-assets": lambda: _replaced(releases, "data/providers.csv"),
            "mid-pages": lambda: _replaced(releases, "about-the-name/index.html"),
            "after the switch": lambda: _switched(releases, os.readlink(releases / "current")),
        }
        for number, (name, _) in enumerate(moments.items()):
            served = live_release(web.address, web.ca_file)
            told.served_before[name] = served
            site = _changed(site, folder / f"site{number}", f"\n<!-- {number} -->".encode())
            before = os.readlink(releases / "current")
            moment = moments[name] if name != "after the switch" else (lambda: _switched(releases, before))
            told.killed[name] = _deploy_and_kill(site, conf / "live.py", cache, moment)
            now = live_release(web.address, web.ca_file)
            manifest = Manifest.from_json((releases / "releases" / now / "dps-release.json").read_bytes())
            told.after_kill[name] = (now, read_back(web.address, web.ca_file, manifest))
            told.logged[name] = DeployLog(cache).went_live(f"the releases folder {releases} on this computer")
            told.completed[name] = deploy(site, target, none, cache)
    yield told


@pytest.mark.parametrize("moment", ["mid-assets", "mid-pages"])
def test_killed_before_the_switch_the_old_release_serves_whole(story, moment):
    assert story.killed[moment]
    served, differences = story.after_kill[moment]
    assert served == story.served_before[moment] and differences == []
    completed = story.completed[moment]
    assert completed.action == "live" and completed.verification.ok


def test_killed_after_the_switch_the_new_release_serves_whole_and_is_checked_next_time(story):
    moment = "after the switch"
    assert story.killed[moment]
    served, differences = story.after_kill[moment]
    assert served != story.served_before[moment] and differences == []
    assert served not in story.logged[moment]  # switched to, but never recorded as live
    completed = story.completed[moment]
    assert completed.action == "live" and completed.release == served
    assert any("stopped after switching" in note for note in completed.notes)

"""Going live over SSH to Debian's openssh-server on 127.0.0.1 (host key, config and authorized key made here,
``sshd -D`` on a loopback port), the releases folder it writes served by Caddy with the example configuration.

One story, run once: the example goes live over SSH; one provider edited sends one file; rollback puts the
first release back byte for byte; an unknown host key and a wrong key are refused in words; and a planted
password and the private key appear in no output, log, error text or process command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import ROOT
from hosting import caddy, copy_site, ed25519_pair, live_release, read_back, rewrite, sshd

from dps_publish.hosts.config import web_host_of
from dps_publish.hosts.deploy import Target, deploy, rollback
from dps_publish.hosts.secrets import HostError, Secrets

PLANTED = "planted-Secret-7Qx2"


@dataclass
class Story:
    outcomes: dict = field(default_factory=dict)
    read: dict = field(default_factory=dict)
    live: dict = field(default_factory=dict)
    refused: dict = field(default_factory=dict)
    current: dict = field(default_factory=dict)
    seen: list = field(default_factory=list)  # texts that must not hold a secret: (where, text)
    command_lines: set = field(default_factory=set)
    private_key: str = ""


def _cli(args: list[str], env: dict, cwd: Path, lines: set) -> subprocess.CompletedProcess:
    """``dps-publish ARGS`` in a child process, every process's command line on this computer read meanwhile."""
    done = threading.Event()

    def watch():
        while not done.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        lines.add(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
                    except OSError:
                        pass
            done.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        return subprocess.run([sys.executable, "-m", "dps_publish", *args], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=300)
    finally:
        done.set()
        watcher.join()


@pytest.fixture(scope="module")
def story(example_build, tmp_path_factory) -> Story:
    output, _ = example_build
    folder = tmp_path_factory.mktemp("ssh")
    releases = folder / "site"
    told = Story()
    (folder / "sshd").mkdir()
    with sshd(folder / "sshd") as ssh, caddy(folder, releases) as web:
        told.private_key = ssh.private_key
        settings = {"kind": "ssh", "host": "127.0.0.1", "port": ssh.port, "user": ssh.user, "path": str(releases),
                    "host_key": ssh.host_key, "verify_url": web.address, "ca_file": str(web.ca_file)}
        target = Target(web_host_of(settings), "https://support.northshire.gov.uk")
        secrets = Secrets({"ssh_key": ssh.private_key, "password": PLANTED}, {})
        cache = folder / "cache"

        one = told.outcomes["first"] = deploy(output, target, secrets, cache)
        told.read["first"] = read_back(web.address, web.ca_file, one.plan.release)
        two_site = copy_site(output, folder / "two")
        page = sorted(two_site.glob("providers/*/index.html"))[0]
        rewrite(page, lambda b: b.replace(b"<h1", b'<h1 data-edit="2"', 1))
        told.outcomes["second"] = deploy(two_site, target, secrets, cache)
        told.live["second"] = live_release(web.address, web.ca_file)
        told.outcomes["rollback"] = rollback(target, secrets, cache, reason="put back over SSH")
        told.live["rollback"] = live_release(web.address, web.ca_file)
        told.read["rollback"] = read_back(web.address, web.ca_file, one.plan.release)

        # Refusals: another host key, a key the server does not know, nothing listening.
        before = os.readlink(releases / "current")
        _, stranger = ed25519_pair()
        wrong_key, _ = ed25519_pair()
        cases = {
            "unknown host key": ({**settings, "host_key": stranger}, {"ssh_key": ssh.private_key, "password": PLANTED}),
            "wrong key": (settings, {"ssh_key": wrong_key}),
            "password only": (settings, {"password": PLANTED}),
        }
        for name, (setting, given) in cases.items():
            try:
                deploy(two_site, Target(web_host_of(setting), target.address), Secrets(given, {}), cache)
            except HostError as exc:
                told.refused[name] = str(exc)
        told.current["after refusals"] = os.readlink(releases / "current") == before

        # The command, as people run it, with the secrets in its environment.
        conf = folder / "conf"
        conf.mkdir()
        (conf / "pelicanconf.py").write_text((ROOT / "pelicanconf.py").read_text(encoding="utf-8"))
        (conf / "live.py").write_text(f"from pelicanconf import *  # noqa\nWEB_HOST = {settings!r}\n")
        (conf / "stranger.py").write_text(f"from pelicanconf import *  # noqa\nWEB_HOST = "
                                          f"{ {**settings, 'host_key': stranger}!r}\n")
        env = {**os.environ, "DPS_WEB_HOST_SSH_KEY": ssh.private_key, "DPS_WEB_HOST_PASSWORD": PLANTED}
        lost_site = copy_site(two_site, folder / "lost")
        for page in lost_site.rglob("*.html"):
            if page.parent != lost_site:
                page.unlink()
        lost = ["--output", str(lost_site), "--cache", str(cache), "--users", str(conf / "users.toml")]
        common = ["--output", str(two_site), "--cache", str(cache), "--users", str(conf / "users.toml")]
        for name, args in {"deploy": ["deploy", "--settings", str(conf / "live.py"), *common],
                           "stranger": ["deploy", "--settings", str(conf / "stranger.py"), *common],
                           "rollback": ["rollback", "--reason", "again", "--settings", str(conf / "live.py"),
                                        *common],
                           "lost": ["deploy", "--dry-run", "--settings", str(conf / "live.py"), *lost],
                           "lost, confirmed": ["deploy", "--dry-run", "--confirm-deletions", "the pages are withdrawn",
                                               "--settings", str(conf / "live.py"), *lost]}.items():
            done = _cli(args, env, conf, told.command_lines)
            told.outcomes[f"cli {name}"] = done
            told.seen += [(f"cli {name} output", done.stdout), (f"cli {name} errors", done.stderr)]
        told.seen += [(f"refused: {k}", v) for k, v in told.refused.items()]
        for path in [*cache.rglob("*.jsonl"), *cache.rglob("fault-*.txt"), ssh.log, web.log]:
            told.seen.append((str(path), path.read_text(errors="replace")))
        yield told


def test_the_example_goes_live_over_ssh(story):
    first = story.outcomes["first"]
    assert first.action == "live" and len(first.plan.upload) > 1000
    assert story.read["first"] == []


def test_one_provider_edited_sends_one_file_over_ssh(story):
    second = story.outcomes["second"]
    assert len(second.plan.upload) == 1 and second.plan.upload[0].path.startswith("providers/")
    assert story.live["second"] == second.release


def test_rollback_over_ssh_is_byte_for_byte(story):
    assert story.live["rollback"] == story.outcomes["first"].release
    assert story.read["rollback"] == []


def test_an_unknown_host_key_or_a_wrong_key_is_refused_in_words(story):
    assert story.refused["unknown host key"].startswith(
        "The web host answered with a host key that is not the one in the settings")
    assert "The web server 127.0.0.1 (SSH, port " in story.refused["unknown host key"]
    assert "answered with a different host key from the one in the settings" in story.refused["unknown host key"]
    assert "nothing was sent" in story.refused["unknown host key"]
    assert "refused the key for user root" in story.refused["wrong key"]
    assert "refused the password for user root" in story.refused["password only"]
    assert story.current["after refusals"]
    stranger = story.outcomes["cli stranger"]
    assert stranger.returncode == 4 and "different host key from the one in the settings" in stranger.stderr
    assert "Traceback" not in stranger.stderr


def test_the_command_goes_live_and_puts_back(story):
    deployed, back = story.outcomes["cli deploy"], story.outcomes["cli rollback"]
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stdout.startswith("Live at https://dps.example.org: release ")
    assert back.returncode == 0, back.stderr
    assert "Put back release" in back.stdout and "The data folder still holds the newer round" in back.stdout


def test_the_command_refuses_a_build_that_lost_its_pages_unless_told_why(story):
    lost, confirmed = story.outcomes["cli lost"], story.outcomes["cli lost, confirmed"]
    assert lost.returncode == 4
    assert lost.stderr.startswith("This release would remove 3")
    assert "Nothing was sent; the public site is unchanged." in lost.stderr
    assert confirmed.returncode == 0, confirmed.stderr
    assert "no longer in the site, deleted with the release after this one" in confirmed.stdout


def test_a_planted_secret_appears_nowhere(story):
    key_lines = [line for line in story.private_key.splitlines() if len(line) > 20 and "PRIVATE KEY" not in line]
    assert key_lines
    # What is searched can show a leak: the logs hold the commands run and the command lines were read.
    assert any("dps_publish deploy" in line for line in story.command_lines)
    assert any("cp -al" in text or "session" in text for where, text in story.seen if where.endswith("sshd.log"))
    for where, text in [*story.seen, *(("a command line", line) for line in story.command_lines)]:
        assert PLANTED not in text, where
        for line in key_lines:
            assert line not in text, where

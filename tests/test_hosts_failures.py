"""A web host's failures in plain words (hosts/failures.py), each met for real: Debian's sshd on a loopback port
refusing a key, a password and a host key, nothing listening on a port, a releases folder on a full or a read-only
file system (a small tmpfs mounted here), a public address where nothing answers, and Caddy serving a file that is
not the one sent. Each message starts with what happened in words, says what to do, and holds no secret and no
traceback. A tiny site (three files) keeps each case to a second or so.
"""

from __future__ import annotations

import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from hosting import caddy, ed25519_pair, free_port, sshd

from dps_publish.hosts.config import web_host_of
from dps_publish.hosts.deploy import DeployFailed, Target, deploy
from dps_publish.hosts.failures import check_failure
from dps_publish.hosts.secrets import HostError, Secrets
from dps_publish.hosts.verify import verify_release

PLANTED = "planted-Failure-9Kd"
ADDRESS = "https://support.northshire.gov.uk"


def _site(folder: Path, big: int = 0) -> Path:
    site = folder / "site"
    (site / "data").mkdir(parents=True)
    (site / "index.html").write_text('<!doctype html><html lang="en"><title>Home</title><p>Home</p></html>')
    (site / "data" / "providers.csv").write_text("id,name\n1,A\n" + "2,B\n" * (big // 4))
    return site


def _said(site: Path, setting: dict, secrets: dict, cache: Path) -> str:
    with pytest.raises(HostError) as failed:
        deploy(site, Target(web_host_of(setting), ADDRESS), Secrets(secrets, {}), cache)
    message = str(failed.value)
    assert "Traceback" not in message and PLANTED not in message
    return message


@pytest.fixture(scope="module")
def ssh(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sshd")
    with sshd(folder) as server:
        yield server


def _ssh_setting(server, path: Path, **changed) -> dict:
    return {"kind": "ssh", "host": "127.0.0.1", "port": server.port, "user": server.user, "path": str(path),
            "host_key": server.host_key, "verify_url": "https://127.0.0.1:1", **changed}


def test_a_wrong_key_or_password_is_the_web_host_refusing_it(ssh, tmp_path):
    site = _site(tmp_path)
    wrong_key, _ = ed25519_pair()
    said = _said(site, _ssh_setting(ssh, tmp_path / "host"), {"ssh_key": wrong_key}, tmp_path / "cache")
    assert said.startswith("The web host refused the key: "), said
    assert "DPS_WEB_HOST_SSH_KEY" in said and "try again" in said
    said = _said(site, _ssh_setting(ssh, tmp_path / "host"), {"password": PLANTED}, tmp_path / "cache")
    assert said.startswith("The web host refused the password: "), said
    assert "DPS_WEB_HOST_PASSWORD" in said
    assert not (tmp_path / "host").exists()


def test_another_host_key_is_refused_in_words(ssh, tmp_path):
    _, stranger = ed25519_pair()
    said = _said(_site(tmp_path), _ssh_setting(ssh, tmp_path / "host", host_key=stranger),
                 {"ssh_key": ssh.private_key}, tmp_path / "cache")
    assert said.startswith("The web host answered with a host key that is not the one in the settings"), said
    assert "pretending to be the web server" in said and "host_key" in said


def test_nothing_listening_is_a_web_host_that_could_not_be_reached(tmp_path):
    port = free_port()
    setting = {"kind": "ssh", "host": "127.0.0.1", "port": port, "user": "root", "path": str(tmp_path / "host"),
               "host_key": ed25519_pair()[1].strip()}
    said = _said(_site(tmp_path), setting, {"password": PLANTED}, tmp_path / "cache")
    assert said.startswith(f"The web host could not be reached at 127.0.0.1, port {port}: "), said
    assert "Check that the web server is running" in said and "previous version" in said


@contextmanager
def _tmpfs(folder: Path, *options: str):
    folder.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=256k", *options)), "tmpfs", str(folder)],
                       check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"a small file system cannot be mounted here ({exc}): the test runs as root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True, timeout=10)


def test_a_full_releases_folder_says_there_is_no_room(tmp_path):
    site = _site(tmp_path, big=600_000)
    with _tmpfs(tmp_path / "host") as host:
        with pytest.raises(DeployFailed) as failed:
            deploy(site, Target(web_host_of({"kind": "releases", "path": str(host)}), ADDRESS), Secrets({}, {}),
                   tmp_path / "cache")
        assert not (host / "current").exists()
    said = str(failed.value)
    assert said.startswith(f"The web host has no room left in the releases folder {host}: "), said
    assert "free space" in said and "The public site still shows the previous version." in said


def test_a_releases_folder_that_cannot_be_written_says_so(tmp_path):
    with _tmpfs(tmp_path / "host", "ro") as host:
        said = _said(_site(tmp_path), {"kind": "releases", "path": str(host)}, {}, tmp_path / "cache")
    assert said.startswith(f"The web host did not let dps-publish write to the releases folder {host}: "), said
    assert "Nothing was sent; the public site is unchanged." in said


def test_a_public_address_that_does_not_answer_is_named(tmp_path):
    port = free_port()
    setting = {"kind": "releases", "path": str(tmp_path / "host"), "verify_url": f"https://127.0.0.1:{port}"}
    with pytest.raises(DeployFailed) as failed:
        deploy(_site(tmp_path), Target(web_host_of(setting), ADDRESS), Secrets({}, {}), tmp_path / "cache")
    said = str(failed.value)
    assert said.startswith(f"The web host could not be reached at https://127.0.0.1:{port}. "), said
    assert "there is no earlier one to put back" in said and "Check that the web server is running" in said


def test_a_file_served_other_than_sent_is_named(tmp_path):
    site = _site(tmp_path)
    releases = tmp_path / "host"
    (tmp_path / "caddy").mkdir()
    with caddy(tmp_path / "caddy", releases) as web:
        setting = {"kind": "releases", "path": str(releases), "verify_url": web.address, "ca_file": str(web.ca_file)}
        outcome = deploy(site, Target(web_host_of(setting), ADDRESS), Secrets({}, {}), tmp_path / "cache")
        served = releases / "current" / "data" / "providers.csv"
        served.write_text("id,name\n1,Someone else\n")  # what a stale cache or a hand edit serves
        check = verify_release(web.address, outcome.plan.release, ["data/providers.csv"], site,
                               ca_file=str(web.ca_file))
    failure = check_failure(check.problems, web.address)
    assert failure.kind == "mismatch"
    assert failure.lead == "the public address served a different file for data/providers.csv", check.problems
    assert "cache" in failure.todo


def test_the_check_words_every_kind_of_problem_it_reports():
    site = "https://127.0.0.1:8443"
    cases = {
        f"{site}/dps-release.json: could not be fetched (its HTTPS certificate is not trusted by this computer)":
            "the HTTPS certificate of https://127.0.0.1:8443 is not trusted by this computer",
        f"{site}/dps-release.json: answered 404, not the release manifest":
            "the public address https://127.0.0.1:8443 served another release than the one just sent",
        f"{site}/providers/a/: answered 404, expected 200": "the public address did not serve providers/a/ (it "
                                                             "answered 404)",
        f"{site}/data/x.csv: Content-Type is 'text/plain', expected 'text/csv; charset=utf-8'":
            "the public address served data/x.csv with other headers than the release's",
    }
    for problem, lead in cases.items():
        assert check_failure([problem], site).lead == lead


def test_azure_refusing_the_key_is_the_web_host_refusing_it(tmp_path):
    from object_store_support import azurite, planted_key

    with azurite(tmp_path / "azurite", {"dpsfailures": planted_key("right")}) as store:
        setting = {"kind": "azure", "account": "dpsfailures", "endpoint": f"http://127.0.0.1:{store.port}/dpsfailures",
                   "verify_url": "http://127.0.0.1:1"}
        wrong = planted_key(PLANTED)
        said = _said(_site(tmp_path), setting, {"account_key": wrong}, tmp_path / "cache")
    assert said.startswith("The web host refused the key: "), said
    assert re.search(r"\(Azure said (Authentication|Authorization)\w+\)", said), said
    assert "DPS_WEB_HOST_SSH_KEY" not in said and "IT can give a new key" in said
    assert wrong not in said

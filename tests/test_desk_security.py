"""Who is at the desk, and what HTTP may do there: each finding of the review, tried against a real desk
(``dps-publish desk`` under uvicorn on 127.0.0.1), through HTTP and raw sockets."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time

import httpx
import pytest
from desk_support import Person, desk_command, free_port, make_publisher, running_desk

from dps_publish.desk import audit
from dps_publish.desk.auth import Users
from dps_publish.settings import SettingsError, load_settings

SAM, JO, ALEX = "a password for Sam Patel", "a password for Jo Bloggs", "a password for Alex Morgan"
PUBLIC = 'DESK_PUBLIC_ADDRESS = "https://desk.northshire.gov.uk"'
HEADERS = ("content-security-policy", "x-content-type-options", "cache-control", "x-frame-options")


def drafts_of(publisher) -> list[str]:
    return sorted(p.name for p in publisher.drafts.iterdir() if p.name[0].isdigit()) if publisher.drafts.is_dir() else []


def new_draft(person: Person) -> str:
    return str(person.post("/drafts").url).rstrip("/").rsplit("/", 1)[1]


def add_users(path, **people) -> None:
    users = Users.load(path)
    for name, password in people.items():
        users.add(name, password)


def signed_in(response: httpx.Response) -> bool:
    return "Signed in as" in response.text


def assert_security_headers(response: httpx.Response) -> None:
    missing = [h for h in HEADERS if h not in response.headers]
    assert not missing, f"{response.status_code} without {missing}"
    assert response.headers["x-content-type-options"] == "nosniff" and response.headers["cache-control"] == "no-store"


# --- a desk on this computer, no users: names only ---------------------------------------------------------------

@pytest.fixture(scope="module")
def publisher(tmp_path_factory):
    return make_publisher(tmp_path_factory.mktemp("desk-security") / "council")


@pytest.fixture(scope="module")
def desk(publisher):
    with running_desk(publisher) as address:
        yield address


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "127.0.0.1", "localhost:{port}", "LOCALHOST", "[::1]:{port}",
                                  "[::1]"])
def test_the_desk_answers_at_its_own_names(desk, host):
    response = httpx.get(desk + "/sign-in", headers={"host": host.format(port=port_of(desk))})
    assert response.status_code == 200 and "Sign in to the publishing desk" in response.text


@pytest.mark.parametrize("host", ["rebound.example", "rebound.example:{port}", "127.0.0.1.rebound.example",
                                  "localhost.rebound.example:{port}", "10.0.0.5"])
def test_a_request_to_another_name_is_refused_so_dns_rebinding_reaches_nothing(desk, host):
    response = httpx.get(desk + "/history", headers={"host": host.format(port=port_of(desk))})
    assert response.status_code == 400
    assert "does not answer to" in response.text and "Traceback" not in response.text
    assert "Signed in as" not in response.text and "set-cookie" not in response.headers
    assert_security_headers(response)


def test_a_request_without_a_host_is_refused(desk):
    with socket.create_connection(("127.0.0.1", port_of(desk)), timeout=10) as s:
        s.sendall(b"GET /sign-in HTTP/1.0\r\n\r\n")
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]


@pytest.mark.parametrize("headers", [
    {"origin": "http://rebound.example"},
    {"origin": "null"},
    {"origin": "http://localhost:3000"},  # another program on this computer: same site, another origin
    {"origin": "http://127.0.0.1:{port}.rebound.example"},
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site"},
    {"referer": "http://rebound.example/form.html"},
])
def test_a_post_from_another_site_is_refused_even_with_the_token(desk, publisher, headers):
    jo = Person(desk, "Jo Bloggs")
    before = drafts_of(publisher)
    token = jo.csrf()
    sent = {k: v.format(port=port_of(desk)) for k, v in headers.items()}
    response = jo.client.post("/drafts", data={"csrf_token": token}, headers=sent, follow_redirects=False)
    assert response.status_code == 403, response.text[:500]
    assert "came from another web site" in response.text
    assert_security_headers(response)
    assert drafts_of(publisher) == before


def test_a_post_from_the_desks_own_page_is_taken(desk, publisher):
    jo = Person(desk, "Jo Bloggs")
    before = drafts_of(publisher)
    port = port_of(desk)
    for headers in ({"origin": f"http://127.0.0.1:{port}", "sec-fetch-site": "same-origin"},
                    {"host": f"localhost:{port}", "origin": f"http://localhost:{port}"},
                    {"referer": f"http://127.0.0.1:{port}/"}):
        response = jo.client.post("/drafts", data={"csrf_token": jo.csrf()}, headers=headers, follow_redirects=False)
        assert response.status_code == 303, response.text[:500]
    assert len(drafts_of(publisher)) == len(before) + 3


def test_a_preview_is_built_at_the_desks_own_address_whatever_host_the_request_named(desk, publisher):
    jo = Person(desk, "Jo Bloggs")
    draft = new_draft(jo)
    jo.post(f"/drafts/{draft}/check")
    port = port_of(desk)
    started = jo.client.post(f"/drafts/{draft}/preview", data={"csrf_token": jo.csrf()},
                             headers={"host": f"localhost:{port}", "origin": f"http://localhost:{port}"})
    assert started.status_code == 200, started.text[:500]
    jobs = publisher.drafts / ".jobs"
    [job] = [json.loads(p.read_text()) for p in jobs.glob("preview-*.json")
             if ".status" not in p.name and json.loads(p.read_text()).get("draft") == draft]
    worker = json.loads((jobs / f"{job['id']}.status.json").read_text())["pid"]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker, signal.SIGTERM)  # the address it was given is what matters, not the build
    assert job["options"]["preview_url"] == f"http://127.0.0.1:{port}/preview/{draft}"


def test_a_cookie_copied_before_sign_out_no_longer_works(desk):
    jo = Person(desk, "Jo Bloggs")
    assert signed_in(jo.get("/"))
    copied = dict(jo.client.cookies)
    jo.post("/sign-out")
    thief = httpx.Client(base_url=desk, cookies=copied)
    response = thief.get("/history", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_a_session_is_not_renewed_by_use_and_ends_twelve_hours_after_signing_in(desk, publisher):
    jo = Person(desk, "Jo Bloggs")
    first = jo.client.get("/")
    assert signed_in(first) and "set-cookie" not in first.headers  # nothing renewed by use
    store = publisher.drafts / ".desk" / "sessions.json"
    assert store.stat().st_mode & 0o777 == 0o600
    sessions = json.loads(store.read_text())
    assert sessions and all(s["expires"] - s["signed_in"] == 12 * 3600 for s in sessions.values())
    for record in sessions.values():  # as if each had signed in twelve hours ago
        record["signed_in"] -= 12 * 3600 + 1
        record["expires"] -= 12 * 3600 + 1
    store.write_text(json.dumps(sessions))
    response = jo.client.get("/history", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_a_fault_inside_the_desk_is_a_plain_page_with_the_security_headers(desk, publisher):
    jo = Person(desk, "Jo Bloggs")
    draft = new_draft(jo)
    (publisher.drafts / draft / "draft.json").write_text("[]")  # damaged: not what a draft holds
    try:
        response = jo.client.get("/")
    finally:
        (publisher.drafts / draft / "draft.json").unlink()
        (publisher.drafts / draft).rename(publisher.drafts / f".damaged-{draft}")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert_security_headers(response)
    assert "Traceback" not in response.text and "UndefinedError" not in response.text
    assert "went wrong inside the desk" in response.text


# --- a desk on this computer with users: passwords ------------------------------------------------------------

@pytest.fixture(scope="module")
def password_desk(tmp_path_factory):
    publisher = make_publisher(tmp_path_factory.mktemp("desk-passwords") / "council")
    add_users(publisher.users, **{"Sam Patel": SAM, "Jo Bloggs": JO, "Alex Morgan": ALEX})
    with running_desk(publisher) as address:
        yield address, publisher


def test_a_desk_on_this_computer_with_users_asks_for_passwords(password_desk):
    desk, _ = password_desk
    page = httpx.get(desk + "/sign-in")
    assert 'type="password"' in page.text
    nameonly = Person(desk, "Jo Bloggs")
    assert nameonly.last.status_code == 400 and not signed_in(nameonly.last)
    assert nameonly.client.get("/history", follow_redirects=False).status_code == 303
    assert signed_in(Person(desk, "Jo Bloggs", JO).last)


def test_the_start_up_message_says_whether_the_desk_asks_for_passwords(password_desk, desk):
    _, publisher = password_desk
    words = " ".join(publisher.root.glob("desk-*.log").__next__().read_text().split())
    assert "asks for a password" in words and "3 people" in words
    assert "asks only for a name" in " ".join(desk.log.read_text().split())


def test_a_name_is_known_however_it_is_written(password_desk):
    desk, _ = password_desk
    sam = Person(desk, "  sam   PATEL ", SAM)
    assert signed_in(sam.last) and "<strong>Sam Patel</strong>" in sam.last.text


def test_a_person_taken_out_of_the_users_file_is_signed_out(password_desk):
    desk, publisher = password_desk
    alex = Person(desk, "Alex Morgan", ALEX)
    assert signed_in(alex.get("/"))
    users = Users.load(publisher.users)
    del users.hashes["Alex Morgan"]
    users.save()
    response = alex.client.get("/history", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_two_desks_sharing_a_users_folder_do_not_share_sessions(tmp_path):
    first, second = make_publisher(tmp_path / "first"), make_publisher(tmp_path / "second")
    with running_desk(first) as one, running_desk(second, users=first.users) as two:
        jo = Person(one, "Jo Bloggs")
        assert signed_in(jo.get("/"))
        elsewhere = httpx.Client(base_url=two, cookies=dict(jo.client.cookies))
        response = elsewhere.get("/history", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    for folder in (first.drafts / ".desk", second.drafts / ".desk"):
        assert folder.stat().st_mode & 0o777 == 0o700
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.iterdir())


def test_the_secure_flag_can_be_forced(tmp_path):
    publisher = make_publisher(tmp_path / "council", "DESK_SECURE_COOKIES = True")
    with running_desk(publisher) as desk:
        cookie = httpx.get(desk + "/sign-in").headers["set-cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


# --- behind the council's proxies ---------------------------------------------------------------------------------

def test_behind_a_sign_in_proxy_a_request_without_its_header_is_refused(tmp_path):
    publisher = make_publisher(tmp_path / "council",
                               'DESK_TRUSTED_PROXIES = ["127.0.0.1"]\nDESK_USER_HEADER = "X-Remote-User"\n' + PUBLIC)
    with running_desk(publisher) as desk:
        for answer in (httpx.get(desk + "/sign-in"), httpx.get(desk + "/history"),
                       httpx.post(desk + "/sign-in", data={"name": "Jo Bloggs"})):
            assert answer.status_code == 403 and not signed_in(answer)
            assert "without the X-Remote-User header" in answer.text
        proxied = Person(desk, "ignored", headers={"X-Remote-User": "Jo Bloggs"})
        assert signed_in(proxied.get("/history")) and "<strong>Jo Bloggs</strong>" in proxied.last.text


@pytest.fixture(scope="module")
def proxied_desk(tmp_path_factory):
    """Behind a same-machine HTTPS proxy that says only where a request came from: people sign in with passwords."""
    publisher = make_publisher(tmp_path_factory.mktemp("desk-proxied") / "council",
                               'DESK_TRUSTED_PROXIES = ["127.0.0.1"]\n' + PUBLIC)
    add_users(publisher.users, **{"Sam Patel": SAM, "Jo Bloggs": JO})
    with running_desk(publisher) as address:
        yield address, publisher


def from_address(desk: str, client: str, name: str, password: str) -> Person:
    return Person(desk, name, password, headers={"X-Forwarded-For": client})


def test_a_trusted_proxy_means_passwords_even_on_this_computer(proxied_desk):
    desk, _ = proxied_desk
    assert not signed_in(from_address(desk, "203.0.113.1", "Jo Bloggs", "").last)
    assert signed_in(from_address(desk, "203.0.113.1", "Jo Bloggs", JO).last)


def test_guessing_is_slowed_for_one_name_from_one_address_and_no_one_else(proxied_desk):
    desk, publisher = proxied_desk
    for spelling in ("Sam Patel", "sam patel", "SAM  PATEL", "Sam Patel", "sam patel"):
        guess = from_address(desk, "203.0.113.7", spelling, "not the password at all")
        assert guess.last.status_code == 400 and "not right" in guess.last.text
    refused = from_address(desk, "203.0.113.7", "Sam Patel", SAM)  # even the right password, for now
    assert refused.last.status_code == 429 and not signed_in(refused.last)
    assert "Wait" in refused.last.text and "seconds" in refused.last.text
    assert int(refused.last.headers["retry-after"]) > 0
    spoofed = from_address(desk, "198.51.100.1, 203.0.113.7", "Sam Patel", SAM)  # the proxy's own entry counts
    assert spoofed.last.status_code == 429
    assert signed_in(from_address(desk, "203.0.113.7", "Jo Bloggs", JO).last)  # another name, same office
    assert signed_in(from_address(desk, "203.0.113.8", "Sam Patel", SAM).last)  # the same name, elsewhere
    failures = [line for line in audit.read(publisher.frozen / "audit.jsonl") if line["action"] == "sign-in-failed"]
    assert sum(f["address"] == "203.0.113.7" for f in failures) == 5
    assert "not the password" not in (publisher.frozen / "audit.jsonl").read_text()


def test_no_more_than_two_passwords_are_checked_at_once(proxied_desk):
    desk, _ = proxied_desk
    status = f"/proc/{desk.process.pid}/status"

    def peak() -> int:
        with open(status) as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) // 1024

    before = peak()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        people = list(pool.map(lambda n: from_address(desk, f"192.0.2.{n}", f"Nobody {n}", "a wrong password"),
                               range(8)))
    assert all(p.last.status_code == 400 for p in people)
    grown = peak() - before
    assert grown < 4 * 64, f"the desk grew by {grown} MiB checking 8 passwords (64 MiB each)"


# --- slow bodies -------------------------------------------------------------------------------------------------

def test_bodies_that_trickle_in_are_timed_out_so_others_still_get_in(tmp_path):
    publisher = make_publisher(tmp_path / "council", "DESK_BODY_TIMEOUT = 3")
    with running_desk(publisher) as desk:
        port = port_of(desk)
        head = (f"POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded"
                "\r\nContent-Length: 1000\r\n\r\nname=").encode()
        sockets = []
        for _ in range(63):  # the review's count: with these open, uvicorn's limit of 64 turns everyone else away
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(head)
            sockets.append(s)
            time.sleep(0.01)
        stop = threading.Event()

        def trickle():
            while not stop.wait(0.3):
                for s in sockets:
                    try:
                        s.send(b"x")
                    except OSError:
                        pass

        threading.Thread(target=trickle, daemon=True).start()
        started, seen, answered = time.monotonic(), [], None
        try:
            while time.monotonic() - started < 10:
                try:
                    seen.append(httpx.get(desk + "/sign-in", timeout=1).status_code)
                except httpx.TransportError as exc:
                    seen.append(type(exc).__name__)
                if seen[-1] == 200:
                    answered = time.monotonic() - started
                    break
                time.sleep(0.25)
            answers = []
            for s in sockets:
                try:
                    s.settimeout(3)
                    answers.append(s.recv(200)[:12])
                except OSError as exc:
                    answers.append(repr(exc).encode())
        finally:
            stop.set()
            for s in sockets:
                s.close()
    assert seen[0] == 503, f"the slow senders did not take every connection, so this proves nothing: {seen}"
    assert answered is not None and answered < 8, f"a normal page was not answered in 10 s: {seen}"
    assert set(answers) == {b"HTTP/1.1 408"}, answers  # each slow sender was given up on, in words


# --- the settings and the start ----------------------------------------------------------------------------------

@pytest.mark.parametrize("written, says", [
    ('"desk.northshire.gov.uk"', "start it with https://"),
    ('"https://desk.northshire.gov.uk/desk"', "nothing after the name"),
    ('["https://desk.northshire.gov.uk"]', "in quotes"),
])
def test_a_wrong_public_address_for_the_desk_is_named_with_its_fix(tmp_path, written, says):
    publisher = make_publisher(tmp_path / "council", f"DESK_PUBLIC_ADDRESS = {written}")
    with pytest.raises(SettingsError) as caught:
        load_settings(publisher.settings)
    [problem] = caught.value.problems
    assert problem.setting == "DESK_PUBLIC_ADDRESS" and says in problem.message


def test_the_desk_will_not_listen_on_every_address_without_knowing_its_public_name(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    add_users(publisher.users, **{"Sam Patel": SAM})
    run = subprocess.run(desk_command(publisher, free_port(), host="0.0.0.0"), capture_output=True, text=True,
                         timeout=60, cwd=publisher.root)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "DESK_PUBLIC_ADDRESS" in run.stderr and "Traceback" not in run.stderr


def test_behind_a_proxy_the_desk_will_not_start_without_the_address_people_open_it_at(tmp_path):
    publisher = make_publisher(tmp_path / "council", 'DESK_TRUSTED_PROXIES = ["127.0.0.1"]')
    add_users(publisher.users, **{"Sam Patel": SAM})
    run = subprocess.run(desk_command(publisher, free_port()), capture_output=True, text=True, timeout=60,
                         cwd=publisher.root)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Set DESK_PUBLIC_ADDRESS too" in run.stderr and "Traceback" not in run.stderr


def test_a_form_sent_through_the_proxy_from_the_public_address_is_taken(proxied_desk):
    desk, _ = proxied_desk
    jo = from_address(desk, "203.0.113.2", "Jo Bloggs", JO)
    for headers in ({"origin": "https://desk.northshire.gov.uk"},  # the proxy kept the desk's own Host
                    {"origin": "https://desk.northshire.gov.uk", "host": "desk.northshire.gov.uk"}):
        response = jo.client.post("/drafts", data={"csrf_token": jo.csrf()}, headers=headers, follow_redirects=False)
        assert response.status_code == 303, response.text[:300]

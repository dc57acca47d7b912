"""Real web hosts for the going-live tests, started on 127.0.0.1 and stopped by the test that started them.

Caddy and nginx run the example configurations shipped in ``docs/hosting/`` (with this test's folder, port and
certificate put in their place); sshd is Debian's openssh-server with a host key, a config and an authorized
key made here. Each waits (bounded) for its port, and is stopped by its own process id.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT, in_ci

EXAMPLES = ROOT / "docs" / "hosting"
STARTUP = 60  # seconds a server may take to answer (the desk imports pandas first; the machine may be busy)


def need(program: str) -> str:
    found = shutil.which(program) or (shutil.which(program, path="/usr/sbin:/sbin"))
    if found:
        return found
    message = f"{program} is not installed: make test installs it (scripts/install-test-tools.sh)."
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped at start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {STARTUP} s:\n{log.read_text(errors='replace')[-3000:]}")


@contextmanager
def running(command: list[str], port: int, log: Path, env: dict | None = None, cwd: Path | None = None):
    """``command`` running until the block ends, once something answers on ``port`` (bounded); its output in ``log``."""
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                   start_new_session=True)
    try:
        wait_for_port(port, process, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class WebServer:
    name: str
    address: str  # https://127.0.0.1:PORT
    ca_file: Path  # the authority its certificate is trusted through
    releases: Path  # the releases folder it serves current/ of
    log: Path


# --- certificates -------------------------------------------------------------------------------------------------


def make_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A test authority and a certificate for 127.0.0.1 signed by it: (authority, certificate, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dps-publish test authority")])
    authority = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
                 .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                 .not_valid_after(now + dt.timedelta(days=1))
                 .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                 .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
                 .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(authority.public_bytes(pem))
    (folder / "cert.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "key.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "ca.pem", folder / "cert.pem", folder / "key.pem"


# --- the two web servers, from the shipped examples -----------------------------------------------------------------


def caddy_config(releases: Path, port: int, data: Path) -> str:
    example = (EXAMPLES / "Caddyfile").read_text(encoding="utf-8")
    assert "support.northshire.gov.uk {" in example and "/srv/dps" in example
    config = example.replace("support.northshire.gov.uk {", f"https://127.0.0.1:{port} {{\n\ttls internal", 1)
    config = config.replace("/srv/dps", str(releases))
    test_only = (f"{{\n\tadmin off\n\tskip_install_trust\n\thttp_port {free_port()}\n"
                 f"\tauto_https disable_redirects\n\tstorage file_system {data}\n}}\n")
    return test_only + config


@contextmanager
def caddy(folder: Path, releases: Path, port: int | None = None):
    """Caddy serving ``releases`` (again on ``port``, with the same authority, when started again on ``folder``)."""
    program = need("caddy")
    port = port or free_port()
    config = folder / "Caddyfile"
    config.write_text(caddy_config(releases, port, folder / "data"), encoding="utf-8")
    log = folder / "caddy.log"
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
           "XDG_CONFIG_HOME": str(folder / "config")}
    with running([program, "run", "--config", str(config), "--adapter", "caddyfile"], port, log, env):
        authority = folder / "data" / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + STARTUP
        while not authority.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        _wait_for_tls(port, authority)
        yield WebServer("caddy", f"https://127.0.0.1:{port}", authority, releases, log)


def nginx_config(releases: Path, port: int, certificate: Path, key: Path, folder: Path) -> str:
    example = (EXAMPLES / "nginx.conf").read_text(encoding="utf-8")
    for marked in ("listen 443 ssl http2;", "listen [::]:443 ssl http2;", "server_name support.northshire.gov.uk;",
                   "/etc/ssl/dps/fullchain.pem", "/etc/ssl/dps/privkey.pem", "root /srv/dps/current;"):
        assert marked in example, marked
    site = (example.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
            .replace("    listen [::]:443 ssl http2;\n", "")
            .replace("server_name support.northshire.gov.uk;", "server_name 127.0.0.1;")
            .replace("/etc/ssl/dps/fullchain.pem", str(certificate)).replace("/etc/ssl/dps/privkey.pem", str(key))
            .replace("root /srv/dps/current;", f"root {releases}/current;"))
    (folder / "site.conf").write_text(site, encoding="utf-8")
    temp = folder / "temp"
    return (f"daemon off;\nuser root;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
            "events { worker_connections 256; }\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
            f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
            f"  include {folder}/site.conf;\n}}\n")


@contextmanager
def nginx(folder: Path, releases: Path):
    program = need("nginx")
    port = free_port()
    authority, certificate, key = make_certificate(folder)
    (folder / "temp").mkdir(exist_ok=True)
    config = folder / "nginx.conf"
    config.write_text(nginx_config(releases, port, certificate, key, folder), encoding="utf-8")
    log = folder / "nginx.log"
    with running([program, "-c", str(config), "-p", str(folder), "-e", str(folder / "error.log")], port, log):
        yield WebServer("nginx", f"https://127.0.0.1:{port}", authority, releases, folder / "error.log")


def _wait_for_tls(port: int, authority: Path) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP
    while True:
        try:
            httpx.get(f"https://127.0.0.1:{port}/", verify=trust(authority), timeout=2)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- sshd --------------------------------------------------------------------------------------------------------


@dataclass
class SshServer:
    port: int
    host_key: str  # "ssh-ed25519 AAAA..."
    user: str
    private_key: str  # the authorized key's private half, OpenSSH text
    log: Path


def ed25519_pair() -> tuple[str, str]:
    """(private key as OpenSSH text, public key line)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return private, public


@contextmanager
def sshd(folder: Path):
    program = need("sshd")
    if os.geteuid() != 0:
        pytest.skip("sshd is started as root here (it signs the test's user in as root)")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    port = free_port()
    host_private, host_public = ed25519_pair()
    user_private, user_public = ed25519_pair()
    (folder / "host_ed25519").write_text(host_private)
    (folder / "host_ed25519").chmod(0o600)
    (folder / "authorized_keys").write_text(user_public + "\n")
    sftp = "/usr/lib/openssh/sftp-server"
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder}/host_ed25519\nPidFile {folder}/sshd.pid\n"
        f"AuthorizedKeysFile {folder}/authorized_keys\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nLogLevel DEBUG1\n"
        f"Subsystem sftp {sftp}\n")
    log = folder / "sshd.log"
    with running([program, "-D", "-e", "-f", str(folder / "sshd_config"), "-E", str(log)], port, log):
        yield SshServer(port, host_public, "root", user_private, log)


# --- reading a site back --------------------------------------------------------------------------------------------


def trust(ca_file: Path):
    import ssl

    return ssl.create_default_context(cafile=str(ca_file))


def url_of(address: str, path: str) -> str:
    from dps_publish.hosts.verify import url_of as url

    return url(address, path)


def read_back(address: str, ca_file: Path, manifest) -> list[str]:
    """Every file of a release fetched from the server and compared with its manifest entry: bytes, Content-Type,
    Cache-Control, and no Content-Encoding on Pagefind's files. The differences found, in words."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    with httpx.Client(verify=trust(ca_file), timeout=30, headers={"Accept-Encoding": "gzip"}) as http:
        def check(entry) -> str | None:
            response = http.get(url_of(address, entry.path))
            found = []
            if response.status_code != 200:
                found.append(f"status {response.status_code}")
            elif hashlib.sha256(response.content).hexdigest() != entry.sha256:
                found.append("other bytes")
            if response.headers.get("content-type") != entry.content_type:
                found.append(f"Content-Type {response.headers.get('content-type')!r}")
            if response.headers.get("cache-control") != entry.cache_control:
                found.append(f"Cache-Control {response.headers.get('cache-control')!r}")
            if entry.path.startswith("pagefind/") and "content-encoding" in response.headers:
                found.append(f"Content-Encoding {response.headers['content-encoding']!r}")
            return f"{entry.path}: {', '.join(found)}" if found else None

        with ThreadPoolExecutor(8) as pool:
            return [p for p in pool.map(check, manifest.files) if p]


def status_of(address: str, ca_file: Path, path: str) -> int:
    import httpx

    return httpx.get(url_of(address, path), verify=trust(ca_file), timeout=30).status_code


def live_release(address: str, ca_file: Path) -> str:
    import httpx

    return httpx.get(url_of(address, "dps-release.json"), verify=trust(ca_file), timeout=30).json()["release"]


def copy_site(site: Path, target: Path) -> Path:
    """A copy of a built site made of hard links: change it only through ``rewrite``."""
    shutil.copytree(site, target, copy_function=os.link)
    return target


def rewrite(path: Path, change) -> None:
    """Give a file of a linked copy new bytes without touching the file it is linked to."""
    data = change(path.read_bytes())
    path.unlink()
    path.write_bytes(data)

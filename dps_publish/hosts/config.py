"""The ``WEB_HOST`` setting: where the site goes live, checked with words for every mistake.

One dict in the settings file, by kind::

    WEB_HOST = {"kind": "releases", "path": "/srv/dps"}            # a releases folder on this computer
    WEB_HOST = {"kind": "ssh", "host": "web1.northshire.gov.uk", "port": 22, "user": "deploy",
                "path": "/srv/dps", "host_key": "ssh-ed25519 AAAA..."}    # the same over SSH, key pinned
    WEB_HOST = {"kind": "azure", "account": "northshiredps", "container": "$web"}
    WEB_HOST = {"kind": "s3", "bucket": "dps-site", "region": "eu-west-2", "endpoint": "https://..."}

and for any kind ``verify_url`` (the origin, when the public address is a CDN), ``ca_file`` (a certificate
authority to trust when checking the site, for a council's own) and ``keep`` (how many releases to keep, 5).
Passwords, keys and tokens never go here: see ``secrets.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

SETTING = "WEB_HOST"
KINDS = ("releases", "ssh", "azure", "s3")
# Names a secret goes by (a misspelt "pasword" too): such a key in WEB_HOST is refused with where to put it instead.
_SECRET_WORDS = re.compile(r"pas+w|pass|pwd|secret|token|sas|credential|connection|private|account_?key|"
                           r"access_?key|^key$", re.IGNORECASE)
_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*"
                       r"[A-Za-z0-9])?)*|\[?[0-9A-Fa-f:.]+\]?")
_URL = re.compile(r"https://[^\s/?#@]+(?::\d{1,5})?(?:/[^\s?#]*)?|http://(?:localhost|127\.0\.0\.1|\[::1\])"
                  r"(?::\d{1,5})?(?:/[^\s?#]*)?")
_HOST_KEY = re.compile(r"(?:ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|ssh-rsa|rsa-sha2-(?:256|512)) "
                       r"[A-Za-z0-9+/]+={0,3}(?: .*)?")


@dataclass(frozen=True)
class WebHost:
    kind: str
    options: dict = field(default_factory=dict)  # the checked keys of WEB_HOST, as written
    verify_url: str = ""
    ca_file: str = ""
    keep: int = 5

    def get(self, key: str, default=None):
        return self.options.get(key, default)


@dataclass(frozen=True)
class Key:
    name: str
    accepts: Callable[[object], bool]
    form: str
    required: bool = False


def _text(v) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _absolute_path(v) -> bool:
    return isinstance(v, str) and v.startswith("/") and "\0" not in v and ".." not in v.split("/")


def _port(v) -> bool:
    return type(v) is int and 1 <= v <= 65535


def _host(v) -> bool:
    return isinstance(v, str) and _HOSTNAME.fullmatch(v) is not None


def _url(v) -> bool:
    return isinstance(v, str) and _URL.fullmatch(v) is not None


def _user(v) -> bool:
    return isinstance(v, str) and re.fullmatch(r"[a-z_][a-z0-9_.-]{0,31}", v) is not None


def _host_key(v) -> bool:
    return isinstance(v, str) and _HOST_KEY.fullmatch(v.strip()) is not None


def _keep(v) -> bool:
    return type(v) is int and 2 <= v <= 100


def _name(pattern: str) -> Callable[[object], bool]:
    return lambda v: isinstance(v, str) and re.fullmatch(pattern, v) is not None


COMMON = (
    Key("kind", lambda v: v in KINDS, "one of " + ", ".join(f'"{k}"' for k in KINDS), required=True),
    Key("verify_url", _url, "the web address to check the site at (the origin behind a CDN), starting with https://"),
    Key("ca_file", _absolute_path, "the full path of a certificate authority file (PEM) to trust when checking"),
    Key("keep", _keep, "a whole number of releases to keep, from 2 to 100 (no quotes)"),
)
BY_KIND = {
    "releases": (
        Key("path", _absolute_path, "the full path of the folder the web server serves from, like \"/srv/dps\" "
                                    "(the server serves its current/ folder)", required=True),
    ),
    "ssh": (
        Key("host", _host, "the web server's name or address, like \"web1.northshire.gov.uk\"", required=True),
        Key("port", _port, "a port number from 1 to 65535 (no quotes)"),
        Key("user", _user, "the user name to sign in as, like \"deploy\"", required=True),
        Key("path", _absolute_path, "the full path of the releases folder on the server, like \"/srv/dps\"",
            required=True),
        Key("host_key", _host_key, "the server's public host key as one line, like \"ssh-ed25519 AAAAC3Nz...\" "
                                   "(ask IT for it, or read it from the server's /etc/ssh/ssh_host_ed25519_key.pub)",
            required=True),
    ),
    "azure": (
        Key("account", _name(r"[a-z0-9]{3,24}"), "the storage account's name: 3 to 24 small letters or digits",
            required=True),
        Key("container", _name(r"\$web|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}"),
            "\"$web\" (the static website's container) or another container's name"),
        Key("endpoint", _url, "the Blob service's address, only when it is not the usual one"),
    ),
    "s3": (
        Key("bucket", _name(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"), "the bucket's name: 3 to 63 small letters, digits, "
                                                                  "dots or dashes", required=True),
        Key("region", _name(r"[a-z0-9-]{2,40}"), "the bucket's region, like \"eu-west-2\""),
        Key("endpoint", _url, "the S3 service's address, only for a service other than Amazon's"),
        Key("prefix", _name(r"(?:[A-Za-z0-9._-]+/)*"), "a folder inside the bucket ending in /, or nothing"),
    ),
}


def web_host_problems(value) -> list[tuple[str | None, str]]:
    """Every mistake in a ``WEB_HOST`` value, as (the value shown, the message); [] for a good one."""
    if not isinstance(value, dict):
        return [(repr(value)[:60], "is not a set of settings in curly brackets. Write it like "
                                   'WEB_HOST = {"kind": "releases", "path": "/srv/dps"}.')]
    problems = []
    kind = value.get("kind")
    keys = {k.name: k for k in COMMON + BY_KIND.get(kind, ())}
    for name in value:
        if isinstance(name, str) and name != "host_key" and _SECRET_WORDS.search(name):
            problems.append((name, f"has {name!r}: passwords, keys and tokens never go in the settings file (it is "
                                   "kept in git and read by many). Remove the line and give it as the environment "
                                   f"variable {env_name(name)} or in the file web-host-secrets.toml beside the "
                                   "desk's users file (readable by its owner only)."))
        elif name not in keys:
            known = ", ".join(sorted(keys)) if kind in KINDS else "kind"
            problems.append((str(name), f"has {name!r}, which is not a setting of a web host"
                                        f"{' of kind ' + repr(kind) if kind in KINDS else ''}. The settings are: "
                                        f"{known}."))
    for key in keys.values():
        if key.name not in value:
            if key.required:
                problems.append((None, f"needs {key.name!r}: {key.form}."))
        elif not key.accepts(value[key.name]):
            shown = value[key.name]
            problems.append((repr(shown)[:80], f"{key.name!r} is {shown!r}, which is not {key.form}."))
    return problems


def env_name(secret: str) -> str:
    return "DPS_WEB_HOST_" + re.sub(r"[^A-Za-z0-9]+", "_", secret).upper()


def web_host_of(value) -> WebHost | None:
    """The checked setting as a ``WebHost`` (None when it is not set); call only after ``web_host_problems``."""
    if value is None:
        return None
    options = {k: v for k, v in value.items() if k not in ("kind", "verify_url", "ca_file", "keep")}
    return WebHost(value["kind"], options, value.get("verify_url", ""), value.get("ca_file", ""),
                   value.get("keep", 5))

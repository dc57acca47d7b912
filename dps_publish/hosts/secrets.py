"""The web host's passwords, keys and tokens: from environment variables or one file, never the settings.

Each secret is read from ``DPS_WEB_HOST_<NAME>`` (``DPS_WEB_HOST_PASSWORD``, ``DPS_WEB_HOST_SSH_KEY``...) or,
failing that, from ``web-host-secrets.toml`` beside the desk's users file, which must be readable by its
owner only (mode 0600): a file anyone else can read is refused in words. ``Secrets`` never shows a value
(its repr hides them) and ``redact`` takes every known secret out of a text before it is logged or shown.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

from .base import HostError
from .config import env_name

FILE_NAME = "web-host-secrets.toml"
# Every secret a driver may ask for, with what it is.
NAMES = {
    "password": "the password of the web host's user (SSH)",
    "ssh_key": "the private key to sign in with over SSH, as the text of an OpenSSH or PEM key file",
    "ssh_key_passphrase": "the passphrase of that private key",
    "connection_string": "an Azure storage connection string",
    "account_key": "an Azure storage account key",
    "sas_token": "an Azure shared access signature",
    "access_key_id": "an S3 access key id",
    "secret_access_key": "an S3 secret access key",
}


class Secrets:
    """The secrets found, by name; its repr and str show names only."""

    def __init__(self, values: Mapping[str, str], sources: Mapping[str, str]):
        self._values = dict(values)
        self._sources = dict(sources)  # name: where it came from, in words

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def where(self, name: str) -> str | None:
        return self._sources.get(name)

    def redact(self, text: str) -> str:
        for value in sorted(self._values.values(), key=len, reverse=True):
            for piece in _pieces(value):
                text = text.replace(piece, "[hidden]")
        return text

    def __repr__(self) -> str:
        return f"Secrets({', '.join(sorted(self._values)) or 'none'})"

    __str__ = __repr__


def _pieces(value: str) -> list[str]:
    """The value, and each long line of it (a key file's lines, which a library may quote one at a time)."""
    pieces = [value] if len(value) >= 4 else []
    pieces += [line.strip() for line in value.splitlines() if len(line.strip()) >= 16]
    return pieces


def secrets_file(users_file: Path) -> Path:
    return Path(users_file).expanduser().parent / FILE_NAME


def load_secrets(users_file: Path, environ: Mapping[str, str] | None = None) -> Secrets:
    environ = os.environ if environ is None else environ
    values, sources = {}, {}
    path = secrets_file(users_file)
    from_file = _read_file(path) if path.exists() else {}
    for name in NAMES:
        variable = env_name(name)
        if environ.get(variable):
            values[name], sources[name] = environ[variable], f"the environment variable {variable}"
        elif from_file.get(name):
            values[name], sources[name] = from_file[name], str(path)
    return Secrets(values, sources)


def _read_file(path: Path) -> dict[str, str]:
    try:
        info = path.stat()
    except OSError as exc:
        raise HostError(f"The web host's secrets file {path} cannot be read ({exc.strerror}).") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise HostError(f"The web host's secrets file {path} can be read by other people on this computer (its mode "
                        f"is {stat.S_IMODE(info.st_mode):o}). Make it readable by its owner only: chmod 600 {path}. "
                        "Nothing was sent.")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise HostError(f"The web host's secrets file {path} belongs to another user. It must belong to the user "
                        "who runs dps-publish. Nothing was sent.")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # The parser's message may quote a line of the file, so only its position is shown.
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise HostError(f"The web host's secrets file {path} cannot be read as TOML{where}. Write each secret as "
                        'name = "value", like password = "...". Nothing was sent.') from None
    unknown = sorted(set(document) - set(NAMES))
    if unknown:
        raise HostError(f"The web host's secrets file {path} has {', '.join(unknown)}, which dps-publish does not "
                        f"use. The names it reads are: {', '.join(NAMES)}.")
    bad = sorted(name for name, value in document.items() if not isinstance(value, str))
    if bad:
        raise HostError(f"In the web host's secrets file {path}, {', '.join(bad)} must be text in quotes.")
    return document

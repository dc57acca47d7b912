"""Who is who at the desk: its users, their names and passwords.

On one's own computer (a loopback address), with no users set up and no proxy
trusted, the desk asks for a person's name once: no passwords. It asks for a
password whenever users exist (``dps-publish desk add-user NAME``) or a proxy
is trusted (``DESK_TRUSTED_PROXIES``), whatever address it listens on; on any
other address it will not start until one of them is set up. Behind the
council's own sign-in proxy (``DESK_USER_HEADER`` from an address in
``DESK_TRUSTED_PROXIES``) the proxy says who is there, and a request from it
without that header is refused.

Passwords are hashed with Argon2id (argon2-cffi) in a users file outside the
repository (default ``~/.config/dps-publish/users.toml``, mode 0600). Names are
compared by ``name_key``: "sam  patel" signs in as "Sam Patel". Sessions are
kept by the desk itself (``sessions.py``); every form carries the session's
CSRF token, checked on every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..files import write_atomically

DEFAULT_USERS = Path("~/.config/dps-publish/users.toml")
NAME = re.compile(r"[^\x00-\x1f\x7f]{1,80}")
MIN_PASSWORD = 12


class AuthError(Exception):
    """The desk cannot know who is there: the words say what to do."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not NAME.fullmatch(name):
        raise AuthError("Enter your name, in 80 letters or fewer.")
    return name


def name_key(name: str) -> str:
    """What two ways of writing one person's name have in common: "Jo  Bloggs", "jo bloggs" and "Ｊｏ Bloggs" agree.

    Every comparison of people (who uploaded, who approves, who is in the users file) goes through this.
    """
    return unicodedata.normalize("NFKC", " ".join(str(name).split())).casefold()


@dataclass
class Users:
    """The users file: each person's name as they were added, with their Argon2 hash; found by ``name_key``."""

    path: Path
    hashes: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> Users:
        path = Path(path).expanduser()
        if not path.is_file():
            return cls(path, {})
        if path.stat().st_mode & 0o077:
            raise AuthError(f"{path} can be read by other people on this computer. Run: chmod 600 {path}")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise AuthError(f"{path} cannot be read ({exc}). Remove it and add the users again.") from None
        return cls(path, {name: entry["hash"] for name, entry in data.get("users", {}).items()
                          if isinstance(entry, dict) and isinstance(entry.get("hash"), str)})

    def find(self, name: str) -> str | None:
        """The name as the users file has it, however ``name`` writes it; None for someone not in the file."""
        key = name_key(name)
        return next((known for known in self.hashes if name_key(known) == key), None)

    def mark(self, name: str) -> str:
        """A short digest of the person's password hash: a session made with another password ends."""
        return hashlib.sha256(self.hashes.get(name, "").encode()).hexdigest()[:16]

    def add(self, name: str, password: str) -> None:
        name = clean_name(name)
        if len(password) < MIN_PASSWORD:
            raise AuthError(f"Choose a password of at least {MIN_PASSWORD} characters.")
        known = self.find(name)
        if known is not None:
            del self.hashes[known]  # the same person, perhaps written another way: the new spelling and password
        self.hashes[name] = PasswordHasher().hash(password)
        self.save()

    def verify(self, name: str, password: str) -> str | None:
        """The person's name as the users file has it when the password is theirs; None otherwise."""
        known = self.find(name)
        if known is None:
            PasswordHasher().hash(password)  # the same time whether or not the name is known
            return None
        try:
            return known if PasswordHasher().verify(self.hashes[known], password) else None
        except (VerificationError, InvalidHashError):
            return None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lines = ["# Users of the dps-publish desk: names and Argon2 password hashes. Keep this file private.", ""]
        for name, hashed in sorted(self.hashes.items()):
            lines += [f"[users.{json.dumps(name)}]", f"hash = {json.dumps(hashed)}", ""]
        write_atomically(self.path, "\n".join(lines), mode=0o600)


def token_ok(session: dict, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(str(token).encode(), session["csrf"].encode())

"""Who is who at the desk.

On one's own computer (a loopback address) the desk asks for a person's name
once and keeps it in the session: no passwords. On any other address it will
not start unless users with passwords are set up (``dps-publish desk add-user
NAME``), or the council's own sign-in proxy is trusted to say who is there
(``DESK_USER_HEADER`` from an address in ``DESK_TRUSTED_PROXIES``).

Passwords are hashed with Argon2id (argon2-cffi) in a users file outside the
repository (default ``~/.config/dps-publish/users.toml``, mode 0600), with the
session secret beside it. Sessions are cookies signed with itsdangerous:
HttpOnly, SameSite=Strict, and Secure when the request came over https. Every
form carries the session's CSRF token, checked on every POST.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import re
import secrets
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "dps_desk"
SESSION_SECONDS = 12 * 60 * 60
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

    def add(self, name: str, password: str) -> None:
        name = clean_name(name)
        if len(password) < MIN_PASSWORD:
            raise AuthError(f"Choose a password of at least {MIN_PASSWORD} characters.")
        self.hashes[name] = PasswordHasher().hash(password)
        self.save()

    def verify(self, name: str, password: str) -> bool:
        stored = self.hashes.get(name)
        if stored is None:
            PasswordHasher().hash(password)  # the same time whether or not the name is known
            return False
        try:
            return PasswordHasher().verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lines = ["# Users of the dps-publish desk: names and Argon2 password hashes. Keep this file private.", ""]
        for name, hashed in sorted(self.hashes.items()):
            lines += [f"[users.{json.dumps(name)}]", f"hash = {json.dumps(hashed)}", ""]
        temporary = self.path.with_name(f".{self.path.name}.new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)


def session_secret(users_file: Path) -> str:
    """The secret that signs sessions, kept beside the users file (made once, mode 0600)."""
    path = Path(users_file).expanduser().with_name("session-secret")
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret + "\n")
    return secret


class Sessions:
    """Signed session cookies: a dict with the person's name (once known) and the CSRF token."""

    def __init__(self, secret: str):
        self.serializer = URLSafeTimedSerializer(secret, salt="dps-publish-desk-session")

    def read(self, cookie: str | None) -> dict:
        if cookie:
            try:
                value = self.serializer.loads(cookie, max_age=SESSION_SECONDS)
                if isinstance(value, dict) and isinstance(value.get("csrf"), str):
                    return value
            except BadSignature:
                pass
        return {"csrf": secrets.token_urlsafe(32)}

    def cookie(self, session: dict, secure: bool) -> str:
        parts = [f"{COOKIE}={self.serializer.dumps(session)}", "Path=/", "HttpOnly", "SameSite=Strict",
                 f"Max-Age={SESSION_SECONDS}"]
        if secure:
            parts.append("Secure")
        return "; ".join(parts)


def token_ok(session: dict, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(str(token).encode(), session["csrf"].encode())

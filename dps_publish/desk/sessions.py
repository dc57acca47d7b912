"""Sessions the desk can end.

The cookie (signed with itsdangerous; HttpOnly, SameSite=Strict, Secure over
https or when ``DESK_SECURE_COOKIES`` says so) holds only a CSRF token before
sign-in, and only a random session id after. What the id stands for (the name,
the CSRF token, when it ends) is a record the desk keeps in its private folder,
``.desk/`` in the drafts folder (mode 0700): ``sessions.json`` (mode 0600,
rewritten whole under a lock, ids kept only as their sha256) beside the desk's
own ``session-secret``. Signing out deletes the record, so a cookie copied
before no longer works; a record ends 12 hours after signing in, however much
it is used; another desk, even one sharing the users folder, has another
secret and other records.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..files import write_atomically

COOKIE = "dps_desk"
SESSION_SECONDS = 12 * 60 * 60
PRIVATE = ".desk"


def private_folder(drafts: Path) -> Path:
    """The desk's own folder inside its drafts folder, readable by its owner only."""
    folder = Path(drafts) / PRIVATE
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


def desk_secret(folder: Path) -> str:
    """The secret that signs this desk's cookies: made once, mode 0600, never shared with another desk."""
    path = Path(folder) / "session-secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="utf-8").strip()


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """The records of signed-in sessions, in ``sessions.json``: read when the file changes, rewritten whole."""

    def __init__(self, folder: Path, clock: Callable[[], float] = time.time):
        self.path = Path(folder) / "sessions.json"
        self.lock_path = Path(folder) / "sessions.lock"
        self.clock = clock
        self._seen: tuple[int, int] | None = None
        self._records: dict[str, dict] = {}

    @contextlib.contextmanager
    def _locked(self, kind: int) -> Iterator[None]:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, kind)
            yield
        finally:
            os.close(fd)

    def _read(self) -> dict[str, dict]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._records = None, {}
            return self._records
        if (stat.st_mtime_ns, stat.st_size) != self._seen:
            try:
                records = json.loads(self.path.read_text(encoding="utf-8"))
            except ValueError:
                records = {}  # unreadable: everyone signs in again
            self._records = records if isinstance(records, dict) else {}
            self._seen = (stat.st_mtime_ns, stat.st_size)
        return self._records

    def _change(self, change: Callable[[dict[str, dict]], None]) -> None:
        with self._locked(fcntl.LOCK_EX):
            self._seen = None
            records = dict(self._read())
            change(records)
            now = self.clock()
            records = {k: v for k, v in records.items() if isinstance(v, dict) and v.get("expires", 0) > now}
            write_atomically(self.path, json.dumps(records, sort_keys=True, indent=1), mode=0o600)
            self._seen = None

    def start(self, name: str, mark: str = "") -> tuple[str, dict]:
        """A new session for ``name`` (``mark``: the digest of their password hash, if they have one)."""
        session_id = secrets.token_urlsafe(32)
        now = int(self.clock())
        record = {"name": name, "csrf": secrets.token_urlsafe(32), "mark": mark, "signed_in": now,
                  "expires": now + SESSION_SECONDS}
        self._change(lambda records: records.__setitem__(_key(session_id), record))
        return session_id, record

    def get(self, session_id: str) -> dict | None:
        with self._locked(fcntl.LOCK_SH):
            record = self._read().get(_key(session_id))
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):
            return None
        if not isinstance(record.get("expires"), (int, float)) or record["expires"] <= self.clock():
            return None
        return record

    def end(self, session_id: str) -> None:
        self._change(lambda records: records.pop(_key(session_id), None))


class Cookies:
    """The signed cookie: ``{"csrf": token}`` before sign-in, ``{"sid": id}`` after."""

    def __init__(self, secret: str):
        self.serializer = URLSafeTimedSerializer(secret, salt="dps-publish-desk-session")

    def read(self, cookie: str | None) -> dict:
        if cookie:
            try:
                value = self.serializer.loads(cookie, max_age=SESSION_SECONDS)
            except BadSignature:
                return {}
            if isinstance(value, dict):
                return {k: v for k, v in value.items() if k in ("csrf", "sid") and isinstance(v, str)}
        return {}

    def header(self, value: dict, seconds: int, secure: bool) -> str:
        parts = [f"{COOKIE}={self.serializer.dumps(value)}", "Path=/", "HttpOnly", "SameSite=Strict",
                 f"Max-Age={max(0, int(seconds))}"]
        if secure:
            parts.append("Secure")
        return "; ".join(parts)

"""What every desk page needs from the request: who is there, the session, rendering, forms and redirects.

The views (``views/``) are thin: they read the request through ``Desk`` and call the services (``drafts``,
``checking``, ``freezing``, ``publishing``, ``previews``), which know nothing of HTTP.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import secrets
import time
from pathlib import Path
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..opendata.summary import KIND_HEADINGS
from ..settings import PublishSettings
from . import audit
from .attempts import SignInAttempts
from .auth import AuthError, Users, clean_name, is_loopback, token_ok
from .config import DeskConfig
from .drafts import STATES, Draft, DraftStore
from .jobs import Jobs
from .sessions import COOKIE, SESSION_SECONDS, Cookies, SessionStore, desk_secret, private_folder

HERE = Path(__file__).parent
FORM_LIMIT = 64 * 1024  # a form without files: a name, a reason, a choice

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
PASSWORD_CHECKS_AT_ONCE = 2  # each Argon2 check takes 64 MiB
log = logging.getLogger("dps_publish.desk")

CSRF_WORDS = ("This form could not be accepted: it was not sent from this desk's own page, or the page was open for "
              "too long. Go back, reload the page and try again.")


class Desk:
    """The desk's state: its folders, settings, drafts, jobs and sessions, and what a page needs of a request."""

    def __init__(self, config: DeskConfig, settings: PublishSettings):
        self.config, self.settings = config, settings
        self.drafts = DraftStore(config.drafts)
        self.jobs = Jobs(config)
        private = private_folder(config.drafts)
        self.cookies = Cookies(desk_secret(private))
        self.sessions = SessionStore(private)
        self._users, self._users_seen, self.users_problem = Users.load(config.users), _stamp(config.users), None
        self.passwords_at_start = bool(self._users.hashes)
        self.attempts = SignInAttempts()
        self.password_checks = asyncio.Semaphore(PASSWORD_CHECKS_AT_ONCE)
        self.check_lock = asyncio.Lock()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(state_words=state_words, kind_headings=KIND_HEADINGS,
                                      action_words=audit.ACTIONS, settings=settings)
        self.templates.filters["when"] = when

    # --- where the desk is --------------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """Where people open the desk (no trailing slash): ``DESK_PUBLIC_ADDRESS``, else the address it listens on.

        Links the desk builds (a preview's) come from here, never from the Host a request named.
        """
        return self.settings.desk.public_address or self.config.address.rstrip("/")

    @property
    def names(self) -> frozenset[str]:
        """The names a request may be addressed to: this computer's, the --host value and the public address's."""
        names = set(LOOPBACK_NAMES)
        if self.config.host.lower() not in WILDCARDS:
            names.add(urlsplit(f"//{_bracketed(self.config.host)}").hostname)
        if self.settings.desk.public_address:
            names.add(urlsplit(self.settings.desk.public_address).hostname)
        return frozenset(names)

    # --- who is there -------------------------------------------------------------------------------------

    @property
    def users(self) -> Users:
        """The users file as it is now: a person taken out of it is signed out at their next page."""
        seen = _stamp(self.config.users)
        if seen != self._users_seen:
            try:
                self._users, self.users_problem = Users.load(self.config.users), None
            except AuthError as exc:
                self._users, self.users_problem = Users(self._users.path, {}), str(exc)
                log.warning("%s", exc)
            self._users_seen = seen
        return self._users

    @property
    def needs_passwords(self) -> bool:
        """Whenever users exist (or did when the desk started), a proxy is trusted or the address is shared."""
        return (bool(self.users.hashes) or self.passwords_at_start or bool(self.users_problem)
                or bool(self.settings.desk.trusted_proxies) or not is_loopback(self.config.host))

    def from_proxy(self, request: Request) -> bool:
        client = request.client.host if request.client else ""
        return client in self.settings.desk.trusted_proxies

    def client_address(self, request: Request) -> str | None:
        """The address of whoever sent the request: behind a trusted proxy, the last address in X-Forwarded-For
        that is not one of the proxies (the ones before it could be written by anyone); None if it says none."""
        if not self.from_proxy(request):
            return request.client.host if request.client else None
        forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
        for entry in reversed([e.strip() for e in forwarded.split(",")]):
            try:
                address = str(ipaddress.ip_address(entry))
            except ValueError:
                return None
            if address not in self.settings.desk.trusted_proxies:
                return address
        return None

    def names_from_proxy(self, request: Request) -> bool:
        """True when the council's sign-in proxy, not the desk, says who sent this request."""
        return bool(self.settings.desk.user_header) and self.from_proxy(request)

    def refuse_unnamed(self, request: Request) -> None:
        """A request through the sign-in proxy that does not say who sent it is refused."""
        header = self.settings.desk.user_header
        if self.names_from_proxy(request) and not request.headers.get(header, "").strip():
            raise HTTPException(403, f"This request came through the council's sign-in proxy without the {header} "
                                     "header that says who you are, so the desk cannot let you in. Sign in to the "
                                     "proxy again; if this goes on, tell whoever looks after it.")

    def secure(self, request: Request) -> bool:
        if self.settings.desk.secure_cookies or request.url.scheme == "https":
            return True
        return self.from_proxy(request) and request.headers.get("x-forwarded-proto", "").lower() == "https"

    def session(self, request: Request) -> dict:
        """The session: ``csrf`` always, ``name`` once signed in. A session ended, expired, or of a person no
        longer in the users file (or whose password changed) is a new one, not signed in."""
        session = getattr(request.state, "session", None)
        if session is not None:
            return session
        cookie = self.cookies.read(request.cookies.get(COOKIE))
        record = self.sessions.get(cookie["sid"]) if "sid" in cookie else None
        if record is not None and self.still_allowed(record):
            session = {"csrf": record["csrf"], "name": record["name"], "sid": cookie["sid"]}
            request.state.session_expires = record["expires"]
        elif record is None and "csrf" in cookie:
            session = {"csrf": cookie["csrf"]}
        else:
            if record is not None:
                self.sessions.end(cookie["sid"])
            session = self._anonymous(request)
        request.state.session = session
        return session

    def still_allowed(self, record: dict) -> bool:
        users = self.users
        if not users.hashes:
            return not self.needs_passwords
        known = users.find(record["name"])
        return known is not None and users.mark(known) == record.get("mark")

    def _anonymous(self, request: Request) -> dict:
        request.state.session = session = {"csrf": secrets.token_urlsafe(32)}
        request.state.session_changed = True
        return session

    def sign_in(self, request: Request, name: str) -> None:
        """A new session for ``name`` (and a new CSRF token), ending the one the request came with."""
        old = self.session(request)
        if "sid" in old:
            self.sessions.end(old["sid"])
        session_id, record = self.sessions.start(name, self.users.mark(name) if self.users.hashes else "")
        request.state.session = {"csrf": record["csrf"], "name": name, "sid": session_id}
        request.state.session_expires = record["expires"]
        request.state.session_changed = True

    def sign_out(self, request: Request) -> None:
        old = self.session(request)
        if "sid" in old:
            self.sessions.end(old["sid"])
        self._anonymous(request)

    def person(self, request: Request) -> str | None:
        if self.names_from_proxy(request):
            try:
                return clean_name(request.headers.get(self.settings.desk.user_header, ""))
            except AuthError:
                return None
        return self.session(request).get("name")

    # --- pages ------------------------------------------------------------------------------------------

    def page(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        session = self.session(request)
        body = self.templates.get_template(template).render(
            csrf=session["csrf"], who=self.person(request), request_path=request.url.path, **context)
        response = HTMLResponse(body, status_code=status)
        self.keep(response, request)
        return response

    def keep(self, response: Response, request: Request) -> None:
        """Send the cookie when the session is new or changed; a signed-in one is never renewed by use."""
        session = self.session(request)
        if not getattr(request.state, "session_changed", False):
            return
        if "sid" in session:
            value, seconds = {"sid": session["sid"]}, request.state.session_expires - time.time()
        else:
            value, seconds = {"csrf": session["csrf"]}, SESSION_SECONDS
        response.headers.append("set-cookie", self.cookies.header(value, seconds, self.secure(request)))

    def plain_page(self, status: int, title: str, message: str) -> HTMLResponse:
        """A page in words for an answer given before any view runs (a wrong address, a fault): no session."""
        try:
            body = self.templates.get_template("error.html").render(
                csrf="", who=None, request_path="", title=title, message=message)
        except Exception:  # noqa: BLE001 - the page about a fault must not fail in turn
            body = f"<!DOCTYPE html><html lang=en-GB><title>{title}</title><h1>{title}</h1><p>{message}</p>"
        return HTMLResponse(body, status_code=status)

    def redirect(self, request: Request, to: str) -> RedirectResponse:
        response = RedirectResponse(to, status_code=303)
        self.keep(response, request)
        return response

    async def form(self, request: Request) -> dict[str, str]:
        """A small form's fields, after checking its CSRF token; refused with 403 otherwise."""
        if int(request.headers.get("content-length") or 0) > FORM_LIMIT:
            raise HTTPException(413, "This form is too large.")
        form = await request.form(max_files=0, max_fields=20, max_part_size=FORM_LIMIT)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not token_ok(self.session(request), fields.get("csrf_token")):
            raise HTTPException(403, CSRF_WORDS)
        return fields

    def draft(self, request: Request) -> Draft:
        try:
            return self.drafts.get(request.path_params["draft"])
        except (KeyError, ValueError):
            raise HTTPException(404, "There is no draft with that name.") from None


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = Path(path).expanduser().stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def desk_of(request: Request) -> Desk:
    return request.app.state.desk


def state_words(state: str) -> str:
    return STATES.get(state, state)


def when(stamp: str | None) -> str:
    """``2026-12-02T10:15:00Z`` as ``2 December 2026 at 10:15 UTC``."""
    if not stamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M} UTC"


def signed_in(endpoint):
    """The endpoint for a person the desk knows; anyone else is sent to sign in."""

    async def wrapper(request: Request):
        desk = desk_of(request)
        desk.refuse_unnamed(request)
        if desk.person(request) is None:
            return desk.redirect(request, "/sign-in?next=" + url_quote(request.url.path))
        return await endpoint(request, desk)

    return wrapper

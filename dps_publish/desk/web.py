"""What every desk page needs from the request: who is there, the session, rendering, forms and redirects.

The views (``views/``) are thin: they read the request through ``Desk`` and call the services (``drafts``,
``checking``, ``freezing``, ``publishing``, ``previews``), which know nothing of HTTP.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from urllib.parse import quote as url_quote

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..opendata.summary import KIND_HEADINGS
from ..settings import PublishSettings
from . import audit
from .auth import COOKIE, AuthError, Sessions, Users, clean_name, is_loopback, session_secret, token_ok
from .config import DeskConfig
from .drafts import STATES, Draft, DraftStore
from .jobs import Jobs

HERE = Path(__file__).parent
FORM_LIMIT = 64 * 1024  # a form without files: a name, a reason, a choice

CSRF_WORDS = ("This form could not be accepted: it was not sent from this desk's own page, or the page was open for "
              "too long. Go back, reload the page and try again.")


class Desk:
    """The desk's state: its folders, settings, drafts, jobs and sessions, and what a page needs of a request."""

    def __init__(self, config: DeskConfig, settings: PublishSettings):
        self.config, self.settings = config, settings
        self.drafts = DraftStore(config.drafts)
        self.jobs = Jobs(config)
        self.users = Users.load(config.users)
        self.sessions = Sessions(session_secret(config.users))
        self.check_lock = asyncio.Lock()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(state_words=state_words, kind_headings=KIND_HEADINGS,
                                      action_words=audit.ACTIONS, settings=settings)
        self.templates.filters["when"] = when

    # --- who is there -------------------------------------------------------------------------------------

    def from_proxy(self, request: Request) -> bool:
        client = request.client.host if request.client else ""
        return client in self.settings.desk.trusted_proxies

    def secure(self, request: Request) -> bool:
        if request.url.scheme == "https":
            return True
        return self.from_proxy(request) and request.headers.get("x-forwarded-proto", "").lower() == "https"

    def session(self, request: Request) -> dict:
        session = getattr(request.state, "session", None)
        if session is None:
            session = request.state.session = self.sessions.read(request.cookies.get(COOKIE))
        return session

    def person(self, request: Request) -> str | None:
        header = self.settings.desk.user_header
        if header and self.from_proxy(request) and request.headers.get(header):
            try:
                return clean_name(request.headers[header])
            except AuthError:
                return None
        return self.session(request).get("name")

    @property
    def needs_passwords(self) -> bool:
        return not is_loopback(self.config.host)

    # --- pages ------------------------------------------------------------------------------------------

    def page(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        session = self.session(request)
        body = self.templates.get_template(template).render(
            csrf=session["csrf"], who=self.person(request), request_path=request.url.path, **context)
        response = HTMLResponse(body, status_code=status)
        self.keep(response, request)
        return response

    def keep(self, response: Response, request: Request) -> None:
        response.headers.append("set-cookie", self.sessions.cookie(self.session(request), self.secure(request)))

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
        if desk.person(request) is None:
            return desk.redirect(request, "/sign-in?next=" + url_quote(request.url.path))
        return await endpoint(request, desk)

    return wrapper

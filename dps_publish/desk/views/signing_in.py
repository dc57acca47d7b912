"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..auth import AuthError, clean_name
from ..web import desk_of


def safe_next(value: str | None) -> str:
    """Only a path on this desk: never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return parts.path if not parts.netloc else "/"


async def sign_in(request: Request):
    desk = desk_of(request)
    errors: dict[str, str] = {}
    name = ""
    target = safe_next(request.query_params.get("next"))
    if request.method == "POST":
        fields = await desk.form(request)
        target = safe_next(fields.get("next"))
        name = fields.get("name", "")
        try:
            name = clean_name(name)
        except AuthError as exc:
            errors["name"] = str(exc)
        if desk.needs_passwords and not errors:
            verified = await run_in_threadpool(desk.users.verify, name, fields.get("password", ""))
            if not verified:
                errors["password"] = "The name or the password is not right. Check them and try again."
        if not errors:
            session = desk.session(request)
            session.clear()
            session.update(desk.sessions.read(None))  # a new CSRF token with the new person
            session["name"] = name
            return desk.redirect(request, target)
    return desk.page(request, "sign_in.html", status=400 if errors else 200, errors=errors, name=name,
                     next=target, passwords=desk.needs_passwords)


async def sign_out(request: Request):
    desk = desk_of(request)
    await desk.form(request)
    desk.session(request).clear()
    desk.session(request).update(desk.sessions.read(None))
    return desk.redirect(request, "/sign-in")

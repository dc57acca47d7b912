"""Signing in and out.

A password is checked only when its name may try now (``attempts.py``), two at a time at most (each Argon2
check takes 64 MiB), and every wrong one is in the audit log with the name and address, never the password.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from .. import audit
from ..auth import AuthError, clean_name, name_key
from ..web import Desk, desk_of

WRONG = "The name or the password is not right. Check them and try again."


def safe_next(value: str | None) -> str:
    """Only a path on this desk: never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return parts.path if not parts.netloc else "/"


async def sign_in(request: Request):
    desk = desk_of(request)
    desk.refuse_unnamed(request)
    errors: dict[str, str] = {}
    name = ""
    target = safe_next(request.query_params.get("next"))
    if desk.names_from_proxy(request):  # the council's sign-in proxy has said who this is
        return desk.redirect(request, target)
    wait = 0
    if request.method == "POST":
        fields = await desk.form(request)
        target = safe_next(fields.get("next"))
        name = fields.get("name", "")
        try:
            name = clean_name(name)
        except AuthError as exc:
            errors["name"] = str(exc)
        if desk.needs_passwords and not errors:
            name, wait = await _check_password(request, desk, name, fields.get("password", ""), errors)
        if not errors:
            desk.sign_in(request, name)
            return desk.redirect(request, target)
    response = desk.page(request, "sign_in.html", status=429 if wait else 400 if errors else 200, errors=errors,
                         name=name, next=target, passwords=desk.needs_passwords)
    if wait:
        response.headers["retry-after"] = str(wait)
    return response


async def _check_password(request: Request, desk: Desk, name: str, password: str,
                          errors: dict[str, str]) -> tuple[str, int]:
    """The name as the users file has it, and 0; or the name as typed with ``errors`` filled in, and the seconds
    to wait before trying again (0 when the password was only wrong)."""
    if desk.users_problem:
        errors["password"] = f"The desk cannot read its list of users: {desk.users_problem}"
        return name, 0
    address, key = desk.client_address(request), name_key(name)
    wait = desk.attempts.wait(address, key)
    if wait:
        errors["password"] = (f"There have been too many wrong passwords for this name from here. Wait {wait} "
                              f"seconds, then try again. If you have forgotten your password, ask whoever looks "
                              "after the desk to set a new one.")
        return name, wait
    async with desk.password_checks:
        known = await run_in_threadpool(desk.users.verify, name, password)
    if known is None:
        desk.attempts.failed(address, key)
        audit.append(desk.config.audit_log, {"action": "sign-in-failed", "who": name, "address": address or "unknown"})
        errors["password"] = WRONG
        return name, 0
    desk.attempts.succeeded(address, key)
    return known, 0


async def sign_out(request: Request):
    desk = desk_of(request)
    await desk.form(request)
    desk.sign_out(request)
    return desk.redirect(request, "/sign-in")

"""The publishing desk: a small web application for the people who publish a round.

It calls the same library functions as the command line (``pipeline.validate``,
``pipeline.change_summary_of``, ``pipeline.build`` through the worker,
``freeze_round``): there is no second copy of any of them here. Every page is
plain HTML with GOV.UK Frontend's styles and works without JavaScript; the one
script only refreshes a build's progress.

This module only puts the desk together: the pages are in ``views/``, what they
need of a request in ``web.py``, the wrapping of every response in
``middleware.py``, and the work itself in the services (``drafts``,
``checking``, ``approvals``, ``freezing``, ``publishing``, ``previews``).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from ..settings import PublishSettings
from .auth import AuthError, Users, is_loopback
from .config import DeskConfig
from .middleware import BodyTimeout, DeskErrors, SameOrigin, SecurityHeaders
from .views import checking, drafts, files, publication, signing_in
from .web import WILDCARDS, Desk


def routes() -> list[Route]:
    return [
        Route("/", drafts.home),
        Route("/sign-in", signing_in.sign_in, methods=["GET", "POST"]),
        Route("/sign-out", signing_in.sign_out, methods=["POST"]),
        Route("/drafts", drafts.new_draft, methods=["POST"]),
        Route("/drafts/{draft}", drafts.task_list),
        Route("/drafts/{draft}/upload", drafts.upload_page, methods=["GET"]),
        Route("/drafts/{draft}/upload", drafts.upload, methods=["POST"]),
        Route("/drafts/{draft}/check", checking.check_page, methods=["GET"]),
        Route("/drafts/{draft}/check", checking.check_again, methods=["POST"]),
        Route("/drafts/{draft}/marked/{file}", checking.marked),
        Route("/drafts/{draft}/changes", checking.changes_page),
        Route("/drafts/{draft}/preview", publication.preview_page, methods=["GET"]),
        Route("/drafts/{draft}/preview", publication.start_preview, methods=["POST"]),
        Route("/drafts/{draft}/status", publication.status_page),
        Route("/drafts/{draft}/status.json", publication.status_json),
        Route("/drafts/{draft}/approval", publication.approval_page),
        Route("/drafts/{draft}/request-check", publication.request_check, methods=["POST"]),
        Route("/drafts/{draft}/approve", publication.approve, methods=["POST"]),
        Route("/drafts/{draft}/publish", publication.publish_page, methods=["GET"]),
        Route("/drafts/{draft}/publish", publication.publish, methods=["POST"]),
        Route("/finish-publication", publication.finish_interrupted, methods=["POST"]),
        Route("/history", publication.history),
        Route("/live/try-again", publication.try_again, methods=["POST"]),
        Route("/live/put-back", publication.put_back, methods=["POST"]),
        Route("/live/reopen", publication.reopen_round, methods=["POST"]),
        Route("/templates/{table}.xlsx", files.template_file),
        Route("/preview/{draft}/{path:path}", files.preview_file),
        Route("/assets/{name}", files.asset),
    ]


def create_app(config: DeskConfig, settings: PublishSettings | None = None) -> Starlette:
    settings = settings or config.load_settings()
    desk = Desk(config, settings)
    app = Starlette(routes=routes(), exception_handlers={HTTPException: files.http_error}, middleware=[
        Middleware(SecurityHeaders),  # outermost of ours: every answer below gets the headers
        Middleware(DeskErrors, page=desk.plain_page),
        Middleware(SameOrigin, names=desk.names, public_origin=settings.desk.public_address, page=desk.plain_page),
        Middleware(BodyTimeout, seconds=settings.desk.body_timeout)])
    app.state.desk = desk
    return app


def check_can_start(config: DeskConfig, settings: PublishSettings) -> None:
    """Refuse to start unless the desk can know who is there, and knows the name people will open it at."""
    users = Users.load(config.users)
    desk = settings.desk
    if desk.trusted_proxies and not desk.user_header and not users.hashes:
        raise AuthError(
            f"DESK_TRUSTED_PROXIES is set in {config.settings}, so the desk asks everyone for a password, but no "
            f"users are set up. Add the people who publish, one at a time: dps-publish desk add-user \"Their Name\" "
            f"(users are kept in {config.users}). Or set DESK_USER_HEADER if the proxy says who is there.")
    if desk.trusted_proxies and not desk.public_address:
        raise AuthError(
            f"DESK_TRUSTED_PROXIES is set in {config.settings}, but not the address people open the desk at through "
            "that proxy, so the desk would refuse every form sent from it. Set DESK_PUBLIC_ADDRESS too, like "
            "DESK_PUBLIC_ADDRESS = \"https://desk.northshire.gov.uk\".")
    if is_loopback(config.host):
        return
    proxy = bool(desk.user_header and desk.trusted_proxies)
    if not users.hashes and not proxy:
        raise AuthError(
            f"The desk will not listen on {config.host}, an address other people can reach, until it knows who is "
            f"who. Add the people who publish first, one at a time: dps-publish desk add-user \"Their Name\" "
            f"(users are kept in {config.users}). Or run it on this computer only, with --host 127.0.0.1.")
    if config.host in WILDCARDS and not desk.public_address:
        raise AuthError(
            f"The desk would listen on every address of this computer ({config.host}) without knowing the name "
            f"people open it at, so it would answer none of them. Set DESK_PUBLIC_ADDRESS in {config.settings}, "
            f"like DESK_PUBLIC_ADDRESS = \"https://desk.northshire.gov.uk\", or give --host the one address "
            "people use.")

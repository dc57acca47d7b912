"""The publishing desk: a small web application for the people who publish a round.

It calls the same library functions as the command line (``pipeline.validate``,
``pipeline.change_summary_of``, ``pipeline.build`` through the worker,
``freeze_round``): there is no second copy of any of them here. Every page is
plain HTML with GOV.UK Frontend's styles and works without JavaScript; the one
script only refreshes a build's progress.
"""

from __future__ import annotations

import asyncio
import html
import mimetypes
import re
from pathlib import Path
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import pipeline
from ..opendata.summary import KIND_HEADINGS
from ..problems import BuildError, DataProblems
from ..settings import PublishSettings
from ..site.assets import site_css
from ..sources.schemas import TABLE_ORDER
from . import audit
from .auth import COOKIE, AuthError, Sessions, Users, clean_name, is_loopback, session_secret, token_ok
from .config import DeskConfig
from .drafts import Draft, DraftError, DraftStore
from .jobs import Busy, Jobs
from .publishing import PublishRequest, can_publish, pending

HERE = Path(__file__).parent
FORM_LIMIT = 64 * 1024  # a form without files: a name, a reason, a choice

DESK_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# What the built site needs: Pagefind's search runs WebAssembly; nothing inline, nothing from elsewhere.
PREVIEW_CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
               "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'self'; object-src 'none'")


class Desk:
    """The desk's state: its folders, settings, drafts, jobs and sessions."""

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
        self.templates.globals.update(state_words=_state_words, kind_headings=KIND_HEADINGS,
                                      action_words=audit.ACTIONS, settings=settings)
        self.templates.filters["when"] = _when

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


CSRF_WORDS = ("This form could not be accepted: it was not sent from this desk's own page, or the page was open for "
              "too long. Go back, reload the page and try again.")


def _state_words(state: str) -> str:
    from .drafts import STATES

    return STATES.get(state, state)


def _when(stamp: str | None) -> str:
    """``2026-12-02T10:15:00Z`` as ``2 December 2026 at 10:15 UTC``."""
    import datetime as dt

    if not stamp:
        return ""
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return f"{when.day} {when:%B %Y} at {when:%H:%M} UTC"


def signed_in(endpoint):
    """The endpoint for a person the desk knows; anyone else is sent to sign in."""

    async def wrapper(request: Request):
        desk: Desk = request.app.state.desk
        if desk.person(request) is None:
            return desk.redirect(request, "/sign-in?next=" + url_quote(request.url.path))
        return await endpoint(request, desk)

    return wrapper


# --- signing in ------------------------------------------------------------------------------------------


def _next(value: str | None) -> str:
    """Only a path on this desk: never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return parts.path if not parts.netloc else "/"


async def sign_in(request: Request):
    desk: Desk = request.app.state.desk
    errors: dict[str, str] = {}
    name = ""
    target = _next(request.query_params.get("next"))
    if request.method == "POST":
        fields = await desk.form(request)
        target = _next(fields.get("next"))
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
    desk: Desk = request.app.state.desk
    await desk.form(request)
    desk.session(request).clear()
    desk.session(request).update(desk.sessions.read(None))
    return desk.redirect(request, "/sign-in")


# --- drafts ----------------------------------------------------------------------------------------------


@signed_in
async def home(request: Request, desk: Desk):
    return desk.page(request, "home.html", drafts=desk.drafts.all(), interrupted=pending(desk.config),
                     job=desk.jobs.latest())


@signed_in
async def new_draft(request: Request, desk: Desk):
    await desk.form(request)
    who = desk.person(request)
    draft = await run_in_threadpool(desk.drafts.create, desk.config.data, who)
    audit.append(desk.config.audit_log, {"action": "draft-started", "who": who, "draft": draft.id})
    return desk.redirect(request, f"/drafts/{draft.id}")


@signed_in
async def task_list(request: Request, desk: Desk):
    draft = desk.draft(request)
    return desk.page(request, "draft.html", draft=draft, tasks=_tasks(desk, draft), job=_job_for(desk, draft))


def _job_for(desk: Desk, draft: Draft) -> dict | None:
    job = desk.jobs.latest()
    return job if job and job.get("draft") == draft.id else None


def _tasks(desk: Desk, draft: Draft) -> list[dict]:
    """The task list: each step of a round, its page and its status."""
    check = draft.check
    checked_ok = bool(check) and not check["problems"]
    preview_ready = (draft.meta.get("preview") or {}).get("data_digest") == draft.data_digest() and \
        draft.preview.is_dir()
    problems = len(check["problems"]) if check else 0
    base = f"/drafts/{draft.id}"
    published = draft.state == "published"

    def status(done: bool, possible: bool, words_done: str = "Completed", words_todo: str = "Not yet started"):
        if done:
            return {"text": words_done, "tag": None}
        if not possible:
            return {"text": "Cannot start yet", "tag": "grey"}
        return {"text": words_todo, "tag": "blue"}

    uploads = len(draft.meta.get("uploads", []))
    return [
        {"name": "Upload the tables", "href": f"{base}/upload",
         "hint": f"{uploads} file{'s' if uploads != 1 else ''} uploaded so far. You can upload more at any time.",
         "status": status(uploads > 0, True, "Completed", "Not yet started")},
        {"name": "Check them", "href": f"{base}/check",
         "hint": ("No problems found." if checked_ok else
                  f"{problems} problem{'s' if problems != 1 else ''} to fix." if check else "Not checked yet."),
         "status": ({"text": f"{problems} problem{'s' if problems != 1 else ''}", "tag": "red"} if check and problems
                    else status(checked_ok, True, "No problems", "Not checked yet"))},
        {"name": "See what will change", "href": f"{base}/changes",
         "hint": "The changes in plain words, against what is published now.",
         "status": status(checked_ok and draft.meta.get("seen_changes") == draft.data_digest(), checked_ok,
                          "Seen", "Ready to read")},
        {"name": "Preview", "href": f"{base}/preview",
         "hint": "Every page as it will be, standard and easy read, before anyone else sees it.",
         "status": status(preview_ready, checked_ok, "Ready", "Not built yet")},
        {"name": "Ask for a check and approve", "href": f"{base}/approval",
         "hint": "Someone other than the person who uploaded checks the draft.",
         "status": status(draft.approval is not None or published, checked_ok,
                          "Approved", "Waiting for a check" if draft.state == "awaiting-check" else "Not asked yet")},
        {"name": "Publish", "href": f"{base}/publish", "hint": "Build the site and the open data from this draft.",
         "status": status(published, checked_ok, "Published", "Not published yet")},
    ]


@signed_in
async def upload_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    return desk.page(request, "upload.html", draft=draft, tables=TABLE_ORDER, limits=_limits(desk), errors=[],
                     files=draft.table_files())


def _limits(desk: Desk):
    from .uploads import Limits

    return Limits(file_bytes=desk.settings.desk.max_file_mb * 1024 ** 2,
                  payments_bytes=desk.settings.desk.max_payments_mb * 1024 ** 2)


@signed_in
async def upload(request: Request, desk: Desk):
    from .uploads import UploadRefused, receive_upload

    draft = desk.draft(request)
    if draft.state == "published":
        raise HTTPException(409, "This draft has already been published. Start a new draft.")
    session = desk.session(request)
    who = desk.person(request)
    draft.incoming.mkdir(exist_ok=True)
    try:
        received = await receive_upload(request, draft.incoming, _limits(desk), lambda t: token_ok(session, t))
    except UploadRefused as exc:
        if exc.csrf:
            raise HTTPException(403, CSRF_WORDS) from None
        return desk.page(request, "upload.html", status=400, draft=draft, tables=TABLE_ORDER, limits=_limits(desk),
                         errors=[str(exc)], files=draft.table_files())
    taken = []
    for file in received.files:
        target = draft.place_upload(file.path, file.table, file.kind)
        if file.kind == "xlsx":
            from .marked import unmark

            await run_in_threadpool(unmark, target)  # the marked workbook, fixed and uploaded again
        entry = {"by": who, "at": audit.now(), "name": file.display_name, "table": file.table, "how": file.how,
                 "stored": target.name, "bytes": file.size, "sha256": _sha256(target)}
        draft.meta.setdefault("uploads", []).append(entry)
        taken.append(entry)
    if not taken:
        return desk.page(request, "upload.html", status=400, draft=draft, tables=TABLE_ORDER, limits=_limits(desk),
                         errors=received.refusals or ["Choose one or more CSV or Excel files to upload."],
                         files=draft.table_files())
    draft.reopen()
    draft.meta["last_upload"] = {"files": taken, "refusals": received.refusals}
    draft.save()
    audit.append(desk.config.audit_log, {"action": "upload", "who": who, "draft": draft.id,
                                         "files": [{k: e[k] for k in ("name", "table", "sha256")} for e in taken]})
    await _check(desk, draft, who)
    return desk.redirect(request, f"/drafts/{draft.id}/check")


def _sha256(path: Path) -> str:
    from ..cache import file_digest

    return file_digest(path)


async def _check(desk: Desk, draft: Draft, who: str) -> dict:
    """Check the draft's tables with the same functions as ``dps-publish validate`` and ``diff``; keep the result."""
    async with desk.check_lock:
        result = await run_in_threadpool(run_check, desk.config, desk.settings, draft)
    draft.meta["check"] = {**result, "by": who, "at": audit.now()}
    draft.save()
    audit.append(desk.config.audit_log, {"action": "check", "who": who, "draft": draft.id,
                                         "problems": len(result["problems"]), "counts": result["counts"]})
    return result


def run_check(config: DeskConfig, settings: PublishSettings, draft: Draft) -> dict:
    digest = draft.data_digest()
    project = config.project(settings, data=draft.data)
    validation = pipeline.validate(project)
    problems = [{**p.to_dict(), "text": str(p)} for p in validation.problems]
    result = {"data_digest": digest, "problems": problems, "summary": None, "sections": [], "warnings": [],
              "counts": {}}
    if validation.ok:
        try:
            summary = pipeline.change_summary_of(project, validation)
        except (BuildError, DataProblems) as exc:
            result["problems"] = [{"code": "build", "file": "", "sheet": None, "cell": None, "row": None,
                                   "column": None, "value": None, "message": str(exc), "text": str(exc)}]
            return result
        result["summary"] = summary.to_dict()
        result["sections"] = [[heading, [c.to_dict() for c in changes]] for heading, changes in summary.sections()]
        result["warnings"] = list(summary.warnings)
        counts = {}
        for change in summary.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        counts["pages-added"], counts["pages-removed"] = len(summary.pages_added), len(summary.pages_removed)
        result["counts"] = counts
    return result


@signed_in
async def check_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    check = draft.check
    by_file: dict[str, list[dict]] = {}
    for number, problem in enumerate(check["problems"] if check else [], start=1):
        by_file.setdefault(problem["file"] or "The tables", []).append({**problem, "number": number})
    return desk.page(request, "check.html", draft=draft, check=check, by_file=by_file,
                     markable={name for name in by_file if (draft.data / name).is_file()})


@signed_in
async def check_again(request: Request, desk: Desk):
    await desk.form(request)
    draft = desk.draft(request)
    await _check(desk, draft, desk.person(request))
    return desk.redirect(request, f"/drafts/{draft.id}/check")


@signed_in
async def marked(request: Request, desk: Desk):
    from .marked import mark_problems
    from .uploads import display_name

    draft = desk.draft(request)
    check = draft.check
    name = request.path_params["file"]
    files = {p.name: p for p in draft.table_files().values()}
    if check is None or name not in files:
        raise HTTPException(404, "There is no file with that name in this draft, or it has not been checked.")
    problems = [_problem(p) for p in check["problems"] if p["file"] == name]
    target = draft.folder / "marked" / f"{Path(name).stem}-problems-marked.xlsx"
    target.parent.mkdir(exist_ok=True)
    await run_in_threadpool(mark_problems, files[name], problems, target)
    download = f"{Path(display_name(name)).stem}-problems-marked.xlsx"
    return FileResponse(target, filename=download,
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _problem(record: dict):
    from ..problems import Problem

    return Problem(record["file"], record["row"], record["column"], record["code"], record["value"],
                   record["message"], record.get("sheet"), record.get("cell"))


@signed_in
async def changes_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    check = draft.check
    if check and not check["problems"] and draft.meta.get("seen_changes") != draft.data_digest():
        draft.meta["seen_changes"] = draft.data_digest()
        draft.save()
    return desk.page(request, "changes.html", draft=draft, check=check)


# --- preview, approval, publication ---------------------------------------------------------------------


@signed_in
async def preview_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    ready = (draft.meta.get("preview") or {}).get("data_digest") == draft.data_digest() and draft.preview.is_dir()
    return desk.page(request, "preview.html", draft=draft, ready=ready, check=draft.check,
                     job=_job_for(desk, draft), pages=_preview_pages(draft) if ready else [])


def _preview_pages(draft: Draft) -> list[tuple[str, str]]:
    """A few pages to start from: the homes, standard and easy read, and search."""
    base = f"/preview/{draft.id}/"
    return [("Home page", base), ("Easy read home page", base + "easy-read/"), ("Find support", base + "find-support/"),
            ("Search", base + "search/"), ("Data and downloads", base + "data/")]


@signed_in
async def start_preview(request: Request, desk: Desk):
    await desk.form(request)
    draft = desk.draft(request)
    check = draft.check
    if not check or check["problems"]:
        return desk.page(request, "preview.html", status=409, draft=draft, ready=False, check=check, job=None, pages=[],
                         error="Fix the problems in the tables first: a draft with problems cannot be built.")
    return _start_job(request, desk, draft, "preview",
                      preview_url=f"{str(request.base_url).rstrip('/')}/preview/{draft.id}")


def _start_job(request: Request, desk: Desk, draft: Draft, kind: str, **options):
    try:
        job = desk.jobs.start(kind, draft.id, desk.person(request), **options)
    except Busy as exc:
        running = exc.args[0] or {}
        return desk.page(request, "busy.html", status=409, draft=draft, running=running)
    return desk.redirect(request, f"/drafts/{draft.id}/status?job={job}")


@signed_in
async def status_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    job = desk.jobs.status(request.query_params.get("job", ""))
    if job is None or job.get("draft") != draft.id:
        job = _job_for(desk, draft)
    if job is None:
        raise HTTPException(404, "There is no build for this draft.")
    return desk.page(request, "status.html", draft=draft, job=job, stages=pipeline.STAGES)


@signed_in
async def status_json(request: Request, desk: Desk):
    draft = desk.draft(request)
    job = desk.jobs.status(request.query_params.get("job", ""))
    if job is None or job.get("draft") != draft.id:
        raise HTTPException(404, "There is no such build.")
    words = {s.name: s.words for s in pipeline.STAGES}
    return JSONResponse({"state": job["state"], "stage": job.get("stage"),
                         "stage_words": words.get(job.get("stage") or "", ""), "message": job.get("message", "")})


@signed_in
async def approval_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    refusal = _approval_refusal(desk, draft, desk.person(request))
    return desk.page(request, "approval.html", draft=draft, check=draft.check, approvers=desk.settings.desk.approvers,
                     error=None, can_approve=refusal is None, why_not=refusal)


def _approval_refusal(desk: Desk, draft: Draft, who: str) -> str | None:
    check = draft.check
    if draft.state == "published":
        return "This draft has already been published."
    if not check or check["problems"]:
        return "The tables have problems or have not been checked: there is nothing to approve yet."
    if who in draft.uploaders or who == draft.meta.get("created_by"):
        return ("You uploaded tables to this draft, so you cannot approve it yourself: someone else must check it. "
                "That is the point of a second pair of eyes.")
    if who not in desk.settings.desk.approvers:
        named = ", ".join(desk.settings.desk.approvers) or "nobody yet"
        return (f"Only the people named in DESK_APPROVERS in the settings file can approve a draft ({named}). "
                "Ask one of them.")
    if draft.approval is not None:
        return f"{draft.approval['by']} has already approved this draft."
    return None


@signed_in
async def request_check(request: Request, desk: Desk):
    await desk.form(request)
    draft = desk.draft(request)
    who = desk.person(request)
    check = draft.check
    if not check or check["problems"]:
        return desk.page(request, "approval.html", status=409, draft=draft, check=check,
                         approvers=desk.settings.desk.approvers, can_approve=False,
                         error="Fix the problems in the tables first: a draft with problems cannot be checked.")
    if draft.state == "open":
        draft.meta["state"] = "awaiting-check"
        draft.meta["review"] = {"requested_by": who, "at": audit.now()}
        draft.save()
        audit.append(desk.config.audit_log, {"action": "check-requested", "who": who, "draft": draft.id})
    return desk.redirect(request, f"/drafts/{draft.id}/approval")


@signed_in
async def approve(request: Request, desk: Desk):
    await desk.form(request)
    draft = desk.draft(request)
    who = desk.person(request)
    refusal = _approval_refusal(desk, draft, who)
    if refusal:
        return desk.page(request, "approval.html", status=403, draft=draft, check=draft.check,
                         approvers=desk.settings.desk.approvers, error=refusal, can_approve=False)
    draft.meta["state"] = "approved"
    draft.meta["approval"] = {"by": who, "at": audit.now(), "data_digest": draft.data_digest()}
    draft.save()
    audit.append(desk.config.audit_log, {"action": "approve", "who": who, "draft": draft.id,
                                         "tables": draft.table_digests()})
    return desk.redirect(request, f"/drafts/{draft.id}/approval")


def _freezable(draft: Draft, frozen: Path) -> list[tuple[str, str]]:
    """Awarded rounds of the draft not yet frozen: (id, title)."""
    import csv

    path = draft.data / "rounds.csv"
    if not path.is_file():
        return []
    already = {p.name for p in (frozen / "rounds").iterdir()} if (frozen / "rounds").is_dir() else set()
    with open(path, newline="", encoding="utf-8-sig") as f:
        return [(r["round_id"], r.get("title") or r["round_id"]) for r in csv.DictReader(f)
                if r.get("status") == "awarded" and r.get("round_id") and r["round_id"] not in already]


@signed_in
async def publish_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    return desk.page(request, "publish.html", draft=draft, check=draft.check, errors={},
                     rounds=_freezable(draft, desk.config.frozen), reason="")


@signed_in
async def publish(request: Request, desk: Desk):
    fields = await desk.form(request)
    draft = desk.draft(request)
    who = desk.person(request)
    rounds = _freezable(draft, desk.config.frozen)
    freeze = fields.get("freeze") or None
    without_check = fields.get("mode") == "without-check"
    reason = fields.get("reason", "") if without_check else None
    errors = {}
    if freeze and freeze not in {r for r, _ in rounds}:
        errors["freeze"] = "Choose one of the rounds listed, or not to freeze a round."
    try:
        can_publish(draft, desk.settings, PublishRequest(who, freeze, reason))
    except DraftError as exc:
        errors["reason" if without_check else "publish"] = str(exc)
    if errors:
        return desk.page(request, "publish.html", status=400, draft=draft, check=draft.check, errors=errors,
                         rounds=rounds, reason=reason or "")
    return _start_job(request, desk, draft, "publish", freeze=freeze, reason=reason)


@signed_in
async def finish_interrupted(request: Request, desk: Desk):
    await desk.form(request)
    try:
        desk.jobs.start("recover", None, desk.person(request))
    except Busy:
        pass
    return desk.redirect(request, "/")


@signed_in
async def history(request: Request, desk: Desk):
    return desk.page(request, "history.html", lines=list(reversed(audit.read(desk.config.audit_log))))


@signed_in
async def template_file(request: Request, desk: Desk):
    from ..sources.schemas import load_schema
    from ..sources.spreadsheets import write_template

    table = request.path_params["table"]
    if table not in TABLE_ORDER:
        raise HTTPException(404, "There is no table with that name.")
    target = desk.config.drafts / ".templates" / f"{table}.xlsx"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        await run_in_threadpool(write_template, load_schema(table), target)
    return FileResponse(target, filename=f"{table}.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- the preview site and the desk's own files ---------------------------------------------------------------


@signed_in
async def preview_file(request: Request, desk: Desk):
    try:
        draft = desk.drafts.get(request.path_params["draft"])
    except KeyError:
        raise HTTPException(404, "There is no preview with that name.") from None
    root = draft.preview.resolve()
    path = request.path_params.get("path", "")
    parts = [p for p in path.split("/") if p]
    if any(p in ("..", ".") or p.startswith(".") or "\\" in p or "\x00" in p for p in parts) or not root.is_dir():
        raise HTTPException(404, "There is no such page in the preview.")
    target = root.joinpath(*parts).resolve() if parts else root
    if not target.is_relative_to(root):
        raise HTTPException(404, "There is no such page in the preview.")
    if target.is_dir():
        if path and not path.endswith("/"):
            return RedirectResponse(request.url.path + "/", status_code=301)
        target = target / "index.html"
    if not target.is_file():
        raise HTTPException(404, "There is no such page in the preview.")
    if target.suffix == ".html":
        text = target.read_text(encoding="utf-8")
        response = HTMLResponse(_with_preview_banner(text, draft))
    else:
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        response = FileResponse(target, media_type=kind)
    response.headers["content-security-policy"] = PREVIEW_CSP
    return response


SKIP_LINK = re.compile(r'(<a href="#main-content" class="govuk-skip-link"[^>]*>.*?</a>)', re.S)
BODY = re.compile(r"(<body[^>]*>)", re.I)


def _with_preview_banner(text: str, draft: Draft) -> str:
    banner = (
        '<div class="govuk-notification-banner dps-preview-banner" role="region" aria-labelledby="dps-preview-title">'
        '<div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title" '
        'id="dps-preview-title">Preview</h2></div><div class="govuk-notification-banner__content">'
        f'<p class="govuk-notification-banner__heading">This is a preview of draft {html.escape(draft.id)}. '
        'It is not published.</p>'
        f'<p class="govuk-body"><a class="govuk-notification-banner__link" href="/drafts/{html.escape(draft.id)}">'
        'Back to the draft at the publishing desk</a></p></div></div>')
    if SKIP_LINK.search(text):
        return SKIP_LINK.sub(lambda m: m.group(1) + banner, text, count=1)
    return BODY.sub(lambda m: m.group(1) + banner, text, count=1)


async def asset(request: Request):
    desk: Desk = request.app.state.desk
    name = request.path_params["name"]
    if name == "govuk.css":
        css = desk.__dict__.get("_govuk_css")
        if css is None:
            css = desk.__dict__["_govuk_css"] = site_css()
        return Response(css, media_type="text/css", headers={"cache-control": "max-age=3600"})
    if name in ("desk.css", "desk.js"):
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        return FileResponse(HERE / "static" / name, media_type=kind, headers={"cache-control": "no-cache"})
    raise HTTPException(404, "There is no such file.")


async def http_error(request: Request, exc: HTTPException):
    desk: Desk = request.app.state.desk
    titles = {403: "This could not be done", 404: "Page not found", 405: "Page not found", 409: "Wait for the build",
              413: "The file is too large"}
    return desk.page(request, "error.html", status=exc.status_code, title=titles.get(exc.status_code, "Sorry"),
                     message=exc.detail if exc.status_code != 405 else "There is no such page.")


class SecurityHeaders:
    """Every response: a Content-Security-Policy without inline script, no framing, no sniffing, no caching."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                for key, value in ((b"content-security-policy", DESK_CSP.encode()),
                                   (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                                   (b"referrer-policy", b"same-origin"), (b"cache-control", b"no-store"),
                                   (b"cross-origin-opener-policy", b"same-origin")):
                    if key not in present:
                        headers.append((key, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def create_app(config: DeskConfig, settings: PublishSettings | None = None) -> Starlette:
    settings = settings or config.load_settings()
    routes = [
        Route("/", home),
        Route("/sign-in", sign_in, methods=["GET", "POST"]),
        Route("/sign-out", sign_out, methods=["POST"]),
        Route("/drafts", new_draft, methods=["POST"]),
        Route("/drafts/{draft}", task_list),
        Route("/drafts/{draft}/upload", upload_page, methods=["GET"]),
        Route("/drafts/{draft}/upload", upload, methods=["POST"]),
        Route("/drafts/{draft}/check", check_page, methods=["GET"]),
        Route("/drafts/{draft}/check", check_again, methods=["POST"]),
        Route("/drafts/{draft}/marked/{file}", marked),
        Route("/drafts/{draft}/changes", changes_page),
        Route("/drafts/{draft}/preview", preview_page, methods=["GET"]),
        Route("/drafts/{draft}/preview", start_preview, methods=["POST"]),
        Route("/drafts/{draft}/status", status_page),
        Route("/drafts/{draft}/status.json", status_json),
        Route("/drafts/{draft}/approval", approval_page),
        Route("/drafts/{draft}/request-check", request_check, methods=["POST"]),
        Route("/drafts/{draft}/approve", approve, methods=["POST"]),
        Route("/drafts/{draft}/publish", publish_page, methods=["GET"]),
        Route("/drafts/{draft}/publish", publish, methods=["POST"]),
        Route("/finish-publication", finish_interrupted, methods=["POST"]),
        Route("/history", history),
        Route("/templates/{table}.xlsx", template_file),
        Route("/preview/{draft}/{path:path}", preview_file),
        Route("/assets/{name}", asset),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.desk = Desk(config, settings)
    app.add_middleware(SecurityHeaders)
    return app


def check_can_start(config: DeskConfig, settings: PublishSettings) -> None:
    """Refuse to listen on a shared address unless the desk can know who is there."""
    if is_loopback(config.host):
        return
    users = Users.load(config.users)
    proxy = bool(settings.desk.user_header and settings.desk.trusted_proxies)
    if not users.hashes and not proxy:
        raise AuthError(
            f"The desk will not listen on {config.host}, an address other people can reach, until it knows who is "
            f"who. Add the people who publish first, one at a time: dps-publish desk add-user \"Their Name\" "
            f"(users are kept in {config.users}). Or run it on this computer only, with --host 127.0.0.1.")


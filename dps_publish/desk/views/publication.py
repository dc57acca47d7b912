"""Preview, a build's progress, asking for a check, approving, publishing and the history."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ... import pipeline
from .. import audit
from ..approvals import approval_refusal, approvers_words, is_approver
from ..drafts import Draft, DraftError
from ..freezing import freezable_rounds
from ..going_live import plan_from_preview, public_now
from ..jobs import Busy
from ..previews import start_pages
from ..publishing import NotAllowed, PublishRequest, can_publish, only_live_left, pending
from ..tasks import preview_ready
from ..web import Desk, signed_in
from .checking import refuse_while_held
from .drafts import job_for, start_draft

NOT_CHECKED = "Fix the problems in the tables first: a draft with problems cannot be {}."


@signed_in
async def preview_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    ready = preview_ready(draft)
    return desk.page(request, "preview.html", draft=draft, ready=ready, check=draft.check,
                     job=job_for(desk, draft), pages=start_pages(draft) if ready else [])


@signed_in
async def start_preview(request: Request, desk: Desk):
    await desk.form(request)
    draft = desk.draft(request)
    check = draft.check
    if not check or check["problems"]:
        return desk.page(request, "preview.html", status=409, draft=draft, ready=False, check=check, job=None, pages=[],
                         error=NOT_CHECKED.format("built"))
    return start_job(request, desk, draft, "preview",
                     preview_url=f"{desk.address}/preview/{draft.id}")  # never the request's Host


def start_job(request: Request, desk: Desk, draft: Draft, kind: str, **options):
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
        job = job_for(desk, draft)
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
                         "stage_words": words.get(job.get("stage") or "", job.get("stage_words") or ""), "message": job.get("message", "")})


def _approval_page(request: Request, desk: Desk, draft: Draft, status: int = 200, error: str | None = None):
    refusal = approval_refusal(draft, desk.person(request), desk.settings.desk.approvers)
    return desk.page(request, "approval.html", status=status, draft=draft, check=draft.check,
                     approvers=desk.settings.desk.approvers, error=error,
                     can_approve=refusal is None and error is None, why_not=refusal)


@signed_in
async def approval_page(request: Request, desk: Desk):
    return _approval_page(request, desk, desk.draft(request))


@signed_in
async def request_check(request: Request, desk: Desk):
    await desk.form(request)
    draft = desk.draft(request)
    who = desk.person(request)
    refuse_while_held(desk, draft)
    check = draft.check
    if not check or check["problems"]:
        return _approval_page(request, desk, draft, status=409, error=NOT_CHECKED.format("checked"))

    def asking(meta: dict) -> bool:
        if meta["state"] != "open":
            return False
        meta["state"] = "awaiting-check"
        meta["review"] = {"requested_by": who, "at": audit.now()}
        return True

    if draft.update(asking):
        audit.append(desk.config.audit_log, {"action": "check-requested", "who": who, "draft": draft.id})
    return desk.redirect(request, f"/drafts/{draft.id}/approval")


@signed_in
async def approve(request: Request, desk: Desk):
    await desk.form(request)
    draft = desk.draft(request)
    who = desk.person(request)
    refuse_while_held(desk, draft)

    def approving(meta: dict) -> str | None:  # on draft.json as it is now, under the draft's lock
        refusal = approval_refusal(draft, who, desk.settings.desk.approvers)
        if refusal is None:
            meta["state"] = "approved"  # of the tables checked, which ``draft.check`` says the draft holds now
            meta["approval"] = {"by": who, "at": audit.now(), "data_digest": draft.check["data_digest"],
                                "tables": draft.table_digests()}
        return refusal

    refusal = draft.update(approving)
    if refusal:
        return _approval_page(request, desk, draft, status=403, error=refusal)
    audit.append(desk.config.audit_log, {"action": "approve", "who": who, "draft": draft.id,
                                         "tables": draft.meta["approval"]["tables"]})
    return desk.redirect(request, f"/drafts/{draft.id}/approval")


@signed_in
async def publish_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    return desk.page(request, "publish.html", draft=draft, check=draft.check, errors={},
                     rounds=freezable_rounds(draft.data, desk.config.frozen), reason="",
                     public=public_now(desk.config, desk.settings), plan=await _plan(desk, draft))


async def _plan(desk: Desk, draft: Draft) -> dict | None:
    """What Publish would send to the web host, from the draft's preview (None: no web host, or nothing to plan
    from); asking the host happens off the event loop."""
    check = draft.check
    if desk.settings.web_host is None or draft.state == "published" or not check or check["problems"]:
        return None
    if not preview_ready(draft):
        return {"no_preview": True}
    return await run_in_threadpool(plan_from_preview, desk.config, desk.settings, draft.preview)


@signed_in
async def publish(request: Request, desk: Desk):
    fields = await desk.form(request)
    draft = desk.draft(request)
    who = desk.person(request)
    rounds = freezable_rounds(draft.data, desk.config.frozen)
    freeze = fields.get("freeze") or None
    without_check = fields.get("mode") == "without-check"
    reason = fields.get("reason", "") if without_check else None
    errors, status = {}, 400
    if freeze and freeze not in {r for r, _ in rounds}:
        errors["freeze"] = "Choose one of the rounds listed, or not to freeze a round."
    try:
        can_publish(draft, desk.settings, PublishRequest(who, freeze, reason))
    except DraftError as exc:
        errors["reason" if without_check else "publish"] = str(exc)
        status = 403 if isinstance(exc, NotAllowed) else status
    if errors:
        return desk.page(request, "publish.html", status=status, draft=draft, check=draft.check, errors=errors,
                         rounds=rounds, reason=reason or "", public=public_now(desk.config, desk.settings),
                         plan=await _plan(desk, draft))
    return start_job(request, desk, draft, "publish", freeze=freeze, reason=reason)


@signed_in
async def finish_interrupted(request: Request, desk: Desk):
    await desk.form(request)
    who = desk.person(request)
    if not is_approver(who, desk.settings.desk.approvers):
        raise HTTPException(403, "Only the people named in DESK_APPROVERS in the settings file can finish an "
                                 f"interrupted publication ({approvers_words(desk.settings.desk.approvers)}): it "
                                 "publishes what was approved, or undoes it. Ask one of them.")
    try:
        desk.jobs.start("recover", None, who)
    except Busy:
        pass
    return desk.redirect(request, "/")


@signed_in
async def history(request: Request, desk: Desk):
    return _history_page(request, desk)


def _history_page(request: Request, desk: Desk, status: int = 200, error: str | None = None, reason: str = ""):
    log = desk.config.audit_log
    who = desk.person(request)
    journal = pending(desk.config)
    waiting = journal if only_live_left(journal) else None
    job = desk.jobs.status(request.query_params.get("job", ""))
    if job is not None and job.get("kind") not in ("rollback", "live"):
        job = None
    return desk.page(request, "history.html", status=status, lines=list(reversed(audit.read(log))),
                     broken=audit.verify(log), public=public_now(desk.config, desk.settings), waiting=waiting,
                     can_try_again=waiting is not None and _may_try_again(desk, who, waiting),
                     can_put_back=is_approver(who, desk.settings.desk.approvers), job=job, error=error,
                     reason=reason)


def _may_try_again(desk: Desk, who: str, journal: dict) -> bool:
    """Whoever published it, or an approver: trying again sends what was already published, nothing new."""
    return who == journal["by"] or is_approver(who, desk.settings.desk.approvers)


@signed_in
async def try_again(request: Request, desk: Desk):
    await desk.form(request)
    who = desk.person(request)
    journal = pending(desk.config)
    if not only_live_left(journal):
        return desk.redirect(request, "/history")
    if not _may_try_again(desk, who, journal):
        raise HTTPException(403, f"Only {journal['by']}, who published it, or the people named in DESK_APPROVERS in "
                                 f"the settings file ({approvers_words(desk.settings.desk.approvers)}) can try "
                                 "sending it to the web host again. Ask one of them.")
    try:
        job = desk.jobs.start("live", journal["draft"], who)
    except Busy:
        return _history_page(request, desk, 409, "Something is being built or published now. Wait for it to "
                                                 "finish, then try again.")
    return desk.redirect(request, f"/drafts/{journal['draft']}/status?job={job}")


@signed_in
async def put_back(request: Request, desk: Desk):
    fields = await desk.form(request)
    who = desk.person(request)
    reason = fields.get("reason", "").strip()
    if not is_approver(who, desk.settings.desk.approvers):
        raise HTTPException(403, "Only the people named in DESK_APPROVERS in the settings file can put back the "
                                 f"previous version ({approvers_words(desk.settings.desk.approvers)}). Ask one of them.")
    if len(reason) < 10:
        return _history_page(request, desk, 400, "Say why the previous version is put back, in a sentence (at least "
                                                 "10 characters): it is kept in the history.", reason)
    try:
        job = desk.jobs.start("rollback", None, who, reason=reason)
    except Busy:
        return _history_page(request, desk, 409, "Something is being built or published now. Wait for it to "
                                                 "finish, then try again.", reason)
    return desk.redirect(request, f"/history?job={job}#public-site")


@signed_in
async def reopen_round(request: Request, desk: Desk):
    """After a put-back: a draft of the newer round that ``data/`` still holds, to correct and publish again."""
    await desk.form(request)
    who = desk.person(request)
    if not is_approver(who, desk.settings.desk.approvers):
        raise HTTPException(403, "Only the people named in DESK_APPROVERS in the settings file can reopen the newer "
                                 f"round as a draft ({approvers_words(desk.settings.desk.approvers)}). Ask one of "
                                 "them, or start a new draft from the list of drafts.")
    draft = await start_draft(desk, who, reason="the newer round reopened as a draft after the previous version of "
                                                "the public site was put back")
    return desk.redirect(request, f"/drafts/{draft.id}")

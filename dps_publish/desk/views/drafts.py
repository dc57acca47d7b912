"""The home page, starting a draft, its task list and uploading tables to it."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ...cache import file_digest
from ...sources.schemas import TABLE_ORDER
from .. import audit
from ..approvals import approvers_words, is_approver
from ..auth import token_ok
from ..drafts import Draft
from ..publishing import pending
from ..tasks import task_list as tasks_of
from ..uploads import Limits, UploadRefused, receive_upload
from ..web import CSRF_WORDS, Desk, signed_in
from .checking import record_check, refuse_while_held

PUBLISHED = "This draft has already been published. Start a new draft."


@signed_in
async def home(request: Request, desk: Desk):
    return desk.page(request, "home.html", drafts=desk.drafts.all(), interrupted=pending(desk.config),
                     job=desk.jobs.latest(), can_finish=is_approver(desk.person(request), desk.settings.desk.approvers),
                     approvers=approvers_words(desk.settings.desk.approvers))


@signed_in
async def new_draft(request: Request, desk: Desk):
    await desk.form(request)
    draft = await start_draft(desk, desk.person(request))
    return desk.redirect(request, f"/drafts/{draft.id}")


async def start_draft(desk: Desk, who: str, **noted) -> Draft:
    """A new draft of the tables published now (``data/``), kept in the audit log with what ``noted`` adds."""
    draft = await run_in_threadpool(desk.drafts.create, desk.config.data, who)
    audit.append(desk.config.audit_log, {"action": "draft-started", "who": who, "draft": draft.id, **noted})
    return draft


def job_for(desk: Desk, draft: Draft) -> dict | None:
    job = desk.jobs.latest()
    return job if job and job.get("draft") == draft.id else None


@signed_in
async def task_list(request: Request, desk: Desk):
    draft = desk.draft(request)
    return desk.page(request, "draft.html", draft=draft, tasks=tasks_of(draft), job=job_for(desk, draft))


def limits(desk: Desk) -> Limits:
    return Limits(file_bytes=desk.settings.desk.max_file_mb * 1024 ** 2,
                  payments_bytes=desk.settings.desk.max_payments_mb * 1024 ** 2)


def _upload_page(request: Request, desk: Desk, draft: Draft, errors: list[str], status: int = 200):
    return desk.page(request, "upload.html", status=status, draft=draft, tables=TABLE_ORDER, limits=limits(desk),
                     errors=errors, files=draft.table_files())


@signed_in
async def upload_page(request: Request, desk: Desk):
    return _upload_page(request, desk, desk.draft(request), [])


@signed_in
async def upload(request: Request, desk: Desk):
    draft = desk.draft(request)
    if draft.state == "published":
        raise HTTPException(409, PUBLISHED)
    refuse_while_held(desk, draft)  # before a byte is read
    session = desk.session(request)
    who = desk.person(request)
    draft.incoming.mkdir(exist_ok=True)
    try:
        received = await receive_upload(request, draft.incoming, limits(desk), lambda t: token_ok(session, t))
    except UploadRefused as exc:
        if exc.csrf:
            raise HTTPException(403, CSRF_WORDS) from None
        return _upload_page(request, desk, draft, [str(exc)], status=400)
    if not received.files:
        return _upload_page(request, desk, draft,
                            received.refusals or ["Choose one or more CSV or Excel files to upload."], status=400)
    taken = [{"by": who, "at": audit.now(), "name": file.display_name, "table": file.table, "how": file.how,
              "bytes": file.size, "sha256": file_digest(file.path)} for file in received.files]

    def placing(meta: dict) -> str | None:
        """Under the draft's lock: refused if a build began while the files arrived; else who uploaded is
        recorded first, then the files take their tables' places."""
        why = PUBLISHED if meta["state"] == "published" else desk.jobs.holding(draft.id)
        if why:
            return why
        draft.record_upload(taken)
        for file, entry in zip(received.files, taken):
            target = draft.place_upload(file.path, file.table, file.kind)
            entry["stored"] = target.name
            if file.kind == "xlsx":
                from ..marked import unmark

                unmark(target)  # the marked workbook, fixed and uploaded again
        draft.reopen()
        meta["last_upload"] = {"files": taken, "refusals": received.refusals}
        return None

    held = await run_in_threadpool(draft.update, placing)
    if held:
        for file in received.files:
            file.path.unlink(missing_ok=True)
        raise HTTPException(409, held)
    audit.append(desk.config.audit_log, {"action": "upload", "who": who, "draft": draft.id,
                                         "files": [{k: e[k] for k in ("name", "table", "sha256")} for e in taken]})
    await record_check(desk, draft, who)
    return desk.redirect(request, f"/drafts/{draft.id}/check")

"""Checking the tables, the marked workbook and what will change."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse

from .. import audit
from ..checking import problem_of, problems_by_file, run_check
from ..drafts import Draft
from ..marked import mark_problems
from ..uploads import display_name
from ..web import Desk, signed_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def refuse_while_held(desk: Desk, draft: Draft) -> None:
    """A plain page (409) saying why the draft cannot change now: a build of it, or a publication, is running."""
    held = desk.jobs.holding(draft.id)
    if held:
        raise HTTPException(409, held)


async def record_check(desk: Desk, draft: Draft, who: str) -> dict:
    """Check the draft's tables (one check at a time) and keep the result with the draft and in the history."""
    async with desk.check_lock:
        result = await run_in_threadpool(run_check, desk.config, desk.settings, draft)
    draft.change(check={**result, "by": who, "at": audit.now()})
    audit.append(desk.config.audit_log, {"action": "check", "who": who, "draft": draft.id,
                                         "problems": len(result["problems"]), "counts": result["counts"]})
    return result


@signed_in
async def check_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    by_file = problems_by_file(draft.check)
    return desk.page(request, "check.html", draft=draft, check=draft.check, by_file=by_file,
                     markable={name for name in by_file if (draft.data / name).is_file()})


@signed_in
async def check_again(request: Request, desk: Desk):
    await desk.form(request)
    draft = desk.draft(request)
    refuse_while_held(desk, draft)
    await record_check(desk, draft, desk.person(request))
    return desk.redirect(request, f"/drafts/{draft.id}/check")


@signed_in
async def marked(request: Request, desk: Desk):
    draft = desk.draft(request)
    check = draft.check
    name = request.path_params["file"]
    files = {p.name: p for p in draft.table_files().values()}
    if check is None or name not in files:
        raise HTTPException(404, "There is no file with that name in this draft, or it has not been checked.")
    problems = [problem_of(p) for p in check["problems"] if p["file"] == name]
    target = draft.folder / "marked" / f"{Path(name).stem}-problems-marked.xlsx"
    target.parent.mkdir(exist_ok=True)
    await run_in_threadpool(mark_problems, files[name], problems, target)
    return FileResponse(target, filename=f"{Path(display_name(name)).stem}-problems-marked.xlsx", media_type=XLSX)


@signed_in
async def changes_page(request: Request, desk: Desk):
    draft = desk.draft(request)
    check = draft.check
    if check and not check["problems"] and draft.meta.get("seen_changes") != check["data_digest"]:
        draft.change(seen_changes=check["data_digest"])
    return desk.page(request, "changes.html", draft=draft, check=check)

"""Files the desk serves: the preview site, the blank templates, its own styles and script; and its error page."""

from __future__ import annotations

import mimetypes

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ...site.assets import site_css
from ...sources.schemas import TABLE_ORDER, load_schema
from ...sources.spreadsheets import write_template
from ..previews import find_preview_file, with_preview_banner
from ..web import HERE, Desk, desk_of, signed_in
from .checking import XLSX

# What the built site needs: Pagefind's search runs WebAssembly; nothing inline, nothing from elsewhere.
PREVIEW_CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
               "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'self'; object-src 'none'")


@signed_in
async def template_file(request: Request, desk: Desk):
    table = request.path_params["table"]
    if table not in TABLE_ORDER:
        raise HTTPException(404, "There is no table with that name.")
    target = desk.config.drafts / ".templates" / f"{table}.xlsx"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        await run_in_threadpool(write_template, load_schema(table), target)
    return FileResponse(target, filename=f"{table}.xlsx", media_type=XLSX)


@signed_in
async def preview_file(request: Request, desk: Desk):
    try:
        draft = desk.drafts.get(request.path_params["draft"])
    except KeyError:
        raise HTTPException(404, "There is no preview with that name.") from None
    path = request.path_params.get("path", "")
    found = find_preview_file(draft.preview, path)
    if found is None:
        raise HTTPException(404, "There is no such page in the preview.")
    if found.redirect:
        return RedirectResponse(request.url.path + "/", status_code=301)
    if found.file.suffix == ".html":
        response = HTMLResponse(with_preview_banner(found.file.read_text(encoding="utf-8"), draft))
    else:
        kind = mimetypes.guess_type(found.file.name)[0] or "application/octet-stream"
        response = FileResponse(found.file, media_type=kind)
    response.headers["content-security-policy"] = PREVIEW_CSP
    return response


async def asset(request: Request):
    desk = desk_of(request)
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


async def http_error(request: Request, exc: HTTPException) -> HTMLResponse:
    desk = desk_of(request)
    titles = {400: "This could not be done", 403: "This could not be done", 404: "Page not found",
              405: "Page not found", 409: "Wait for the build", 413: "The file is too large",
              429: "Wait a moment", 503: "The desk cannot do this now"}
    return desk.page(request, "error.html", status=exc.status_code, title=titles.get(exc.status_code, "Sorry"),
                     message=exc.detail if exc.status_code != 405 else "There is no such page.")

"""The desk's side of going live: the ``live`` step of a publication, trying it again, putting back the previous
version, and what History says about the public site. The sending itself is ``hosts.deploy``, the one publish
sequence the command line shares.

A failure here never undoes the local publication: ``data/``, ``published/`` and ``output/`` stand, the public site
still shows the previous version, and the journal keeps the ``live`` step for "Try again" (or the desk's next
start) to run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ..hosts.base import HostError
from ..hosts.commands import DATA_STILL_NEWER
from ..hosts.deploy import deploy, rollback, target_of
from ..hosts.log import DeployLog
from ..hosts.plan import DeletionsRefused
from ..hosts.secrets import load_secrets
from ..settings import PublishSettings
from . import audit
from .config import DeskConfig

Progress = Callable[[str, int, int], None]
STILL_PREVIOUS = "The public site still shows the previous version."


class LiveFailed(Exception):
    """Going live (or putting back) failed; the message says why in words and what the public sees now."""


def step_words(step: str, done: int, of: int) -> str:
    if step == "upload":
        return f"Sending {done:,} of {of:,} files to the web host"
    return f"Checking {done:,} of {of:,} files from the public address"


def go_live(config: DeskConfig, settings: PublishSettings, publication: str, by: str,
            on_progress: Progress | None = None, on_plan: Callable[[str], None] | None = None) -> dict:
    """Send ``output/`` to the web host of the settings; what happened, for the job's status and the audit log."""
    secrets = load_secrets(config.users)
    try:
        outcome = deploy(config.output, target_of(settings), secrets, config.cache, by=by, on_progress=on_progress,
                         on_plan=(lambda plan: on_plan(plan.summary())) if on_plan else None)
    except DeletionsRefused as exc:
        raise LiveFailed(_with_previous(secrets.redact(str(exc)))) from None
    except HostError as exc:
        raise LiveFailed(_with_previous(secrets.redact(str(exc)))) from None
    checked = outcome.verification.checked if outcome.verification else 0
    return {"publication": publication, "release": outcome.release, "where": outcome.where,
            "address": outcome.address, "checked": checked,
            "plan": outcome.plan.summary() if outcome.plan else None, "up_to_date": outcome.action == "up-to-date"}


def plan_from_preview(config: DeskConfig, settings: PublishSettings, preview: Path) -> dict:
    """What Publish would send, planned from the draft's preview against the release the web host serves now (the
    one publish sequence, dry run): ``{"summary": "37 files to upload, 2.1 MB; 0 to delete"}``, or
    ``{"problem": words}`` when the host cannot be asked (never an error page). The preview is built for the desk's
    address, so its pages differ from the publication's a little: the page says the plan is from the preview."""
    secrets = load_secrets(config.users)
    try:
        outcome = deploy(preview, target_of(settings), secrets, config.cache, dry_run=True)
    except DeletionsRefused as exc:
        return {"problem": secrets.redact(f"The preview would remove {len(exc.removed):,} of {exc.live_count:,} "
                                          "files from the public site: publishing it would be refused unless "
                                          "someone gives the reason. Look at the preview for missing pages.")}
    except HostError as exc:
        return {"problem": secrets.redact(f"The web host could not be asked what it serves now, so the plan is not "
                                          f"known yet: {exc}")}
    plan = outcome.plan
    return {"summary": plan.summary(), "upload": len(plan.upload), "delete": len(plan.delete),
            "live": outcome.previous, "notes": [secrets.redact(n) for n in outcome.notes]}


def live_words(live: dict) -> str:
    if live.get("up_to_date"):
        return f"Live at {live['address']}: the web host already served this version (release {live['release']})."
    return f"Live at {live['address']}, {live['checked']:,} files checked from the public address."


def put_back(config: DeskConfig, settings: PublishSettings, who: str, reason: str,
             on_progress: Progress | None = None) -> dict:
    """The version the public read before the live one, live again byte for byte; kept in the audit log."""
    secrets = load_secrets(config.users)
    try:
        outcome = rollback(target_of(settings), secrets, config.cache, reason=reason, by=who,
                           on_progress=on_progress)
    except HostError as exc:
        raise LiveFailed(_with_previous(secrets.redact(str(exc)), "now")) from None
    audit.append(config.audit_log, {"action": "rollback", "who": who, "reason": secrets.redact(reason.strip()),
                                    "release": outcome.release, "replaced": outcome.previous,
                                    "where": outcome.where, "address": outcome.address})
    return {"release": outcome.release, "replaced": outcome.previous, "address": outcome.address}


def rollback_words(back: dict) -> str:
    return (f"The version of {day_of(back['release'])} (release {back['release']}) is live again at "
            f"{back['address']}. {DATA_STILL_NEWER}")


def public_now(config: DeskConfig, settings: PublishSettings) -> dict | None:
    """Which release the public reads now, since when, and the one before it (what "Put back" would make live)."""
    if settings.web_host is None:
        return None
    events = [e for e in DeployLog(config.cache).events() if e.get("live")]
    if not events:
        return {"release": None, "at": None, "where": None, "address": settings.site_url, "previous": None,
                "previous_day": None, "put_back": False}
    last = events[-1]
    before = DeployLog(config.cache).live_before(last["release"], last.get("where", ""))
    return {"release": last["release"], "at": last.get("at"), "where": last.get("where"),
            "address": last.get("address"), "previous": before, "previous_day": day_of(before) if before else None,
            "put_back": last.get("action") == "rollback"}


def day_of(release: str) -> str:
    """'3 March' from a release id, which starts with its UTC date and time (``20260303T101500Z-…``)."""
    try:
        day = dt.datetime.strptime(release[:8], "%Y%m%d")
    except ValueError:
        return release
    return f"{day.day} {day:%B %Y}"


def _with_previous(text: str, now: str = "still") -> str:
    if "previous version" in text or "first version" in text:
        return text
    return f"{text} The public site {now} shows the previous version."

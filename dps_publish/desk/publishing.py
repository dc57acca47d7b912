"""Publishing a draft, in an order that survives a crash at any step.

What is published is what was approved: before anything else the draft's
tables are copied once, under the draft's lock, into the publication's own
folder (``<drafts>/.publishing/<publication>/data``), and the copy's digest must
be the approval's (or, published without a check, the check's). The journal
keeps that digest; every step below reads the copy, never the draft, so an
upload that reached the draft afterwards cannot be built, swapped in or
committed as approved.

1. **prepare**: the frozen rounds as they will be (a copy of ``published/``
   with the round frozen, when the person asked, and the note of a release
   published without a check), in a staging folder under the drafts;
2. **build**: the copied tables built exactly as ``dps-publish build`` does,
   swapped in for ``output/`` in one step (``pipeline.build``);
3. **data**: the copied tables swapped in for ``data/`` in one step;
4. **frozen**: what is new in the staging folder moved into ``published/``;
5. **audit**: the line appended to ``published/audit.jsonl``;
6. **git**: when the publisher's folder is a git repository, ``data/`` and
   ``published/`` committed with a message from the audit line;
7. **live**: only when the settings name a web host (``WEB_HOST``): ``output/``
   sent there by ``hosts.deploy`` and checked from the public address. The
   publication stands here whether or not this step succeeds: a failure keeps
   the journal, with the step still to do and why it failed, for "Try again"
   (``go_live_again``) or the desk's next start to run it again. A new
   publication replaces such a journal: its own live step sends the newer site.

Before the first step a journal (``<drafts>/publishing.json``) is written, and
each step is recorded in it when done. Every step can be run again safely, so
``recover`` at the next start finishes an interrupted publication; where it
cannot be finished (the draft is gone, its tables or the copy are no longer the
approved ones, or its build now fails) it is undone:
``data/`` and ``published/`` are as they were, and ``output/`` is rebuilt from
them if it had already been swapped.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import pipeline
from ..files import swap_in
from ..opendata.freeze import freeze_round
from ..opendata.publication import UNCHECKED
from ..problems import BuildError, DataProblems
from ..settings import PublishSettings
from . import audit
from .approvals import approvers_words, is_approver
from .config import DeskConfig
from .drafts import Draft, DraftError, DraftStore, data_digest, table_digests, write_json

JOURNAL = "publishing.json"
STEPS = ("prepare", "build", "data", "frozen", "audit", "git", "live", "done")
REASON_LIMIT = 1000
REASON_LEAST = 20  # "." or "urgent" says nothing to the public or to whoever reads the history


class NotAllowed(DraftError):
    """The person may not do this, whatever the draft holds."""


@dataclass(frozen=True)
class PublishRequest:
    by: str
    freeze: str | None = None  # a round to freeze with this publication
    reason: str | None = None  # given when publishing without a second check


@dataclass(frozen=True)
class Published:
    publication: str
    draft: str
    audit: dict
    committed: bool
    live: dict | None = None  # what going live did, when the settings name a web host
    live_error: str | None = None  # why it did not, in words


def journal_path(config: DeskConfig) -> Path:
    return config.drafts / JOURNAL


def pending(config: DeskConfig) -> dict | None:
    """The journal of a publication that was started and not finished, if any."""
    import json

    path = journal_path(config)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def can_publish(draft: Draft, settings: PublishSettings, request: PublishRequest) -> None:
    """Refuse, in words, what may not be published: an unchecked draft without a reason, a draft with problems,
    publishing without a check by anyone not named in ``DESK_APPROVERS`` or with a reason that says nothing."""
    if request.reason is not None and not is_approver(request.by, settings.desk.approvers):
        raise NotAllowed("Only the people named in DESK_APPROVERS in the settings file can publish without a check "
                         f"({approvers_words(settings.desk.approvers)}). Ask one of them to check and approve this "
                         "draft, then publish it.")
    check = draft.check
    if check is None:
        raise DraftError("Check the tables first: they have changed since they were last checked.")
    if check["problems"]:
        raise DraftError("The tables still have problems. Fix them and upload the files again before publishing.")
    if draft.state == "published":
        raise DraftError("This draft has already been published.")
    if request.reason is None:
        if draft.approval is None:
            raise DraftError("This draft has not been approved. Ask someone named in DESK_APPROVERS to check it, "
                             "or publish without a check and give the reason.")
    elif not request.reason.strip():
        raise DraftError("Give the reason for publishing without a check: it is published in the changelog.")
    elif len(request.reason.strip()) < REASON_LEAST:
        raise DraftError(f"Write the reason in at least {REASON_LEAST} characters (you wrote "
                         f"{len(request.reason.strip())}): say what was wrong and why it cannot wait for a check. "
                         "It is published in the changelog.")
    elif len(request.reason) > REASON_LIMIT:
        raise DraftError(f"Write the reason in {REASON_LIMIT} characters or fewer.")


def only_live_left(journal: dict | None) -> bool:
    """A publication done here whose going live failed or was interrupted: only its ``live`` step is left."""
    return bool(journal) and "git" in journal["done"] and "live" not in journal["done"]


def publish(config: DeskConfig, settings: PublishSettings, draft: Draft, request: PublishRequest,
            on_stage: Callable[[str], None] | None = None, on_live=None) -> Published:
    can_publish(draft, settings, request)
    if table_digests(config.data) != draft.meta.get("started_from"):
        raise DraftError("The published tables have changed since this draft was started (another draft was "
                         "published). Start a new draft and upload your files to it again.")
    if only_live_left(pending(config)):
        journal_path(config).unlink()  # this publication's live step sends the newer site
    if pending(config):
        raise DraftError("Another publication has not finished. Restart the desk to finish it first.")
    publication = f"{audit.now()[:10]}-{secrets.token_hex(3)}"
    approved, approved_by = _copy_approved(config, settings, draft, request, publication)
    journal = {
        "publication": publication,
        "draft": draft.id,
        "by": request.by,
        "approved_by": approved_by,
        "reason": request.reason.strip() if request.reason else None,
        "freeze": request.freeze,
        "data_digest": approved,
        "started_at": audit.now(),
        "done": [],
    }
    write_json(journal_path(config), journal)
    return _carry_on(config, settings, journal, on_stage, on_live=on_live)


def _copy_approved(config: DeskConfig, settings: PublishSettings, draft: Draft, request: PublishRequest,
                   publication: str) -> tuple[str, str | None]:
    """Copy the draft's tables, under its lock, for this publication alone; (their digest, who approved them).

    Refused when the copy is not what was approved (or, without a check, what was checked): tables that
    changed after the approval are never published as approved.
    """
    copy = _approved_copy(config, publication)
    copy.parent.mkdir(parents=True)
    try:
        with draft.locked():  # no upload lands in the middle of the copy
            can_publish(draft, settings, request)  # again, on draft.json as it is now
            vouched = draft.meta["approval"] if request.reason is None else draft.meta["check"]
            shutil.copytree(draft.data, copy)
        digest = data_digest(copy)
        if digest != vouched["data_digest"]:
            raise DraftError("The tables changed after they were " + ("approved" if request.reason is None else
                                                                      "checked")
                             + ", so nothing was published. Check them again, and have them approved again.")
    except BaseException:
        shutil.rmtree(copy.parent, ignore_errors=True)
        raise
    return digest, vouched["by"] if request.reason is None else None


def recover(config: DeskConfig, settings: PublishSettings, on_stage=None,
            who: str | None = None) -> tuple[str, str] | None:
    """Finish (or, failing that, undo) a publication the journal says was interrupted; what was done, in words.

    It is finished only from the copy of the approved tables, and only while the draft still holds them: a
    draft changed since (an upload after the interruption) has the publication undone, where that can still be
    done. ``who`` finished it (the desk itself at its start, or an approver).
    """
    journal = pending(config)
    if journal is None:
        return None
    if only_live_left(journal):
        return _live_again_words(go_live_again(config, settings, who or journal["by"]))
    try:
        result = _carry_on(config, settings, journal, on_stage, recovering=who or journal["by"])
        return "finished", f"The publication of draft {result.draft} that was interrupted has been finished."
    except (BuildError, DataProblems, DraftError, KeyError, OSError) as exc:
        if _undo(config, settings, journal, who or journal["by"]) is False:
            return "stuck", (f"The publication of draft {journal['draft']} that was interrupted could not be finished "
                             f"({exc}), and its tables are already in data/, so it cannot be undone either. Tell "
                             "whoever looks after the desk.")
        why = "its draft is no longer there" if isinstance(exc, KeyError) else f"it could not be finished ({exc})"
        return "undone", (f"The publication of draft {journal['draft']} that was interrupted has been undone, because "
                          f"{why}. The published tables and site are as they were before it.")


def go_live_again(config: DeskConfig, settings: PublishSettings, who: str, on_live=None) -> Published:
    """Run only the ``live`` step of the publication whose going live failed or was interrupted."""
    journal = pending(config)
    if not only_live_left(journal):
        raise DraftError("There is no publication waiting to go live: the public site already shows the last one.")
    draft = DraftStore(config.drafts).get(journal["draft"])
    line = next((line for line in reversed(audit.read(config.audit_log))
                 if line.get("publication") == journal["publication"] and line["action"].startswith("publish")), {})
    return _live_step(config, settings, journal, draft, line, who, on_live)


def _live_again_words(result: Published) -> tuple[str, str]:
    from .going_live import live_words

    if result.live_error:
        return "live-failed", (f"The publication of draft {result.draft} is done here, but it could not go live: "
                               f"{result.live_error}")
    return "live", f"The publication of draft {result.draft} has gone live. {live_words(result.live)}"


def _live_step(config: DeskConfig, settings: PublishSettings, journal: dict, draft: Draft, line: dict, who: str,
               on_live) -> Published:
    from .going_live import LiveFailed, go_live

    committed = bool((draft.meta.get("published") or {}).get("committed"))
    live, error = None, None
    try:
        live = go_live(config, settings, journal["publication"], who, **(on_live or {}))
    except LiveFailed as exc:
        error = str(exc)
    if error is None:
        audit.append(config.audit_log, {"action": "went-live", "who": who, "draft": draft.id,
                                        "publication": journal["publication"], **live})
        journal_path(config).unlink(missing_ok=True)
    else:
        journal["live_error"], journal["live_failed_at"] = error, audit.now()
        write_json(journal_path(config), journal)
        audit.append(config.audit_log, {"action": "live-failed", "who": who, "draft": draft.id,
                                        "publication": journal["publication"], "problem": error})
    return Published(journal["publication"], draft.id, line, committed, live, error)


def _staging(config: DeskConfig, journal: dict) -> Path:
    return config.drafts / ".publishing" / journal["publication"] / "published"


def _approved_copy(config: DeskConfig, publication: str) -> Path:
    return config.drafts / ".publishing" / publication / "data"


def _carry_on(config: DeskConfig, settings: PublishSettings, journal: dict, on_stage,
              recovering: str | None = None, on_live=None) -> Published:
    draft = DraftStore(config.drafts).get(journal["draft"])
    staging = _staging(config, journal)
    approved = _approved_copy(config, journal["publication"])
    if not journal.get("data_digest") or not approved.is_dir() or data_digest(approved) != journal["data_digest"]:
        raise DraftError("the copy of the approved tables is missing or was changed")
    if recovering and "data" not in journal["done"] and draft.data_digest() != journal["data_digest"]:
        raise DraftError("the draft's tables changed after the publication started: they are no longer the ones "
                         "approved")

    def done(step: str) -> None:
        journal["done"].append(step)
        write_json(journal_path(config), journal)

    if "prepare" not in journal["done"]:
        _prepare(config, settings, approved, journal, staging)
        done("prepare")
    if "build" not in journal["done"]:
        pipeline.build(config.project(settings, data=approved, frozen=staging), on_stage=on_stage)
        done("build")
    if "data" not in journal["done"]:
        _replace_data(config, approved, journal)
        done("data")
    if "frozen" not in journal["done"]:
        _move_frozen(staging, config.frozen)
        done("frozen")
    line = _audit_line(config, draft, journal, recovering)
    if "audit" not in journal["done"]:
        done("audit")
    committed = False
    if "git" not in journal["done"]:
        committed = _commit(config, line)
        done("git")
    draft.change(state="published", published={"publication": journal["publication"], "at": line["at"],
                                               "by": journal["by"], "committed": committed})
    shutil.rmtree(staging.parent, ignore_errors=True)
    if settings.web_host is not None:
        return _live_step(config, settings, journal, draft, line, recovering or journal["by"], on_live)
    journal_path(config).unlink(missing_ok=True)
    return Published(journal["publication"], draft.id, line, committed)


def _prepare(config: DeskConfig, settings: PublishSettings, approved: Path, journal: dict, staging: Path) -> None:
    import json

    shutil.rmtree(staging, ignore_errors=True)
    if config.frozen.is_dir():
        shutil.copytree(config.frozen, staging, ignore=shutil.ignore_patterns(audit.AUDIT_FILE))
    else:
        staging.mkdir()
    if journal["reason"]:
        notes = staging / UNCHECKED
        releases = json.loads(notes.read_text(encoding="utf-8")) if notes.is_file() else []
        releases.append({"published_on": journal["started_at"][:10], "reason": journal["reason"]})
        notes.write_text(json.dumps(releases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if journal["freeze"]:
        project = config.project(settings, data=approved, frozen=staging)
        freeze_round(pipeline.checked_model(project), settings, staging, journal["freeze"])


def _replace_data(config: DeskConfig, approved: Path, journal: dict) -> None:
    if data_digest(config.data) == journal["data_digest"]:
        return  # already replaced before an interruption
    new = config.data.with_name(f".{config.data.name}.publishing-{journal['publication']}")
    shutil.rmtree(new, ignore_errors=True)
    shutil.copytree(approved, new)
    swap_in(new, config.data)  # afterwards ``new`` holds the tables as they were
    shutil.rmtree(new, ignore_errors=True)


def _move_frozen(staging: Path, frozen: Path) -> None:
    """What the staging folder has that ``published/`` does not: the round frozen, the release note."""
    frozen.mkdir(parents=True, exist_ok=True)
    rounds = staging / "rounds"
    if rounds.is_dir():
        (frozen / "rounds").mkdir(exist_ok=True)
        for folder in sorted(rounds.iterdir()):
            if not (frozen / "rounds" / folder.name).exists():
                os.rename(folder, frozen / "rounds" / folder.name)
    note = staging / UNCHECKED
    if note.is_file() and (not (frozen / UNCHECKED).is_file()
                           or (frozen / UNCHECKED).read_bytes() != note.read_bytes()):
        os.replace(note, frozen / UNCHECKED)


def _audit_line(config: DeskConfig, draft: Draft, journal: dict, recovering: str | None) -> dict:
    for line in reversed(audit.read(config.audit_log)):
        if line.get("publication") == journal["publication"]:
            return line
    check = draft.meta.get("check") or {}
    record = {
        "action": "publish-without-check" if journal["reason"] else "publish",
        "who": journal["by"],
        "draft": draft.id,
        "publication": journal["publication"],
        "approved_by": journal["approved_by"],
        "reason": journal["reason"],
        "froze_round": journal["freeze"],
        "tables": table_digests(config.data),
        "data_digest": journal["data_digest"],
        "changes": check.get("counts", {}),
        "finished_after_interruption": bool(recovering),
    }
    if recovering:
        record["finished_by"] = recovering
    return audit.append(config.audit_log, record)


def _undo(config: DeskConfig, settings: PublishSettings, journal: dict, who: str) -> bool:
    """Undo what the journal says was done, if the tables were not replaced yet; False when they were."""
    staging = _staging(config, journal)
    if "data" in journal["done"] or "frozen" in journal["done"]:
        return False  # past the point of no return: the data was already replaced, so it can only go forward
    if "build" in journal["done"] or "prepare" in journal["done"]:
        try:  # output/ may already hold the new site: build it again from the tables as they are
            pipeline.build(config.project(settings))
        except (BuildError, DataProblems):
            pass
    shutil.rmtree(staging.parent, ignore_errors=True)
    audit.append(config.audit_log, {"action": "publication-undone", "who": who, "draft": journal["draft"],
                                    "publication": journal["publication"], "published_by": journal["by"]})
    journal_path(config).unlink(missing_ok=True)
    return True


def _commit(config: DeskConfig, line: dict) -> bool:
    """Commit ``data/`` and ``published/`` when the publisher's folder is a git repository; False when it is not."""
    root = config.data.parent

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=120)

    try:
        top = git("rev-parse", "--show-toplevel")
    except (OSError, subprocess.TimeoutExpired):
        return False
    if top.returncode != 0:
        return False
    paths = [str(p) for p in (config.data, config.frozen) if p.exists()]
    git("add", "-A", "--", *paths)
    identity = [] if git("config", "user.email").stdout.strip() else [
        "-c", "user.name=dps-publish desk", "-c", "user.email=desk@dps-publish.invalid"]
    how = (f"published without a second check (reason: {line['reason']})" if line["reason"]
           else f"approved by {line['approved_by']}")
    message = (f"Publish draft {line['draft']} ({line['publication']})\n\nPublished at the desk by {line['who']}, "
               f"{how}.\n" + (f"Froze round {line['froze_round']}.\n" if line.get("froze_round") else ""))
    result = subprocess.run(["git", "-C", str(root), *identity, "commit", "--quiet", "-m", message, "--", *paths],
                            capture_output=True, text=True, timeout=120)
    return result.returncode == 0

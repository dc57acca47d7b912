"""The desk's worker process: one preview, publication or recovery, then it exits.

``python -m dps_publish.desk.worker JOB.json`` holds the drafts folder's build
lock while it runs and writes its progress to ``JOB.status.json`` beside the
job file (stage by stage, as ``pipeline.STAGES`` names them), ending with
``done`` or ``failed`` and what happened in words.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import sys
import traceback
from pathlib import Path

from ..pipeline import STAGES
from ..problems import BuildError, DataProblems
from ..settings import SettingsError
from . import audit
from .config import DeskConfig
from .drafts import DraftError, DraftStore, write_json
from .going_live import LiveFailed, live_words, put_back, rollback_words, step_words
from .jobs import LOCK
from .publishing import PublishRequest, go_live_again, publish, recover

STAGE_WORDS = {stage.name: stage.words for stage in STAGES}


def main(job_file: str) -> int:
    job_path = Path(job_file)
    job = json.loads(job_path.read_text(encoding="utf-8"))
    status_path = job_path.with_name(f"{job['id']}.status.json")
    status = json.loads(status_path.read_text(encoding="utf-8")) if status_path.is_file() else {}
    status.update({"id": job["id"], "kind": job["kind"], "draft": job["draft"], "state": "running", "stages": []})

    def say(**changes) -> None:
        status.update(changes)
        write_json(status_path, status)

    def on_stage(name: str) -> None:
        status["stages"].append(name)
        say(stage=name, stage_words=STAGE_WORDS.get(name, name))

    shown = {}

    def on_progress(step: str, done: int, of: int) -> None:  # a status write every tenth of the way, not every file
        tenth = done * 10 // max(of, 1)
        if shown.get(step) != tenth:
            shown[step] = tenth
            say(stage="live", stage_words=step_words(step, done, of))

    def on_plan(summary: str) -> None:
        say(stage="live", plan=summary, stage_words=f"Going live: {summary}")

    on_stage.live = {"on_progress": on_progress, "on_plan": on_plan}
    on_stage.said = say

    config = DeskConfig.from_dict(job["config"])
    config.drafts.mkdir(parents=True, exist_ok=True)
    with open(config.drafts / LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(state="failed", message="Another build is running. Wait for it to finish, then try again.")
            return 1
        try:
            message = run(job, config, on_stage)
            say(state="done", message=message)
            return 0
        except LiveFailed as exc:
            say(state="failed", live_failed=True, message=str(exc))
        except (DraftError, BuildError) as exc:
            say(state="failed", message=str(exc))
        except DataProblems as exc:
            say(state="failed", message=f"The tables have {len(exc.problems)} problems, so nothing was built. "
                                        "Go to Check the tables to see them.")
        except SettingsError as exc:
            say(state="failed", message=f"The settings file {exc.path.name} has problems, so nothing was built: {exc}")
        except Exception:  # a fault in the publisher: the details for a developer, plain words for the person
            fault = job_path.with_name(f"{job['id']}.fault.txt")
            fault.write_text(traceback.format_exc(), encoding="utf-8")
            say(state="failed", message=f"Something went wrong inside dps-publish itself, not in your tables. Nothing "
                                        f"was published. Send the file {fault} to whoever supports the publisher.")
        return 1


def run(job: dict, config: DeskConfig, on_stage) -> str:
    settings = config.load_settings()
    store = DraftStore(config.drafts)
    if job["kind"] == "recover":
        outcome = recover(config, settings, on_stage, who=job["who"])
        return outcome[1] if outcome else "Nothing needed finishing."
    if job["kind"] == "live":
        return _said(on_stage, go_live_again(config, settings, job["who"], on_stage.live))
    if job["kind"] == "rollback":
        back = put_back(config, settings, job["who"], job["options"]["reason"], on_stage.live["on_progress"])
        return rollback_words(back)
    draft = store.get(job["draft"])
    if job["kind"] == "preview":
        from .. import pipeline

        preview_url = job["options"]["preview_url"]
        built_from = draft.data_digest()  # at the start: tables uploaded during the build are not in this preview
        project = config.project(dataclasses.replace(settings, site_url=preview_url), data=draft.data,
                                 output=draft.preview, later=("audio",))
        pipeline.build(project, on_stage=on_stage)
        draft.change(preview={"data_digest": built_from, "at": audit.now(), "by": job["who"]})
        audit.append(config.audit_log, {"action": "preview", "who": job["who"], "draft": draft.id})
        return "The preview is ready."
    if job["kind"] == "publish":
        options = job["options"]
        result = publish(config, settings, draft, PublishRequest(job["who"], options.get("freeze"),
                                                                 options.get("reason")), on_stage, on_stage.live)
        committed = " and committed to git" if result.committed else ""
        return _said(on_stage, result, f"Draft {draft.id} is published{committed}.")
    raise ValueError(f"not a desk job: {job['kind']}")


def _said(on_stage, result, published: str = "") -> str:
    """The words for a publication's live step; a failed one leaves the publication standing and says why."""
    if result.live_error:
        on_stage.said(live_failed=True, live_error=result.live_error)
        return (published + " It is published on this computer, but it did not go live. "
                if published else "") + result.live_error
    if result.live:
        on_stage.said(live=result.live, live_error=None, live_failed=False)
        return (published + " " if published else "") + live_words(result.live)
    return published


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1]))

"""``dps-publish deploy`` and ``dps-publish rollback``: the words around ``deploy.py``'s two functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .base import HostError
from .deploy import Outcome, deploy, rollback, target_of
from .plan import DeletionsRefused, megabytes
from .secrets import load_secrets

EXIT_OK, EXIT_HOST = 0, 4
DATA_STILL_NEWER = ("The data folder still holds the newer round: the next build and deploy would make it live "
                    "again. To keep the older version, change the tables back (or reopen the round as a draft at "
                    "the desk) before publishing again.")


def going_live(args, settings) -> int:
    secrets = None
    try:
        secrets = load_secrets(args.users)
        target = target_of(settings)
        if args.command == "deploy":
            outcome = deploy(Path(args.output), target, secrets, Path(args.cache), dry_run=args.dry_run,
                             reason=args.confirm_deletions, on_progress=_progress(args))
        else:
            outcome = rollback(target, secrets, Path(args.cache), reason=args.reason, to=args.to,
                               on_progress=_progress(args))
    except DeletionsRefused as exc:
        return _fail(str(exc), args)
    except HostError as exc:
        text = str(exc) if secrets is None else secrets.redact(str(exc))
        return _fail(text, args)
    if args.json:
        print(json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(lines_of(outcome)))
    return EXIT_OK


def lines_of(outcome: Outcome) -> list[str]:
    plan, check = outcome.plan, outcome.verification
    lines = list(outcome.notes)
    if outcome.action == "dry-run":
        lines.insert(0, f"Dry run, nothing sent. Going live at {outcome.where} would send release {outcome.release}: "
                        f"{plan.summary()}; {plan.unchanged:,} files unchanged. Live there now: "
                        f"{outcome.previous or 'nothing yet'}.")
    elif outcome.action == "up-to-date":
        lines.insert(0, f"Nothing to send: {outcome.where} already serves this site (release {outcome.release}) at "
                        f"{outcome.address}.")
    elif outcome.action == "live":
        lines.insert(0, f"Live at {outcome.address}: release {outcome.release}, {_files(len(plan.upload))} sent "
                        f"({megabytes(plan.bytes_to_send)}), {len(plan.delete):,} deleted; {check.checked:,} files "
                        f"and {check.links:,} links checked from {check.address}.")
    else:
        lines.insert(0, f"Put back release {outcome.release} at {outcome.address} (it replaces {outcome.previous}); "
                        f"{check.checked:,} files checked from {check.address}.")
        lines.append(DATA_STILL_NEWER)
    return lines


def _files(count: int) -> str:
    return f"{count:,} file" if count == 1 else f"{count:,} files"


def _fail(text: str, args) -> int:
    if args.json:
        print(json.dumps({"ok": False, "message": text}, indent=2, ensure_ascii=False))
    else:
        print(text, file=sys.stderr)
        if args.command == "rollback":
            print(DATA_STILL_NEWER, file=sys.stderr)
    return EXIT_HOST


def _progress(args):
    if args.json or not sys.stderr.isatty():
        return None
    shown = {}

    def show(step: str, done: int, of: int) -> None:
        tenth = done * 10 // max(of, 1)
        if shown.get(step) != tenth:
            shown[step] = tenth
            print(f"\r{'Sending' if step == 'upload' else 'Checking'} {done:,} of {of:,} files",
                  end="\n" if done == of else "", file=sys.stderr, flush=True)

    return show

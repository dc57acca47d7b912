"""The ``dps-publish`` command: a thin layer over the pipeline's functions.

Library code raises ``DataProblems``, ``SettingsError`` and ``BuildError``; they
are turned into plain words and an exit code here, and only here: 0 done, 1
problems in the tables, 2 the build failed, 3 problems in the settings file.
Anything else is a fault in the publisher: its traceback is kept in a file
under the cache folder for a developer, and the person sees plain words.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from . import __version__
from .cache import last_build_stands
from .problems import BuildError, DataProblems, Problem
from .settings import Project, SettingsError, load_settings
from .site.assets import theme_folder

EXIT_OK, EXIT_PROBLEMS, EXIT_FAILED, EXIT_SETTINGS, EXIT_STOPPED = 0, 1, 2, 3, 130


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", type=Path, default=Path("data"), help="folder of source tables (default: data)")
    common.add_argument("--output", type=Path, default=Path("output"),
                        help="folder the site is written to (default: output)")
    common.add_argument("--settings", type=Path, default=Path("pelicanconf.py"),
                        help="settings file (default: pelicanconf.py; use publishconf.py for the public site)")
    common.add_argument("--content", type=Path, default=Path("content"),
                        help="folder of hand-written pages (default: content)")
    common.add_argument("--theme", type=Path, default=None,
                        help="the site's theme (default: theme if the folder has one, else the theme that comes "
                             "with dps-publish)")
    common.add_argument("--cache", type=Path, default=Path(".dps-cache"),
                        help="folder that keeps rendered charts and checked tables between builds (default: .dps-cache)")
    common.add_argument("--frozen", type=Path, default=Path("published"),
                        help="folder of frozen (published) rounds, kept in the repository (default: published)")
    common.add_argument("--json", action="store_true", help="print the result or the problems as JSON, for scripts")
    common.add_argument("--timings", action="store_true", help="print how long each stage of the build took")
    top = argparse.ArgumentParser(
        prog="dps-publish",
        description="Check the council's commissioning tables and publish them as a website and open data.",
        epilog="Exit codes: 0 done; 1 problems in the tables; 2 the build failed; 3 problems in the settings file; "
               "4 the web host refused, could not be reached or failed its check (deploy, rollback).",
    )
    top.add_argument("--version", action="version", version=f"dps-publish {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init = commands.add_parser("init", help="make a new publisher's folder for a council: settings to fill in, blank "
                                            "tables, its own pages and an empty published/")
    init.add_argument("folder", type=Path, help="the folder to make, e.g. northshire-dps")
    commands.add_parser("validate", parents=[common], help="check the tables in the data folder and report every problem")
    build_command = commands.add_parser("build", parents=[common],
                                        help="check the tables, then write the site and open data")
    build_command.add_argument("--leave-out", action="append", default=[], choices=["audio"], metavar="KIND",
                               help="leave out one kind of per-page file (audio), as the desk's preview does: for "
                                    "measuring a build without its recordings, not for publishing (its easy read "
                                    "pages say the recordings are still being made)")
    templates = commands.add_parser("templates", parents=[common],
                                    help="write a spreadsheet template for every table, made from the schemas")
    templates.add_argument("folder", type=Path, nargs="?", default=Path("templates"),
                           help="where to write the .xlsx files (default: templates)")
    commands.add_parser("diff", parents=[common],
                        help="say what the data in the data folder would change, without building anything")
    freeze = commands.add_parser("freeze", parents=[common],
                                 help="publish a round for good: keep its data package in published/ as it is now")
    freeze.add_argument("round_id", nargs="?", help="the round to freeze, e.g. 2022-10-opening")
    freeze.add_argument("--payments", metavar="QUARTER", help="freeze a quarter of payments instead, e.g. 2023-24-q1")
    serve = commands.add_parser("serve", parents=[common], help="build, then preview the site on this computer")
    serve.add_argument("--port", type=int, default=8000, help="port to preview on (default: 8000)")
    _going_live_commands(commands, common)
    desk = commands.add_parser("desk", parents=[common],
                               help="start the publishing desk: upload, check, preview, approve and publish a round "
                                    "in a web browser")
    desk.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default: 127.0.0.1, this computer only; any other address needs "
                           "users with passwords and, for every address (0.0.0.0), DESK_PUBLIC_ADDRESS). The desk "
                           "asks for passwords whenever users exist or DESK_TRUSTED_PROXIES is set")
    desk.add_argument("--port", type=int, default=8001, help="port to listen on (default: 8001)")
    desk.add_argument("--drafts", type=Path, default=Path("drafts"),
                      help="folder the drafts are kept in (default: drafts)")
    desk.add_argument("--users", type=Path, default=Path("~/.config/dps-publish/users.toml"),
                      help="the desk's users and their password hashes (default: ~/.config/dps-publish/users.toml)")
    desk_commands = desk.add_subparsers(dest="desk_command", metavar="ACTION")
    add_user = desk_commands.add_parser("add-user", help="add a person who may sign in to the desk, or change "
                                                         "their password")
    add_user.add_argument("name", help="the person's name, as they will type it to sign in")
    add_user.add_argument("--password-stdin", action="store_true",
                          help="read the password from standard input instead of asking for it")
    return top


def _going_live_commands(commands, common) -> None:
    users = dict(type=Path, default=Path("~/.config/dps-publish/users.toml"),
                 help="the desk's users file: the web host's secrets file, web-host-secrets.toml, is beside it "
                      "(default: ~/.config/dps-publish/users.toml)")
    deploy = commands.add_parser("deploy", parents=[common],
                                 help="send the built site in the output folder to the web host (WEB_HOST), switch "
                                      "to it, and check it from the public address")
    deploy.add_argument("--dry-run", action="store_true",
                        help="say what would be sent and deleted, and anything that would stop it, sending nothing")
    deploy.add_argument("--confirm-deletions", metavar="REASON",
                        help="let a release remove more than 5%% of the site (or 50 files), saying why")
    deploy.add_argument("--users", **users)
    rollback = commands.add_parser("rollback", parents=[common],
                                   help="put back the version of the site the public read before this one")
    rollback.add_argument("--reason", required=True, help="why, in words: kept in the hosts log")
    rollback.add_argument("--to", metavar="RELEASE", help="a release to put back instead of the one before")
    rollback.add_argument("--users", **users)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "templates":  # made from the schemas alone: no settings needed
            return _templates(args)
        if args.command == "init":
            return _init(args)
        if args.command == "desk" and args.desk_command == "add-user":
            return _add_user(args)
        if args.command in ("deploy", "rollback"):
            from .hosts.commands import going_live

            return going_live(args, load_settings(args.settings))
        project = Project(args.data, args.output, args.content, theme_folder(args.theme), load_settings(args.settings),
                          cache=args.cache, frozen=args.frozen, later=tuple(getattr(args, "leave_out", ())))
        if args.command == "validate":
            from .pipeline import validate

            validation = validate(project)
            if not validation.ok:
                raise DataProblems(validation.problems)
            _say(f"All tables in {args.data} are fine: {_count_rows(validation)}.", args)
            return EXIT_OK
        if args.command == "freeze":
            return _freeze(project, args)
        if args.command == "desk":
            return _desk(args)
        if args.command == "diff":
            from .pipeline import change_summary_of

            summary = change_summary_of(project)
            if args.json:
                print(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
            else:
                print("\n".join(summary.lines()))
            return EXIT_OK
        if last_build_stands(project):  # asked before importing the pipeline: nothing to do takes no time
            result = None
        else:
            from .pipeline import build

            with progress(args) as on_stage:
                result = build(project, on_stage=on_stage)
        _report_build(result, args)
        if args.command == "serve":
            from .site.serve import serve

            serve(args.output, args.port)
        return EXIT_OK
    except SettingsError as exc:
        _report_settings(exc, args)
        return EXIT_SETTINGS
    except DataProblems as exc:
        _report(exc.problems, args)
        return EXIT_PROBLEMS
    except BuildError as exc:
        print(f"The build failed: {exc}\nThe last good site in {args.output} is unchanged.", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"Stopped. Nothing was published; the site in {args.output} is unchanged.", file=sys.stderr)
        return EXIT_STOPPED
    except Exception as exc:  # a fault in the publisher itself: the details go to a file, never to the screen
        report = _keep_fault_report(exc, args)
        print(f"Something went wrong inside dps-publish itself, not in your tables. Nothing was published; "
              f"the site in {args.output} is unchanged.\nSend the file {report} to whoever supports the "
              "publisher: it says what happened.", file=sys.stderr)
        return EXIT_FAILED


def _keep_fault_report(exc: BaseException, args) -> Path:
    """The traceback of an unexpected fault, kept for a developer under the cache folder."""
    import datetime as dt
    import traceback

    folder = Path(args.cache) / "faults"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"fault-{stamp}.txt"
    text = (f"dps-publish {__version__}, command: {' '.join(sys.argv[1:]) or args.command}\n\n"
            + "".join(traceback.format_exception(exc)))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError:
        import tempfile

        handle, name = tempfile.mkstemp(prefix="dps-publish-fault-", suffix=".txt")
        with open(handle, "w", encoding="utf-8") as f:
            f.write(text)
        path = Path(name)
    return path


def _desk_config(args):
    from .desk.config import DeskConfig

    return DeskConfig(data=args.data, output=args.output, frozen=args.frozen, cache=args.cache, settings=args.settings,
                      content=args.content, theme=theme_folder(args.theme), drafts=args.drafts, users=args.users, host=args.host,
                      port=args.port)


def _desk(args) -> int:
    from .desk.auth import AuthError
    from .desk.server import run_desk

    try:
        run_desk(_desk_config(args))
    except AuthError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _add_user(args) -> int:
    import getpass

    from .desk.auth import AuthError, Users

    try:
        users = Users.load(args.users)
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass(f"Password for {args.name}: ")
            if getpass.getpass("The same password again: ") != password:
                print("The two passwords are not the same. Nothing was changed.", file=sys.stderr)
                return EXIT_FAILED
        users.add(args.name, password)
    except AuthError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.name} can now sign in to the desk. Users are kept in {users.path}.")
    return EXIT_OK


def _init(args) -> int:
    from .starter import InitError, init_folder

    try:
        init_folder(args.folder)
    except InitError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"Could not make {args.folder}: {exc.strerror}. Nothing else was written.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Made {args.folder} for a new council. Next: open {args.folder / 'README.md'}; in short, cd "
          f"{args.folder}, fill in pelicanconf.py and the tables in data/, then run dps-publish validate, "
          "dps-publish build and dps-publish desk there.")
    return EXIT_OK


def _templates(args) -> int:
    from .sources.spreadsheets import write_templates

    paths = write_templates(args.folder)
    _say(f"Wrote {len(paths)} spreadsheet templates to {args.folder}: fill one in, save it in the data "
         "folder under the same name, and run dps-publish validate.", args)
    return EXIT_OK


def _freeze(project: Project, args) -> int:
    from .pipeline import freeze_payments_of, freeze_round_of

    if bool(args.round_id) == bool(args.payments):
        print("Name a round to freeze (dps-publish freeze 2023-04-second) or a quarter of payments "
              "(dps-publish freeze --payments 2023-24-q1).", file=sys.stderr)
        return EXIT_FAILED
    if args.payments:
        path = freeze_payments_of(project, args.payments)
        _say(f"Froze the payments for {args.payments} in {path}. Commit it: it is now published for good.", args)
    else:
        frozen = freeze_round_of(project, args.round_id)
        _say(f"Froze round {frozen.round_id} as version {frozen.version} in {frozen.folder}. Commit that folder: "
             "it is now published for good.", args)
    return EXIT_OK


def _report_build(result, args) -> None:
    """What a build did; ``result`` is None when the last build still stood and nothing was done."""
    up_to_date = result is None or result.up_to_date
    if args.json:
        print(json.dumps({
            "built": not up_to_date, "output": str(args.output),
            "pages_rendered": result.pages_rendered if result else 0,
            "pages_reused": result.pages_reused if result else 0,
            "charts_rendered": result.charts_rendered if result else 0,
            "charts_reused": result.charts_reused if result else 0,
            "changes": result.changes.to_dict() if result and result.changes else None,
            "timings": {k: round(v, 3) for k, v in result.timings.items()} if result else {},
        }, indent=2, ensure_ascii=False))
        return
    if up_to_date:
        print(f"Nothing has changed since the last build: the site in {args.output} is up to date.")
    else:
        print(f"Built the site in {args.output}: {result.pages_rendered} pages written, "
              f"{result.pages_reused} unchanged; {result.charts_rendered} charts drawn, "
              f"{result.charts_reused} unchanged; {result.artefacts.words()}.")
        if result.changes:
            print("\n".join(result.changes.lines()))
    if args.timings and result is not None:
        for stage, seconds in result.timings.items():
            print(f"  {stage:<18} {seconds:7.2f} s")


def _count_rows(validation) -> str:
    return ", ".join(f"{name} {len(t.frame)} rows" for name, t in validation.tables.items())


def _say(text: str, args) -> None:
    if not args.json:
        print(text)


def _report(problems: list[Problem], args) -> None:
    if args.json:
        print(json.dumps({"valid": False, "problems": [p.to_dict() for p in problems]}, indent=2))
        return
    noun = "problem" if len(problems) == 1 else "problems"
    print(f"Found {len(problems)} {noun}. Nothing was published; "
          f"the site in {args.output} is unchanged.\n", file=sys.stderr)
    for number, problem in enumerate(problems, start=1):
        print(f"{number}. {problem}  [{problem.code}]", file=sys.stderr)


def _report_settings(error: SettingsError, args) -> None:
    if args.json:
        print(json.dumps({"valid": False, "settings": str(args.settings), "advice": error.advice,
                          "problems": [p.to_dict() for p in error.problems]}, indent=2, ensure_ascii=False))
        return
    count = len(error.problems)
    noun = "problem" if count == 1 else "problems"
    print(f"Found {count} {noun} in the settings file {args.settings}. Nothing was built or published; "
          f"the site in {args.output} is unchanged.\n", file=sys.stderr)
    for number, problem in enumerate(error.problems, start=1):
        print(f"{number}. {problem}  [{problem.code}]", file=sys.stderr)
    if error.advice:
        print(f"\n{error.advice}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


@contextlib.contextmanager
def progress(args):
    """A stage listener that shows a spinner with the current stage, only on a terminal; silence for scripts and CI."""
    if args.json or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    from .pipeline import STAGES

    words = {stage.name: stage.words for stage in STAGES}
    console = Console(stderr=True)
    with console.status("Starting") as status:
        def on_stage(name: str) -> None:
            status.update(f"{words.get(name, name)}…")

        yield on_stage

"""``dps-publish desk``: check it may start, finish any interrupted publication, say how it knows who is there, then
serve with uvicorn (at most 64 connections; a body that stops arriving is given up after DESK_BODY_TIMEOUT)."""

from __future__ import annotations

from .app import check_can_start, create_app
from .config import DeskConfig
from .jobs import Busy
from .publishing import pending
from .starting import at_start
from .web import Desk


def run_desk(config: DeskConfig) -> None:
    import uvicorn

    settings = config.load_settings()
    check_can_start(config, settings)
    app = create_app(config, settings)
    config.drafts.mkdir(parents=True, exist_ok=True)
    for words in at_start(config):
        print(words, flush=True)
    if pending(config):
        try:
            app.state.desk.jobs.start("recover", None, "the desk, at start")
            print("A publication was interrupted last time: the desk is finishing it now.")
        except Busy:
            pass
    desk = app.state.desk
    print(f"The publishing desk is at {desk.address}/\nOpen that address in a web browser. {who_words(desk)}\n"
          "Press Ctrl+C here to stop the desk.", flush=True)
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", server_header=False,
                proxy_headers=False, limit_concurrency=64, timeout_keep_alive=5)


def who_words(desk: Desk) -> str:
    """How the desk will know who is there, for the person starting it."""
    settings = desk.settings.desk
    if settings.user_header and settings.trusted_proxies:
        said = (f"It takes each person's name from the {settings.user_header} header of the council's sign-in proxy "
                f"({', '.join(settings.trusted_proxies)}), and refuses a request from there without it.")
        if not desk.users.hashes:
            return said
        return said + f" Anyone else asks for a password: {people(len(desk.users.hashes))} in {desk.config.users}."
    if desk.needs_passwords:
        return (f"It asks for a password: {people(len(desk.users.hashes))} can sign in (users are kept in "
                f"{desk.config.users}; add one with dps-publish desk add-user \"Their Name\").")
    return ("It asks only for a name, no password: it is on this computer only and no users are set up. Add users "
            "with dps-publish desk add-user \"Their Name\" and it asks for passwords.")


def people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"

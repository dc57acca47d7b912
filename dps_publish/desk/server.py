"""``dps-publish desk``: check it may start, finish any interrupted publication, then serve with uvicorn."""

from __future__ import annotations

from .app import check_can_start, create_app
from .config import DeskConfig
from .jobs import Busy
from .publishing import pending
from .starting import at_start


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
    print(f"The publishing desk is at {config.address}\nOpen that address in a web browser. "
          "Press Ctrl+C here to stop the desk.", flush=True)
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", server_header=False,
                proxy_headers=False, limit_concurrency=64, timeout_keep_alive=5)

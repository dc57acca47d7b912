"""Preview the built site on this computer only (127.0.0.1)."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


def serve(output: Path, port: int) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(Path(output).absolute()))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"Preview at http://127.0.0.1:{port}/  (press Ctrl+C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass

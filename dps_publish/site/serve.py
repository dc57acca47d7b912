"""Preview the built site on this computer only (127.0.0.1).

Python's own file server, answering HTTP Range requests as a web host does (``Accept-Ranges: bytes``;
``206 Partial Content`` for one satisfiable range; ``416`` with ``Content-Range: bytes */size`` for a range
past the end of the file), so a page's recording can be moved through (a browser asks for the part it seeks
to). A Range header that is not one byte range (several ranges, another unit, nonsense) is ignored and the
whole file sent, as RFC 9110 allows; so is one whose ``If-Range`` no longer matches the file.
"""

from __future__ import annotations

import email.utils
import functools
import http.server
import os
import re
import shutil
from http import HTTPStatus
from pathlib import Path

BYTE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The first and last byte a Range header asks for, "unsatisfiable", or none (send the whole file)."""
    match = BYTE_RANGE.match(header or "")
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # not a valid range: ignored
    if start >= size:
        return "unsatisfiable"
    return start, end


class RangeRequestHandler(http.server.SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` that sends part of a file when a browser asks for one."""

    _remaining: int | None = None

    def _file(self) -> str | None:
        """The file this request names, or none when the standard handler should answer (folders, 404s)."""
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not self.path.split("?", 1)[0].split("#", 1)[0].endswith("/"):
                return None  # the standard handler redirects to the address with "/"
            path = os.path.join(path, "index.html")
        if path.endswith("/") or not os.path.isfile(path):
            return None
        return path

    def send_head(self):
        self._remaining = None
        path = self._file()
        if path is None:
            return super().send_head()
        try:
            f = open(path, "rb")
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        try:
            stat = os.fstat(f.fileno())
            size = stat.st_size
            modified = self.date_time_string(int(stat.st_mtime))
            wanted = byte_range(self.headers.get("Range"), size) if self._if_range_holds(modified) else None
            if wanted == "unsatisfiable":
                f.close()
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if wanted is None:
                self.send_response(HTTPStatus.OK)
                length = size
            else:
                start, end = wanted
                f.seek(start)
                length = end - start + 1
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Length", str(length))
            self.send_header("Last-Modified", modified)
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            self._remaining = length
            return f
        except Exception:
            f.close()
            raise

    def _if_range_holds(self, modified: str) -> bool:
        """No If-Range, or one naming the file's Last-Modified date (this server sends no ETag)."""
        condition = self.headers.get("If-Range")
        if not condition:
            return True
        try:
            return email.utils.parsedate_to_datetime(condition) == email.utils.parsedate_to_datetime(modified)
        except (TypeError, ValueError):
            return False

    def copyfile(self, source, outputfile) -> None:
        if self._remaining is None:
            shutil.copyfileobj(source, outputfile)
            return
        remaining = self._remaining
        while remaining > 0:
            chunk = source.read(min(64 * 1024, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)


def serve(output: Path, port: int) -> None:
    handler = functools.partial(RangeRequestHandler, directory=str(Path(output).absolute()))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"Preview at http://127.0.0.1:{port}/  (press Ctrl+C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass

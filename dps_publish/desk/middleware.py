"""What wraps every request and response of the desk, outermost first.

- ``SecurityHeaders``: every response, error pages included, gets the Content-Security-Policy, nosniff, no framing
  and no caching.
- ``DeskErrors``: a fault inside the desk is a plain page (500) with those headers; the details go to the desk's
  own output, never to the browser.
- ``SameOrigin``: only requests addressed to the desk's own names are answered (400 otherwise), so a web page
  whose name was pointed at 127.0.0.1 (DNS rebinding) reaches nothing; a POST sent by another site's page
  (by its Origin, else Sec-Fetch-Site, else Referer) is refused (403) before any form is read.
- ``BodyTimeout``: a request body that stops arriving is given up (408), so slow senders cannot hold every
  connection the desk has.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.responses import Response

DESK_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HOST = re.compile(r"[A-Za-z0-9.-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")
SLOWEST_BODY = 16 * 1024  # bytes a second a body must average, after its first DESK_BODY_TIMEOUT seconds

# (status, title, message) -> a finished response: the desk's plain page
PlainPage = Callable[[int, str, str], Response]
log = logging.getLogger("dps_publish.desk")


class SecurityHeaders:
    """Every response: a Content-Security-Policy without inline script, no framing, no sniffing, no caching."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                for key, value in ((b"content-security-policy", DESK_CSP.encode()),
                                   (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                                   (b"referrer-policy", b"same-origin"), (b"cache-control", b"no-store"),
                                   (b"cross-origin-opener-policy", b"same-origin")):
                    if key not in present:
                        headers.append((key, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


class DeskErrors:
    """A fault anywhere inside: the plain page "something went wrong inside the desk", never a traceback."""

    def __init__(self, app, page: PlainPage):
        self.app, self.page = app, page

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def sending(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BodyTimedOut:
            if not started:
                response = self.page(408, "The page took too long to send", BodyTimedOut.words)
                response.headers["connection"] = "close"  # the rest of the body is not read: start afresh
                await response(scope, receive, send)
        except Exception:  # noqa: BLE001 - any fault: the person gets words, the desk's output gets the details
            log.exception("A fault inside the desk, answering %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await self.page(500, "Sorry, something went wrong",
                                "Something went wrong inside the desk, not in your tables, and it did not finish "
                                "what you asked. Go back and try again; if it happens again, tell whoever looks "
                                "after the desk: its output says what happened.")(scope, receive, send)


def host_name(host: str) -> str | None:
    """The name a Host header (or an Origin's place) gives, lowercased, without its port; None if not a name."""
    if not HOST.fullmatch(host):
        return None
    return urlsplit("//" + host).hostname


def origin_of(address: str) -> str | None:
    """``scheme://place`` of an Origin or Referer, lowercased; None for "null" or anything not http(s)."""
    parts = urlsplit(address.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or not HOST.fullmatch(parts.netloc):
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class SameOrigin:
    """Answer only the desk's own names; refuse a POST that another site's page sent."""

    def __init__(self, app, names: frozenset[str], public_origin: str, page: PlainPage):
        self.app, self.names, self.public_origin, self.page = app, names, public_origin.lower(), page

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").strip()
        if host_name(host) not in self.names:
            shown = host[:80] or "no name at all"
            return await self.page(400, "This is not the desk's address",
                                   f"This desk does not answer to {shown}: open it at its own address. If people "
                                   "reach the desk by that name, whoever runs it sets DESK_PUBLIC_ADDRESS in the "
                                   "settings file to it.")(scope, receive, send)
        if scope["method"] not in SAFE_METHODS and not self.sent_from_here(headers, host):
            sender = headers.get("origin") or headers.get("referer") or "another site"
            return await self.page(403, "This could not be done",
                                   f"This form came from another web site ({sender[:80]}), so the desk did not act "
                                   "on it. Open the desk at its own address and send the form from its page."
                                   )(scope, receive, send)
        await self.app(scope, receive, send)

    def sent_from_here(self, headers: dict[str, str], host: str) -> bool:
        here = {f"http://{host.lower()}", f"https://{host.lower()}", self.public_origin} - {""}
        if "origin" in headers:
            return origin_of(headers["origin"]) in here
        if "sec-fetch-site" in headers:
            return headers["sec-fetch-site"].strip().lower() in ("same-origin", "none")
        if "referer" in headers:
            return origin_of(headers["referer"]) in here
        return True  # not sent by a browser: the CSRF token still has to be right


class BodyTimedOut(Exception):
    words = ("The desk stopped waiting for what your browser was sending: it stopped arriving. Nothing was kept. "
             "Check the connection and send it again.")


class BodyTimeout:
    """Give up on a body that stops arriving for ``seconds``, or that averages under 16 KB a second after them.

    Only the time spent waiting for the sender counts, not the time the desk spends on what has arrived.
    """

    def __init__(self, app, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        waited, arrived, finished = 0.0, 0, False

        async def receiving():
            nonlocal waited, arrived, finished
            if finished:
                return await receive()  # after the body: only the news that the client went away
            allowed = min(self.seconds, self.seconds + arrived / SLOWEST_BODY - waited)
            began = time.monotonic()
            try:
                if allowed <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), allowed)
            except TimeoutError:
                raise BodyTimedOut() from None
            waited += time.monotonic() - began
            if message["type"] == "http.request":
                arrived += len(message.get("body", b""))
                finished = not message.get("more_body", False)
            else:
                finished = True
            return message

        await self.app(scope, receiving, send)

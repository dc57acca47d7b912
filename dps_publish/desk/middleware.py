"""What wraps every response of the desk."""

from __future__ import annotations

DESK_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


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

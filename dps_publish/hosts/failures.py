"""Why going live failed, in plain words, and what to do: the one place a web host's failure is named.

The drivers (``releases.py``, ``ssh.py``, ``azure.py``, ``s3.py``) raise ``HostError`` with their own words, from
the library's exception (kept as the error's context). The check from the public address (``verify.py``) gives its
problems as lines of text. Here both become one sentence that starts with what happened, in words anyone at the
desk can act on, then the host's own detail, then what to do:

- *the web host refused the password* (or key): SSH authentication failed, Azure's 403 ``AuthenticationFailed``,
  S3's ``InvalidAccessKeyId`` or ``SignatureDoesNotMatch``;
- *the web host could not be reached at <address>*: connection refused, no answer in time, a name not found;
- *the web host answered with another host key*: an SSH host key that is not the pinned one;
- *the web host has no room left* / *did not let dps-publish write* in the releases folder;
- *the public address served a different file for X* (or other headers, or no file): the check found a mismatch.

No library's exception text is passed on (it may quote a signed address or a token), never a traceback; the caller
redacts what is returned with ``Secrets.redact`` like every text that leaves ``deploy.py``.
"""

from __future__ import annotations

import errno
import re
import socket
from dataclasses import dataclass

from .config import WebHost

_UNREACHABLE_ERRNO = {errno.ECONNREFUSED, errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNRESET,
                      errno.ECONNABORTED, errno.EHOSTDOWN, errno.ENETDOWN}
_FULL_ERRNO = {errno.ENOSPC, errno.EDQUOT}
_DENIED_ERRNO = {errno.EACCES, errno.EPERM, errno.EROFS}
_REFUSED_CODES = {"AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch",
                  "InvalidAuthenticationInfo", "InsufficientAccountPermissions", "InvalidAccessKeyId",
                  "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken", "InvalidClientTokenId"}
_UNREACHABLE_CLASSES = {"ServiceRequestError", "ServiceRequestTimeoutError", "EndpointConnectionError",
                        "ConnectTimeoutError", "ConnectionClosedError", "ProxyConnectionError", "NoValidConnectionsError",
                        "ConnectError", "ConnectTimeout", "gaierror", "timeout", "TimeoutError",
                        "ConnectionRefusedError"}
_SECRET_HELP = ("the environment variable DPS_WEB_HOST_{name}, or {key} in web-host-secrets.toml beside the desk's "
                "users file")


@dataclass(frozen=True)
class Failure:
    """A failure named: ``kind`` for tests and logs, ``lead`` what happened, ``todo`` what to do about it."""

    kind: str  # "refused", "unreachable", "host-key", "disk-full", "denied", "certificate", "mismatch", "other"
    lead: str
    todo: str

    def words(self, detail: str = "") -> str:
        """``Lead: detail. Todo.``, each part once, as sentences."""
        lead = self.lead[:1].upper() + self.lead[1:]
        detail = detail.strip().rstrip(".")
        if detail and _same(detail, self.lead):
            detail = ""
        text = f"{lead}: {detail}." if detail else f"{lead}."
        todo = self.todo.replace("Nothing was sent. ", "") if "nothing was sent" in detail.lower() else self.todo
        return f"{text} {todo}" if todo else text


def _same(a: str, b: str) -> bool:
    return a.strip(" .").lower() == b.strip(" .").lower()


# --- the host's own errors ------------------------------------------------------------------------------------------


def failure_of(exc: BaseException, host: WebHost) -> Failure:
    """The failure a driver's error (or a library's, or the file system's) stands for."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain if type(e).__module__.startswith("dps_publish"))
    for error in chain:
        names = {c.__name__ for c in type(error).__mro__}
        if names & {"BadHostKeyException"}:
            return host_key_refused()
        if names & {"AuthenticationException", "ClientAuthenticationError"} or _code(error) in _REFUSED_CODES \
                or _status(error) == 403:
            return refused(_credential(text, host), host.kind)
        if isinstance(error, OSError) and error.errno in _FULL_ERRNO:
            return disk_full(host)
        if isinstance(error, OSError) and error.errno in _DENIED_ERRNO:
            return denied(host)
        if names & _UNREACHABLE_CLASSES or isinstance(error, (socket.gaierror, socket.timeout)) or (
                isinstance(error, OSError) and error.errno in _UNREACHABLE_ERRNO):
            return unreachable(address_of(host))
    return failure_in_words(text or str(exc), host)


def failure_in_words(text: str, host: WebHost) -> Failure:
    """The failure a driver's (or a preflight's) words stand for, when no library error is at hand."""
    lower = text.lower()
    if "host key" in lower:
        return host_key_refused()
    if re.search(r"refused the (key|password|key and password)\b", lower):
        return refused(_credential(text, host), host.kind)
    if "no space left" in lower or "disk quota" in lower:
        return disk_full(host)
    if "permission denied" in lower or "read-only file system" in lower or "cannot be written" in lower:
        return denied(host)
    if "could not be reached" in lower or "no answer in time" in lower or "connection refused" in lower:
        return unreachable(address_of(host))
    return Failure("other", "the web host did not take the new version", "Try again; if it fails the same way, show "
                   "this message to IT.")


def refused(what: str, kind: str = "ssh") -> Failure:
    if kind in ("azure", "s3"):  # the driver's own words say which secret it read
        return Failure("refused", f"the web host refused the {what}",
                       "Nothing was sent. IT can give a new key for the storage; then try again.")
    names = {"password": ("PASSWORD", "password"), "key": ("SSH_KEY", "ssh_key")}
    where = (_SECRET_HELP.format(name=names[what][0], key=names[what][1]) if what in names
             else "web host secrets (environment variables DPS_WEB_HOST_..., or web-host-secrets.toml beside the "
                  "desk's users file)")
    return Failure("refused", f"the web host refused the {what}",
                   f"Nothing was sent. Check that the {what} given as {where} is the current one and may write to the "
                   "site; IT can give a new one. Then try again.")


def unreachable(address: str) -> Failure:
    return Failure("unreachable", f"the web host could not be reached at {address}",
                   "Check that the web server is running and that this computer can reach it (its network, and the "
                   "proxy in HTTPS_PROXY and NO_PROXY), or ask IT; then try again.")


def host_key_refused() -> Failure:
    return Failure("host-key", "the web host answered with a host key that is not the one in the settings",
                   "Nothing was sent. Ask IT for the web server's host key: if they changed it, put the new one in "
                   "WEB_HOST's host_key; if they did not, tell them, as someone may be pretending to be the web "
                   "server.")


def disk_full(host: WebHost) -> Failure:
    return Failure("disk-full", f"the web host has no room left in {_folder(host)}",
                   f"Ask IT to free space there or give it more (older releases in its releases folder can go: "
                   f"dps-publish keeps the last {host.keep}); then try again.")


def denied(host: WebHost) -> Failure:
    return Failure("denied", f"the web host did not let dps-publish write to {_folder(host)}",
                   "Ask IT to let the user dps-publish runs as (or signs in as) write there; then try again.")


def address_of(host: WebHost) -> str:
    """The web host's address in words, never with a secret: a folder, host and port, or the storage endpoint."""
    kind = host.kind
    if kind == "releases":
        return str(host.get("path"))
    if kind == "ssh":
        return f"{host.get('host')}, port {host.get('port', 22)}"
    if kind == "azure":
        return host.get("endpoint") or f"https://{host.get('account')}.blob.core.windows.net"
    if kind == "s3":
        return host.get("endpoint") or f"https://s3.{host.get('region') or 'us-east-1'}.amazonaws.com"
    return kind


def _folder(host: WebHost) -> str:
    if host.kind in ("releases", "ssh"):
        return f"the releases folder {host.get('path')}" + (f" on {host.get('host')}" if host.kind == "ssh" else "")
    return f"the storage {host.get('container') or host.get('bucket') or ''}".rstrip()


def _credential(text: str, host: WebHost) -> str:
    found = re.search(r"refused the (key and password|key|password)\b", text)
    if found:
        return found.group(1)
    return "key" if host.kind in ("azure", "s3") else "password"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _code(error: BaseException) -> str:
    code = getattr(error, "error_code", None)  # Azure
    response = getattr(error, "response", None)
    if not code and isinstance(response, dict):  # botocore's ClientError
        code = response.get("Error", {}).get("Code")
    return str(code or "")


def _status(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    response = getattr(error, "response", None)
    if status is None and isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


# --- the check from the public address ------------------------------------------------------------------------------


def check_failure(problems: list[str], address: str) -> Failure:
    """The failure the check's problems (``verify.py``'s lines) stand for; the first that says most decides."""
    base = address.rstrip("/")

    def path_of(line: str) -> str:
        url = line.removeprefix("a link ").removeprefix("to ").split(": ", 1)[0]
        return url.removeprefix(base).lstrip("/") or "the home page"

    for line in problems:
        if "could not be fetched" in line and "certificate" in line:
            return Failure("certificate", f"the HTTPS certificate of {address} is not trusted by this computer",
                           "If the council has its own certificate authority, name it as ca_file in WEB_HOST; "
                           "otherwise ask IT to renew the certificate. Then try again.")
    for line in problems:
        if "could not be fetched" in line:
            return unreachable(address)
    for line in problems:
        if "not the release manifest" in line or "serves another release" in line:
            return Failure("mismatch", f"the public address {address} served another release than the one just "
                           "sent", _MISMATCH_TODO)
    for line in problems:
        if "bytes differ" in line:
            return Failure("mismatch", f"the public address served a different file for {path_of(line)}",
                           _MISMATCH_TODO)
    for line in problems:
        found = re.search(r"answered (\d{3})", line)
        if found:
            return Failure("mismatch", f"the public address did not serve {path_of(line)} (it answered "
                           f"{found.group(1)})", _MISMATCH_TODO)
    for line in problems:
        if "Content-Type" in line or "Cache-Control" in line or "Content-Encoding" in line:
            return Failure("mismatch", f"the public address served {path_of(line)} with other headers than the "
                           "release's", "The web server's configuration sets other headers: use the example in "
                           "docs/hosting/ (nginx or Caddy), or ask IT to; then try again.")
    return Failure("mismatch", f"the check from {address} found problems", _MISMATCH_TODO)


_MISMATCH_TODO = ("Something between the web host and the public address (a CDN or cache, or the web server's "
                  "configuration: see docs/hosting/) serves other files than the ones sent. Ask IT to check it and to "
                  "clear any cache; then try again.")

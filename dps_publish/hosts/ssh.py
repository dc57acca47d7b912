"""A releases folder on the web server, reached over SSH: the same layout and one-step switch as
``releases.py`` (``folders.py``), with files sent over SFTP and ``current`` switched with
``posix-rename@openssh.com``.

The server's host key is pinned in the settings (``host_key``): an unknown or changed key is refused before
anything is sent. Signing in uses the private key or the password from ``secrets.py``, never an agent or
``~/.ssh`` (what the deploy does must not depend on who runs it). The few commands run on the server
(``cp -al`` to start a release as hard links, ``rm -rf`` to drop old ones) carry paths only, never a secret.
"""

from __future__ import annotations

import base64
import binascii
import errno
import io
import posixpath
import shlex
import socket
import uuid
from pathlib import Path

import paramiko

from .base import HostError
from .config import WebHost
from .folders import ReleaseFolders
from .secrets import Secrets

TIMEOUT = 30


class SftpFileSystem:
    def __init__(self, client: paramiko.SSHClient, where: str):
        self.client, self.where = client, where
        self.sftp = client.open_sftp()
        self._made: set[str] = set()

    # --- reading -----------------------------------------------------------------------------------------------

    def read_bytes(self, path: str) -> bytes | None:
        try:
            with self.sftp.open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise HostError(f"{_first(self.where)} did not let dps-publish read {path} ({_why(exc)}).") from None

    def readlink(self, path: str) -> str | None:
        try:
            self.sftp.lstat(path)
        except FileNotFoundError:
            return None
        try:
            return self.sftp.readlink(path)
        except OSError:
            raise HostError(f"At {self.where}, {path} is not a link. The releases folder's current must be a "
                            "symbolic link made by dps-publish; ask IT to move that folder away.") from None

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(self.sftp.listdir(path))
        except FileNotFoundError:
            return []

    # --- writing -----------------------------------------------------------------------------------------------

    def makedirs(self, path: str) -> None:
        if path in self._made or path in ("", "/"):
            return
        try:
            self.sftp.stat(path)
        except FileNotFoundError:
            self.makedirs(posixpath.dirname(path))
            try:
                self.sftp.mkdir(path)
            except OSError:
                self.sftp.stat(path)  # made meanwhile is fine; anything else raises
        self._made.add(path)

    def _beside(self, path: str) -> str:
        self.makedirs(posixpath.dirname(path))
        return posixpath.join(posixpath.dirname(path), f".{posixpath.basename(path)}.{uuid.uuid4().hex[:8]}.part")

    def write_bytes(self, path: str, data: bytes) -> None:
        part = self._beside(path)
        self.sftp.putfo(io.BytesIO(data), part, confirm=True)
        self.sftp.posix_rename(part, path)

    def put_file(self, source: Path, path: str) -> None:
        part = self._beside(path)
        try:
            with self.sftp.open(part, "wb") as remote:
                remote.set_pipelined(True)
                remote.chmod(0o644)  # readable by the web server whatever the SSH user's umask
                remote.write(source.read_bytes())
            self.sftp.posix_rename(part, path)
        except OSError as exc:
            raise HostError(f"{_first(self.where)} did not take {path} ({_why(exc)})") from None

    def link_tree(self, source: str, target: str) -> None:
        self._run(f"cp -al -- {shlex.quote(source)} {shlex.quote(target)}", f"start the new release from {source}")

    def rename(self, source: str, target: str) -> None:
        self.sftp.posix_rename(source, target)

    def switch_link(self, link: str, target: str) -> None:
        fresh = f"{link}.{uuid.uuid4().hex[:8]}.new"
        self.sftp.symlink(target, fresh)
        self.sftp.posix_rename(fresh, link)  # rename(2) on the server: the old link or the new, never neither

    def unlink(self, path: str) -> None:
        try:
            self.sftp.remove(path)
        except FileNotFoundError:
            pass

    def remove_tree(self, path: str) -> None:
        self._run(f"rm -rf -- {shlex.quote(path)}", f"remove {path}")
        self._made = {p for p in self._made if not (p == path or p.startswith(path + "/"))}

    def can_switch(self, folder: str) -> list[str]:
        try:
            self.makedirs(folder)
        except OSError as exc:
            return [f"The releases folder {folder} cannot be made at {self.where} ({_why(exc)}). Ask IT to make it, "
                    "writable by the user dps-publish signs in as."]
        probe = posixpath.join(folder, f".dps-probe-{uuid.uuid4().hex[:8]}")
        try:
            self.sftp.mkdir(probe)
            self.sftp.symlink("a", probe + "/link.new")
            self.sftp.symlink("a", probe + "/link")
            self.sftp.posix_rename(probe + "/link.new", probe + "/link")
        except OSError as exc:
            return [f"Links cannot be made or renamed in {folder} at {self.where} ({_why(exc)}): the site could not "
                    "be switched from one release to the next in one step there, so nothing would be sent."]
        except paramiko.SSHException:
            return [f"{_first(self.where)} does not offer posix-rename@openssh.com over SFTP, so the site could not be "
                    "switched in one step. Use OpenSSH's SFTP server."]
        finally:
            try:
                self._run(f"rm -rf -- {shlex.quote(probe)}", "tidy up")
            except HostError:
                pass
        return []

    def _run(self, command: str, doing: str) -> None:
        try:
            _, stdout, stderr = self.client.exec_command(command, timeout=TIMEOUT * 10)
            status = stdout.channel.recv_exit_status()
            said = stderr.read().decode("utf-8", "replace").strip()
        except (paramiko.SSHException, OSError) as exc:
            raise HostError(f"{_first(self.where)} could not {doing} ({_why(exc)}).") from None
        if status != 0:
            raise HostError(f"{_first(self.where)} could not {doing}: {said[:300] or f'exit status {status}'}.")

    def close(self) -> None:
        self.sftp.close()
        self.client.close()


class SshReleases(ReleaseFolders):
    def close(self) -> None:
        self.fs.close()


def _first(where: str) -> str:
    """``where`` starting a sentence."""
    return where[:1].upper() + where[1:]


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _private_key(text: str, passphrase: str | None) -> paramiko.PKey:
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text), password=passphrase)
        except paramiko.PasswordRequiredException:
            raise HostError("The SSH private key needs its passphrase: give it as DPS_WEB_HOST_SSH_KEY_PASSPHRASE or "
                            "ssh_key_passphrase in the secrets file.") from None
        except (paramiko.SSHException, ValueError):
            continue
    raise HostError("The SSH private key (ssh_key) cannot be read: give the whole text of an OpenSSH or PEM private "
                    "key file, ed25519, ECDSA or RSA.")


def pinned_key(line: str) -> paramiko.PKey:
    kind, data = line.split()[:2]
    try:
        return paramiko.PKey.from_type_string(kind, base64.b64decode(data))
    except (binascii.Error, ValueError, paramiko.SSHException, paramiko.UnknownKeyType):
        raise HostError(f"The host_key setting cannot be read as a {kind} public key. Copy the whole line of the "
                        "server's /etc/ssh/ssh_host_ed25519_key.pub (without the comment is fine).") from None


def open_ssh(host: WebHost, secrets: Secrets) -> SshReleases:
    name, port, user, root = host.get("host"), host.get("port", 22), host.get("user"), host.get("path")
    where = f"the web server {name} (SSH, port {port}, folder {root})"
    key = pinned_key(host.get("host_key"))
    client = paramiko.SSHClient()
    client.get_host_keys().add(name if port == 22 else f"[{name}]:{port}", key.get_name(), key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    private = secrets.get("ssh_key")
    password = secrets.get("password")
    if not private and not password:
        raise HostError(f"No way to sign in to {where}: give the SSH private key as the environment variable "
                        "DPS_WEB_HOST_SSH_KEY (or ssh_key in web-host-secrets.toml beside the desk's users file), or "
                        "the password as DPS_WEB_HOST_PASSWORD.")
    pkey = _private_key(private, secrets.get("ssh_key_passphrase")) if private else None
    try:
        client.connect(name, port=port, username=user, pkey=pkey, password=password, look_for_keys=False,
                       allow_agent=False, timeout=TIMEOUT, banner_timeout=TIMEOUT, auth_timeout=TIMEOUT)
    except paramiko.BadHostKeyException:
        client.close()
        raise HostError(f"{_first(where)} answered with a different host key from the one in the settings (host_key). "
                        "Someone may be pretending to be the web server, or IT changed its key: nothing was sent. "
                        "Ask IT for the server's current key and put it in the settings if the change is theirs."
                        ) from None
    except paramiko.AuthenticationException:
        client.close()
        what = "key" if pkey is not None and not password else "password" if password and pkey is None else \
            "key and password"
        raise HostError(f"{_first(where)} refused the {what} for user {user}. Nothing was sent.") from None
    except paramiko.SSHException as exc:
        client.close()
        if "not found in known_hosts" in str(exc):
            raise HostError(f"{_first(where)} answered with a host key that is not the one in the settings (host_key), or of "
                            "another type: it is refused, and nothing was sent. Ask IT for the server's key.") from None
        raise HostError(f"{_first(where)} could not be reached over SSH ({type(exc).__name__}). Nothing was sent.") from None
    except (OSError, socket.timeout, EOFError) as exc:
        client.close()
        raise HostError(f"{_first(where)} could not be reached ({_why(exc)}). Nothing was sent; the public site still shows "
                        "the previous version.") from None
    return SshReleases(SftpFileSystem(client, where), root, "ssh", where)

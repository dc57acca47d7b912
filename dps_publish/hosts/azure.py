"""Azure Blob Storage's static website (the ``$web`` container) as a web host, through azure-storage-blob.

The key comes from the web host's secrets (``secrets.py``: ``connection_string``, ``account_key`` or
``sas_token``), or failing those from Azure's own variables ``AZURE_STORAGE_CONNECTION_STRING``,
``AZURE_STORAGE_KEY`` or ``AZURE_STORAGE_SAS_TOKEN``. Nothing the SDK says is passed on: its exceptions quote
addresses that can hold a shared access signature, so every failure becomes plain words built here from the
status and Azure's error code. Retries are few and short, so a host that cannot be reached fails in seconds.
``HTTPS_PROXY`` and ``NO_PROXY`` are honoured (the SDK's requests session reads them).
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from azure.core.credentials import AzureSasCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
)
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings, LinearRetry

from .base import HostError
from .config import WebHost, env_name
from .objects import ObjectStore

T = TypeVar("T")
CONNECT_SECONDS, READ_SECONDS = 5, 60
_REFUSED = {"AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch",
            "AuthorizationResourceTypeMismatch", "AuthorizationServiceMismatch", "AuthorizationSourceIPMismatch",
            "AuthorizationProtocolMismatch", "InvalidAuthenticationInfo", "InsufficientAccountPermissions"}
_NOT_FOUND = {"BlobNotFound", "ResourceNotFound"}


class AzureContainer:
    """The few calls ``objects.ObjectStore`` needs, on one container, each failure in plain words."""

    def __init__(self, container: ContainerClient, service: BlobServiceClient, account: str, name: str,
                 where: str):
        self.container, self.service, self.account, self.name, self.where = container, service, account, name, where

    def _call(self, doing: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except AzureError as exc:
            raise HostError(self._plainly(exc, doing)) from None
        except binascii.Error:  # a key that is not base64
            raise HostError(f"{self.where} could not be used while {doing}: the key or connection string given is "
                            "not in the form Azure gives it (copy it again from the storage account's Access keys "
                            "page). Nothing was shown of it here.") from None

    def _plainly(self, exc: AzureError, doing: str) -> str:
        code = _code(exc)
        status = getattr(exc, "status_code", None)
        if isinstance(exc, ClientAuthenticationError) or code in _REFUSED or status == 403:
            return (f"{self.where} refused the key while {doing} (Azure said {code or status}): check the account "
                    "key, connection string or SAS token given as a web host secret, that it is for this account, "
                    "and that it may write to the container")
        if code == "ContainerNotFound":
            return self._no_container()
        if isinstance(exc, (ServiceRequestTimeoutError,)) or "timeout" in type(exc).__name__.lower():
            return (f"{self.where} gave no answer in time while {doing}. Check this computer's network and proxy "
                    "(HTTPS_PROXY), then try again")
        if isinstance(exc, ServiceRequestError):
            return (f"{self.where} could not be reached while {doing}. Check the account name or endpoint, this "
                    "computer's network and proxy (HTTPS_PROXY, NO_PROXY), then try again")
        if isinstance(exc, ServiceResponseError):
            return f"{self.where} stopped answering while {doing}. Try again"
        if isinstance(exc, HttpResponseError):
            return f"{self.where} answered with an error while {doing} (status {status}{', ' + code if code else ''})"
        return f"{self.where} failed while {doing} ({type(exc).__name__})"

    def _no_container(self) -> str:
        if self.name == "$web":
            return (f"the container $web does not exist in the storage account {self.account}: turn on Static "
                    "website in the storage account (it makes $web), with index.html as the index document and "
                    "404.html as the error document")
        return f"the container {self.name} does not exist in the storage account {self.account}"

    def problems(self) -> list[str]:
        try:
            self._call("looking for the container", self.container.get_container_properties)
        except HostError as exc:
            if str(exc) == self._no_container():
                return [str(exc)[0].upper() + str(exc)[1:] + "."]
            raise
        return self._website_problems() if self.name == "$web" else []

    def _website_problems(self) -> list[str]:
        """Static website off, or set to other index and error documents, would serve something else than what
        verification expects. A key that may not read the account's settings (a container's SAS) skips this."""
        try:
            website = self.service.get_service_properties().get("static_website")
        except AzureError:
            return []
        if website is None or not website.enabled:
            return [f"Static website is turned off in the storage account {self.account}: turn it on, with "
                    "index.html as the index document and 404.html as the error document."]
        found = []
        if (website.index_document or "") != "index.html":
            found.append(f"The storage account {self.account}'s static website has {website.index_document!r} as its "
                         "index document: set it to index.html.")
        if (website.error_document404_path or "") != "404.html":
            found.append(f"The storage account {self.account}'s static website has "
                         f"{website.error_document404_path!r} as its error document: set it to 404.html.")
        return found

    def read(self, name: str) -> bytes | None:
        blob = self.container.get_blob_client(name)
        try:
            return blob.download_blob().readall()
        except ResourceNotFoundError as exc:
            if _code(exc) in _NOT_FOUND or exc.status_code == 404 and _code(exc) != "ContainerNotFound":
                return None
            raise HostError(self._plainly(exc, f"reading {name}")) from None
        except AzureError as exc:
            raise HostError(self._plainly(exc, f"reading {name}")) from None

    def write(self, name: str, data: bytes, content_type: str, cache_control: str) -> None:
        settings = ContentSettings(content_type=content_type, cache_control=cache_control)
        self._call(f"writing {name}", lambda: self.container.get_blob_client(name).upload_blob(
            data, overwrite=True, content_settings=settings, validate_content=True))

    def upload(self, name: str, source: Path, content_type: str, cache_control: str) -> None:
        settings = ContentSettings(content_type=content_type, cache_control=cache_control)

        def send():
            with open(source, "rb") as f:
                self.container.get_blob_client(name).upload_blob(
                    f, length=os.fstat(f.fileno()).st_size, overwrite=True, content_settings=settings,
                    validate_content=True, max_concurrency=1)

        self._call(f"sending {name}", send)

    def remove(self, names: Sequence[str]) -> None:
        def one(name: str) -> None:
            try:
                self.container.delete_blob(name)
            except ResourceNotFoundError as exc:
                if _code(exc) == "ContainerNotFound":
                    raise HostError(self._plainly(exc, f"deleting {name}")) from None
            except AzureError as exc:
                raise HostError(self._plainly(exc, f"deleting {name}")) from None

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(one, names))

    def close(self) -> None:
        self.container.close()
        self.service.close()


def _code(exc: AzureError) -> str:
    """Azure's error code (``AuthorizationFailure``), which names the fault and never holds a secret."""
    code = getattr(exc, "error_code", None)
    return str(getattr(code, "value", code) or "")


def _secret(secrets, name: str, environ: Mapping[str, str], azure_variable: str) -> tuple[str | None, str]:
    value = secrets.get(name) if secrets is not None else None
    if value:
        return value, secrets.where(name) or f"the web host secret {name}"
    if environ.get(azure_variable):
        return environ[azure_variable], f"the environment variable {azure_variable}"
    return None, ""


def connect(host: WebHost, secrets, environ: Mapping[str, str] | None = None) -> AzureContainer:
    environ = os.environ if environ is None else environ
    account, name = host.get("account"), host.get("container", "$web")
    endpoint = (host.get("endpoint") or f"https://{account}.blob.core.windows.net").rstrip("/")
    options = dict(retry_policy=LinearRetry(backoff=1, retry_total=2, random_jitter_range=1),
                   connection_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS)
    if host.ca_file:
        options["connection_verify"] = host.ca_file
    where = f"the Azure storage account {account} (container {name}" + \
        (f" at {endpoint})" if host.get("endpoint") else ")")
    connection_string, _ = _secret(secrets, "connection_string", environ, "AZURE_STORAGE_CONNECTION_STRING")
    key, _ = _secret(secrets, "account_key", environ, "AZURE_STORAGE_KEY")
    sas, _ = _secret(secrets, "sas_token", environ, "AZURE_STORAGE_SAS_TOKEN")
    try:
        if connection_string:
            service = BlobServiceClient.from_connection_string(connection_string, **options)
            if service.account_name and service.account_name != account:
                raise HostError(f"The connection string given for {where} is for the storage account "
                                f"{service.account_name}, not {account}. Give the connection string of {account}, or "
                                "correct the account in WEB_HOST.")
        elif key:
            service = BlobServiceClient(endpoint, credential={"account_name": account, "account_key": key}, **options)
        elif sas:
            service = BlobServiceClient(endpoint, credential=AzureSasCredential(sas.lstrip("?")), **options)
        else:
            raise HostError(f"There is no key for {where}. Give one as the environment variable "
                            f"{env_name('account_key')} (or {env_name('connection_string')}, {env_name('sas_token')}), "
                            "as account_key in web-host-secrets.toml beside the desk's users file, or as "
                            "AZURE_STORAGE_KEY or AZURE_STORAGE_CONNECTION_STRING.")
    except (ValueError, TypeError, AzureError):
        raise HostError(f"The key or connection string given for {where} cannot be read: it is not in the form "
                        "Azure gives it (copy it again from the storage account's Access keys page).") from None
    return AzureContainer(service.get_container_client(name), service, account, name, where)


def open_azure(host: WebHost, secrets) -> ObjectStore:
    return ObjectStore(connect(host, secrets), "azure")

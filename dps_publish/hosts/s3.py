"""An S3-compatible bucket (Amazon S3, or a service that speaks its API) as a web host, through boto3.

The key comes from the web host's secrets (``secrets.py``: ``access_key_id`` and ``secret_access_key``), or
failing those from ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (with ``AWS_SESSION_TOKEN`` when set);
nothing else is looked for (no instance metadata to wait on). Nothing boto3 says is passed on: its messages
can quote signed addresses, so every failure becomes plain words built here from the status and S3's error
code. Each object is sent with its Content-MD5, which S3 checks, and without the newer checksums that many
S3-compatible services refuse. Retries are few and short, so a host that cannot be reached fails in seconds.
``HTTPS_PROXY`` and ``NO_PROXY`` are honoured (botocore reads them).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)

from .base import HostError
from .config import WebHost, env_name
from .objects import ObjectStore

T = TypeVar("T")
CONNECT_SECONDS, READ_SECONDS = 5, 60
_REFUSED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken",
            "AuthorizationHeaderMalformed", "InvalidSecurity", "AccountProblem", "AllAccessDisabled", "403"}
_NO_BUCKET = {"NoSuchBucket", "404"}
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}


class S3Bucket:
    """The few calls ``objects.ObjectStore`` needs, on one bucket (and folder in it), each failure in plain words."""

    def __init__(self, client, bucket: str, prefix: str, where: str, service: str):
        self.client, self.bucket, self.prefix, self.where = client, bucket, prefix, where
        self.service = service  # "at https://...", or "in eu-west-2" for Amazon's own

    def _key(self, name: str) -> str:
        return self.prefix + name

    def _call(self, doing: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except (ClientError, BotoCoreError) as exc:
            raise HostError(self._plainly(exc, doing)) from None

    def _plainly(self, exc: Exception, doing: str) -> str:
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _REFUSED or status == 403:
                return (f"{self.where} refused the key while {doing} (S3 said {code or status}): check the access "
                        "key id and secret access key given as web host secrets, and that they may write to the "
                        "bucket")
            if code in _NO_BUCKET and doing == "looking for the bucket" or code == "NoSuchBucket":
                return self._no_bucket()
            return f"{self.where} answered with an error while {doing} (status {status}{', ' + code if code else ''})"
        if isinstance(exc, SSLError):
            return (f"{self.where} could not be reached while {doing}: its HTTPS certificate is not trusted by this "
                    "computer (a council's own certificate authority can be named as ca_file in WEB_HOST)")
        if isinstance(exc, ProxyConnectionError):
            return (f"{self.where} could not be reached while {doing}: the proxy (HTTPS_PROXY) refused or could not be "
                    "reached")
        if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
            return (f"{self.where} gave no answer in time while {doing}. Check this computer's network and proxy "
                    "(HTTPS_PROXY), then try again")
        if isinstance(exc, EndpointConnectionError) or "Connection" in type(exc).__name__:
            return (f"{self.where} could not be reached while {doing}. Check the endpoint and region, this "
                    "computer's network and proxy (HTTPS_PROXY, NO_PROXY), then try again")
        return f"{self.where} failed while {doing} ({type(exc).__name__})"

    def _no_bucket(self) -> str:
        return f"the bucket {self.bucket} does not exist {self.service}: make it, or correct the bucket in WEB_HOST"

    def problems(self) -> list[str]:
        try:
            self._call("looking for the bucket", lambda: self.client.head_bucket(Bucket=self.bucket))
        except HostError as exc:
            if str(exc) == self._no_bucket():
                return [str(exc)[0].upper() + str(exc)[1:] + "."]
            raise
        return []

    def read(self, name: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
            return answer["Body"].read()
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _NOT_FOUND:
                return None
            raise HostError(self._plainly(exc, f"reading {name}")) from None
        except BotoCoreError as exc:
            raise HostError(self._plainly(exc, f"reading {name}")) from None

    def write(self, name: str, data: bytes, content_type: str, cache_control: str) -> None:
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        self._call(f"writing {name}", lambda: self.client.put_object(
            Bucket=self.bucket, Key=self._key(name), Body=data, ContentType=content_type, CacheControl=cache_control,
            ContentMD5=md5))

    def upload(self, name: str, source: Path, content_type: str, cache_control: str) -> None:
        def send():
            with open(source, "rb") as f:
                digest = hashlib.md5(usedforsecurity=False)
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
                size = f.tell()
                f.seek(0)
                self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=f, ContentLength=size,
                                       ContentType=content_type, CacheControl=cache_control,
                                       ContentMD5=base64.b64encode(digest.digest()).decode())

        self._call(f"sending {name}", send)

    def remove(self, names: Sequence[str]) -> None:
        names = list(names)
        for start in range(0, len(names), 1000):  # S3 deletes at most 1,000 objects a request
            batch = names[start:start + 1000]
            answer = self._call(f"deleting {len(batch):,} files", lambda: self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": self._key(n)} for n in batch], "Quiet": True}))
            errors = [e for e in answer.get("Errors", []) if e.get("Code") != "NoSuchKey"]
            if errors:
                first = errors[0]
                raise HostError(f"{self.where} did not delete {len(errors):,} files (the first, "
                                f"{first.get('Key', '?')[len(self.prefix):]}: S3 said {first.get('Code', '?')})")

    def close(self) -> None:
        self.client.close()


def _secret(secrets, name: str, environ: Mapping[str, str], aws_variable: str) -> str | None:
    value = secrets.get(name) if secrets is not None else None
    return value or environ.get(aws_variable) or None


def connect(host: WebHost, secrets, environ: Mapping[str, str] | None = None) -> S3Bucket:
    environ = os.environ if environ is None else environ
    bucket, endpoint, prefix = host.get("bucket"), host.get("endpoint") or None, host.get("prefix", "")
    region = host.get("region") or "us-east-1"
    service = f"at {endpoint}" if endpoint else f"in {region}"
    where = f"the S3 bucket {bucket} {service}" + (f" (folder {prefix})" if prefix else "")
    key_id = _secret(secrets, "access_key_id", environ, "AWS_ACCESS_KEY_ID")
    secret = _secret(secrets, "secret_access_key", environ, "AWS_SECRET_ACCESS_KEY")
    if not (key_id and secret):
        missing = "access key id" if not key_id else "secret access key"
        raise HostError(f"There is no {missing} for {where}. Give the key as the environment variables "
                        f"{env_name('access_key_id')} and {env_name('secret_access_key')}, as access_key_id and "
                        "secret_access_key in web-host-secrets.toml beside the desk's users file, or as "
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    token = environ.get("AWS_SESSION_TOKEN") if not (secrets and secrets.get("access_key_id")) else None
    config = Config(connect_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS,
                    retries={"total_max_attempts": 3, "mode": "standard"},
                    s3={"addressing_style": "path" if endpoint else "auto"},
                    request_checksum_calculation="when_required", response_checksum_validation="when_required",
                    max_pool_connections=16)
    try:
        session = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                                        aws_session_token=token or None, region_name=region)
        client = session.client("s3", endpoint_url=endpoint, config=config, verify=host.ca_file or None)
    except (BotoCoreError, ValueError):
        raise HostError(f"{where} cannot be used: the endpoint or region in WEB_HOST is not one boto3 accepts.") from None
    return S3Bucket(client, bucket, prefix, where, service)


def open_s3(host: WebHost, secrets) -> ObjectStore:
    return ObjectStore(connect(host, secrets), "s3")

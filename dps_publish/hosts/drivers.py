"""Which driver serves which kind of web host: one line each, imported only when used."""

from __future__ import annotations

import importlib

from .base import Driver, HostError
from .config import WebHost
from .secrets import Secrets

DRIVERS = {
    "releases": ("dps_publish.hosts.releases", "open_releases"),
    "ssh": ("dps_publish.hosts.ssh", "open_ssh"),
    "azure": ("dps_publish.hosts.azure", "open_azure"),
    "s3": ("dps_publish.hosts.s3", "open_s3"),
}


def open_driver(host: WebHost, secrets: Secrets) -> Driver:
    module_name, function = DRIVERS[host.kind]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("dps_publish"):
            raise HostError(f"This copy of dps-publish has no driver for a web host of kind {host.kind!r} "
                            f"({module_name} is missing). Install dps-publish again.") from None
        raise HostError(f"Going live to a web host of kind {host.kind!r} needs the Python package {exc.name}, "
                        "which is not installed. Run make setup.") from None
    return getattr(module, function)(host, secrets)

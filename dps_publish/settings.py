"""Settings the data does not hold, read from ``pelicanconf.py`` / ``publishconf.py``.

Pelican reads the file; the publisher takes the few values it needs into one
typed object so no stage digs in a shared dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULTS = {
    "SITEURL": "https://dps.example.org",
    "SITENAME": "Everyday life support in Kent",
    "COUNCIL_NAME": "Kent County Council",
    "COUNCIL_EMAIL": "accessibility@example.org",
    "COUNCIL_PHONE": "03000 000000",
    "COUNCIL_ADDRESS": "Example House, Example Street, Maidstone, ME14 0XX",
    "EXAMPLE_DATA": True,
    "SMALL_NUMBER_THRESHOLD": 5,
    "OCDS_PREFIX": "ocds-xxxxxx",
    "COUNCIL_ORG_ID": "GB-LAE-KEN",
}


@dataclass(frozen=True)
class PublishSettings:
    site_url: str
    site_name: str
    council_name: str
    council_email: str
    council_phone: str
    council_address: str
    example_data: bool
    small_number_threshold: int
    ocds_prefix: str
    council_org_id: str
    pelican: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def base_path(self) -> str:
        """The path part of the public address, e.g. ``/dps`` for https://example.org/dps."""
        from urllib.parse import urlsplit

        return urlsplit(self.site_url).path.rstrip("/")


def load_settings(path: Path | None) -> PublishSettings:
    from pelican.settings import read_settings

    pelican = read_settings(str(path) if path and Path(path).exists() else None)
    values = {key: pelican.get(key, default) for key, default in DEFAULTS.items()}
    values["SITEURL"] = (values["SITEURL"] or DEFAULTS["SITEURL"]).rstrip("/")
    return PublishSettings(
        site_url=values["SITEURL"],
        site_name=values["SITENAME"],
        council_name=values["COUNCIL_NAME"],
        council_email=values["COUNCIL_EMAIL"],
        council_phone=values["COUNCIL_PHONE"],
        council_address=values["COUNCIL_ADDRESS"],
        example_data=bool(values["EXAMPLE_DATA"]),
        small_number_threshold=int(values["SMALL_NUMBER_THRESHOLD"]),
        ocds_prefix=values["OCDS_PREFIX"],
        council_org_id=values["COUNCIL_ORG_ID"],
        pelican=pelican,
    )

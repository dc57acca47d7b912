"""Part of the ``check-open-data`` stage, the second package: the services residents can use, as Open Referral UK open data.

Writes the publishable model as a CSV data package in the Open Referral UK
profile of HSDS 3.0, so that directories of local services can take our
providers without retyping them. Each table carries the profile's own table
schema (vendored in ``schemas/openreferral/profile.json``, CC BY-SA 4.0) and
every column the profile declares for it, empty where we know nothing.

- ``organization``: one per public provider;
- ``organization_identifier``: Companies House and Charity Commission numbers;
- ``service``: one per listing residents can use (awarded, or suspended as
  "temporarily closed"); listings that ``left`` are not services any more;
- ``service_area``: one per service and district (ONS codes), or one "Kent"
  row when a listing covers every district;
- ``contact`` and ``phone``: the profile links a phone number to a service only
  through a contact, so each service with a phone number gets one of each.

Open Referral UK judges compliance on its API, not on CSV files, so the same
rows are also written as the API would serve them (``api/``, see
``write_api``): ``services.json``, one page of the ``/services`` list holding
every service, and ``services/<id>.json`` for each, shaped by the profile's
compiled API schemas (``shared/oruk/api/``, checked in the tests).

Ids are UUIDs made with ``uuid5`` from our own keys under a namespace fixed
for the council, so the same provider or listing keeps its id in every build.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from functools import cache
from importlib import resources
from pathlib import Path

from ..addresses import OPEN_REFERRAL, provider_path
from ..model.publishable import Listing, SiteModel
from ..settings import PublishSettings
from ..words import STATUS_WORDS, SUPPORT_TYPE_WORDS, slug
from .datapackage import ATTRIBUTION, OGL, REHEARSAL, cell, csv_resource
from .jsontext import json_document
from .registers import register_of

# Never change: every id in the package is derived from it (and the council's org id).
ID_NAMESPACE = uuid.UUID("e8b962e6-b89e-464c-b8ee-05d0043be55f")
SITE_FOLDER = OPEN_REFERRAL  # where the site publishes this package
SERVICE_STATUS = {"awarded": "active", "suspended": "temporarily closed"}  # other statuses are not services
ONS_URI = "http://statistics.data.gov.uk/id/statistical-geography/{}"
FIRST_SENTENCE = re.compile(r".*?(?:[.!?](?=\s|$)|$)", re.DOTALL)
AGE_GROUP = re.compile(r"^(?P<low>\d+)-(?:(?P<high>\d+)|plus)$")
CC_BY_SA = {
    "name": "CC-BY-SA-4.0",
    "path": "https://creativecommons.org/licenses/by-sa/4.0/",
    "title": "Creative Commons Attribution-ShareAlike 4.0: applies to the Open Referral UK table schemas "
             "in this descriptor, not to the data",
}


@cache
def load_profile() -> dict:
    """The vendored subset of the Open Referral UK profile's datapackage.json."""
    text = resources.files("dps_publish.sources.schemas").joinpath("openreferral/profile.json").read_text(encoding="utf-8")
    return json.loads(text)


def profile_resource(name: str) -> dict:
    return next(r for r in load_profile()["resources"] if r["name"] == name)


class Ids:
    """Stable UUIDs: ``uuid5`` over the council's namespace and a table name plus our keys."""

    def __init__(self, council_org_id: str):
        self.namespace = uuid.uuid5(ID_NAMESPACE, council_org_id)

    def __call__(self, table: str, *key: str) -> str:
        return str(uuid.uuid5(self.namespace, "/".join((table, *key))))

    def organization(self, provider_id: str) -> str:
        return self("organization", provider_id)

    def service(self, listing: Listing) -> str:
        return self("service", listing.programme_id, listing.lot_id, listing.provider_id)


def age_range(age_groups: tuple[str, ...]) -> tuple[int | None, int | None]:
    """18-25 -> (18, 25); 26-plus -> (26, None); both -> (18, None); none -> (None, None)."""
    spans = [(int(m["low"]), int(m["high"]) if m["high"] else None)
             for m in map(AGE_GROUP.match, age_groups) if m]
    if not spans:
        return None, None
    highs = [high for _, high in spans]
    return min(low for low, _ in spans), None if None in highs else max(highs)


def public_listings(model: SiteModel) -> list[Listing]:
    return [x for x in model.listings if x.status in SERVICE_STATUS]


def organization_rows(model: SiteModel, settings: PublishSettings, ids: Ids) -> list[dict]:
    return [{
        "id": ids.organization(p.provider_id),
        "name": p.name,
        "description": p.description or f"{p.name} gives support commissioned by {settings.council_name}.",
        "email": p.email,
        "website": p.website,
    } for p in model.providers]


def organization_identifier_rows(model: SiteModel, ids: Ids) -> list[dict]:
    rows = []
    for p in model.providers:
        register = register_of(p)
        if register:
            rows.append({
                "id": ids("organization_identifier", p.provider_id, register.scheme),
                "organization_id": ids.organization(p.provider_id),
                "identifier_scheme": register.scheme,
                "identifier_type": register.number,
                "identifier": p.registration_number,
            })
    return rows


def service_rows(model: SiteModel, settings: PublishSettings, ids: Ids) -> list[dict]:
    rows = []
    for listing in public_listings(model):
        provider = model.provider(listing.provider_id)
        lot = model.lot(listing.programme_id, listing.lot_id)
        minimum_age, maximum_age = age_range(listing.age_groups)
        rows.append({
            "id": ids.service(listing),
            "organization_id": ids.organization(provider.provider_id),
            "name": f"{lot.name} from {provider.name}",
            "description": service_description(model, settings, listing),
            "url": provider.website or f"{settings.site_url}/{provider_path(provider.provider_id)}",
            "email": provider.email,
            "status": SERVICE_STATUS[listing.status],
            "minimum_age": minimum_age,
            "maximum_age": maximum_age,
            # The day the council last checked the entry with the provider (providers' last_checked).
            "assured_date": provider.last_checked.isoformat() if provider.last_checked else "",
            "alert": STATUS_WORDS[listing.status].capitalize() + "." if listing.status == "suspended" else "",
        })
    return rows


def service_description(model: SiteModel, settings: PublishSettings, listing: Listing) -> str:
    lot = model.lot(listing.programme_id, listing.lot_id)
    programme = model.programme(listing.programme_id)
    # Only the first sentence: the rest of a lot's description speaks to providers about the procurement.
    parts = [FIRST_SENTENCE.match(lot.description)[0].strip()]
    if listing.activities:
        parts.append(f"Activities: {', '.join(listing.activities)}.")
    if listing.support_types:
        parts.append(f"How support is given: {'; '.join(SUPPORT_TYPE_WORDS.get(s, s) for s in listing.support_types)}.")
    parts.append(f"Commissioned by {settings.council_name} through {programme.name} (lot {lot.lot_id}).")
    return " ".join(p for p in parts if p)


def service_area_rows(model: SiteModel, settings: PublishSettings, ids: Ids) -> list[dict]:
    rows = []
    for listing in public_listings(model):
        for key, code, name, text in listing_areas(model, settings, listing):
            rows.append({
                "id": ids("service_area", listing.programme_id, listing.lot_id, listing.provider_id, key),
                "service_id": ids.service(listing),
                "name": name,
                "uri": ONS_URI.format(code),
                "service_area": f"{text} (ONS code {code})",
            })
    return rows


def listing_areas(model: SiteModel, settings: PublishSettings, listing: Listing) -> list[tuple[str, str, str, str]]:
    """(key, ONS code, name, words) of each area: one for the council's whole area (``COUNCIL_AREA`` and
    ``COUNCIL_AREA_CODE``) when it is all of it; a district's area is named only where the table gives one."""
    if set(listing.districts) == {d.code for d in model.districts}:
        name, code = settings.council_area, settings.council_area_code
        return [("all", code, name, f"All of {name}")]
    districts = [model.district(code) for code in listing.districts]
    return [(d.code, d.code, d.name, f"{d.name}, {d.area}" if d.area else d.name) for d in districts]


def contact_rows(model: SiteModel, ids: Ids) -> tuple[list[dict], list[dict]]:
    """(contacts, phones): the provider's enquiry number for each of its services."""
    contacts, phones = [], []
    for listing in public_listings(model):
        provider = model.provider(listing.provider_id)
        if not provider.phone:
            continue
        contact_id = ids("contact", listing.programme_id, listing.lot_id, listing.provider_id)
        contacts.append({"id": contact_id, "service_id": ids.service(listing), "name": provider.name})
        phones.append({
            "id": ids("phone", listing.programme_id, listing.lot_id, listing.provider_id),
            "contact_id": contact_id,
            "number": provider.phone,
            "description": f"Ask {provider.name} about this service",
        })
    return contacts, phones


def open_referral_tables(model: SiteModel, settings: PublishSettings) -> dict[str, list[dict]]:
    ids = Ids(settings.council_org_id)
    contacts, phones = contact_rows(model, ids)
    return {
        "organization": organization_rows(model, settings, ids),
        "organization_identifier": organization_identifier_rows(model, ids),
        "service": service_rows(model, settings, ids),
        "service_area": service_area_rows(model, settings, ids),
        "contact": contacts,
        "phone": phones,
    }


def rows_csv(rows: list[dict], names: list[str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([cell(row.get(n)) for n in names])
    return buffer.getvalue().encode("utf-8")


def write_open_referral(model: SiteModel, settings: PublishSettings, folder: Path) -> dict:
    """Write the Open Referral UK CSV files and their ``datapackage.json`` into ``folder``, and the same as its API
    would serve it into ``folder/api``; return the descriptor."""
    folder.mkdir(parents=True, exist_ok=True)
    resources_out = []
    tables = open_referral_tables(model, settings)
    write_api(tables, folder / API_FOLDER)
    for name, rows in tables.items():
        source = profile_resource(name)
        data = rows_csv(rows, [f["name"] for f in source["schema"]["fields"]])
        (folder / source["path"]).write_bytes(data)
        resources_out.append(csv_resource(name, source["path"], data, source["schema"],
                                          description=source["description"]))
    descriptor = package_descriptor(model, settings, resources_out)
    (folder / "datapackage.json").write_bytes(json_document(descriptor))
    return descriptor


API_FOLDER = "api"
# The one-to-one fields of a service: what a page of the /services list holds for each (service_list.json).
LIST_FIELDS = ("id", "organization_id", "name", "description", "url", "email", "status", "fees", "accreditations",
               "minimum_age", "maximum_age", "assured_date", "assurer_email", "alert", "last_modified")
# The lists /services/{id} nests in a service; those we know nothing for are empty.
NESTED_LISTS = ("schedules", "service_areas", "service_at_locations", "languages", "funding", "cost_options",
                "contacts", "attributes")


def _known(row: dict) -> dict:
    """A row as JSON gives it: a value we do not know is left out (the schemas type it, so null would be wrong)."""
    return {k: v for k, v in row.items() if v is not None and v != ""}


def api_services(tables: dict[str, list[dict]]) -> list[dict]:
    """Every service as ``/services/{id}`` returns it: its organization, service areas and contacts nested."""
    organizations = {o["id"]: _known(o) for o in tables["organization"]}
    nested = {"service_areas": tables["service_area"], "contacts": tables["contact"]}
    by_service = {name: {} for name in nested}
    for name, rows in nested.items():
        for row in rows:
            by_service[name].setdefault(row["service_id"], []).append(_known(row))
    services = []
    for row in tables["service"]:
        service = _known(row)
        service["organization"] = organizations[row["organization_id"]]
        for name in NESTED_LISTS:
            service[name] = by_service.get(name, {}).get(row["id"], [])
        services.append(service)
    return services


def api_service_page(services: list[dict]) -> dict:
    """The ``/services`` list as one page holding every service, with the profile's paging fields."""
    return {
        "total_items": len(services), "total_pages": 1, "page_number": 1, "size": len(services),
        "first_page": True, "last_page": True, "empty": not services,
        "contents": [{**{k: s[k] for k in LIST_FIELDS if k in s}, "organization": s["organization"]}
                     for s in services],
    }


def write_api(tables: dict[str, list[dict]], folder: Path) -> list[Path]:
    """``services.json`` and ``services/<id>.json`` in ``folder``, as the Open Referral UK API would serve them."""
    services = api_services(tables)
    (folder / "services").mkdir(parents=True, exist_ok=True)
    written = [folder / "services.json"]
    written[0].write_bytes(json_document(api_service_page(services)))
    for service in services:
        path = folder / "services" / f"{service['id']}.json"
        path.write_bytes(json_document(service))
        written.append(path)
    return written


def package_descriptor(model: SiteModel, settings: PublishSettings, resources_out: list[dict]) -> dict:
    profile = load_profile()
    created = dt.datetime.combine(model.published_on, dt.time(0), dt.timezone.utc)
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": f"{slug(settings.council_name)}-open-referral-uk",
        "id": f"{settings.site_url}/{SITE_FOLDER}datapackage.json",
        "title": f"{settings.council_name}: commissioned support services (Open Referral UK)",
        "description": (
            "The organisations the council has commissioned to give adult social care support, the "
            "services residents can use and the districts they cover, in the Open Referral UK profile "
            f"of the Human Services Data Specification {profile['version']}. Services that are not "
            "taking new people at the moment have the status 'temporarily closed'. " + ATTRIBUTION
            + f" The table schemas are from the {profile['attribution']}, Open Referral UK profile, "
              "licensed under CC BY-SA 4.0."
            + (" The organisations and services in this package are EXAMPLE DATA, not real organisations."
               if model.example_data else "")
            + (REHEARSAL if settings.rehearsal else "")
        ),
        "homepage": f"{settings.site_url}/data/",
        "created": created.isoformat().replace("+00:00", "Z"),
        "licenses": [OGL, CC_BY_SA],
        "sources": [{"title": f"Open Referral UK profile of {profile['title']} {profile['version']} "
                              "(table schemas)", "path": "https://openreferraluk.org/"}],
        "contributors": [{"title": settings.council_name, "roles": ["publisher"], "email": settings.council_email}],
        "keywords": ["Open Referral UK", "HSDS", "adult social care", "services directory", settings.council_area],
        "resources": resources_out,
    }

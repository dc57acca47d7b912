"""Part of the ``check-open-data`` stage: write the open data, a Frictionless Data Package v2, to ``data/``.

Each published table is written as CSV (the package's resources) and as JSON
(an array of objects, for people who prefer it) from the publishable model,
never from the source tables. The package carries the published schemas (no
exempt column), ``bytes`` and a ``sha256`` hash per resource, and is checked by
frictionless before the build may succeed.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..model.publishable import PUBLISHED, SiteModel, derived_fields
from ..settings import PublishSettings
from ..sources.schemas import load_schema, published_schema
from ..words import slug
from .csvtext import frame_csv
from .jsontext import json_document

OGL = {
    "name": "OGL-UK-3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "title": "Open Government Licence v3.0",
}
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."
REHEARSAL = (" This is a REHEARSAL of the public data: some addresses and identifiers in it are placeholders, "
             "not the council's real ones.")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def json_value(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def table_csv(rows, names: list[str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([cell(getattr(row, n)) for n in names])
    return buffer.getvalue().encode("utf-8")


def table_json(rows, names: list[str]) -> bytes:
    records = [{n: json_value(getattr(row, n)) for n in names} for row in rows]
    return (json.dumps(records, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Resource:
    name: str
    csv: bytes
    rows: tuple | None  # None for payments: published as CSV only (a JSON copy of millions of rows helps no one)
    descriptor: dict

    @property
    def json(self) -> bytes | None:
        """The JSON copy, made only when it is written: the version rule and the change summary need only the CSV."""
        if self.rows is None:
            return None
        return table_json(self.rows, [f["name"] for f in self.descriptor["schema"]["fields"]])


def table_resources(model: SiteModel, exclude: tuple[str, ...] = ()) -> list[Resource]:
    """Each published table as CSV and JSON, with its descriptor: worked out before anything is written.

    Each table is serialised once per model: the change summary, the version
    rule and the writer all ask for the same bytes.
    """
    return [_table_resource(model, name, cls) if name == "payments"  # too big to keep: made when it is written
            else model.derived(_table_resource, name, cls)
            for name, cls in PUBLISHED.items() if name not in exclude]


def _table_resource(model: SiteModel, name: str, cls) -> Resource:
    rows = model.table(name)
    names = [f.name for f in dataclasses.fields(cls)]
    if name == "payments":  # columns, not objects: a year of payments can be millions of rows
        data, as_json = frame_csv(rows), None
    else:
        data, as_json = table_csv(rows, names), tuple(rows)
    source = load_schema(name).descriptor
    schema = published_schema(name, names, derived_fields(cls, model.small_number_threshold))
    return Resource(name, data, as_json, csv_resource(
        name, f"{name}.csv", data, schema, title=source.get("title", name),
        description=source.get("description", "")))


def csv_resource(name: str, path: str, data: bytes, schema: dict, **about) -> dict:
    """A Data Package v2 resource for a UTF-8 CSV file, with its size and sha256."""
    return {
        "name": name,
        **about,
        "path": path,
        "type": "table",
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "schema": schema,
    }


def fingerprint(resources: list[Resource]) -> dict:
    """What the version rule compares: the published schemas, and the data (payments aside: they have their own files)."""
    kept = [r for r in resources if r.name != "payments"]
    schemas = json.dumps([r.descriptor["schema"] for r in kept], sort_keys=True).encode()
    data = b"".join(r.name.encode() + b"\0" + r.csv for r in kept)
    return {"schema_hash": hashlib.sha256(schemas).hexdigest(), "data_hash": hashlib.sha256(data).hexdigest()}


def awarded_rounds(model: SiteModel) -> list[str]:
    return sorted(f"{r.programme_id}/{r.round_id}" for r in model.rounds if r.status == "awarded")


def package_version(model: SiteModel, resources: list[Resource], latest: dict | None) -> str:
    """The data package version, by a written rule, against the latest frozen round.

    - the first published round is 1.0.0;
    - a changed published schema (a column added, removed or retyped) is a new major version;
    - a new awarded round is a new minor version;
    - any other change to the published tables (a correction) is a new patch version;
    - the same tables keep the same version.
    """
    if latest is None:
        return "1.0.0"
    major, minor, patch = (int(x) for x in latest["version"].split("."))
    now = fingerprint(resources)
    if now["schema_hash"] != latest["schema_hash"]:
        return f"{major + 1}.0.0"
    if set(awarded_rounds(model)) - set(latest["rounds"]):
        return f"{major}.{minor + 1}.0"
    if now["data_hash"] != latest["data_hash"]:
        return f"{major}.{minor}.{patch + 1}"
    return latest["version"]


def _listed(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def write_data_package(model: SiteModel, settings: PublishSettings, folder: Path, *,
                       latest: dict | None = None, exclude: tuple[str, ...] = ()) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    resources = table_resources(model, exclude)
    for resource in resources:
        (folder / f"{resource.name}.csv").write_bytes(resource.csv)
        if resource.json is not None:
            (folder / f"{resource.name}.json").write_bytes(resource.json)
    created = dt.datetime.combine(model.published_on, dt.time(0), dt.timezone.utc)
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": f"{slug(settings.council_area)}-adult-social-care-commissioning",
        "id": f"{settings.site_url}/data/datapackage.json",
        "title": f"{settings.council_name}: adult social care commissioning open data",
        "description": (
            "Programmes, lots, rounds, providers and where they give support, money figures, KPIs, the "
            "procurement timetable, payments over £500, the naming register and the glossary of "
            f"{_listed(p.name for p in model.programmes)}. " + ATTRIBUTION
            + (" Provider entries, listings, KPIs and payments in this package are EXAMPLE DATA, not real "
               "organisations." if model.example_data else "")
            + (REHEARSAL if settings.rehearsal else "")
        ),
        "homepage": f"{settings.site_url}/data/",
        "version": package_version(model, resources, latest),
        "created": created.isoformat().replace("+00:00", "Z"),
        "licenses": [OGL],
        "sources": _sources(model),
        "contributors": [{"title": settings.council_name, "roles": ["publisher"], "email": settings.council_email}],
        "keywords": ["adult social care", "dynamic purchasing system", "commissioning", settings.council_area],
        "resources": [r.descriptor for r in resources],
    }
    (folder / "datapackage.json").write_bytes(json_document(descriptor))
    return descriptor


def _sources(model: SiteModel) -> list[dict]:
    titles = []
    for programme in model.programmes:
        for number in programme.decision_numbers:
            titles.append(f"{programme.buyer or 'Council'} decision {number}: {programme.name}")
    for figure in (*model.spend, *model.envelopes):
        if figure.source:
            titles.append(figure.source)
    return [{"title": t} for t in dict.fromkeys(titles)]

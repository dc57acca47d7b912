"""The Open Referral UK package: valid, true to the profile, stable between builds, and public only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import defaultdict
from pathlib import Path

import frictionless
import pytest
from helpers import ROOT, read_rows, shared_path, tree_digest

from dps_publish.model.build import build_model
from dps_publish.opendata.openreferral import Ids, age_range, load_profile, write_open_referral
from dps_publish.settings import load_settings
from dps_publish.sources.validate import validate_folder

WRITE = """
import sys
from pathlib import Path
from dps_publish.opendata.openreferral import write_open_referral
from dps_publish.model.build import build_model
from dps_publish.settings import load_settings
from dps_publish.sources.validate import validate_folder
root = Path(sys.argv[1])
model = build_model(validate_folder(root / "data").tables)
write_open_referral(model, load_settings(root / "pelicanconf.py"), Path(sys.argv[2]))
"""


def write_package(folder: Path) -> Path:
    model = build_model(validate_folder(ROOT / "data").tables)
    write_open_referral(model, load_settings(ROOT / "pelicanconf.py"), folder)
    return folder


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return write_package(tmp_path_factory.mktemp("openreferral"))


def tables(package: Path) -> dict[str, tuple[list[str], list[dict]]]:
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: read_rows(package / r["path"]) for r in descriptor["resources"]}


def profile_descriptor() -> dict:
    path = shared_path("oruk", "datapackage.json", checks="the Open Referral UK export against the profile")
    return json.loads(path.read_text(encoding="utf-8"))


def test_package_passes_frictionless(package):
    report = frictionless.validate(package / "datapackage.json")
    assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "message"])
    assert {t.name for t in report.tasks} >= {"organization", "service", "service_area"}


def test_tables_and_fields_are_the_profiles_own(package):
    profile = {r["name"]: r for r in profile_descriptor()["resources"]}
    written = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    for resource in written:
        name = resource["name"]
        assert name in profile, f"{name} is not a table of the profile"
        assert resource["schema"] == profile[name]["schema"], f"{name}: not the profile's own schema"
        header, rows = read_rows(package / resource["path"])
        profile_fields = {f["name"]: f for f in profile[name]["schema"]["fields"]}
        assert set(header) <= set(profile_fields), f"{name}: {set(header) - set(profile_fields)} not in the profile"
        for field in profile_fields.values():
            if field.get("constraints", {}).get("required"):
                assert field["name"] in header, f"{name}: required field {field['name']} is missing"
                empty = [i + 2 for i, row in enumerate(rows) if not row[field["name"]].strip()]
                assert not empty, f"{name}: required field {field['name']} is empty on rows {empty}"
            if field.get("format") == "uuid" and field["name"] in header:
                for row in rows:
                    value = row[field["name"]]
                    assert not value or str(uuid.UUID(value)) == value, f"{name}.{field['name']}: {value!r}"


def test_vendored_schemas_are_a_verbatim_copy_of_the_profile():
    profile = profile_descriptor()
    by_name = {r["name"]: r for r in profile["resources"]}
    vendored = load_profile()
    assert vendored["license"] == profile["license"]
    for resource in vendored["resources"]:
        assert resource == by_name[resource["name"]], f"{resource['name']} differs from the profile: re-copy it"


def test_services_are_the_listings_residents_can_use(package):
    _, listings = read_rows(ROOT / "data" / "listings.csv")
    expected = [x for x in listings if x["status"] in ("awarded", "suspended")]
    _, services = tables(package)["service"]
    assert len(services) == len(expected)
    statuses = sorted(s["status"] for s in services)
    assert statuses.count("temporarily closed") == sum(x["status"] == "suspended" for x in listings) > 0
    assert set(statuses) == {"active", "temporarily closed"}
    left = [x for x in listings if x["status"] == "left"]
    ids = Ids(load_settings(ROOT / "pelicanconf.py").council_org_id)
    service_ids = {s["id"] for s in services}
    assert left and not any(ids("service", x["programme_id"], x["lot_id"], x["provider_id"]) in service_ids
                            for x in left)


def test_service_areas_name_districts_by_ons_code(package):
    _, areas = tables(package)["service_area"]
    _, districts = read_rows(ROOT / "data" / "districts.csv")
    codes = {d["code"]: d["name"] for d in districts} | {"E10000016": "Kent"}
    for area in areas:
        code = area["uri"].rsplit("/", 1)[-1]
        assert codes[code] == area["name"] and code in area["service_area"]
    assert any(a["name"] == "Kent" for a in areas)  # listings for every district


@pytest.mark.parametrize("groups, ages", [
    (("18-25",), (18, 25)), (("26-plus",), (26, None)), (("18-25", "26-plus"), (18, None)), ((), (None, None)),
])
def test_age_groups_become_minimum_and_maximum_ages(groups, ages):
    assert age_range(groups) == ages


def test_two_builds_give_the_same_ids_and_bytes(package, tmp_path):
    # A second process with another hash seed: no set or dict ordering may leak into the output.
    again = tmp_path / "again"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", WRITE, str(ROOT), str(again)], check=True, env=env, cwd=tmp_path)
    first, second = tables(package), tables(again)
    for name in first:
        assert [r["id"] for r in first[name][1]] == [r["id"] for r in second[name][1]], name
    assert tree_digest(package) == tree_digest(again)


def test_ids_do_not_change_between_versions(package):
    # Pinned: a directory that imported our services must find them under the same id next year.
    _, organizations = tables(package)["organization"]
    hop_garden = next(o for o in organizations if o["name"] == "Hop Garden Makers CIC")
    assert hop_garden["id"] == "011f13a1-81f3-5396-8961-091d63fb4fe5"


def test_no_applied_only_provider_appears(package):
    _, listings = read_rows(ROOT / "data" / "listings.csv")
    _, providers = read_rows(ROOT / "data" / "providers.csv")
    statuses: dict[str, set[str]] = {}
    for x in listings:
        statuses.setdefault(x["provider_id"], set()).add(x["status"])
    applied_only = {p for p, s in statuses.items() if s == {"applied"}}
    assert len(applied_only) == 3  # data/README.md: three organisations have only applied listings
    names = {p["name"] for p in providers if p["provider_id"] in applied_only}
    ids = Ids(load_settings(ROOT / "pelicanconf.py").council_org_id)
    hidden = applied_only | names | {ids.organization(p) for p in applied_only}
    for path in sorted(p for p in package.rglob("*") if p.is_file()):  # the API files too
        text = path.read_text(encoding="utf-8")
        assert not [h for h in hidden if h in text], f"{path.name} names an organisation that only applied"


# -- the same directory as the Open Referral UK API would serve it ------------------------------------------------

def api_validator(name: str):
    """A validator for one of the profile's compiled API schemas (``shared/oruk/api/``), formats checked."""
    import jsonschema

    path = shared_path("oruk", "api", name, checks="the Open Referral UK API files against the API's schemas")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _errors(validator, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(document)]


def test_each_service_file_is_what_the_api_serves_at_services_id(package):
    validator = api_validator("service.json")
    services = {row["id"]: row for row in tables(package)["service"][1]}
    files = sorted((package / "api" / "services").glob("*.json"))
    assert {f.stem for f in files} == set(services), "one file per service, named by its id"
    areas = defaultdict(set)
    for row in tables(package)["service_area"][1]:
        areas[row["service_id"]].add(row["id"])
    for file in files:
        service = json.loads(file.read_text(encoding="utf-8"))
        assert not _errors(validator, service), f"{file.name}:\n  " + "\n  ".join(_errors(validator, service)[:10])
        assert service["id"] == file.stem and service["name"] == services[file.stem]["name"]
        assert service["organization"]["id"] == services[file.stem]["organization_id"]
        assert {a["id"] for a in service["service_areas"]} == areas[file.stem], "its areas, nested"


def test_the_services_list_is_one_page_holding_every_service(package):
    import jsonschema

    page = json.loads((package / "api" / "services.json").read_text(encoding="utf-8"))
    openapi_path = shared_path("oruk", "api", "openapi.json", checks="the Open Referral UK API's paging")
    openapi = json.loads(openapi_path.read_text(encoding="utf-8"))
    paging = openapi["components"]["schemas"]["Page"]
    assert set(paging["properties"]) <= set(page), "every paging field of the profile's Page"
    assert not list(jsonschema.Draft202012Validator(paging).iter_errors(page))
    item = api_validator("service_list.json")
    for service in page["contents"]:
        assert not _errors(item, service), _errors(item, service)[:10]
    count = len(tables(package)["service"][1])
    assert (page["total_items"], page["size"], page["total_pages"], len(page["contents"])) == (count, count, 1, count)
    assert page["first_page"] and page["last_page"] and not page["empty"]


def test_the_api_check_can_fail():
    validator = api_validator("service.json")
    assert _errors(validator, {"id": "not-a-uuid", "name": "x", "status": "active", "email": "nope"})
    assert _errors(validator, {"name": "no id"})

"""The OCDS release and record packages: their content, and libcoveocds' verdict on both, offline.

libcoveocds needs the OCDS extensions over http, so a thread serves
``../shared/ocds/extensions`` on 127.0.0.1 and each package is validated from a
copy whose extension URLs point there (the published files keep the public URLs).
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import ROOT, require, shared_path

from dps_publish.model.build import build_model
from dps_publish.opendata.ocds import EXTENSION_URL, EXTENSIONS, compile_releases, write_ocds
from dps_publish.settings import load_settings
from dps_publish.sources.validate import validate_folder

LIBCOVEOCDS = Path(sys.executable).parent / "libcoveocds"
DPS = "dynamic-purchasing-system"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# The 1.1 record package schema refers to versioned-release-validation-schema.json by its public URL, which
# libcoveocds fetches even with --standard-zip. Offline, this runs the same CLI with those schema URLs answered
# from the standard zip (the repository they are published from); everything else goes over the network as usual.
RECORD_BOOTSTRAP = textwrap.dedent("""
    import re, sys, zipfile
    import requests
    zip_path, package = sys.argv[1], sys.argv[2]
    archive = zipfile.ZipFile(zip_path)
    network_get = requests.get
    def get(url, *args, **kwargs):
        match = re.fullmatch(r"https://standard\\.open-contracting\\.org/schema/[^/]+/([\\w.-]+\\.json)", str(url))
        member = match and next((n for n in archive.namelist() if n.endswith("/schema/" + match.group(1))), None)
        if not member:
            return network_get(url, *args, **kwargs)
        response = requests.models.Response()
        response.status_code, response.url, response.encoding = 200, url, "utf-8"
        response._content = archive.read(member)
        return response
    requests.get = get
    from libcoveocds.__main__ import main
    main(["--standard-zip", zip_path, package])
""")


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example data's model, settings and the two packages written from them."""
    validation = validate_folder(ROOT / "data")
    model = build_model(validation.tables)
    settings = load_settings(ROOT / "pelicanconf.py")
    folder = tmp_path_factory.mktemp("ocds")
    write_ocds(model, settings, folder)
    releases = json.loads((folder / "release-package.json").read_text(encoding="utf-8"))
    records = json.loads((folder / "record-package.json").read_text(encoding="utf-8"))
    return model, settings, folder, releases, records


def releases_of(releases: dict, ocid: str) -> list[dict]:
    return [r for r in releases["releases"] if r["ocid"] == ocid]


def ocid_of(settings, programme) -> str:
    return f"{settings.ocds_prefix}-{programme.programme_id}"


def the_dps(model):
    return next(p for p in model.programmes if p.route == DPS)


# --- libcoveocds, offline -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def extension_server():
    """``../shared/ocds/extensions`` over http on 127.0.0.1: (base URL, log of (path, status) served, the standard's
    zip). Asked for before the packages are written, so a missing part of ``../shared`` fails at once."""
    checks = "the OCDS packages against the standard with libcoveocds"
    extensions = shared_path("ocds", "extensions", checks=checks)
    standard_zip = shared_path("ocds", "standard-1.1.zip", checks=checks)
    require(LIBCOVEOCDS, checks, "Install the test tools: .venv/bin/pip install -e '.[test]' (make test does).")
    served: list[tuple[str, int]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_request(self, code="-", size="-"):
            served.append((self.path, int(code)))

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(extensions)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served, standard_zip
    server.shutdown()
    server.server_close()


def cove(package_path: Path, kind: str, server, tmp_path: Path) -> tuple[dict, list[str], list]:
    """libcoveocds' JSON result for a copy of the package with local extension URLs, those URLs, and what was served."""
    base, served, standard_zip = server
    package = json.loads(package_path.read_text(encoding="utf-8"))
    local = [f"{base}/{url.split('/')[-3]}/extension.json" for url in package["extensions"]]
    package["extensions"] = local
    copy = tmp_path / f"local-{package_path.name}"
    copy.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    served.clear()
    if kind == "release":
        command = [str(LIBCOVEOCDS), "--standard-zip", str(standard_zip), str(copy)]
    else:
        command = [sys.executable, "-c", RECORD_BOOTSTRAP, str(standard_zip), str(copy)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout), local, list(served)


def assert_valid(result: dict, local_urls: list[str], served: list) -> None:
    assert result["validation_errors"] == [], json.dumps(result["validation_errors"], indent=1)[:3000]
    assert not result["additional_closed_codelist_values"], result["additional_closed_codelist_values"]
    assert not result.get("conformance_errors"), result.get("conformance_errors")
    assert not result.get("json_deref_error"), result.get("json_deref_error")
    # Every extension listed, none invalid, the schema extended, every codelist read...
    extensions = result["extensions"]
    assert [e["url"] for e in extensions["extensions"]] == local_urls
    assert extensions["invalid_extension"] == {} and not extensions.get("invalid_extensions")
    assert extensions["is_extended_schema"] is True
    assert all(e["failed_codelists"] == {} for e in extensions["extensions"])
    # ...and really applied: libcoveocds says nothing when an extension's release-schema.json is missing, so check
    # that each was served, and that no extension field shows up as "additional" (what an unapplied one looks like).
    for name in EXTENSIONS:
        assert (f"/{name}/release-schema.json", 200) in served, f"{name}'s schema was not fetched: {served}"
    # Observation dimensions are free-form (patternProperties), which libcoveocds reports as additional fields.
    unexpected = [f for f in result["additional_fields"] if not f["path"].endswith("/observations/dimensions")]
    assert unexpected == [], unexpected


def test_release_package_passes_libcoveocds(extension_server, example, tmp_path):
    _, _, folder, _, _ = example
    assert_valid(*cove(folder / "release-package.json", "release", extension_server, tmp_path))


def test_record_package_passes_libcoveocds(extension_server, example, tmp_path):
    _, _, folder, _, _ = example
    assert_valid(*cove(folder / "record-package.json", "record", extension_server, tmp_path))


# --- Content --------------------------------------------------------------------------------------------------------

def test_packages_name_the_publisher_licence_and_public_extensions(example):
    model, settings, _, releases, records = example
    public = [EXTENSION_URL.format(n) for n in ("ocds_lots_extension", "ocds_submissionTerms_extension",
                                                 "ocds_techniques_extension", "ocds_budget_breakdown_extension",
                                                 "ocds_metrics_extension")]
    for name, package in (("release-package.json", releases), ("record-package.json", records)):
        assert package["uri"] == f"{settings.site_url}/data/ocds/{name}"
        assert package["version"] == "1.1"
        assert package["publishedDate"] == f"{model.published_on.isoformat()}T00:00:00Z"
        assert package["publisher"] == {"name": settings.council_name, "scheme": "GB-LAE",
                                        "uid": settings.council_org_id.removeprefix("GB-LAE-")}
        assert package["license"] == "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
        assert package["publicationPolicy"] == f"{settings.site_url}/data/policies/"
        assert package["extensions"] == public
    assert records["packages"] == [releases["uri"]]


def test_every_release_has_the_required_fields_and_one_ocid_per_programme(example):
    model, settings, _, releases, records = example
    ids = [r["id"] for r in releases["releases"]]
    assert len(ids) == len(set(ids))
    assert {r["ocid"] for r in releases["releases"]} == {ocid_of(settings, p) for p in model.programmes}
    for release in releases["releases"]:
        assert release["initiationType"] == "tender" and release["language"] == "en"
        assert RFC3339.match(release["date"]), release["date"]
        assert release["tag"] and release["id"].startswith(release["ocid"] + "-")
    assert [r["ocid"] for r in records["records"]] == [ocid_of(settings, p) for p in model.programmes]


def test_the_dps_tender_has_the_technique_and_its_lots(example):
    model, settings, _, releases, _ = example
    dps = the_dps(model)
    tenders = [r for r in releases_of(releases, ocid_of(settings, dps)) if r["tag"] == ["tender"]]
    assert len(tenders) == 1
    tender = tenders[0]["tender"]
    assert tender["techniques"]["hasDynamicPurchasingSystem"] is True
    assert tender["procurementMethod"] == "selective"
    assert tender["id"] == dps.programme_id and tender["title"] == dps.name and tender["description"] == dps.summary
    lots = model.lots_of(dps.programme_id)
    assert [lot["id"] for lot in tender["lots"]] == [lot.lot_id for lot in lots]
    assert [lot["title"] for lot in tender["lots"]] == [lot.name for lot in lots]
    statuses = {lot["id"]: lot["status"] for lot in tender["lots"]}
    assert statuses == {lot.lot_id: "active" if lot.reopens else "complete" for lot in lots}
    assert "complete" in statuses.values()  # the example has a lot closed to new suppliers
    first = model.rounds_of(dps.programme_id)[0]
    assert tender["tenderPeriod"] == {"startDate": f"{first.opens}T00:00:00Z", "endDate": f"{first.closes}T23:59:59Z"}
    council = next(p for p in tenders[0]["parties"] if p["id"] == settings.council_org_id)
    assert {"buyer", "procuringEntity"} <= set(council["roles"])
    assert tenders[0]["buyer"]["id"] == settings.council_org_id


def test_one_award_release_per_awarded_round_naming_who_joined(example):
    model, settings, _, releases, records = example
    dps = the_dps(model)
    ocid = ocid_of(settings, dps)
    awarded = [r for r in model.rounds_of(dps.programme_id) if r.status == "awarded"]
    award_releases = [r for r in releases_of(releases, ocid) if "award" in r["tag"]]
    assert len(awarded) >= 2 and len(award_releases) == len(awarded)
    for round_, release in zip(awarded, award_releases, strict=True):
        assert release["date"] == f"{round_.award_date}T00:00:00Z"
        parties = {p["id"]: p for p in release["parties"]}
        named = set()
        for award in release["awards"]:
            assert award["status"] == "active" and len(award["relatedLots"]) == 1
            lot_id = award["relatedLots"][0]
            expected = {model.provider(x.provider_id).name for x in model.listings
                        if x.programme_id == dps.programme_id and x.round_id == round_.round_id and x.lot_id == lot_id}
            assert {s["name"] for s in award["suppliers"]} == expected
            for supplier in award["suppliers"]:
                assert "supplier" in parties[supplier["id"]]["roles"]
            named |= expected
        joined = {model.provider(x.provider_id).name for x in model.listings
                  if x.programme_id == dps.programme_id and x.round_id == round_.round_id}
        assert named == joined and joined
    compiled = next(r["compiledRelease"] for r in records["records"] if r["ocid"] == ocid)
    assert {a["id"] for a in compiled["awards"]} == {a["id"] for r in award_releases for a in r["awards"]}


def test_suppliers_carry_their_register_identifier(example):
    model, _, _, releases, _ = example
    by_name = {p.name: p for p in model.providers}
    schemes = {"company": "GB-COH", "community-interest-company": "GB-COH", "charity": "GB-CHC"}
    checked = 0
    for release in releases["releases"]:
        for party in release["parties"]:
            provider = by_name.get(party["name"])
            if not provider:
                continue
            scheme = schemes.get(provider.organisation_type)
            if scheme and provider.registration_number:
                assert party["identifier"] == {"scheme": scheme, "id": provider.registration_number,
                                               "legalName": provider.name}
                assert party["id"] == f"{scheme}-{provider.registration_number}"
                checked += 1
            else:
                assert "identifier" not in party and party["id"] == provider.provider_id
    assert checked


def test_budget_breakdown_per_contract_year_where_there_are_envelopes(example):
    model, settings, _, releases, _ = example
    with_envelopes = [p for p in model.programmes if model.envelopes_of(p.programme_id)]
    assert with_envelopes
    for programme in model.programmes:
        tender_release = next(r for r in releases_of(releases, ocid_of(settings, programme)) if "tender" in r["tag"])
        envelopes = model.envelopes_of(programme.programme_id)
        if not envelopes:
            assert "planning" not in tender_release
            continue
        lines = tender_release["planning"]["budget"]["budgetBreakdown"]
        assert len(lines) == len(envelopes)
        parties = {p["id"]: p for p in tender_release["parties"]}
        for line, envelope in zip(lines, envelopes, strict=True):
            assert f"contract year {envelope.contract_year}" in line["description"]
            assert f"Lot {envelope.lot_id} " in line["description"]
            assert ("optional" in line["description"]) is bool(envelope.optional)
            assert Decimal(str(line["amount"]["amount"])) == envelope.amount_gbp
            assert line["amount"]["currency"] == "GBP"
            start_year = programme.start_date.year + envelope.contract_year - 1
            assert line["period"]["startDate"].startswith(f"{start_year}-")
            assert line["period"]["endDate"].startswith(f"{start_year + 1}-")
            source = parties[line["sourceParty"]["id"]]
            assert "sourceParty" in source["roles"] and source["name"] in (envelope.funder, settings.council_name)
        assert any(e.optional for e in envelopes)  # so the optional marking is really checked


def kpi_observations(releases: dict) -> list[tuple[str, dict]]:
    return [(metric["id"], observation)
            for release in releases["releases"] for contract in release.get("contracts", [])
            for metric in contract.get("implementation", {}).get("metrics", [])
            for observation in metric["observations"]]


def quarter_start(period: str) -> str:
    """``2023-Q2`` starts in ``2023-04``."""
    year, quarter = period.split("-Q")
    return f"{year}-{3 * int(quarter) - 2:02d}"


def test_no_withheld_kpi_number_is_published(example):
    model, settings, _, releases, _ = example
    observations = {(kpi_id, o["dimensions"]["supplierName"], o["period"]["startDate"][:7]): o
                    for kpi_id, o in kpi_observations(releases)}
    withheld = [k for k in model.kpis if k.withheld and k.provider_id]
    assert withheld  # the example data withholds some
    for kpi in withheld:
        observation = observations[(kpi.kpi_id, model.provider(kpi.provider_id).name, quarter_start(kpi.period))]
        assert "measure" not in observation and "value" not in observation
        assert observation["notes"].startswith("Withheld")
    shown = [k for k in model.kpis if not k.withheld and k.provider_id]
    for kpi in shown:
        observation = observations[(kpi.kpi_id, model.provider(kpi.provider_id).name, quarter_start(kpi.period))]
        assert Decimal(str(observation["measure"])) == kpi.value


def test_a_withheld_kpi_stays_out_even_if_a_number_reaches_the_model(example, tmp_path):
    """Were a withheld value ever to carry numbers, none of them may reach the OCDS files."""
    model, settings, _, _, _ = example
    poisoned = tuple(dataclasses.replace(k, numerator=424242, denominator=515151, value=Decimal("987654.321"))
                     if k.withheld else k for k in model.kpis)
    write_ocds(dataclasses.replace(model, kpis=poisoned), settings, tmp_path)  # a replaced model starts with no derived values
    for path in tmp_path.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        for number in ("424242", "515151", "987654"):
            assert number not in text, f"{path.name} publishes the withheld number {number}"


def test_record_compiles_releases_in_date_order(example):
    _, _, _, releases, records = example
    for record in records["records"]:
        own = releases_of(releases, record["ocid"])
        dates = [r["date"] for r in record["releases"]]
        assert dates == sorted(dates) and len(dates) == len(own)
        assert {r["url"].split("#")[1] for r in record["releases"]} == {r["id"] for r in own}
        compiled = record["compiledRelease"]
        assert compiled["tag"] == ["compiled"] and compiled["date"] == dates[-1]
        assert compiled["id"] == f"{record['ocid']}-{dates[-1]}"


def test_compiling_follows_the_merge_rules():
    older = {"ocid": "o", "id": "o-1", "date": "2022-01-01T00:00:00Z", "tag": ["tender"],
             "parties": [{"id": "a", "name": "A", "roles": ["buyer", "funder"]}],
             "tender": {"title": "Old", "lots": [{"id": "1", "status": "active"}, {"id": "2", "status": "active"}]}}
    newer = {"ocid": "o", "id": "o-2", "date": "2023-01-01T00:00:00Z", "tag": ["award"],
             "parties": [{"id": "a", "roles": ["buyer"]}, {"id": "b", "name": "B", "roles": ["supplier"]}],
             "tender": {"lots": [{"id": "2", "status": "complete"}]},
             "awards": [{"id": "x", "relatedLots": ["2"]}]}
    compiled = compile_releases([newer, older])  # given out of order: dates decide
    assert compiled["id"] == "o-2023-01-01T00:00:00Z" and compiled["tag"] == ["compiled"]
    assert compiled["tender"] == {"title": "Old", "lots": [{"id": "1", "status": "active"},
                                                           {"id": "2", "status": "complete"}]}
    assert compiled["parties"] == [{"id": "a", "name": "A", "roles": ["buyer"]},  # a list of strings is replaced
                                   {"id": "b", "name": "B", "roles": ["supplier"]}]
    assert compiled["awards"] == [{"id": "x", "relatedLots": ["2"]}]
    assert older["tender"]["lots"][1]["status"] == "active"  # the inputs are left alone


def test_output_is_byte_identical_across_runs(example, tmp_path):
    """Another process, with another hash seed, writes the same bytes."""
    _, _, folder, _, _ = example
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from dps_publish.opendata.ocds import write_ocds
        from dps_publish.model.build import build_model
        from dps_publish.settings import load_settings
        from dps_publish.sources.validate import validate_folder
        model = build_model(validate_folder(Path({str(ROOT / "data")!r})).tables)
        write_ocds(model, load_settings(Path({str(ROOT / "pelicanconf.py")!r})), Path({str(tmp_path)!r}))
    """)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    for name in ("release-package.json", "record-package.json"):
        first, second = (folder / name).read_bytes(), (tmp_path / name).read_bytes()
        assert first == second, f"{name} differs between runs"
        text = first.decode("utf-8")
        assert text.endswith("}\n") and text.startswith('{\n  "uri"')
        assert "–" in text  # ensure_ascii=False: an en dash from a lot name stays as it is

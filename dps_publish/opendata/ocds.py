"""Part of the ``check-open-data`` stage: the contracting processes as OCDS 1.1 release and record packages, in ``data/ocds/``.

One contracting process (one ocid) per programme. A Dynamic Purchasing System
is a tender release with ``techniques.hasDynamicPurchasingSystem`` and its lots,
then one award release per awarded round naming the suppliers who joined in it;
another programme is a tender release and, where providers are listed, an award
release. Yearly financial envelopes are ``planning.budget.budgetBreakdown``;
KPI targets and results are metrics on one contract per award. Everything comes
from the publishable model, so nothing exempt can be in it, and every date comes
from the data, never the clock. Records hold linked releases and a compiled
release merged with the OCDS merge rules for the fields written here.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path

from ..model.publishable import KpiDefinition, KpiValue, Lot, Programme, Round, SiteModel
from ..quarters import quarter_dates
from ..settings import PublishSettings
from ..words import slug
from .jsontext import json_document
from .registers import register_of

DPS_ROUTE = "dynamic-purchasing-system"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
EXTENSIONS = ("ocds_lots_extension", "ocds_submissionTerms_extension", "ocds_techniques_extension",
              "ocds_budget_breakdown_extension", "ocds_metrics_extension")
EXTENSION_URL = "https://raw.githubusercontent.com/open-contracting-extensions/{}/master/extension.json"

# The closed `method` codelist. A DPS runs under the restricted procedure (only
# suppliers who pass selection join), as does the competitive procedure with
# negotiation. A framework can be let either way, so it gets no method.
PROCUREMENT_METHOD = {
    DPS_ROUTE: "selective",
    "restricted-procedure": "selective",
    "competitive-procedure-with-negotiation": "selective",
    "open-procedure": "open",
    "direct-award": "direct",
}
ROUTE_WORDS = {
    DPS_ROUTE: "Dynamic purchasing system",
    "framework": "Framework agreement",
    "open-procedure": "Open procedure",
    "restricted-procedure": "Restricted procedure",
    "competitive-procedure-with-negotiation": "Competitive procedure with negotiation",
    "direct-award": "Direct award",
}
# UN/CEFACT Recommendation 20 common codes for the units the KPIs use.
UNITS = {"percent": ("P1", "percent"), "days": ("DAY", "day"), "count": ("C62", "one")}


def release_package(model: SiteModel, settings: PublishSettings) -> dict:
    releases = [r for programme in model.programmes for r in programme_releases(model, settings, programme)]
    return {
        **_package_head(model, settings, "release-package.json"),
        "releases": releases,
    }


def record_package(model: SiteModel, settings: PublishSettings, releases_package: dict) -> dict:
    by_ocid: dict[str, list[dict]] = {}
    for release in releases_package["releases"]:
        by_ocid.setdefault(release["ocid"], []).append(release)
    records = []
    for ocid, releases in by_ocid.items():
        ordered = sorted(releases, key=lambda r: r["date"])  # stable: same-day releases keep their order
        records.append({
            "ocid": ocid,
            "releases": [{"url": f"{releases_package['uri']}#{r['id']}", "date": r["date"], "tag": r["tag"]}
                         for r in ordered],
            "compiledRelease": compile_releases(ordered),
        })
    return {
        **_package_head(model, settings, "record-package.json"),
        "packages": [releases_package["uri"]],
        "records": records,
    }


def write_ocds(model: SiteModel, settings: PublishSettings, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    releases = release_package(model, settings)
    for name, package in (("release-package.json", releases),
                          ("record-package.json", record_package(model, settings, releases))):
        (folder / name).write_bytes(json_document(package))


def _package_head(model: SiteModel, settings: PublishSettings, name: str) -> dict:
    scheme, uid = split_org_id(settings.council_org_id)
    return {
        "uri": f"{settings.site_url}/data/ocds/{name}",
        "version": "1.1",
        "publishedDate": instant(model.published_on),
        "publisher": {"name": settings.council_name, "scheme": scheme, "uid": uid},
        "license": OGL_URL,
        "publicationPolicy": f"{settings.site_url}/data/policies/",
        "extensions": [EXTENSION_URL.format(name) for name in EXTENSIONS],
    }


# --- One programme's releases ---------------------------------------------------------------------------------------

def programme_releases(model: SiteModel, settings: PublishSettings, programme: Programme) -> list[dict]:
    process = Process(model, settings, programme)
    releases = [process.tender_release()]
    if programme.route == DPS_ROUTE:
        for round_ in model.rounds_of(programme.programme_id):
            if round_.status == "awarded" and process.joined_in(round_.round_id):
                releases.append(process.award_release(round_))
    elif process.listings:
        releases.append(process.award_release(None))
    if model.kpis_of(programme.programme_id) and process.awards():
        releases.append(process.implementation_release())
    return releases


class Process:
    """The contracting process of one programme: its parties, lots, awards and metrics."""

    def __init__(self, model: SiteModel, settings: PublishSettings, programme: Programme):
        self.model, self.settings, self.programme = model, settings, programme
        self.ocid = f"{settings.ocds_prefix}-{programme.programme_id}"
        self.lots = model.lots_of(programme.programme_id)
        self.listings = [x for x in model.listings if x.programme_id == programme.programme_id]
        self.rounds = model.rounds_of(programme.programme_id)
        self.envelopes = model.envelopes_of(programme.programme_id)
        self.funders = list(dict.fromkeys(e.funder or settings.council_name for e in self.envelopes))

    # Releases

    def tender_release(self) -> dict:
        release = self._head("tender", self._tender_date(), ["tender"])
        release["parties"] = self._organisation_parties()
        release["buyer"] = self._reference(self._buyer())
        if self.envelopes:
            release["planning"] = {"budget": {
                "description": "The money set aside for each lot, contract year by contract year.",
                "budgetBreakdown": [self._budget_line(e) for e in self.envelopes],
            }}
        release["tender"] = self._tender()
        return release

    def award_release(self, round_: Round | None) -> dict:
        suffix = f"award-{round_.round_id}" if round_ else "award"
        release = self._head(suffix, self._award_date(round_), ["award"])
        awards = [self._award(round_, lot, joined) for lot, joined in self._joined_by_lot(round_)]
        suppliers = sorted({p for _, joined in self._joined_by_lot(round_) for p in joined}, key=self._name_key)
        release["parties"] = self._organisation_parties() + [self._supplier_party(p) for p in suppliers]
        release["buyer"] = self._reference(self._buyer())
        release["awards"] = awards
        return release

    def implementation_release(self) -> dict:
        kpis = self.model.kpis_of(self.programme.programme_id)
        latest = max(kpis, key=lambda k: quarter_dates(k.period)[1])
        release = self._head(f"implementation-{latest.period}", end_of_day(quarter_dates(latest.period)[1]),
                             ["contract", "implementation"])
        release["parties"] = self._organisation_parties()
        release["buyer"] = self._reference(self._buyer())
        release["contracts"] = [self._contract(award, kpis) for award in self.awards()]
        return release

    def _head(self, suffix: str, date: str, tag: list[str]) -> dict:
        return {"ocid": self.ocid, "id": f"{self.ocid}-{suffix}", "date": date, "tag": tag,
                "initiationType": "tender", "language": "en"}

    # Dates: the first round or timetable date for the tender; the award date (or failing that the day
    # services started) for an award; the publication date when the data holds nothing better.

    def _tender_date(self) -> str:
        if self.rounds:
            return instant(self.rounds[0].opens)
        milestones = [m.date for m in self.model.milestones if m.programme_id == self.programme.programme_id]
        return instant(min(milestones) if milestones else self.programme.start_date or self.model.published_on)

    def _award_date(self, round_: Round | None) -> str:
        if round_:
            return instant(round_.award_date or round_.services_start or round_.closes)
        return instant(self.programme.start_date or self.model.published_on)

    # Tender

    def _tender(self) -> dict:
        p = self.programme
        tender = {"id": p.programme_id, "title": p.name, "description": p.summary, "status": self._tender_status(),
                  "procuringEntity": self._reference(self._council())}
        if p.route in PROCUREMENT_METHOD:
            tender["procurementMethod"] = PROCUREMENT_METHOD[p.route]
        if p.route in ROUTE_WORDS:
            tender["procurementMethodDetails"] = ROUTE_WORDS[p.route]
        tender["mainProcurementCategory"] = "services"  # adult social care support
        if p.route == DPS_ROUTE:
            tender["techniques"] = {"hasDynamicPurchasingSystem": True,
                                    "dynamicPurchasingSystem": {"status": self._dps_status()}}
        elif p.route == "framework":
            tender["techniques"] = {"hasFrameworkAgreement": True}
        if self.rounds:  # the opening round; later rounds are the award releases
            tender["tenderPeriod"] = {"startDate": instant(self.rounds[0].opens),
                                      "endDate": end_of_day(self.rounds[0].closes)}
        if p.start_date or p.end_date:
            tender["contractPeriod"] = _period(p.start_date, p.end_date)
        tender["lots"] = [self._lot(lot) for lot in self.lots]
        return tender

    def _tender_status(self) -> str:
        status = self.programme.status
        if status == "planning":
            return "planned"
        if self.programme.route == DPS_ROUTE:  # open to requests to participate while the DPS runs
            return "active" if status in ("tendering", "active") else "complete"
        return "active" if status == "tendering" else "complete"

    def _dps_status(self) -> str:
        return {"planning": "pending", "tendering": "pending", "active": "active"}.get(self.programme.status,
                                                                                       "terminated")

    def _lot(self, lot: Lot) -> dict:
        out = {"id": lot.lot_id, "title": lot.name, "description": lot.description}
        status = self._lot_status(lot)
        if status:
            out["status"] = status
        return out

    def _lot_status(self, lot: Lot) -> str | None:
        if self.programme.status == "planning":
            return "planned"
        if self.programme.route == DPS_ROUTE:
            # A lot that does not reopen closed to new suppliers after the opening round.
            return "active" if self.model.open_to_new_providers(lot) or self.programme.status == "tendering" \
                else "complete"
        if self.programme.status == "tendering":
            return "active"
        # Let and running: complete where providers were awarded; the data does not say what became of the others.
        return "complete" if any(x.lot_id == lot.lot_id for x in self.listings) else None

    # Budget

    def _budget_line(self, envelope) -> dict:
        lot = self.model.lot(envelope.programme_id, envelope.lot_id)
        words = f"Lot {lot.lot_id} ({lot.name}), contract year {envelope.contract_year}"
        if envelope.optional:
            words += ": an optional extension year"
        line = {"id": f"lot-{lot.lot_id}-year-{envelope.contract_year}", "description": words,
                "amount": {"amount": number(envelope.amount_gbp), "currency": "GBP"}}
        start = self.programme.start_date
        if start:
            line["period"] = _period(add_years(start, envelope.contract_year - 1),
                                     add_years(start, envelope.contract_year) - dt.timedelta(days=1))
        line["sourceParty"] = self._reference(self._funder_party(envelope.funder or self.settings.council_name))
        return line

    # Awards

    def joined_in(self, round_id: str) -> bool:
        return any(x.round_id == round_id for x in self.listings)

    def _joined_by_lot(self, round_: Round | None) -> list[tuple[Lot, list]]:
        """Each lot with the providers who joined it in this round (without rounds: every listed provider)."""
        out = []
        for lot in self.lots:
            ids = {x.provider_id for x in self.listings
                   if x.lot_id == lot.lot_id and (round_ is None or x.round_id == round_.round_id)}
            if ids:
                out.append((lot, sorted((self.model.provider(i) for i in ids), key=self._name_key)))
        return out

    def awards(self) -> list[tuple[str, Round | None, Lot, list]]:
        """(award id, round, lot, suppliers) for every award the releases hold, in release order."""
        if self.programme.route == DPS_ROUTE:
            rounds = [r for r in self.rounds if r.status == "awarded" and self.joined_in(r.round_id)]
        else:
            rounds = [None] if self.listings else []
        return [(self._award_id(r, lot), r, lot, joined) for r in rounds for lot, joined in self._joined_by_lot(r)]

    @staticmethod
    def _award_id(round_: Round | None, lot: Lot) -> str:
        return f"{round_.round_id}-lot-{lot.lot_id}" if round_ else f"lot-{lot.lot_id}"

    def _award(self, round_: Round | None, lot: Lot, joined: list) -> dict:
        award = {"id": self._award_id(round_, lot), "title": lot.name}
        if round_:
            award["description"] = round_.title
        award["status"] = "active"
        if round_ and round_.award_date:
            award["date"] = instant(round_.award_date)
        award["suppliers"] = [self._reference(self._supplier_party(p)) for p in joined]
        award["relatedLots"] = [lot.lot_id]
        start = round_.services_start if round_ else self.programme.start_date
        if start or (not round_ and self.programme.end_date):
            award["contractPeriod"] = _period(start, None if round_ else self.programme.end_date)
        return award

    # Contracts and metrics

    def _contract(self, award: tuple, kpis: list[KpiValue]) -> dict:
        award_id, round_, lot, joined = award
        contract = {"id": f"contract-{award_id}", "awardID": award_id, "title": lot.name}
        if round_:
            contract["description"] = round_.title
        contract["status"] = {"active": "active", "closed": "terminated"}.get(self.programme.status, "pending")
        start = round_.services_start if round_ else self.programme.start_date
        if start:
            contract["period"] = _period(start, None if round_ else self.programme.end_date)
        definitions = self._kpi_definitions(kpis)
        contract["agreedMetrics"] = [agreed_metric(d) for d in definitions]
        joined_here = {p.provider_id: p for p in joined}
        results = []
        for definition in definitions:
            values = [k for k in kpis if k.kpi_id == definition.kpi_id and k.lot_id == lot.lot_id
                      and k.provider_id in joined_here]
            if values:
                values.sort(key=lambda k: (self._name_key(joined_here[k.provider_id]), quarter_dates(k.period)))
                results.append({"id": definition.kpi_id, "title": definition.name,
                                "observations": [self._observation(k, definition, joined_here[k.provider_id])
                                                 for k in values]})
        if results:
            contract["implementation"] = {"metrics": results}
        return contract

    def _kpi_definitions(self, kpis: list[KpiValue]) -> list[KpiDefinition]:
        used = {k.kpi_id for k in kpis}
        return [d for d in self.model.kpi_definitions if d.kpi_id in used]

    def _observation(self, kpi: KpiValue, definition: KpiDefinition, provider) -> dict:
        start, end = quarter_dates(kpi.period)
        out = {"id": f"{provider.provider_id}-{kpi.period}", "period": _period(start, end)}
        if kpi.withheld or kpi.value is None:
            # Never a withheld number: the observation says why it is empty instead.
            out["notes"] = (f"Withheld: it counts fewer than {self.settings.small_number_threshold} people, or "
                            "could be used to work out such a count." if kpi.withheld else "Not reported.")
        else:
            out["measure"] = number(kpi.value)
            out["unit"] = unit(definition.unit)
            if definition.target is not None:
                out["notes"] = f"Rating against the target: {kpi.rating}."
        out["dimensions"] = {"supplierId": self._supplier_party(provider)["id"], "supplierName": provider.name}
        return out

    # Parties

    def _council(self) -> dict:
        scheme, uid = split_org_id(self.settings.council_org_id)
        return {"id": self.settings.council_org_id, "name": self.settings.council_name,
                "identifier": {"scheme": scheme, "id": uid, "legalName": self.settings.council_name}}

    def _buyer(self) -> dict:
        name = self.programme.buyer
        if not name or name == self.settings.council_name:
            return self._council()
        return {"id": f"buyer-{slug(name)}", "name": name}

    def _funder_party(self, funder: str) -> dict:
        if funder == self.settings.council_name:
            return self._council()
        return {"id": f"funder-{slug(funder)}", "name": funder}

    def _organisation_parties(self) -> list[dict]:
        """The council, the buyer and the funders, with the same roles in every release so merging keeps them."""
        parties: dict[str, dict] = {}

        def add(party: dict, *roles: str) -> None:
            entry = parties.setdefault(party["id"], {**party, "roles": []})
            entry["roles"] += [r for r in roles if r not in entry["roles"]]

        add(self._buyer(), "buyer")
        add(self._council(), "procuringEntity")
        for funder in self.funders:
            add(self._funder_party(funder), "funder", "sourceParty")
        return list(parties.values())

    def _supplier_party(self, provider) -> dict:
        party = {"id": provider.provider_id, "name": provider.name}
        register = register_of(provider)
        if register:
            party["id"] = f"{register.scheme}-{provider.registration_number}"
            party["identifier"] = {"scheme": register.scheme, "id": provider.registration_number,
                                   "legalName": provider.name}
        party["roles"] = ["tenderer", "supplier"]
        return party

    @staticmethod
    def _reference(party: dict) -> dict:
        return {"id": party["id"], "name": party["name"]}

    @staticmethod
    def _name_key(provider) -> tuple[str, str]:
        return provider.name.lower(), provider.provider_id


def agreed_metric(definition: KpiDefinition) -> dict:
    metric = {"id": definition.kpi_id, "title": definition.name, "description": definition.description}
    if definition.target is not None:
        better = {True: " Higher is better.", False: " Lower is better."}.get(definition.higher_is_better, "")
        metric["observations"] = [{"id": "target", "measure": number(definition.target),
                                   "unit": unit(definition.unit), "notes": f"The target.{better}"}]
    return metric


def unit(name: str) -> dict:
    if name in UNITS:
        code, words = UNITS[name]
        return {"name": words, "scheme": "UNCEFACT", "id": code}
    return {"name": name}


# --- Compiling records ----------------------------------------------------------------------------------------------

def compile_releases(releases: list[dict]) -> dict:
    """The compiled release: releases merged oldest first with the OCDS merge rules.

    Objects merge field by field; arrays of objects that all have an ``id`` merge item by item on it; any other
    value (strings, numbers, arrays of strings such as ``roles`` or ``relatedLots``) is replaced by the newer one.
    The releases here never carry null, so no field is removed.
    """
    ordered = sorted(releases, key=lambda r: r["date"])
    merged: dict = {}
    for release in ordered:
        merged = _merge(merged, {k: v for k, v in release.items() if k not in ("id", "date", "tag")})
    latest = ordered[-1]["date"]
    return {"ocid": merged.pop("ocid"), "id": f"{ordered[-1]['ocid']}-{latest}", "date": latest,
            "tag": ["compiled"], **merged}


def _merge(old, new):
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for key, value in new.items():
            out[key] = _merge(old[key], value) if key in old else copy.deepcopy(value)
        return out
    if _identified(old) and _identified(new):
        items = {item["id"]: item for item in old}
        for item in new:
            items[item["id"]] = _merge(items[item["id"]], item) if item["id"] in items else copy.deepcopy(item)
        return list(items.values())
    return copy.deepcopy(new)


def _identified(value) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "id" in i for i in value)


# --- Values ---------------------------------------------------------------------------------------------------------

def instant(day: dt.date) -> str:
    """The start of a day as an RFC 3339 timestamp in UTC."""
    return f"{day.isoformat()}T00:00:00Z"


def end_of_day(day: dt.date) -> str:
    return f"{day.isoformat()}T23:59:59Z"


def _period(start: dt.date | None, end: dt.date | None) -> dict:
    out = {}
    if start:
        out["startDate"] = instant(start)
    if end:
        out["endDate"] = end_of_day(end)
    return out


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def split_org_id(org_id: str) -> tuple[str, str]:
    """``GB-LAE-KEN`` is the scheme ``GB-LAE`` and the identifier ``KEN`` (org-id.guide prefixes have two parts)."""
    parts = org_id.split("-", 2)
    if len(parts) < 3:
        raise ValueError(f"COUNCIL_ORG_ID {org_id!r} is not an org-id.guide identifier; write it like GB-LAE-NSH")
    return f"{parts[0]}-{parts[1]}", parts[2]

"""The publishable model: everything the writers may use, and nothing else.

Exempt columns (personal data, commercially sensitive prices) have no field
here, and listings with status ``applied`` never become a ``Listing``: what is
not in the model cannot reach ``output/``. Templates receive a ``SiteModel``
and its documented attributes, not a shared dict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from ..words import money

T = TypeVar("T")


@dataclass(frozen=True)
class District:
    code: str
    name: str
    area: str


@dataclass(frozen=True)
class Programme:
    programme_id: str
    name: str
    easy_read_name: str
    former_names: tuple[str, ...]
    summary: str
    easy_read_summary: str
    route: str
    status: str
    start_date: dt.date | None
    end_date: dt.date | None
    decision_numbers: tuple[str, ...]
    buyer: str
    department: str  # the council department responsible (the Transparency Code's "department")
    review_date: dt.date | None


@dataclass(frozen=True)
class Lot:
    programme_id: str
    lot_id: str
    name: str
    easy_read_name: str
    description: str
    easy_read_description: str
    reopens: bool | None
    support_modes: tuple[str, ...]
    funder: str
    review_date: dt.date | None  # as the table gives it; see Lot.review_date_of for the one the register uses


@dataclass(frozen=True)
class Round:
    programme_id: str
    round_id: str
    title: str
    opens: dt.date
    closes: dt.date
    award_date: dt.date | None
    services_start: dt.date | None
    status: str


@dataclass(frozen=True)
class Provider:
    provider_id: str
    name: str
    organisation_type: str
    registration_number: str
    size: str  # micro, small, medium, large, or "" for not known
    website: str
    phone: str
    email: str
    description: str
    easy_read_description: str
    last_checked: dt.date | None  # when the council last checked the entry with the provider


@dataclass(frozen=True)
class Place:
    """A town, village or neighbourhood people know, in one district (a place in two has two)."""

    name: str
    district: str  # the district's ONS code
    other_names: tuple[str, ...]


@dataclass(frozen=True)
class Listing:
    programme_id: str
    lot_id: str
    provider_id: str
    round_id: str
    status: str
    left_date: dt.date | None
    districts: tuple[str, ...]  # ONS codes; "all" is expanded
    support_types: tuple[str, ...]
    age_groups: tuple[str, ...]
    activities: tuple[str, ...]


@dataclass(frozen=True)
class SpendFigure:
    programme_id: str
    financial_year: str
    measure: str
    cost_type: str
    client_group: str
    amount_gbp: Decimal
    source: str


@dataclass(frozen=True)
class Envelope:
    programme_id: str
    lot_id: str
    contract_year: int
    optional: bool | None
    amount_gbp: Decimal
    funder: str
    source: str


@dataclass(frozen=True)
class Milestone:
    programme_id: str
    round_id: str
    event: str
    date: dt.date
    date_end: dt.date | None


@dataclass(frozen=True)
class Payment:
    transaction_id: str
    payment_date: dt.date
    supplier_name: str  # "REDACTED - personal data" for individuals
    supplier_type: str
    supplier_id: str  # the provider's registration number where the table leaves it blank
    provider_id: str  # only when that provider is public
    programme_id: str
    lot_id: str  # only when the provider is public
    expense_area: str
    expense_type: str
    purpose: str  # an individual's is its expense type's words: the table's may name them
    amount_gbp: Decimal
    irrecoverable_vat_gbp: Decimal  # 0 where the table leaves it blank


@dataclass(frozen=True)
class NamingTerm:
    term: str
    preferred: str
    applies_to: str
    reason: str
    source: str


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    meaning: str
    easy_read_meaning: str


@dataclass(frozen=True)
class KpiDefinition:
    kpi_id: str
    name: str
    easy_read_name: str
    description: str
    unit: str
    higher_is_better: bool | None
    target: Decimal | None
    counts_people: bool | None


@dataclass(frozen=True)
class KpiValue:
    """A KPI value as published: small counts of people already withheld (None), never the real number."""

    programme_id: str
    lot_id: str  # "" = the whole programme
    provider_id: str  # "" = all providers
    period: str
    kpi_id: str
    numerator: int | None
    denominator: int | None
    value: Decimal | None
    withheld: bool
    rating: str

    DERIVED_FIELDS: ClassVar[dict] = {
        "withheld": {"name": "withheld", "type": "boolean",
                     "description": "True where a count of people, or a value worked out from one, is withheld: "
                                    "counts of fewer than {threshold} people, and one more count beside each so that the "
                                    "small one cannot be worked out by subtraction. Withheld cells are empty."},
        "rating": {"name": "rating", "type": "string",
                   "description": "The value rated against the target with the Procurement Act 2023 labels.",
                   "constraints": {"enum": ["Good", "Approaching target", "Requires improvement", "Inadequate",
                                            "Other"]}},
    }


@dataclass(frozen=True)
class Reconciliation:
    """Parts of a spend figure that do not add up to the stated total."""

    programme_id: str
    financial_year: str
    measure: str
    cost_type: str
    stated_total: Decimal
    parts_total: Decimal
    parts: tuple[tuple[str, Decimal], ...]

    @property
    def difference(self) -> Decimal:
        return self.parts_total - self.stated_total

    def sentence(self) -> str:
        return (f"The {self.financial_year} {self.measure} {self.cost_type} figures do not "
                f"add up: the report states a total of {money(self.stated_total, pence='never')}, but its parts add "
                f"up to {money(self.parts_total, pence='never')} (a difference of "
                f"{money(abs(self.difference), pence='never')}). Both are published.")


# The tables the model publishes, the class of each, and its order.
PUBLISHED = {
    "districts": District,
    "programmes": Programme,
    "lots": Lot,
    "rounds": Round,
    "providers": Provider,
    "listings": Listing,
    "spend": SpendFigure,
    "envelopes": Envelope,
    "milestones": Milestone,
    "kpi_definitions": KpiDefinition,
    "kpis": KpiValue,
    "payments": Payment,
    "naming": NamingTerm,
    "glossary": GlossaryTerm,
}


@dataclass(frozen=True, eq=False)
class SiteModel:
    published_on: dt.date
    example_data: bool
    districts: tuple[District, ...]
    programmes: tuple[Programme, ...]
    lots: tuple[Lot, ...]
    rounds: tuple[Round, ...]
    providers: tuple[Provider, ...]
    listings: tuple[Listing, ...]
    spend: tuple[SpendFigure, ...] = ()
    envelopes: tuple[Envelope, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    payments: Any = None  # a pandas DataFrame of the Payment columns, redacted (see payments.py)
    kpi_definitions: tuple[KpiDefinition, ...] = ()
    kpis: tuple[KpiValue, ...] = ()
    naming: tuple[NamingTerm, ...] = ()
    glossary: tuple[GlossaryTerm, ...] = ()
    reconciliations: tuple[Reconciliation, ...] = ()
    small_number_threshold: int = 5  # counts of people below it are withheld
    # Where people live (optional tables, never republished): towns and villages, and each postcode's district
    # as a pandas DataFrame of postcode (standard form) and district (ONS code), or None.
    places: tuple[Place, ...] = ()
    postcodes: Any = None
    _lookups: dict[str, dict] = field(default_factory=dict, init=False, compare=False, repr=False)  # the look-ups below
    _derived: dict[tuple, object] = field(default_factory=dict, init=False, compare=False, repr=False)  # see derived()

    def table(self, name: str) -> tuple:
        return getattr(self, name)

    # Look-ups the templates use.
    def programme(self, programme_id: str) -> Programme:
        return self._by("programme", lambda: {p.programme_id: p for p in self.programmes})[programme_id]

    def provider(self, provider_id: str) -> Provider:
        return self._by("provider", lambda: {p.provider_id: p for p in self.providers})[provider_id]

    def lot(self, programme_id: str, lot_id: str) -> Lot:
        return self._by("lot", lambda: {(x.programme_id, x.lot_id): x for x in self.lots})[(programme_id, lot_id)]

    def district(self, code: str) -> District:
        return self._by("district", lambda: {d.code: d for d in self.districts})[code]

    def round(self, programme_id: str, round_id: str) -> Round | None:
        return self._by("round", lambda: {(r.programme_id, r.round_id): r for r in self.rounds}).get((programme_id, round_id))

    def lots_of(self, programme_id: str) -> list[Lot]:
        return [lot for lot in self.lots if lot.programme_id == programme_id]

    def rounds_of(self, programme_id: str) -> list[Round]:
        return [r for r in self.rounds if r.programme_id == programme_id]

    def listings_of_lot(self, programme_id: str, lot_id: str) -> list[Listing]:
        return list(self._grouped("listings-by-lot", self.listings, lambda x: (x.programme_id, x.lot_id))
                    .get((programme_id, lot_id), ()))

    def listings_of_provider(self, provider_id: str) -> list[Listing]:
        return list(self._grouped("listings-by-provider", self.listings, lambda x: x.provider_id)
                    .get(provider_id, ()))

    def spend_of(self, programme_id: str) -> list[SpendFigure]:
        return [s for s in self.spend if s.programme_id == programme_id]

    def envelopes_of(self, programme_id: str) -> list[Envelope]:
        return [e for e in self.envelopes if e.programme_id == programme_id]

    def kpi_definition(self, kpi_id: str) -> KpiDefinition:
        return self._by("kpi", lambda: {k.kpi_id: k for k in self.kpi_definitions})[kpi_id]

    def kpis_of(self, programme_id: str) -> list[KpiValue]:
        return [k for k in self.kpis if k.programme_id == programme_id]

    def open_to_new_providers(self, lot: Lot) -> bool:
        programme = self.programme(lot.programme_id)
        return bool(lot.reopens) and programme.route == "dynamic-purchasing-system" and programme.status == "active"

    def _grouped(self, name: str, items, key) -> dict:
        """Items grouped by key, in their order, built once: look-ups stay cheap with 20,000 listings."""
        def build():
            groups: dict = {}
            for item in items:
                groups.setdefault(key(item), []).append(item)
            return groups

        return self._by(name, build)

    def _by(self, name: str, build):
        if name not in self._lookups:
            self._lookups[name] = build()
        return self._lookups[name]

    def derived(self, work_out: Callable[..., T], *args) -> T:
        """``work_out(model, *args)``, worked out once per model and kept with it.

        For what a later stage derives from the whole model and asks for many
        times (a district's listings, the list of pages, each table as CSV). The
        value is kept under the function itself and its arguments, so a stage
        can neither read nor overwrite what another keeps.
        """
        key = (work_out, args)
        if key not in self._derived:
            self._derived[key] = work_out(self, *args)
        return self._derived[key]


class SiteView:
    """The parts of the model every page may show, and nothing page-specific.

    Templates get this as ``model``; anything about providers, listings, KPI
    values or payments reaches a template only through its page's own context.
    That is what lets an incremental build trust a page's fingerprint.
    """

    SITE_WIDE = ("published_on", "example_data", "districts", "programmes", "lots", "rounds", "spend", "envelopes",
                 "milestones", "kpi_definitions", "naming", "glossary", "reconciliations")
    LOOKUPS = ("programme", "lot", "district", "round", "lots_of", "rounds_of", "spend_of", "envelopes_of",
               "kpi_definition", "open_to_new_providers")

    def __init__(self, model: SiteModel):
        self._model = model

    def __getattr__(self, name: str):
        if name in self.SITE_WIDE or name in self.LOOKUPS:
            return getattr(self._model, name)
        raise AttributeError(f"templates cannot read model.{name}: pass it in the page's context instead, "
                             "so incremental builds know the page depends on it")

    def fingerprint_parts(self) -> tuple:
        return tuple(getattr(self._model, name) for name in self.SITE_WIDE)


def derived_fields(cls, threshold: int) -> dict | None:
    """The columns of ``cls`` the model works out, described for a publisher whose small-number threshold is given."""
    fields = getattr(cls, "DERIVED_FIELDS", None)
    if fields is None:
        return None
    return {name: {**spec, "description": spec["description"].replace("{threshold}", str(threshold))}
            for name, spec in fields.items()}

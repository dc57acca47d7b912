"""Small-number suppression of KPI counts, so that no one can be identified.

A count of 1 to 4 people receiving a service from one provider can point at a
person. The data contract (``kpi_definitions and kpis``) and NHS Digital / ONS
disclosure-control practice ask for these rules, applied here in this order:

1. **Only counts of people.** A KPI is checked only where ``counts_people`` is
   true for its ``kpi_id``; a KPI missing from the mapping counts people,
   because the contract's default is yes and a wrong guess must not publish.
2. **Primary suppression.** A numerator or denominator from 1 to
   ``threshold - 1`` is withheld with the reason ``"small"``. 0 and counts at
   or above the threshold (default 5) are published: 0 identifies no one.
3. **Secondary suppression**, separately for numerators and denominators,
   within one programme, KPI and period. The cells form groups of a total and
   its parts: the programme total (lot ``""``, provider ``""``) over the lot
   totals (lot X, provider ``""``); a lot total over its providers (lot X,
   provider P). Where the data also has whole-programme provider rows (lot
   ``""``, provider P), these form two more groups: the programme total over
   them, and each of them over that provider's lots. Only cells with a number
   take part; a group needs its total and at least one part.

   a. A published total with exactly one withheld part would give that part
      away by subtraction: withhold the smallest other published part as
      well (ties go to the first by lot, then provider). With no other part
      (an only child equals its total), withhold the total instead.
   b. A withheld total whose parts are all published could be worked out by
      adding them up (we cannot tell whether the parts are all of it, so we
      assume they are): withhold the smallest published part.

   Cells withheld by these rules get the reason ``"secondary"``. A lot total
   withheld by them then counts as a withheld part of the programme group, so
   the rules repeat until nothing changes. This always ends, since each round
   only withholds more cells. At the end every group has either nothing
   withheld or at least two unknowns (counting a withheld total), so no chain
   of sums and differences pins down a withheld number.
4. **Values follow their counts.** A value computed from a withheld numerator
   or denominator is withheld too (``"small"`` if either count was small,
   otherwise ``"secondary"``): a published percentage and denominator would
   give the numerator back.

Withheld numbers are set to ``None`` in the ``PublishedKpi`` rather than
flagged beside the real number, so that no page, chart, download or search
index can show them by mistake.

This does not protect against overlaps between *different* KPIs (two KPIs
counting the same people) or against totals missing from the data. Where
whole-programme provider rows cross the lot hierarchy, the groups are no longer
a tree, and these rules are a careful best effort rather than a proof.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

WITHHELD_SMALL = "small"  # primary: between 1 and threshold - 1
WITHHELD_SECONDARY = "secondary"  # withheld so a small number cannot be worked out
DEFAULT_THRESHOLD = 5


@dataclass(frozen=True)
class KpiCell:
    """One row of ``kpis.csv``, typed."""

    programme_id: str
    lot_id: str  # "" = the whole programme
    provider_id: str  # "" = all providers
    period: str  # "2023-Q1"
    kpi_id: str
    numerator: int | None
    denominator: int | None
    value: Decimal | None


@dataclass(frozen=True)
class PublishedKpi:
    """A KPI cell as it may be published: withheld numbers are ``None``.

    Each ``*_withheld`` field is ``None`` when the number is published, or
    the reason it is not: ``WITHHELD_SMALL`` or ``WITHHELD_SECONDARY``.
    """

    programme_id: str
    lot_id: str
    provider_id: str
    period: str
    kpi_id: str
    numerator: int | None
    denominator: int | None
    value: Decimal | None
    numerator_withheld: str | None = None
    denominator_withheld: str | None = None
    value_withheld: str | None = None

    @property
    def withheld(self) -> bool:
        return bool(self.numerator_withheld or self.denominator_withheld or self.value_withheld)


def suppress_small_counts(
    cells: Iterable[KpiCell], counts_people: Mapping[str, bool], threshold: int = DEFAULT_THRESHOLD
) -> list[PublishedKpi]:
    """Apply the rules in the module docstring; the output keeps the input's order."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"The small-number threshold must be a whole number of at least 1, not {threshold!r}.")
    cells = list(cells)
    checked = [counts_people.get(c.kpi_id, True) for c in cells]
    reasons = {}
    for field in ("numerator", "denominator"):
        counts = [getattr(c, field) for c in cells]
        why = [_primary(n, threshold) if check else None for n, check in zip(counts, checked, strict=True)]
        _secondary(cells, counts, why, _groups(cells, checked))
        reasons[field] = why
    return [_published(c, reasons["numerator"][i], reasons["denominator"][i]) for i, c in enumerate(cells)]


def _primary(count: int | None, threshold: int) -> str | None:
    return WITHHELD_SMALL if count is not None and 1 <= count < threshold else None


def _groups(cells: list[KpiCell], checked: list[bool]) -> list[tuple[int, list[int]]]:
    """(total, parts) as positions in ``cells``, for every total and each way it splits.

    Sorted by key, so that the result does not depend on the order of the rows.
    """
    families: dict[tuple, dict[tuple[str, str], int]] = defaultdict(dict)
    for i, c in enumerate(cells):
        if checked[i]:
            families[(c.programme_id, c.kpi_id, c.period)][(c.lot_id, c.provider_id)] = i
    groups = []
    for _, place in sorted(families.items()):
        # A cell (lot, provider) is a part of the same provider across all lots, and
        # of the same lot across all providers; "" stands for "all".
        by_lot, by_provider = defaultdict(list), defaultdict(list)
        for (lot, provider), i in sorted(place.items()):
            if lot:
                by_lot[("", provider)].append(i)
            if provider:
                by_provider[(lot, "")].append(i)
        for split in (by_lot, by_provider):
            groups += [(place[key], parts) for key, parts in sorted(split.items()) if key in place]
    return groups


def _secondary(cells: list[KpiCell], counts: list, why: list, groups: list[tuple[int, list[int]]]) -> None:
    """Withhold more cells, in place in ``why``, until no group gives one away."""

    def smallest(positions: list[int]) -> int:
        return min(positions, key=lambda i: (counts[i], cells[i].lot_id, cells[i].provider_id))

    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            if counts[total] is None:
                continue
            parts = [i for i in parts if counts[i] is not None]
            withheld = [i for i in parts if why[i]]
            published = [i for i in parts if not why[i]]
            if not why[total] and len(withheld) == 1:  # rule 3a
                target = smallest(published) if published else total
            elif why[total] and parts and not withheld:  # rule 3b
                target = smallest(published)
            else:
                continue
            why[target] = WITHHELD_SECONDARY
            changed = True


def _published(cell: KpiCell, numerator_why: str | None, denominator_why: str | None) -> PublishedKpi:
    value_why = None
    if cell.value is not None and (numerator_why or denominator_why):
        value_why = WITHHELD_SMALL if WITHHELD_SMALL in (numerator_why, denominator_why) else WITHHELD_SECONDARY
    return PublishedKpi(
        programme_id=cell.programme_id,
        lot_id=cell.lot_id,
        provider_id=cell.provider_id,
        period=cell.period,
        kpi_id=cell.kpi_id,
        numerator=None if numerator_why else cell.numerator,
        denominator=None if denominator_why else cell.denominator,
        value=None if value_why else cell.value,
        numerator_withheld=numerator_why,
        denominator_withheld=denominator_why,
        value_withheld=value_why,
    )

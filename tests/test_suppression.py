"""Small-number suppression: each rule by hand, then properties over random hierarchies."""

from __future__ import annotations

import csv
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dps_publish.model.suppression import (
    WITHHELD_SECONDARY,
    WITHHELD_SMALL,
    KpiCell,
    PublishedKpi,
    suppress_small_counts,
)

SMALL, SECONDARY = WITHHELD_SMALL, WITHHELD_SECONDARY
PEOPLE = {"k": True}
EXAMPLE_DATA = Path(__file__).resolve().parents[1] / "data"


def cell(lot="", provider="", numerator=None, denominator=None, value=None, kpi="k", period="2023-Q1"):
    value = Decimal(value) if value is not None else None
    return KpiCell("p", lot, provider, period, kpi, numerator, denominator, value)


def numerators(published) -> dict:
    """(lot, provider) -> published numerator, or the reason it is withheld."""
    return {(c.lot_id, c.provider_id): c.numerator_withheld or c.numerator for c in published}


# Primary suppression.


def test_small_numbers_are_withheld_and_zero_and_threshold_are_published():
    cells = [cell(provider=f"x{n}", numerator=n) for n in (0, 1, 4, 5, 30)]
    published = suppress_small_counts(cells, PEOPLE)
    assert [c.numerator_withheld or c.numerator for c in published] == [0, SMALL, SMALL, 5, 30]


def test_threshold_is_configurable():
    cells = [cell(provider=f"x{n}", numerator=n) for n in (0, 1, 2, 3, 4)]
    published = suppress_small_counts(cells, PEOPLE, threshold=3)
    assert [c.numerator_withheld or c.numerator for c in published] == [0, SMALL, SMALL, 3, 4]


@pytest.mark.parametrize("threshold", [0, -1, 2.5, "5", True])
def test_a_threshold_that_is_not_a_whole_number_of_at_least_1_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        suppress_small_counts([cell(numerator=1)], PEOPLE, threshold=threshold)


def test_kpis_that_do_not_count_people_are_published_as_they_are():
    cells = [cell(numerator=4, kpi="activities"), cell("a", numerator=3, kpi="activities"),
             cell("b", numerator=1, kpi="activities")]
    published = suppress_small_counts(cells, {"activities": False})
    assert [c.numerator for c in published] == [4, 3, 1]
    assert not any(c.withheld for c in published)


def test_a_kpi_missing_from_the_mapping_counts_people():
    assert suppress_small_counts([cell(numerator=2, kpi="unknown")], {})[0].numerator_withheld == SMALL


def test_a_value_computed_from_a_withheld_count_is_withheld_with_it():
    percent, days = suppress_small_counts(
        [cell(numerator=3, denominator=12, value="25.0"), cell(denominator=2, value="20.5", kpi="days")],
        PEOPLE,
    )
    assert (percent.numerator, percent.numerator_withheld, percent.denominator) == (None, SMALL, 12)
    assert (percent.value, percent.value_withheld) == (None, SMALL)
    assert (days.denominator, days.value, days.value_withheld) == (None, None, SMALL)
    assert percent.withheld and days.withheld


def test_a_published_cell_is_unchanged_and_not_withheld():
    (published,) = suppress_small_counts([cell(numerator=6, denominator=8, value="75.0")], PEOPLE)
    assert published == PublishedKpi("p", "", "", "2023-Q1", "k", 6, 8, Decimal("75.0"))
    assert not published.withheld


# Secondary suppression.


def test_secondary_in_a_lot_withholds_the_smallest_other_provider():
    cells = [cell("a", numerator=20), cell("a", "x", numerator=3), cell("a", "y", numerator=9),
             cell("a", "z", numerator=8)]
    assert numerators(suppress_small_counts(cells, PEOPLE)) == {
        ("a", ""): 20, ("a", "x"): SMALL, ("a", "y"): 9, ("a", "z"): SECONDARY}


def test_secondary_ties_go_to_the_first_provider_whatever_the_row_order():
    cells = [cell("a", numerator=20), cell("a", "z", numerator=8), cell("a", "x", numerator=4),
             cell("a", "y", numerator=8)]
    assert numerators(suppress_small_counts(cells, PEOPLE))[("a", "y")] == SECONDARY


def test_secondary_value_is_withheld_as_secondary():
    cells = [cell("a", numerator=18, denominator=20), cell("a", "x", numerator=3, denominator=4, value="75.0"),
             cell("a", "y", numerator=15, denominator=16, value="93.8")]
    x, y = suppress_small_counts(cells, PEOPLE)[1:]
    assert (x.value_withheld, y.value_withheld) == (SMALL, SECONDARY)
    assert (y.numerator_withheld, y.denominator_withheld) == (SECONDARY, SECONDARY)


def test_a_small_lot_withholds_another_lot_of_the_programme():
    cells = [cell(numerator=40), cell("a", numerator=3), cell("b", numerator=22), cell("c", numerator=15)]
    assert numerators(suppress_small_counts(cells, PEOPLE)) == {
        ("", ""): 40, ("a", ""): SMALL, ("b", ""): 22, ("c", ""): SECONDARY}


def test_a_group_with_one_part_withholds_its_total_and_that_propagates_to_the_programme():
    # Provider x is the only part of lot a: lot a's total would show x's count.
    cells = [cell(numerator=60), cell("a", numerator=12), cell("a", "x", numerator=3), cell("b", numerator=30),
             cell("c", numerator=18)]
    assert numerators(suppress_small_counts(cells, PEOPLE)) == {
        ("", ""): 60, ("a", ""): SECONDARY, ("a", "x"): SMALL, ("b", ""): 30, ("c", ""): SECONDARY}


def test_a_withheld_total_cannot_be_added_up_from_its_parts():
    # Lot b is withheld to protect lot a; its providers would add up to it.
    cells = [cell(numerator=50), cell("a", numerator=3), cell("b", numerator=20), cell("b", "x", numerator=8),
             cell("b", "y", numerator=12), cell("c", numerator=27)]
    assert numerators(suppress_small_counts(cells, PEOPLE)) == {
        ("", ""): 50, ("a", ""): SMALL, ("b", ""): SECONDARY, ("b", "x"): SECONDARY, ("b", "y"): 12,
        ("c", ""): 27}


def test_two_withheld_parts_need_nothing_more():
    cells = [cell("a", numerator=20), cell("a", "x", numerator=3), cell("a", "y", numerator=4),
             cell("a", "z", numerator=13)]
    assert numerators(suppress_small_counts(cells, PEOPLE))[("a", "z")] == 13


def test_numerators_and_denominators_are_protected_separately():
    cells = [cell("a", numerator=10, denominator=30), cell("a", "x", numerator=2, denominator=10),
             cell("a", "y", numerator=8, denominator=20)]
    a, x, y = suppress_small_counts(cells, PEOPLE)
    assert (x.numerator_withheld, y.numerator_withheld) == (SMALL, SECONDARY)
    assert (a.denominator, x.denominator, y.denominator) == (30, 10, 20)


def test_kpis_periods_and_programmes_are_protected_separately():
    cells = [cell("a", numerator=20), cell("a", "x", numerator=3), cell("a", "y", numerator=17),
             cell("a", "y", numerator=6, period="2023-Q2"), cell("a", "z", numerator=6, kpi="other"),
             KpiCell("q", "a", "w", "2023-Q1", "k", 7, None, None)]
    assert [c.withheld for c in suppress_small_counts(cells, PEOPLE)] == [False, True, True, False, False, False]


def test_cells_without_a_number_take_no_part():
    cells = [cell("a", numerator=20), cell("a", "x", numerator=3), cell("a", "y", denominator=9),
             cell("a", "z", numerator=17)]
    assert numerators(suppress_small_counts(cells, PEOPLE)) == {
        ("a", ""): 20, ("a", "x"): SMALL, ("a", "y"): None, ("a", "z"): SECONDARY}


def test_whole_programme_provider_rows_are_protected_too():
    # Provider rows with a blank lot split the programme total a second way.
    cells = [cell(numerator=30), cell(provider="x", numerator=3), cell(provider="y", numerator=27)]
    assert numerators(suppress_small_counts(cells, PEOPLE)) == {("", ""): 30, ("", "x"): SMALL, ("", "y"): SECONDARY}


def test_output_keeps_the_input_order():
    cells = [cell("b", "y", numerator=5), cell(numerator=9), cell("a", numerator=2), cell("b", numerator=7)]
    published = suppress_small_counts(cells, PEOPLE)
    assert [(c.lot_id, c.provider_id) for c in published] == [(c.lot_id, c.provider_id) for c in cells]


def test_the_example_data_publishes_no_small_number_of_people():
    kpis, definitions = EXAMPLE_DATA / "kpis.csv", EXAMPLE_DATA / "kpi_definitions.csv"
    with definitions.open(encoding="utf-8-sig") as f:
        counts_people = {r["kpi_id"]: r.get("counts_people", "yes").strip().lower() != "no" for r in csv.DictReader(f)}
    with kpis.open(encoding="utf-8-sig") as f:
        cells = [KpiCell(r["programme_id"], r["lot_id"], r["provider_id"], r["period"], r["kpi_id"],
                         _int(r["numerator"]), _int(r["denominator"]), Decimal(r["value"]) if r["value"] else None)
                 for r in csv.DictReader(f)]
    published = suppress_small_counts(cells, counts_people)
    people = [p for p in published if counts_people.get(p.kpi_id, True)]
    assert people and not any(1 <= n < 5 for p in people for n in (p.numerator, p.denominator) if n is not None)
    assert any(p.withheld for p in published)


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


# Properties over random hierarchies: a programme, 1-4 lots, 0-4 providers each.
# Numerators and denominators of providers are 0-30; totals are the sums of their
# parts, so subtraction really would recover a missing part. Some lots also have
# providers that are not listed (as when a provider is not public): their total is
# more than the sum of the listed ones, which the rules must still treat as parts.


@st.composite
def hierarchies(draw):
    """(cells in a random order, threshold, groups, and the groups whose parts are all of it)."""
    threshold = draw(st.integers(2, 10))
    counts, groups, complete = {}, [], []
    for lot in (f"lot{i}" for i in range(draw(st.integers(1, 4)))):
        providers = [(lot, f"provider{j}") for j in range(draw(st.integers(0, 4)))]
        for key in providers:
            counts[key] = _pair(draw)
        unlisted = _pair(draw) if draw(st.booleans()) else (0, 0)
        counts[(lot, "")] = tuple(unlisted[i] + sum(counts[key][i] for key in providers) for i in (0, 1))
        if providers:
            groups.append(((lot, ""), providers))
            if unlisted == (0, 0):
                complete.append(groups[-1])
    lots = [key for key in counts if not key[1]]
    counts[("", "")] = tuple(sum(counts[key][i] for key in lots) for i in (0, 1))
    groups.append((("", ""), lots))
    complete.append(groups[-1])
    cells = [cell(lot, provider, n, d, _percent(n, d)) for (lot, provider), (n, d) in counts.items()]
    return draw(st.permutations(cells)), threshold, groups, complete


def _pair(draw) -> tuple[int, int]:
    denominator = draw(st.integers(0, 30))
    return draw(st.integers(0, denominator)), denominator


def _percent(numerator: int, denominator: int) -> str | None:
    return str((Decimal(100 * numerator) / denominator).quantize(Decimal("0.1"))) if denominator else None


def _withheld(published, field: str) -> set[tuple[str, str]]:
    return {(c.lot_id, c.provider_id) for c in published if getattr(c, f"{field}_withheld")}


def _determined(groups, unknown: set) -> set:
    """The unknowns that the sums (total = sum of parts) pin down exactly.

    Linear algebra, not the rules under test: an unknown is determined when its
    unit vector lies in the row space of the equations restricted to unknowns.
    """
    columns = sorted(unknown)
    rows = [[Fraction((key == total) - (key in parts)) for key in columns] for total, parts in groups]
    rank = _rank(rows)
    unit = [[Fraction(i == j) for i in range(len(columns))] for j in range(len(columns))]
    return {key for j, key in enumerate(columns) if _rank([*rows, unit[j]]) == rank}


def _rank(rows: list[list[Fraction]]) -> int:
    rows, rank = [list(r) for r in rows], 0
    for col in range(len(rows[0]) if rows else 0):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col]:
                factor = rows[r][col] / rows[rank][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


@settings(max_examples=300, deadline=None)
@given(hierarchies())
def test_no_small_number_is_published(case):
    cells, threshold, *_ = case
    for c in suppress_small_counts(cells, PEOPLE, threshold):
        assert not any(n is not None and 1 <= n < threshold for n in (c.numerator, c.denominator))


@settings(max_examples=300, deadline=None)
@given(hierarchies())
def test_every_group_hides_zero_or_at_least_two_parts(case):
    cells, threshold, groups, _ = case
    published = suppress_small_counts(cells, PEOPLE, threshold)
    for field in ("numerator", "denominator"):
        withheld = _withheld(published, field)
        for total, parts in groups:
            hidden = sum(key in withheld for key in parts)
            if total in withheld:
                assert hidden >= 1, (field, total, "its published parts add up to it")
            else:
                assert hidden != 1, (field, total, "one part is its total minus the others")


@settings(max_examples=300, deadline=None)
@given(hierarchies())
def test_no_withheld_count_can_be_worked_out_from_the_published_ones(case):
    cells, threshold, _, complete = case
    published = suppress_small_counts(cells, PEOPLE, threshold)
    for field in ("numerator", "denominator"):
        withheld = _withheld(published, field)
        assert not _determined(complete, withheld), field


@settings(max_examples=300, deadline=None)
@given(hierarchies())
def test_what_is_published_is_the_input_and_order_is_kept(case):
    cells, threshold, *_ = case
    published = suppress_small_counts(cells, PEOPLE, threshold)
    assert [(p.lot_id, p.provider_id) for p in published] == [(c.lot_id, c.provider_id) for c in cells]
    for c, p in zip(cells, published, strict=True):
        for field in ("numerator", "denominator", "value"):
            reason = getattr(p, f"{field}_withheld")
            assert reason in (None, SMALL, SECONDARY)
            assert getattr(p, field) == (None if reason else getattr(c, field))
        counts_withheld = bool(p.numerator_withheld or p.denominator_withheld)
        assert bool(p.value_withheld) == (counts_withheld and c.value is not None)


@settings(max_examples=100, deadline=None)
@given(hierarchies(), st.randoms())
def test_the_result_does_not_depend_on_the_row_order(case, random):
    cells, threshold, *_ = case
    shuffled = random.sample(cells, len(cells))
    in_order, out_of_order = (suppress_small_counts(rows, PEOPLE, threshold) for rows in (cells, shuffled))
    assert set(in_order) == set(out_of_order)


@settings(max_examples=100, deadline=None)
@given(hierarchies())
def test_kpis_that_do_not_count_people_are_never_withheld(case):
    cells, threshold, *_ = case
    published = suppress_small_counts(cells, {"k": False}, threshold)
    assert [(p.numerator, p.denominator, p.value) for p in published] == [
        (c.numerator, c.denominator, c.value) for c in cells
    ]
    assert not any(p.withheld for p in published)

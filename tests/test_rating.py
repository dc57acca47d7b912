"""The Procurement Act 2023 rating at and either side of every boundary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dps_publish.model.rating import LABELS, RATING_RULE, rate

D = Decimal

# (value, target, higher_is_better, label)
CASES = [
    # Higher is better, target 90: 5% is 4.5, 15% is 13.5.
    (D("90.1"), 90, True, "Good"),
    (D("90"), 90, True, "Good"),
    (D("89.9"), 90, True, "Approaching target"),
    (D("85.6"), 90, True, "Approaching target"),
    (D("85.5"), 90, True, "Approaching target"),
    (D("85.4"), 90, True, "Requires improvement"),
    (D("76.6"), 90, True, "Requires improvement"),
    (D("76.5"), 90, True, "Requires improvement"),
    (D("76.4"), 90, True, "Inadequate"),
    (D("0"), 90, True, "Inadequate"),
    # Lower is better, target 14 days: 5% is 0.7, 15% is 2.1.
    (D("13.9"), 14, False, "Good"),
    (D("14"), 14, False, "Good"),
    (D("14.1"), 14, False, "Approaching target"),
    (D("14.7"), 14, False, "Approaching target"),
    (D("14.71"), 14, False, "Requires improvement"),
    (D("16.1"), 14, False, "Requires improvement"),
    (D("16.11"), 14, False, "Inadequate"),
    # Target 0 uses absolute bands of 1 and 3.
    (0, 0, False, "Good"),
    (D("0.5"), 0, False, "Approaching target"),
    (1, 0, False, "Approaching target"),
    (D("1.01"), 0, False, "Requires improvement"),
    (3, 0, False, "Requires improvement"),
    (D("3.01"), 0, False, "Inadequate"),
    (4, 0, False, "Inadequate"),
    (1, 0, True, "Good"),
    (-1, 0, True, "Approaching target"),
    (-3, 0, True, "Requires improvement"),
    (-4, 0, True, "Inadequate"),
    # Not stated means higher is better.
    (D("85.5"), 90, None, "Approaching target"),
    (D("95"), 90, None, "Good"),
    # Floats, ints and text are compared as the decimals they look like.
    (85.5, 90, True, "Approaching target"),
    (14.7, 14.0, False, "Approaching target"),
    ("76.5", "90", True, "Requires improvement"),
    # Nothing to compare.
    (None, 90, True, "Other"),
    (None, 0, False, "Other"),
    (D("50"), None, True, "Other"),
    (None, None, None, "Other"),
]


@pytest.mark.parametrize(("value", "target", "higher_is_better", "label"), CASES)
def test_rate(value, target, higher_is_better, label):
    assert rate(value, target, higher_is_better) == label


def test_labels_are_the_statutory_five_in_order():
    assert LABELS == ("Good", "Approaching target", "Requires improvement", "Inadequate", "Other")


def test_every_case_label_is_a_statutory_label():
    assert {case[-1] for case in CASES} == set(LABELS)


def test_rule_sentence_names_every_label_and_band():
    for words in (*LABELS, "5%", "15%", "target is 0"):
        assert words in RATING_RULE

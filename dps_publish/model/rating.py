"""Rate a KPI against its target with the Procurement Act 2023 labels.

Contract performance notices under the Procurement Act 2023 rate each KPI as
Good, Approaching target, Requires improvement, Inadequate or Other. Adult
social care is a light-touch service, so publishing KPIs is voluntary here;
using the statutory labels still makes our figures comparable with others'.

The Act names the labels but not where one ends and the next begins, so the
bands are ours, stated once in ``RATING_RULE`` for the performance page:

- **Good**: the value meets or beats the target;
- **Approaching target**: it misses by no more than 5% of the target;
- **Requires improvement**: it misses by no more than 15% of the target;
- **Inadequate**: it misses by more;
- **Other**: there is nothing to compare (no value, a value withheld to
  protect privacy, or no target).

A percentage of 0 is no band at all, so a target of 0 (no complaints, say)
uses absolute bands instead: a miss of up to 1 is Approaching target, up to 3
Requires improvement. Arithmetic is in ``Decimal`` so that a value exactly on
a boundary (85.5 against a target of 90) lands on the same side every time.
"""

from __future__ import annotations

from decimal import Decimal

GOOD = "Good"
APPROACHING = "Approaching target"
REQUIRES_IMPROVEMENT = "Requires improvement"
INADEQUATE = "Inadequate"
OTHER = "Other"

LABELS = (GOOD, APPROACHING, REQUIRES_IMPROVEMENT, INADEQUATE, OTHER)

APPROACHING_SHARE = Decimal("0.05")
REQUIRES_IMPROVEMENT_SHARE = Decimal("0.15")
ZERO_TARGET_BANDS = (Decimal(1), Decimal(3))

RATING_RULE = (
    "A KPI is rated Good when it meets or beats its target, Approaching target when it misses by no more "
    "than 5% of the target, Requires improvement when it misses by no more than 15%, and Inadequate when "
    "it misses by more; where the target is 0, the bands are a miss of 1 and of 3 instead. It is rated "
    "Other when there is no figure to compare: none was reported, it was withheld to protect privacy, "
    "or there is no target."
)

Number = Decimal | int | float | str


def rate(value: Number | None, target: Number | None, higher_is_better: bool | None = None) -> str:
    """The label for ``value`` against ``target``.

    Pass the published value: a withheld value is ``None`` and rates Other.
    ``higher_is_better`` of ``None`` (not stated) means higher is better.
    """
    if value is None or target is None:
        return OTHER
    value, target = _decimal(value), _decimal(target)
    miss = target - value if higher_is_better is not False else value - target
    if miss <= 0:
        return GOOD
    if target == 0:
        approaching, requires_improvement = ZERO_TARGET_BANDS
    else:
        approaching = abs(target) * APPROACHING_SHARE
        requires_improvement = abs(target) * REQUIRES_IMPROVEMENT_SHARE
    if miss <= approaching:
        return APPROACHING
    if miss <= requires_improvement:
        return REQUIRES_IMPROVEMENT
    return INADEQUATE


def _decimal(number: Number) -> Decimal:
    # str() first: Decimal(0.1) is 0.1000000000000000055..., which would move boundaries.
    return number if isinstance(number, Decimal) else Decimal(str(number))

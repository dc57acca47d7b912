"""The registers a provider's registration number is on, by its organisation type: one list for every package.

The OCDS parties and the Open Referral UK organisation identifiers both name a provider by its registration
number and the org-id.guide list it is on; a type not here (a public body, a sole trader) has no such number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Register:
    scheme: str  # the org-id.guide list: GB-COH is Companies House, GB-CHC the Charity Commission
    number: str  # what the register calls its numbers, in words


COMPANIES_HOUSE = Register("GB-COH", "Company number")
CHARITY_COMMISSION = Register("GB-CHC", "Charity number")
REGISTERS = {
    "company": COMPANIES_HOUSE,
    "community-interest-company": COMPANIES_HOUSE,
    "charity": CHARITY_COMMISSION,
}


def register_of(provider) -> Register | None:
    """The register the provider's registration number is on; None when it has no number or its type has none."""
    return REGISTERS.get(provider.organisation_type) if provider.registration_number else None

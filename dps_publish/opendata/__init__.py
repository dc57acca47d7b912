"""The ``open-data`` and ``check-open-data`` stages: the data package, transparency files, OCDS, Open Referral UK
and frozen rounds, written and checked by frictionless in a second process."""

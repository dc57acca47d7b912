"""Stages 1 to 4, reading and checking the source tables: everything `dps-publish validate` does."""

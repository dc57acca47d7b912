"""The ``validate`` stage: reading and checking the source tables, everything ``dps-publish validate`` does."""

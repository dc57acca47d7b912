"""Stage 6, the open data: the data package, transparency files, OCDS, Open Referral UK, frozen rounds."""

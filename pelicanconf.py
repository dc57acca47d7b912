"""Settings for building the site to preview it on this computer.

The values marked PLACEHOLDER are examples under example.org. Before publishing
for real, set them in publishconf.py (see the README, "Before you publish").
Every setting is checked when it is loaded: a missing or malformed one stops the
build and says how to write it. The public build (PUBLIC_BUILD = True, set in
publishconf.py) also refuses every PLACEHOLDER value and EXAMPLE_DATA = True.
"""

# This is the preview: placeholders are allowed. publishconf.py sets it to True.
PUBLIC_BUILD = False

SITENAME = "Everyday life support in Kent"
SITEURL = "https://dps.example.org"  # PLACEHOLDER: the site's public address
COUNCIL_NAME = "Kent County Council"
# The place, as running text names it ("support in Kent", "all of Kent"), and its ONS code (the council area
# the Open Referral data gives as a service's area when it covers every district).
COUNCIL_AREA = "Kent"
COUNCIL_AREA_CODE = "E10000016"
COUNCIL_EMAIL = "accessibility@example.org"  # PLACEHOLDER: where people report problems and ask for other formats
COUNCIL_PHONE = "03000 000000"  # PLACEHOLDER
COUNCIL_ADDRESS = "Example House, Example Street, Maidstone, ME14 0XX"  # PLACEHOLDER

# Providers, listings, KPIs and payments in data/ are fictional examples.
# Every page says so while this is True. Set it to False for real data.
EXAMPLE_DATA = True

# Counts of people below this are withheld ("fewer than 5"): a whole number, 2 or more.
SMALL_NUMBER_THRESHOLD = 5

# Open Contracting: the publisher's registered ocid prefix ("ocds-" and 6
# letters or digits) and the council's organisation identifier (org-id.guide,
# list GB-LAE: GB-LAE-KEN is Kent; check it on org-id.guide).
OCDS_PREFIX = "ocds-xxxxxx"  # PLACEHOLDER: the prefix the Open Contracting Partnership registers
COUNCIL_ORG_ID = "GB-LAE-KEN"

DEFAULT_LANG = "en"
TIMEZONE = "Europe/London"

# The publishing desk (dps-publish desk, make desk). The people who may approve a draft: someone named here,
# other than the person who uploaded its tables, checks it before it is published.
DESK_APPROVERS = ["Sam Patel", "Alex Morgan"]  # example names: put the council's approvers here
# Upload limits, in megabytes: any table, and the payments table (a year of payments is hundreds of megabytes).
DESK_MAX_FILE_MB = 50
DESK_MAX_PAYMENTS_MB = 1024
# Behind the council's own sign-in proxy: the proxy's addresses, and the header it puts the person's name in.
# Off unless both are set; the desk trusts the header (and X-Forwarded-Proto) only from these addresses.
DESK_TRUSTED_PROXIES = []
DESK_USER_HEADER = ""

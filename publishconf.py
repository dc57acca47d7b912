"""Settings for the public build: ``dps-publish build --settings publishconf.py``.

Everything in pelicanconf.py applies; set the real values here before publishing.
A public build refuses every placeholder (an example.org address, the example
phone and address, the ocid prefix ocds-xxxxxx, EXAMPLE_DATA = True) and says
which to set. To rehearse it with placeholders, add ALLOW_PLACEHOLDERS = True:
every page then says it is a rehearsal.
"""

import os
import sys

sys.path.append(os.path.dirname(__file__))
from pelicanconf import *  # noqa: E402,F401,F403

PUBLIC_BUILD = True

SITEURL = "https://dps.example.org"  # PLACEHOLDER: set to the real public address

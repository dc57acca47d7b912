"""Settings for the public build: ``dps-publish build --settings publishconf.py``.

Everything in pelicanconf.py applies; set the real values here before publishing.
"""

import os
import sys

sys.path.append(os.path.dirname(__file__))
from pelicanconf import *  # noqa: E402,F401,F403

SITEURL = "https://dps.example.org"  # PLACEHOLDER: set to the real public address

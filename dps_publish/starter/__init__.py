"""``dps-publish init FOLDER``: a new publisher's folder, ready for a council to fill.

What it writes, and nothing else (an existing file is never overwritten):

- ``pelicanconf.py``, every setting of ``settings.RULES`` with what it is for, the
  form it takes and an example; the ones that name the council are left for the
  council to write (a build says each is "not set" until it is), the others hold
  placeholders a public build refuses;
- ``publishconf.py``, the public build's settings;
- ``data/`` with a blank spreadsheet template for every table (the districts
  table among them: it is required), except the glossary: ``glossary.csv``
  already explains the words every site uses (``rules.GLOSSARY_MUST_EXPLAIN``);
- ``content/pages/`` with the hand-written pages the theme links to, each saying
  what to write;
- an empty ``published/`` for the rounds the council freezes;
- a short ``README.md`` and a ``.gitignore``.

The settings text is made from ``settings.RULES``, so a new setting appears in a
new folder without anyone remembering to add it here (a test holds them together).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..settings import RULES
from ..sources.schemas import load_schema

# What each setting is for, in the words the settings file's comments use. Every rule has one.
PURPOSES = {
    "SITEURL": "The site's public address, with nothing after it. The preview may use an example.org address; "
               "the public build refuses it.",
    "SITENAME": "The site's name, at the top of every page and in every page's title.",
    "COUNCIL_NAME": "The council's name, as pages say who runs the site and pays for the support.",
    "COUNCIL_AREA": "The place, as running text names it: 'support in Northshire', 'all of Northshire'.",
    "COUNCIL_AREA_CODE": "The council area's ONS code (9 characters). Open Referral gives it as a service's area "
                         "when the service covers every district.",
    "COUNCIL_EMAIL": "Where people report accessibility problems and ask for another format "
                     "(the accessibility statement shows it).",
    "CORRECTIONS_EMAIL": "Where 'Is something wrong on this page? Tell us' sends its email, from every "
                         "organisation's page ('' for COUNCIL_EMAIL).",
    "COUNCIL_PHONE": "The number people call about the support and the site (the home page and the "
                     "accessibility statement show it).",
    "COUNCIL_ADDRESS": "The postal address the accessibility statement gives.",
    "EXAMPLE_DATA": "True while the tables hold made-up organisations: every page then says so. "
                    "Set it to False for real data.",
    "SMALL_NUMBER_THRESHOLD": "Counts of people below this are withheld ('fewer than 5'), so no one can be picked "
                              "out.",
    "OCDS_PREFIX": "The ocid prefix the Open Contracting Partnership registers for the council.",
    "COUNCIL_ORG_ID": "The council's organisation identifier on org-id.guide (list GB-LAE for English councils).",
    "PUBLIC_BUILD": "False for the preview; publishconf.py sets it to True for the public site.",
    "ALLOW_PLACEHOLDERS": "True only to rehearse the public build with placeholders: every page then says so.",
    "DESK_APPROVERS": "The people who may approve a draft at the publishing desk: someone named here, other than "
                      "the person who uploaded its tables, checks it before it is published.",
    "DESK_MAX_FILE_MB": "The largest table the desk takes, in megabytes.",
    "DESK_MAX_PAYMENTS_MB": "The largest payments table the desk takes, in megabytes.",
    "DESK_TRUSTED_PROXIES": "The addresses of the council's own sign-in proxy, if the desk runs behind one.",
    "DESK_USER_HEADER": "The header that proxy puts the person's name in ('' for none).",
    "DESK_PUBLIC_ADDRESS": "The address people open the desk at when it is not on this computer only: the desk "
                           "answers to no other name.",
    "DESK_SECURE_COOKIES": "True to send the desk's sign-in cookie only over https, whatever the proxy says.",
    "DESK_BODY_TIMEOUT": "How many seconds an upload or a form may stop arriving before the desk gives up on it.",
}

# Settings with no safe placeholder: they name the council, so the council writes them (a build says they are
# not set until then). The others get a placeholder value, marked, that a public build refuses.
COUNCIL_WRITES = ("SITENAME", "COUNCIL_NAME", "COUNCIL_AREA", "COUNCIL_AREA_CODE", "COUNCIL_ORG_ID")
PLACEHOLDER_VALUES = {
    "SITEURL": '"https://dps.example.org"',
    "COUNCIL_EMAIL": '"accessibility@example.org"',
    "COUNCIL_PHONE": '"03000 000000"',
    "COUNCIL_ADDRESS": '"Example House, Example Street, Example Town, EX1 1AA"',
    "EXAMPLE_DATA": "True",
    "OCDS_PREFIX": '"ocds-xxxxxx"',
}
# Settings set on their own lines at the top or left to publishconf.py.
NOT_LISTED = ("PUBLIC_BUILD",)


class InitError(Exception):
    """The folder cannot be made: it says why and what to do, and nothing was written."""


@dataclass(frozen=True)
class StarterFile:
    path: str  # relative to the new folder
    text: str


def settings_text() -> str:
    lines = [
        '"""Settings for building the site to preview it on this computer, and for the publishing desk.',
        "",
        "Made by dps-publish init. Every setting the publisher reads is below, with what it is for.",
        "- A setting whose line starts with # is one only the council can write: remove the # and put in",
        "  yours. A build says which are still not set.",
        "- A line marked PLACEHOLDER holds an example value. The preview builds with it; the public build",
        "  (publishconf.py) refuses it until it is real.",
        "Every setting is checked when it is loaded: a missing or malformed one stops the build and says how",
        "to write it.",
        '"""',
        "",
        "# This is the preview: placeholders are allowed. publishconf.py sets it to True.",
        "PUBLIC_BUILD = False",
    ]
    for rule in RULES:
        if rule.setting in NOT_LISTED:
            continue
        lines += ["", f"# {rule.setting}: {PURPOSES[rule.setting]}", f"# It is {rule.form}."]
        if rule.setting in COUNCIL_WRITES:
            lines += ["# Write yours, and remove the # at the start of the next line. For example:",
                      f"# {rule.example}"]
        elif rule.setting in PLACEHOLDER_VALUES:
            lines += [f"# For example: {rule.example}",
                      f"{rule.setting} = {PLACEHOLDER_VALUES[rule.setting]}  # PLACEHOLDER"]
        else:
            lines += [f"{rule.setting} = {rule.default!r}".replace("()", "[]")]
    lines += ["", "# Pelican's own settings: the pages' language and the time zone of the dates.",
              'DEFAULT_LANG = "en"', 'TIMEZONE = "Europe/London"', ""]
    return "\n".join(lines)


PUBLISHCONF = '''"""Settings for the public build: ``dps-publish build --settings publishconf.py``.

Everything in pelicanconf.py applies; set the real values here or there before
publishing. A public build refuses every placeholder (an example.org address, the
example phone and address, the ocid prefix ocds-xxxxxx, EXAMPLE_DATA = True) and
says which to set. To rehearse it with placeholders, add ALLOW_PLACEHOLDERS = True:
every page then says it is a rehearsal.
"""

import os
import sys

sys.path.append(os.path.dirname(__file__))
from pelicanconf import *  # noqa: E402,F401,F403

PUBLIC_BUILD = True

SITEURL = "https://dps.example.org"  # PLACEHOLDER: set to the real public address
'''

DIRECT_PAYMENTS = '''Title: Direct payments
Slug: direct-payments
Twin: easy-read/direct-payments/
Summary: Money from the council to arrange and pay for your own support.

<!-- The home page links here. Say how a direct payment works where you are, who can ask for one and how.
     Keep the easy-read page (easy-read-direct-payments.md) saying the same thing. -->

A direct payment is money from the council that you can use to arrange and pay
for your own care and support, instead of the council arranging it for you.

You can use a direct payment to pay any of the organisations on this site, or
to employ a personal assistant.

## Who can get a direct payment

You can ask for a direct payment if you have been assessed as needing care and
support. Your social care worker will talk with you about how much money you
can have and what you can spend it on.

## How to ask for one

Talk to your social care worker. If you do not have one, contact the council's
adult social care team and ask for a needs assessment.
'''

EASY_READ_DIRECT_PAYMENTS = '''Title: Direct payments
Slug: easy-read-direct-payments
URL: easy-read/direct-payments/
Save_as: easy-read/direct-payments/index.html
Twin: direct-payments/

<!-- The easy-read twin of direct-payments.md. One idea a point, a picture on the left, short sentences of
     at most 15 words. The pictures are in /theme/icons/ (see the README of dps-publish). -->

<div class="er-point"><img class="er-point__picture" src="/theme/icons/money.svg" alt="Money" width="64" height="64"><div class="er-point__words">
<p class="govuk-body-l">A direct payment is money from the council.</p>
<p class="govuk-body-l">You use it to pay for your own support.</p>
</div></div>

<div class="er-point"><img class="er-point__picture" src="/theme/icons/help.svg" alt="Two people shaking hands" width="64" height="64"><div class="er-point__words">
<p class="govuk-body-l">You can pay an organisation on this website.</p>
<p class="govuk-body-l">Or you can pay a person to help you.</p>
</div></div>

<div class="er-point"><img class="er-point__picture" src="/theme/icons/talk.svg" alt="A speech bubble" width="64" height="64"><div class="er-point__words">
<p class="govuk-body-l">Ask your social care worker about direct payments.</p>
</div></div>
'''

# The words the site cannot avoid (rules.GLOSSARY_MUST_EXPLAIN), explained; the council adds its own.
GLOSSARY = [
    ("DPS", "Short for Dynamic Purchasing System: an open list of approved organisations that the council can buy "
            "support from. New organisations can apply to join when it reopens.",
     "DPS is a list of organisations the council can buy support from. New organisations can ask to join when it "
     "opens again."),
    ("lot", "One part of a contract or Dynamic Purchasing System, covering one type of support. Organisations "
            "apply for each lot separately.",
     "A lot is one type of support. Organisations ask to give each type of support."),
    ("provider", "An organisation that gives care or support paid for by the council, for example a charity, a "
                 "company or a community interest company.",
     "A provider is an organisation that gives support."),
    ("commissioning", "Working out what care and support people need, then planning, buying and checking that "
                      "support.",
     "Commissioning means finding out what support people need. Then the council plans and buys that support."),
    ("framework", "An agreement with a list of approved organisations that the council can buy from for a set "
                  "time. A closed framework does not let new organisations join once it has started.",
     "A framework is a list of organisations the council can buy from. It lasts for a set time."),
    ("direct payment", "Money the council pays to a person, or someone acting for them, so they can arrange and "
                       "pay for their own care and support, for example by employing a personal assistant.",
     "A direct payment is money the council gives you. You use it to pay for your own support."),
]

GITIGNORE = """# Made by each build and by the desk: not kept in the repository.
output/
.output.*
.dps-cache/
drafts/
"""

README = """# {name}: the council's publishing folder for dps-publish

This folder holds everything that is yours: the settings, the tables, your own
pages and the rounds you have published. The theme comes with dps-publish;
make a `theme/` folder here only to change it.

## Start

1. **Settings.** Open `pelicanconf.py`. Write the lines that start with `#`
   (the site's name, the council's name, the place, its ONS code and the
   council's organisation identifier) and remove the `#`. Replace the values
   marked PLACEHOLDER before you publish for real.
2. **Tables.** `data/` holds a blank spreadsheet for every table. Fill in
   `districts.xlsx` first (each district's ONS code and name, and the area it
   is in, or leave the area blank), then the programmes, lots, rounds,
   providers and listings. Each spreadsheet's About sheet says what every
   column holds. A table can be a `.csv` instead: keep one file a table.
3. **Your pages.** `content/pages/` holds the pages you write yourself: each
   says at its top what to write. The "About the name" page is made from
   `data/naming.xlsx`, and the accessibility statement's contact details from
   `COUNCIL_EMAIL`, `COUNCIL_PHONE` and `COUNCIL_ADDRESS`.
4. **Check.** `dps-publish validate` lists every problem in the tables, with
   the file, the cell and how to fix it.
5. **Build.** `dps-publish build` writes the site into `output/`;
   `dps-publish serve` shows it at http://127.0.0.1:8000/.
6. **Publish each round.** `dps-publish desk` starts the publishing desk at
   http://127.0.0.1:8001/: upload the tables in a browser, check them, preview,
   ask a colleague to approve, publish. `dps-publish freeze ROUND` keeps a round
   in `published/` for good: commit that folder.

The public site: `dps-publish build --settings publishconf.py`. It refuses
every placeholder and says which to set.
"""


def starter_files(name: str) -> list[StarterFile]:
    return [
        StarterFile("pelicanconf.py", settings_text()),
        StarterFile("publishconf.py", PUBLISHCONF),
        StarterFile("content/pages/direct-payments.md", DIRECT_PAYMENTS),
        StarterFile("content/pages/easy-read-direct-payments.md", EASY_READ_DIRECT_PAYMENTS),
        StarterFile("README.md", README.format(name=name)),
        StarterFile(".gitignore", GITIGNORE),
    ]


def init_folder(folder: Path) -> list[Path]:
    """Make a new publisher's folder; return what was written. Raises ``InitError`` and writes nothing if the
    folder already holds any of it."""
    from ..sources.spreadsheets import write_templates

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InitError(f"{folder} is a file, not a folder. Name a new folder: dps-publish init my-council")
    files = starter_files(folder.resolve().name)
    taken = [f.path for f in files if (folder / f.path).exists()]
    taken += [name for name in ("data", "published") if (folder / name).exists()]
    if taken:
        raise InitError(f"{folder} already holds {', '.join(sorted(taken))}. init makes a new folder and never "
                        "changes one: name a folder that does not exist yet, or is empty. Nothing was written.")
    written = []
    for f in files:
        path = folder / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text, encoding="utf-8")
        written.append(path)
    written += [path for path in write_templates(folder / "data") if path.stem != "glossary"]
    (folder / "data" / "glossary.xlsx").unlink()
    written.append(_write_glossary(folder / "data" / "glossary.csv"))
    (folder / "published").mkdir()
    written.append(folder / "published")
    return written



def _write_glossary(path: Path) -> Path:
    import csv

    header = [f["name"] for f in load_schema("glossary").descriptor["fields"]]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(GLOSSARY)
    return path

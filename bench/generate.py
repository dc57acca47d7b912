"""Generate a county-sized benchmark data set that follows the data contract.

    python bench/generate.py OUT_FOLDER [--seed 1] [--scale 1.0]

writes every table as CSV into OUT_FOLDER, sized like a county times ten:

- the reference tables (programmes, lots, districts, naming, glossary, spend,
  envelopes) are copied from the example ``data/`` folder;
- rounds and milestones are the example ones plus later rounds of the Dynamic
  Purchasing System, every 6 months, so there are 12 awarded rounds
  (``2023-10-round-3`` ... ``2028-04-round-12``);
- providers (5,000) and listings (20,000) are the example ones plus fictional
  organisations made from word lists;
- kpi_definitions are the example's 5 plus 5 more; kpis are 200 series (10
  KPIs x the programme, its 3 lots and 16 providers) over 12 quarters;
- places (600 towns and villages: the example's and made-up villages, a few in two districts) and postcodes
  (80,000: the example's first halves and made-up ones in the right form, made-up second halves) are the same
  size at every ``--scale``, as a county's are whatever its number of providers;
- payments are 2,000,000 Transparency Code payments over the financial year
  2024-25, plus the example's April to June 2023 payments kept as they are
  (that quarter is frozen in ``published/payments``, and a build fails if the
  data would change a frozen quarter; ``--no-example-payments`` leaves them out).

``--scale`` multiplies the counts (0.01 gives a quick smoke-test set). The
generator checks its own text against the naming register and the easy-read
sentence limit before it writes anything.

Everything is fictional: websites are under example.org, emails under
*.example.org, phone numbers use 000 local numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

EXAMPLE_DATA = Path(__file__).resolve().parents[1] / "data"
DPS = "everyday-life-activities"
CBWS = "community-based-wellbeing-services"
CSH = "care-and-support-in-the-home"
PROGRAMMES = (DPS, CBWS, CSH)

BASE_PROVIDERS = 5_000
BASE_LISTINGS = 20_000
BASE_PAYMENTS = 2_000_000
BASE_INDIVIDUALS = 20_000
BASE_OTHER_ORGS = 300
KPI_PROVIDERS_PER_LOT = {"1a": 7, "1b": 4, "2": 5}  # 16 providers: 10 KPIs x (1 + 3 + 16) = 200 series
PERIODS = [f"{y}-Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)]
ROUNDS_WANTED = 12
PAYMENT_YEAR = 2024  # financial year 2024-25
MAX_EASY_READ_WORDS = 15

DISTRICTS = ["Ashford", "Canterbury", "Dartford", "Dover", "Gravesham", "Maidstone", "Sevenoaks",
             "Folkestone and Hythe", "Swale", "Thanet", "Tonbridge and Malling", "Tunbridge Wells"]
DISTRICT_CODES = {name: f"E07000{105 + i}" for i, name in enumerate(
    ["Ashford", "Canterbury", "Dartford", "Dover", "Gravesham", "Maidstone", "Sevenoaks",
     "Folkestone and Hythe", "Swale", "Thanet", "Tonbridge and Malling", "Tunbridge Wells"])}
AREA_CODES = {"Ashford": "01233", "Canterbury": "01227", "Dartford": "01322", "Dover": "01304",
              "Gravesham": "01474", "Maidstone": "01622", "Sevenoaks": "01732", "Folkestone and Hythe": "01303",
              "Swale": "01795", "Thanet": "01843", "Tonbridge and Malling": "01732", "Tunbridge Wells": "01892"}

ORDINALS = ["Opening", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
            "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth"]

PLACES = 600
POSTCODES = 80_000
PLACE_ENDINGS = ["Green", "Street", "Cross", "Heath", "Hill", "Common", "End", "Minnis", "Forstal", "Lees", "Bank",
                 "Hatch", "Stone", "Wood"]
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's last two may take

# --- word lists --------------------------------------------------------------------------------------------------

FIRST_WORDS = """Oast Weald Medway Stour Chalk Orchard Meadow Bramble Hazel Kestrel Willow Hop Saltmarsh Shingle Pebble
Flint Bluebell Lantern Tidewater Millpond Harbour Cobnut Cherry Downland Beacon Heron Skylark Foxglove Primrose
Hawthorn Rowan Elder Birch Acorn Barley Clover Daisy Fern Holly Ivy Juniper Larch Linden Maple Poppy Quill Reed
Sorrel Teasel Thistle Yew Wren Robin Swallow Owl Badger Otter Hare Kingfisher Curlew Plover Samphire Seahorse
Driftwood Lighthouse Windmill Watermill Causeway Ferry Cliff Dune Creek Brook Ridge Copse Spinney Glade Heath
Sunflower Lavender Marigold Snowdrop Buttercup Honeysuckle Catkin Chestnut Walnut Damson Greengage Pippin Bramley
Sandpiper Lapwing Nightingale Starling Goldfinch Magpie Moorhen Swift Martin Dragonfly Ladybird Bumblebee
Seaglass Tideline Anchor Compass Lodestar Kite Sundial Rainbow Moonbeam Starlight Sunrise Evening Morning Harvest
Springtide Riverside Greenway Hillside Fieldfare Meadowsweet Cornflower Hedgerow Thornbury Ashcombe Oakhurst
Elmstead Birchwood Larkfield Stonebridge Wheatsheaf Haystack Granary Threshing Wagon Tollgate Crossways""".split()

SECOND_WORDS = """Lane Meadow Field Brook Hill Barn Mill Gate Green Bridge Wood Valley Cross Yard House Corner Path Way
Court Row End Bank Down Marsh Common Orchard Harbour Quay Farm Garden Hollow Knoll Rise Well Pond Grove Park""".split()

THEMES = {
    "gardening": dict(
        activities=["gardening", "nature", "horticulture", "growing vegetables", "flower arranging", "outdoor activities"],
        words=["Growers", "Gardens", "Garden Club", "Green Fingers", "Nursery", "Plot to Plate"],
        what="gardening, growing vegetables and looking after green spaces",
        easy=["We grow fruit and vegetables.", "You can help in our garden.", "You can learn how to grow plants.",
              "We sell the plants we grow."]),
    "arts": dict(
        activities=["art", "painting", "pottery", "printmaking", "crafts", "textiles", "photography"],
        words=["Arts", "Studio", "Art Club", "Easel", "Canvas", "Art House"],
        what="painting, pottery, printmaking and textiles",
        easy=["We paint and make things.", "You can make art with us.", "We show your art at an exhibition every year.",
              "You can try pottery and painting."]),
    "music": dict(
        activities=["music", "singing", "songwriting", "performing", "karaoke", "drumming"],
        words=["Music", "Choir", "Band", "Sound", "Songbirds", "Music Makers"],
        what="music, singing and songwriting",
        easy=["We sing and play music.", "You can learn to play an instrument.",
              "We put on shows for family and friends.", "You can write your own songs."]),
    "drama": dict(
        activities=["drama", "performing", "dance", "confidence building", "film making"],
        words=["Drama", "Theatre", "Players", "Stage", "Performers", "Theatre Company"],
        what="drama, dance and film making with disabled performers",
        easy=["We put on plays.", "You can act, dance and sing.", "Drama can help you feel more confident.",
              "We make short films together."]),
    "sport": dict(
        activities=["sport", "football", "swimming", "walking", "exercise", "archery", "climbing", "cycling", "boccia"],
        words=["Sports", "Active", "Wheels", "Fitness", "Sports Club", "Athletic"],
        what="inclusive sport, swimming, cycling and exercise",
        easy=["We play sport together.", "You can go swimming or play football.",
              "Sport helps you keep fit and well.", "We have bikes for people who need a different kind of bike."]),
    "cooking": dict(
        activities=["cooking", "baking", "shared meals", "food hygiene", "healthy eating"],
        words=["Kitchen", "Cookery", "Bakery", "Kitchen Skills", "Supper Club", "Pantry"],
        what="cooking, baking and healthy eating",
        easy=["We cook and bake together.", "You can learn to make healthy meals.",
              "We eat the food we make together.", "You can get a food hygiene certificate."]),
    "outdoors": dict(
        activities=["outdoor activities", "bushcraft", "nature", "walking", "fishing", "conservation", "beach cleans"],
        words=["Outdoors", "Adventures", "Rangers", "Forest School", "Explorers", "Wild Places"],
        what="forest school, bushcraft, walks and conservation work",
        easy=["We spend time outdoors.", "You can go on walks in the countryside.",
              "You can learn about plants and animals.", "You can cook on a fire in the woods."]),
    "animals": dict(
        activities=["animal care", "nature", "farm shop", "horse riding", "land-based skills"],
        words=["Farm", "Care Farm", "Stables", "Smallholding", "Paddocks", "Animal Friends"],
        what="animal care, riding and land-based skills on a working farm",
        easy=["We look after animals.", "You can feed and care for animals on our farm.",
              "You can learn to ride a horse.", "We sell eggs in our farm shop."]),
    "social": dict(
        activities=["social club", "quizzes", "games", "day trips", "social outings", "disco", "bingo", "lunch club"],
        words=["Social Club", "Friends", "Club", "Circle", "Get Together", "Hub"],
        what="social clubs, day trips, quizzes and discos",
        easy=["We run clubs where you can make friends.", "We go on day trips.", "You can play games and do quizzes.",
              "We have a disco once a month."]),
    "work": dict(
        activities=["job skills", "work placements", "customer service", "volunteering", "café work",
                    "selling at markets", "job coaching"],
        words=["Employment Support", "Work Skills", "Enterprises", "Futures", "Workshop", "Careers"],
        what="job skills, work placements and job coaching",
        easy=["We help you get ready for work.", "You can try a job in a shop or café.",
              "You can learn skills for work.", "A coach can help you find a job."]),
    "digital": dict(
        activities=["computer skills", "staying safe online", "technology help", "media skills", "photography", "radio"],
        words=["Digital", "Tech Skills", "Media", "Online Skills", "Radio", "Pixels"],
        what="computer skills, staying safe online, radio and media",
        easy=["We teach you to use computers and phones.", "You can learn to stay safe online.",
              "You can make a radio show with us.", "You can learn to take good photos."]),
    "life-skills": dict(
        activities=["travel training", "money skills", "independent living skills", "shopping", "daily living skills",
                    "road safety"],
        words=["Life Skills", "Pathways", "Steps", "Independence", "Next Steps", "Travel Training"],
        what="travel training, money skills and skills for living more independently",
        easy=["We help you learn to travel on your own.", "You can learn to manage your money.",
              "We help you do more things for yourself.", "You can practise shopping with us."]),
    "crafts": dict(
        activities=["crafts", "woodwork", "jewellery making", "knitting", "mosaics", "repair skills", "bike repair"],
        words=["Makers", "Workshop", "Crafts", "Woodworks", "Craft Barn", "Repair Shop"],
        what="woodwork, crafts and repairing things so they can be used again",
        easy=["We make things from wood.", "You can make jewellery and cards.",
              "We fix old things so they can be used again.", "You can take home what you make."]),
}
THEME_NAMES = list(THEMES)

GENERIC_EASY = ["You can come on your own or with a friend.", "Our staff are kind and friendly.",
                "You can meet us before you start.", "We can also meet you online.",
                "You can come in the day or the evening.", "Our building is easy to get around.",
                "We have a quiet room if you need a break.", "You can bring someone who supports you.",
                "We help young people and adults.", "You choose what you want to do."]

FIRST_NAMES = """Aisha Alfie Amara Anya Archie Arjun Ava Beatrice Ben Bilal Bryony Callum Carys Cerys Chloe Dalia Daniel
Deepa Eben Edie Eleni Elif Ellis Esme Ezra Farah Felix Fenella Fergus Finn Freya Gabriel Georgia Grace Hamza Harriet
Hazel Henry Ibrahim Idris Imogen Ines Iris Isaac Jade Jamal Jasmine Jodie Jonah Josie Kai Kavya Kiran Kofi Lara Layla
Leon Lila Lucas Maeve Maisie Malik Marcus Maya Megan Mina Miriam Nadia Nell Niamh Noah Nora Olu Omar Orla Oscar Owen
Pearl Peregrine Phoebe Priya Rafael Rhys Rosa Rowan Ruby Rupert Saanvi Sam Sana Seren Simone Sofia Stanley Sunita
Talia Tessa Theo Tobias Uma Vera Wilf Yara Yusuf Zara Zeke""".split()
SURNAMES = """Ashdown Ashby Blackthorn Brackenbury Brightwater Cartwright Clearwell Dalloway Ellingham Featherstone
Ferrier Hartnell Holloway Kettering Langridge Lindqvist Marchbank Moorcroft Oakenshaw Pennyfeather Quince Rowntree
Sallow Soames Tally Threlfall Wainscott Whitfield Ashworth Barraclough Birtwhistle Coldharbour Dunmore Fairweather
Goodhew Hollingbury Kingsdown Lambourne Marlowe Northcote Oakley Pemberton Rainsford Stanhope Thornbury Underhill
Westbrook Yardley Amberley Bramwell Copperfield Dewhurst Elmsworth Fallowfield Greenhalgh Harrowgate Ivesbury""".split()
FAKE_SURNAMES = """Example Sample Madeup Placeholder Specimen Notreal Testman Fictional Demo Exampleton Mockley Pretendo
Dummyford Samplewood Makebelieve Inventson Fauxley Testwell Imaginary Shamworth Fabricate Pseudonym Notaname Stand-In
Fillerton Figment Fancied Dreamt Nominal Proxyman""".split()

OTHER_ORG_KINDS = [("Accessible Taxis Ltd", "Transport", 0.6), ("Minibus Hire Ltd", "Transport", 0.6),
                   ("Community Transport", "Transport", 0.3), ("Mobility Equipment Ltd", "Equipment and adaptations", 0.9),
                   ("Home Adaptations Ltd", "Equipment and adaptations", 0.9), ("Hall Hire", "Premises", 0.2)]

ACTIVITIES_1B = ["games", "music", "sensory activities", "lunch club", "crafts", "bingo", "social club", "gardening",
                 "cooking", "exercise", "quizzes", "café work", "art", "day trips"]
ACTIVITIES_BY_LOT = {
    (CBWS, "4"): ["befriending", "information and advice", "exercise groups", "lunch clubs", "social activities"],
    (CBWS, "5"): ["befriending", "information and advice", "exercise groups", "lunch clubs", "social activities"],
    (CBWS, "6"): ["peer support", "information and advice", "social activities", "exercise groups"],
    (CBWS, "7"): ["memory cafés", "carers' groups", "singing", "information and advice", "carers' support"],
    (CBWS, "8"): ["memory cafés", "carers' groups", "singing", "information and advice", "carers' support"],
    (CBWS, "9"): ["memory cafés", "carers' groups", "singing", "information and advice", "carers' support"],
    (CBWS, "10"): ["dementia coordination", "planning ahead"],
    (CBWS, "11"): ["dementia coordination", "planning ahead"],
    (CBWS, "12"): ["dementia coordination", "planning ahead"],
    (CSH, "1"): ["residential care"],
    (CSH, "2"): ["residential care"],
    (CSH, "3"): ["daily living skills", "tenancy support", "social outings", "shopping"],
    (CSH, "4"): ["help after a hospital stay", "settling back at home"],
    (CSH, "5"): ["personal care", "meals", "medication support", "help around the home"],
    (CSH, "6"): ["meals", "lunch delivery"],
}
SUPPORT_TYPES_BY_LOT = {
    (DPS, "1a"): ["one-to-one", "small-group", "virtual"],
    (DPS, "1b"): ["building-based", "large-group"],
    (DPS, "2"): ["one-to-one", "small-group", "virtual", "building-based"],
    (CSH, "1"): ["building-based"], (CSH, "2"): ["building-based"], (CSH, "3"): ["one-to-one", "small-group"],
    (CSH, "4"): ["one-to-one"], (CSH, "5"): ["one-to-one"], (CSH, "6"): ["one-to-one"],
}
ORG_TYPES = ["company", "charity", "community-interest-company", "micro-enterprise", "public-body", "other"]
ORG_TYPE_WEIGHTS = [0.30, 0.25, 0.18, 0.17, 0.03, 0.07]
ORG_TYPE_WORDS = {"company": "A company", "charity": "A local charity", "community-interest-company":
                  "A community interest company", "micro-enterprise": "A small local business",
                  "public-body": "A council service", "other": "A volunteer-run group"}

NEW_KPIS = [
    dict(kpi_id="people-supported", name="People getting support", easy_read_name="How many people got support",
         description="The number of people who got support bought through the Dynamic Purchasing System in the quarter.",
         unit="count", higher_is_better="yes", target="", counts_people="yes"),
    dict(kpi_id="people-happy-with-support", name="People happy with their support",
         easy_read_name="People who said they liked their support",
         description="Of the people who answered the quarterly survey, the share who said they were happy with their support.",
         unit="percent", higher_is_better="yes", target="85", counts_people="yes"),
    dict(kpi_id="goals-met", name="People who met a goal in their support plan",
         easy_read_name="People who did something they wanted to do",
         description="Of the people whose support plan was reviewed in the quarter, the share who met at least one goal in it.",
         unit="percent", higher_is_better="yes", target="70", counts_people="yes"),
    dict(kpi_id="average-days-to-first-review", name="Average days from start to first review",
         easy_read_name="How many days until people talked about how their support was going",
         description="The average number of days between the first session and the first review of the support plan, "
                     "for people whose first review was in the quarter.",
         unit="days", higher_is_better="no", target="42", counts_people="yes"),
    dict(kpi_id="sessions-cancelled", name="Sessions cancelled by the organisation",
         easy_read_name="Times an organisation said a session could not happen",
         description="The number of sessions organisations cancelled in the quarter. This counts sessions, not people.",
         unit="count", higher_is_better="no", target="", counts_people="no"),
]
# How each KPI behaves: (provider range, rest-of-lot range, rate or mean)
KPI_SHAPES = {
    "people-with-a-plan": ("percent", (5, 60), (60, 260), 0.88),
    "new-referrals-started-within-14-days": ("percent", (1, 12), (8, 40), 0.72),
    "people-happy-with-support": ("percent", (2, 40), (40, 180), 0.86),
    "goals-met": ("percent", (1, 25), (20, 120), 0.68),
    "average-days-to-start": ("days", (1, 12), (5, 40), 14.0),
    "average-days-to-first-review": ("days", (1, 20), (10, 80), 40.0),
    "complaints": ("count", (0, 2), (0, 6), None),
    "sessions-cancelled": ("count", (0, 8), (5, 40), None),
    "people-supported": ("count", (3, 80), (150, 700), None),
    "activities-offered": ("count", (3, 15), (60, 220), None),
}


# --- helpers -----------------------------------------------------------------------------------------------------

def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", "and").replace("'", "")).strip("-")


def count_words(sentence: str) -> int:
    return sum(1 for token in sentence.split() if re.search(r"[^\W_]", token))


def read_example(name: str) -> pd.DataFrame:
    return pd.read_csv(EXAMPLE_DATA / f"{name}.csv", dtype=str, keep_default_na=False)


def write(frame: pd.DataFrame, out: Path, name: str) -> None:
    frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def scaled(base: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(round(base * scale)))


# --- rounds and milestones ---------------------------------------------------------------------------------------

def make_rounds(example_rounds: pd.DataFrame, example_milestones: pd.DataFrame):
    rounds = example_rounds.copy()
    milestones = example_milestones.copy()
    dps_rounds = rounds[rounds["programme_id"] == DPS]
    first_start = dt.date(2022, 10, 1)
    new_rounds, new_milestones = [], []
    for k in range(len(dps_rounds) + 1, ROUNDS_WANTED + 1):
        start = add_months(first_start, 6 * (k - 1))
        opens = add_months(start, -2)
        closes = add_months(start, -1)
        award = start - dt.timedelta(days=1)
        round_id = f"{start:%Y-%m}-round-{k}"
        word = ORDINALS[k - 1]
        new_rounds.append(dict(programme_id=DPS, round_id=round_id, title=f"{word} round: more organisations join",
                               opens=opens.isoformat(), closes=closes.isoformat(), award_date=award.isoformat(),
                               services_start=start.isoformat(), status="awarded"))
        for event, day in ((f"{word} round opens for applications", opens), (f"{word} round closes", closes),
                           (f"{word} round awards made", award),
                           (f"Organisations from the {word.lower()} round begin giving support", start)):
            new_milestones.append(dict(programme_id=DPS, round_id=round_id, event=event, date=day.isoformat(),
                                       date_end=""))
    rounds = pd.concat([rounds, pd.DataFrame(new_rounds)], ignore_index=True)
    milestones = pd.concat([milestones, pd.DataFrame(new_milestones)], ignore_index=True)
    return rounds, milestones


# --- providers ---------------------------------------------------------------------------------------------------

def make_providers(rng: np.random.Generator, rand: random.Random, n: int, taken_slugs: set[str],
                   taken_names: set[str]) -> pd.DataFrame:
    types = rng.choice(ORG_TYPES, size=n, p=ORG_TYPE_WEIGHTS)
    rows = []
    used_registrations: set[str] = set()
    for org_type in types:
        theme = rand.choice(THEME_NAMES)
        t = THEMES[theme]
        home = rand.choice(DISTRICTS)
        for _ in range(1000):
            name, core = provider_name(rand, org_type, t)
            s = slug(core)
            if s not in taken_slugs and name not in taken_names:
                break
        else:
            raise RuntimeError("ran out of provider names: add words to the lists")
        taken_slugs.add(s)
        taken_names.add(name)
        registration = registration_number(rand, org_type, used_registrations)
        area = AREA_CODES[home]
        number = rand.randrange(0, 1000)
        phone = (f"+44 {area[1:]} 000{number:03d}" if rand.random() < 0.05 else f"{area} 000 {number:03d}")
        rows.append(dict(
            provider_id=s,
            name=name,
            organisation_type=org_type,
            registration_number=registration,
            size=provider_size(rand, org_type),
            website=f"https://www.example.org/{s}" if rand.random() < 0.93 else "",
            phone=phone if rand.random() < 0.97 else "",
            email=(f"{rand.choice(['info', 'hello', 'contact', 'enquiries'])}@{s}.example.org"
                   if rand.random() < 0.95 else ""),
            description=provider_description(rand, org_type, t, home),
            easy_read_description=easy_read_description(rand, t, home) if rand.random() < 0.96 else "",
            main_contact_name=f"{rand.choice(FIRST_NAMES)} {rand.choice(SURNAMES)}",
            _theme=theme,
            _home=home,
        ))
    return pd.DataFrame(rows)


def provider_name(rand: random.Random, org_type: str, t: dict) -> tuple[str, str]:
    """(full name, the part the slug is made from)."""
    w1 = rand.choice(FIRST_WORDS)
    if org_type == "public-body":
        place = w1 + rand.choice(["shire", "field", "ham", "bury", "ford", "den", "hurst", "ley", "stone"])
        service = rand.choice(["Borough Council Day Services", "Adult Learning Service", "Borough Council Leisure Services",
                               "Parish Council Activities", "Library and Learning Service"])
        name = f"{place} {service}"
        return name, name
    shape = rand.random()
    word = rand.choice(t["words"])
    if shape < 0.55:
        core = f"{w1} {rand.choice(SECOND_WORDS)} {word}"
    elif shape < 0.8:
        w1b = rand.choice(FIRST_WORDS)
        if w1b == w1:
            w1b = rand.choice(SECOND_WORDS)
        core = f"{w1} and {w1b} {word}"
    else:
        core = f"{w1} {word}"
    if org_type == "company":
        return f"{core} {rand.choice(['Ltd', 'Ltd', 'Ltd', 'Limited'])}", core
    if org_type == "community-interest-company":
        return f"{core} CIC", core
    if org_type == "charity":
        tail = rand.choice(["", "", " Trust", " Project", " Society", " Foundation"])
        name = f"{core}{tail}"
        if rand.random() < 0.1:
            name = f"The {name}"
        return name, f"{core}{tail}"
    if org_type == "micro-enterprise":
        if rand.random() < 0.4:
            core = f"{core} with {rand.choice(FIRST_NAMES)}"
        return core, core
    tail = rand.choice(["", " Co-operative", " Committee", " Members' Club", " Volunteers"])
    return f"{core}{tail}", f"{core}{tail}"


def provider_size(rand: random.Random, org_type: str) -> str:
    """A Companies Act size band (a micro-enterprise is micro), blank for about one in eight: not known."""
    if org_type == "micro-enterprise":
        return "micro"
    if rand.random() < 0.125:
        return ""
    bands = {"company": ["small", "medium", "large"], "public-body": ["large"]}.get(org_type, ["micro", "small", "medium"])
    return rand.choice(bands)


def registration_number(rand: random.Random, org_type: str, used: set[str]) -> str:
    for _ in range(100):
        if org_type in ("company", "community-interest-company"):
            number = f"{rand.randrange(0, 20_000_000):08d}"
        elif org_type == "charity":
            low, high = (1_100_000, 1_999_999) if rand.random() < 0.9 else (200_000, 299_999)
            number = str(rand.randrange(low, high))
        elif org_type == "other" and rand.random() < 0.4:
            number = f"IP{rand.randrange(10_000, 99_999)}"
        elif org_type == "micro-enterprise" and rand.random() < 0.2:
            number = f"{rand.randrange(10_000_000, 20_000_000):08d}"
        else:
            return ""
        if number not in used:
            used.add(number)
            return number
    return ""


def provider_description(rand: random.Random, org_type: str, t: dict, home: str) -> str:
    near = rand.sample([d for d in DISTRICTS if d != home], 2)
    first = (f"{ORG_TYPE_WORDS[org_type]} based in {home}, offering {t['what']} for disabled adults "
             f"and young people.")
    second = rand.choice([
        f"Sessions run in small groups and one to one, in {home}, {near[0]} and {near[1]}.",
        "Sessions are led by staff who have worked with disabled adults for many years.",
        "Some sessions are online, so people can join from home.",
        "People choose what they want to learn and go at their own pace.",
        f"It works with local businesses and volunteers across {home} and {near[0]}.",
        "It was set up by families of disabled adults and is run with the people it supports.",
    ])
    return f"{first} {second}"


def easy_read_description(rand: random.Random, t: dict, home: str) -> str:
    sentences = rand.sample(t["easy"], rand.choice([1, 2, 2, 3]))
    extra = rand.sample(GENERIC_EASY, rand.choice([0, 1, 1, 2]))
    if rand.random() < 0.5:
        extra.append(f"We are in {home}.")
    return " ".join(sentences + extra)


# --- listings ----------------------------------------------------------------------------------------------------

def make_listings(rng: np.random.Generator, rand: random.Random, providers: pd.DataFrame, n_listings: int,
                  lots: pd.DataFrame, rounds: pd.DataFrame) -> pd.DataFrame:
    lot_keys = list(zip(lots["programme_id"], lots["lot_id"]))
    dps_lots = [k for k in lot_keys if k[0] == DPS]
    n_prov = len(providers)
    n_listings = min(n_listings, n_prov * len(lot_keys))
    # Every provider gets one DPS listing, then the rest are drawn from the (provider, lot) pairs left,
    # weighted so that most listings are on the DPS lots (weighted sampling without replacement).
    first_weights = np.array([{"1a": 0.5, "1b": 0.12, "2": 0.38}[lot] for _, lot in dps_lots])
    first = rng.choice(len(dps_lots), size=n_prov, p=first_weights / first_weights.sum())
    lot_index = {k: i for i, k in enumerate(lot_keys)}
    first_pair = np.arange(n_prov) * len(lot_keys) + np.array([lot_index[dps_lots[i]] for i in first])
    lot_weight = {(DPS, "1a"): 10.0, (DPS, "2"): 8.0, (DPS, "1b"): 1.2}
    weights = np.tile(np.array([lot_weight.get(k, 0.35 if k[0] == CBWS else 0.5) for k in lot_keys]), n_prov)
    weights[first_pair] = 0
    rest = max(0, n_listings - n_prov)
    keys = np.log(rng.random(weights.size)) / np.where(weights > 0, weights, 1e-12)
    keys[first_pair] = -np.inf
    chosen = np.argpartition(-keys, rest)[:rest] if rest else np.array([], dtype=int)
    pairs = np.sort(np.concatenate([first_pair, chosen]))
    prov_idx, lot_idx = np.divmod(pairs, len(lot_keys))

    dps_rounds = rounds[rounds["programme_id"] == DPS].sort_values("opens")
    round_ids = list(dps_rounds["round_id"])
    round_start = dict(zip(dps_rounds["round_id"], dps_rounds["services_start"]))
    last_award = max(dps_rounds["award_date"])
    round_weights = np.array([0.3, 0.12] + [0.58 / (len(round_ids) - 2)] * (len(round_ids) - 2))
    programme_start = {CBWS: "2022-04-01", CSH: "2020-06-15"}
    statuses = rng.choice(["awarded", "applied", "suspended", "left"], size=len(pairs), p=[0.965, 0.02, 0.01, 0.005])
    round_pick = rng.choice(len(round_ids), size=len(pairs), p=round_weights / round_weights.sum())

    themes = providers["_theme"].to_numpy()
    homes = providers["_home"].to_numpy()
    ids = providers["provider_id"].to_numpy()
    rows = []
    for i, (p, li) in enumerate(zip(prov_idx, lot_idx)):
        pid, lot = lot_keys[li]
        status = statuses[i]
        if pid == DPS:
            round_id = round_ids[0] if lot == "1b" else round_ids[round_pick[i]]
            start = round_start[round_id]
        else:
            round_id = ""
            start = programme_start[pid]
        if status == "applied" and pid == DPS and lot != "1b" and rand.random() < 0.7:
            round_id = round_ids[-1]  # most applications that were not awarded are recent
        left_date = ""
        if status == "left":
            start_day = dt.date.fromisoformat(start)
            latest = dt.date.fromisoformat(last_award) - dt.timedelta(days=1)
            if (latest - start_day).days < 120:
                status = "awarded"
            else:
                days = rand.randrange(90, min(900, (latest - start_day).days))
                left_date = (start_day + dt.timedelta(days=days)).isoformat()
        rows.append(dict(
            programme_id=pid, lot_id=lot, provider_id=ids[p], round_id=round_id, status=status, left_date=left_date,
            districts=listing_districts(rand, homes[p]),
            support_types="; ".join(listing_support_types(rand, pid, lot)),
            age_groups=listing_age_groups(rand, pid),
            activities="; ".join(listing_activities(rand, pid, lot, themes[p])),
            **listing_rates(rand, pid, lot),
        ))
    return pd.DataFrame(rows)


def listing_districts(rand: random.Random, home: str) -> str:
    if rand.random() < 0.08:
        return "all"
    others = rand.sample([d for d in DISTRICTS if d != home], rand.choice([0, 1, 1, 2, 2, 3]))
    names = [home] + others
    if rand.random() < 0.05:
        j = rand.randrange(len(names))
        names[j] = DISTRICT_CODES[names[j]]
    return "; ".join(names)


def listing_support_types(rand: random.Random, pid: str, lot: str) -> list[str]:
    pool = SUPPORT_TYPES_BY_LOT.get((pid, lot), ["one-to-one", "small-group", "virtual"])
    if len(pool) == 1:
        return pool
    k = rand.choice([1, 2, 2, 3]) if len(pool) > 2 else rand.choice([1, 2, 2])
    return rand.sample(pool, min(k, len(pool)))


def listing_age_groups(rand: random.Random, pid: str) -> str:
    r = rand.random()
    if pid == CBWS:
        return "26-plus" if r < 0.85 else "18-25; 26-plus"
    if pid == CSH:
        return "18-25; 26-plus" if r < 0.7 else "26-plus"
    return "18-25; 26-plus" if r < 0.8 else ("26-plus" if r < 0.92 else "18-25")


def listing_activities(rand: random.Random, pid: str, lot: str, theme: str) -> list[str]:
    if pid == DPS:
        if lot == "1b":
            pool = ACTIVITIES_1B
        elif lot == "2":
            pool = THEMES["work"]["activities"] + THEMES["life-skills"]["activities"] + THEMES["digital"]["activities"][:3]
            own = THEMES[theme]["activities"]
            picks = rand.sample(own, min(len(own), rand.choice([0, 1, 1]))) + rand.sample(pool, rand.choice([1, 2, 2, 3]))
            return list(dict.fromkeys(picks))
        else:
            pool = THEMES[theme]["activities"]
        return rand.sample(pool, min(len(pool), rand.choice([1, 2, 3, 3, 4])))
    pool = ACTIVITIES_BY_LOT[(pid, lot)]
    return rand.sample(pool, min(len(pool), rand.choice([1, 2, 3])))


def listing_rates(rand: random.Random, pid: str, lot: str) -> dict:
    day = hour = ""
    if pid == DPS:
        if lot == "1b" or rand.random() < 0.35:
            day = f"{rand.uniform(45, 85):.2f}"
        if lot != "1b" and rand.random() < 0.85:
            hour = f"{rand.uniform(17.5, 31):.2f}"
    elif pid == CSH:
        if lot in ("1", "2"):
            day = f"{rand.uniform(180, 320):.2f}"
        else:
            hour = f"{rand.uniform(20, 27):.2f}"
    return dict(day_rate_gbp=day, hourly_rate_gbp=hour)


# --- KPIs --------------------------------------------------------------------------------------------------------

def make_places(rand: random.Random, example: pd.DataFrame) -> pd.DataFrame:
    """The example's places, then made-up villages up to PLACES rows; one in 25 is split between two districts."""
    rows = example.fillna("").to_dict("records")
    taken = {r["name"] for r in rows}
    while len(rows) < PLACES:
        name = f"{rand.choice(FIRST_WORDS)} {rand.choice(PLACE_ENDINGS)}"
        if name in taken:
            continue
        taken.add(name)
        district = rand.choice(DISTRICTS)
        other = f"{name.split()[0]}" if rand.random() < 0.2 and name.split()[0] not in taken else ""
        rows.append({"name": name, "district": district, "other_names": other})
        if rand.random() < 0.04 and len(rows) < PLACES:
            rows.append({"name": name, "district": rand.choice([d for d in DISTRICTS if d != district]),
                         "other_names": other})
    return pd.DataFrame(rows[:PLACES], columns=["name", "district", "other_names"])


def make_postcodes(rand: random.Random, example: pd.DataFrame) -> pd.DataFrame:
    """POSTCODES postcodes: the example's first halves and six made-up ones a district (areas starting Z, which
    no real postcode has), each with made-up second halves; a first half the example shares stays shared."""
    outward: dict[str, list[str]] = {}
    for postcode, district in zip(example["postcode"], example["district"]):
        outward.setdefault(postcode.split(" ")[0], [])
        if district not in outward[postcode.split(" ")[0]]:
            outward[postcode.split(" ")[0]].append(district)
    for n, district in enumerate(DISTRICTS):
        for k in range(1, 7):
            outward[f"Z{UNIT_LETTERS[n]}{k}"] = [district]
    seconds = [f"{d}{a}{b}" for d in range(10) for a in UNIT_LETTERS for b in UNIT_LETTERS]
    per = -(-POSTCODES // len(outward))
    rows = []
    for first, districts in sorted(outward.items()):
        for second in sorted(rand.sample(seconds, per)):
            rows.append((f"{first} {second}", districts[0] if len(districts) == 1 else rand.choice(districts)))
    return pd.DataFrame(rows[:POSTCODES], columns=["postcode", "district"])


def make_kpis(rng: np.random.Generator, definitions: pd.DataFrame, listings: pd.DataFrame, rounds: pd.DataFrame,
              scale: float) -> pd.DataFrame:
    early = set(rounds[rounds["programme_id"] == DPS].sort_values("opens")["round_id"].iloc[:2])
    eligible = listings[(listings["programme_id"] == DPS) & (listings["status"] == "awarded")
                        & listings["round_id"].isin(early)]
    used: set[str] = set()
    lot_providers: dict[str, list[str]] = {}
    for lot, base in KPI_PROVIDERS_PER_LOT.items():
        want = scaled(base, scale)
        candidates = [p for p in eligible.loc[eligible["lot_id"] == lot, "provider_id"] if p not in used]
        picked = list(rng.choice(candidates, size=min(want, len(candidates)), replace=False)) if candidates else []
        lot_providers[lot] = sorted(str(p) for p in picked)
        used.update(lot_providers[lot])
    units = dict(zip(definitions["kpi_id"], definitions["unit"]))
    rows = []
    for period in PERIODS:
        for kpi in sorted(units):
            unit, (plo, phi), (olo, ohi), level = KPI_SHAPES[kpi]
            lot_cells = []
            for lot in ("1a", "1b", "2"):
                cells = []
                for provider in lot_providers[lot]:
                    cells.append((provider,) + kpi_cell(rng, unit, plo, phi, level, small=True))
                rest = kpi_cell(rng, unit, olo, ohi, level, small=False)
                lot_cells.append((lot, combine(unit, [c[1:] for c in cells] + [rest]), cells))
            total = combine(unit, [c[1] for c in lot_cells])
            rows.append(kpi_row(kpi, period, "", "", total))
            for lot, lot_total, cells in lot_cells:
                rows.append(kpi_row(kpi, period, lot, "", lot_total))
                for provider, *cell in cells:
                    rows.append(kpi_row(kpi, period, lot, provider, tuple(cell)))
    return pd.DataFrame(rows)


def kpi_cell(rng: np.random.Generator, unit: str, lo: int, hi: int, level, small: bool):
    """(numerator, denominator, mean) for one provider, or the rest of a lot."""
    if unit == "count":
        if hi <= 8:
            return int(rng.poisson((lo + hi) / 2 + 0.3)), None, None
        n = int(rng.integers(lo, hi + 1))
        if small and rng.random() < 0.12:
            n = int(rng.integers(0, 5))
        return n, None, None
    d = int(rng.integers(lo, hi + 1))
    if small and rng.random() < 0.15:
        d = int(rng.integers(1, 5))
    if unit == "percent":
        rate = float(np.clip(level + rng.normal(0, 0.1 if small else 0.04), 0.05, 0.98 if small else 0.95))
        return int(rng.binomial(d, rate)), d, None
    mean = float(max(1.0, rng.gamma(6.0, level / 6.0)))
    return None, d, round(mean, 1)


def combine(unit: str, parts: list[tuple]):
    if unit == "count":
        return sum(p[0] for p in parts), None, None
    d = sum(p[1] for p in parts)
    if unit == "percent":
        return sum(p[0] for p in parts), d, None
    mean = sum(p[1] * p[2] for p in parts) / d
    return None, d, round(mean, 1)


def kpi_row(kpi: str, period: str, lot: str, provider: str, cell: tuple) -> dict:
    n, d, mean = cell
    if mean is None and n is not None and d:
        value = f"{round(n / d * 100, 1):.1f}"
    elif mean is not None:
        value = f"{mean:.1f}"
    else:
        value = ""
    return dict(programme_id=DPS, lot_id=lot, provider_id=provider, period=period, kpi_id=kpi,
                numerator="" if n is None else str(n), denominator="" if d is None else str(d), value=value)


# --- payments ----------------------------------------------------------------------------------------------------

def make_payments(rng: np.random.Generator, rand: random.Random, n: int, providers: pd.DataFrame,
                  listings: pd.DataFrame, scale: float, taken_names: set[str]) -> pd.DataFrame:
    """Vectorised: every column is a categorical (or numbers) built from integer codes."""
    public = listings[listings["status"] != "applied"]
    prov_ids = providers["provider_id"].to_numpy()
    n_prov = len(prov_ids)
    position = pd.Series(np.arange(n_prov), index=prov_ids)
    is_public = np.isin(prov_ids, public["provider_id"].unique())
    # Each payment to a provider is for one of its listings (public ones where it has any): the listings'
    # programmes in provider order, with an offset and a count per provider, so a row picks one by arithmetic.
    pool = pd.concat([public, listings[~listings["provider_id"].isin(public["provider_id"])]])
    pool_pos = position[pool["provider_id"].to_numpy()].to_numpy()
    order = np.argsort(pool_pos, kind="stable")
    pool_prog = pool["programme_id"].map({p: i for i, p in enumerate(PROGRAMMES)}).to_numpy(dtype=np.int8)[order]
    per_provider = np.bincount(pool_pos, minlength=n_prov)
    offsets = np.concatenate([[0], np.cumsum(per_provider)[:-1]])

    # other organisations (not on any lot) and individuals
    n_other = scaled(BASE_OTHER_ORGS, scale, 6)
    other_names, other_types, other_vat = [], [], []
    while len(other_names) < n_other:
        kind, expense, vat = OTHER_ORG_KINDS[len(other_names) % len(OTHER_ORG_KINDS)]
        name = f"{rand.choice(FIRST_WORDS)} {rand.choice(SECOND_WORDS)} {kind}"
        if name not in taken_names:
            taken_names.add(name)
            other_names.append(name)
            other_types.append(expense)
            other_vat.append(vat)
    n_ind = scaled(BASE_INDIVIDUALS, scale, 20)
    individuals: set[str] = set()
    while len(individuals) < n_ind:
        s = rand.choice(FAKE_SURNAMES)
        if rand.random() < 0.4:
            s = f"{s}-{rand.choice(FAKE_SURNAMES)}"
        individuals.add(f"{rand.choice(FIRST_NAMES)} {s}")
    individuals_list = sorted(individuals - taken_names)
    n_ind = len(individuals_list)

    kind = rng.choice(np.array([0, 1, 2], dtype=np.int8), size=n, p=[0.85, 0.03, 0.12])
    prov_weights = rng.lognormal(0, 1.0, n_prov) * np.where(is_public, 1.0, 0.05)
    prov_pick = rng.choice(n_prov, size=n, p=prov_weights / prov_weights.sum())
    other_pick = rng.integers(0, n_other, size=n)
    ind_pick = rng.integers(0, n_ind, size=n)
    org, other, ind = kind == 0, kind == 1, kind == 2

    supplier_code = np.where(org, prov_pick, np.where(other, n_prov + other_pick, n_prov + n_other + ind_pick))
    supplier_names = list(providers["name"]) + other_names + individuals_list
    supplier_type = np.where(ind, 1, 0).astype(np.int8)
    provider_code = np.where(org & is_public[prov_pick], prov_pick, -1)

    # programme: the provider's programme for some payments, otherwise blank
    pick = offsets[prov_pick] + np.floor(rng.random(n) * np.maximum(per_provider[prov_pick], 1)).astype(np.int64)
    row_prog = np.where(org & (per_provider[prov_pick] > 0), pool_prog[np.minimum(pick, len(pool_prog) - 1)], 0)
    row_prog = row_prog.astype(np.int8)
    with_prog = rng.random(n) < np.where(org, 0.45, np.where(other, 0.3, 0.25))
    programme_code = np.where(with_prog, row_prog, -1)

    expense_types = ["Day opportunities", "Skills and training", "Transport", "Wellbeing services", "Dementia support",
                     "Homecare", "Residential care", "Supported living", "Direct payments", "Personal assistant",
                     "Equipment and adaptations", "Premises"]
    et = {name: i for i, name in enumerate(expense_types)}
    expense = np.empty(n, dtype=np.int8)
    u = rng.random(n)
    dps_org = org & (row_prog == 0)
    expense[dps_org] = np.select([u[dps_org] < 0.62, u[dps_org] < 0.9],
                                 [et["Day opportunities"], et["Skills and training"]], et["Transport"])
    cb = org & (row_prog == 1)
    expense[cb] = np.where(u[cb] < 0.6, et["Wellbeing services"], et["Dementia support"])
    cs = org & (row_prog == 2)
    expense[cs] = np.select([u[cs] < 0.5, u[cs] < 0.8], [et["Homecare"], et["Residential care"]], et["Supported living"])
    other_expense = np.array([et[t] for t in other_types], dtype=np.int8)
    expense[other] = other_expense[other_pick[other]]
    expense[ind] = np.where(u[ind] < 0.55, et["Direct payments"], et["Personal assistant"])

    # children's services pay for some young people's support
    area = np.where((dps_org | ind | other) & (rng.random(n) < 0.2), 1, 0).astype(np.int8)

    # amounts: over £500, in pence so that rounding never takes one to £500.00; a few refunds
    median = np.select([ind, expense == et["Residential care"], expense == et["Homecare"], other],
                       [1500.0, 40000.0, 25000.0, 2500.0], 8000.0)
    pence = 50_001 + np.floor(rng.lognormal(0, 1.1, n) * (median - 500) * 100).astype(np.int64)
    pence = np.minimum(pence, 75_000_000)
    refund = rng.random(n) < 0.002
    pence[refund] = -(50_001 + (pence[refund] - 50_001) // 10)
    amount = pence / 100

    # irrecoverable VAT: none for most (care is exempt), a fifth of the amount on some other suppliers' bills
    vat_p = np.where(ind, 0.0, np.where(other, np.array(other_vat)[other_pick], 0.0))
    vat = np.where((rng.random(n) < vat_p) & ~refund, np.round(amount * 0.2, 2), 0.0)

    # dates: working days of the financial year, in order, numbered in that order
    days = pd.bdate_range(f"{PAYMENT_YEAR}-04-01", f"{PAYMENT_YEAR + 1}-03-31")
    day_code = np.sort(rng.integers(0, len(days), size=n))
    width = max(7, len(str(n)))
    transaction_ids = [f"AP-{PAYMENT_YEAR}-{i:0{width}d}" for i in range(1, n + 1)]
    # purpose: the expense type and the month, as a finance system's narrative reads
    month_of_day = np.array([d.month for d in days], dtype=np.int64)
    month_names = [f"{m:%B %Y}" for m in pd.date_range(f"{PAYMENT_YEAR}-04-01", periods=12, freq="MS")]
    month_code = (month_of_day[day_code] - 4) % 12
    purposes = [f"{t}, {m}" for t in expense_types for m in month_names]

    return pd.DataFrame({
        "transaction_id": transaction_ids,
        "payment_date": pd.Categorical.from_codes(day_code, [d.strftime("%Y-%m-%d") for d in days]),
        "supplier_name": pd.Categorical.from_codes(supplier_code, supplier_names),
        "supplier_type": pd.Categorical.from_codes(supplier_type, ["organisation", "individual"]),
        "supplier_id": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [""]),  # the provider's number is used
        "provider_id": pd.Categorical.from_codes(provider_code, list(prov_ids)),
        "programme_id": pd.Categorical.from_codes(programme_code, list(PROGRAMMES)),
        "lot_id": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [""]),
        "expense_area": pd.Categorical.from_codes(area, ["Adult Social Care and Health",
                                                         "Children, Young People and Education"]),
        "expense_type": pd.Categorical.from_codes(expense, expense_types),
        "purpose": pd.Categorical.from_codes(expense.astype(np.int64) * 12 + month_code, purposes),
        "amount_gbp": amount,
        "irrecoverable_vat_gbp": np.where(vat > 0, vat, np.nan),
    })


# --- self-checks -------------------------------------------------------------------------------------------------

def check_text(naming: pd.DataFrame, providers: pd.DataFrame, listings: pd.DataFrame, kpi_defs: pd.DataFrame,
               rounds: pd.DataFrame, milestones: pd.DataFrame) -> list[str]:
    """The naming register and easy-read sentence length, on everything this script writes."""
    problems = []
    texts = {
        "providers.name": providers["name"], "providers.description": providers["description"],
        "providers.easy_read_description": providers["easy_read_description"],
        "listings.activities": listings["activities"], "kpi_definitions.name": kpi_defs["name"],
        "kpi_definitions.easy_read_name": kpi_defs["easy_read_name"], "rounds.title": rounds["title"],
        "milestones.event": milestones["event"],
    }
    easy_columns = {"providers.name", "providers.easy_read_description", "listings.activities",
                    "kpi_definitions.easy_read_name", "rounds.title", "milestones.event"}
    for term, applies in zip(naming["term"], naming["applies_to"]):
        words = r"\s+".join(re.escape(w) for w in term.split())
        pattern = rf"(?<![\w]){words}(?![\w])"
        for column, values in texts.items():
            if applies == "easy-read" and column not in easy_columns:
                continue
            hits = values[values.str.contains(pattern, case=False, regex=True)]
            if len(hits):
                problems.append(f"{column} uses {term!r}: {hits.iloc[0]!r}")
    for text in providers["easy_read_description"]:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if count_words(sentence) > MAX_EASY_READ_WORDS:
                problems.append(f"easy-read sentence too long: {sentence!r}")
        if re.search(r"\b[A-Z]{2,}\b", text):
            problems.append(f"easy-read description uses initials: {text!r}")
    for text in list(kpi_defs["easy_read_name"]) + list(rounds["title"]) + list(providers["name"]):
        if count_words(text) > MAX_EASY_READ_WORDS:
            problems.append(f"too long for an easy-read page: {text!r}")
    return problems


# --- main --------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("out", type=Path, help="folder to write the CSV tables into (created if missing)")
    args.add_argument("--seed", type=int, default=1, help="random seed (default 1): the same seed gives the same data")
    args.add_argument("--scale", type=float, default=1.0,
                      help="multiplies the row counts (default 1.0: 5,000 providers, 20,000 listings, "
                           "2,000,000 payments; 0.01 for a quick smoke test)")
    args.add_argument("--payments", type=int, default=None,
                      help="how many new payments to make (default: 2,000,000 times --scale)")
    args.add_argument("--no-example-payments", action="store_true",
                      help="leave out the example's April to June 2023 payments (frozen in published/payments)")
    opts = args.parse_args(argv)
    if opts.scale <= 0:
        args.error("--scale must be more than 0")
    started = time.perf_counter()
    rng = np.random.default_rng(opts.seed)
    rand = random.Random(opts.seed)
    out: Path = opts.out
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    timings: dict[str, float] = {}

    def put(frame: pd.DataFrame, name: str) -> None:
        t = time.perf_counter()
        write(frame, out, name)
        counts[name] = len(frame)
        timings[name] = timings.get(name, 0) + time.perf_counter() - t

    example = {name: read_example(name) for name in (
        "programmes", "lots", "rounds", "districts", "naming", "glossary", "spend", "envelopes", "milestones",
        "providers", "listings", "kpi_definitions", "payments")}

    for name in ("programmes", "lots", "districts", "naming", "glossary", "spend", "envelopes"):
        put(example[name], name)
    rounds, milestones = make_rounds(example["rounds"], example["milestones"])
    put(rounds, "rounds")
    put(milestones, "milestones")

    # providers: the example ones, then fictional ones up to the target
    t = time.perf_counter()
    target_providers = scaled(BASE_PROVIDERS, opts.scale)
    n_new = max(target_providers - len(example["providers"]), target_providers // 2, 1)
    ex_prov = example["providers"].copy()
    ex_prov["_theme"] = ""
    ex_prov["_home"] = ""
    new_prov = make_providers(rng, rand, n_new, set(ex_prov["provider_id"]), set(ex_prov["name"]))
    providers = pd.concat([ex_prov, new_prov], ignore_index=True)
    timings["make providers"] = time.perf_counter() - t

    t = time.perf_counter()
    target_listings = scaled(BASE_LISTINGS, opts.scale)
    n_new_listings = max(target_listings - len(example["listings"]), len(new_prov))
    new_listings = make_listings(rng, rand, new_prov, n_new_listings, example["lots"], rounds)
    listings = pd.concat([example["listings"], new_listings], ignore_index=True)
    timings["make listings"] = time.perf_counter() - t

    kpi_defs = pd.concat([example["kpi_definitions"], pd.DataFrame(NEW_KPIS)], ignore_index=True)
    t = time.perf_counter()
    kpis = make_kpis(rng, kpi_defs, listings, rounds, opts.scale)
    timings["make kpis"] = time.perf_counter() - t

    problems = check_text(example["naming"], providers, listings, kpi_defs, rounds, milestones)
    if problems:
        print("The generated text breaks the naming register or the easy-read rules:", file=sys.stderr)
        for p in problems[:20]:
            print(f"  {p}", file=sys.stderr)
        return 1

    put(providers.drop(columns=["_theme", "_home"]), "providers")
    put(make_places(rand, read_example("places")), "places")
    put(make_postcodes(rand, read_example("postcodes")), "postcodes")
    put(listings, "listings")
    put(kpi_defs, "kpi_definitions")
    put(kpis, "kpis")

    t = time.perf_counter()
    n_payments = scaled(BASE_PAYMENTS, opts.scale) if opts.payments is None else max(opts.payments, 1)
    payments = make_payments(rng, rand, n_payments, providers, listings, opts.scale,
                             set(providers["name"]))
    timings["make payments"] = time.perf_counter() - t
    t = time.perf_counter()
    kept = example["payments"].iloc[0:0]
    if not opts.no_example_payments:
        kept = example["payments"][example["payments"]["payment_date"] < "2023-07-01"]
    path = out / "payments.csv"
    kept.to_csv(path, index=False, lineterminator="\n")
    assert list(payments.columns) == list(kept.columns), "the generated payments' columns are the example's"
    payments.to_csv(path, index=False, header=False, mode="a", lineterminator="\n", float_format="%.2f",
                    chunksize=200_000)
    counts["payments"] = len(kept) + len(payments)
    timings["payments"] = time.perf_counter() - t
    del payments

    elapsed = time.perf_counter() - started
    print(f"Wrote {out}/ (seed {opts.seed}, scale {opts.scale:g}):")
    for name in ("programmes", "lots", "rounds", "districts", "providers", "listings", "spend", "envelopes",
                 "kpi_definitions", "kpis", "milestones", "payments", "naming", "glossary", "places", "postcodes"):
        print(f"  {name + '.csv':22} {counts[name]:>10,} rows")
    series = kpis.groupby(["kpi_id", "lot_id", "provider_id"]).ngroups
    rounds_awarded = int(((rounds["programme_id"] == DPS) & (rounds["status"] == "awarded")).sum())
    print(f"  ({series} KPI series over {kpis['period'].nunique()} quarters; {rounds_awarded} awarded DPS rounds; "
          f"{len(kept)} example payments from April to June 2023 kept)")
    print("Time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if v >= 0.05))
    print(f"Total time: {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

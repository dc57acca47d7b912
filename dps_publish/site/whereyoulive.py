"""Where do you live? Towns, villages and postcodes to districts, for residents who do not know their district.

Two outputs from the optional ``places`` and ``postcodes`` tables:

- the facts the pages show (``where_you_live``, ``a_to_z``, ``district_places``): the find-support
  pages' form, the A to Z page of every town, village and postcode first half (the way without
  JavaScript), and each district's own towns;
- the small static files the browser looks a postcode or a town up in (``write_lookup``), below
  ``where-you-live/``: ``areas.json`` (the districts and each postcode first half's districts),
  ``places.json`` (every place and its other names) and ``postcodes/<first half>.json`` (the second
  halves of each district's postcodes). A postcode lookup fetches ``areas.json`` and one first
  half's file; a town lookup fetches ``areas.json`` and ``places.json``. Nothing typed is sent:
  the files are the same for everyone and the answer is worked out in the browser.

The postcodes come from the ONS Postcode Directory, so every file made from it and every page
that uses it carries the attribution its licence asks for (``ONS_ATTRIBUTION``).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..addresses import WHERE_YOU_LIVE, district_path
from ..model.publishable import SiteModel

ONS_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right. "
    "Contains Royal Mail data © Royal Mail copyright and database right. "
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0."
)
FIND_YOUR_COUNCIL = "https://www.gov.uk/find-local-council"
OUTWARD = re.compile(r"([A-Z]{1,2})([0-9]{1,2})([A-Z]?)")
MAIN_TOWNS = 3  # the easy-read district page names this many of its places: the first in the table


@dataclass(frozen=True)
class WhereYouLive:
    """What the find-support pages' "Where do you live?" form needs to know."""

    places: bool  # the data has a places table: a town's name can be looked up
    postcodes: bool  # the data has a postcodes table: a postcode can be looked up
    lookup: str  # the folder of the lookup files, below the site's root

    @property
    def shown(self) -> bool:
        return self.places or self.postcodes


@dataclass(frozen=True)
class DistrictLink:
    name: str
    path: str  # the district's find-support page


@dataclass(frozen=True)
class AtoZEntry:
    name: str  # a place's name, or one of its other names
    districts: tuple[DistrictLink, ...]
    name_of: str = ""  # for another name: the place's own name


@dataclass(frozen=True)
class AtoZLetter:
    letter: str
    anchor: str
    entries: tuple[AtoZEntry, ...]


@dataclass(frozen=True)
class DistrictPlaces:
    """A district's towns and villages and its postcodes' first halves, for its find-support page."""

    names: tuple[str, ...]  # every place, A to Z
    main_towns: tuple[str, ...]  # the first places the table lists for it
    outward: tuple[str, ...]  # postcode first halves with a postcode in the district


def where_you_live(model: SiteModel) -> WhereYouLive:
    return WhereYouLive(bool(model.places), has_postcodes(model), WHERE_YOU_LIVE)


def has_postcodes(model: SiteModel) -> bool:
    """The data has a postcodes table with rows (a council's folder starts with its blank template)."""
    return model.postcodes is not None and len(model.postcodes) > 0


def outward_code(postcode: str) -> str:
    return postcode.split(" ")[0]


def _outward_districts(model: SiteModel) -> dict[str, tuple[str, ...]]:
    """Each postcode first half and the codes of the districts it has postcodes in, in the districts' order."""
    if not has_postcodes(model):
        return {}
    order = {d.code: n for n, d in enumerate(model.districts)}
    # A postcode in standard form ends with a space and its three-character second half.
    pairs = pd.DataFrame({"outward": model.postcodes["postcode"].str.slice(stop=-4),
                          "district": model.postcodes["district"]}).drop_duplicates()
    found: dict[str, set] = defaultdict(set)
    for outward, code in zip(pairs["outward"].tolist(), pairs["district"].tolist()):
        found[outward].add(code)
    return {o: tuple(sorted(codes, key=order.get)) for o, codes in sorted(found.items(), key=lambda i: _outward_key(i[0]))}


def _outward_key(outward: str) -> tuple:
    """TN2 before TN12: the area's letters, then the district's number, then any letter after it (EC1A)."""
    match = OUTWARD.fullmatch(outward)
    return (match[1], int(match[2]), match[3]) if match else (outward, 0, "")


def outward_districts(model: SiteModel) -> dict[str, tuple[str, ...]]:
    return model.derived(_outward_districts)


def district_places(model: SiteModel, code: str) -> DistrictPlaces:
    places = [p.name for p in model.places if p.district == code]
    outward = tuple(o for o, codes in outward_districts(model).items() if code in codes)
    return DistrictPlaces(tuple(sorted(set(places), key=str.lower)), tuple(dict.fromkeys(places))[:MAIN_TOWNS],
                          outward)


def a_to_z(model: SiteModel, easy_read: bool = False) -> tuple[tuple[AtoZLetter, ...], tuple[AtoZEntry, ...]]:
    """Every place and other name A to Z, by first letter, and every postcode first half, each with its districts."""
    prefix = "easy-read/" if easy_read else ""
    order = {d.code: n for n, d in enumerate(model.districts)}

    def links(codes) -> tuple[DistrictLink, ...]:
        return tuple(DistrictLink(model.district(c).name, prefix + district_path(model.district(c)))
                     for c in sorted(set(codes), key=order.get))

    by_name: dict[str, set] = defaultdict(set)
    other: dict[tuple[str, str], set] = defaultdict(set)
    for place in model.places:
        by_name[place.name].add(place.district)
        for name in place.other_names:
            if name.lower() != place.name.lower():
                other[(name, place.name)].add(place.district)
    entries = [AtoZEntry(name, links(codes)) for name, codes in by_name.items()]
    entries += [AtoZEntry(name, links(codes), name_of=of) for (name, of), codes in other.items()]
    entries.sort(key=lambda e: (e.name.lower(), e.name_of.lower()))
    letters: dict[str, list] = defaultdict(list)
    for entry in entries:
        first = entry.name[:1].upper()
        letters[first if first.isalpha() else "#"].append(entry)
    grouped = tuple(AtoZLetter(letter, f"letter-{letter.lower() if letter != '#' else 'other'}", tuple(items))
                    for letter, items in sorted(letters.items()))
    postcodes = tuple(AtoZEntry(outward, links(codes)) for outward, codes in outward_districts(model).items())
    return grouped, postcodes


# -- the lookup files ---------------------------------------------------------------------------------------------

def lookup_files(model: SiteModel) -> dict[str, bytes]:
    """Every lookup file by its path below ``where-you-live/``, as bytes: the same model gives the same bytes."""
    files: dict[str, bytes] = {}
    postcodes = has_postcodes(model)
    if not (model.places or postcodes):
        return files
    index = {d.code: n for n, d in enumerate(model.districts)}
    outward = outward_districts(model)
    areas = {
        "source": ONS_ATTRIBUTION if postcodes else "",
        "districts": [{"name": d.name, "page": district_path(d)} for d in model.districts],
        "outward": {o: [index[c] for c in codes] for o, codes in outward.items()},
    }
    files["areas.json"] = _json(areas)
    if model.places:
        names: dict[str, list] = {}
        for place in model.places:
            entry = names.setdefault(place.name, [place.name, [], []])
            if index[place.district] not in entry[1]:
                entry[1].append(index[place.district])
            entry[2] += [n for n in place.other_names if n not in entry[2]]
        files["places.json"] = _json({"places": [[n, sorted(d), o] if o else [n, sorted(d)]
                                                  for n, d, o in names.values()]})
    if postcodes:
        frame = pd.DataFrame({"first": model.postcodes["postcode"].str.slice(stop=-4),
                              "second": model.postcodes["postcode"].str.slice(start=-3),
                              "district": model.postcodes["district"].map(index)})
        frame = frame.sort_values(["first", "district", "second"])
        shards: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for first, district, second in zip(frame["first"].tolist(), frame["district"].tolist(),
                                           frame["second"].tolist()):
            shards[first][str(district)].append(second)
        for first, by_district in shards.items():
            files[f"postcodes/{first}.json"] = _json({"source": ONS_ATTRIBUTION,
                                                      "districts": {n: " ".join(s) for n, s in by_district.items()}})
        files["README.txt"] = (
            "The files in this folder let this website's pages find the district of a postcode or a town in the "
            "reader's own browser: nothing a reader types is sent anywhere.\n\n"
            f"The postcodes come from the ONS Postcode Directory. {ONS_ATTRIBUTION}\n"
        ).encode()
    return files


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode("utf-8")


def write_lookup(model: SiteModel, out: Path) -> int:
    """Write the lookup files into the site; the number of bytes written."""
    files = lookup_files(model)
    folder = Path(out) / WHERE_YOU_LIVE
    for name, data in sorted(files.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return sum(len(d) for d in files.values())

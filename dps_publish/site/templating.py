"""What the templates receive besides the page: globals and filters.

Every template gets the names ``contexts.SiteGlobals`` declares: the
site-wide model view (``model``), the settings (``dps``), ``url()`` for
addresses below the site's base path, and helpers and filters that turn codes
into words people use ("one-to-one" into "one to one"). Templates render
under ``StrictUndefined`` (``jinja_environment``).
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import jinja2

from ..addresses import district_path, easy, lot_path, programme_path, provider_path
from ..model.publishable import SiteModel, SiteView
from ..model.rating import RATING_RULE
from ..settings import PublishSettings
from ..words import (
    AGE_GROUP_WORDS,
    GROUP_WORDS,
    ORGANISATION_TYPES,
    ROUTES,
    SUPPORT_MODE_WORDS,
    SUPPORT_TYPE_WORDS,
    join_words,
    long_date,
    money,
    quarter_words,
    slug,
)
from .assets import ICONS, OPENMOJI_CREDIT
from .contexts import DictionaryField, DictionaryTable, FieldRules, SiteGlobals
from .money import easy_money_lines
from .performance import easy_read_value


def jinja_environment() -> dict:
    """Options for the Jinja environment every template is rendered in (Pelican's ``JINJA_ENVIRONMENT``)."""
    return {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True, "undefined": jinja2.StrictUndefined}


def site_globals(model: SiteModel, settings: PublishSettings, artefacts=None) -> SiteGlobals:
    base = settings.base_path
    glossary = {g.term.lower(): g for g in model.glossary}
    return SiteGlobals(
        url=lambda path="": f"{base}/{path}",
        model=SiteView(model),
        dps=settings,
        programme_path=programme_path,
        lot_path=lot_path,
        provider_path=provider_path,
        district_path=district_path,
        easy=easy,
        icons=ICONS,
        openmoji_credit=OPENMOJI_CREDIT,
        support_type_words=SUPPORT_TYPE_WORDS,
        age_group_words=AGE_GROUP_WORDS,
        glossary_terms=lambda names: [glossary[n.lower()] for n in names if n.lower() in glossary],
        easy_read_glossary=model.glossary,
        group_words=GROUP_WORDS,
        easy_money_lines=easy_money_lines,
        easy_read_value=easy_read_value,
        quarter_words=quarter_words,
        rating_rule=RATING_RULE,
        layout="base.html",
        artefacts=artefacts.of if artefacts is not None else (lambda kind, path: ()),
        artefacts_later=artefacts.later if artefacts is not None else (),
    )


def template_globals(model: SiteModel, settings: PublishSettings, artefacts=None) -> dict[str, object]:
    """The declared globals as Jinja wants them: one name each (``artefacts``: the stage's ``Artefacts``)."""
    names = site_globals(model, settings, artefacts)
    return {f.name: getattr(names, f.name) for f in dataclasses.fields(names)}


def data_dictionary(threshold: int = 5) -> tuple[DictionaryTable, ...]:
    """Every published table and column, from the published schemas themselves."""
    from ..model.publishable import PUBLISHED, derived_fields
    from ..sources.schemas import load_schema, published_schema

    tables = []
    for name, cls in PUBLISHED.items():
        names = [f.name for f in dataclasses.fields(cls)]
        schema = published_schema(name, names, derived_fields(cls, threshold))
        source = load_schema(name).descriptor
        fields = tuple(DictionaryField(f["name"], f.get("type", "string"), f.get("description", ""),
                                       _field_rules(f.get("constraints", {}))) for f in schema["fields"])
        tables.append(DictionaryTable(name, source.get("title", name), source.get("description", ""), fields,
                                      tuple(_as_list(schema.get("primaryKey", [])))))
    return tuple(tables) + transparency_dictionary() + source_only_dictionary()


# Tables the council supplies that the site uses but does not republish (the ONS publishes the postcodes).
SOURCE_ONLY = ("places", "postcodes", "pronunciations")


def source_only_dictionary() -> tuple[DictionaryTable, ...]:
    """The tables behind "Where do you live?" and the recordings' names, described from their schemas as the
    council fills them in."""
    from ..sources.schemas import load_schema

    tables = []
    for name in SOURCE_ONLY:
        source = load_schema(name).descriptor
        fields = tuple(DictionaryField(f["name"], f.get("type", "string"), f.get("description", ""),
                                       _field_rules(f.get("constraints", {}))) for f in source["fields"])
        tables.append(DictionaryTable(name, source.get("title", name), source.get("description", ""), fields,
                                      tuple(source.get("primaryKey", []))))
    return tuple(tables)


def transparency_dictionary() -> tuple[DictionaryTable, ...]:
    """The Transparency Code files, described as their own data package describes them."""
    from ..opendata.transparency import TRANSPARENCY_TABLES, describe

    return tuple(DictionaryTable(t.name, t.title, t.description,
                                 tuple(DictionaryField(f["name"], f["type"], f["description"], _field_rules({}))
                                       for f in describe(t.columns)), (), t.file)
                 for t in TRANSPARENCY_TABLES)


def _field_rules(constraints: dict) -> FieldRules:
    def number(key: str) -> Decimal | None:
        return Decimal(str(constraints[key])) if key in constraints else None

    return FieldRules(bool(constraints.get("required")), tuple(str(v) for v in constraints.get("enum", ())),
                      number("minimum"), number("maximum"), constraints.get("pattern"))


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def table_cell(threshold: int):
    """A number as the tables show it; a withheld number says why, never 0."""

    def cell(value, kind: str = "text", withheld: str | None = None) -> str:
        if withheld == "small":
            return f"fewer than {threshold}"
        if withheld:
            return "withheld"
        if value is None:
            return "not known"
        if kind == "money":
            return money(value)
        if kind == "percent":
            return f"{Decimal(value):.1f}%"
        if kind == "number":
            number = Decimal(value)
            return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.1f}"
        return str(value)

    return cell


def template_filters(model: SiteModel, threshold: int, area: str) -> dict[str, object]:
    def district_name(code: str) -> str:
        return model.district(code).name

    def district_names(codes) -> str:
        if len(codes) == len(model.districts):
            return f"All of {area}"
        return ", ".join(district_name(c) for c in codes)

    return {
        "money": money,
        "cell": table_cell(threshold),
        "long_date": long_date,
        "join_words": join_words,
        "support_type": lambda v: SUPPORT_TYPE_WORDS.get(v, v),
        "age_group": lambda v: AGE_GROUP_WORDS.get(v, v),
        "support_mode": lambda v: SUPPORT_MODE_WORDS.get(v, v),
        "organisation_type": lambda v: ORGANISATION_TYPES.get(v, v),
        "route": lambda v: ROUTES.get(v, v),
        "district_name": district_name,
        "district_names": district_names,
        "quoted": lambda v: f"“{v}”",
        "sentences": sentences,
        "slug": slug,
    }


def sentences(text: str) -> list[str]:
    """Text split into its sentences, each shown on its own in easy read."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]

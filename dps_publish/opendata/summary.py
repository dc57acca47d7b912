"""What a build is about to change, said plainly, for the person publishing it.

The new data is compared with the latest frozen round or, where none is
frozen, with the site now in ``output/``: rounds added, awarded or changed,
providers joined, left or suspended, listings moved, lots closed, money
figures changed (each changed value from and to), pages added and removed, and
warnings (figures that do not add up, numbers withheld).
``dps-publish diff`` shows it without building; ``build`` shows it too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import walk_files
from ..model.publishable import SiteModel
from .changes import Change, compare, read_tables
from .datapackage import table_resources
from .freeze import frozen_rounds

KIND_HEADINGS = {
    "round-added": "New rounds",
    "round-awarded": "Rounds awarded",
    "round-changed": "Rounds changed",
    "provider-joined": "Providers joining",
    "provider-left": "Providers leaving",
    "provider-suspended": "Providers not taking new people",
    "provider-back": "Providers taking new people again",
    "listing-moved": "Listings serving other districts",
    "listing-changed": "Listings changed",
    "lot-closed": "Lots closed",
    "lot-reopened": "Lots reopened",
    "lot-changed": "Lot details changed",
    "figure-revised": "Money figures changed",
    "figure-added": "Money figures added",
    "figure-removed": "Money figures removed",
    "provider-details-changed": "Provider details changed",
    "column-added": "Columns added to the open data",
    "column-removed": "Columns removed from the open data",
}
FIRST_COUNTS = {"programmes": ("programme", "programmes"), "lots": ("lot", "lots"), "rounds": ("round", "rounds"),
                "providers": ("provider", "providers"), "listings": ("listing", "listings"), "pages": ("page", "pages")}
OTHER_HEADING = "Other changes"  # a kind with no heading yet is still said, never dropped


@dataclass
class ChangeSummary:
    compared_with: str
    changes: list[Change] = field(default_factory=list)
    pages_added: list[str] = field(default_factory=list)
    pages_removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Nothing frozen and no site built yet: what the first publication holds, {"programmes": 1, ...}.
    first_publication: dict[str, int] | None = None

    @property
    def first_publication_words(self) -> str | None:
        """'This is the first publication: it holds 1 programme, 6 lots, … and 368 pages.'"""
        if self.first_publication is None:
            return None
        parts = [f"{n:,} {noun if n == 1 else plural}" for key, (noun, plural) in FIRST_COUNTS.items()
                 for n in [self.first_publication.get(key, 0)]]
        return "This is the first publication: it holds " + ", ".join(parts[:-1]) + f" and {parts[-1]}."

    def to_dict(self) -> dict:
        return {
            "compared_with": self.compared_with,
            "first_publication": self.first_publication,
            "changes": [c.to_dict() for c in self.changes],
            "pages_added": self.pages_added,
            "pages_removed": self.pages_removed,
            "warnings": self.warnings,
        }

    def sections(self) -> list[tuple[str, list[Change]]]:
        """(heading, changes) in the order of ``KIND_HEADINGS``, only those with changes: what a renderer lists."""
        out = [(heading, [c for c in self.changes if c.kind == kind]) for kind, heading in KIND_HEADINGS.items()]
        out.append((OTHER_HEADING, [c for c in self.changes if c.kind not in KIND_HEADINGS]))
        return [(heading, changes) for heading, changes in out if changes]

    def lines(self) -> list[str]:
        if self.first_publication is not None:
            return [self.first_publication_words] + [f"  Warning: {w}" for w in self.warnings]
        out = [f"Compared with {self.compared_with}:"]
        if not (self.changes or self.pages_added or self.pages_removed):
            out.append("  No changes to the published tables or pages.")
        for heading, changes in self.sections():
            out.append(f"  {heading} ({len(changes)}):")
            out += [f"    - {c.text}" for c in changes]
        for label, pages in (("Pages added", self.pages_added), ("Pages removed", self.pages_removed)):
            if pages:
                out.append(f"  {label} ({len(pages)}):")
                out += [f"    - /{p}" for p in pages[:20]]
                if len(pages) > 20:
                    out.append(f"    … and {len(pages) - 20} more")
        out += [f"  Warning: {w}" for w in self.warnings]
        return out


def new_tables(model: SiteModel) -> dict[str, list[dict]]:
    """The published tables (payments aside) as rows of text, read back from their CSV: once per model."""
    return model.derived(_read_back_tables)


def _read_back_tables(model: SiteModel) -> dict[str, list[dict]]:
    return {r.name: list(csv.DictReader(io.StringIO(r.csv.decode("utf-8"), newline="")))
            for r in table_resources(model, exclude=("payments",))}


def change_summary(model: SiteModel, project, planned_pages: set[str]) -> ChangeSummary:
    """The summary against the latest frozen round (or the site now in ``output/``); ``planned_pages`` are the
    addresses the new build will have (``site.pages.planned_pages``)."""
    rounds = frozen_rounds(project.frozen)
    output_data = Path(project.output) / "data"
    if rounds:
        latest = rounds[-1]
        summary = ChangeSummary(f"round {latest.round_id} as published (version {latest.version})",
                                compare(read_tables(latest.folder), new_tables(model)))
    elif (output_data / "datapackage.json").is_file():
        summary = ChangeSummary(f"the site now in {project.output}", compare(read_tables(output_data), new_tables(model)))
    else:
        summary = ChangeSummary("nothing: this is the first publication")
        summary.first_publication = {
            "programmes": len(model.programmes), "lots": len(model.lots), "rounds": len(model.rounds),
            "providers": len(model.providers), "listings": len(model.listings), "pages": len(planned_pages)}
        summary.pages_added = sorted(planned_pages)
    if summary.first_publication is None and Path(project.output).is_dir():
        before = built_pages(Path(project.output))
        after = planned_pages
        summary.pages_added = sorted(after - before)
        summary.pages_removed = sorted(before - after)
    summary.warnings = [r.sentence() for r in model.reconciliations]
    withheld = sum(1 for k in model.kpis if k.withheld)
    if withheld:
        summary.warnings.append(f"{withheld} KPI values are withheld to protect small numbers of people.")
    summary.warnings += unmatched_payment_warnings(model)
    return summary


def built_pages(output: Path) -> set[str]:
    return {name.removesuffix("index.html") for name, _ in walk_files(output)
            if name.endswith("index.html") and (name == "index.html" or name.endswith("/index.html"))
            and not name.startswith(("pagefind/", "theme/"))}


def unmatched_payment_warnings(model: SiteModel) -> list[str]:
    from .transparency import unmatched_payments

    unmatched = unmatched_payments(model)
    if not unmatched:
        return []
    shown = ", ".join(unmatched[:5]) + (f" and {len(unmatched) - 5} more" if len(unmatched) > 5 else "")
    noun = "payment names" if len(unmatched) == 1 else "payments name"
    return [f"{len(unmatched)} {noun} a programme, lot and provider with no listing ({shown}): they are "
            "published with a blank contract reference. Check their lot_id, or the listings table."]

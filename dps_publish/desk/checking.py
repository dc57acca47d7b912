"""Checking a draft's tables with the same functions as ``dps-publish validate`` and ``diff``."""

from __future__ import annotations

from .. import pipeline
from ..problems import BuildError, DataProblems, Problem
from ..settings import PublishSettings
from .config import DeskConfig
from .drafts import Draft


def run_check(config: DeskConfig, settings: PublishSettings, draft: Draft) -> dict:
    """The problems, change summary, warnings and counts of the draft's tables, as the draft keeps them."""
    digest = draft.data_digest()
    project = config.project(settings, data=draft.data)
    validation = pipeline.validate(project)
    problems = [{**p.to_dict(), "text": str(p)} for p in validation.problems]
    result = {"data_digest": digest, "problems": problems, "summary": None, "sections": [], "warnings": [],
              "counts": {}}
    if validation.ok:
        try:
            summary = pipeline.change_summary_of(project, validation)
        except (BuildError, DataProblems) as exc:
            result["problems"] = [{"code": "build", "file": "", "sheet": None, "cell": None, "row": None,
                                   "column": None, "value": None, "message": str(exc), "text": str(exc)}]
            return result
        result["summary"] = summary.to_dict()
        result["sections"] = [[heading, [c.to_dict() for c in changes]] for heading, changes in summary.sections()]
        result["warnings"] = list(summary.warnings)
        counts = {}
        for change in summary.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        counts["pages-added"], counts["pages-removed"] = len(summary.pages_added), len(summary.pages_removed)
        result["counts"] = counts
    return result


def problem_of(record: dict) -> Problem:
    """A problem as the draft keeps it, back as a ``Problem`` (to mark a workbook with it)."""
    return Problem(record["file"], record["row"], record["column"], record["code"], record["value"],
                   record["message"], record.get("sheet"), record.get("cell"))


def problems_by_file(check: dict | None) -> dict[str, list[dict]]:
    """The check's problems grouped by file, numbered in the order they are listed."""
    by_file: dict[str, list[dict]] = {}
    for number, problem in enumerate(check["problems"] if check else [], start=1):
        by_file.setdefault(problem["file"] or "The tables", []).append({**problem, "number": number})
    return by_file

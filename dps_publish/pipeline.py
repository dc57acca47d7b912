"""The build, stage by stage, in order.

Everything is read and checked before anything is written (as Pelican builds
its whole context first); only a model with no problems reaches the writers,
which write into a fresh folder that replaces ``output/`` at the very end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .background import BackgroundJob
from .cache import BuildState, CacheFolders, PageReuse, last_build, output_digest
from .files import build_into_fresh_folder
from .model.build import build_model
from .model.publishable import SiteModel
from .opendata.freeze import freeze_payments, freeze_round
from .opendata.publication import Publication, plan_publication, write_and_check_open_data
from .opendata.summary import ChangeSummary, change_summary
from .problems import DataProblems
from .settings import Project
from .site.artefacts import Artefacts, write_artefacts
from .site.charts import ChartRenderer
from .site.pages import artefact_pages, planned_pages
from .site.search import write_search_index
from .site.sitecheck import check_pages
from .site.writer import write_site
from .sources.validate import Validation, validate_folder


@dataclass(frozen=True)
class Stage:
    name: str  # as --timings and the module docstrings name it
    words: str  # what a person at a terminal sees while it runs
    does: str  # what it does, in the README's "How it works"
    where: str  # the folder or module that does it


# The stages of a build, in order. The README's "How it works" table is this list (a test holds them equal).
STAGES = (
    Stage("validate", "Checking the tables",
          "reads every table as people save it, puts it in one form, checks every cell and the contract's rules "
          "across tables", "sources/"),
    Stage("model", "Working out what to publish",
          "the publishable model (no exempt column, no applied listing, small numbers withheld) and the change "
          "summary", "model/"),
    Stage("open-data", "Planning the open data",
          "the open data's version, files, rounds and changelog, for the data pages", "opendata/publication.py"),
    Stage("check-open-data", "Writing the open data",
          "a second process writes the data package, transparency files, OCDS and Open Referral UK, and "
          "frictionless checks every package (the largest tables two at a time)", "opendata/"),
    Stage("artefacts", "Making the booklets and recordings",
          "each page's own files besides its HTML, one module for each kind: each easy-read page a person takes "
          "away, as a tagged PDF/UA-1 booklet (Typst) and as an MP3 of its own words read aloud offline "
          "(hibari-tts), each made again only when what it is made from changes, and checked from its own words",
          "site/artefacts.py"),
    Stage("site", "Writing the pages",
          "Pelican writes every page, its easy-read twin and the charts (the pages rendered in two workers)",
          "site/writer.py"),
    Stage("check-site", "Checking the pages",
          "the naming register and easy-read sentences, on every page (read in two workers)", "site/sitecheck.py"),
    Stage("search-index", "Building the search index", "Pagefind indexes the pages, in shards the search page merges",
          "site/search.py"),
    Stage("open-data-checked", "Waiting for the open data checks",
          "waits for frictionless' verdict: nothing is published without it", "pipeline.py"),
    Stage("swap", "Publishing the new site", "the new folder replaces output/ in one step", "files.py"),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


@dataclass
class BuildResult:
    validation: Validation
    model: SiteModel | None = None
    timings: dict[str, float] = field(default_factory=dict)
    publication: Publication | None = None
    changes: ChangeSummary | None = None
    up_to_date: bool = False  # nothing had changed: nothing was done
    charts_rendered: int = 0
    charts_reused: int = 0
    pages_rendered: int = 0
    pages_reused: int = 0
    search_reindexed: bool = False
    artefacts: Artefacts = field(default_factory=Artefacts)  # each page's booklets (and later audio), by kind

    @property
    def warnings(self) -> list[str]:
        return [r.sentence() for r in self.model.reconciliations] if self.model else []


StageListener = Callable[[str], None]


def build(project: Project, on_stage: StageListener | None = None) -> BuildResult:
    """Validate, model and write; raise ``DataProblems`` (nothing written) if the data has problems.

    When nothing the build reads has changed since the last build into the same
    ``output/``, nothing is done (``result.up_to_date``). Otherwise pages whose
    inputs are unchanged are linked from the previous build, not rendered again.
    """
    result = BuildResult(Validation({}))
    clock = _StageClock(result.timings, on_stage)
    folders = CacheFolders(project.cache)
    output = Path(project.output)
    state, inputs, as_left = last_build(project)
    if state.inputs == inputs and as_left:  # as cache.last_build_stands, which the command asks before importing this
        result.up_to_date = True
        return result
    with clock("validate"):
        result.validation = validate_folder(project.data, project.cache)
    if not result.validation.ok:
        raise DataProblems(result.validation.problems)
    with clock("model"):
        result.model = build_model(result.validation.tables, example_data=project.settings.example_data,
                                   threshold=project.settings.small_number_threshold)
        result.changes = change_summary(result.model, project, planned_pages(result.model, Path(project.content)))
    # Pages are reused only from an output/ exactly as the last build left it.
    reuse = PageReuse(output if as_left else None, state.pages)
    validated: list[str] = []

    def write(folder: Path) -> None:
        with clock("open-data"):
            result.publication = plan_publication(result.model, project.settings, project.frozen)
        with clock("check-open-data"):
            jobs.append(BackgroundJob(write_and_check_open_data, result.model, project.settings, project.frozen,
                                      folder / "data", result.publication, set(state.packages)))
        with clock("artefacts"):
            pages = artefact_pages(result.model, project.settings, Path(project.content))
            result.artefacts = write_artefacts(result.model, project.settings, project.theme, folder, pages,
                                               folders, tables=result.validation.tables, later=project.later)
        with clock("site"):
            charts = write_site(result.model, project.settings, project.content, project.theme, folder,
                                ChartRenderer(folders.charts), result.publication, reuse, result.artefacts)
            result.charts_rendered, result.charts_reused = charts.rendered, charts.reused
            result.pages_rendered, result.pages_reused = len(reuse.rendered), len(reuse.reused)
        with clock("check-site"):
            problems = check_pages(folder, result.model.naming, result.validation.tables, skip=set(reuse.reused))
            if problems:
                raise DataProblems(problems)
        with clock("search-index"):
            result.search_reindexed = write_search_index(folder, previous=reuse.previous_output)
        with clock("open-data-checked"):
            validated.extend(jobs[0].result())
        clock.start("swap")

    # The open data is written, and checked row by row by frictionless, in a second process
    # while the pages are written in this one: two cores, two jobs.
    jobs: list[BackgroundJob] = []
    try:
        build_into_fresh_folder(output, write)
    finally:
        for job in jobs:
            job.cancel()  # after a failure elsewhere, do not wait for the open data
    clock.stop()
    BuildState(state.path, inputs, output_digest(output), reuse.fingerprints, validated).save()
    return result


def validate(project: Project) -> Validation:
    return validate_folder(project.data, project.cache)


def change_summary_of(project: Project, validation: Validation | None = None) -> ChangeSummary:
    """What building the data folder would change, without building (``dps-publish diff``). ``validation`` is the
    folder's validation when the caller has just made it (the desk checks, then summarises)."""
    model = checked_model(project, validation)
    return change_summary(model, project, planned_pages(model, Path(project.content)))


def checked_model(project: Project, validation: Validation | None = None) -> SiteModel:
    validation = validation or validate_folder(project.data, project.cache)
    if not validation.ok:
        raise DataProblems(validation.problems)
    return build_model(validation.tables, example_data=project.settings.example_data,
                       threshold=project.settings.small_number_threshold)


def freeze_round_of(project: Project, round_id: str):
    return freeze_round(checked_model(project), project.settings, project.frozen, round_id)


def freeze_payments_of(project: Project, quarter: str):
    return freeze_payments(checked_model(project), project.settings, project.frozen, quarter)


class _StageClock:
    def __init__(self, timings: dict[str, float], listener: StageListener | None):
        self.timings, self.listener = timings, listener
        self._current: tuple[str, float] | None = None

    def start(self, name: str) -> None:
        if name not in STAGE_NAMES:  # progress, --timings and the README name the stages of STAGES only
            raise ValueError(f"{name!r} is not a stage of pipeline.STAGES")
        self.stop()
        if self.listener:
            self.listener(name)
        self._current = (name, time.perf_counter())

    def stop(self) -> None:
        if self._current:
            name, started = self._current
            self.timings[name] = time.perf_counter() - started
            self._current = None

    def __call__(self, name: str):
        clock = self

        class _Stage:
            def __enter__(self):
                clock.start(name)

            def __exit__(self, *exc):
                clock.stop()

        return _Stage()

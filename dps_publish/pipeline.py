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

from .charts import ChartRenderer
from .freeze import freeze_payments, freeze_round
from .opendata import Publication, check_open_data, write_open_data
from .model import SiteModel
from .output import build_into_fresh_folder
from .problems import DataProblems
from .publish import build_model
from .search import write_search_index
from .settings import PublishSettings
from .site import write_site
from .sitecheck import check_pages
from .validate import Validation, validate_folder

STAGES = (
    "validate",  # readers, normalise, checks, rules: every problem of the data folder
    "model",  # the publishable model: no exempt field, no applied listing
    "open-data",  # output/data: the Data Package, Transparency Code files, OCDS, Open Referral, frozen rounds
    "check-open-data",  # frictionless validates every data package written
    "site",  # Pelican writes the pages
    "check-site",  # the naming register and easy-read sentences, on every page
    "search-index",  # Pagefind indexes the pages
    "swap",  # the new folder replaces output/ in one step
)


@dataclass
class Project:
    data: Path
    output: Path
    content: Path
    theme: Path
    settings: PublishSettings
    cache: Path | None = None  # where rendered charts are kept between builds
    frozen: Path = Path("published")  # frozen rounds and payments, kept in the repository


@dataclass
class BuildResult:
    validation: Validation
    model: SiteModel | None = None
    timings: dict[str, float] = field(default_factory=dict)
    publication: Publication | None = None
    charts_rendered: int = 0
    charts_reused: int = 0

    @property
    def warnings(self) -> list[str]:
        return [r.sentence() for r in self.model.reconciliations] if self.model else []


StageListener = Callable[[str], None]


def build(project: Project, on_stage: StageListener | None = None) -> BuildResult:
    """Validate, model and write; raise ``DataProblems`` (nothing written) if the data has problems."""
    result = BuildResult(Validation({}))
    clock = _StageClock(result.timings, on_stage)
    with clock("validate"):
        result.validation = validate_folder(project.data)
    if not result.validation.ok:
        raise DataProblems(result.validation.problems)
    with clock("model"):
        result.model = build_model(result.validation.tables, example_data=project.settings.example_data,
                                   threshold=project.settings.small_number_threshold)

    def write(folder: Path) -> None:
        with clock("open-data"):
            result.publication = write_open_data(result.model, project.settings, project.frozen, folder / "data")
        with clock("check-open-data"):
            check_open_data(folder / "data")
        with clock("site"):
            charts = write_site(result.model, project.settings, project.content, project.theme, folder,
                                ChartRenderer(project.cache), result.publication)
            result.charts_rendered, result.charts_reused = charts.rendered, charts.reused
        with clock("check-site"):
            problems = check_pages(folder, result.model.naming, result.validation.tables)
            if problems:
                raise DataProblems(problems)
        with clock("search-index"):
            write_search_index(folder)
        clock.start("swap")

    build_into_fresh_folder(project.output, write)
    clock.stop()
    return result


def validate(project: Project) -> Validation:
    return validate_folder(project.data)


def checked_model(project: Project) -> SiteModel:
    validation = validate_folder(project.data)
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

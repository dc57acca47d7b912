"""Shared fixtures: the example site is built once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import ROOT, build_site, scratch
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

# Hypothesis keeps the examples it found, and its own caches, in folders outside the repository.
set_hypothesis_home_dir(scratch("hypothesis-home"))
settings.register_profile("dps", database=DirectoryBasedExampleDatabase(scratch("hypothesis")))
settings.load_profile("dps")


@pytest.fixture(scope="session", autouse=True)
def shared_booklet_cache(tmp_path_factory) -> Path:
    """One booklet cache for every build of the session, in this process and the ones it starts.

    A booklet is kept under a digest of everything it is made from, so builds of the same data share it:
    the example's booklets are laid out once, and a build of changed data lays out only what changed.
    """
    folder = tmp_path_factory.mktemp("booklets")
    os.environ["DPS_BOOKLET_CACHE"] = str(folder)
    # The recordings (site/audio.py) likewise: the example's are made once a session.
    os.environ["DPS_AUDIO_CACHE"] = str(tmp_path_factory.mktemp("audio"))
    return folder


@pytest.fixture(scope="session")
def example_build(tmp_path_factory):
    """The example data built once: (output folder, BuildResult)."""
    output = tmp_path_factory.mktemp("example") / "output"
    result = build_site(ROOT / "data", output)
    return output, result


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private copy of the example data to change."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target

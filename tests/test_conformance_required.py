"""In CI a conformance check never skips: a missing ``../shared`` file fails the run, naming the file.

Each conformance test file is run in its own pytest with ``DPS_SHARED`` pointing at an empty folder, choosing
(with ``-k``) a test that asks for its ``../shared`` file before anything is built, so this stays fast.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from helpers import ROOT

# A conformance test file, a test in it that needs ../shared before any build, and the file it then names.
CHECKS = [
    ("test_transparency.py", "test_reference_md_is_read_as_the_codes_field_lists", "reference.md"),
    ("test_openreferral.py", "test_the_api_check_can_fail", "oruk/api/service.json"),
    ("test_ocds.py", "test_release_package_passes_libcoveocds", "ocds/extensions"),
]


def run(file: str, test: str, shared, ci: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": ci, "DPS_SHARED": str(shared)}
    return subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests" / file), "-k", test, "-q",
                           "-p", "no:randomly", "-p", "no:cacheprovider"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("file, test, missing", CHECKS)
def test_in_ci_a_missing_shared_file_fails_the_conformance_test_naming_it(tmp_path, file, test, missing):
    empty = tmp_path / "shared"
    empty.mkdir()
    result = run(file, test, empty, ci="true")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    # a failure in the test, or in the fixture that asks for the file before anything is built ("error")
    assert re.search(r"\b1 (failed|error)\b", output) and "skipped" not in output, output[-3000:]
    assert f"{empty / missing} is not there" in output, output[-3000:]
    assert "DPS_SHARED" in output and "Traceback" not in output, output[-3000:]


def test_outside_ci_a_missing_shared_file_skips_the_check_saying_which(tmp_path):
    empty = tmp_path / "shared"
    empty.mkdir()
    file, test, missing = CHECKS[1]
    result = run(file, test, empty, ci="")
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "1 skipped" in output, output[-3000:]
    assert f"{empty / missing} is not there" in output, output[-3000:]

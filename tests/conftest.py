"""Test setup: the library (workflow/lfmrec) and the workflow scripts are importable, and one finished
run of the workflow on a tiny synthetic universe is shared by the tests that read its outputs."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "workflow", ROOT / "workflow" / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from helpers import TINY, snakemake, workdir  # noqa: E402


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    cwd = workdir(tmp_path_factory.mktemp("tiny"), TINY)
    snakemake(cwd, "--configfile", "test.yaml")
    return cwd



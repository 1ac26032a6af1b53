"""Test setup: one finished run of the workflow on a tiny synthetic universe, shared by the tests
that read its outputs. The library is the installed package ``lfmrec`` (pip install -e .)."""

import pytest
from helpers import TINY, snakemake, workdir


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    cwd = workdir(tmp_path_factory.mktemp("tiny"), TINY)
    snakemake(cwd, "--configfile", "test.yaml")
    return cwd

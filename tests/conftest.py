"""Test setup: one finished run of the workflow on a tiny synthetic universe, shared by the tests
that read its outputs. The library is the installed package ``lfmrec`` (pip install -e .)."""

import numpy as np
import pytest
from helpers import TINY, random_triples, snakemake, workdir


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    cwd = workdir(tmp_path_factory.mktemp("tiny"), TINY)
    snakemake(cwd, "--configfile", "test.yaml")
    return cwd


@pytest.fixture
def triples_factory():
    """The shared triples factory (helpers.random_triples) with a seed instead of a generator:
    ``triples_factory(seed=0, **sizes)``."""

    def make(seed=0, **kwargs):
        return random_triples(np.random.default_rng(seed), **kwargs)

    return make

"""Fit one model on all triples (phase 2 scores every pair from this fit)."""

import logging
import pickle

import pandas as pd

from lfmrec.cv import build_trainset, rating_scale
from lfmrec.io import atomic_path, run_script
from lfmrec.models import build_algorithm, check_memory

log = logging.getLogger("fit_full")


def main(snakemake):
    triples = pd.read_parquet(snakemake.input.triples)
    spec = snakemake.params.spec
    check_memory(spec, triples, snakemake.params.max_memory_gb, f"models.{snakemake.wildcards.model}")
    algo = build_algorithm(spec, snakemake.params.seed)
    algo.fit(build_trainset(triples, rating_scale(triples)))
    log.info("fitted %s on %d triples", snakemake.wildcards.model, len(triples))
    with atomic_path(snakemake.output.model) as tmp, open(tmp, "wb") as fh:
        pickle.dump(algo, fh, protocol=pickle.HIGHEST_PROTOCOL)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

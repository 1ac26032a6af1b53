"""Fit one model on all triples with its engine; phase 2 scores every pair from this fit.

The output is the engine-agnostic ScoringParams (lfmrec.scoring), pickled: both engines are scored
by the same vectorized code.
"""

import json
import logging
import pickle

import pandas as pd

from lfmrec.cv import fit, rating_scale
from lfmrec.harness import run_script
from lfmrec.io import atomic_path
from lfmrec.models import engine_of
from lfmrec.resources import check_memory
from lfmrec.tuning import fold_spec

log = logging.getLogger("fit_full")


def main(snakemake):
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id", "rating"])
    chosen = json.loads(open(snakemake.input.tuned[0]).read()) if snakemake.input.tuned else None
    spec = fold_spec(snakemake.params.spec, chosen, None)  # a tuned model: the setting most folds chose
    check_memory(spec, triples, snakemake.params.max_memory_gb, f"models.{snakemake.wildcards.model}")
    params, _ = fit(spec, snakemake.params.seed, triples, rating_scale(triples))
    log.info("fitted %s (%s engine) on %d triples", snakemake.wildcards.model, engine_of(spec), len(triples))
    with atomic_path(snakemake.output.model) as tmp, open(tmp, "wb") as fh:
        pickle.dump(params, fh, protocol=pickle.HIGHEST_PROTOCOL)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Fit one model on the training part of one fold (with its engine) and predict its test part.

Besides the predictions and RMSE/MAE it keeps the fitted ScoringParams (a temporary file) for the
held-out ranking evaluation of the fold (rule rank_fold).
"""

import logging
import pickle

import pandas as pd

from lfmrec.cv import rating_scale, run_fold, split
from lfmrec.io import atomic_path, run_script, write_json, write_parquet
from lfmrec.models import check_memory

log = logging.getLogger("cv_fold")


def main(snakemake):
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id", "rating"])
    folds = pd.read_parquet(snakemake.input.folds)
    train, test = split(triples, folds, int(snakemake.wildcards.fold))
    spec = snakemake.params.spec
    check_memory(spec, train, snakemake.params.max_memory_gb, f"models.{snakemake.wildcards.model}")
    predictions, metrics, params = run_fold(spec, snakemake.params.seed, train, test, rating_scale(triples))
    log.info("%s fold %s: %s", snakemake.wildcards.model, snakemake.wildcards.fold, metrics)
    write_parquet(predictions, snakemake.output.predictions)
    with atomic_path(snakemake.output.params) as tmp, open(tmp, "wb") as fh:
        pickle.dump(params, fh, protocol=pickle.HIGHEST_PROTOCOL)
    write_json(metrics, snakemake.output.metrics)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

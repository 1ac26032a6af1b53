"""Fit one model on the training part of one fold and predict its test part with Surprise."""

import logging

import pandas as pd

from lfmrec.cv import rating_scale, run_fold, split
from lfmrec.io import run_script, write_json, write_parquet
from lfmrec.models import check_memory

log = logging.getLogger("cv_fold")


def main(snakemake):
    triples = pd.read_parquet(snakemake.input.triples)
    folds = pd.read_parquet(snakemake.input.folds)
    train, test = split(triples, folds, int(snakemake.wildcards.fold))
    spec = snakemake.params.spec
    check_memory(spec, train, snakemake.params.max_memory_gb, f"models.{snakemake.wildcards.model}")
    predictions, metrics, _ = run_fold(spec, snakemake.params.seed, train, test, rating_scale(triples))
    log.info("%s fold %s: %s", snakemake.wildcards.model, snakemake.wildcards.fold, metrics)
    write_parquet(predictions, snakemake.output.predictions)
    write_json(metrics, snakemake.output.metrics)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

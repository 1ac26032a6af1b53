"""Assign every triple to a cross-validation fold (one seeded assignment shared by all models)."""

import pandas as pd

from lfmrec.cv import assign_folds
from lfmrec.harness import run_script
from lfmrec.io import write_parquet


def main(snakemake):
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id"])
    write_parquet(assign_folds(triples, snakemake.params.n_folds, snakemake.params.seed), snakemake.output.folds)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

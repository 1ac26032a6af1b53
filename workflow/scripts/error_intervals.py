"""RMSE and MAE of every rating model pooled over its five folds' test predictions, with a cluster
bootstrap 95% interval over users (results/error_intervals.csv; plotted with the paper's table)."""

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.io import write_csv
from lfmrec.stats import error_intervals


def main(snakemake):
    p = snakemake.params
    predictions = {
        m: pd.concat(
            [
                pd.read_parquet(f, columns=["user_id", "rating", "est"])
                for f in snakemake.input.predictions
                if f.split("/")[-2] == m
            ],
            ignore_index=True,
        )
        for m in p.models
    }
    write_csv(error_intervals(predictions, p.n_resamples, p.seed), snakemake.output.csv)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

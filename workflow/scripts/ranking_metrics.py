"""Collect the per-fold held-out metrics: results/ranking_metrics.csv (plain top-n) and
results/tradeoff.csv (every re-ranking method and lambda, averaged over folds)."""

from pathlib import Path

import pandas as pd

from lfmrec.heldout import fold_table, tradeoff_table
from lfmrec.io import run_script, write_csv


def collect(paths: list[str], models: list[str], n_folds: int) -> dict[str, list[pd.DataFrame]]:
    by_path = {str(Path(p)): p for p in paths}
    return {m: [pd.read_csv(by_path[str(Path(f"results/cv/{m}/fold{k}.ranking.csv"))]) for k in range(n_folds)]
            for m in models}


def main(snakemake):
    per_fold = collect(list(snakemake.input.folds), snakemake.params.models, snakemake.params.n_folds)
    write_csv(fold_table(per_fold), snakemake.output.ranking)
    write_csv(tradeoff_table(per_fold), snakemake.output.tradeoff)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Collect the per-fold held-out metrics: results/ranking_metrics.csv (plain top-n) and
results/tradeoff.csv (every re-ranking method and lambda, averaged over folds)."""

from pathlib import Path

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.heldout import fold_table, tradeoff_notes, tradeoff_table
from lfmrec.io import write_csv, write_text
from lfmrec.report import table_page


def collect(paths: list[str], models: list[str], n_folds: int) -> dict[str, list[pd.DataFrame]]:
    by_path = {str(Path(p)): p for p in paths}
    return {m: [pd.read_csv(by_path[str(Path(f"results/cv/{m}/fold{k}.ranking.csv"))]) for k in range(n_folds)] for m in models}


def main(snakemake):
    per_fold = collect(list(snakemake.input.folds), snakemake.params.models, snakemake.params.n_folds)
    ranking, tradeoff = fold_table(per_fold), tradeoff_table(per_fold)
    write_csv(ranking, snakemake.output.ranking)
    write_csv(tradeoff, snakemake.output.tradeoff)
    write_text(table_page("Top-n metrics on held-out artists, per model and fold", ranking), snakemake.output.ranking_html)
    write_text(
        table_page(
            "Accuracy and cultural reach of the re-ranking methods (means over folds)",
            tradeoff,
            " ".join(tradeoff_notes(tradeoff)) or None,
        ),
        snakemake.output.tradeoff_html,
    )


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

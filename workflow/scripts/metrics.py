"""Collect the per-fold RMSE/MAE into the paper's table (results/metrics.csv and .md)."""

import json
from pathlib import Path

from lfmrec.cv import metrics_markdown, metrics_table
from lfmrec.harness import run_script
from lfmrec.io import write_csv, write_text
from lfmrec.report import table_page


def collect(paths: list[str], models: dict, n_folds: int) -> dict[str, list[dict]]:
    """Per model, the fold metrics in fold order, read from results/cv/{model}/fold{k}.json."""
    by_path = {str(Path(p)): json.loads(Path(p).read_text()) for p in paths}
    return {m: [by_path[str(Path(f"results/cv/{m}/fold{k}.json"))] for k in range(n_folds)] for m in models}


def main(snakemake):
    models = snakemake.params.models
    table = metrics_table(collect(list(snakemake.input.folds), models, snakemake.params.n_folds), models)
    write_csv(table, snakemake.output.csv)
    write_text(metrics_markdown(table), snakemake.output.md)
    write_text(table_page("RMSE and MAE per model and fold (the paper's results table)", table), snakemake.output.html)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

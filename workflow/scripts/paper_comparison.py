"""The paper's published RMSE, MAE and deletions next to this run's, with the rank agreement of the
models (results/paper_comparison.csv and its page)."""

import json

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.io import write_csv, write_text
from lfmrec.paper import PAPER_USERS, comparison_table, rank_agreement
from lfmrec.report import html_page


def data_line(summary: dict) -> str:
    d = summary.get("dataset", {})
    if d.get("source") == "synthetic":
        what = f"synthetic data in the LFM-1b formats (scale {d.get('scale')}, seed {d.get('seed')})"
    else:
        what = f"a real LFM-1b copy ({d.get('dir')})"
    return (
        f"This run: {what}; {summary['users']:,} users with a country and {summary['artists_sampled']:,} sampled "
        f"artists, {summary['triples']:,} triples. The paper: the real LFM-1b, {PAPER_USERS:,} users with a country "
        "and 20,000 sampled artists, 46,865 triples."
    )


def main(snakemake):
    summary = json.loads(open(snakemake.input.summary).read())
    metrics = pd.read_csv(snakemake.input.metrics[0]) if snakemake.input.metrics else pd.DataFrame()
    deletions = pd.read_csv(snakemake.input.deletions)
    table = comparison_table(snakemake.params.models, metrics, deletions, summary["users"])
    agreement = rank_agreement(table)
    write_csv(table, snakemake.output.csv)
    write_csv(agreement, snakemake.output.agreement)
    note = data_line(summary)
    write_text(
        html_page(
            [
                ("h1", "The paper side by side: RMSE, MAE and deletions"),
                ("p", note),
                ("table", table),
                ("h2", "Rank agreement of the models (Kendall's tau-b)"),
                ("table", agreement),
                (
                    "p",
                    "RMSE and MAE: means over the five folds (the paper's table). Deletions are set side by "
                    "side per user: the run's number of users differs from the paper's. A paper row without "
                    "a matching configured model (algorithm and parameters) is left empty.",
                ),
            ]
        ),
        snakemake.output.html,
    )


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

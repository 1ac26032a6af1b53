"""Every headline figure of the replicates with its spread (results/replicates.csv and its page)."""

import json
from pathlib import Path

from lfmrec.harness import run_script
from lfmrec.io import write_csv, write_text
from lfmrec.replicates import headline, spread
from lfmrec.report import table_page


def main(snakemake):
    seeds = snakemake.params.seeds
    tables = [headline(Path(f"results/replicates/{i}")) for i in range(len(seeds))]
    table = spread(tables)
    write_csv(table, snakemake.output.csv)
    note = (
        "One column per replicate (the whole experiment with another seed set: "
        + "; ".join(f"rep_{i} {json.dumps(s, sort_keys=True)}" for i, s in enumerate(seeds))
        + "), then the mean, sd (ddof=1), min and max over the replicates. RMSE and MAE: means over folds; "
        "NDCG and recall: means over users; cultural figures: all users, estimated countries."
    )
    write_text(table_page("Headline figures over the replicates", table, note), snakemake.output.html)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

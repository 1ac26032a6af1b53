"""Every tuned model's chosen setting per outer fold and for phase 2 (results/tuning.csv)."""

import json

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.io import write_csv, write_text
from lfmrec.report import table_page


def main(snakemake):
    rows = []
    for model, path in zip(snakemake.params.models, snakemake.input.chosen, strict=True):
        chosen = json.loads(open(path).read())
        for f in chosen["folds"]:
            rows.append(
                {
                    "model": model,
                    "fold": f["fold"],
                    "point": f["point"],
                    "params": json.dumps(f["params"], sort_keys=True),
                    "validation_ndcg": f["ndcg"],
                }
            )
        rows.append(
            {
                "model": model,
                "fold": "phase 2",
                "point": chosen["phase2"]["point"],
                "params": json.dumps(chosen["phase2"]["params"], sort_keys=True),
                "validation_ndcg": float("nan"),
            }
        )
    table = pd.DataFrame(rows, columns=["model", "fold", "point", "params", "validation_ndcg"])
    write_csv(table, snakemake.output.csv)
    write_text(
        table_page(
            "Tuned settings per outer fold (validation NDCG on each fold's training part)",
            table,
            "Each outer fold is evaluated with the setting chosen on a validation split of its own training "
            "part; phase 2 uses the setting most folds chose.",
        ),
        snakemake.output.html,
    )


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

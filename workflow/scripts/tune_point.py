"""One grid point of a model's hyperparameter search: on every outer fold, fit on the inner
training part (the fold's training pairs without a seeded validation share) and rank the
validation pairs (lfmrec.tuning). The fold's test pairs are never read."""

import logging

import pandas as pd

from lfmrec.cv import fit, fold_splitter, rating_scale
from lfmrec.harness import run_script
from lfmrec.io import write_csv
from lfmrec.tuning import validation_metrics, validation_split

log = logging.getLogger("tune_point")


def main(snakemake):
    p = snakemake.params
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id", "rating"])
    split = fold_splitter(triples, pd.read_parquet(snakemake.input.folds))
    scale = rating_scale(triples)
    rows = []
    for k in range(p.n_folds):
        train, _ = split(k)  # the test part stays unread
        inner, validation = validation_split(train, p.share, p.seed + k)
        params, _ = fit(p.spec, p.model_seed, inner, scale)
        row = {
            "fold": k,
            "point": int(snakemake.wildcards.point),
            **validation_metrics(params, inner, validation, p.n, p.seed + k),
        }
        log.info("%s point %s fold %d: %s", snakemake.wildcards.model, snakemake.wildcards.point, k, row)
        rows.append(row)
    write_csv(pd.DataFrame(rows), snakemake.output.csv)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

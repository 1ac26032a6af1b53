"""Held-out ranking metrics and the re-ranking trade-off of one model (or reference) on every fold.

One job per model, not per (model, fold): the users, countries and the folds' pairs are read once,
and at the default scale a fold's evaluation takes about as long as a job's start-up. The folds'
pairs are sorted once (:class:`lfmrec.heldout.FoldPairs`); each fold's training and test pair
matrices are masks of them.
"""

import logging
import pickle

import numpy as np
import pandas as pd

from lfmrec.countries.codes import country_setup
from lfmrec.heldout import FoldPairs, evaluate_fold, evaluated_users, reference_blocks
from lfmrec.ids import sorted_unique
from lfmrec.io import run_script, write_csv
from lfmrec.scoring import iter_score_blocks

log = logging.getLogger("rank")


def main(snakemake):
    p = snakemake.params
    folds = pd.read_parquet(snakemake.input.folds)
    # the candidates: every artist of the triples, whose pairs the folds list
    item_ids = sorted_unique(folds["artist_id"].to_numpy())
    users = pd.read_parquet(snakemake.input.users)
    countries = country_setup(users, item_ids, pd.read_parquet(snakemake.input.artists),
                              pd.read_parquet(snakemake.input.similarity))
    pairs = FoldPairs(folds, users["user_id"].to_numpy(np.int64), item_ids, where=snakemake.input.folds)
    del folds
    name = snakemake.wildcards.get("model") or snakemake.wildcards.get("reference")
    outputs = snakemake.output.ranking
    # Namedlist: `in` looks at the values, keys() at the names
    params = snakemake.input.params if "params" in snakemake.input.keys() else [None] * len(outputs)  # noqa: SIM118
    for k, (params_path, out) in enumerate(zip(params, outputs, strict=True)):
        train, test = pairs.split(k)
        rows = evaluated_users(users, test, p.users, p.seed)
        user_ids = users["user_id"].to_numpy(np.int64)[rows]
        if params_path is not None:
            with open(params_path, "rb") as fh:
                blocks = iter_score_blocks(pickle.load(fh), user_ids, item_ids, p.block_users, reuse=True)
        else:
            blocks = reference_blocks(name, train, user_ids, item_ids, p.seed, p.block_users)
        table = evaluate_fold(blocks, users, rows, item_ids, train, test, countries, p.n, p.sweep, p.pool,
                              p.min_listeners)
        log.info("%s fold %d of %d, %d users:\n%s", name, k + 1, len(outputs), rows.size,
                 table.to_string(index=False))
        write_csv(table, out)
        del blocks  # and with it the fold's model: one fold's at a time


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Held-out ranking metrics and the re-ranking trade-off of one model (or reference) on one fold."""

import logging
import pickle

import numpy as np
import pandas as pd

from lfmrec.cv import split
from lfmrec.heldout import evaluate_fold, evaluated_users, reference_blocks
from lfmrec.countries.codes import country_setup
from lfmrec.io import run_script, write_csv
from lfmrec.scoring import iter_score_blocks

log = logging.getLogger("rank_fold")


def main(snakemake):
    p = snakemake.params
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id", "rating"])
    train, test = split(triples, pd.read_parquet(snakemake.input.folds), int(snakemake.wildcards.fold))
    users = pd.read_parquet(snakemake.input.users)
    item_ids = np.sort(triples["artist_id"].unique())
    countries = country_setup(users, item_ids, pd.read_parquet(snakemake.input.artists),
                              pd.read_parquet(snakemake.input.similarity))
    rows = evaluated_users(users, test, p.users, p.seed)
    user_ids = users["user_id"].to_numpy(np.int64)[rows]
    if "params" in snakemake.input.keys():
        with open(snakemake.input.params, "rb") as fh:
            blocks = iter_score_blocks(pickle.load(fh), user_ids, item_ids, p.block_users)
    else:
        blocks = reference_blocks(snakemake.wildcards.reference, train, user_ids, item_ids, p.seed, p.block_users)
    table = evaluate_fold(blocks, users, rows, item_ids, train, test, countries, p.n, p.sweep, p.pool,
                          p.min_listeners)
    name = snakemake.wildcards.get("model") or snakemake.wildcards.get("reference")
    log.info("%s fold %s, %d users:\n%s", name, snakemake.wildcards.fold, rows.size,
             table.to_string(index=False))
    write_csv(table, snakemake.output.ranking)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Held-out ranking metrics and the re-ranking trade-off of one model (or reference) on every fold.

One job per model, not per (model, fold): the users and the folds' pairs are read once, and at the
default scale a fold's evaluation takes about as long as a job's start-up. The folds' pairs are
sorted once (:class:`lfmrec.heldout.FoldPairs`); each fold's training and test pair matrices are
masks of it. Per fold (the protocol of :mod:`lfmrec.heldout`): the candidates are the artists with a
training pair, in a seeded random order (ties fall by it), and the artist countries and country
similarity are the fold's own (rule fold_countries).

Outputs per fold: the metrics of every re-ranking method and lambda (``ranking``), the per-user
metrics of the plain and the hard lists (``per_user``), and the plain top-n lists as a TREC run
file (``run``: ``user_id Q0 artist_id rank score name``, which trec_eval, ranx and ir_measures read).
"""

import logging
import os
import pickle

import numpy as np
import pandas as pd

from lfmrec.countries.codes import country_setup
from lfmrec.harness import run_script
from lfmrec.heldout import (
    FoldPairs,
    candidate_order,
    evaluate_fold,
    evaluated_users,
    excluded_items,
    reference_blocks,
    score_depth,
)
from lfmrec.ids import sorted_unique
from lfmrec.io import atomic_path, write_csv, write_parquet
from lfmrec.resources import check_scoring_memory
from lfmrec.scoring import iter_score_blocks

log = logging.getLogger("rank")


def write_run(lists: pd.DataFrame, name: str, path) -> None:
    """The lists in the TREC run format (one line per listed artist, space separated)."""
    run = pd.DataFrame(
        {
            "query": lists["user_id"],
            "q0": "Q0",
            "doc": lists["artist_id"],
            "rank": lists["rank"],
            "score": lists["score"],
            "name": name,
        }
    )
    with atomic_path(path) as tmp:
        run.to_csv(tmp, sep=" ", header=False, index=False)


def main(snakemake):
    p = snakemake.params
    folds = pd.read_parquet(snakemake.input.folds)
    # every artist of the triples, whose pairs the folds list; each fold's candidates are those of
    # them with a training pair
    item_ids = sorted_unique(folds["artist_id"].to_numpy())
    users = pd.read_parquet(snakemake.input.users)
    pairs = FoldPairs(folds, users["user_id"].to_numpy(np.int64), item_ids, where=snakemake.input.folds)
    del folds
    name = snakemake.wildcards.get("model") or snakemake.wildcards.get("reference")
    out = snakemake.output
    # Namedlist: `in` looks at the values, keys() at the names
    params = snakemake.input.params if "params" in snakemake.input.keys() else [None] * len(out.ranking)  # noqa: SIM118
    for k, params_path in enumerate(params):
        check_scoring_memory(
            p.spec,
            os.path.getsize(params_path) if params_path else 0,
            len(users),
            item_ids.size,
            pairs.rows.size,  # every pair of the folds
            p.block_users,
            1,
            p.max_memory_gb,
            name,
            splits=True,
        )
        train, test = pairs.split(k)
        order, n_candidates = candidate_order(train, p.seed, k)
        fold_items = item_ids[order]
        train, test = train[:, order], test[:, order]
        countries = country_setup(
            users, fold_items, pd.read_parquet(snakemake.input.artists[k]), pd.read_parquet(snakemake.input.similarity[k])
        )
        rows = evaluated_users(users, test, p.users, p.seed)
        user_ids = users["user_id"].to_numpy(np.int64)[rows]
        if params_path is not None:
            with open(params_path, "rb") as fh:
                model = pickle.load(fh)
            # a native kNN model is scored only as deep as the fold's lists look (lfmrec.native.knn_topn)
            depth = score_depth(p.sweep, p.n, p.pool, countries, rows, excluded_items(train, p.min_listeners))
            blocks = iter_score_blocks(model, user_ids, fold_items, p.block_users, reuse=True, depth=depth)
        else:
            blocks = reference_blocks(name, train, user_ids, fold_items, p.seed, p.block_users)
        table, per_user = evaluate_fold(
            blocks,
            users,
            rows,
            fold_items,
            train,
            test,
            countries,
            p.n,
            p.sweep,
            p.pool,
            p.min_listeners,
            per_user=True,
            lists_of=[("none", 0.0)],
        )
        log.info(
            "%s fold %d of %d, %d users, %d of %d artists candidates:\n%s",
            name,
            k + 1,
            len(out.ranking),
            rows.size,
            n_candidates,
            item_ids.size,
            table.to_string(index=False),
        )
        write_csv(table, out.ranking[k])
        per_user.insert(0, "fold", k)
        write_parquet(per_user, out.per_user[k])
        write_run(table.attrs["lists"]["none 0.0"], name, out.run[k])
        del blocks  # and with it the fold's model: one fold's at a time


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

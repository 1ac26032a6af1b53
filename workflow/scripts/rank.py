"""Held-out ranking metrics and the re-ranking trade-off of one model (or reference) on every fold;
rule rank_<group>: several native kNN models of one trainset and k, scored together by one walk per
fold (a block's users in ``threads`` parts at once) and each evaluated as alone
(lfmrec.heldout.evaluate_together).

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

import numpy as np
import pandas as pd

from lfmrec.countries.codes import country_setup
from lfmrec.harness import run_script
from lfmrec.heldout import (
    FoldPairs,
    candidate_order,
    evaluate_fold,
    evaluate_together,
    evaluated_users,
    excluded_items,
    reference_blocks,
    score_depth,
)
from lfmrec.ids import sorted_unique
from lfmrec.io import atomic_path, write_csv, write_parquet
from lfmrec.resources import check_scoring_memory
from lfmrec.scoring import iter_joint_blocks, iter_score_blocks, load_fitted

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
    # rule rank_<group>: several kNN models, inputs and outputs model by model, each fold by fold
    names = list(p.names) if "names" in p.keys() else [snakemake.wildcards.get("model") or snakemake.wildcards.get("reference")]  # noqa: SIM118
    out = snakemake.output
    n_folds = len(out.ranking) // len(names)
    # Namedlist: `in` looks at the values, keys() at the names
    params = list(snakemake.input.params) if "params" in snakemake.input.keys() else None  # noqa: SIM118
    for k in range(n_folds):
        paths = [params[m * n_folds + k] for m in range(len(names))] if params else []
        check_scoring_memory(
            p.spec,
            sum(map(os.path.getsize, paths)),
            len(users),
            item_ids.size,
            pairs.rows.size,  # every pair of the folds
            p.block_users,
            1,
            p.max_memory_gb,
            ", ".join(names),
            splits=True,
            models=len(names),
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

        def evaluate(blocks, countries=countries, rows=rows, fold_items=fold_items, train=train, test=test):
            return evaluate_fold(
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

        if paths:
            models = load_fitted(paths)  # a group's models share one trainset
            # a native kNN model is scored only as deep as the fold's lists look (lfmrec.native.knn_topn)
            depth = score_depth(p.sweep, p.n, p.pool, countries, rows, excluded_items(train, p.min_listeners))
            if len(models) > 1:  # one walk for the group, each model evaluated as alone
                joint = iter_joint_blocks(
                    models, user_ids, fold_items, p.block_users, depth, reuse=True, threads=snakemake.threads
                )
                results = evaluate_together(joint, len(models), lambda m, b: evaluate(b))
            else:
                results = [evaluate(iter_score_blocks(models[0], user_ids, fold_items, p.block_users, reuse=True, depth=depth))]
            del models  # the fold's models: one fold's at a time
        else:
            results = [evaluate(reference_blocks(names[0], train, user_ids, fold_items, p.seed, p.block_users))]
        for m, (name, (table, per_user)) in enumerate(zip(names, results, strict=True)):
            log.info(
                "%s fold %d of %d, %d users, %d of %d artists candidates:\n%s",
                name,
                k + 1,
                n_folds,
                rows.size,
                n_candidates,
                item_ids.size,
                table.to_string(index=False),
            )
            i = m * n_folds + k
            write_csv(table, out.ranking[i])
            per_user.insert(0, "fold", k)
            write_parquet(per_user, out.per_user[i])
            write_run(table.attrs["lists"]["none 0.0"], name, out.run[i])


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Held-out evaluation of one model (or reference) on one CV fold: ranking metrics and the
accuracy / cultural-diversity trade-off of the re-ranking methods.

For the evaluated users (all users of the sample with a country, or a seeded subset for large
runs) every candidate artist (rated in the sample, not in the user's training part) is scored
once (artists with fewer than ``min_listeners`` distinct listeners in the fold's training part are
no one's candidates), and each *lister* -- plain top-n (``none``), the paper's ``hard`` rule, ``soft`` and
``calibrated`` over their lambda grids -- builds its top-n from those scores. Each list is compared
with the user's held-out artists (:func:`lfmrec.ranking.evaluate`).

The output of a fold is a small table: method, lambda, users, precision, recall, ndcg, hit,
foreign_share, cultural_distance.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from . import ranking, rerank
from .countries.codes import Countries
from .tables import fold_columns
from .topn import few_listeners, pair_matrix

REFERENCES = ("popular", "random")


def evaluated_users(users: pd.DataFrame, test: pd.DataFrame, limit: int | str, seed: int) -> np.ndarray:
    """Row indices into ``users`` of the users evaluated: those with test pairs, or a seeded subset
    of ``limit`` of them (ascending)."""
    rows = np.flatnonzero(users["user_id"].isin(test["user_id"]).to_numpy())
    if limit == "all" or int(limit) >= rows.size:
        return rows
    pick = np.random.default_rng(seed).choice(rows.size, size=int(limit), replace=False)
    return np.sort(rows[pick])


def listers(sweep: dict[str, Iterable[float]], n: int, c: Countries, target: np.ndarray, pool: int) -> dict[tuple[str, float], ranking.Lister]:
    """(method, lambda) -> lister: ``none`` and ``hard`` once, ``soft`` / ``calibrated`` per lambda."""
    def make(method: str, lam: float) -> ranking.Lister:
        return rerank.make_reranker(method, lam, n, c.user_country, c.item_country, c.similarity, target, pool=pool,
                                    shared=True)

    out = {("none", 0.0): make("none", 0.0), ("hard", 0.0): make("hard", 0.0)}
    for method in ("soft", "calibrated"):
        for lam in sweep.get(method, ()):
            out[(method, float(lam))] = make(method, float(lam))
    return out


def evaluate_fold(
    blocks: Iterator[tuple[int, np.ndarray]],
    users: pd.DataFrame,
    rows: np.ndarray,
    item_ids: np.ndarray,
    train: pd.DataFrame,
    test: pd.DataFrame,
    c: Countries,
    n: int,
    sweep: dict[str, Iterable[float]],
    pool: int,
    min_listeners: int = 1,
) -> pd.DataFrame:
    """Metrics of every lister for the users ``rows`` (indices into ``users``), whose score blocks
    ``blocks`` yields in that order over ``item_ids``. Artists with fewer than ``min_listeners``
    distinct listeners in ``train`` are not candidates (1: every artist is)."""
    user_ids = users["user_id"].to_numpy(np.int64)[rows]
    sub = Countries(c.user_country[rows], c.item_country, c.similarity, c.item_labels)
    history = pair_matrix(train, users["user_id"].to_numpy(np.int64), item_ids)
    # the target needs the global mix of all users (fallback), then the evaluated users' rows
    target = rerank.history_target(history, c.user_country, c.item_country, c.similarity.shape[0])[rows]
    named = {f"{m} {lam!r}": (m, lam, fn) for (m, lam), fn in listers(sweep, n, sub, target, pool).items()}
    table = ranking.evaluate(
        blocks, user_ids, item_ids, history[rows], test, n=n,
        listers={name: fn for name, (_, _, fn) in named.items()},
        user_country=sub.user_country, item_country=sub.item_country, similarity=sub.similarity,
        exclude=few_listeners(history, min_listeners),
    )
    table.insert(0, "method", [named[x][0] for x in table["lister"]])
    table.insert(1, "lambda", [named[x][1] for x in table["lister"]])
    cols = ["method", "lambda", "users", *ranking.METRICS, "foreign_share", "cultural_distance"]
    return table[cols].reset_index(drop=True)


def reference_blocks(name: str, train: pd.DataFrame, user_ids: np.ndarray, item_ids: np.ndarray, seed: int, block_users: int):
    """Score blocks of a reference model: ``popular`` (training listeners) or ``random`` (seeded)."""
    if name == "popular":
        return ranking.popular_blocks(train, user_ids, item_ids, block_users)
    if name == "random":
        return ranking.random_scores(seed, user_ids, item_ids, block_users)
    raise ValueError(f"unknown reference {name!r}: use one of {REFERENCES}")


def fold_table(per_fold: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    """results/ranking_metrics.csv: plain top-n metrics, one row per model and metric with
    fold_1..fold_k, mean and std (ddof=1), as results/metrics.csv."""
    out = []
    for model, tables in per_fold.items():
        plain = [t[t["method"] == "none"].iloc[0] for t in tables]
        for metric in ranking.METRICS:
            values = [float(p[metric]) for p in plain]
            out.append({"model": model, "metric": f"{metric}@n", **fold_columns(values)})
    return pd.DataFrame(out)


def tradeoff_table(per_fold: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    """results/tradeoff.csv: every (model, method, lambda) with its metrics averaged over folds."""
    rows = []
    for model, tables in per_fold.items():
        both = pd.concat(tables, ignore_index=True)
        mean = both.groupby(["method", "lambda"], sort=False).mean(numeric_only=True).reset_index()
        mean.insert(0, "model", model)
        mean["folds"] = len(tables)
        rows.append(mean)
    return pd.concat(rows, ignore_index=True)

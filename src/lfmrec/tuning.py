"""Hyperparameter search without test data (nested cross-validation).

For every outer fold, a seeded share of each user's *training* pairs is held out as a validation
set; every point of the configured grid is fitted on the rest and ranked on the validation pairs
by the plain top-n's NDCG@n (the held-out protocol of :mod:`lfmrec.heldout`: candidates are the
artists with an inner-training pair, ties by a seeded random order). The best point per fold
(ties: the first in grid order) is that fold's setting: the outer test fold is evaluated with it
and nothing else, so no setting is chosen on the pairs it is scored on. Phase 2 (one model on all
triples) takes the setting most folds chose (ties: the best mean validation NDCG).
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pandas as pd

from . import ranking
from .heldout import candidate_order
from .ids import sorted_unique
from .pairs import pair_matrix


def grid_points(grid: dict[str, list]) -> list[dict]:
    """Every combination of the grid's values, the first parameter varying slowest (config order)."""
    names = list(grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(grid[k] for k in names))]


def with_params(spec: dict, point: dict) -> dict:
    """The model's config entry with ``point``'s parameters set (``a.b`` names a nested one)."""
    out = copy.deepcopy(spec)
    params = out.setdefault("params", {})
    for name, value in point.items():
        where = params
        *path, last = name.split(".")
        for part in path:
            where = where.setdefault(part, {})
        where[last] = value
    return out


def validation_split(train: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(inner training, validation) of a fold's training pairs: per user, floor(share x pairs) of the
    user's pairs drawn at random (seeded) are validation pairs; a user keeps at least one pair in
    the inner training part."""
    rng = np.random.default_rng([int(seed) % 2**64, 0x5A11D])
    key = rng.random(len(train))
    users = train["user_id"].to_numpy()
    order = np.lexsort((key, users))  # by user, then at random
    sorted_users = users[order]
    start = np.searchsorted(sorted_users, sorted_users, side="left")
    count = np.searchsorted(sorted_users, sorted_users, side="right") - start
    rank = np.arange(len(train)) - start
    held = np.zeros(len(train), dtype=bool)
    held[order] = rank < np.minimum(np.floor(share * count), count - 1)
    return train[~held], train[held]


def validation_metrics(params, inner: pd.DataFrame, validation: pd.DataFrame, n: int, seed: int, block_users: int = 512) -> dict:
    """Plain top-n metrics of a fitted model (ScoringParams) on the validation pairs: candidates
    are the artists of the inner training part, in a seeded random order."""
    from .scoring import iter_score_blocks

    user_ids = sorted_unique(validation["user_id"].to_numpy())
    item_ids = sorted_unique(inner["artist_id"].to_numpy())
    train = pair_matrix(inner, user_ids, item_ids)
    order, _ = candidate_order(train, seed, 0)
    items = item_ids[order]
    table = ranking.evaluate(
        iter_score_blocks(params, user_ids, items, block_users), user_ids, items, train[:, order], validation, n=n
    )
    row = table.iloc[0]
    return {"users": int(row["users"]), **{m: float(row[m]) for m in ranking.METRICS}}


def choose(results: pd.DataFrame, metric: str = "ndcg") -> pd.DataFrame:
    """Per fold, the grid point with the best validation ``metric`` (ties: the lowest point index).
    ``results``: fold, point, metric columns. Returns fold, point, value."""
    r = results.sort_values(["fold", metric, "point"], ascending=[True, False, True], kind="stable")
    best = r.drop_duplicates("fold")[["fold", "point", metric]].rename(columns={metric: "value"})
    return best.reset_index(drop=True)


def phase2_point(chosen: pd.DataFrame, results: pd.DataFrame, metric: str = "ndcg") -> int:
    """The point most folds chose; ties between points by their mean validation ``metric``, then the
    lowest index."""
    votes = chosen["point"].value_counts()
    tied = votes[votes == votes.max()].index
    mean = results[results["point"].isin(tied)].groupby("point")[metric].mean()
    return int(sorted(tied, key=lambda p: (-mean.get(p, -np.inf), p))[0])


def fold_spec(spec: dict, chosen: dict | None, fold: int | None) -> dict:
    """A tuned model's config entry for one outer fold (``fold``) or for phase 2 (None), from the
    selection rule tune_select wrote (``chosen``); an untuned model's (``chosen`` None) as it is."""
    if chosen is None:
        return spec
    point = chosen["phase2"] if fold is None else chosen["folds"][fold]
    return with_params(spec, point["params"])

"""Phase 1 of the paper (section 5): k-fold cross-validation of every model, RMSE and MAE per fold."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from .errors import InputError
from .models import build_algorithm, describe_params, engine_of, is_topn
from .tables import fold_columns, markdown_table


def assign_folds(triples: pd.DataFrame, n_folds: int, seed: int) -> pd.DataFrame:
    """Assign every triple to a fold 0..n_folds-1, the way Surprise's KFold cuts (a shuffle, then
    contiguous chunks; the first ``n % n_folds`` folds get one extra triple, so fold sizes differ by
    at most one), but shuffled with ``numpy.random.default_rng(seed)``: the folds are not the ones
    ``KFold(random_state=seed)`` draws. The result
    (user_id, artist_id, fold, row) is in the shuffled order, which is the order training sets are
    built in (it fixes Surprise's inner ids and so kNN tie-breaking); ``row`` is the triple's row
    in ``triples``, which spares :func:`fold_splitter` matching the pairs.
    """
    n = len(triples)
    if n_folds < 2:
        raise InputError("config cv.n_folds", f"is {n_folds}, must be at least 2")
    if n_folds > n:
        raise InputError(
            "config cv.n_folds", f"is {n_folds} but there are only {n} triples", "use fewer folds or a larger sample"
        )
    order = np.random.default_rng(seed).permutation(n)
    sizes = np.full(n_folds, n // n_folds)
    sizes[: n % n_folds] += 1
    folds = np.repeat(np.arange(n_folds), sizes)
    return pd.DataFrame(  # the two id columns taken in the shuffled order, not the whole table
        {
            "user_id": triples["user_id"].to_numpy(np.int64)[order],
            "artist_id": triples["artist_id"].to_numpy(np.int64)[order],
            "fold": folds.astype(np.int64),
            "row": order.astype(np.int64),
        }
    )


def _pair_keys(users: np.ndarray, artists: np.ndarray, width: int) -> np.ndarray:
    return users.astype(np.int64) * np.int64(width) + artists.astype(np.int64)


def split(triples: pd.DataFrame, folds: pd.DataFrame, fold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test triples of one fold, both in the folds file's (shuffled) order."""
    return fold_splitter(triples, folds)(fold)


def fold_splitter(triples: pd.DataFrame, folds: pd.DataFrame) -> Callable[[int], tuple[pd.DataFrame, pd.DataFrame]]:
    """``splitter(k) -> (train, test)`` of fold k, as :func:`split`, with the folds file matched to
    the triples once for all folds.

    A folds file of :func:`assign_folds` names each pair's row of the triples (``row``): when the
    triples at those rows hold the folds' pairs (checked), that is the match (2 s for the 28 M
    triples of all of LFM-1b). Otherwise pairs are matched through int64 keys, both sides sorted
    (no hash join, no random binary searches; 10-14 s at that size).
    """
    rows = _rows_named(triples, folds)
    if rows is None:
        rows = _rows_by_sorting(triples, folds)
    fold_of = folds["fold"].to_numpy()
    ratings = triples[["user_id", "artist_id", "rating"]].iloc

    def splitter(fold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        test = fold_of == fold
        return ratings[rows[~test]].reset_index(drop=True), ratings[rows[test]].reset_index(drop=True)

    return splitter


def _rows_named(triples: pd.DataFrame, folds: pd.DataFrame) -> np.ndarray | None:
    """The folds file's ``row`` column when the triples at those rows are the folds' pairs, else None."""
    if "row" not in folds.columns:
        return None
    rows = folds["row"].to_numpy()
    if rows.dtype.kind not in "iu" or (rows.size and (rows.min() < 0 or rows.max() >= len(triples))):
        return None
    for col in ("user_id", "artist_id"):
        if not np.array_equal(triples[col].to_numpy()[rows], folds[col].to_numpy()):
            return None
    return rows.astype(np.int64, copy=False)


def _rows_by_sorting(triples: pd.DataFrame, folds: pd.DataFrame) -> np.ndarray:
    """The triples' row of each folds row, matched through int64 keys, both sides sorted."""
    width = int(max(triples["artist_id"].max(), folds["artist_id"].max())) + 1
    keys = _pair_keys(triples["user_id"].to_numpy(), triples["artist_id"].to_numpy(), width)
    order = np.argsort(keys)  # pairs are unique: no ties to keep stable
    sorted_keys = keys[order]
    del keys
    want = _pair_keys(folds["user_id"].to_numpy(), folds["artist_id"].to_numpy(), width)
    want_order = np.argsort(want)
    sorted_want = want[want_order]
    del want
    if sorted_want.size == sorted_keys.size and np.array_equal(sorted_want, sorted_keys):
        found = order  # the usual case: the folds list exactly the triples' pairs
    else:  # sorted needles: the searches walk the keys in order
        pos = np.minimum(np.searchsorted(sorted_keys, sorted_want), max(sorted_keys.size - 1, 0))
        if sorted_keys.size == 0 or np.any(sorted_keys[pos] != sorted_want):
            raise InputError("results/cv/folds.parquet", "lists pairs that are not in the triples", "delete it and rerun")
        found = order[pos]
    rows = np.empty_like(found)
    rows[want_order] = found  # the triples' row of each folds row
    return rows


def rating_scale(triples: pd.DataFrame) -> tuple[float, float]:
    """The Reader's rating_scale: (min, max) of the ratings, not Surprise's default (1, 5)."""
    return float(triples["rating"].min()), float(triples["rating"].max())


def build_trainset(train: pd.DataFrame, scale: tuple[float, float]):
    """A Surprise Trainset from triples, in their order (which fixes Surprise's inner ids)."""
    from surprise import Dataset, Reader

    data = Dataset.load_from_df(train[["user_id", "artist_id", "rating"]], Reader(rating_scale=scale))
    return data.build_full_trainset()


def rmse_mae(rating: np.ndarray, est: np.ndarray) -> tuple[float, float]:
    """RMSE = sqrt(mean((r - est)^2)) and MAE = mean(|r - est|), as in the paper."""
    err = np.asarray(rating, dtype=np.float64) - np.asarray(est, dtype=np.float64)
    return float(np.sqrt(np.mean(err**2))), float(np.mean(np.abs(err)))


def fit(spec: dict, seed: int, train: pd.DataFrame, scale: tuple[float, float]):
    """Fit one model with its engine; returns (ScoringParams, predict(users, items) -> est).

    ``surprise`` predicts with ``algo.test()`` (the reference); ``native`` with
    :func:`lfmrec.native.predict_pairs`. Either way the ScoringParams score all pairs in phase 2.
    A top-n model (:mod:`lfmrec.families`) ignores ``scale``; its ``predict`` returns its
    ranking scores of the pairs (:func:`lfmrec.scoring.score_pairs`), not ratings.
    """
    # Imported here, not at the top: the small jobs that only build tables from this module
    # (folds, metrics) do not pay for loading numba and its compiled kernels.
    from .scoring import params_from_surprise

    if is_topn(spec):
        from .families import fit_topn
        from .scoring import score_pairs

        params = fit_topn(spec, seed, train)
        return params, lambda users, items: score_pairs(params, users, items)
    if engine_of(spec) == "native":
        from . import native

        params = native.fit(spec, seed, train, scale)
        return params, lambda users, items: native.predict_pairs(params, users, items)
    algo = build_algorithm(spec, seed)
    algo.fit(build_trainset(train, scale))

    def predict(users: np.ndarray, items: np.ndarray) -> np.ndarray:
        testset = [(u, i, 0.0) for u, i in zip(users.tolist(), items.tolist(), strict=True)]
        return np.fromiter((p.est for p in algo.test(testset)), dtype=np.float64, count=len(testset))

    return params_from_surprise(algo), predict


def run_fold(spec: dict, seed: int, train: pd.DataFrame, test: pd.DataFrame, scale: tuple[float, float]):
    """Fit one model on the train part and predict the test part.

    Returns (predictions: user_id, artist_id, rating, est; metrics dict; the fitted ScoringParams).
    A top-n model (:func:`lfmrec.models.is_topn`) predicts no ratings: its predictions hold the
    model's ranking ``score`` of each test pair instead of ``est``, and its metrics have
    ``kind: topn`` and no RMSE/MAE (see :func:`run_topn_fold`).
    """
    if is_topn(spec):
        return run_topn_fold(spec, seed, train, test)
    if engine_of(spec) == "native":  # load the compiled kernels outside the timing
        from .native import warm_up

        warm_up(spec)
    else:
        import surprise  # noqa: F401
    t0 = time.perf_counter()
    params, predict = fit(spec, seed, train, scale)
    t1 = time.perf_counter()
    est = predict(test["user_id"].to_numpy(np.int64), test["artist_id"].to_numpy(np.int64))
    t2 = time.perf_counter()
    out = test.copy()
    out["est"] = est
    rmse, mae = rmse_mae(out["rating"].to_numpy(), est)
    metrics = {
        "rmse": rmse,
        "mae": mae,
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "engine": engine_of(spec),
        "fit_seconds": round(t1 - t0, 3),
        "predict_seconds": round(t2 - t1, 3),
    }
    return out, metrics, params


def run_knn_fold(specs: dict, train: pd.DataFrame, test: pd.DataFrame, scale: tuple[float, float], threads: int = 1) -> dict:
    """:func:`run_fold` for several native msd kNN models that share one similarity (the same
    ``min_support``; :func:`lfmrec.models.similarity_groups`): the similarity rows of each block of
    users are computed once and serve every model and every k
    (:func:`lfmrec.native.knn_stream.predict_streamed`); no users x users matrix is held. The same
    predictions, bit for bit, as each model's own :func:`run_fold`. Returns ``{name: (predictions,
    metrics, params)}`` (``threads``: see ``predict_streamed``); each model's ``fit_seconds`` is the shared trainset's build and its
    ``predict_seconds`` the shared prediction (``similarity_shared_by``: how many models)."""
    from .ids import inner_ids
    from .native import knn, knn_stream, trainset
    from .native import warm_up as native_warm_up
    from .scoring import ScoringParams

    names = list(specs)
    supports = {int(((specs[m].get("params") or {}).get("sim_options") or {}).get("min_support", 1)) for m in names}
    if len(supports) != 1 or any(specs[m]["algorithm"] not in ("KNNBasic", "KNNWithMeans") for m in names):
        raise ValueError(f"run_knn_fold needs msd kNN models with one min_support, got {names}")
    native_warm_up(specs[names[0]])
    t0 = time.perf_counter()
    ts = trainset.build(train, with_items=True)
    fitted = {m: knn.fit(ts, specs[m].get("params") or {}, specs[m]["algorithm"]) for m in names}
    t1 = time.perf_counter()
    u = inner_ids(test["user_id"].to_numpy(np.int64), ts.user_raw2inner)
    i = inner_ids(test["artist_id"].to_numpy(np.int64), ts.item_raw2inner)
    configs = [(fitted[m]["kind"], fitted[m]["k"], fitted[m]["min_k"]) for m in names]
    est = knn_stream.predict_streamed(ts, supports.pop(), u, i, configs, knn_stream.DEFAULT_BLOCK_USERS, threads)
    np.minimum(est, scale[1], out=est)
    np.maximum(est, scale[0], out=est)
    t2 = time.perf_counter()
    out = {}
    for q, m in enumerate(names):
        predictions = test.copy()
        predictions["est"] = est[q]
        rmse, mae = rmse_mae(predictions["rating"].to_numpy(), est[q])
        metrics = {
            "rmse": rmse,
            "mae": mae,
            "n_train": int(len(train)),
            "n_test": int(len(test)),
            "engine": "native",
            "fit_seconds": round(t1 - t0, 3),
            "predict_seconds": round(t2 - t1, 3),
            "similarity_shared_by": len(names),
        }
        params = ScoringParams(
            global_mean=ts.global_mean,
            rating_scale=tuple(scale),
            user_raw2inner=ts.user_raw2inner,
            item_raw2inner=ts.item_raw2inner,
            **fitted[m],
        )
        out[m] = (predictions, metrics, params)
    return out


def run_topn_fold(spec: dict, seed: int, train: pd.DataFrame, test: pd.DataFrame):
    """:func:`run_fold` of a top-n model: (test pairs with the model's ``score``; metrics with kind
    ``topn``, sizes and timings; the fitted ScoringParams)."""
    t0 = time.perf_counter()
    params, predict = fit(spec, seed, train, rating_scale(train) if len(train) else (0.0, 0.0))
    t1 = time.perf_counter()
    out = test.copy()
    out["score"] = predict(test["user_id"].to_numpy(np.int64), test["artist_id"].to_numpy(np.int64))
    t2 = time.perf_counter()
    metrics = {
        "kind": "topn",
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "engine": engine_of(spec),
        "fit_seconds": round(t1 - t0, 3),
        "predict_seconds": round(t2 - t1, 3),
    }
    return out, metrics, params


def metrics_table(fold_metrics: dict[str, list[dict]], models: dict) -> pd.DataFrame:
    """The paper's table: one row per model and metric with fold_1..fold_k, mean and std (ddof=1).
    Rating models only: a top-n model has no RMSE/MAE and is an error here."""
    rows = []
    for name, per_fold in fold_metrics.items():
        if is_topn(models[name]):
            raise ValueError(f"{name} is a top-n model ({models[name]['algorithm']}): it has no RMSE/MAE")
        for metric in ("rmse", "mae"):
            row = {"model": name, "params": describe_params(models[name]), "metric": metric.upper()}
            rows.append({**row, **fold_columns([m[metric] for m in per_fold])})
    return pd.DataFrame(rows)


def metrics_markdown(table: pd.DataFrame, digits: int = 4) -> str:
    """The metrics table as a Markdown table (values rounded to ``digits``)."""
    return markdown_table(table, digits) + "\n"

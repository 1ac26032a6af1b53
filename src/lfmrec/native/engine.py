"""The native engine's entry points: check a config entry, fit it, predict pairs, warm up.

``fit(spec, seed, train, scale)`` returns the :class:`~lfmrec.scoring.ScoringParams` that
``params_from_surprise(build_algorithm(spec, seed).fit(build_trainset(train, scale)))`` returns,
and ``predict_pairs(params, users, items)`` the estimates ``algo.test()`` returns for those pairs
(raw ids looked up with :func:`lfmrec.ids.inner_ids`; unknown ids get Surprise's fallbacks; every
estimate clipped as ``max(lo, min(hi, est))``): BaselineOnly (:mod:`.baseline`), SVD
(:mod:`.svd`) and user-based msd KNNBasic / KNNWithMeans (:mod:`.knn`), on the trainset's arrays
(:mod:`.trainset`). ``predict_pairs`` works for ScoringParams of either engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..ids import inner_ids
from ..scoring import ScoringParams
from . import baseline, knn, knn_stream, svd, trainset

ALGORITHMS = ("BaselineOnly", "SVD", "KNNBasic", "KNNWithMeans")


def validate_native(spec: dict, key: str) -> None:
    """Raise InputError if the native engine cannot fit ``spec`` exactly as Surprise does."""
    algorithm = spec.get("algorithm")
    if algorithm not in ALGORITHMS:
        raise InputError(
            f"config {key}.algorithm",
            f"{algorithm!r} has no native implementation",
            f"use one of {', '.join(ALGORITHMS)} or engine: surprise",
        )
    params = spec.get("params") or {}
    if algorithm == "BaselineOnly":
        method = (params.get("bsl_options") or {}).get("method", "als")
        if method not in ("als", "sgd"):
            raise InputError(f"config {key}.params.bsl_options.method", f"is {method!r}", "use als or sgd")
    if not algorithm.startswith("KNN"):
        return
    sim = params.get("sim_options") or {}
    where = f"config {key}.params.sim_options"
    name = str(sim.get("name", "msd")).lower()
    if name != "msd":
        raise InputError(
            f"{where}.name",
            f"is {name!r}: the native engine computes msd only",
            "use name: msd, or engine: surprise for other similarities",
        )
    if sim.get("user_based", True) is not True:
        raise InputError(
            f"{where}.user_based", "is false: the native engine is user-based only", "use user_based: true, or engine: surprise"
        )
    if sim.get("min_support", 1) < 1:
        raise InputError(
            f"{where}.min_support",
            "is 0: Surprise's msd divides by zero for two users without a common item (ZeroDivisionError)",
            "use min_support >= 1 (1 is the default)",
        )


def fit(spec: dict, seed: int, train: pd.DataFrame, scale: tuple[float, float], exact: bool = False) -> ScoringParams:
    """Fit ``spec`` (a config model entry) on ``train`` (user_id, artist_id, rating) natively.

    Equal to ``params_from_surprise`` of ``build_algorithm(spec, seed)`` fitted on
    ``build_trainset(train, scale)``; ``train``'s row order fixes the inner ids as in Surprise.
    Baseline and kNN: bit for bit. SVD / MF: bit for bit with ``exact=True``; by default the
    relaxed (fastmath) SGD kernel, whose factors differ from Surprise's and between CPUs in the
    last bits (~1e-15 on the default data) and which is about 2.2x faster (see :mod:`.svd`).
    """
    validate_native(spec, "model")
    algorithm = spec["algorithm"]
    params = spec.get("params") or {}
    with_items = algorithm.startswith("KNN") or (algorithm == "BaselineOnly" and baseline.needs_items(params))
    ts = trainset.build(train, with_items=with_items)
    if algorithm == "BaselineOnly":
        fitted = baseline.fit(ts, params)
    elif algorithm == "SVD":
        fitted = svd.fit(ts, params, seed, exact)
    else:
        fitted = knn.fit(ts, params, algorithm)
    return ScoringParams(
        global_mean=ts.global_mean,
        rating_scale=tuple(scale),
        user_raw2inner=ts.user_raw2inner,
        item_raw2inner=ts.item_raw2inner,
        **fitted,
    )


def predict_pairs(params: ScoringParams, user_raw: Iterable[Any], item_raw: Iterable[Any]) -> np.ndarray:
    """``algo.test()`` estimates for the pairs ``(user_raw[n], item_raw[n])``, float64.

    Raw ids as in the training data (unknown ones get Surprise's fallbacks); every estimate is
    clipped to ``rating_scale`` as ``max(lo, min(hi, est))``. Works for ScoringParams of either
    engine.
    """
    u = inner_ids(user_raw, params.user_raw2inner)
    i = inner_ids(item_raw, params.item_raw2inner)
    if u.size != i.size:
        raise ValueError(f"predict_pairs got {u.size} users but {i.size} items")
    p = params
    if p.kind == "baseline":
        est = baseline.estimate(p.global_mean, p.bu, p.bi, u, i)
    elif p.kind in ("svd", "mf"):
        biased = p.kind == "svd"
        est = svd.estimate(p.global_mean, p.bu if biased else None, p.bi if biased else None, p.pu, p.qi, u, i)
    elif p.sim is None:  # native msd kNN: the similarity rows of a block of users at a time
        est = knn_stream.predict_streamed(
            p.trainset, p.min_support, u, i, [(p.kind, p.k, p.min_k)], knn_stream.DEFAULT_BLOCK_USERS
        )[0]
    else:
        est = knn.estimate(
            p.global_mean,
            p.sim,
            p.ir_indptr,
            p.ir_users,
            p.ir_ratings,
            p.means if p.kind == "knn_means" else None,
            p.k,
            p.min_k,
            u,
            i,
        )
    lo, hi = p.rating_scale
    np.minimum(est, hi, out=est)
    np.maximum(est, lo, out=est)
    return est


def warm_up(spec: dict) -> None:
    """Load ``spec``'s compiled kernels (numba compiles once per machine and caches on disk; each
    new process still loads them on first call) by fitting and predicting a tiny problem, so that
    timings of a real fit measure the fit alone."""
    rng = np.random.default_rng(0)
    tiny = pd.DataFrame(
        {"user_id": rng.integers(0, 20, 200), "artist_id": rng.integers(0, 30, 200), "rating": rng.random(200) * 5}
    ).drop_duplicates(["user_id", "artist_id"])
    params = fit(spec, 0, tiny, (0.0, 5.0))
    predict_pairs(params, tiny["user_id"].to_numpy(), tiny["artist_id"].to_numpy())

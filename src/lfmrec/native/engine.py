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
from ..families import algorithms, for_algorithm
from ..families.base import ScoringParams
from ..ids import inner_ids

ALGORITHMS = tuple(a for a in algorithms() if for_algorithm(a).native)


def validate_native(spec: dict, key: str) -> None:
    """Raise InputError if the native engine cannot fit ``spec`` exactly as Surprise does."""
    algorithm = spec.get("algorithm")
    if algorithm not in ALGORITHMS:
        raise InputError(
            f"config {key}.algorithm",
            f"{algorithm!r} has no native implementation",
            f"use one of {', '.join(ALGORITHMS)} or engine: surprise",
        )
    for_algorithm(algorithm).validate_native(spec, key)


def fit(spec: dict, seed: int, train: pd.DataFrame, scale: tuple[float, float], exact: bool = False) -> ScoringParams:
    """Fit ``spec`` (a config model entry) on ``train`` (user_id, artist_id, rating) natively.

    Equal to ``params_from_surprise`` of ``build_algorithm(spec, seed)`` fitted on
    ``build_trainset(train, scale)``; ``train``'s row order fixes the inner ids as in Surprise.
    Baseline and kNN: bit for bit. SVD / MF: bit for bit with ``exact=True``; by default the
    relaxed (fastmath) SGD kernel, whose factors differ from Surprise's and between CPUs in the
    last bits (~1e-15 on the default data) and which is about 2.2x faster (see :mod:`.svd`).
    """
    validate_native(spec, "model")
    return for_algorithm(spec["algorithm"]).fit(spec, seed, train, scale, exact)


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
    est = params.predict_pairs(u, i)
    lo, hi = params.rating_scale
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

"""Compile (or load from numba's on-disk cache) the numba kernels of the configured models before
the model jobs need them.

Every kernel is compiled on first use and cached on disk (``cache=True``, one cache per Python
environment: :mod:`lfmrec._numba`), so an environment pays the compilation once per version of the
package: about 20 s of CPU for the default config's models (kNN 12 s, the baseline with the shared
scoring and top-n kernels 6 s, SVD 1 s). Left to the model jobs, the cross-validation jobs of the
default config, which start together, would each compile the same kernels. The Snakefile's ``onstart`` therefore starts
``python -m lfmrec.kernels`` in the background: it compiles everything on a tiny problem while the
data jobs (generation, alignment, sampling, melting) run, which need no kernel. A job that starts
before it is done compiles what it has not reached itself, and waits for what it is compiling
(:func:`lfmrec._numba.compile_lock`); results never depend on it.

    python -m lfmrec.kernels MODELS_JSON    # MODELS_JSON: the config's models mapping as JSON
"""

from __future__ import annotations

import json
import logging
import sys
import time

import numpy as np
import pandas as pd

from .countries.codes import country_setup
from .errors import InputError
from .heldout import evaluate_fold, evaluated_users
from .models import engine_of

log = logging.getLogger("kernels")

KNN_ALGORITHMS = ("KNNBasic", "KNNWithMeans")


def tiny_problem(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(users, triples, artists) of 12 users and 20 artists in 3 countries, every user with 6
    ratings: the column types of the workflow's own tables."""
    rng = np.random.default_rng(seed)
    users = pd.DataFrame(
        {"user_id": np.arange(12, dtype=np.int64), "country": np.array(["US", "DE", "BR"], dtype=object)[np.arange(12) % 3]}
    )
    pairs = [(u, a) for u in range(12) for a in rng.choice(20, size=6, replace=False)]
    triples = pd.DataFrame(pairs, columns=["user_id", "artist_id"]).astype(np.int64)
    triples["rating"] = rng.uniform(0.0, 10.0, len(triples))
    artists = pd.DataFrame(
        {
            "artist_id": np.arange(20, dtype=np.int64),
            "country": np.array(["US", "DE", None, "BR"], dtype=object)[np.arange(20) % 4],
        }
    )
    return users, triples, artists


def compile_kernels(models: dict) -> dict[str, float]:
    """Fit each natively fitted model once on :func:`tiny_problem` and predict (the kernels of the
    cross-validation jobs, which start first), then build each one's lists and held-out ranking:
    every kernel a model job runs is then in numba's cache. Returns the seconds per model."""
    from . import native
    from .cv import rating_scale
    from .recommend import recommend_all
    from .scoring import iter_score_blocks

    users, triples, artists = tiny_problem()
    scale = rating_scale(triples)
    train, test = triples.iloc[::2], triples.iloc[1::2]
    item_ids = np.sort(triples["artist_id"].unique())
    countries = country_setup(users, item_ids, artists)
    rows = evaluated_users(users, test, "all", 0)
    seconds: dict[str, float] = {}
    fitted = []
    done = set()
    # first what the cross-validation jobs run (fit, predict), which start first; then scoring,
    # lists and the held-out ranking, which run after them. The kNN models first: their
    # cross-validation goes first (rules/cv.smk, priority 6) and their held-out ranking, the DAG's
    # longest job, right after it; a job that needs a kernel being compiled here waits for it
    # (lfmrec._numba.compile_lock) instead of compiling it too.
    knn_first = sorted(models.items(), key=lambda kv: kv[1] is None or kv[1].get("algorithm") not in KNN_ALGORITHMS)
    for name, spec in knn_first:
        if spec is None or engine_of(spec) != "native":
            continue
        family = (spec["algorithm"], json.dumps((spec.get("params") or {}).get("bsl_options", {}), sort_keys=True))
        if family in done:
            continue
        done.add(family)
        t0 = time.perf_counter()
        try:
            params = native.fit(spec, 0, train, scale)
        except InputError:
            continue
        native.predict_pairs(params, test["user_id"].to_numpy(np.int64), test["artist_id"].to_numpy(np.int64))
        fitted.append((name, params))
        seconds[name] = time.perf_counter() - t0
    log.info("fit and predict kernels ready: %s", {k: round(v, 2) for k, v in seconds.items()})
    for name, params in fitted:
        t0 = time.perf_counter()
        recommend_all(params, users, triples, artists, n=3, block_users=8)
        blocks = iter_score_blocks(params, users["user_id"].to_numpy(np.int64)[rows], item_ids, 8)
        evaluate_fold(blocks, users, rows, item_ids, train, test, countries, 3, {"soft": [1.0], "calibrated": [0.5]}, 10)
        seconds[name] = round(seconds[name] + time.perf_counter() - t0, 2)
    return seconds


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    t0 = time.perf_counter()
    seconds = compile_kernels(json.loads(argv[0]) if argv else {})
    log.info("kernels ready in %.1f s: %s", time.perf_counter() - t0, seconds)


if __name__ == "__main__":
    main(sys.argv[1:])

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
    """Run every natively fitted model once on :func:`tiny_problem` along the routes its jobs take:
    its cross-validation fold (:func:`lfmrec.cv.run_fold`; the msd kNN models of a similarity group
    together, :func:`lfmrec.cv.run_knn_fold`), then its lists and held-out ranking (a list group's
    models together, as rules ``recommend_<group>`` and ``rank_<group>`` score them). Every kernel a
    model job runs, with the argument types it runs it with, is then in numba's cache. Returns the
    seconds per model (or group)."""
    from .cv import rating_scale, run_fold, run_knn_fold
    from .heldout import evaluate_together, excluded_items, score_depth
    from .models import is_topn, list_groups, similarity_groups
    from .pairs import row_counts
    from .ranking import as_pair_matrix
    from .recommend import recommend_all
    from .rerank import rerank
    from .scoring import iter_joint_blocks, iter_score_blocks

    users, triples, artists = tiny_problem()
    scale = rating_scale(triples)
    train, test = triples.iloc[::2], triples.iloc[1::2]
    item_ids = np.sort(triples["artist_id"].unique())
    countries = country_setup(users, item_ids, artists)
    rows = evaluated_users(users, test, "all", 0)
    all_ids = users["user_id"].to_numpy(np.int64)
    user_ids = all_ids[rows]
    history = as_pair_matrix(train, all_ids, item_ids, "train")
    sweep, n, pool = {"soft": [1.0], "calibrated": [0.5]}, 3, 10
    depth = score_depth(sweep, n, pool, countries, rows, excluded_items(history, 1))
    native = {m: s for m, s in models.items() if s is not None and not is_topn(s) and engine_of(s) == "native"}
    groups = similarity_groups(native)
    grouped = {m for members in groups.values() for m in members}
    listed = [m for m in native if native[m].get("lists", True)]
    seconds: dict[str, float] = {}

    def lists_and_ranking(name, params) -> None:
        """Phase 2's lists and the held-out ranking of one model, or of a list group together."""
        t0 = time.perf_counter()
        recommend_all(params, users, triples, artists, n=n, block_users=8)

        def evaluate(blocks):
            return evaluate_fold(blocks, users, rows, item_ids, history, test, countries, n, sweep, pool, per_user=True)

        if isinstance(params, list):
            joint = iter_joint_blocks(params, user_ids, item_ids, 8, depth, reuse=True)
            evaluate_together(joint, len(params), lambda m, b: evaluate(b))
        else:
            evaluate(iter_score_blocks(params, user_ids, item_ids, 8, reuse=True, depth=depth))
        seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - t0, 2)

    # In the order the jobs need them. The kNN groups first: their cross-validation goes first
    # (rules/cv.smk, priority 6) and their held-out ranking, the DAG's longest job, right after it
    # (priority 5), so their lists and ranking come before the other models' fits; a job that needs
    # a kernel being compiled here waits for it (lfmrec._numba.compile_lock) instead of compiling it
    # too, and one that needs a kernel not reached yet compiles it itself.
    for group, members in groups.items():
        t0 = time.perf_counter()
        results = run_knn_fold({m: native[m] for m in members}, train, test, scale)
        seconds[group] = round(time.perf_counter() - t0, 2)
        for lgroup, together in list_groups(native, {group: members}, listed).items():
            lists_and_ranking(lgroup, [results[m][2] for m in together])
    fitted = []
    done = set()
    for name, spec in native.items():
        family = (spec["algorithm"], json.dumps((spec.get("params") or {}).get("bsl_options", {}), sort_keys=True))
        if name in grouped or family in done:
            continue
        done.add(family)
        t0 = time.perf_counter()
        try:
            fitted.append((name, run_fold(spec, 0, train, test, scale)[2]))
        except InputError:
            continue
        seconds[name] = round(time.perf_counter() - t0, 2)
    log.info("kNN groups and fit and predict kernels ready: %s", seconds)
    for name, params in fitted:
        lists_and_ranking(name, params)
    # the soft re-ranker's own pass, which a ranking job falls back to for the rows the country
    # pools cannot settle (lfmrec.rerank._from_country_pools)
    block = np.random.default_rng(0).random((4, 6))
    rerank(block, np.array([0, 1, -1, 0]), np.array([0, 1, 2, -1, 0, 1]), "soft", 1.0, n, np.eye(3))
    row_counts(np.zeros((2, 3), np.int64), 3)  # the bootstrap's resample counts (lfmrec.stats)
    return seconds


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    t0 = time.perf_counter()
    seconds = compile_kernels(json.loads(argv[0]) if argv else {})
    log.info("kernels ready in %.1f s: %s", time.perf_counter() - t0, seconds)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Benchmark lfmrec.scoring against Surprise's predict() at the paper's sample size.

Data: 2,300 users x 20,000 artists, ~47,000 heavy-tailed (user, artist) pairs, rating = log2
playcount, Reader(rating_scale=(0, max)). Each model is fitted with Surprise, then all users x all
rated artists are scored with ``score()``; the naive route (``predict()`` per pair) is timed on a
random subset of pairs and extrapolated. Prints CSV to stdout.

    .venv/bin/python benchmarks/bench_scoring.py [--naive-pairs 20000] [--block-users 256]

vectorized_s is the best of --repeat runs; peak_rss_mb is the process peak so far (fit included);
score_peak_alloc_mb is the peak of numpy/Python allocations during one score() call (tracemalloc),
output matrix included; max_abs_diff compares score() with predict() on the naive subset.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd
from surprise import SVD, BaselineOnly, Dataset, KNNBasic, KNNWithMeans, Reader  # noqa: E402

from lfmrec.scoring import params_from_surprise, score  # noqa: E402

N_USERS, N_ARTISTS, N_RATINGS = 2_300, 20_000, 47_000

MODELS = {
    "baseline_als": lambda: BaselineOnly(verbose=False),
    "baseline_sgd": lambda: BaselineOnly(bsl_options={"method": "sgd"}, verbose=False),
    "svd": lambda: SVD(random_state=0),
    "mf": lambda: SVD(biased=False, random_state=0),
    "knn_basic_k40": lambda: KNNBasic(k=40, verbose=False),
    "knn_means_k40": lambda: KNNWithMeans(k=40, verbose=False),
}


def make_ratings(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pop = 1.0 / (np.arange(N_ARTISTS) + 10.0) ** 1.2  # ~8,000 artists get rated
    act = rng.pareto(1.5, N_USERS) + 1.0
    u = rng.choice(N_USERS, 2 * N_RATINGS, p=act / act.sum())
    a = rng.choice(N_ARTISTS, 2 * N_RATINGS, p=pop / pop.sum())
    df = pd.DataFrame({"user": u, "artist": a}).drop_duplicates().head(N_RATINGS)
    plays = np.minimum(rng.zipf(1.6, len(df)), 100_000)
    df["rating"] = np.log2(plays.astype(float))
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive-pairs", type=int, default=20_000)
    ap.add_argument("--block-users", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=2, help="vectorized timing: best of N runs")
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    args = ap.parse_args()

    df = make_ratings()
    reader = Reader(rating_scale=(0.0, float(df["rating"].max())))
    ts = Dataset.load_from_df(df[["user", "artist", "rating"]], reader).build_full_trainset()
    users = [ts.to_raw_uid(u) for u in range(ts.n_users)]
    items = [ts.to_raw_iid(i) for i in range(ts.n_items)]
    n_r = np.array([len(ts.ir[i]) for i in range(ts.n_items)])
    print(
        f"# {ts.n_users} users x {ts.n_items} rated artists (of {N_ARTISTS}), {ts.n_ratings} "
        f"ratings; raters per artist: max {n_r.max()}, >40 raters: {(n_r > 40).sum()} artists "
        f"holding {n_r[n_r > 40].sum()} ratings",
        file=sys.stderr,
    )
    rng = np.random.default_rng(1)
    pu = rng.integers(0, len(users), args.naive_pairs)
    pi = rng.integers(0, len(items), args.naive_pairs)

    cols = [
        "model",
        "n_pairs",
        "vectorized_s",
        "naive_s_per_pair",
        "naive_extrapolated_s",
        "speedup",
        "peak_rss_mb",
        "score_peak_alloc_mb",
        "max_abs_diff",
        "fit_s",
    ]
    print(",".join(cols))
    for name in args.models:
        t0 = time.perf_counter()
        algo = MODELS[name]().fit(ts)
        fit_s = time.perf_counter() - t0
        params = params_from_surprise(algo)

        vec_s = float("inf")
        for _ in range(max(1, args.repeat)):
            S = None
            t0 = time.perf_counter()
            S = score(params, users, items, block_users=args.block_users)
            vec_s = min(vec_s, time.perf_counter() - t0)
        rss = peak_rss_mb()

        t0 = time.perf_counter()
        ref = np.array([algo.predict(users[a], items[b]).est for a, b in zip(pu, pi, strict=True)])
        per_pair = (time.perf_counter() - t0) / len(pu)
        diff = float(np.abs(S[pu, pi] - ref).max())
        del S

        tracemalloc.start()
        score(params, users, items, block_users=args.block_users)
        alloc = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

        n_pairs = len(users) * len(items)
        naive = per_pair * n_pairs
        print(
            f"{name},{n_pairs},{vec_s:.3f},{per_pair:.2e},{naive:.1f},{naive / vec_s:.0f},"
            f"{rss:.0f},{alloc:.0f},{diff:.1e},{fit_s:.2f}",
            flush=True,
        )
        del algo, params


if __name__ == "__main__":
    main()

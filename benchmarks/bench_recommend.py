"""Phase 2 benchmark: vectorized scoring + cross-cultural top-10 for all users vs. the naive route.

Uses the data and config of a finished run (default: results/, config/config.yaml). For each model,
in a fresh subprocess (so peak memory is per model), it refits the model with Surprise on all
triples, times ``recommend_all`` for every user, then times
the naive route - ``algo.predict()`` for every candidate pair, then sorting - on a seeded subset of
users and extrapolates to all users. Writes results/bench/recommend.csv and prints it.

    python benchmarks/bench_recommend.py [--results results] [--naive-users 40]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def naive_lists(algo, users, triples, artists, n):
    """The route the paper's tooling implies: predict() per (user, candidate) pair, sort, filter."""
    candidates = np.sort(triples["artist_id"].unique())
    country = artists.set_index("artist_id")["country"].to_dict()
    played = triples.groupby("user_id")["artist_id"].agg(set).to_dict()
    out = {}
    for u, uc in zip(users["user_id"], users["country"], strict=True):
        seen = played.get(u, set())
        scored = [(algo.predict(u, a).est, a) for a in candidates if a not in seen]
        scored.sort(key=lambda x: (-x[0], x[1]))
        out[u] = [a for _, a in scored if country[a] != uc][:n]
    return out


def load_models(config: Path) -> dict:
    import yaml

    return {k: v for k, v in yaml.safe_load(config.read_text())["models"].items() if v}


def measure(model: str, results: Path, config: Path, naive_users: int) -> dict:
    from lfmrec.cv import build_trainset, rating_scale
    from lfmrec.models import build_algorithm
    from lfmrec.recommend import recommend_all
    from lfmrec.scoring import params_from_surprise

    triples = pd.read_parquet(results / "data/triples.parquet")
    algo = build_algorithm(load_models(config)[model], 0)
    algo.fit(build_trainset(triples, rating_scale(triples)))
    users = pd.read_parquet(results / "data/users.parquet")
    artists = pd.read_parquet(results / "data/artists.parquet")
    t0 = time.perf_counter()
    lists, _ = recommend_all(params_from_surprise(algo), users, triples, artists, n=10, block_users=512)
    vectorized = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    subset = users.sample(n=min(naive_users, len(users)), random_state=0)
    t0 = time.perf_counter()
    naive = naive_lists(algo, subset, triples, artists, 10)
    naive_s = time.perf_counter() - t0
    agree = np.mean([lists.loc[lists["user_id"] == u, "artist_id"].tolist() == naive[u] for u in naive])
    naive_all = naive_s / len(subset) * len(users)
    return {
        "model": model,
        "users": len(users),
        "candidates": int(triples["artist_id"].nunique()),
        "vectorized_s": round(vectorized, 3),
        "naive_s_measured": round(naive_s, 2),
        "naive_users_measured": len(subset),
        "naive_s_extrapolated": round(naive_all, 1),
        "speedup": round(naive_all / vectorized, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "lists_equal_share": float(agree),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default="results")
    ap.add_argument("--config", default="config/config.yaml")
    ap.add_argument("--naive-users", type=int, default=40)
    ap.add_argument("--model", help="measure one model in this process (used internally)")
    args = ap.parse_args()
    results = Path(args.results)
    if args.model:
        print(json.dumps(measure(args.model, results, Path(args.config), args.naive_users)))
        return
    models = sorted(load_models(Path(args.config)))
    rows = []
    for m in models:
        cmd = [
            sys.executable,
            __file__,
            "--results",
            str(results),
            "--config",
            args.config,
            "--naive-users",
            str(args.naive_users),
            "--model",
            m,
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    (results / "bench").mkdir(parents=True, exist_ok=True)
    table.to_csv(results / "bench/recommend.csv", index=False)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()

"""Held-out ranking of a few models on ONE fold of a finished (or partly finished) run, without the
re-ranking sweep: a quick check of the top-n metrics at a scale where the whole DAG takes long.

For each ``--models`` entry of the run's config (and the ``popular`` and ``random`` references) it
fits the model on the fold's training part (``lfmrec.cv.fit``), scores ``--users`` seeded users with
test artists against every artist (``lfmrec.scoring.iter_score_blocks``) and computes precision,
recall, NDCG and hit rate of the plain top-n (``lfmrec.ranking.evaluate``): the same code and user
choice as the workflow's ``rank_model`` job for that fold (its ``method == none`` row).

    python benchmarks/heldout_one_fold.py --run DIR --models als_k128 mf_k20 [--fold 0] [--users 2000]

DIR is a run's working folder (results/data/triples.parquet, results/cv/folds.parquet,
results/data/users.parquet, config merged from config/config.yaml and ``--configfile`` files).
Writes DIR/results/bench/heldout_fold<k>.csv.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lfmrec import cv, ranking
from lfmrec.heldout import evaluated_users, reference_blocks
from lfmrec.scoring import iter_score_blocks

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--configfile", type=Path, nargs="*", default=[ROOT / "config/full_scale.yaml"])
    ap.add_argument("--models", nargs="+", required=True)
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--n", type=int, default=10)
    args = ap.parse_args()
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    for extra in args.configfile:
        for key, value in yaml.safe_load(extra.read_text()).items():
            config[key] = {**config[key], **value} if isinstance(value, dict) and isinstance(config.get(key), dict) else value
    res = args.run / "results"
    triples = pd.read_parquet(res / "data/triples.parquet", columns=["user_id", "artist_id", "rating"])
    train, test = cv.split(triples, pd.read_parquet(res / "cv/folds.parquet"), args.fold)
    users = pd.read_parquet(res / "data/users.parquet")
    item_ids = np.sort(triples["artist_id"].unique())
    rows = evaluated_users(users, test, args.users, config["ranking"]["seed"])
    user_ids = users["user_id"].to_numpy(np.int64)[rows]
    scale = cv.rating_scale(triples)
    out = []
    for name in [*args.models, "popular", "random"]:
        t0 = time.perf_counter()
        if name in ("popular", "random"):
            blocks = reference_blocks(name, train, user_ids, item_ids, config["ranking"]["seed"], 128)
        else:
            params, _ = cv.fit(config["models"][name], config.get("model_seed", 0), train, scale)
            blocks = iter_score_blocks(params, user_ids, item_ids, 128)
        t1 = time.perf_counter()
        table = ranking.evaluate(blocks, user_ids, item_ids, train, test, n=args.n)
        row = {
            "model": name,
            "fold": args.fold + 1,
            **table.iloc[0][["users", *ranking.METRICS]].to_dict(),
            "fit_s": round(t1 - t0, 1),
            "evaluate_s": round(time.perf_counter() - t1, 1),
        }
        out.append(row)
        print(row, flush=True)
    path = res / f"bench/heldout_fold{args.fold}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(out).to_csv(path, index=False)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

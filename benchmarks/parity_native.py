"""Parity and speed of the native engine (lfmrec.native) against Surprise, fold by fold.

For every model of config/config.yaml, plus ``baseline_sgd`` (BaselineOnly with the SGD method),
and every cross-validation fold of the default data (results/data/triples.parquet,
results/cv/folds.parquet), both engines fit the train part and predict the test part:

- Surprise: ``build_trainset`` + ``algo.fit`` + ``algo.test`` (as the workflow's surprise engine)
- native: ``native.fit`` + ``native.predict_pairs`` (numba compilation excluded: warmed up once)

Writes results/bench/parity_native.csv (one row per model and fold: n_test, max_abs_diff and
share_within_1e9 of the test estimates, both RMSEs and their difference, wall seconds of each
engine (best of --repeat runs), CPU seconds, speedup = surprise / native) and prints a summary per
model.

    .venv/bin/python benchmarks/parity_native.py [--folds 1] [--repeat 3] [--models svd_k100 ...]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]

from lfmrec import cv, native  # noqa: E402
from lfmrec.models import build_algorithm  # noqa: E402

TOL = 1e-9
EXTRA_MODELS = {
    "baseline_sgd": {"algorithm": "BaselineOnly", "params": {"bsl_options": {"method": "sgd"}}},
}


def timed(fn: Callable[[], np.ndarray], repeat: int) -> tuple[np.ndarray, float, float]:
    """Run ``fn`` ``repeat`` times; its last result, the best wall and the best CPU seconds."""
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        est = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return est, min(walls), min(cpus)


def surprise_run(spec: dict, seed: int, train: pd.DataFrame, test: pd.DataFrame, scale: tuple[float, float]) -> np.ndarray:
    algo = build_algorithm(spec, seed)
    algo.fit(cv.build_trainset(train, scale))
    testset = list(zip(test["user_id"].tolist(), test["artist_id"].tolist(), test["rating"].tolist(), strict=True))
    return np.fromiter((p.est for p in algo.test(testset)), np.float64, len(testset))


def native_run(spec: dict, seed: int, train: pd.DataFrame, test: pd.DataFrame, scale: tuple[float, float]) -> np.ndarray:
    params = native.fit(spec, seed, train, scale)
    return native.predict_pairs(params, test["user_id"].to_numpy(np.int64), test["artist_id"].to_numpy(np.int64))


def compare(name: str, fold: int, test: pd.DataFrame, est_s: np.ndarray, est_n: np.ndarray) -> dict:
    rating = test["rating"].to_numpy(np.float64)
    diff = np.abs(est_s - est_n)
    rmse_s, _ = cv.rmse_mae(rating, est_s)
    rmse_n, _ = cv.rmse_mae(rating, est_n)
    return {
        "model": name,
        "fold": fold + 1,
        "n_test": len(test),
        "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        "share_within_1e9": float(np.mean(diff <= TOL)) if diff.size else 1.0,
        "rmse_surprise": rmse_s,
        "rmse_native": rmse_n,
        "rmse_diff": abs(rmse_s - rmse_n),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folds", type=int, default=None, help="only the first N folds")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per engine (best is kept)")
    ap.add_argument("--models", nargs="*", default=None, help="only these models")
    args = ap.parse_args()

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    models = {**config["models"], **EXTRA_MODELS}
    if args.models:
        models = {name: models[name] for name in args.models}
    seed = int(config.get("model_seed", 0))
    triples = pd.read_parquet(ROOT / "results/data/triples.parquet")
    folds = pd.read_parquet(ROOT / "results/cv/folds.parquet")
    scale = cv.rating_scale(triples)
    n_folds = int(folds["fold"].max()) + 1
    fold_ids = range(min(args.folds or n_folds, n_folds))
    splits = {k: cv.split(triples, folds, k) for k in fold_ids}

    rows = []
    for name, spec in models.items():
        train0, test0 = splits[fold_ids[0]]
        native_run(spec, seed, train0.head(200), test0.head(50), scale)  # compile / load cache
        for k in fold_ids:
            train, test = splits[k]
            est_s, wall_s, cpu_s = timed(
                lambda spec=spec, train=train, test=test: surprise_run(spec, seed, train, test, scale), args.repeat
            )
            est_n, wall_n, cpu_n = timed(
                lambda spec=spec, train=train, test=test: native_run(spec, seed, train, test, scale), args.repeat
            )
            row = compare(name, k, test, est_s, est_n)
            row.update(
                surprise_seconds=wall_s,
                native_seconds=wall_n,
                speedup=wall_s / wall_n,
                surprise_cpu_seconds=cpu_s,
                native_cpu_seconds=cpu_n,
            )
            rows.append(row)
            print(
                f"{name} fold {k + 1}: max diff {row['max_abs_diff']:.3g}, "
                f"within 1e-9 {row['share_within_1e9']:.4%}, surprise {wall_s:.3f} s, "
                f"native {wall_n:.3f} s ({row['speedup']:.1f}x)",
                flush=True,
            )

    table = pd.DataFrame(rows)
    out = ROOT / "results/bench/parity_native.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    summary = table.groupby("model", sort=False).agg(
        folds=("fold", "size"),
        max_abs_diff=("max_abs_diff", "max"),
        min_share_within_1e9=("share_within_1e9", "min"),
        max_rmse_diff=("rmse_diff", "max"),
        surprise_s=("surprise_seconds", "sum"),
        native_s=("native_seconds", "sum"),
        min_speedup=("speedup", "min"),
    )
    summary["speedup"] = summary["surprise_s"] / summary["native_s"]
    print(f"\nwrote {out.relative_to(ROOT)}")
    with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
        print(summary.reset_index().to_string(index=False))


if __name__ == "__main__":
    main()

"""Engines benchmark: Surprise vs the native engine at the paper's sample, 10x and full LFM-1b scale.

For each scale it runs the real workflow with Snakemake in its own working directory
(results/bench/engines/<scale>/), on the raw files of the ``full`` synthetic universe, with every
model configured twice (``<model>_surprise`` and ``<model>_native``), and collects per stage and
model the job's wall time (Snakemake's benchmark file) and its CPU time and peak RSS (exact, from
the ``resources:`` line every script writes at the end of its log; Snakemake's sampled
``cpu_time`` misses most of a job of a few seconds):

- ``cross_validate``: ``engine_s`` is the engine's own time to fit the training part of fold 1 and
  predict its test part (fit, including Surprise's Trainset, + predict, from the fold's JSON),
  ``wall_s`` the whole job, which does all five folds (Python start, reading and splitting the
  triples included);
- ``fit_full``: fit on all triples;
- ``recommend``: score every (user, candidate artist) pair and build the cross-cultural top-10
  (the same vectorized scorer for both engines).

Scales (users drawn from the 120,175 matrix users before keeping those with a country, artists):

- ``paper``: 5,000 / 20,000 (the paper's sample) - both engines, every model;
- ``10x``: 50,000 / 200,000 - both engines for baseline and the factor models, native kNN;
- ``full``: all / all - the whole pipeline (5-fold CV of every model, ranking metrics, lists) with
  the native engine for baseline, mf_k20, mf_k100 and svd_k100, the way config/full_scale.yaml
  runs it; the wall time of the whole run and the machine's peak memory in use are recorded.
  Surprise is not run at full scale (kNN is refused before it starts; the others would take hours).

numba's compiled code is cached on disk (``cache=True``); the cache is warmed before the runs so
that no job pays compilation. Writes results/bench/engines.csv (one row per scale, stage and model,
both engines' figures side by side with the surprise/native speed-ups) and results/bench/engines_runs.csv (wall time and peak
memory of each Snakemake run).

    python benchmarks/bench_engines.py --raw DIR [--scales paper,10x,full] [--cores 2] [--replace]

Running some scales only (``--scales full``) replaces those scales' rows of the tables and keeps
the others, each row as measured by its own run.

DIR holds LFM-1b_LEs.mat and LFM-1b_users.txt of the full universe; it is generated when missing
(``python -m lfmrec.synthetic --scale full --seed 1 --out DIR``, about 80 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
from bench import MemorySampler  # noqa: E402  (benchmarks/bench.py)

from lfmrec.harness import read_usage  # noqa: E402

BASE = yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]
FACTOR_MODELS = ["baseline", "mf_k20", "mf_k100", "svd_k100"]
KNN_MODELS = ["knn_basic_k40", "knn_means_k50"]
SCALES = {
    # scale: (n_users, n_artists, [(model, engine)], whole pipeline?)
    "paper": (5000, 20000, [(m, e) for m in FACTOR_MODELS + KNN_MODELS for e in ("surprise", "native")], False),
    "10x": (
        50000,
        200000,
        [(m, e) for m in FACTOR_MODELS for e in ("surprise", "native")] + [(m, "native") for m in KNN_MODELS],
        False,
    ),
    "full": ("all", "all", [(m, "native") for m in FACTOR_MODELS], True),
}
STAGES = {"cross_validate": "cv/{model}.tsv", "fit_full": "fit_full/{model}.tsv", "recommend": "recommend/{model}.tsv"}


def model_name(model: str, engine: str) -> str:
    return f"{model}_{engine}"


def scale_config(raw: Path, scale: str) -> dict:
    n_users, n_artists, models, _ = SCALES[scale]
    entries = {name: None for name in BASE}  # drop the default models
    for model, engine in models:
        entries[model_name(model, engine)] = {**BASE[model], "engine": engine}
    cfg = {
        "dataset": {"source": "lfm1b", "dir": str(raw.resolve())},
        "sample": {"n_users": n_users, "n_artists": n_artists, "seed": 42},
        "models": entries,
        "resources": {"max_memory_gb": 16},
    }
    full = yaml.safe_load((ROOT / "config/full_scale.yaml").read_text())
    if scale == "full":  # the full-scale example config's settings beyond data and models
        cfg.update({k: v for k, v in full.items() if k not in ("dataset", "sample", "models")})
    return cfg


def warm_numba_cache() -> None:
    """Compile (or load from the disk cache) every native kernel and the scoring, top-n and
    re-ranking kernels once, outside the timed runs (``python -m lfmrec.kernels``, which the
    workflow also starts at its beginning)."""
    models = {
        "baseline": {"algorithm": "BaselineOnly", "engine": "native"},
        "baseline_sgd": {"algorithm": "BaselineOnly", "engine": "native", "params": {"bsl_options": {"method": "sgd"}}},
        "svd": {"algorithm": "SVD", "engine": "native"},
        "knn_basic": {"algorithm": "KNNBasic", "engine": "native"},
        "knn_means": {"algorithm": "KNNWithMeans", "engine": "native"},
    }
    subprocess.run([sys.executable, "-m", "lfmrec.kernels", json.dumps(models)], check=True)


def run_scale(raw: Path, scale: str, cores: int) -> tuple[pd.DataFrame, dict]:
    work = ROOT / "results/bench/engines" / scale
    work.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "rules", "workflow", "config"):
        link = work / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    (work / "bench.yaml").write_text(yaml.safe_dump(scale_config(raw, scale), sort_keys=False))
    models = [model_name(m, e) for m, e in SCALES[scale][2]]
    if SCALES[scale][3]:
        targets = ["all"]
    else:
        targets = [f"results/cv/{m}/fold0.json" for m in models] + [f"results/recommendations/{m}.parquet" for m in models]
    env = dict(os.environ)
    smk = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--configfile", "bench.yaml", "--quiet", "rules", "--"]
    # the data stage is built first and timed separately from the models
    subprocess.run([*smk, "results/data/summary.json", "results/cv/folds.parquet"], cwd=work, env=env, check=True)
    sampler = MemorySampler(interval=1.0)
    sampler.start()
    t0 = time.perf_counter()
    subprocess.run([*smk, *targets], cwd=work, env=env, check=True)
    wall = time.perf_counter() - t0
    sampler.stop()
    peak = max(sampler.peak - sampler.base, 0) / 1e9  # above the level at start

    rows = []
    for model, engine in SCALES[scale][2]:
        for stage, pattern in STAGES.items():
            tsv = work / "results/benchmarks" / pattern.format(model=model_name(model, engine))
            if not tsv.exists():
                continue
            b = pd.read_csv(tsv, sep="\t")
            usage = read_usage(work / "results/logs" / pattern.format(model=model_name(model, engine)).replace(".tsv", ".log"))
            row = {
                "scale": scale,
                "stage": stage,
                "model": model,
                "engine": engine,
                "wall_s": float(b["s"].iat[0]),
                "cpu_s": usage["cpu_s"],
                "peak_rss_gb": usage["peak_rss_gb"],
            }
            if stage == "cross_validate":
                fold = json.loads((work / f"results/cv/{model_name(model, engine)}/fold0.json").read_text())
                row["engine_s"] = fold["fit_seconds"] + fold["predict_seconds"]
            rows.append(row)
    for pickle_file in (work / "results").rglob("*.pkl"):  # fitted models: GBs each at 10x and full
        pickle_file.unlink()
    summary = pd.read_json(work / "results/data/summary.json", typ="series")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    run = {
        "scale": scale,
        "commit": commit or None,
        "targets": "all" if SCALES[scale][3] else "fold 1 + lists",
        "wall_s": round(wall, 1),
        "peak_machine_memory_gb": round(peak, 2),
        "users": summary.get("users_with_country"),
        "triples": summary.get("triples"),
    }
    return pd.DataFrame(rows), run


def side_by_side(jobs: pd.DataFrame) -> pd.DataFrame:
    """One row per (scale, stage, model): both engines' wall, CPU and peak, and the speed-up."""
    values = [v for v in ("engine_s", "wall_s", "cpu_s", "peak_rss_gb") if v in jobs.columns]
    wide = jobs.pivot_table(index=["scale", "stage", "model"], columns="engine", values=values, sort=False)
    wide.columns = [f"{metric}_{engine}" for metric, engine in wide.columns]
    wide = wide.reset_index()
    for metric in ("engine_s", "wall_s"):
        if {f"{metric}_surprise", f"{metric}_native"} <= set(wide.columns):
            wide[f"speedup_{metric}"] = wide[f"{metric}_surprise"] / wide[f"{metric}_native"]
    return wide.round(3)


def keep_other_scales(path: Path, new: pd.DataFrame) -> pd.DataFrame:
    """``new`` plus the rows of ``path`` (an earlier run's table) for the scales ``new`` lacks,
    in the order paper, 10x, full; ``new`` alone when there is no earlier table."""
    if not path.exists():
        return new
    old = pd.read_csv(path)
    both = pd.concat([old[~old["scale"].isin(new["scale"])], new], ignore_index=True)
    rank = {name: i for i, name in enumerate(SCALES)}
    return both.sort_values("scale", key=lambda c: c.map(rank), kind="stable").reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", required=True, type=Path, help="folder with the full universe's raw files")
    ap.add_argument("--scales", default="paper,10x,full")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument(
        "--replace",
        action="store_true",
        help="write only this run's scales (default: keep the other scales' rows of the last tables)",
    )
    args = ap.parse_args()
    if not (args.raw / "LFM-1b_LEs.mat").exists():
        subprocess.run(
            [sys.executable, "-m", "lfmrec.synthetic", "--scale", "full", "--seed", "1", "--out", str(args.raw.resolve())],
            check=True,
        )
    out = ROOT / "results/bench"
    out.mkdir(parents=True, exist_ok=True)
    warm_numba_cache()
    jobs, runs = [], []
    for scale in args.scales.split(","):
        j, r = run_scale(args.raw, scale, args.cores)
        jobs.append(j)
        runs.append(r)
        print(r, flush=True)
    table = side_by_side(pd.concat(jobs, ignore_index=True))
    runs = pd.DataFrame(runs)
    if not args.replace:  # keep the rows of the scales not run this time
        table = keep_other_scales(out / "engines.csv", table)
        runs = keep_other_scales(out / "engines_runs.csv", runs)
    table.to_csv(out / "engines.csv", index=False)
    runs.to_csv(out / "engines_runs.csv", index=False)
    print(table.to_string(index=False))
    print(runs.to_string(index=False))


if __name__ == "__main__":
    main()

"""How large a sample the exact user-based kNN (native engine) handles within a memory budget.

For each ``--n-users`` (users drawn from the 120,175 matrix users, all artists, as
``sample.n_users``), runs the workflow's own ``cross_validate`` job (all folds) of ``knn_basic_k40`` with the
native engine and a generous ``resources.max_memory_gb`` in its own working directory
(results/bench/knn_limit/<n>/), and records the users with a country, the training ratings, the
job's measured peak RSS (the ``resources:`` line of its log) and wall time, the engine's memory
estimate and the whole job's (``check_memory`` refuses a job whose whole estimate exceeds
``resources.max_memory_gb``). Writes results/bench/knn_limit.csv.

Measured (2 cores, 24 GB): 85,000 drawn -> 38,949 users, peak 15.7 GB (fits 16 GB); 90,000 drawn ->
41,181 users, peak 17.3 GB (does not).

    python benchmarks/knn_limit.py --raw DIR [--n-users 60000,90000] [--model knn_basic_k40]

DIR holds the raw files of the ``full`` synthetic universe (see bench_engines.py). Run it on an
otherwise idle machine: the largest sizes need most of its memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
from lfmrec.cv import split  # noqa: E402
from lfmrec.harness import read_usage  # noqa: E402
from lfmrec.resources import estimate_memory_gb, fit_job_mb  # noqa: E402

BASE = yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]


def run(raw: Path, n_users: int, model: str) -> dict:
    work = ROOT / "results/bench/knn_limit" / str(n_users)
    work.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "rules", "workflow", "config"):
        if not (work / name).exists():
            (work / name).symlink_to(ROOT / name)
    spec = {**BASE[model], "engine": "native"}
    cfg = {
        "dataset": {"source": "lfm1b", "dir": str(raw.resolve())},
        "sample": {"n_users": n_users, "n_artists": "all", "seed": 42},
        "models": {**{name: None for name in BASE}, model: spec},
        "resources": {"max_memory_gb": 64},  # measure, do not refuse
    }
    (work / "limit.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    env = dict(os.environ)
    smk = [sys.executable, "-m", "snakemake", "--cores", "1", "--configfile", "limit.yaml", "--quiet", "rules", "--"]
    subprocess.run([*smk, "results/cv/folds.parquet"], cwd=work, env=env, check=True)
    t0 = time.perf_counter()
    subprocess.run([*smk, f"results/cv/{model}/fold0.json"], cwd=work, env=env, check=True)
    wall = time.perf_counter() - t0
    triples = pd.read_parquet(work / "results/data/triples.parquet", columns=["user_id", "artist_id", "rating"])
    train, _ = split(triples, pd.read_parquet(work / "results/cv/folds.parquet"), 0)
    usage = read_usage(work / f"results/logs/cv/{model}.log")
    for pickle_file in (work / "results").rglob("*.pkl"):  # the fitted similarity: over 10 GB
        pickle_file.unlink()
    row = {
        "n_users_drawn": n_users,
        "model": model,
        "users_with_country": int(triples["user_id"].nunique()),
        "triples": len(triples),
        "job_wall_s": round(wall, 1),
        "peak_rss_gb": usage.get("peak_rss_gb"),
    }
    n_train_users = int(train["user_id"].nunique())
    row.update(
        train_users=n_train_users,
        train_ratings=len(train),
        engine_estimate_gb=round(estimate_memory_gb(spec, n_train_users, int(train["artist_id"].nunique()), len(train)), 2),
        job_estimate_gb=round(fit_job_mb(spec, n_train_users, int(train["artist_id"].nunique()), len(train)) / 1000, 2),
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", required=True, type=Path)
    ap.add_argument("--n-users", default="60000,90000")
    ap.add_argument("--model", default="knn_basic_k40")
    args = ap.parse_args()
    rows = []
    for n in args.n_users.split(","):
        rows.append(run(args.raw, int(n), args.model))
        print(rows[-1], flush=True)
    out = ROOT / "results/bench/knn_limit.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out, index=False)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()

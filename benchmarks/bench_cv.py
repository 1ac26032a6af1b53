"""Phase 1 benchmark: every (model, fold) job of the cross-validation through Snakemake.

Removes the previous cross-validation outputs, runs ``snakemake --cores N results/metrics.csv``
(the data stage must already be built, or is built first and not timed), and reports the wall time
of the run and, from the jobs' benchmark files, the CPU time and peak memory per model.
Writes results/bench/cv.csv.

    python benchmarks/bench_cv.py [--cores 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    smk = [sys.executable, "-m", "snakemake", "--cores", str(args.cores), "--quiet", "all"]
    subprocess.run([*smk, "--", "results/data/triples.parquet"], cwd=ROOT, check=True)
    for path in ("results/cv", "results/benchmarks/cv", "results/metrics.csv"):
        p = ROOT / path
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    subprocess.run([*smk, "--", "results/metrics.csv"], cwd=ROOT, check=True)
    wall = time.perf_counter() - t0

    rows = []
    for tsv in sorted((ROOT / "results/benchmarks/cv").glob("*.tsv")):  # one job per model (all its folds)
        b = pd.read_csv(tsv, sep="\t")
        rows.append(
            {
                "model": tsv.stem,
                "fold": "all",
                "job_s": b["s"].iat[0],
                "cpu_s": b["cpu_time"].iat[0],
                "max_rss_mb": b["max_rss"].iat[0],
            }
        )
    jobs = pd.DataFrame(rows)
    table = jobs.groupby("model", sort=False).agg(
        jobs=("fold", "size"), job_s_sum=("job_s", "sum"), cpu_s_sum=("cpu_s", "sum"), max_rss_mb=("max_rss_mb", "max")
    )
    table = table.reset_index()
    total = {
        "model": "ALL (wall time of the run)",
        "jobs": int(table["jobs"].sum()),
        "job_s_sum": round(wall, 1),
        "cpu_s_sum": round(table["cpu_s_sum"].sum(), 1),
        "max_rss_mb": table["max_rss_mb"].max(),
    }
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True).round(2)
    out = ROOT / "results/bench/cv.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    print(f"cross-validation with --cores {args.cores}: {wall:.1f} s wall")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()

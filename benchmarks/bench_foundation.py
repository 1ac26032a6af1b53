"""Foundation benchmark: load, align, sample, estimate countries and melt a raw LFM-1b folder.

Times each stage (wall and CPU) and reports the process's peak memory; by default on the `full`
synthetic universe, generated first into --raw when it is missing. Writes results/bench/foundation.csv.

    python benchmarks/bench_foundation.py [--raw results/bench/full] [--n-users all] [--n-artists all]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

from lfmrec.countries.estimate import estimate  # noqa: E402
from lfmrec.countries.plays import country_play_table  # noqa: E402
from lfmrec.lfm1b import align_users, read_les, read_users  # noqa: E402
from lfmrec.sampling import draw_sample, melt  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", default="results/bench/full", help="folder with the raw LFM-1b files")
    ap.add_argument("--scale", default="full", help="synthetic scale to generate when --raw is missing")
    ap.add_argument("--n-users", default="all")
    ap.add_argument("--n-artists", default="all")
    ap.add_argument("--out", default="results/bench/foundation.csv")
    args = ap.parse_args()
    raw = Path(args.raw)
    if not (raw / "LFM-1b_LEs.mat").exists():
        # in a subprocess, so that the generator's memory does not count in this process's peak
        print(f"generating the {args.scale} synthetic universe into {raw} ...", flush=True)
        cmd = [sys.executable, "-m", "lfmrec.synthetic", "--scale", args.scale, "--seed", "1", "--out", str(raw)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    rows = []

    def stage(name, fn):
        w, c = time.perf_counter(), time.process_time()
        value = fn()
        rows.append(
            {
                "stage": name,
                "wall_s": round(time.perf_counter() - w, 2),
                "cpu_s": round(time.process_time() - c, 2),
                "peak_rss_mb": round(peak_mb(), 1),
            }
        )
        print(rows[-1], flush=True)
        return value

    n_users = args.n_users if args.n_users == "all" else int(args.n_users)
    n_artists = args.n_artists if args.n_artists == "all" else int(args.n_artists)
    les = stage("load LEs.mat", lambda: read_les(raw / "LFM-1b_LEs.mat"))
    users = stage("load users.txt", lambda: read_users(raw / "LFM-1b_users.txt"))
    aligned, missing = stage("align", lambda: align_users(les, users, raw / "LFM-1b_LEs.mat", raw / "LFM-1b_users.txt"))
    sample = stage("sample", lambda: draw_sample(les.matrix, aligned, les.artist_ids, n_users, n_artists, seed=42))
    les = None  # free the matrix before the next stages
    plays = stage(
        "artist countries", lambda: country_play_table(sample.matrix, sample.users["country"].to_numpy(), sample.artist_ids)
    )
    stage("estimate", lambda: estimate(plays, sample.artist_ids, "argmax"))
    triples = stage("melt", lambda: melt(sample.matrix, sample.users["user_id"].to_numpy(), sample.artist_ids))
    table = pd.DataFrame(rows)
    total = {
        "stage": "total",
        "wall_s": round(table["wall_s"].sum(), 2),
        "cpu_s": round(table["cpu_s"].sum(), 2),
        "peak_rss_mb": round(peak_mb(), 1),
    }
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["n_users"], table["n_artists"] = str(args.n_users), str(args.n_artists)
    table["users_missing_from_matrix"] = int(missing.size)
    table["users_kept"], table["triples"] = len(sample.users), len(triples)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()

"""Benchmark the synthetic LFM-1b generator: wall time, CPU time and peak RSS of one run.

Usage: ``python benchmarks/bench_generate.py [SCALE] [--seed N] [--out DIR]`` (SCALE defaults
to ``full``). Without ``--out`` the files go to a temporary folder that is deleted afterwards.
Prints one CSV header and line, then the same figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from lfmrec.synthetic import SCALES, generate  # noqa: E402

CSV_FIELDS = ("scale", "seed", "nnz", "wall_s", "cpu_s", "peak_rss_mb", "output_mb")


def run(scale: str, seed: int, out_dir: Path) -> dict:
    """Generate ``scale`` into ``out_dir`` and measure the run."""
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    summary = generate(out_dir, scale=scale, seed=seed)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    size = sum(Path(p).stat().st_size for p in summary["files"].values())
    return {
        "scale": scale,
        "seed": seed,
        "nnz": summary["nnz"],
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "output_mb": round(size / 2**20, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    """Parse arguments, run the benchmark, print CSV and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scale", nargs="?", default="full", choices=sorted(SCALES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="keep the files in this folder")
    args = parser.parse_args(argv)
    if args.out is not None:
        result = run(args.scale, args.seed, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
            result = run(args.scale, args.seed, Path(tmp))
    print(",".join(CSV_FIELDS))
    print(",".join(str(result[k]) for k in CSV_FIELDS))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

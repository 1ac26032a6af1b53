"""The project's speed benchmark: one command, figures in results/bench/, with the commit measured.

    python benchmarks/bench.py [--cores 2] [--full] [--skip-default] [--skip-engines] [--repeat 3]
                               [--cold-numba] [--table]

What it measures (each part on a fresh ``git clone`` of HEAD in results/bench/work/, so committed
code only, with the clone's own package on PYTHONPATH). numba's compiled kernels are cached per
Python environment (:mod:`lfmrec._numba`), so a clone of code this environment has compiled before
loads them (the background compile takes about 1 s); ``--cold-numba`` gives the runs an empty cache
of their own (a new environment: 30-40 s of compilation, in the background while the data jobs
run). The report says which, with the background compile's seconds.

1. ``default``: ``snakemake --cores N`` of the default config from the fresh clone (synthetic data
   generation, numba compilation and every job included), then, right after, on the same triples,
   scikit-surprise's own ``cross_validate`` of the same rating models (the paper's ten; 5 folds,
   ``n_jobs=1`` as Surprise's default, each model built from its config entry with Surprise's
   classes): the route a reproducer takes without this project. The default run also fits,
   ranks and lists the two top-n models, which have no Surprise counterpart. The ratio of the two wall times is goal 1 of issue 15.
   With ``--table``, also the paper's table alone: ``snakemake --cores N results/metrics.csv`` from
   another fresh clone (raw data generated, triples built, every model cross-validated, the RMSE /
   MAE table written; no ranking, lists or reports), against Surprise's ``cross_validate`` on its
   triples: the same work on both sides.
2. ``engines``: fold 1 of the clone's default data, fit + predict of every model by Surprise and by
   the native engine in one process (best of ``--repeat``, compilation excluded), the native SVD
   both with its default (relaxed) kernel and with ``exact=True``; the largest difference of the
   test estimates between the engines.
3. ``full`` (``--full``, about 30-50 minutes): ``snakemake --cores N --configfile
   config/full_scale.yaml`` from a fresh clone (generation of the full synthetic universe
   included), with the machine's memory in use sampled every 2 s.

Per run, the job-seconds of every rule come from Snakemake's log (start and end of each job), and
each job's CPU seconds and peak memory from the ``resources:`` line its script writes.

Writes results/bench/bench.json (everything) and results/bench/bench.md (the tables docs/scale.md
quotes), each with the commit, the date and the machine's load before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pandas as pd

from lfmrec.harness import read_usage

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results/bench"
WORK = OUT / "work"

SURPRISE_CV = r"""
import json, sys, time
t0 = time.perf_counter()
import pandas as pd, yaml
from surprise import Dataset, Reader
from surprise.model_selection import KFold, cross_validate
from lfmrec.models import build_algorithm, is_topn
from lfmrec.cv import rating_scale
triples = pd.read_parquet(sys.argv[1], columns=["user_id", "artist_id", "rating"])
config = yaml.safe_load(open(sys.argv[2]))
data = Dataset.load_from_df(triples, Reader(rating_scale=rating_scale(triples)))
out = {}
for name, spec in config["models"].items():
    if spec is None or is_topn(spec):  # the top-n models are not Surprise's
        continue
    t1 = time.perf_counter()
    res = cross_validate(build_algorithm(spec, config.get("model_seed", 0)), data,
                         measures=["rmse", "mae"], cv=KFold(n_splits=config["cv"]["n_folds"], random_state=0))
    out[name] = {"seconds": time.perf_counter() - t1, "rmse": float(res["test_rmse"].mean())}
out["_total_seconds"] = time.perf_counter() - t0
print(json.dumps(out))
"""


class MemorySampler(threading.Thread):
    """Peak of the machine's memory in use (MemTotal - MemAvailable), sampled every ``interval`` s."""

    def __init__(self, interval: float = 2.0):
        super().__init__(daemon=True)
        self.interval, self.peak, self._stop_flag = interval, 0, threading.Event()
        self.base = self.used()

    @staticmethod
    def used() -> int:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) * 1024

    def run(self) -> None:
        while not self._stop_flag.wait(self.interval):
            self.peak = max(self.peak, self.used())

    def stop(self) -> dict:
        self._stop_flag.set()
        self.join()
        return {"peak_in_use_gb": round(self.peak / 1e9, 2), "in_use_at_start_gb": round(self.base / 1e9, 2)}


def sh(cmd: list[str], cwd: Path, env: dict | None = None, log: Path | None = None) -> float:
    """Run ``cmd``; its wall seconds. Output goes to ``log``; a failure stops the benchmark."""
    t0 = time.perf_counter()
    with open(log, "w") if log else open(os.devnull, "w") as fh:
        subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - t0


def fresh_clone(name: str) -> Path:
    dest = WORK / name
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    return dest


COLD_NUMBA = False  # --cold-numba


def clone_env(clone: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "LFMREC_NUMBA_CACHE")}
    env["PYTHONPATH"] = str(clone / "src")  # the clone's package
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    if COLD_NUMBA:  # an empty kernel cache of the clone's own, as in a new environment
        env["LFMREC_NUMBA_CACHE"] = str(clone / ".numba-cache")
    return env


def kernel_compile_seconds(clone: Path) -> float | None:
    """Seconds the run's background kernel compile took (results/logs/compile_kernels.log)."""
    log = clone / "results/logs/compile_kernels.log"
    found = re.search(r"kernels ready in ([\d.]+) s", log.read_text()) if log.exists() else None
    return float(found.group(1)) if found else None


_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")


def job_seconds(clone: Path) -> pd.DataFrame:
    """rule, jobid, seconds of every job of the clone's last Snakemake run (from its log)."""
    log = max((clone / ".snakemake/log").glob("*.snakemake.log"))
    start, rule_of, rows, stamp = {}, {}, [], None
    lines = log.read_text().splitlines()
    for i, line in enumerate(lines):
        m = _STAMP.match(line.strip())
        if m:
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
            continue
        m = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if m and stamp is not None:
            for nxt in lines[i + 1 : i + 12]:
                j = re.match(r"\s+jobid: (\d+)", nxt)
                if j:
                    start[j.group(1)], rule_of[j.group(1)] = stamp, m.group(1)
                    break
        m = re.match(r"^Finished jobid: (\d+)", line.strip())
        if m and m.group(1) in start:
            rows.append(
                {"rule": rule_of[m.group(1)], "jobid": int(m.group(1)), "seconds": (stamp - start[m.group(1)]).total_seconds()}
            )
    return pd.DataFrame(rows, columns=["rule", "jobid", "seconds"])


def job_usage(clone: Path) -> pd.DataFrame:
    """log file, wall_s, cpu_s, sys_s, peak_rss_gb of every script log of the clone's results."""
    rows = []
    for log in sorted((clone / "results/logs").rglob("*.log")):
        usage = read_usage(log)
        if usage:
            rows.append({"log": str(log.relative_to(clone / "results/logs")), **usage})
    return pd.DataFrame(rows)


def per_rule(jobs: pd.DataFrame) -> pd.DataFrame:
    return (
        jobs.groupby("rule")
        .agg(jobs=("jobid", "size"), job_seconds=("seconds", "sum"), longest_s=("seconds", "max"))
        .sort_values("job_seconds", ascending=False)
        .reset_index()
    )


def run_workflow(name: str, cores: int, extra: list[str]) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    clone = fresh_clone(name)
    env = clone_env(clone)
    sampler = MemorySampler()
    sampler.start()
    wall = sh([sys.executable, "-m", "snakemake", "--cores", str(cores), *extra], clone, env, OUT / f"{name}.snakemake.txt")
    memory = sampler.stop()
    jobs, usage = job_seconds(clone), job_usage(clone)
    summary = {
        "wall_s": round(wall, 1),
        "jobs": len(jobs),
        "job_seconds": round(float(jobs["seconds"].sum()), 1),
        "script_cpu_s": round(float(usage["cpu_s"].sum()), 1) if len(usage) else None,
        "script_sys_s": round(float(usage["sys_s"].sum()), 1) if "sys_s" in usage else None,
        "largest_job_gb": round(float(usage["peak_rss_gb"].max()), 2) if len(usage) else None,
        "numba_cache": "cold (empty)" if COLD_NUMBA else "this environment's",
        "kernel_compile_s": kernel_compile_seconds(clone),
        **memory,
    }
    return summary, jobs, usage


def surprise_cv(clone: Path) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", SURPRISE_CV, str(clone / "results/data/triples.parquet"), str(clone / "config/config.yaml")],
        env=clone_env(clone),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    res = json.loads(out.strip().splitlines()[-1])
    res["wall_s"] = round(time.perf_counter() - t0, 1)
    return res


def against_surprise(name: str, cores: int, targets: list[str]) -> dict:
    """A fresh clone's run of ``targets`` (all: the default run), then Surprise's cross_validate
    on its triples; both wall times, their ratio and the job-seconds per rule."""
    run, jobs, _ = run_workflow(name, cores, targets)
    surprise = surprise_cv(WORK / name)
    ratio = run["wall_s"] / surprise["wall_s"]
    print(f"{name} run {run['wall_s']} s, Surprise cross_validate {surprise['wall_s']} s, ratio {ratio:.2f}", flush=True)
    return {"run": run, "surprise_cross_validate": surprise, "ratio": ratio, "rules": per_rule(jobs).to_dict("records")}


def engines(clone: Path, repeat: int) -> pd.DataFrame:
    """Fold 1 of the clone's default data: Surprise vs native (relaxed and exact SVD kernel)."""
    code = f"""
import sys, json, numpy as np, pandas as pd, yaml
sys.path.insert(0, {str(ROOT / "benchmarks")!r})
from parity_native import timed, surprise_run
from lfmrec import cv, native
from lfmrec.models import is_topn
config = yaml.safe_load(open('config/config.yaml'))
triples = pd.read_parquet('results/data/triples.parquet')
folds = pd.read_parquet('results/cv/folds.parquet')
scale = cv.rating_scale(triples)
train, test = cv.split(triples, folds, 0)
u, i = test['user_id'].to_numpy(np.int64), test['artist_id'].to_numpy(np.int64)
rows = []
for name, spec in config['models'].items():
    if is_topn(spec):
        continue
    for exact in ([False, True] if spec['algorithm'] == 'SVD' else [False]):
        run = lambda: native.predict_pairs(native.fit(spec, 0, train, scale, exact=exact), u, i)
        run()
        est_n, wall_n, _ = timed(run, {repeat})
        est_s, wall_s, _ = timed(lambda: surprise_run(spec, 0, train, test, scale), {repeat})
        rows.append(dict(model=name, kernel='exact' if exact else 'default', surprise_s=wall_s,
                         native_s=wall_n, speedup=wall_s / wall_n,
                         max_abs_diff=float(np.abs(est_s - est_n).max())))
print(json.dumps(rows))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=clone, env=clone_env(clone), check=True, capture_output=True, text=True
    ).stdout
    return pd.DataFrame(json.loads(out.strip().splitlines()[-1]))


def machine() -> dict:
    return {
        "cores": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "mem_total_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
    }


def comparison_lines(res: dict, part: str, title: str, targets: str) -> list[str]:
    """The markdown of a run against Surprise's cross_validate (:func:`against_surprise`)."""
    d, s = res[part], res[part]["surprise_cross_validate"]
    n_models = sum(1 for k in s if k not in ("wall_s", "_total_seconds"))
    return [
        f"## {title} vs Surprise's cross_validate",
        "",
        "| | wall (s) |",
        "|---|---|",
        f"| `snakemake --cores {res['cores']}{targets}`, fresh clone, {d['run']['jobs']} jobs | {d['run']['wall_s']} |",
        f"| Surprise `cross_validate` of the same {n_models} rating models (5 folds, n_jobs=1) | {s['wall_s']} |",
        f"| **ratio** | **{d['ratio']:.2f}** |",
        "",
        (
            f"numba kernels: {d['run'].get('numba_cache', '?')} cache; the background compile took "
            f"{d['run'].get('kernel_compile_s')} s."
        ),
        "",
        pd.DataFrame(d["rules"]).to_markdown(index=False),
        "",
    ]


def markdown(res: dict) -> str:
    lines = [
        f"# Benchmark of {res['commit']} ({res['date']})",
        "",
        (
            f"Machine: {res['machine_before']['cores']} cores, {res['machine_before']['mem_total_gb']} GB; "
            f"load average before {res['machine_before']['load_avg']}, after {res['machine_after']['load_avg']}."
        ),
        "",
    ]
    if res.get("note"):
        lines += [f"Note: {res['note']}.", ""]
    if "default" in res:
        lines += comparison_lines(res, "default", "Default run", "")
    if "table" in res:
        lines += comparison_lines(res, "table", "The paper's table alone", " results/metrics.csv")
    if "engines" in res:
        lines += [
            "## Native engine vs Surprise, fold 1 of the default data (goal 4)",
            "",
            pd.DataFrame(res["engines"]).to_markdown(index=False, floatfmt=".4g"),
            "",
        ]
    if "full" in res:
        f = res["full"]
        lines += [
            "## All of LFM-1b: config/full_scale.yaml from a fresh clone (goals 2, 3)",
            "",
            (
                f"Wall {f['run']['wall_s'] / 60:.1f} min, {f['run']['jobs']} jobs, peak memory in use "
                f"{f['run']['peak_in_use_gb']} GB (at start {f['run']['in_use_at_start_gb']} GB), largest job "
                f"{f['run']['largest_job_gb']} GB; numba kernels: {f['run'].get('numba_cache', '?')} cache, "
                f"background compile {f['run'].get('kernel_compile_s')} s; the jobs' CPU "
                f"{f['run'].get('script_cpu_s')} s, of it system {f['run'].get('script_sys_s')} s."
            ),
            "",
            pd.DataFrame(f["rules"]).assign(job_minutes=lambda t: (t["job_seconds"] / 60).round(1)).to_markdown(index=False),
            "",
            "Phase 2 per model (`recommend` job, seconds):",
            "",
            pd.DataFrame(f["recommend"]).to_markdown(index=False),
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--full", action="store_true", help="also run config/full_scale.yaml (30-50 min)")
    ap.add_argument("--skip-default", action="store_true")
    ap.add_argument("--skip-engines", action="store_true")
    ap.add_argument("--cold-numba", action="store_true", help="an empty numba kernel cache per run (a new environment)")
    ap.add_argument("--table", action="store_true", help="also the paper's table alone (results/metrics.csv) vs Surprise")
    args = ap.parse_args()
    global COLD_NUMBA
    COLD_NUMBA = args.cold_numba
    OUT.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    res: dict = {
        "commit": commit,
        "date": datetime.now().isoformat(timespec="seconds"),
        "cores": args.cores,
        "machine_before": machine(),
    }
    if not args.skip_default:
        res["default"] = against_surprise("default", args.cores, [])
        write(res)
        if not args.skip_engines:
            table = engines(WORK / "default", args.repeat)
            res["engines"] = table.to_dict("records")
            print(table.to_string(index=False), flush=True)
            write(res)
    if args.table:
        res["table"] = against_surprise("table", args.cores, ["results/metrics.csv"])
        write(res)
    if args.full:
        run, jobs, usage = run_workflow("full", args.cores, ["--configfile", "config/full_scale.yaml"])
        recommend = usage[usage["log"].str.startswith("recommend/")]
        rec = recommend.assign(model=recommend["log"].str.slice(len("recommend/"), -len(".log")))
        rec = rec[[c for c in ("model", "wall_s", "cpu_s", "sys_s", "peak_rss_gb") if c in rec]]
        res["full"] = {"run": run, "rules": per_rule(jobs).to_dict("records"), "recommend": rec.to_dict("records")}
        print(f"full run {run['wall_s'] / 60:.1f} min, peak {run['peak_in_use_gb']} GB", flush=True)
    write(res)
    print(f"wrote {OUT / 'bench.json'} and {OUT / 'bench.md'}")


def write(res: dict) -> None:
    """results/bench/bench.json and bench.md as far as measured (after each part, so that a long
    full-scale run stopped half-way keeps the default run's figures)."""
    res["machine_after"] = machine()
    (OUT / "bench.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    (OUT / "bench.md").write_text(markdown(res) + "\n")


if __name__ == "__main__":
    main()

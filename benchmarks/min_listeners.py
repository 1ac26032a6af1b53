"""What ``recommend.min_listeners`` does to the lists and to the held-out ranking, on a finished run.

For every value (default 1, 2, 5) the finished run's folder (``--run``, holding ``results/`` and
``.snakemake/``; default: the repository) is cloned into
``results/bench/min_listeners/ml{value}/`` -- the fitted models (``*.pkl``, about 1.3 GB on the
default data) as hard links, everything else copied -- and Snakemake runs the workflow there
with ``recommend.min_listeners`` set: only the jobs the value feeds run again (``recommend``, the
held-out ranking jobs and the tables after them; no model is refitted). Then, per value and model:

- ``distinct_final``, ``distinct_initial``: distinct artists over all users' final lists / initial
  top-n (before the country rule);
- ``one_listener_final``, ``one_listener_initial``: share of the list entries whose artist has
  exactly one listener in the sample; ``median_listeners_final``: the median listeners of the final
  lists' entries;
- ``same_lists_as``: the first model (config order) whose final lists are identical (every user,
  rank and artist), empty if none;
- ``ndcg``: NDCG@n on held-out artists, mean over the folds (results/ranking_metrics.csv; also for
  the reference models).

Writes ``results/bench/min_listeners.csv`` and prints it as a Markdown table.

    .venv/bin/python benchmarks/min_listeners.py [--run DIR] [--values 1 2 5] [--cores 2] [--configfile F ...] [--reuse]

``--configfile`` passes the finished run's own extra config files (the value is set on top);
``--reuse`` keeps the folders of an earlier call instead of cloning the run again (Snakemake then
runs only what is missing, e.g. nothing, and the tables are summarized anew).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]


def clone(run: Path, dst: Path) -> None:
    """``run``'s results/ and .snakemake/ in ``dst``: pickles hard-linked, the rest copied (a job
    writes its outputs to new files, never into a linked one)."""
    if dst.exists():
        shutil.rmtree(dst)
    for name in ("results", ".snakemake"):
        src = run / name
        for path in src.rglob("*"):
            if name == ".snakemake" and path.relative_to(src).parts[0] in ("locks", "incomplete", "log"):
                continue
            target = dst / name / path.relative_to(src)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".pkl":
                os.link(path, target)
            else:
                shutil.copy2(path, target, follow_symlinks=False)


def run_workflow(work: Path, value: int, cores: int, configfiles: list[Path]) -> None:
    extra = work / "min_listeners.yaml"
    extra.write_text(yaml.safe_dump({"recommend": {"min_listeners": value}}))
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(work),
        "--cores",
        str(cores),
        "--configfile",
        *map(str, configfiles),
        str(extra),
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def summarize(work: Path, value: int, models: list[str]) -> pd.DataFrame:
    d = work / "results"
    triples = pd.read_parquet(d / "data/triples.parquet", columns=["user_id", "artist_id"])
    listeners = triples.drop_duplicates()["artist_id"].value_counts()
    ranking = pd.read_csv(d / "ranking_metrics.csv")
    ndcg = ranking[ranking["metric"] == "ndcg@n"].set_index("model")["mean"]
    rows, seen = [], {}
    for model in models:
        final = pd.read_parquet(d / f"recommendations/{model}.parquet", columns=["user_id", "rank", "artist_id"])
        initial = pd.read_parquet(d / f"recommendations/{model}.initial.parquet", columns=["artist_id"])
        first = seen.setdefault(tuple(map(tuple, final.to_numpy())), model)
        rows.append(
            {
                "min_listeners": value,
                "model": model,
                "distinct_final": final["artist_id"].nunique(),
                "distinct_initial": initial["artist_id"].nunique(),
                "one_listener_final": float((listeners.reindex(final["artist_id"]).to_numpy() == 1).mean()),
                "one_listener_initial": float((listeners.reindex(initial["artist_id"]).to_numpy() == 1).mean()),
                "median_listeners_final": float(listeners.reindex(final["artist_id"]).median()),
                "same_lists_as": first if first != model else "",
                "ndcg": float(ndcg[model]),
            }
        )
    for ref in [m for m in ndcg.index if m not in models]:
        rows.append({"min_listeners": value, "model": ref, "ndcg": float(ndcg[ref])})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", type=Path, default=ROOT, help="folder of the finished run (results/, .snakemake/)")
    ap.add_argument("--values", type=int, nargs="+", default=[1, 2, 5])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--configfile", type=Path, nargs="*", default=[], help="the finished run's extra config files")
    ap.add_argument("--out", type=Path, default=ROOT / "results/bench")
    ap.add_argument("--reuse", action="store_true", help="keep the clones of an earlier call")
    args = ap.parse_args()
    models = dict(yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"])
    for extra in args.configfile:  # Snakemake merges the models mapping; null drops a model
        models |= (yaml.safe_load(extra.read_text()) or {}).get("models") or {}
    models = [m for m, spec in models.items() if spec is not None and spec.get("lists", True)]  # models with lists
    parts = []
    for value in args.values:
        work = args.out / "min_listeners" / f"ml{value}"
        if not (args.reuse and (work / "results").is_dir()):
            clone(args.run.resolve(), work)
        run_workflow(work, value, args.cores, [p.resolve() for p in args.configfile])
        parts.append(summarize(work, value, models))
        print(f"min_listeners = {value}: done", flush=True)
    table = pd.concat(parts, ignore_index=True)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "min_listeners.csv", index=False)
    print(table.to_markdown(index=False, floatfmt=".4f"))


if __name__ == "__main__":
    main()

"""Helpers shared by the workflow tests: a working copy of the workflow, running Snakemake, the tiny config."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def workdir(tmp_path: Path, config: dict | None = None) -> Path:
    """A working copy of the workflow (symlinks) with an optional extra config file."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "rules", "workflow", "config", "profiles"):
        (tmp_path / name).symlink_to(ROOT / name)
    if config is not None:
        (tmp_path / "test.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return tmp_path


def snakemake(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [*SNAKEMAKE, "--cores", "2", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


TINY = {
    "dataset": {"source": "synthetic", "synthetic": {"scale": "tiny", "seed": 3}},
    "sample": {"n_users": 300, "n_artists": 1500, "seed": 5},
    "cv": {"n_folds": 3, "seed": 2},
    "models": {
        **{name: None for name in yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]},
        "baseline": {"algorithm": "BaselineOnly"},
        "mf_k5": {"algorithm": "SVD", "params": {"biased": False, "n_factors": 5, "n_epochs": 5}},
        "mf_k5_native": {"algorithm": "SVD", "engine": "native", "params": {"biased": False, "n_factors": 5, "n_epochs": 5}},
        "knn_means_k10": {"algorithm": "KNNWithMeans", "params": {"k": 10}},
        "itemknn_k20": {"algorithm": "ItemKNN", "params": {"K": 20}},
        "ease_l50": {"algorithm": "EASE", "params": {"reg": 50}},
    },
    "report": {"users": [], "min_plays": 20},
}


def clone_run(src: Path, dst: Path) -> Path:
    """A second working copy holding a finished run's results and Snakemake metadata."""
    import shutil

    workdir(dst)
    shutil.copy2(src / "test.yaml", dst / "test.yaml")
    for name in ("results", ".snakemake"):
        shutil.copytree(src / name, dst / name, symlinks=True)
    return dst


def job_counts(dry_run_output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run as {rule: count}."""
    counts = {}
    lines = dry_run_output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Job stats:"))
    for line in lines[start + 3 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit() or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def load_script(name: str):
    """A workflow script (workflow/scripts/<name>.py) imported as a module, without Snakemake."""
    path = ROOT / "workflow" / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"scripts.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def raw_dataset(folder: Path) -> Path:
    """A small valid LFM-1b folder: 60 matrix users (rows shuffled), 2 more listed, 80 artists."""
    folder.mkdir(parents=True, exist_ok=True)
    from lfmrec.lfm1b import write_les

    rng = np.random.default_rng(0)
    dense = (rng.random((60, 80)) < 0.2) * rng.integers(1, 40, size=(60, 80))
    user_ids = rng.permutation(np.arange(1000, 1062))
    write_les(folder / "LFM-1b_LEs.mat", sp.csr_matrix(dense.astype(float)), user_ids[:60], np.arange(80) * 3 + 7)
    lines = ["user_id\tcountry\tage\tgender\tplaycount\tregistered_unixtime"]
    for i, u in enumerate(sorted(user_ids)):
        lines.append(f"{u}\t{['US', 'DE', 'PL', ''][i % 4]}\t-1\tn\t10\t1200000000")
    (folder / "LFM-1b_users.txt").write_text("\n".join(lines) + "\n")
    return folder


def comparable_files(results: Path, ignore=()) -> dict[str, Path]:
    """The result files a run's outputs are compared by: not logs, benchmarks or pickled models."""
    skip = {"logs", "benchmarks", "models", *ignore}
    return {
        str(p.relative_to(results)): p
        for p in results.rglob("*")
        if p.is_file() and p.relative_to(results).parts[0] not in skip and p.suffix != ".pkl"
    }


def assert_same_results(a: Path, b: Path, ignore=()) -> None:
    """Identical bytes for every result file (timing fields of the fold JSON files aside), equal
    parquet contents; top-level folders in ``ignore`` are left out on both sides."""
    fa, fb = comparable_files(a, ignore), comparable_files(b, ignore)
    only_a, only_b = sorted(set(fa) - set(fb)), sorted(set(fb) - set(fa))
    assert not only_a and not only_b, f"only in {a}: {only_a}; only in {b}: {only_b}"
    for name, pa in fa.items():
        pb = fb[name]
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(pa), pd.read_parquet(pb), check_exact=True)
        elif name.startswith("cv/") and name.endswith(".json"):
            ja, jb = json.loads(pa.read_text()), json.loads(pb.read_text())
            drop = [k for k in ja if k.endswith("_seconds")]
            assert {k: v for k, v in ja.items() if k not in drop} == {k: v for k, v in jb.items() if k not in drop}, name
        else:
            assert pa.read_bytes() == pb.read_bytes(), name

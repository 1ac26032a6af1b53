"""Helpers shared by the workflow tests: a working copy of the workflow, running Snakemake, the tiny config."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
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

# Shared helpers: config validation, the raw input paths, the model registry, wildcard constraints.

import os
import sys
from pathlib import Path

from snakemake.utils import validate

# The library lives in workflow/lfmrec: importable here and by every script job.
LIB = str(Path(workflow.basedir) / "workflow")
sys.path.insert(0, LIB)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (LIB, os.environ.get("PYTHONPATH")) if p)

from lfmrec.errors import InputError
from lfmrec.models import fit_job_mb, scoring_job_mb, validate_models


validate(config, schema="../config/schema.yaml")

# An override config drops a model of config/config.yaml by setting it to null.
config["models"] = {name: spec for name, spec in config["models"].items() if spec is not None}

try:
    validate_models(config["models"])
    clash = sorted(set(config["models"]) & set(config["ranking"]["references"]))
    if clash:
        raise InputError(f"config models.{clash[0]}", "has the name of a reference model", "rename it")
    if config["rerank"]["method"] == "calibrated" and config["rerank"]["lambda"] > 1:
        raise InputError("config rerank.lambda", f"is {config['rerank']['lambda']}, calibrated needs 0..1")
    if config["dataset"]["source"] == "lfm1b" and not config["dataset"].get("dir"):
        raise InputError("config dataset.dir", "is empty but dataset.source is lfm1b", "set it to the folder holding LFM-1b_LEs.mat")
except InputError as err:
    raise ValueError(f"Invalid config: {err}") from None

MODELS = list(config["models"])
FOLDS = list(range(config["cv"]["n_folds"]))
REFERENCES = list(config["ranking"]["references"])


wildcard_constraints:
    model="|".join(MODELS),
    fold=r"\d+",


def raw_dir():
    if config["dataset"]["source"] == "synthetic":
        return "results/synthetic"
    return config["dataset"]["dir"]


def raw(name):
    """Path of a raw LFM-1b file (LEs, users, artists)."""
    return f"{raw_dir()}/LFM-1b_{name}"


def artists_file():
    """The optional artists file: a list with its path when it exists (or will be generated)."""
    path = raw("artists.txt")
    if config["dataset"]["source"] == "synthetic" or Path(path).exists():
        return [path]
    return []


def truth_file():
    """The planted artist countries of synthetic data (none for a real LFM-1b copy)."""
    if config["dataset"]["source"] == "synthetic":
        return ["results/synthetic/truth_artists.parquet"]
    return []


def all_outputs():
    return [
        "results/data/summary.json",
        "results/tables/user_countries.csv",
        "results/tables/artist_countries.csv",
        "results/metrics.csv",
        "results/metrics.md",
        "results/plots/metrics.png",
        "results/deletions.csv",
        "results/plots/deletions.png",
        "results/reports",
        "results/ranking_metrics.csv",
        "results/tradeoff.csv",
        "results/plots/ranking_metrics.png",
        "results/plots/tradeoff.png",
        "results/diversity.csv",
        "results/plots/diversity.png",
    ] + (["results/country_estimation.csv", "results/plots/country_estimation.png"] if truth_file() else [])


# Memory of the heavy jobs (resources: mem_mb), so that `snakemake --resources mem_mb=16000` never
# runs jobs together whose needs add up to more. Snakemake evaluates these again right before it
# schedules a job, when its input exists; before that (dry runs of a fresh run) they are a
# placeholder of 1000.
_DATA_SIZES = {}


def data_sizes(triples):
    """(users, artists, triples) of a triples file, read once per version of the file."""
    path = Path(triples)
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _DATA_SIZES:
        import pandas as pd

        t = pd.read_parquet(path, columns=["user_id", "artist_id"])
        _DATA_SIZES[key] = (int(t["user_id"].nunique()), int(t["artist_id"].nunique()), len(t))
    return _DATA_SIZES[key]


def fit_mem_mb(wildcards, input):
    if not Path(input.triples).exists():
        return 1000
    return fit_job_mb(config["models"][wildcards.model], *data_sizes(input.triples))


def scoring_mem_mb(model_input=None, splits=False):
    def mem_mb(wildcards, input):
        if not Path(input.triples).exists():
            return 1000
        _, artists, triples = data_sizes(input.triples)
        model = Path(input[model_input]) if model_input else None
        model_bytes = model.stat().st_size if model is not None and model.exists() else 0
        spec = config["models"].get(wildcards.model) if "model" in wildcards.keys() else None
        return scoring_job_mb(spec, model_bytes, artists, triples, config["recommend"]["block_users"], splits)

    return mem_mb

# Shared helpers: config validation, the raw input paths, the model registry, wildcard constraints.

from pathlib import Path

from snakemake.exceptions import WorkflowError

from lfmrec.config import check_config, dataset_identity, load_schema, raw_dir as _raw_dir
from lfmrec.errors import InputError
from lfmrec.models import fit_job_mb, scoring_job_mb

# The config is checked before any job runs; a problem is one line naming the key (no schema dump).
try:
    check_config(config, load_schema(Path(workflow.basedir) / "config/schema.yaml"))
    # What the raw data is (source, folder, scale, seed, raw files' size and mtime): a parameter of
    # every rule that reads raw files, so that results of other inputs are never reused.
    DATASET = dataset_identity(config["dataset"])
except InputError as err:
    raise WorkflowError(f"Invalid {err}") from None

MODELS = list(config["models"])
FOLDS = list(range(config["cv"]["n_folds"]))
REFERENCES = list(config["ranking"]["references"])


wildcard_constraints:
    model="|".join(MODELS),
    fold=r"\d+",


def raw(name):
    """Path of a raw LFM-1b file (LEs, users, artists)."""
    return f"{_raw_dir(config['dataset'])}/LFM-1b_{name}"


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
    ] + (SYNTHETIC_ONLY if truth_file() else [])


# Outputs that only synthetic data has (the planted truth scores the country estimators).
SYNTHETIC_ONLY = ["results/country_estimation.csv", "results/plots/country_estimation.png", "results/html/country_estimation.html"]


def remove_outputs_of_other_data():
    """On a real run (not a dry run), remove results that only another dataset makes, so that
    results/ never shows, say, synthetic country-estimation scores next to an LFM-1b copy's lists."""
    if truth_file():
        return
    for path in map(Path, SYNTHETIC_ONLY):
        if path.exists():
            logger.info(f"removing {path}: made from synthetic data, the config now reads {config['dataset']['dir']}")
            path.unlink()


# Parameters and inputs shared by the held-out ranking jobs (rules/ranking.smk).
def ranking_params():
    return dict(
        n=config["ranking"]["n"],
        users=config["ranking"]["users"],
        seed=config["ranking"]["seed"],
        block_users=config["recommend"]["block_users"],
        sweep=config["rerank"]["sweep"],
        pool=config["rerank"]["pool"],
    )


RANKING_INPUTS = dict(
    triples="results/data/triples.parquet",
    folds="results/cv/folds.parquet",
    users="results/data/users.parquet",
    artists="results/data/artists.parquet",
    similarity="results/data/country_similarity.parquet",
)



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

# Shared helpers: config validation, the raw input paths, the model registry, wildcard constraints.

import os
import shutil
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

from lfmrec.config import (
    check_config,
    dataset_identity,
    load_schema,
    raw_dir as _raw_dir,
)
from lfmrec.errors import InputError
from lfmrec import resources
from lfmrec.models import is_topn, list_groups, similarity_groups

# The config is checked before any job runs; a problem is one line naming the key (no schema dump).
try:
    check_config(config, load_schema(Path(workflow.basedir) / "config/schema.yaml"))
    # What the raw data is (source, folder, scale, seed, raw files' size and mtime): a parameter of
    # every rule that reads raw files, so that results of other inputs are never reused.
    DATASET = dataset_identity(config["dataset"])
except InputError as err:
    raise WorkflowError(f"Invalid {err}") from None

MODELS = list(config["models"])
# The models that predict ratings (the paper's): only they have RMSE/MAE (results/metrics.*). The
# top-n models (ItemKNN, ALS, EASE) are in every other output.
RATING_MODELS = [m for m in MODELS if not is_topn(config["models"][m])]
# The models that go on to the held-out ranking and the cross-cultural lists (phase 2): all but
# those with `lists: false`, which are cross-validated only (the RMSE/MAE table).
LIST_MODELS = [m for m in MODELS if config["models"][m]["lists"]]


def model_spec(name):
    """A model's config entry as its fitting jobs see it: without `lists`, which says what is done
    with the model, not how it is fitted (so that setting it never reruns a fit)."""
    return {k: v for k, v in config["models"][name].items() if k != "lists"}


FOLDS = list(range(config["cv"]["n_folds"]))
# Models with a hyperparameter grid (rules/tuning.smk); each of their folds uses its own choice.
TUNED = [m for m in MODELS if m in (config["tuning"]["grids"] or {})]
# kNN models that share one similarity per fold: one cross-validation job per group (rules/cv.smk)
SIM_GROUPS = similarity_groups(config["models"], exclude=TUNED)
GROUPED = [m for members in SIM_GROUPS.values() for m in members]
# list models of a group with one k: their phase-2 lists are one job (rules/recommend.smk)
LIST_GROUPS = list_groups(config["models"], SIM_GROUPS, LIST_MODELS)
LIST_GROUPED = [m for members in LIST_GROUPS.values() for m in members]
_unknown_grids = sorted(set(config["tuning"]["grids"] or {}) - set(MODELS))
if _unknown_grids:
    raise WorkflowError(
        f"Invalid config tuning.grids: {', '.join(_unknown_grids)} is not a configured model "
        f"(fix: use one of {', '.join(MODELS)})"
    )


# Replicates of the whole experiment (rules/replicates.smk): seed sets; each is a nested run.
REPLICATES = list(config.get("replicates") or [])
REPLICATE_FILES = [
    f
    for f in __import__("lfmrec.replicates", fromlist=["FILES"]).FILES
    if RATING_MODELS or not f.endswith("metrics.csv")
]


def base_models():
    """The model names of the workflow's own config file: a nested run (replicate, sensitivity
    variant) reads that file first, so the models an override dropped must be dropped again.
    """
    import yaml

    return yaml.safe_load(Path(workflow.basedir, "config/config.yaml").read_text())[
        "models"
    ]


def replicate_config(rep):
    """The whole config of replicate ``rep`` (its seeds set, no replicates of its own)."""
    from lfmrec.replicates import replicate_config as make

    return make(config, REPLICATES[rep], base_models())


# Generator variants of the sensitivity experiment (rules/sensitivity.smk); each is a nested run.
SENSITIVITY = [v["name"] for v in config.get("sensitivity") or []]
SENSITIVITY_FILES = [
    f
    for f in __import__("lfmrec.sensitivity", fromlist=["FILES"]).FILES
    if RATING_MODELS or not f.endswith(("metrics.csv", "paper_agreement.csv"))
]


def sensitivity_config(variant):
    """The whole config of sensitivity variant ``variant`` (its generator process and seeds)."""
    from lfmrec.sensitivity import variant_config

    return variant_config(
        config, config["sensitivity"][SENSITIVITY.index(variant)], base_models()
    )


def tuning_points(model):
    from lfmrec.tuning import grid_points

    return grid_points(config["tuning"]["grids"][model])


def tuning_spec(model, point):
    """The model's config entry with a grid point's parameters (rule tune_point)."""
    from lfmrec.tuning import with_params

    return with_params(model_spec(model), tuning_points(model)[point])


def tuned_file(wildcards):
    """The chosen settings of a tuned model (input of its fits), none for the others."""
    return (
        [f"results/tuning/{wildcards.model}/chosen.json"]
        if wildcards.model in TUNED
        else []
    )


REFERENCES = list(config["ranking"]["references"])


def fold_files(name, suffix):
    """One file per fold of a model or reference: results/cv/<name>/fold<k>.<suffix>; a wildcard
    name such as "{model}" stays a wildcard."""
    return [f"results/cv/{name}/fold{k}.{suffix}" for k in FOLDS]


wildcard_constraints:
    model="|".join(MODELS),
    fold=r"\d+",
    point=r"\d+",


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
    return (
        [
            "results/data/summary.json",
            "results/tables/user_countries.csv",
            "results/tables/artist_countries.csv",
        ]
        + (
            ["results/metrics.csv", "results/metrics.md", "results/plots/metrics.png"]
            if RATING_MODELS
            else []
        )
        + [
            "results/deletions.csv",
            "results/plots/deletions.png",
            "results/reports",
            "results/ranking_metrics.csv",
            "results/tradeoff.csv",
            "results/plots/ranking_metrics.png",
            "results/plots/tradeoff.png",
            "results/diversity.csv",
            "results/plots/diversity.png",
            "results/cultural.csv",
            "results/cultural_variants.csv",
            "results/plots/cultural.png",
            "results/significance.csv",
            "results/intervals.csv",
            "results/by_country.csv",
            "results/plots/by_country.png",
            "results/paper_comparison.csv",
        ]
        + (["results/error_intervals.csv"] if RATING_MODELS else [])
        + (["results/tuning.csv"] if TUNED else [])
        + (SYNTHETIC_ONLY if truth_file() else [])
    )


# Outputs that only synthetic data has (the planted truth scores the country estimators).
SYNTHETIC_ONLY = [
    "results/country_estimation.csv",
    "results/plots/country_estimation.png",
    "results/html/country_estimation.html",
]


def remove_outputs_of_other_data():
    """On a real run (not a dry run), remove results that only another dataset makes, so that
    results/ never shows, say, synthetic country-estimation scores next to an LFM-1b copy's lists.
    """
    if truth_file():
        return
    for path in map(Path, SYNTHETIC_ONLY):
        if path.exists():
            logger.info(
                f"removing {path}: made from synthetic data, the config now reads {config['dataset']['dir']}"
            )
            path.unlink()


def remove_partial_files():
    """On a real run, remove the temporary files and folders (``*.part``, lfmrec.io.atomic_path) that
    a job killed mid-write left in results/, so that nothing half-written stays next to the results.
    The workflow's lock means no other run of this folder is writing them now; results/bench/work
    holds the benchmark's own workflow copies and is left alone."""
    for root, dirs, files in os.walk("results"):
        if root == os.path.join("results", "bench"):
            dirs[:] = [d for d in dirs if d != "work"]
        for name in sorted(dirs + files):
            if not name.endswith(".part"):
                continue
            path = Path(root, name)
            logger.info(
                f"removing {path}: left by a job that was stopped while writing it"
            )
            if name in dirs:
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        dirs[:] = [d for d in dirs if not d.endswith(".part")]


# The jobs that run numba kernels (lfmrec.native, lfmrec.scoring, lfmrec.topn).
KERNEL_RULES = {
    "cross_validate",
    *(f"cross_validate_{group}" for group in SIM_GROUPS),
    "fit_full",
    "recommend",
    *(f"recommend_{group}" for group in LIST_GROUPS),
    "recommend_reference",
    "rank_model",
    *(f"rank_{group}" for group in LIST_GROUPS),
    "rank_reference",
    "tune_point",
}


def compile_kernels_in_background():
    """Start `python -m lfmrec.kernels` (Snakefile `onstart`) when this run has jobs that use numba
    kernels: it compiles them, or loads numba's disk cache, while the data jobs run, instead of each
    of the model jobs that start together compiling the same kernels (see lfmrec.kernels).
    """
    try:
        if not any(
            job.rule.name in KERNEL_RULES for job in workflow.dag.needrun_jobs()
        ):
            return
    except Exception:  # Snakemake internals changed: compile anyway, it only saves time
        pass
    import json
    import subprocess
    import sys

    log = Path("results/logs/compile_kernels.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        subprocess.Popen(
            [sys.executable, "-m", "lfmrec.kernels", json.dumps(config["models"])],
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


# Resources of the jobs (resources: mem_mb, runtime), from the resource model lfmrec.resources: the
# functions here only find the sizes of a job's inputs and the config values it needs. Snakemake
# evaluates them again right before it schedules a job, when its input exists; before that (dry
# runs of a fresh run) they give the model's floor.
_DATA_SIZES = {}


def data_sizes(triples):
    """(users, artists, triples) of a triples file, read once per version of the file."""
    path = Path(triples)
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _DATA_SIZES:
        import pandas as pd

        t = pd.read_parquet(path, columns=["user_id", "artist_id"])
        _DATA_SIZES[key] = (
            int(t["user_id"].nunique()),
            int(t["artist_id"].nunique()),
            len(t),
        )
    return _DATA_SIZES[key]


def n_triples(input):
    """Triples in the job's triples input; 0 before the file exists (dry runs of a fresh DAG)."""
    return data_sizes(input.triples)[2] if Path(input.triples).exists() else 0


def _size_mb(path):
    path = Path(path)
    return path.stat().st_size / 1e6 if path.exists() else 0


def fit_mem_mb(wildcards, input, attempt=1):
    if not Path(input.triples).exists():
        return resources.job_mb(0, attempt)
    return resources.job_mb(
        resources.fit_job_mb(
            config["models"][wildcards.model], *data_sizes(input.triples)
        ),
        attempt,
    )


def group_fit_mem_mb(members):
    """Memory of rule cross_validate_<group> (the kNN models of ``members``)."""

    def mem_mb(wildcards, input, attempt=1):
        if not Path(input.triples).exists():
            return resources.job_mb(0, attempt)
        specs = [config["models"][m] for m in members]
        need = resources.group_fit_job_mb(specs, *data_sizes(input.triples))
        return resources.job_mb(need, attempt)

    return mem_mb


def group_fit_runtime(members, folds=1):
    """Run time of a cross_validate_<group> job: ``folds`` times one fit of the group."""

    def runtime(wildcards, input, attempt):
        if not Path(input.triples).exists():
            return resources.minutes(0, attempt)
        specs = [config["models"][m] for m in members]
        seconds = resources.group_fit_job_seconds(specs, *data_sizes(input.triples))
        return resources.minutes(folds * seconds, attempt)

    return runtime


def scoring_mem_mb(model_input=None, splits=False, threads=1):
    """Memory of a scoring job; with ``threads``, that many score blocks are held at once."""

    def mem_mb(wildcards, input, attempt=1):
        if not Path(input.triples).exists():
            return resources.job_mb(0, attempt)
        users, artists, triples = data_sizes(input.triples)
        # the model file, or the largest of the fold models a ranking job scores one after the other
        models = (
            [
                Path(f)
                for f in (
                    [input[model_input]]
                    if isinstance(input[model_input], str)
                    else input[model_input]
                )
            ]
            if model_input
            else []
        )
        model_bytes = max((m.stat().st_size for m in models if m.exists()), default=0)
        spec = (
            config["models"].get(wildcards.model)
            if "model" in wildcards.keys()
            else None
        )
        need = resources.scoring_job_mb(
            spec,
            model_bytes,
            artists,
            triples,
            threads * config["recommend"]["block_users"],
            splits,
            users,
        )
        return resources.job_mb(need, attempt)

    return mem_mb


def group_scoring_mem_mb(members, threads=1, model_input="models", splits=False):
    """Memory of a recommend_<group> or rank_<group> job: its models' files (a ranking job: one
    fold's) and one block of each per thread."""

    def mem_mb(wildcards, input, attempt=1):
        if not Path(input.triples).exists():
            return resources.job_mb(0, attempt)
        users, artists, triples = data_sizes(input.triples)
        files = list(input[model_input])
        # a ranking job's fold models, model by model: the largest fold's together
        per_fold = len(files) // len(members)
        model_bytes = max(
            sum(_size_mb(f) * 1e6 for f in files[k::per_fold]) for k in range(per_fold)
        )
        need = resources.group_scoring_job_mb(
            [config["models"][m] for m in members],
            model_bytes,
            artists,
            triples,
            threads * config["recommend"]["block_users"],
            users,
            splits,
        )
        return resources.job_mb(need, attempt)

    return mem_mb


def group_scoring_runtime(members, ranking=False, folds=1):
    """Run time of a recommend_<group> job (its models' lists from one walk) or of a rank_<group>
    job (``folds`` folds of its models' held-out ranking)."""

    def runtime(wildcards, input, attempt):
        if not Path(input.triples).exists():
            return resources.minutes(0, attempt)
        users, artists, triples = data_sizes(input.triples)
        variants = 0
        if ranking:
            users, variants = resources.ranking_shape(
                users, config["ranking"]["users"], config["rerank"]["sweep"]
            )
        specs = [config["models"][m] for m in members]
        return resources.minutes(
            folds
            * resources.group_scoring_job_seconds(
                specs, users, artists, triples, variants
            ),
            attempt,
        )

    return runtime


def fit_runtime(folds=1):
    """Run time of a job that fits a model ``folds`` times (cross_validate: once per fold; fit_full)."""

    def runtime(wildcards, input, attempt):
        if not Path(input.triples).exists():
            return resources.minutes(0, attempt)
        return resources.minutes(
            folds
            * resources.fit_job_seconds(
                config["models"][wildcards.model], *data_sizes(input.triples)
            ),
            attempt,
        )

    return runtime


def scoring_runtime(ranking=False, folds=1):
    def runtime(wildcards, input, attempt):
        if not Path(input.triples).exists():
            return resources.minutes(0, attempt)
        users, artists, triples = data_sizes(input.triples)
        spec = (
            config["models"].get(wildcards.model)
            if "model" in wildcards.keys()
            else None
        )
        variants = 0
        if ranking:
            users, variants = resources.ranking_shape(
                users, config["ranking"]["users"], config["rerank"]["sweep"]
            )
        return resources.minutes(
            folds
            * resources.scoring_job_seconds(spec, users, artists, triples, variants),
            attempt,
        )

    return runtime


_LES_NNZ = {}


def les_nonzeros():
    """Non-zeros of LFM-1b_LEs.mat: from the header of a MAT v7.3 (HDF5) file; a MAT v5 file's size
    over its bytes per non-zero; for synthetic data not generated yet, the scale's."""
    path = Path(raw("LEs.mat"))
    if not path.exists():
        if config["dataset"]["source"] != "synthetic":
            return 0  # missing: Snakemake reports it
        from lfmrec.synthetic import SCALES

        scale = SCALES.get(config["dataset"]["synthetic"]["scale"])
        return int(scale.n_matrix_users * scale.mean_artists) if scale else 0
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _LES_NNZ:
        try:
            import h5py

            with h5py.File(path, "r") as f:
                _LES_NNZ[key] = int(f["LEs"]["data"].shape[0])
        except (
            Exception
        ):  # not HDF5 (MAT v5) or unreadable: the job itself reports the problem
            _LES_NNZ[key] = path.stat().st_size // resources.MAT_V5_BYTES_PER_NNZ
    return _LES_NNZ[key]


def les_mem_mb(rule):
    def mem_mb(wildcards, attempt):
        return resources.les_job_mb(rule, les_nonzeros(), attempt)

    return mem_mb


def les_runtime(rule):
    def runtime(wildcards, attempt):
        return resources.les_job_minutes(rule, les_nonzeros(), attempt)

    return runtime


def file_mem_mb(rule, name):
    """Memory of job ``rule``, which holds a multiple of the size of its input ``name``."""

    def mem_mb(wildcards, input, attempt=1):
        return resources.file_job_mb(rule, _size_mb(input[name]), attempt)

    return mem_mb


def triples_mem_mb(rule):
    """Memory of job ``rule``, which holds some bytes per triple of the sample."""

    def mem_mb(wildcards, input, attempt=1):
        return resources.triples_job_mb(rule, n_triples(input), attempt)

    return mem_mb


def fixed_mem_mb(rule):
    def mem_mb(wildcards, attempt=1):
        return resources.fixed_job_mb(rule, attempt)

    return mem_mb


def floor_runtime(wildcards, attempt):
    return resources.minutes(0, attempt)


def estimation_runtime(wildcards, input, attempt):
    return resources.estimation_minutes(_size_mb(input.all_imputed), attempt)


def fold_countries_runtime(wildcards, input, attempt):
    return resources.fold_countries_minutes(_size_mb(input.plays), len(FOLDS), attempt)


def diversity_runtime(wildcards, input, attempt):
    return resources.diversity_minutes(n_triples(input), len(LIST_MODELS), attempt)


def cultural_runtime(wildcards, input, attempt):
    return resources.cultural_minutes(n_triples(input), len(LIST_MODELS), attempt)

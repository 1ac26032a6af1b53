"""The resource model of the workflow's jobs: how much memory and time each job needs.

Snakemake's scheduler reads it through the rules' ``resources: mem_mb, runtime`` (input functions in
``rules/common.smk``, which only pass the config and the input sizes here), and the fitting jobs
check it before they start (:func:`check_memory`, ``resources.max_memory_gb``). Every constant is a
calibration against measured peaks and times; where each comes from is said beside it.

- model memory: :func:`estimate_memory_gb` (each family's ``model_bytes``, :mod:`lfmrec.families`,
  per engine; :func:`native_memory_gb`, :func:`topn_memory_gb`);
- job memory: :func:`fit_job_mb`, :func:`scoring_job_mb`, :func:`les_job_mb` (the jobs that hold the
  whole listening matrix), :func:`file_job_mb`, :func:`triples_job_mb`;
- job time: :func:`fit_job_seconds`, :func:`scoring_job_seconds`, :func:`les_job_seconds` and the
  per-rule estimates, turned into a cluster's minutes by :func:`minutes`.
"""

from __future__ import annotations

import math

from .errors import InputError
from .families import base as _base
from .families import user_knn as _user_knn
from .families.references import Reference
from .models import engine_of, family_of

# ---------------------------------------------------------------------------------------------
# Model memory: each family's own estimate (lfmrec.families: ``model_bytes``), calibrated against
# measured peaks. The native engine's, a linear model fitted to measurements:
#
#     bytes = 100 (n_users + n_items)                               raw -> inner dicts, id lookups
#           + SVD:      32 n_ratings + 8 n_factors (n_users + n_items)
#           + Baseline: 32 n_ratings (SGD) or 41 n_ratings (ALS) + 16 (n_users + n_items)
#           + kNN:      57 n_ratings + (8 MSD_BLOCK + 16) n_users
#
# Per rating: the ur arrays (int32 + float64), id codes and predict temporaries (32); ALS and kNN
# add ir and the ratings by item (41); kNN adds ScoringParams' int64 copy of the raters and the
# deviations from the raters' means (57). kNN holds no users x users similarity: the rows of
# MSD_BLOCK users at a time (float64) and one row of sums and counts (lfmrec.native.knn_stream).
# Before the similarity was streamed, kNN held 9 n_users**2 more (the dense matrix and a NaN
# check). The constants come from peaks traced with tracemalloc (numpy and numba allocations; the
# interpreter and the input DataFrame excluded) of fit + predict_pairs of a test part of
# n_ratings / 4 pairs: default data fold (2,249 users, 7,033 items, 40,948 ratings): ALS 2.7 MB,
# SVD k100 9.6 MB, KNNWithMeans 48.0 MB; synthetic 55,000 users x 295,580 items x 2.4 M ratings:
# SGD baseline 84 MB, ALS 135 MB, MF k20 134 MB, SVD k100 359 MB; 8,000 users x 50,000 items x
# 0.8 M ratings: KNNWithMeans 612 MB. The estimates are 0-40 % above these (never below).
# Surprise's: its Python trainset (450 bytes per rating) and, for kNN, three dense n_users x
# n_users arrays while it computes the similarity. The top-n models' fits were measured with
# getrusage (lfmrec.families.item_knn, .als, .ease).
MSD_BLOCK = _user_knn.MSD_BLOCK
TRAINSET_BYTES_PER_RATING = _base.TRAINSET_BYTES_PER_RATING


def _family(spec: dict | None):
    """The family of a config entry; a reference model's (``spec`` None)."""
    return Reference if spec is None else family_of(spec)


def native_memory_gb(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    """Peak memory of a native fit and predict_pairs of ``spec`` (a config model entry), in GB."""
    return _family(spec).model_bytes(spec, "native", n_users, n_items, n_ratings) / 1e9


def topn_memory_gb(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    """Rough peak memory (GB) of fitting a top-n model (ItemKNN, ALS, EASE) beyond the triples.
    EASE's dense items x items matrix is what makes it impossible at LFM-1b's 581,000 artists."""
    return _family(spec).model_bytes(spec, engine_of(spec), n_users, n_items, n_ratings) / 1e9


def estimate_memory_gb(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    """Rough peak memory of fitting and scoring one model with its engine, in GB (the family's
    ``model_bytes``: Surprise's kNN holds three dense n_users x n_users arrays while computing
    the similarity; the factor models hold n x n_factors arrays; all hold the Python trainset)."""
    return _family(spec).model_bytes(spec, engine_of(spec), n_users, n_items, n_ratings) / 1e9


# Memory of a whole job (the check before fitting, and ``resources: mem_mb`` for Snakemake's
# scheduler). Reading and splitting the triples peaks at about _SPLIT_BYTES per triple, of which
# _KEPT_BYTES stay while the model is built, so a job needs about
# _JOB_BASE_GB + max(split, kept + model); scoring adds a few block_users x n_items float64
# temporaries (about 2 for baseline, SVD and ALS, 6 for kNN and ItemKNN (a sparse product, then
# dense), 4 for EASE (a dense product, then the requested columns)). Calibrated on measured job peaks: the
# engines benchmark (10x, full) and benchmarks/knn_limit.py (kNN at 38,949 users: 15.7 GB measured,
# 15.6 estimated; 41,181 users: 17.3 and 17.4), mostly within 15%.
_JOB_BASE_GB = 0.2
_SPLIT_BYTES = 170
_KEPT_BYTES = 45


def _engine(spec: dict | None) -> str:
    return "native" if spec is None else engine_of(spec)


def fit_job_mb(spec: dict, n_users: int, n_items: int, n_ratings: int) -> int:
    """Memory (MB) of a job that fits ``spec`` on ``n_ratings`` triples (rules cross_validate, fit_full)."""
    model = estimate_memory_gb(spec, n_users, n_items, n_ratings)
    gb = _JOB_BASE_GB + max(_SPLIT_BYTES * n_ratings / 1e9, _KEPT_BYTES * n_ratings / 1e9 + model)
    return int(1000 * gb) + 1


def group_fit_job_mb(specs: list[dict], n_users: int, n_items: int, n_ratings: int) -> int:
    """Memory (MB) of a job that cross-validates a group of kNN models sharing one similarity
    (rule cross_validate_<group>): the largest member's fit, plus every further member's
    estimates of a test fold (a fifth of the ratings at 5 folds, 8 bytes each) and fitted
    parameters (means, 8 bytes per user)."""
    one = max(fit_job_mb(spec, n_users, n_items, n_ratings) for spec in specs)
    return one + int((len(specs) - 1) * (8 * n_ratings / 4 + 8 * n_users) / 1e6) + 1


def scoring_job_mb(
    spec: dict | None, model_bytes: int, n_items: int, n_ratings: int, block_users: int, splits: bool = False, n_users: int = 0
) -> int:
    """Memory (MB) of a job that loads a fitted model of ``model_bytes`` (its pickle's size) and
    scores blocks of ``block_users`` x ``n_items`` (recommend; rank jobs also split a fold:
    ``splits``; ``spec`` None for the reference models) of ``n_users`` users."""
    family, engine = _family(spec), _engine(spec)
    temporaries = family.block_temporaries(spec, engine) * 8 * block_users * n_items
    temporaries += family.scoring_extra_bytes(spec, engine, n_users, n_ratings, block_users)
    data = (_SPLIT_BYTES if splits else _KEPT_BYTES) * n_ratings
    gb = _JOB_BASE_GB + (data + model_bytes + temporaries) / 1e9
    return int(1000 * gb) + 1


# Run time of the same jobs on the reference machine (2 cores, one per job), in seconds: the base
# for ``resources: runtime`` of cluster jobs (:func:`minutes` adds a safety factor and a floor).
# Calibrated on the job times measured in docs/scale.md (paper, 10x and full scale, the kNN limit
# runs): a job's start and reading (and splitting) the triples ~0.5 us each, here; each family's
# fit and its scoring per (user, artist) pair and per user in its module (lfmrec.families:
# ``fit_seconds``, ``scoring_cost``, e.g. 6 ns per pair + 0.12 ns per factor for SVD); the ranking
# jobs add 40 ns per pair and ~1 ms per user and re-ranking variant.
_START_S = 5.0
_READ_S_PER_RATING = 0.5e-6


def fit_job_seconds(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    """Seconds of a job that fits ``spec`` on ``n_ratings`` triples and predicts a held-out fold
    (rule cross_validate; fit_full, which predicts nothing, is given the same): reading the
    triples and the family's ``fit_seconds``."""
    seconds = _START_S + _READ_S_PER_RATING * n_ratings
    return seconds + _family(spec).fit_seconds(spec, engine_of(spec), n_users, n_items, n_ratings)


def group_scoring_job_mb(
    specs: list[dict], model_bytes: float, n_items: int, n_ratings: int, block_users: int, n_users: int, splits: bool = False
) -> int:
    """Memory (MB) of rule recommend_<group> (rank_<group>: ``splits``): its models' files
    (``model_bytes``, together) and a block of each model (:func:`scoring_job_mb` with as many
    blocks)."""
    return scoring_job_mb(specs[0], int(model_bytes), n_items, n_ratings, len(specs) * block_users, splits, n_users)


# The native kNN models of a list group scored together (rules recommend_<group> and rank_<group>,
# one walk): each model after the first adds this share of one model's scoring. Full scale, two
# threads: both k = 40 models' phase 2 in 41.0 min, one model's alone 25-29 min (docs/scale.md).
_JOINT_SHARE = 0.5


def group_scoring_job_seconds(specs: list[dict], n_users: int, n_items: int, n_ratings: int, ranking_variants: int = 0) -> float:
    """Seconds of rule recommend_<group> (rank_<group>, one fold: ``ranking_variants``, see
    :func:`scoring_job_seconds`): one model's scoring and a share for each further one."""
    one = max(scoring_job_seconds(spec, n_users, n_items, n_ratings, ranking_variants) for spec in specs)
    return one * (1 + _JOINT_SHARE * (len(specs) - 1))


def group_fit_job_seconds(specs: list[dict], n_users: int, n_items: int, n_ratings: int) -> float:
    """Seconds of rule cross_validate_<group>: one member's fit (the similarity, computed once),
    plus the other members' share of the neighbour sums (~2 us per rating each)."""
    one = max(fit_job_seconds(spec, n_users, n_items, n_ratings) for spec in specs)
    return one + (len(specs) - 1) * 2e-6 * n_ratings


def scoring_job_seconds(spec: dict | None, n_users: int, n_items: int, n_ratings: int, ranking_variants: int = 0) -> float:
    """Seconds of a job that scores ``n_users`` x ``n_items`` pairs with a fitted ``spec`` (None:
    a reference model) and builds the lists (recommend): the family's ``scoring_cost`` per pair
    and per user; a ranking job (rank_model, rank_reference) also splits a fold and re-ranks
    every user's list ``ranking_variants`` times."""
    per_pair, per_user = _family(spec).scoring_cost(spec, _engine(spec), n_users, n_ratings, bool(ranking_variants))
    seconds = _START_S + _READ_S_PER_RATING * n_ratings
    if ranking_variants:
        seconds += _READ_S_PER_RATING * n_ratings + n_users * ranking_variants * 1e-3
        per_pair += 40e-9
    return seconds + per_pair * n_users * n_items + per_user * n_users


def check_memory(spec: dict, train, max_memory_gb: float, key: str) -> None:
    """Refuse, before fitting, a model whose estimated memory exceeds ``max_memory_gb``."""
    n_users = int(train["user_id"].nunique())
    n_items = int(train["artist_id"].nunique())
    need = fit_job_mb(spec, n_users, n_items, len(train)) / 1000  # the whole job: model and data
    if need > max_memory_gb:
        hint = _family(spec).memory_hint(spec)
        raise InputError(
            f"config {key}",
            f"needs about {need:.1f} GB for {n_users} users x {n_items} artists ({len(train)} ratings), "
            f"more than resources.max_memory_gb = {max_memory_gb} with the {engine_of(spec)} engine",
            hint,
        )


def check_scoring_memory(
    spec: dict | None,
    model_bytes: int,
    n_users: int,
    n_items: int,
    n_ratings: int,
    block_users: int,
    threads: int,
    max_memory_gb: float,
    key: str,
    splits: bool = False,
    models: int = 1,
) -> None:
    """Refuse, before scoring, a job whose blocks (``threads`` blocks of ``block_users`` users x
    ``n_items``, :func:`scoring_job_mb`; ``models`` such blocks each, rule recommend_<group>)
    need more than ``max_memory_gb``, naming the largest ``recommend.block_users`` that fits (or
    that none does)."""

    def need(block: int) -> float:
        return scoring_job_mb(spec, model_bytes, n_items, n_ratings, max(threads, 1) * models * block, splits, n_users) / 1000

    if need(block_users) <= max_memory_gb:
        return
    lo, hi = 0, block_users  # the largest block that fits, by bisection (need grows with it)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if need(mid) <= max_memory_gb else (lo, mid - 1)
    hint = f"set recommend.block_users to at most {lo}" if lo else "no block size fits: raise resources.max_memory_gb"
    raise InputError(
        "config recommend.block_users",
        f"is {block_users}: scoring {key} in blocks of {block_users} users x {n_items} artists "
        f"({max(threads, 1)} at a time) needs about {need(block_users):.1f} GB, more than "
        f"resources.max_memory_gb = {max_memory_gb}",
        hint,
    )


# ---------------------------------------------------------------------------------------------
# Jobs: memory in MB (resources: mem_mb) and a cluster's run time in minutes (resources: runtime)

# Every job asks for at least MEM_FLOOR_MB: a Python process with pandas and numba holds about
# 0.25 GB before it reads any data, and a cluster kills a job that exceeds its request. A retried
# job (`--retries`, the SLURM profile) asks for `attempt` times as much.
MEM_FLOOR_MB = 1000

# Run times are the calibrated estimates (seconds on the reference machine) times RUNTIME_FACTOR,
# at least RUNTIME_FLOOR_MIN, `attempt` times that on a retry. A local run ignores runtime; its
# memory limit stays resources.max_memory_gb (checked by the jobs) and, if given,
# `--resources mem_mb=...`.
RUNTIME_FACTOR = 3
RUNTIME_FLOOR_MIN = 10


def job_mb(mb: float, attempt: int = 1) -> int:
    """A job's memory request: at least MEM_FLOOR_MB, ``attempt`` times that on a retry."""
    return attempt * max(MEM_FLOOR_MB, int(mb))


def minutes(seconds: float, attempt: int = 1) -> int:
    """A job's run-time request (minutes) for an estimate of ``seconds`` on the reference machine."""
    return attempt * max(RUNTIME_FLOOR_MIN, math.ceil(RUNTIME_FACTOR * seconds / 60))


# The data jobs (generate_synthetic, align, sample, country_plays) hold the whole listening matrix:
# about LES_BYTES_PER_NNZ bytes per non-zero of LFM-1b_LEs.mat at their peak, and take about
# LES_SECONDS_PER_NNZ. Measured on the `full` synthetic universe (61.5 M non-zeros; peak, CPU time):
# generation 1.74 GB, 117 s; align 1.57 GB, 7.6 s; sample 1.89 GB, 7.6 s; country_plays 4.36 GB,
# 151 s (70 s in an earlier run). A MAT v5 file holds 12 bytes per non-zero (8-byte values, 4-byte
# row indices).
LES_JOB_BASE_MB = 300
LES_BYTES_PER_NNZ = {"generate_synthetic": 28, "align": 26, "sample": 30, "country_plays": 70}
LES_SECONDS_PER_NNZ = {"generate_synthetic": 2.0e-6, "align": 0.3e-6, "sample": 0.3e-6, "country_plays": 4e-6}
MAT_V5_BYTES_PER_NNZ = 12


def les_job_mb(rule: str, nonzeros: int, attempt: int = 1) -> int:
    """Memory of a data job that holds a listening matrix of ``nonzeros`` non-zeros."""
    return job_mb(LES_JOB_BASE_MB + LES_BYTES_PER_NNZ[rule] * nonzeros / 1e6, attempt)


def les_job_minutes(rule: str, nonzeros: int, attempt: int = 1) -> int:
    """Run time of a data job on a listening matrix of ``nonzeros`` non-zeros."""
    return minutes(10 + LES_SECONDS_PER_NNZ[rule] * nonzeros, attempt)


# Other submitted jobs, sized from their inputs. Peaks (and CPU times) measured at full scale, 28.4 M
# triples: melt 1.86 GB (9 s) from a 341 MB sample_matrix.npz; folds 4.46 GB (16 s);
# country_estimation 2.05 GB (290 s) from a 27 MB all_imputed.parquet; diversity 3.38 GB (53 s, one
# model); user_reports 2.13 GB (7 s). The cultural jobs: the triples (user_id, artist_id) as a
# users x artists pair matrix, and a users x countries count matrix per labelling (estimated, lift,
# mixture, truth); measured at full scale (8 list models and references): cultural_inputs 3.68 GB
# (73 s; the history sample sorts the triples), cultural 2.26 GB (61 s), cultural_variants 3.67 GB
# (59 s). error_intervals: one model's predictions (user_id, rating, est) at a time, summed per
# user (2.75 GB, 33 s). fold_countries
# and fit_reference split the triples by fold as the folds job does. significance holds users x models of per-user
# values and batches of 20 M resampled values (160 MB): small at any scale.
FILE_MB_PER_MB = {"melt": 5.5, "country_estimation": 75}
BYTES_PER_TRIPLE = {
    "folds": 170,
    "fold_countries": 170,
    "fit_reference": 170,
    "diversity": 130,
    "cultural_inputs": 130,
    "cultural": 80,
    "cultural_variants": 130,
    "user_reports": 80,
    "error_intervals": 120,
}
FIXED_MB = {"significance": 2000}


def file_job_mb(rule: str, size_mb: float, attempt: int = 1) -> int:
    """Memory of a job that holds about FILE_MB_PER_MB[rule] times the size of its main input."""
    return job_mb(LES_JOB_BASE_MB + FILE_MB_PER_MB[rule] * size_mb, attempt)


def triples_job_mb(rule: str, triples: int, attempt: int = 1) -> int:
    """Memory of a job that holds about BYTES_PER_TRIPLE[rule] per triple of the sample."""
    return job_mb(LES_JOB_BASE_MB + BYTES_PER_TRIPLE[rule] * triples / 1e6, attempt)


def fixed_job_mb(rule: str, attempt: int = 1) -> int:
    """Memory of a job whose need does not grow with the data."""
    return job_mb(FIXED_MB[rule], attempt)


def estimation_minutes(size_mb: float, attempt: int = 1) -> int:
    """country_estimation: every estimator on every source's table (about 11 s per MB of the table)."""
    return minutes(10 + 20 * size_mb, attempt)


def fold_countries_minutes(size_mb: float, folds: int, attempt: int = 1) -> int:
    """fold_countries: the configured estimator once per fold on the source's table (country_estimation
    runs four estimators on three tables in about 11 s per MB of the largest)."""
    return minutes(10 + 5 * folds * size_mb, attempt)


def diversity_minutes(triples: int, models: int, attempt: int = 1) -> int:
    """diversity: the lists of every model against the triples (about 2 us per triple and model)."""
    return minutes(10 + 2e-6 * triples * models, attempt)


def cultural_minutes(triples: int, models: int, attempt: int = 1) -> int:
    """cultural: the history's countries once per labelling, every model's lists (small) against it."""
    return minutes(10 + 1e-6 * triples * (2 + 0.1 * models), attempt)


def ranking_shape(users: int, wanted, sweep: dict) -> tuple[int, int]:
    """(users evaluated per fold, re-ranked lists per user) of a ranking job: ``wanted`` is
    ranking.users ('all' or a number), ``sweep`` rerank.sweep (the none and hard lists, and one per
    soft and calibrated lambda)."""
    evaluated = users if wanted == "all" else min(users, int(wanted))
    return evaluated, 2 + len(sweep.get("soft") or []) + len(sweep.get("calibrated") or [])

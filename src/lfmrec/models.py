"""The model registry (section 4 of the paper): config entries -> Surprise algorithms, and the
implicit-feedback top-n models beside them.

A config entry is ``{algorithm: <name>, params: {...}, engine: surprise|native}``. ``params`` are
Surprise's keyword arguments whatever the engine: ``surprise`` fits scikit-surprise itself,
``native`` (:mod:`lfmrec.native`) fits the same model with the same semantics on arrays. Everything
is checked here, before any job runs, so that a typo or an impossible value is a one-line config
error, not a crash in a job.

The top-n models (``ItemKNN``, ``ALS``, ``EASE``; :mod:`lfmrec.ranking_models`) take no engine:
implicit fits the first two, numpy/LAPACK the third. They predict no rating, so they have no
RMSE/MAE (``is_topn``); everything else treats them as any model.
"""

from __future__ import annotations


from .errors import InputError

ENGINES = ("surprise", "native")

# The top-n models, their parameters' defaults and what fits them. ItemKNN's and ALS's names and
# defaults are implicit 0.7's keyword arguments; ``feedback`` is what a played artist puts in the
# users x artists matrix (binary: 1; log_plays: 1 + log2 playcount); EASE's ``reg`` is its lambda.
TOPN_DEFAULTS = {
    "ItemKNN": {"K": 20, "feedback": "binary"},
    "ALS": {"factors": 100, "regularization": 0.01, "alpha": 1.0, "iterations": 15, "feedback": "binary"},
    "EASE": {"reg": 100.0, "feedback": "binary"},
}
TOPN_FITTED_BY = {"ItemKNN": "implicit", "ALS": "implicit", "EASE": "numpy"}


def is_topn(spec: dict) -> bool:
    """Whether the entry is an implicit-feedback top-n model (no rating predictions, no RMSE)."""
    return spec["algorithm"] in TOPN_DEFAULTS


def engine_of(spec: dict) -> str:
    """The engine that fits a model: ``surprise`` unless the entry says ``engine: native``; for a
    top-n model the library that fits it (``implicit`` or ``numpy``)."""
    if is_topn(spec):
        return TOPN_FITTED_BY[spec["algorithm"]]
    return spec.get("engine") or "surprise"


def validate_models(models: dict) -> None:
    """What the JSON Schema cannot say: at least one model once the nulls are dropped, and what the
    native engine can fit. (Algorithms and parameter names and types are in config/schema.yaml.)"""
    if not models:
        raise InputError("config models", "is empty", "configure at least one model")
    if not any(spec.get("lists", True) for spec in models.values()):
        raise InputError("config models", "has lists: false on every model, so no list would be made",
                         "let at least one model make lists")
    for name, spec in models.items():
        if is_topn(spec):
            if not spec.get("lists", True):
                raise InputError(f"config models.{name}.lists", f"is false, but {spec['algorithm']} predicts no ratings "
                                 "(no RMSE/MAE): it would have no output", "remove the key or the model")
            if spec.get("engine") is not None:
                raise InputError(f"config models.{name}.engine", f"does not apply to {spec['algorithm']}",
                                 f"remove the key: {spec['algorithm']} is fitted by {engine_of(spec)}")
            continue
        engine = engine_of(spec)
        if engine not in ENGINES:
            raise InputError(f"config models.{name}.engine", f"is {engine!r}", f"use one of {', '.join(ENGINES)}")
        if engine == "native":
            # imported here: checking a config (before any job) need not load numba's kernels
            from .native import validate_native

            validate_native(spec, f"models.{name}")


def build_algorithm(spec: dict, seed: int):
    """Instantiate the Surprise algorithm of a (validated) config entry, seeded with ``seed``."""
    import surprise

    params = dict(spec.get("params") or {})
    algorithm = spec["algorithm"]
    if algorithm in ("SVD", "BaselineOnly"):
        params.setdefault("verbose", False)
    if algorithm == "SVD":
        params["random_state"] = seed
    if algorithm == "BaselineOnly":
        # Surprise's SGD baseline visits ratings in trainset order; no randomness is involved.
        params.setdefault("bsl_options", {})
    if algorithm in ("KNNBasic", "KNNWithMeans"):
        params.setdefault("verbose", False)
        params.setdefault("sim_options", {"name": "msd", "user_based": True})
    return getattr(surprise, algorithm)(**params)


def describe_params(spec: dict) -> str:
    """Short text of a model's algorithm and parameters for the metrics table, e.g. 'SVD: biased,
    k=100, lr=0.005, reg=0.02, epochs=20'. Every parameter the entry sets is in it (the usual ones always, with
    Surprise's defaults), and ``engine=native`` when set, so two entries with the same text are the
    same model."""
    p = dict(spec.get("params") or {})
    p.pop("verbose", None)
    algorithm = spec["algorithm"]
    if is_topn(spec):  # every parameter, defaults included, in the defaults' order
        defaults = TOPN_DEFAULTS[algorithm]
        full = {**defaults, **p}
        return f"{algorithm}: " + ", ".join(f"{k}={full[k]}" for k in [*defaults, *sorted(set(p) - set(defaults))])
    if algorithm == "SVD":
        parts = ["biased" if p.pop("biased", True) else "unbiased", f"k={p.pop('n_factors', 100)}",
                 f"lr={p.pop('lr_all', 0.005)}", f"reg={p.pop('reg_all', 0.02)}", f"epochs={p.pop('n_epochs', 20)}"]
    elif algorithm in ("KNNBasic", "KNNWithMeans"):
        sim = dict(p.pop("sim_options", None) or {})
        sim.pop("user_based", None)
        parts = [f"k={p.pop('k', 40)}", f"sim={sim.pop('name', 'msd')}"]
        if p.get("min_k", 1) == 1:
            p.pop("min_k", None)
        parts += [f"{k}={v}" for k, v in sorted(sim.items())]
    else:
        bsl = dict(p.pop("bsl_options", None) or {})
        method = bsl.pop("method", "als")
        if method == "als":
            parts = ["als", f"epochs={bsl.pop('n_epochs', 10)}", f"reg_u={bsl.pop('reg_u', 15)}", f"reg_i={bsl.pop('reg_i', 10)}"]
        else:
            parts = ["sgd", f"epochs={bsl.pop('n_epochs', 20)}", f"lr={bsl.pop('learning_rate', 0.005)}", f"reg={bsl.pop('reg', 0.02)}"]
        parts += [f"{k}={v}" for k, v in sorted(bsl.items())]
    parts += [f"{k}={v}" for k, v in sorted(p.items())]
    if engine_of(spec) != "surprise":
        parts.append(f"engine={engine_of(spec)}")
    return f"{algorithm}: " + ", ".join(parts)


# Bytes per rating of Surprise's Trainset (tuples in per-user and per-item lists, dicts of raw
# ids): tracemalloc on the default data's 51,186 triples gave 309 retained and 445 at the peak of
# building it; rounded up.
TRAINSET_BYTES_PER_RATING = 450


def estimate_memory_gb(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    """Rough peak memory of fitting and scoring one model with its engine, in GB.

    Surprise: kNN (user-based) holds three dense n_users x n_users arrays while computing the
    similarity; the factor models hold n x n_factors arrays; all hold the Python trainset. The
    native engine's estimate is :func:`lfmrec.native.estimate_memory_gb`; the top-n models'
    :func:`topn_memory_gb`.
    """
    if is_topn(spec):
        return topn_memory_gb(spec, n_users, n_items, n_ratings)
    if engine_of(spec) == "native":
        from . import native

        return native.estimate_memory_gb(spec, n_users, n_items, n_ratings)
    algorithm = spec["algorithm"]
    p = spec.get("params") or {}
    total = TRAINSET_BYTES_PER_RATING * n_ratings
    if algorithm in ("KNNBasic", "KNNWithMeans"):
        total += 3 * 8 * n_users * n_users
    elif algorithm == "SVD":
        total += 8 * (n_users + n_items) * p.get("n_factors", 100) * 2
    else:
        total += 8 * (n_users + n_items) * 2
    return total / 1e9


# The top-n models' fits, beyond the triples (peaks measured with getrusage, see topn_memory_gb):
# implicit's item kNN holds 24 bytes per (item, neighbour) slot while it collects the neighbours,
# then the similarity as CSR (12 bytes per kept pair) and a float64 copy of its values: 29 bytes
# per slot measured at 99,205 items x K=200; the interaction matrix and its transposed, normalized
# copies ~40 bytes per rating. ALS: float32 copies of the matrix (CSR, its transpose, alpha x it)
# and the factors in float32 (implicit) and float64 (ScoringParams). EASE: the dense items x items
# Gram matrix inverted in place (Cholesky) into B, plus block temporaries: 1.35 x 8 bytes x
# items^2 measured at 7,976 items.
_ITEMKNN_BYTES_PER_SLOT = 32
_TOPN_BYTES_PER_RATING = 40
_ALS_BYTES_PER_RATING = 40
_ALS_BYTES_PER_FACTOR = 4 + 8 + 4  # float32 and float64 factors, implicit's float32 scratch
_EASE_MATRICES = 1.5


def topn_memory_gb(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    """Rough peak memory (GB) of fitting a top-n model (ItemKNN, ALS, EASE) beyond the triples.
    EASE's dense items x items matrix is what makes it impossible at LFM-1b's 581,000 artists."""
    p = {**TOPN_DEFAULTS[spec["algorithm"]], **(spec.get("params") or {})}
    total = _TOPN_BYTES_PER_RATING * n_ratings
    if spec["algorithm"] == "ItemKNN":
        total += _ITEMKNN_BYTES_PER_SLOT * n_items * min(p["K"], n_items)
    elif spec["algorithm"] == "ALS":
        total += _ALS_BYTES_PER_RATING * n_ratings + _ALS_BYTES_PER_FACTOR * (n_users + n_items) * p["factors"]
    else:
        total += _EASE_MATRICES * 8 * n_items * n_items
    return total / 1e9


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
_BLOCK_TEMPORARIES = {"knn": 6, "ease": 4, "other": 2}


def _temporaries(spec: dict | None) -> int:
    algorithm = spec["algorithm"] if spec is not None else None
    if algorithm in ("KNNBasic", "KNNWithMeans", "ItemKNN"):
        return _BLOCK_TEMPORARIES["knn"]
    return _BLOCK_TEMPORARIES["ease" if algorithm == "EASE" else "other"]


def fit_job_mb(spec: dict, n_users: int, n_items: int, n_ratings: int) -> int:
    """Memory (MB) of a job that fits ``spec`` on ``n_ratings`` triples (rules cross_validate, fit_full)."""
    model = estimate_memory_gb(spec, n_users, n_items, n_ratings)
    gb = _JOB_BASE_GB + max(_SPLIT_BYTES * n_ratings / 1e9, _KEPT_BYTES * n_ratings / 1e9 + model)
    return int(1000 * gb) + 1


def scoring_job_mb(spec: dict | None, model_bytes: int, n_items: int, n_ratings: int, block_users: int,
                   splits: bool = False) -> int:
    """Memory (MB) of a job that loads a fitted model of ``model_bytes`` (its pickle's size) and
    scores blocks of ``block_users`` x ``n_items`` (recommend; rank jobs also split a fold:
    ``splits``; ``spec`` None for the reference models)."""
    temporaries = _temporaries(spec) * 8 * block_users * n_items
    data = (_SPLIT_BYTES if splits else _KEPT_BYTES) * n_ratings
    gb = _JOB_BASE_GB + (data + model_bytes + temporaries) / 1e9
    return int(1000 * gb) + 1


# Run time of the same jobs on the reference machine (2 cores, one per job), in seconds: the base
# for ``resources: runtime`` of cluster jobs (rules/common.smk adds a safety factor and a floor).
# Calibrated on the job times measured in docs/scale.md (paper, 10x and full scale, the kNN limit
# runs): reading and splitting the triples ~0.5 us each; per rating and epoch, native ALS 25 ns,
# native SGD/SVD 50 ns + 2.5 ns per factor (full scale, 22.7 M training ratings: baseline 5.5 s,
# mf_k20 45 s, mf_k100 102 s); Surprise builds a Python trainset (~3 us per rating), runs 0.7-0.9 us
# per rating and epoch and predicts ~5 us per test rating (10x: 53-56 s per SVD fold); user-based
# kNN is dominated by the users x users similarity (native, 38,949 users: a 5.3 min job).
# Scoring (recommend, rank_*) costs per (user, artist) pair: 6 ns + 0.12 ns per factor
# (full scale: 3.4-10.4 min per factor model), 200 ns for kNN (the compiled kernel at 10x), plus
# for the ranking jobs 40 ns per pair and ~1 ms per user and re-ranking variant.
# The top-n models (measured on the default data and on a random 20,000 x 99,205 matrix with 1.9 M
# pairs, on a loaded machine, so rather high): implicit's item kNN visits, for every item, every
# item of every listener, sum over users of degree^2 ~ 1.75 n_ratings^2 / n_users (log-normal
# user degrees, sigma 0.75), at ~55 ns each (cache misses at 10^5 items); ALS ~10 ns per rating,
# factor and iteration; EASE's Cholesky inverse ~n_items^3 flops at ~15 GFlop/s (16 s of CPU per
# fold at 7,033 items). Scoring: ALS as SVD; ItemKNN ~60 ns per pair (a sparse product made
# dense); EASE ~2.5 ns per pair and rating of the user (each rating reads a row of B).
_START_S = 5.0
_READ_S_PER_RATING = 0.5e-6


def _epochs(spec: dict) -> int:
    p = spec.get("params") or {}
    if spec["algorithm"] == "BaselineOnly":
        bsl = p.get("bsl_options") or {}
        return bsl.get("n_epochs", 20 if bsl.get("method") == "sgd" else 10)
    return p.get("n_epochs", 20)


def fit_job_seconds(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    """Seconds of a job that fits ``spec`` on ``n_ratings`` triples and predicts a held-out fold
    (rule cross_validate; fit_full, which predicts nothing, is given the same)."""
    algorithm = spec["algorithm"]
    p = spec.get("params") or {}
    seconds = _START_S + _READ_S_PER_RATING * n_ratings
    knn = algorithm.startswith("KNN")
    if is_topn(spec):
        return seconds + _topn_fit_seconds(spec, n_users, n_items, n_ratings)
    if engine_of(spec) == "native":
        if knn:
            return seconds + 250e-9 * n_users * n_users + 2e-6 * n_ratings
        if algorithm == "SVD":
            per_epoch = 50e-9 + 2.5e-9 * p.get("n_factors", 100)
        else:
            sgd = (p.get("bsl_options") or {}).get("method") == "sgd"
            per_epoch = 50e-9 if sgd else 25e-9
        return seconds + _epochs(spec) * per_epoch * n_ratings
    seconds += 3e-6 * n_ratings + 1e-6 * n_ratings  # the Python trainset; predicting a fifth of it
    if knn:
        return seconds + 250e-9 * n_users * n_users + 10e-6 * n_ratings
    if algorithm == "SVD":
        per_epoch = 0.8e-6 + 5e-9 * p.get("n_factors", 100)
    else:
        per_epoch = 0.7e-6
    return seconds + _epochs(spec) * per_epoch * n_ratings


def _topn_fit_seconds(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    p = {**TOPN_DEFAULTS[spec["algorithm"]], **(spec.get("params") or {})}
    seconds = 2e-6 * n_ratings  # the interaction matrix; scoring the held-out pairs
    if spec["algorithm"] == "ItemKNN":
        return seconds + 60e-9 * 1.75 * n_ratings**2 / max(n_users, 1)
    if spec["algorithm"] == "ALS":
        return seconds + 10e-9 * n_ratings * p["factors"] * p["iterations"]
    return seconds + n_items**3 / 15e9 + 1e-9 * n_ratings * n_items  # Cholesky inverse; X^T X


def scoring_job_seconds(spec: dict | None, n_users: int, n_items: int, n_ratings: int,
                        ranking_variants: int = 0) -> float:
    """Seconds of a job that scores ``n_users`` x ``n_items`` pairs with a fitted ``spec`` (None:
    a reference model) and builds the lists (recommend); a ranking job (rank_model / rank_reference,
    rank_reference) also splits a fold and re-ranks every user's list ``ranking_variants`` times."""
    per_pair = 6e-9
    algorithm = spec["algorithm"] if spec is not None else None
    if algorithm in ("KNNBasic", "KNNWithMeans"):
        per_pair = 200e-9
    elif algorithm == "SVD":
        per_pair += 0.12e-9 * (spec.get("params") or {}).get("n_factors", 100)
    elif algorithm == "ALS":
        per_pair += 0.12e-9 * {**TOPN_DEFAULTS["ALS"], **(spec.get("params") or {})}["factors"]
    elif algorithm == "ItemKNN":
        per_pair = 60e-9
    elif algorithm == "EASE":
        per_pair = 2.5e-9 * n_ratings / max(n_users, 1)
    seconds = _START_S + _READ_S_PER_RATING * n_ratings
    if ranking_variants:
        seconds += _READ_S_PER_RATING * n_ratings + n_users * ranking_variants * 1e-3
        per_pair += 40e-9
    return seconds + per_pair * n_users * n_items


def check_memory(spec: dict, train, max_memory_gb: float, key: str) -> None:
    """Refuse, before fitting, a model whose estimated memory exceeds ``max_memory_gb``."""
    n_users = int(train["user_id"].nunique())
    n_items = int(train["artist_id"].nunique())
    need = fit_job_mb(spec, n_users, n_items, len(train)) / 1000  # the whole job: model and data
    if need > max_memory_gb:
        if spec["algorithm"].startswith("KNN"):
            hint = "sample fewer users (sample.n_users) or drop the kNN models"
        elif spec["algorithm"] == "EASE":
            hint = "drop EASE at this scale (a dense artists x artists matrix) or sample fewer artists"
        else:
            hint = "sample fewer users or artists"
        raise InputError(
            f"config {key}",
            f"needs about {need:.1f} GB for {n_users} users x {n_items} artists ({len(train)} ratings), "
            f"more than resources.max_memory_gb = {max_memory_gb} with the {engine_of(spec)} engine",
            hint,
        )

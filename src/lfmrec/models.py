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
        raise InputError(
            "config models", "has lists: false on every model, so no list would be made", "let at least one model make lists"
        )
    for name, spec in models.items():
        if is_topn(spec):
            if not spec.get("lists", True):
                raise InputError(
                    f"config models.{name}.lists",
                    f"is false, but {spec['algorithm']} predicts no ratings (no RMSE/MAE): it would have no output",
                    "remove the key or the model",
                )
            if spec.get("engine") is not None:
                raise InputError(
                    f"config models.{name}.engine",
                    f"does not apply to {spec['algorithm']}",
                    f"remove the key: {spec['algorithm']} is fitted by {engine_of(spec)}",
                )
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
        parts = [
            "biased" if p.pop("biased", True) else "unbiased",
            f"k={p.pop('n_factors', 100)}",
            f"lr={p.pop('lr_all', 0.005)}",
            f"reg={p.pop('reg_all', 0.02)}",
            f"epochs={p.pop('n_epochs', 20)}",
        ]
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
            parts = [
                "sgd",
                f"epochs={bsl.pop('n_epochs', 20)}",
                f"lr={bsl.pop('learning_rate', 0.005)}",
                f"reg={bsl.pop('reg', 0.02)}",
            ]
        parts += [f"{k}={v}" for k, v in sorted(bsl.items())]
    parts += [f"{k}={v}" for k, v in sorted(p.items())]
    if engine_of(spec) != "surprise":
        parts.append(f"engine={engine_of(spec)}")
    return f"{algorithm}: " + ", ".join(parts)


def similarity_groups(models: dict, exclude: tuple | list | set = ()) -> dict[str, list[str]]:
    """The models that share one similarity per fold: native user-based msd kNN models
    (``KNNBasic``, ``KNNWithMeans``) with the same ``min_support``, two or more of them, by group
    name (``knn_msd`` and the min_support when it is not 1). Their cross-validation is one job
    (rule ``cross_validate_<group>``) that computes the similarity rows once per fold and serves
    every model and every k of the group from them (:func:`lfmrec.cv.run_knn_fold`). ``exclude``:
    models left to their own job (the tuned ones, whose settings differ per fold)."""
    by_support: dict[int, list[str]] = {}
    for name, spec in models.items():
        if name in exclude or spec["algorithm"] not in ("KNNBasic", "KNNWithMeans") or engine_of(spec) != "native":
            continue
        support = int(((spec.get("params") or {}).get("sim_options") or {}).get("min_support", 1))
        by_support.setdefault(support, []).append(name)
    return {
        "knn_msd" if support == 1 else f"knn_msd_support{support}": names
        for support, names in sorted(by_support.items())
        if len(names) > 1
    }

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
from .families import algorithms, for_algorithm

ENGINES = ("surprise", "native")

# The top-n models, their parameters' defaults and what fits them (each family's ``defaults`` and
# ``fitted_by``). ItemKNN's and ALS's names and defaults are implicit 0.7's keyword arguments;
# ``feedback`` is what a played artist puts in the users x artists matrix (binary: 1; log_plays:
# 1 + log2 playcount); EASE's ``reg`` is its lambda.
TOPN_DEFAULTS = {a: for_algorithm(a).defaults for a in algorithms() if for_algorithm(a).topn}
TOPN_FITTED_BY = {a: for_algorithm(a).fitted_by for a in TOPN_DEFAULTS}


def family_of(spec: dict):
    """The family class (:mod:`lfmrec.families`) of a config entry."""
    return for_algorithm(spec["algorithm"])


def is_topn(spec: dict) -> bool:
    """Whether the entry is an implicit-feedback top-n model (no rating predictions, no RMSE)."""
    return family_of(spec).topn


def engine_of(spec: dict) -> str:
    """The engine that fits a model: ``surprise`` unless the entry says ``engine: native``; for a
    top-n model the library that fits it (``implicit`` or ``numpy``)."""
    if is_topn(spec):
        return family_of(spec).fitted_by
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
    return family_of(spec).surprise_algorithm(spec, seed)


def describe_params(spec: dict) -> str:
    """Short text of a model's algorithm and parameters for the metrics table, e.g. 'SVD: biased,
    k=100, lr=0.005, reg=0.02, epochs=20'. Every parameter the entry sets is in it (the usual ones
    always, with Surprise's defaults; a top-n model's defaults included), and ``engine=native``
    when set, so two entries with the same text are the same model."""
    text = f"{spec['algorithm']}: {family_of(spec).describe(spec)}"
    if not is_topn(spec) and engine_of(spec) != "surprise":
        text += f", engine={engine_of(spec)}"
    return text


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


def list_groups(models: dict, groups: dict[str, list[str]], listed: list[str]) -> dict[str, list[str]]:
    """The list models of each similarity group (:func:`similarity_groups`) with the same k, two or
    more of them, by group name (``<group>_k<k>``): their phase-2 lists are one job (rule
    ``recommend_<group>``) that scores them together by one walk
    (:func:`lfmrec.scoring.joint_block_scorer`), each model's lists those it gets alone."""
    out: dict[str, list[str]] = {}
    for group, members in groups.items():
        by_k: dict[int, list[str]] = {}
        for name in members:
            if name in listed:
                by_k.setdefault(int((models[name].get("params") or {}).get("k", 40)), []).append(name)
        out.update({f"{group}_k{k}": names for k, names in sorted(by_k.items()) if len(names) > 1})
    return out

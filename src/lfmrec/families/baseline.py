"""BaselineOnly: ``mu + bu[u] + bi[i]``, added in Surprise's order (bit for bit); an unknown user
or item adds nothing. Fitted by Surprise or natively (:mod:`lfmrec.native.baseline`: ALS and SGD)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from . import register
from ._linear import linear_block, plan_linear
from .base import (
    NATIVE_BYTES_PER_ID,
    NATIVE_BYTES_PER_RATING,
    NATIVE_BYTES_PER_RATING_ITEMS,
    SURPRISE_PREDICT_S_PER_RATING,
    TRAINSET_BYTES_PER_RATING,
    TRAINSET_S_PER_RATING,
    ItemPlan,
    ScoringParams,
)

# Per rating and epoch: native ALS 25 ns, native SGD 50 ns, Surprise 0.7 us (full scale, 22.7 M
# training ratings: baseline 5.5 s); memory: the biases (16 bytes per user and item).
_NATIVE_S = {"als": 25e-9, "sgd": 50e-9}
_SURPRISE_S = 0.7e-6


def _bsl(spec: dict) -> dict:
    return (spec.get("params") or {}).get("bsl_options") or {}


def epochs(spec: dict) -> int:
    """Surprise's default epochs: 10 for ALS, 20 for SGD."""
    bsl = _bsl(spec)
    return bsl.get("n_epochs", 20 if bsl.get("method") == "sgd" else 10)


@register
@dataclass(eq=False)
class Baseline(ScoringParams):
    """Fields: ``bu`` (n_users,), ``bi`` (n_items,)."""

    bu: np.ndarray | None = None
    bi: np.ndarray | None = None

    algorithms = ("BaselineOnly",)
    kinds = ("baseline",)
    needs = {"baseline": ("bu", "bi")}
    native = True
    reads_surprise = True

    def check(self) -> None:
        self._vector("bu", self.n_users)
        self._vector("bi", self.n_items)

    def plan_items(self, plan: ItemPlan, pruned: bool) -> None:
        plan.state = plan_linear(plan, self.bi, None)

    def score_block(self, plan, uinner, out, defer):
        return linear_block(self, plan, uinner, out, defer)

    def predict_pairs(self, u, i):
        from ..native import baseline

        return baseline.estimate(self.global_mean, self.bu, self.bi, u, i)

    @classmethod
    def describe(cls, spec: dict) -> str:
        bsl = dict(_bsl(spec))
        if bsl.pop("method", "als") == "als":
            parts = ["als", f"epochs={bsl.pop('n_epochs', 10)}", f"reg_u={bsl.pop('reg_u', 15)}", f"reg_i={bsl.pop('reg_i', 10)}"]
        else:
            parts = [
                "sgd",
                f"epochs={bsl.pop('n_epochs', 20)}",
                f"lr={bsl.pop('learning_rate', 0.005)}",
                f"reg={bsl.pop('reg', 0.02)}",
            ]
        p = {k: v for k, v in (spec.get("params") or {}).items() if k not in ("bsl_options", "verbose")}
        return ", ".join(parts + [f"{k}={v}" for k, v in sorted(bsl.items())] + [f"{k}={v}" for k, v in sorted(p.items())])

    @classmethod
    def validate_native(cls, spec: dict, key: str) -> None:
        method = _bsl(spec).get("method", "als")
        if method not in ("als", "sgd"):
            raise InputError(f"config {key}.params.bsl_options.method", f"is {method!r}", "use als or sgd")

    @classmethod
    def from_surprise(cls, algo, common):
        if getattr(algo, "bu", None) is None:
            raise ValueError("BaselineOnly is not fitted (no baselines)")
        return cls(kind="baseline", bu=algo.bu, bi=algo.bi, **common)

    @classmethod
    def surprise_algorithm(cls, spec: dict, seed: int):
        import surprise

        params = dict(spec.get("params") or {})
        params.setdefault("verbose", False)
        # Surprise's SGD baseline visits ratings in trainset order; no randomness is involved.
        params.setdefault("bsl_options", {})
        return surprise.BaselineOnly(**params)

    @classmethod
    def fit(cls, spec, seed, train, scale, exact=False):
        from ..native import baseline, trainset

        params = spec.get("params") or {}
        ts = trainset.build(train, with_items=baseline.needs_items(params))
        return cls.from_trainset(ts, scale, baseline.fit(ts, params))

    @classmethod
    def model_bytes(cls, spec, engine, n_users, n_items, n_ratings):
        ids = n_users + n_items
        if engine == "native":
            sgd = _bsl(spec).get("method") == "sgd"
            total = NATIVE_BYTES_PER_ID * ids
            total += (NATIVE_BYTES_PER_RATING if sgd else NATIVE_BYTES_PER_RATING_ITEMS) * n_ratings + 16 * ids
            return total
        total = TRAINSET_BYTES_PER_RATING * n_ratings
        total += 8 * ids * 2
        return total

    @classmethod
    def fit_seconds(cls, spec, engine, n_users, n_items, n_ratings):
        if engine == "native":
            return epochs(spec) * _NATIVE_S["sgd" if _bsl(spec).get("method") == "sgd" else "als"] * n_ratings
        trainset = TRAINSET_S_PER_RATING * n_ratings + SURPRISE_PREDICT_S_PER_RATING * n_ratings
        return trainset + epochs(spec) * _SURPRISE_S * n_ratings

"""SVD (biased: kind ``svd``, ``mu + bu + bi + qi . pu``, each term only when known, in Surprise's
order) and unbiased SVD ("MF", kind ``mf``: ``qi . pu``, an unknown user or item -> the global
mean). Fitted by Surprise or natively (:mod:`lfmrec.native.svd`).

The products ``qi . pu`` of a block are one matrix product (BLAS), whose partial sums are not the
ones of Surprise's per-pair ``np.dot``: estimates differ in the last bits (~1e-15), so two nearly
tied items can swap (ties are broken deterministically downstream). The optional float32 route
(:meth:`SVD.bounded_rows`) lists a block from a float32 product and an error bound instead."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import register
from ._linear import MODES, linear_block, plan_linear
from .base import (
    NATIVE_BYTES_PER_ID,
    NATIVE_BYTES_PER_RATING,
    PER_PAIR_S,
    SURPRISE_PREDICT_S_PER_RATING,
    TRAINSET_BYTES_PER_RATING,
    TRAINSET_S_PER_RATING,
    Bounded,
    Finish,
    ItemPlan,
    ScoringParams,
)

# Per rating and epoch: native SGD 50 ns + 2.5 ns per factor, Surprise 0.8 us + 5 ns per factor
# (full scale, 22.7 M training ratings: mf_k20 45 s, mf_k100 102 s; 10x: 53-56 s per Surprise
# fold); scoring 0.12 ns per pair and factor (full scale: 3.4-10.4 min per factor model).
_NATIVE_S, _NATIVE_S_PER_FACTOR = 50e-9, 2.5e-9
_SURPRISE_S, _SURPRISE_S_PER_FACTOR = 0.8e-6, 5e-9
_SCORE_S_PER_FACTOR = 0.12e-9

# |fl32(P) @ fl32(Q).T - P @ Q.T| per entry, over (k + 3) u32 sum_f |p_f q_f| <= (k + 3) u32 |p| |q|
# (u32 = 2**-24: the two roundings to float32, any order of float32 sums and products, and the
# float64 product's own error): 1.01 for the rounding of the norms and of the bound's arithmetic,
# and an absolute term far above what float32's subnormal range could add (|factors| < 1e15).
_BOUND_SLACK = 1.01
_BOUND_ABS = 1e-27
_BOUND_MAX_FACTOR = 1e15


def _factors(spec: dict) -> int:
    return (spec.get("params") or {}).get("n_factors", 100)


@register
@dataclass(eq=False)
class SVD(ScoringParams):
    """Fields: ``pu`` (n_users, f), ``qi`` (n_items, f); kind ``svd`` also ``bu``, ``bi``."""

    bu: np.ndarray | None = None
    bi: np.ndarray | None = None
    pu: np.ndarray | None = None
    qi: np.ndarray | None = None

    algorithms = ("SVD",)
    kinds = ("svd", "mf")
    needs = {"svd": ("bu", "bi", "pu", "qi"), "mf": ("pu", "qi")}
    native = True
    reads_surprise = True

    def check(self) -> None:
        if self.kind == "svd":
            self._vector("bu", self.n_users)
            self._vector("bi", self.n_items)
        check_factors(self)

    def plan_items(self, plan: ItemPlan, pruned: bool) -> None:
        plan.state = plan_linear(plan, self.bi if self.kind == "svd" else None, self.qi)

    def score_block(self, plan, uinner, out, defer):
        return linear_block(self, plan, uinner, out, defer)

    def bounded_rows(self, plan: ItemPlan, uinner: np.ndarray):
        """``score_rows(start, stop, buffer)``: the raw block in float32 (``buffer``: a
        C-contiguous float32 array of at least ``stop - start`` rows), its :class:`Finish` and
        :class:`Bounded`; None for a block with an unknown user. None instead of the function
        where the bound does not apply: an unknown item, or factors that are not finite or too
        large for float32.

        At full LFM-1b scale the float32 product of 128 users x 581,417 artists x 100 factors
        takes 0.31 s on one core instead of 0.54 s in float64 (OpenBLAS), and the few candidates
        of each row the bound cannot rule out are scored exactly."""
        Q = plan.state.q_col
        if not plan.cols_known.all() or Q.shape[1] == 0:
            return None
        for a in (self.pu, Q):  # every factor finite and below the bound (min/max: NaN fails both tests)
            if a.size and not (a.min() > -_BOUND_MAX_FACTOR and a.max() < _BOUND_MAX_FACTOR):
                return None
        Q = np.ascontiguousarray(Q, dtype=np.float64)
        Q32 = Q.astype(np.float32)
        qnorm = np.sqrt(np.einsum("ij,ij->i", Q, Q))
        k = Q.shape[1]
        scale = _BOUND_SLACK * (k + 3) * 2.0**-24
        lo, hi = self.rating_scale
        mu = self.global_mean
        biased = self.kind == "svd"

        def score_rows(start: int, stop: int, buffer: np.ndarray):
            u = uinner[start:stop]
            if (u < 0).any():
                return None
            P = np.ascontiguousarray(self.pu[u], dtype=np.float64)
            raw = np.matmul(P.astype(np.float32), Q32.T, out=buffer[: u.size])
            err = scale * np.sqrt(np.einsum("ij,ij->i", P, P)) + k * _BOUND_ABS
            ub = mu + self.bu[u] if biased else np.zeros(0)
            bi = plan.state.bi_col if biased else np.zeros(0)
            return raw, Finish(MODES[self.kind], ub, bi, float(lo), float(hi)), Bounded(P, Q, err, qnorm)

        return score_rows

    def predict_pairs(self, u, i):
        from ..native import svd

        biased = self.kind == "svd"
        return svd.estimate(self.global_mean, self.bu if biased else None, self.bi if biased else None, self.pu, self.qi, u, i)

    @classmethod
    def describe(cls, spec: dict) -> str:
        p = dict(spec.get("params") or {})
        p.pop("verbose", None)
        parts = [
            "biased" if p.pop("biased", True) else "unbiased",
            f"k={p.pop('n_factors', 100)}",
            f"lr={p.pop('lr_all', 0.005)}",
            f"reg={p.pop('reg_all', 0.02)}",
            f"epochs={p.pop('n_epochs', 20)}",
        ]
        return ", ".join(parts + [f"{k}={v}" for k, v in sorted(p.items())])

    @classmethod
    def from_surprise(cls, algo, common):
        if getattr(algo, "pu", None) is None:
            raise ValueError("SVD is not fitted (no factors)")
        if algo.biased:
            return cls(kind="svd", bu=algo.bu, bi=algo.bi, pu=algo.pu, qi=algo.qi, **common)
        return cls(kind="mf", pu=algo.pu, qi=algo.qi, **common)

    @classmethod
    def surprise_algorithm(cls, spec: dict, seed: int):
        import surprise

        params = dict(spec.get("params") or {})
        params.setdefault("verbose", False)
        params["random_state"] = seed
        return surprise.SVD(**params)

    @classmethod
    def fit(cls, spec, seed, train, scale, exact=False):
        from ..native import svd, trainset

        ts = trainset.build(train, with_items=False)
        return cls.from_trainset(ts, scale, svd.fit(ts, spec.get("params") or {}, seed, exact))

    @classmethod
    def model_bytes(cls, spec, engine, n_users, n_items, n_ratings):
        ids = n_users + n_items
        if engine == "native":
            total = NATIVE_BYTES_PER_ID * ids
            total += NATIVE_BYTES_PER_RATING * n_ratings + 8 * _factors(spec) * ids
            return total
        total = TRAINSET_BYTES_PER_RATING * n_ratings
        total += 8 * ids * _factors(spec) * 2
        return total

    @classmethod
    def fit_seconds(cls, spec, engine, n_users, n_items, n_ratings):
        epochs = (spec.get("params") or {}).get("n_epochs", 20)
        if engine == "native":
            return epochs * (_NATIVE_S + _NATIVE_S_PER_FACTOR * _factors(spec)) * n_ratings
        trainset = TRAINSET_S_PER_RATING * n_ratings + SURPRISE_PREDICT_S_PER_RATING * n_ratings
        return trainset + epochs * (_SURPRISE_S + _SURPRISE_S_PER_FACTOR * _factors(spec)) * n_ratings

    @classmethod
    def scoring_cost(cls, spec, engine, n_users, n_ratings, ranking):
        return PER_PAIR_S + _SCORE_S_PER_FACTOR * _factors(spec), 0.0


def check_factors(p: ScoringParams) -> None:
    """``pu`` (n_users, f) and ``qi`` (n_items, f), as float64."""
    p.pu = np.asarray(p.pu, dtype=np.float64)
    p.qi = np.asarray(p.qi, dtype=np.float64)
    nu, ni = p.n_users, p.n_items
    if p.pu.ndim != 2 or p.qi.ndim != 2 or p.pu.shape[0] != nu or p.qi.shape[0] != ni or p.pu.shape[1] != p.qi.shape[1]:
        raise ValueError(f"ScoringParams.pu/qi have shapes {p.pu.shape}/{p.qi.shape}, expected ({nu}, f)/({ni}, f)")

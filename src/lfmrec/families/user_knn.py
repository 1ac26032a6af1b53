"""User-based KNNBasic (kind ``knn_basic``) and KNNWithMeans (``knn_means``), any similarity, k and
min_k: Surprise's estimate with ``heapq.nlargest``'s stable neighbour order, sums in that order and
its fallbacks (:func:`lfmrec.knn_estimate.knn_block`): bit for bit. An unknown user or item ->
the global mean; a pair the user already rated has the user among the raters (``sim[u, u]``).

Fitted by Surprise (the dense similarity ``sim``) or natively (msd; :mod:`lfmrec.native.knn`),
which keeps no similarity but its ``trainset``: the rows of a block of users are computed when the
block is scored or predicted (:mod:`lfmrec.native.knn_stream`), and its lists can be scored to a
list depth (:mod:`lfmrec.native.knn_topn`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from . import register
from .base import (
    BLOCK_TEMPORARIES,
    NATIVE_BYTES_PER_ID,
    PER_PAIR_S,
    SURPRISE_PREDICT_S_PER_RATING,
    TRAINSET_BYTES_PER_RATING,
    TRAINSET_S_PER_RATING,
    ItemPlan,
    ScoringParams,
)

# Users per block of the native msd similarity: its scratch arrays are MSD_BLOCK x n_users (the
# kernel's lfmrec.native.knn.MSD_BLOCK; not imported from there, which would load numba here).
MSD_BLOCK = 64
# Native memory per rating: the trainset's ur and ir arrays, ScoringParams' int64 copy of the
# raters and the deviations from the raters' means (57; peaks traced with tracemalloc, see
# lfmrec.resources); no users x users similarity: the rows of MSD_BLOCK users at a time (float64)
# and one row of sums and counts. Surprise holds three dense n_users x n_users arrays.
_NATIVE_BYTES_PER_RATING = 57
_SURPRISE_SIM_ARRAYS = 3
# Time: the users x users similarity dominates a fit (native, 38,949 users: a 5.3 min job), 250 ns
# per pair of users; predicting 2 us (native) or 10 us (Surprise) per rating. Scoring: Surprise's
# kNN 200 ns per (user, artist) pair (the compiled kernel at 10x); the native lists scored to their
# depth about 2 ns per user and training rating (full scale, 55,318 users x 28.3 M ratings: 53-56
# ms per user for the hard rule's lists, benchmarks/knn_scale.py); a ranking job's depth (a
# calibrated pool of 100) about 3x that.
_SIM_S_PER_USER_PAIR = 250e-9
_PREDICT_S = {"native": 2e-6, "surprise": 10e-6}
_SURPRISE_S_PER_PAIR = 200e-9
_KNN_S_PER_USER_RATING = 2e-9
_KNN_RANKING_DEPTH = 3
# Surprise's kNN block scoring: a few block x max(n_items, n_users) float64 temporaries; the native
# lists' scorer holds the popular items' ratings by user and the deviations (at most 36 bytes per
# rating) and a block's similarity rows (8 bytes per pair of users).
_SURPRISE_TEMPORARIES = 6
_PRUNED_BYTES_PER_RATING = 36


@register
@dataclass(eq=False)
class UserKnn(ScoringParams):
    """Fields: ``k``, ``min_k`` (>= 1 for knn_basic), ``ir_indptr`` (n_items + 1,), ``ir_users`` and
    ``ir_ratings`` (n_ratings,): the raters of each item in CSR form **in the order of
    ``trainset.ir[i]``** (the order of the training triples, which breaks ties between equal
    similarities; see :func:`lfmrec.scoring.build_item_raters`); ``means`` (n_users,) for
    knn_means; and ``sim`` (n_users, n_users), or instead the native engine's ``trainset``
    (:class:`lfmrec.native.trainset.Trainset` built with items) and ``min_support``."""

    sim: np.ndarray | None = None
    means: np.ndarray | None = None
    k: int | None = None
    min_k: int | None = None
    ir_indptr: np.ndarray | None = None
    ir_users: np.ndarray | None = None
    ir_ratings: np.ndarray | None = None
    trainset: Any = None
    min_support: int | None = None

    algorithms = ("KNNBasic", "KNNWithMeans")
    kinds = ("knn_basic", "knn_means")
    needs = {
        "knn_basic": ("k", "min_k", "ir_indptr", "ir_users", "ir_ratings"),
        "knn_means": ("means", "k", "min_k", "ir_indptr", "ir_users", "ir_ratings"),
    }
    native = True
    reads_surprise = True

    def check(self) -> None:
        nu, ni = self.n_users, self.n_items
        self._check_similarity(nu)
        self.k, self.min_k = int(self.k), int(self.min_k)
        if self.kind == "knn_basic" and self.min_k < 1:
            raise ValueError(
                f"knn_basic needs min_k >= 1 (got {self.min_k}): with min_k < 1 Surprise's "
                "KNNBasic.predict() raises ZeroDivisionError when no neighbour has sim > 0"
            )
        if self.kind == "knn_means":
            self._vector("means", nu)
        self.ir_indptr = np.asarray(self.ir_indptr, dtype=np.int64)
        self.ir_users = np.asarray(self.ir_users, dtype=np.int64)
        self.ir_ratings = np.asarray(self.ir_ratings, dtype=np.float64)
        ptr = self.ir_indptr
        if (
            ptr.shape != (ni + 1,)
            or ptr[0] != 0
            or np.any(np.diff(ptr) < 0)
            or ptr[-1] != self.ir_users.size
            or self.ir_users.shape != self.ir_ratings.shape
            or self.ir_users.ndim != 1
        ):
            raise ValueError(f"ScoringParams.ir_indptr/ir_users/ir_ratings are not a CSR over {ni} items (see build_item_raters)")
        if self.ir_users.size and (self.ir_users.min() < 0 or self.ir_users.max() >= nu):
            raise ValueError("ScoringParams.ir_users holds ids outside 0..n_users-1")

    def _check_similarity(self, nu: int) -> None:
        if self.sim is None:
            ts = self.trainset
            if ts is None or self.min_support is None:
                raise ValueError(f"ScoringParams(kind={self.kind!r}) needs sim, or trainset and min_support")
            if ts.n_users != nu or ts.ir_ptr is None:
                raise ValueError(f"ScoringParams.trainset must hold {nu} users and its item arrays (with_items=True)")
            self.min_support = int(self.min_support)
            return
        self.sim = np.asarray(self.sim, dtype=np.float64)
        if self.sim.shape != (nu, nu):
            raise ValueError(f"ScoringParams.sim has shape {self.sim.shape}, expected ({nu}, {nu})")
        if np.isnan(self.sim).any():
            raise ValueError("ScoringParams.sim holds NaN: Surprise's neighbour order is undefined then")

    def prunable(self) -> bool:
        """The native msd kNN, which holds its trainset instead of a dense similarity."""
        return self.sim is None

    def plan_items(self, plan: ItemPlan, pruned: bool) -> None:
        from ..knn_estimate import ir_in_id_order, user_ratings

        if pruned and self.prunable():
            from ..native.knn_topn import PrunedKnn

            plan.pruned = PrunedKnn(self, plan.inner)
            return
        # Surprise's r - means[v], computed once per rating instead of once per neighbour: same bits
        values = self.ir_ratings if self.kind == "knn_basic" else self.ir_ratings - self.means[self.ir_users]
        plan.state = user_ratings(self.ir_indptr, self.ir_users, values, self.n_users) + (
            ir_in_id_order(self.ir_indptr, self.ir_users),
        )

    def score_block(self, plan, uinner, buffer, defer):
        from ..knn_estimate import knn_block

        ukn = uinner >= 0
        mu = self.global_mean
        lo, hi = self.rating_scale
        out = np.empty((uinner.size, plan.inner.size)) if buffer is None else buffer[: uinner.size]
        # the known users' estimates straight into the block (an unknown item's column: the global mean)
        rows = np.flatnonzero(ukn)
        est = out if rows.size == uinner.size else np.empty((rows.size, plan.inner.size))
        if rows.size:
            with_means = self.kind == "knn_means"
            users = uinner[rows]
            sim, means = self.sim, self.means if with_means else np.zeros(0)
            if sim is None:  # the native msd kNN: this block's similarity rows only
                from ..native.knn_stream import similarity_rows

                sim = similarity_rows(self.trainset, self.min_support, users)
                users, means = np.arange(users.size), means[users] if with_means else means
            knn_block(sim, users, plan.inner, *plan.state, self.k, self.min_k, with_means, means, mu, est)
        if est is not out:
            out[:] = mu  # unknown users: the global mean
            out[rows] = est
        np.minimum(out, hi, out=out)  # Surprise: est = min(hi, est); est = max(lo, est)
        np.maximum(out, lo, out=out)
        return (out, None) if defer else out

    def predict_pairs(self, u, i):
        from ..native import knn, knn_stream

        if self.sim is None:  # native msd kNN: the similarity rows of a block of users at a time
            configs = [(self.kind, self.k, self.min_k)]
            return knn_stream.predict_streamed(self.trainset, self.min_support, u, i, configs, knn_stream.DEFAULT_BLOCK_USERS)[0]
        means = self.means if self.kind == "knn_means" else None
        return knn.estimate(
            self.global_mean, self.sim, self.ir_indptr, self.ir_users, self.ir_ratings, means, self.k, self.min_k, u, i
        )

    @classmethod
    def describe(cls, spec: dict) -> str:
        p = dict(spec.get("params") or {})
        p.pop("verbose", None)
        sim = dict(p.pop("sim_options", None) or {})
        sim.pop("user_based", None)
        parts = [f"k={p.pop('k', 40)}", f"sim={sim.pop('name', 'msd')}"]
        if p.get("min_k", 1) == 1:
            p.pop("min_k", None)
        parts += [f"{k}={v}" for k, v in sorted(sim.items())]
        return ", ".join(parts + [f"{k}={v}" for k, v in sorted(p.items())])

    @classmethod
    def validate_native(cls, spec: dict, key: str) -> None:
        sim = (spec.get("params") or {}).get("sim_options") or {}
        where = f"config {key}.params.sim_options"
        name = str(sim.get("name", "msd")).lower()
        if name != "msd":
            raise InputError(
                f"{where}.name",
                f"is {name!r}: the native engine computes msd only",
                "use name: msd, or engine: surprise for other similarities",
            )
        if sim.get("user_based", True) is not True:
            raise InputError(
                f"{where}.user_based",
                "is false: the native engine is user-based only",
                "use user_based: true, or engine: surprise",
            )
        if sim.get("min_support", 1) < 1:
            raise InputError(
                f"{where}.min_support",
                "is 0: Surprise's msd divides by zero for two users without a common item (ZeroDivisionError)",
                "use min_support >= 1 (1 is the default)",
            )

    @classmethod
    def from_surprise(cls, algo, common):
        name = type(algo).__name__
        if not algo.sim_options.get("user_based", True):
            raise ValueError(
                f"item-based {name} (sim_options user_based=False) is not supported; only user-based kNN can be scored"
            )
        if getattr(algo, "sim", None) is None:
            raise ValueError(f"{name} is not fitted (no similarity matrix)")
        ts = algo.trainset
        counts = np.fromiter((len(ts.ir[i]) for i in range(ts.n_items)), np.int64, ts.n_items)
        indptr = np.zeros(ts.n_items + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        n = int(indptr[-1])
        users = np.fromiter((v for i in range(ts.n_items) for (v, _) in ts.ir[i]), np.int64, n)
        ratings = np.fromiter((r for i in range(ts.n_items) for (_, r) in ts.ir[i]), np.float64, n)
        kw = dict(sim=algo.sim, k=algo.k, min_k=algo.min_k, ir_indptr=indptr, ir_users=users, ir_ratings=ratings)
        if name == "KNNBasic":
            return cls(kind="knn_basic", **kw, **common)
        return cls(kind="knn_means", means=algo.means, **kw, **common)

    @classmethod
    def surprise_algorithm(cls, spec: dict, seed: int):
        import surprise

        params = dict(spec.get("params") or {})
        params.setdefault("verbose", False)
        params.setdefault("sim_options", {"name": "msd", "user_based": True})
        return getattr(surprise, spec["algorithm"])(**params)

    @classmethod
    def fit(cls, spec, seed, train, scale, exact=False):
        from ..native import knn, trainset

        ts = trainset.build(train, with_items=True)
        return cls.from_trainset(ts, scale, knn.fit(ts, spec.get("params") or {}, spec["algorithm"]))

    @classmethod
    def model_bytes(cls, spec, engine, n_users, n_items, n_ratings):
        if engine == "native":
            total = NATIVE_BYTES_PER_ID * (n_users + n_items)
            total += _NATIVE_BYTES_PER_RATING * n_ratings + 8 * MSD_BLOCK * n_users + 16 * n_users
            return total
        total = TRAINSET_BYTES_PER_RATING * n_ratings
        total += _SURPRISE_SIM_ARRAYS * 8 * n_users * n_users
        return total

    @classmethod
    def fit_seconds(cls, spec, engine, n_users, n_items, n_ratings):
        seconds = _SIM_S_PER_USER_PAIR * n_users * n_users + _PREDICT_S[engine] * n_ratings
        if engine == "native":
            return seconds
        return TRAINSET_S_PER_RATING * n_ratings + SURPRISE_PREDICT_S_PER_RATING * n_ratings + seconds

    @classmethod
    def scoring_cost(cls, spec, engine, n_users, n_ratings, ranking):
        if engine == "native":  # scored to the lists' depth (lfmrec.native.knn_topn)
            return PER_PAIR_S, _KNN_S_PER_USER_RATING * n_ratings * (_KNN_RANKING_DEPTH if ranking else 1)
        return _SURPRISE_S_PER_PAIR, 0.0

    @classmethod
    def block_temporaries(cls, spec, engine):
        return BLOCK_TEMPORARIES if engine == "native" else _SURPRISE_TEMPORARIES

    @classmethod
    def scoring_extra_bytes(cls, spec, engine, n_users, n_ratings, block_users):
        if engine != "native":
            return 0.0
        return _PRUNED_BYTES_PER_RATING * n_ratings + 8 * block_users * n_users

    @classmethod
    def memory_hint(cls, spec: dict) -> str:
        return "sample fewer users (sample.n_users) or drop the kNN models"

"""ALS (implicit's ``AlternatingLeastSquares``, Hu, Koren & Volinsky 2008): kind ``factors``, the
score ``pu[u] . qi[i]`` of the factors implicit fitted (float32, held as float64: the conversion is
exact, so the block product only differs from implicit's float32 ``recommend()`` scores by
float32's rounding); never clipped. An unknown user or item scores 0, as a user or item without
training interactions does in implicit (its factors solve to zero). The reference models
(:mod:`.references`) are scored by this class too."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ids import inner_ids
from . import register
from ._linear import plan_linear
from .base import PER_PAIR_S, ItemPlan, ScoringParams, make_plan
from .factors import check_factors

# implicit's ALS: ~10 ns per rating, factor and iteration (measured on the default data and on a
# random 20,000 x 99,205 matrix with 1.9 M pairs, on a loaded machine, so rather high); memory:
# float32 copies of the matrix (CSR, its transpose, alpha x it) and the factors in float32
# (implicit) and float64 (here), plus implicit's float32 scratch. Scoring as SVD's.
_S_PER_RATING_FACTOR_ITERATION = 10e-9
_BYTES_PER_RATING = 40
_BYTES_PER_FACTOR = 4 + 8 + 4
_SCORE_S_PER_FACTOR = 0.12e-9
TOPN_BYTES_PER_RATING = 40  # every top-n fit: the interaction matrix and its transposed copies
TOPN_S_PER_RATING = 2e-6  # every top-n fit: the interaction matrix; scoring the held-out pairs


@register
@dataclass(eq=False)
class ALS(ScoringParams):
    """Fields: ``pu`` (n_users, f), ``qi`` (n_items, f)."""

    pu: np.ndarray | None = None
    qi: np.ndarray | None = None

    algorithms = ("ALS",)
    kinds = ("factors",)
    needs = {"factors": ("pu", "qi")}
    topn = True
    defaults = {"factors": 100, "regularization": 0.01, "alpha": 1.0, "iterations": 15, "feedback": "binary"}
    fitted_by = "implicit"

    def check(self) -> None:
        check_factors(self)

    def plan_items(self, plan: ItemPlan, pruned: bool) -> None:
        plan.state = plan_linear(plan, None, self.qi)

    def score_block(self, plan, uinner, buffer, defer):
        ukn = uinner >= 0
        out = np.empty((uinner.size, plan.inner.size)) if buffer is None else buffer[: uinner.size]
        P = np.where(ukn[:, None], self.pu[np.where(ukn, uinner, 0)], 0.0)  # unknown users and items: zero rows
        out = np.matmul(P, plan.state.q_col.T, out=out)
        return (out, None) if defer else out

    def score_pairs_block(self, users: np.ndarray, row: np.ndarray, items: np.ndarray) -> np.ndarray:
        block_items, col = np.unique(items, return_inverse=True)
        scores = self.score_block(make_plan(self, block_items), inner_ids(users, self.user_raw2inner), None, False)
        return scores[row, col]

    @classmethod
    def fit(cls, spec, seed, train, scale, exact=False):
        from ..ranking_models import fit_als, interaction_matrix, topn_common

        p = cls.params_of(spec)
        X, users, items = interaction_matrix(train, p["feedback"])
        pu, qi = fit_als(X, p["factors"], p["regularization"], p["alpha"], p["iterations"], seed)
        # float32 -> float64 is exact: the scores are the dot products of implicit's factors
        return ScoringParams(
            kind="factors", pu=pu.astype(np.float64), qi=qi.astype(np.float64), **topn_common(train, users, items)
        )

    @classmethod
    def model_bytes(cls, spec, engine, n_users, n_items, n_ratings):
        p = cls.params_of(spec)
        total = TOPN_BYTES_PER_RATING * n_ratings
        total += _BYTES_PER_RATING * n_ratings + _BYTES_PER_FACTOR * (n_users + n_items) * p["factors"]
        return total

    @classmethod
    def fit_seconds(cls, spec, engine, n_users, n_items, n_ratings):
        p = cls.params_of(spec)
        return TOPN_S_PER_RATING * n_ratings + _S_PER_RATING_FACTOR_ITERATION * n_ratings * p["factors"] * p["iterations"]

    @classmethod
    def scoring_cost(cls, spec, engine, n_users, n_ratings, ranking):
        return PER_PAIR_S + _SCORE_S_PER_FACTOR * cls.params_of(spec)["factors"], 0.0

"""ItemKNN (implicit's ``CosineRecommender``): kind ``item_knn``, the score ``X[u] @ S[:, i]`` with
``X`` the training interactions (users x items, CSR) and ``S`` the sparse item x item similarity
(row ``j``: the ``K`` items most similar to ``j``), the sums implicit's ``recommend()`` ranks by;
never clipped, an unknown user or item scores 0. :class:`ItemItem` is the scoring it shares with
EASE (:mod:`.ease`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ids import inner_ids
from . import register
from .base import ItemPlan, ScoringParams

# implicit's item kNN visits, for every item, every item of every listener: sum over users of
# degree^2 ~ 1.75 n_ratings^2 / n_users (log-normal user degrees, sigma 0.75), at ~55 ns each
# (cache misses at 10^5 items); it holds 24 bytes per (item, neighbour) slot while it collects the
# neighbours, then the similarity as CSR and a float64 copy of its values: 29 bytes per slot
# measured at 99,205 items x K=200. Scoring ~60 ns per pair (a sparse product made dense), with
# a few block-sized temporaries.
_S_PER_VISIT = 60e-9
_BYTES_PER_SLOT = 32
_SCORE_S_PER_PAIR = 60e-9
_TEMPORARIES = 6


@dataclass(eq=False)
class ItemItem(ScoringParams):
    """Scores ``interactions @ item_item``: ``interactions`` (n_users, n_items) CSR and
    ``item_item`` (n_items, n_items), CSR (item_knn) or dense (ease)."""

    interactions: Any = None
    item_item: Any = None

    topn = True

    def check(self) -> None:
        import scipy.sparse as sp

        nu, ni = self.n_users, self.n_items
        x = self.interactions
        if not sp.issparse(x) or x.format != "csr" or x.shape != (nu, ni):
            raise ValueError(f"ScoringParams.interactions must be a CSR matrix of shape ({nu}, {ni})")
        self.check_item_item()

    def check_item_item(self) -> None:
        raise NotImplementedError

    def plan_items(self, plan: ItemPlan, pruned: bool) -> None:
        # the requested columns of known items, and their inner ids (None when the requested
        # items are all items in inner-id order); the matrix is never copied
        known_cols = np.flatnonzero(plan.cols_known)
        cols = plan.inner[plan.cols_known]
        take = None if cols.size == plan.inner.size and np.array_equal(cols, np.arange(self.n_items)) else cols
        plan.state = (known_cols, take)

    def score_block(self, plan, uinner, buffer, defer):
        """``interactions[u] @ item_item`` for a block of users (sparse @ sparse for item_knn,
        sparse @ dense for ease) over all items, then the requested columns; unknown users and
        items score 0. Always a fresh array."""
        known_cols, take = plan.state
        rows = np.flatnonzero(uinner >= 0)
        got = self.product(uinner[rows])
        if take is None and rows.size == uinner.size:
            out = got
        else:
            out = np.zeros((uinner.size, plan.inner.size))
            out[np.ix_(rows, known_cols)] = got if take is None else got[:, take]
        return (out, None) if defer else out

    def product(self, uinner: np.ndarray, dense: bool = True):
        """``interactions[uinner] @ item_item``: float64 ndarray (``dense``) or, for item_knn, CSR."""
        got = self.interactions[uinner] @ self.item_item
        if hasattr(got, "toarray"):
            if not dense:
                return got.tocsr()
            got = got.toarray()
        return np.asarray(got, dtype=np.float64)

    def score_pairs_block(self, users: np.ndarray, row: np.ndarray, items: np.ndarray) -> np.ndarray:
        out = np.zeros(row.size)
        uin = inner_ids(users, self.user_raw2inner)
        iin = inner_ids(items, self.item_raw2inner)
        ok = (uin[row] >= 0) & (iin >= 0)
        if ok.any():
            got = self.product(np.maximum(uin, 0), dense=False)
            r, c = row[ok], iin[ok]
            out[ok] = np.asarray(got[r, c]).ravel() if hasattr(got, "tocsr") else got[r, c]
        return out

    @classmethod
    def fit(cls, spec, seed, train, scale, exact=False):
        from ..ranking_models import interaction_matrix, topn_common

        p = cls.params_of(spec)
        X, users, items = interaction_matrix(train, p["feedback"])
        return ScoringParams(kind=cls.kinds[0], interactions=X, item_item=cls.weights(X, p), **topn_common(train, users, items))

    @classmethod
    def weights(cls, X, p: dict):
        """The item x item matrix fitted on the interactions ``X``."""
        raise NotImplementedError


@register
@dataclass(eq=False)
class ItemKnn(ItemItem):
    algorithms = ("ItemKNN",)
    kinds = ("item_knn",)
    needs = {"item_knn": ("interactions", "item_item")}
    defaults = {"K": 20, "feedback": "binary"}
    fitted_by = "implicit"

    def check_item_item(self) -> None:
        import scipy.sparse as sp

        m, ni = self.item_item, self.n_items
        if not sp.issparse(m) or m.format != "csr" or m.shape != (ni, ni):
            raise ValueError(f"ScoringParams.item_item (item_knn) must be a CSR matrix of shape ({ni}, {ni})")

    @classmethod
    def weights(cls, X, p):
        from ..ranking_models import fit_item_knn

        return fit_item_knn(X, p["K"])

    @classmethod
    def model_bytes(cls, spec, engine, n_users, n_items, n_ratings):
        from .als import TOPN_BYTES_PER_RATING

        total = TOPN_BYTES_PER_RATING * n_ratings
        total += _BYTES_PER_SLOT * n_items * min(cls.params_of(spec)["K"], n_items)
        return total

    @classmethod
    def fit_seconds(cls, spec, engine, n_users, n_items, n_ratings):
        from .als import TOPN_S_PER_RATING

        return TOPN_S_PER_RATING * n_ratings + _S_PER_VISIT * 1.75 * n_ratings**2 / max(n_users, 1)

    @classmethod
    def scoring_cost(cls, spec, engine, n_users, n_ratings, ranking):
        return _SCORE_S_PER_PAIR, 0.0

    @classmethod
    def block_temporaries(cls, spec, engine):
        return _TEMPORARIES

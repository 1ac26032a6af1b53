"""EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): kind ``ease``,
the score ``X[u] @ B`` with ``B`` the dense item x item weights of the closed form
(:func:`lfmrec.ranking_models.ease_weights`); never clipped, an unknown user or item scores 0. It
holds a dense items x items matrix: fine for the default sample, impossible for all of LFM-1b
(581,000 artists, 2.7 TB), which the memory check refuses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import register
from .item_knn import ItemItem

# The dense items x items Gram matrix inverted in place (Cholesky) into B, plus block
# temporaries: 1.35 x 8 bytes x items^2 measured at 7,976 items. Cholesky inverse ~n_items^3 flops
# at ~15 GFlop/s (16 s of CPU per fold at 7,033 items), X^T X ~1 ns per rating and item. Scoring
# ~2.5 ns per pair and rating of the user (each rating reads a row of B), with a dense product
# and its requested columns as temporaries.
_MATRICES = 1.5
_FLOPS = 15e9
_GRAM_S = 1e-9
_SCORE_S_PER_PAIR_RATING = 2.5e-9
_TEMPORARIES = 4


@register
@dataclass(eq=False)
class EASE(ItemItem):
    algorithms = ("EASE",)
    kinds = ("ease",)
    needs = {"ease": ("interactions", "item_item")}
    defaults = {"reg": 100.0, "feedback": "binary"}
    fitted_by = "numpy"

    def check_item_item(self) -> None:
        m = self.item_item = np.asarray(self.item_item, dtype=np.float64)
        if m.shape != (self.n_items, self.n_items):
            raise ValueError(f"ScoringParams.item_item (ease) has shape {m.shape}, expected ({self.n_items}, {self.n_items})")

    @classmethod
    def weights(cls, X, p):
        from ..ranking_models import ease_weights

        return ease_weights(X, p["reg"])

    @classmethod
    def model_bytes(cls, spec, engine, n_users, n_items, n_ratings):
        from .als import TOPN_BYTES_PER_RATING

        total = TOPN_BYTES_PER_RATING * n_ratings
        total += _MATRICES * 8 * n_items * n_items
        return total

    @classmethod
    def fit_seconds(cls, spec, engine, n_users, n_items, n_ratings):
        from .als import TOPN_S_PER_RATING

        return TOPN_S_PER_RATING * n_ratings + n_items**3 / _FLOPS + _GRAM_S * n_ratings * n_items

    @classmethod
    def scoring_cost(cls, spec, engine, n_users, n_ratings, ranking):
        return _SCORE_S_PER_PAIR_RATING * n_ratings / max(n_users, 1), 0.0

    @classmethod
    def block_temporaries(cls, spec, engine):
        return _TEMPORARIES

    @classmethod
    def memory_hint(cls, spec: dict) -> str:
        return "drop EASE at this scale (a dense artists x artists matrix) or sample fewer artists"

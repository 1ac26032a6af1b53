"""The reference models' lists (``popular``, ``random``): rank-k factor models scored as ALS's
(:mod:`.als`), so that their lists go through the same selection, country rule and counts as
every model's. Not a config algorithm: rules fit_reference and rank_reference make them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .als import ALS
from .base import PER_PAIR_S

RANDOM_REFERENCE_FACTORS = 32
REFERENCES = ("popular", "random")


@dataclass(eq=False)
class Reference(ALS):
    """Fields as :class:`~.als.ALS` (kind ``factors``)."""

    algorithms = ()

    @classmethod
    def make(cls, name: str, triples: pd.DataFrame, seed: int) -> Reference:
        """The reference ``name`` on ``triples``:

        - ``popular``: one factor, 1 for every user and the artist's number of distinct
          listeners in ``triples`` for every artist (the score is the listener count; ties by
          artist id, as every model's phase-2 lists);
        - ``random``: 32 seeded standard-normal factors per user and artist: a ranking that knows
          nothing of the data (each user's list is the top of a random projection; every artist
          is equally likely in expectation over seeds)."""
        from ..ranking_models import interaction_matrix, topn_common

        if name not in REFERENCES:
            raise ValueError(f"unknown reference {name!r}: use popular or random")
        X, users, items = interaction_matrix(triples, "binary")
        common = topn_common(triples, users, items)
        common["rating_scale"] = (float(triples["rating"].min()), float(triples["rating"].max()))
        if name == "popular":
            listeners = np.bincount(X.indices, minlength=items.size).astype(np.float64)
            return cls(kind="factors", pu=np.ones((users.size, 1)), qi=listeners[:, None], **common)
        rng = np.random.default_rng([int(seed) % 2**64, 0xAB5E])
        return cls(
            kind="factors",
            pu=rng.standard_normal((users.size, RANDOM_REFERENCE_FACTORS)),
            qi=rng.standard_normal((items.size, RANDOM_REFERENCE_FACTORS)),
            **common,
        )

    @classmethod
    def scoring_cost(cls, spec, engine, n_users, n_ratings, ranking):
        return PER_PAIR_S, 0.0

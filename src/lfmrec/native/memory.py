"""Peak memory of a native fit + ``predict_pairs``: a linear model fitted to measurements.

    bytes = 100 (n_users + n_items)                               raw -> inner dicts, id lookups
          + SVD:      32 n_ratings + 8 n_factors (n_users + n_items)
          + Baseline: 32 n_ratings (SGD) or 41 n_ratings (ALS) + 16 (n_users + n_items)
          + kNN:      49 n_ratings + 9 n_users**2 + 16 MSD_BLOCK n_users

Per rating: the ur arrays (int32 + float64), id codes and predict temporaries (32); ALS and kNN
add ir and the ratings by item (41); kNN adds ScoringParams' int64 copy of the raters (49). kNN's
``n_users**2`` term is the dense similarity (float64) and ScoringParams' NaN check (bool), plus
the msd scratch rows. The constants come from peaks traced with tracemalloc (numpy and numba
allocations; the interpreter and the input DataFrame excluded) of fit + predict_pairs of a test
part of n_ratings / 4 pairs: default data fold (2,249 users, 7,033 items, 40,948 ratings): ALS
2.7 MB, SVD k100 9.6 MB, KNNWithMeans 48.0 MB; synthetic 55,000 users x 295,580 items x 2.4 M
ratings: SGD baseline 84 MB, ALS 135 MB, MF k20 134 MB, SVD k100 359 MB; 8,000 users x 50,000
items x 0.8 M ratings: KNNWithMeans 612 MB. The estimates are 0-40 % above these (never below).
"""

from __future__ import annotations

from .knn import MSD_BLOCK

_BYTES_PER_RATING = 32  # ur arrays (int32 + float64), id codes, predict temporaries
_BYTES_PER_RATING_ITEMS = 41  # + ir and ur-by-item arrays (ALS, kNN)
_BYTES_PER_RATING_KNN = 49  # + ScoringParams' int64 copy of the raters
_BYTES_PER_ID = 100  # raw -> inner dicts (Python ints) and id lookups, per user and per item
_BYTES_PER_USER_PAIR = 9  # kNN: sim (float64) + ScoringParams' NaN check (bool)


def estimate_memory_gb(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    """Peak memory of a native fit and predict_pairs of ``spec`` (a config model entry), in GB."""
    algorithm = spec["algorithm"]
    params = spec.get("params") or {}
    ids = n_users + n_items
    total = _BYTES_PER_ID * ids
    if algorithm == "SVD":
        total += _BYTES_PER_RATING * n_ratings + 8 * params.get("n_factors", 100) * ids
    elif algorithm == "BaselineOnly":
        sgd = (params.get("bsl_options") or {}).get("method") == "sgd"
        total += (_BYTES_PER_RATING if sgd else _BYTES_PER_RATING_ITEMS) * n_ratings + 16 * ids
    else:
        total += (_BYTES_PER_RATING_KNN * n_ratings + _BYTES_PER_USER_PAIR * n_users * n_users
                  + 16 * MSD_BLOCK * n_users)
    return total / 1e9

"""Phase 2 of the paper (section 5): cross-cultural top-n lists and deletion counts.

For a user, the candidates are the artists with at least one rating in the sample that the user has
not played, ranked by score with ties broken by artist_id ascending. The *initial* top-n is the n
best candidates; the user's *deletions* are the artists in it whose estimated country equals the
user's. The *final* list is the n best candidates from another country (the paper deletes the
same-country artists and refills from the next best).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the ``n`` best finite scores per row: score descending, ties by column.

    Columns must be ordered by artist_id so that "ties by column" means "ties by artist_id".
    Excluded entries are -inf. Returns (rows, cols) of the selected entries, ordered by row then
    rank; a row with fewer than n finite scores yields fewer entries.
    """
    b, m = scores.shape
    if b == 0 or m == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if m > n:
        # the n-th largest score per row; everything at or above it is a candidate (ties included)
        thresh = -np.partition(-scores, n - 1, axis=1)[:, n - 1]
        mask = scores >= thresh[:, None]
    else:
        mask = np.ones_like(scores, dtype=bool)
    mask &= np.isfinite(scores)
    rows, cols = np.nonzero(mask)  # row-major: columns ascending within a row
    vals = scores[rows, cols]
    order = np.lexsort((-vals, rows))  # stable: equal scores keep ascending columns
    rows, cols = rows[order], cols[order]
    start = np.searchsorted(rows, np.arange(b))
    rank = np.arange(rows.size) - start[rows]
    keep = rank < n
    return rows[keep], cols[keep]


def recommend_block(
    scores: np.ndarray,
    played: sp.csr_matrix,
    user_country: np.ndarray,
    item_country: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cross-cultural top-n for a block of users.

    ``scores`` (users x candidate items, items ordered by artist_id), ``played`` (same shape,
    non-zero where the user played the artist), ``user_country`` and ``item_country`` as integer
    codes of one shared vocabulary (-1 = unknown, never equal to a user's country).

    Returns (rows, cols) of the final lists ordered by row then rank, the deletions per user and
    the number of foreign candidates per user.
    """
    s = np.array(scores, dtype=np.float64, copy=True)
    pr, pc = played.nonzero()
    s[pr, pc] = -np.inf
    r0, c0 = top_n(s, n)
    same = item_country[c0] == user_country[r0]
    deletions = np.bincount(r0[same], minlength=s.shape[0])
    home = item_country[None, :] == user_country[:, None]
    s[home] = -np.inf
    n_foreign = np.isfinite(s).sum(axis=1)
    rows, cols = top_n(s, n)
    return rows, cols, deletions, n_foreign


def country_codes(*columns: Iterable) -> dict[str, int]:
    """One integer code per country string over all the given columns (missing values excluded)."""
    values = set()
    for col in columns:
        values.update(str(v) for v in pd.Series(col).dropna())
    return {c: i for i, c in enumerate(sorted(values))}


def encode(values, codes: dict[str, int]) -> np.ndarray:
    return np.array([codes.get(str(v), -1) if not pd.isna(v) else -1 for v in values], dtype=np.int64)


def deletion_summary(model: str, per_user: pd.DataFrame) -> dict:
    """One row of results/deletions.csv from a model's per-user deletion counts."""
    d = per_user["deletions"].to_numpy()
    return {
        "model": model,
        "users": int(d.size),
        "deletions": int(d.sum()),
        "users_with_deletions": int((d > 0).sum()),
        "mean_per_user": float(d.mean()) if d.size else 0.0,
    }

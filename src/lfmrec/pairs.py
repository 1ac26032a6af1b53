"""Pair matrices: (user, artist) pairs as the boolean users x artists CSR matrix every list builder
takes as "played" (:func:`pair_matrix`), counts of a matrix's entries by a code of their columns
(:func:`code_counts`: artists by country), and candidate support (:func:`few_listeners`: the columns
with too few listeners, ``recommend.min_listeners``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._numba import njit
from .ids import positions


@njit(cache=True)
def _pairs_csr(u, i, n_rows):
    """CSR (indptr, indices) of the pairs (u[k], i[k]) with both >= 0: a counting sort by row,
    then each row's columns sorted and repeated ones dropped."""
    ptr = np.zeros(n_rows + 1, np.int64)
    for k in range(u.size):
        if u[k] >= 0 and i[k] >= 0:
            ptr[u[k] + 1] += 1
    for r in range(n_rows):
        ptr[r + 1] += ptr[r]
    idx = np.empty(ptr[n_rows], np.int32)
    fill = ptr[:-1].copy()
    for k in range(u.size):
        if u[k] >= 0 and i[k] >= 0:
            idx[fill[u[k]]] = i[k]
            fill[u[k]] += 1
    out = np.zeros(n_rows + 1, np.int64)
    w = 0
    for r in range(n_rows):
        row = idx[ptr[r] : ptr[r + 1]]
        row.sort()  # in place; the writes below never pass the row's start
        for t in range(row.size):
            if t == 0 or row[t] != row[t - 1]:
                idx[w] = row[t]
                w += 1
        out[r + 1] = w
    return out, idx[:w]


def pair_matrix(pairs: pd.DataFrame, user_ids, item_ids) -> sp.csr_matrix:
    """Boolean (len(user_ids), len(item_ids)) CSR, True at the (user_id, artist_id) pairs, column
    indices sorted, a repeated pair once.

    Pairs whose user or artist is not in ``user_ids`` / ``item_ids`` are dropped.
    """
    shape = (len(user_ids), len(item_ids))
    if shape[1] >= 2**31:
        raise ValueError(f"{shape[1]} items: column indices beyond int32")
    u = positions(user_ids, pairs["user_id"].to_numpy())
    i = positions(item_ids, pairs["artist_id"].to_numpy())
    ptr, idx = _pairs_csr(u, i, shape[0])
    mat = sp.csr_matrix((np.ones(idx.size, dtype=bool), idx, ptr), shape=shape)
    mat.has_sorted_indices = True
    mat.has_canonical_format = True
    return mat


@njit(cache=True, nogil=True)
def _row_counts(idx, out):
    for r in range(idx.shape[0]):
        for j in range(idx.shape[1]):
            out[r, idx[r, j]] += 1.0


def row_counts(idx: np.ndarray, k: int) -> np.ndarray:
    """(rows, k) float64: how often each of 0..k-1 occurs in each row of the integer matrix ``idx``
    (``np.bincount`` per row, in one pass without an index array of the matrix's size)."""
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= k):
        raise ValueError(f"row_counts: values must be in [0, {k})")
    out = np.zeros((idx.shape[0], k))
    _row_counts(idx, out)
    return out


def code_counts(matrix: sp.csr_matrix, column_code: np.ndarray, k: int, weighted: bool = False) -> np.ndarray:
    """(rows, k) float64: per row of ``matrix`` (canonical CSR), its stored entries counted by the
    code of their column (``column_code``, 0..k-1; a negative code is not counted); ``weighted``:
    their values summed instead."""
    b = matrix.shape[0]
    rows = np.repeat(np.arange(b, dtype=np.int64), np.diff(matrix.indptr))
    codes = np.asarray(column_code, dtype=np.int64)[matrix.indices]
    keep = codes >= 0
    weights = np.asarray(matrix.data, dtype=np.float64)[keep] if weighted else None
    return np.bincount(rows[keep] * k + codes[keep], weights=weights, minlength=b * k).reshape(b, k).astype(np.float64)


def few_listeners(played: sp.spmatrix, min_listeners: int) -> np.ndarray | None:
    """Columns of ``played`` (users x items, non-zero where the user listened) with fewer than
    ``min_listeners`` distinct listeners: True = not a candidate for anyone.

    ``None`` when ``min_listeners <= 1`` (every column is a candidate: the paper), so that the
    callers skip the masking altogether and their results stay byte for byte what they were.
    """
    if min_listeners <= 1:
        return None
    m = sp.csr_matrix(played, copy=True)
    m.eliminate_zeros()
    m.sum_duplicates()  # one entry per (user, item): counts are distinct listeners
    return np.bincount(m.indices, minlength=m.shape[1]) < int(min_listeners)

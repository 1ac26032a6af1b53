"""Surprise's Trainset as arrays (surprise/trainset.py, surprise/dataset.py).

``Dataset.load_from_df(df, reader).build_full_trainset()`` reads the rows in order and gives each
new raw user / item the next inner id (``0, 1, ...`` in order of first appearance); ``ur[u]`` lists
the ``(item, rating)`` of user u and ``ir[i]`` the ``(user, rating)`` of item i, both in row order;
``all_ratings()`` visits users ``0..n_users-1`` and each user's ``ur[u]``; and

    global_mean = np.mean([r for (_, _, r) in all_ratings()])

:func:`build` returns the same data in CSR form: inner ids int32 (``pd.factorize`` without
sorting: order of first appearance), ratings float64, the groups built with a stable counting
sort (row order kept within a group), and ``global_mean`` from ``np.mean`` of the ratings in
``all_ratings()`` order (the same numpy call on the same values in the same order: the same bits).
Raw ids are the column's Python scalars (``Index.tolist()``: ``int`` for an int64 column), as
``DataFrame.itertuples`` hands them to Surprise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._numba import njit
from ..errors import InputError


@dataclass(frozen=True)
class Trainset:
    """Surprise's Trainset in CSR form (inner ids int32, ratings float64).

    ``ur_*``: each user's ratings in row order (``trainset.ur``, hence ``all_ratings()``);
    ``ir_*``: each item's raters in row order (``trainset.ir``); ``ur_by_item_*``: each user's
    ratings sorted by inner item id, ties in row order (the msd similarity's order). The ``ir``
    and ``ur_by_item`` arrays are None unless built ``with_items``.
    """

    user_raw2inner: dict[Any, int]
    item_raw2inner: dict[Any, int]
    global_mean: float
    ur_ptr: np.ndarray
    ur_items: np.ndarray
    ur_ratings: np.ndarray
    ir_ptr: np.ndarray | None = None
    ir_users: np.ndarray | None = None
    ir_ratings: np.ndarray | None = None
    ur_by_item_items: np.ndarray | None = None
    ur_by_item_ratings: np.ndarray | None = None

    @property
    def n_users(self) -> int:
        return self.ur_ptr.size - 1

    @property
    def n_items(self) -> int:
        return len(self.item_raw2inner)


@njit(cache=True)
def _first_appearance(values, bound):
    """``pd.factorize(values, sort=False)`` of non-negative integers below ``bound``: a code per
    value in order of first appearance (int32), through a table instead of a hash."""
    code = np.full(bound, -1, np.int32)
    out = np.empty(values.size, np.int32)
    uniques = np.empty(values.size, values.dtype)
    n = 0
    for t in range(values.size):
        c = code[values[t]]
        if c < 0:
            c = n
            code[values[t]] = n
            uniques[n] = values[t]
            n += 1
        out[t] = c
    return out, uniques[:n].copy()


# Largest integer id factorized through a table (int32 entries: 256 MB at most); the table is also
# at most four entries per value.
_TABLE_MAX_ID = 2**26


def factorize(column: pd.Series, name: str) -> tuple[np.ndarray, dict[Any, int]]:
    """Inner ids (int32, order of first appearance) and Surprise's ``{raw id: inner id}``.
    Non-negative integer ids below 2**26 and below 4 ids per value go through a table (the 22.7 M
    ids of a full-scale fold: 0.4-0.7 s instead of 1.3-1.9 s hashing; a table much larger than the
    column would cost more than the hash); other ids through ``pd.factorize``."""
    values = column.to_numpy()
    if values.dtype.kind in "iu" and values.size and values.min() >= 0 and values.max() < min(_TABLE_MAX_ID, 4 * values.size):
        codes, uniques = _first_appearance(values, int(values.max()) + 1)
        return codes, dict(zip(uniques.tolist(), range(len(uniques)), strict=True))
    codes, uniques = pd.factorize(column, sort=False)
    if codes.size and codes.min() < 0:
        raise InputError(f"training triples column {name}", "holds missing ids", "drop the rows without an id")
    # Index.tolist() yields Python scalars, as DataFrame.itertuples() does for Surprise.
    return codes.astype(np.int32), dict(zip(uniques.tolist(), range(len(uniques)), strict=True))


@njit(cache=True)
def group(keys, n_keys, values, ratings):
    """Stable counting sort by ``keys``: CSR indptr, and values / ratings in grouped order."""
    ptr = np.zeros(n_keys + 1, dtype=np.int64)
    for t in range(keys.size):
        ptr[keys[t] + 1] += 1
    for k in range(n_keys):
        ptr[k + 1] += ptr[k]
    fill = ptr[:-1].copy()
    out_values = np.empty_like(values)
    out_ratings = np.empty_like(ratings)
    for t in range(keys.size):
        pos = fill[keys[t]]
        out_values[pos] = values[t]
        out_ratings[pos] = ratings[t]
        fill[keys[t]] = pos + 1
    return ptr, out_values, out_ratings


@njit(cache=True)
def expand(ptr):
    """The group of every CSR entry (int32): ``repeat(arange(n), diff(ptr))``."""
    out = np.empty(ptr[-1], dtype=np.int32)
    for g in range(ptr.size - 1):
        out[ptr[g] : ptr[g + 1]] = g
    return out


def build(train: pd.DataFrame, with_items: bool) -> Trainset:
    """The arrays of ``build_full_trainset()`` on ``train`` (user_id, artist_id, rating), in its
    row order; ``with_items`` adds ``ir`` and the ratings by item (ALS baseline, kNN)."""
    users, user_raw2inner = factorize(train["user_id"], "user_id")
    items, item_raw2inner = factorize(train["artist_id"], "artist_id")
    ratings = train["rating"].to_numpy(np.float64)
    n_users, n_items = len(user_raw2inner), len(item_raw2inner)
    ur_ptr, ur_items, ur_ratings = group(users, n_users, items, ratings)
    extra = {}
    if with_items:
        ir_ptr, ir_users, ir_ratings = group(items, n_items, users, ratings)
        del users, items
        # Grouping ir (item-major, row order) by user gives each user's items in ascending order.
        _, by_item_items, by_item_ratings = group(ir_users, n_users, expand(ir_ptr), ir_ratings)
        extra = dict(
            ir_ptr=ir_ptr,
            ir_users=ir_users,
            ir_ratings=ir_ratings,
            ur_by_item_items=by_item_items,
            ur_by_item_ratings=by_item_ratings,
        )
    return Trainset(
        user_raw2inner=user_raw2inner,
        item_raw2inner=item_raw2inner,
        global_mean=float(np.mean(ur_ratings)),
        ur_ptr=ur_ptr,
        ur_items=ur_items,
        ur_ratings=ur_ratings,
        **extra,
    )

"""lfmrec.ids: raw ids to inner ids and positions, as Surprise's dicts and pandas' get_indexer answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lfmrec.ids import inner_ids, positions, sorted_unique


def test_inner_ids_is_the_dicts_lookup():
    """raw2inner.get(raw, -1) for every way ids come in; the type matters as in Surprise."""
    ints = {5: 0, 7: 1, 10**12: 2}
    raw = np.array([7, 5, 6, 10**12, -1])
    want = [1, 0, -1, 2, -1]
    for given in (raw, pd.Series(raw), pd.Index(raw), raw.tolist()):
        assert inner_ids(given, ints).tolist() == want
    assert inner_ids(np.array([7, 5, 6], dtype=np.int32), ints).tolist() == [1, 0, -1]
    assert inner_ids(np.array(["5", "7"]), ints).tolist() == [-1, -1]
    strs = {"a": 0, "5": 1}
    assert inner_ids(np.array([5]), strs).tolist() == [-1]
    assert inner_ids(["5", 5, "a"], strs).tolist() == [1, -1, 0]
    mixed = {5: 0, "5": 1}
    assert inner_ids(np.array([5, 6]), mixed).tolist() == [0, -1]
    assert inner_ids(np.array([], dtype=np.int64), ints).tolist() == []
    small = {5: 0, 7: 1, 0: 2}  # keys small enough for positions()'s lookup table
    assert inner_ids(np.array([7, 5, 6, 0, -1, 8, 2**40]), small).tolist() == [1, 0, -1, 2, -1, -1, -1]


@pytest.mark.parametrize(
    "index_dtype, ids_dtype", [(np.int64, np.int64), (np.int32, np.int64), (np.uint32, np.int64), (np.int64, np.uint64)]
)
def test_positions_is_get_indexer(index_dtype, ids_dtype):
    """positions() (a lookup table for small non-negative ints, else hashing) answers as
    pd.Index.get_indexer: absent, negative and beyond-the-table ids are -1."""
    rng = np.random.default_rng(3)
    index = rng.choice(5000, 700, replace=False).astype(index_dtype)
    ids = rng.integers(0, 6000, 3000)
    if np.dtype(ids_dtype).kind == "i":
        ids = np.concatenate([ids, [-1, -5000, 2**40]])
    ids = ids.astype(ids_dtype)
    assert np.array_equal(positions(index, ids), pd.Index(index).get_indexer(ids))
    assert np.array_equal(positions(np.array(["a", "b"]), np.array(["b", "c"])), [1, -1])


@pytest.mark.parametrize(
    "ids",
    [
        np.array([5, 3, 5, 0, 9, 3], np.int64),
        np.array([2**30, 7, 7], np.int64),
        np.array([-4, 2, -4]),
        np.array([3, 1, 3], np.uint32),
        np.array(["b", "a", "b"]),
        np.array([], np.int64),
    ],
)
def test_sorted_unique_is_np_unique(ids):
    got = sorted_unique(ids)
    assert got.dtype == ids.dtype and np.array_equal(got, np.unique(ids))

"""lfmrec.pairs: pair matrices, counts by column code and candidate support, worked by hand."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lfmrec.pairs import few_listeners


def test_code_counts_weighted_sums_the_values():
    from lfmrec.pairs import code_counts

    m = sp.csr_matrix(np.array([[2.0, 0, 3.0], [1.0, 4.0, 0]]))
    assert code_counts(m, np.array([0, 1, 0]), 2).tolist() == [[2, 0], [1, 1]]
    assert code_counts(m, np.array([0, 1, 0]), 2, weighted=True).tolist() == [[5, 0], [1, 4]]


def test_few_listeners_counts_distinct_listeners():
    played = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 1, 0]], bool))
    assert few_listeners(played, 1) is None
    assert few_listeners(played, 2).tolist() == [False, True, False, True]
    assert few_listeners(played, 3).tolist() == [False, True, True, True]


def test_pair_matrix_by_hand():

    from lfmrec.pairs import pair_matrix

    pairs = pd.DataFrame({"user_id": [7, 3, 7, 7, 9, 3], "artist_id": [20, 10, 10, 20, 30, 99]})
    m = pair_matrix(pairs, np.array([3, 7]), np.array([10, 20]))
    # user 9 and artist 99 are not asked for; the repeated pair (7, 20) is one entry
    assert m.dtype == bool and m.shape == (2, 2) and m.has_sorted_indices
    assert m.toarray().tolist() == [[True, False], [True, True]]
    assert m.nnz == 3


def test_pair_matrix_equals_a_dense_lookup(triples_factory):
    from lfmrec.pairs import pair_matrix

    t = triples_factory(seed=3, n_users=30, n_items=50, n=400)
    users = np.sort(t["user_id"].unique())[::-1]  # any order of the rows and columns
    items = np.sort(t["artist_id"].unique())
    m = pair_matrix(t, users, items)
    dense = np.zeros((users.size, items.size), dtype=bool)
    row = {u: k for k, u in enumerate(users)}
    col = {a: k for k, a in enumerate(items)}
    for u, a in zip(t["user_id"], t["artist_id"], strict=True):
        dense[row[u], col[a]] = True
    assert np.array_equal(m.toarray(), dense) and m.nnz == len(t)


def test_row_counts_are_bincount_per_row():
    from lfmrec.pairs import row_counts

    rng = np.random.default_rng(4)
    idx = rng.integers(0, 37, (50, 200))
    expected = np.stack([np.bincount(row, minlength=40) for row in idx]).astype(np.float64)
    got = row_counts(idx, 40)
    assert got.dtype == np.float64 and np.array_equal(got, expected)
    assert row_counts(np.zeros((3, 0), np.int64), 5).shape == (3, 5)
    with pytest.raises(ValueError, match="must be in"):
        row_counts(np.array([[0, 5]]), 5)

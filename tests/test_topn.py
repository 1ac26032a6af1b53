"""lfmrec.topn: the top-n selection kernels (ties by artist id, padded lists)."""

import numpy as np

from lfmrec.topn import lists_to_matrix, top_n


def test_top_n_breaks_score_ties_by_artist_id():
    s = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [-np.inf, 0.5, -np.inf, 0.5, -np.inf]])
    rows, cols = top_n(s, 2)
    assert rows.tolist() == [0, 0, 1, 1]
    assert cols.tolist() == [1, 2, 1, 3]
    rows, cols = top_n(s, 4)
    assert cols[rows == 0].tolist() == [1, 2, 4, 3] and cols[rows == 1].tolist() == [1, 3]


def test_lists_to_matrix_pads_short_lists():
    out = lists_to_matrix(np.array([0, 0, 2]), np.array([5, 3, 1]), 3, 3)
    assert out.tolist() == [[5, 3, -1], [-1, -1, -1], [1, -1, -1]]

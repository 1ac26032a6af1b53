"""lfmrec._bisect.search_right against numpy's searchsorted (side="right")."""

import numpy as np
import pytest

from lfmrec._bisect import search_right


@pytest.mark.parametrize("n", [0, 1, 2, 5, 16, 17, 1000, 4097])
def test_search_right_is_numpys(n):
    rng = np.random.default_rng(n)
    a = np.cumsum(rng.pareto(1.5, n))
    if n > 10:
        a[3:8] = a[3]  # ties: side="right" counts every equal entry
        a[-3:] = a[-3]
    top = a[-1] if n else 1.0
    values = np.concatenate([rng.random(3001) * top * 1.2 - 0.1 * top, a, np.nextafter(a, -np.inf), [-np.inf, np.inf]])
    got = search_right(a, values)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, np.searchsorted(a, values, side="right"))

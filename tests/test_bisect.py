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


@pytest.mark.parametrize("n", [1, 2, 17, 5000])
def test_guide_table_search_is_numpys(n, monkeypatch):
    """lfmrec._draws.Guide: np.searchsorted(side="right") through a guide table, on a cumulative
    popularity with ties and zero steps, for values inside, on the entries, on the bucket edges,
    just off them, below 0 and beyond the end."""
    from lfmrec import _draws

    monkeypatch.setattr(_draws, "GUIDE_BUCKETS", 64)  # few buckets: many entries per bucket
    rng = np.random.default_rng(n)
    steps = rng.pareto(1.2, n)
    steps[rng.random(n) < 0.2] = 0.0
    cum = np.concatenate(([0.0], np.cumsum(steps)))
    guide = _draws.Guide(cum)
    values = np.concatenate([rng.random(5000) * cum[-1], cum, np.nextafter(cum, -np.inf), np.nextafter(cum, np.inf),
                             guide.edges, np.nextafter(guide.edges, -np.inf), np.nextafter(guide.edges, np.inf),
                             [-1.0, cum[-1] * 2, np.nan]])
    out = np.zeros(values.size, np.int64)
    guide.search(values, out)
    np.testing.assert_array_equal(out, np.searchsorted(cum, values, side="right"))

"""The generator's guide-table search (lfmrec._draws.Guide) against numpy's searchsorted (side="right")."""

import numpy as np
import pytest


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
    values = np.concatenate(
        [
            rng.random(5000) * cum[-1],
            cum,
            np.nextafter(cum, -np.inf),
            np.nextafter(cum, np.inf),
            guide.edges,
            np.nextafter(guide.edges, -np.inf),
            np.nextafter(guide.edges, np.inf),
            [-1.0, cum[-1] * 2, np.nan],
        ]
    )
    out = np.zeros(values.size, np.int64)
    guide.search(values, out)
    np.testing.assert_array_equal(out, np.searchsorted(cum, values, side="right"))

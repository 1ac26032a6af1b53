"""Country similarity: cosine of the countries' artist-listener profiles (the soft re-ranking's and
the cultural distance's notion of how close two countries' listening is).

Listeners, not plays: playcounts are heavy tailed, so a country's play profile is dominated by a
few heavy listeners of globally popular artists and every pair of countries looks alike. On the
default synthetic data (generator seed 1; ``tests/test_synthetic.py::_region_auc``) the listener
cosine ranks the planted same-region pairs above the others with an AUC of 0.99 (0.67 with no
proximity planted), the play cosine with 0.62 (0.59 with none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


def country_similarity(table: pd.DataFrame, value: str = "listeners") -> pd.DataFrame:
    """Cosine similarity of the countries' artist profiles (country x artist ``value`` vectors:
    ``listeners`` by default, or ``plays``).

    A square DataFrame indexed and columned by the (sorted) country codes, diagonal 1; computed
    as one sparse Gram product of the row-normalised country x artist matrix. Countries without
    positive ``value`` are left out.
    """
    t = table[table[value] > 0]
    countries = np.array(sorted(t["country"].astype(str).unique()), dtype=object)
    artists = np.unique(t["artist_id"].to_numpy(np.int64))
    r = pd.Series(np.arange(countries.size), index=countries).reindex(t["country"].astype(str)).to_numpy()
    c = np.searchsorted(artists, t["artist_id"].to_numpy(np.int64))
    X = sp.csr_matrix((t[value].to_numpy(np.float64), (r, c)), shape=(countries.size, artists.size))
    norm = np.sqrt(np.asarray(X.multiply(X).sum(1)).ravel())
    Xn = sp.diags(1.0 / norm) @ X
    sim = (Xn @ Xn.T).toarray()
    sim = np.clip(sim, 0.0, 1.0)
    np.fill_diagonal(sim, 1.0)
    idx = pd.Index(countries.astype(str), name="country")
    return pd.DataFrame(sim, index=idx, columns=idx.rename(None))

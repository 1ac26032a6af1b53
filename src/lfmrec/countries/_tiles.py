"""The compiled kernel of :func:`lfmrec.countries.plays._times_dense` (imported only for large
products: numba's import and compile cost more than a small product)."""

import numpy as np

from .._numba import njit


@njit(cache=True)
def csr_times_dense(indptr, indices, data, x, tile):
    """``csr @ x`` with the columns taken ``tile`` at a time; each row's entries of a tile are
    added in stored order, so the sums are scipy's when the column indices are sorted."""
    n, k = indptr.size - 1, x.shape[1]
    out = np.zeros((n, k))
    at = indptr[:-1].copy()  # each row's first entry not added yet
    for end_col in range(tile, x.shape[0] + tile, tile):
        for r in range(n):
            acc = out[r]
            jj, stop = at[r], indptr[r + 1]
            while jj < stop and indices[jj] < end_col:
                a = data[jj]
                row = x[indices[jj]]
                for c in range(k):
                    acc[c] += a * row[c]
                jj += 1
            at[r] = jj
    return out

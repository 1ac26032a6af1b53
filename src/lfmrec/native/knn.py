"""User-based KNNBasic / KNNWithMeans with the msd similarity (surprise/similarities.pyx, knns.py).

Fit. For users x and y with common items I_xy (``min_support``, default 1)::

    msd(x, y) = sum_{i in I_xy} (r_xi - r_yi)**2 / |I_xy|
    sim(x, y) = 1 / (msd(x, y) + 1)       if |I_xy| >= min_support, else 0;   sim(x, x) = 1

Surprise accumulates ``sq_diff[xi, xj] += (r_xi - r_xj)**2`` and ``freq[xi, xj] += 1`` item by item
(inner item id ascending) over every pair of the item's raters in ``ir`` order (xi in the outer
loop; a user who rated an item twice counts both ratings), then ``sim[x, y]`` from the cell
``(min(x, y), max(x, y))``. :func:`msd_similarity` rebuilds a block of rows at a time from each
user's ratings by item (:mod:`.trainset`) with the same additions in the same order, so ``sim`` is
Surprise's bit for bit. KNNWithMeans also keeps ``means[u] = np.mean(ratings of u in ur order)``.

Estimate: Surprise's ``estimate()`` with ``predict()``'s fallbacks, by
:func:`lfmrec.knn_estimate.knn_pairs` (the module phase 2 scores with): neighbours are
``heapq.nlargest(k, ir[i], key=sim[u, v])`` with sim > 0, summed in that order; bit for bit.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit
from ..knn_estimate import ir_in_id_order, knn_pairs
from .trainset import Trainset

# Users per block of the msd similarity: the scratch arrays are MSD_BLOCK x n_users (the resource
# model, lfmrec.resources, counts them with the same number).
MSD_BLOCK = 64


# Users per pass of msd_rows over a row when ir lists each item's raters by ascending id: the
# pass's sums and counts (16 bytes per user, 384 kB) stay in a core's L2 cache (512 kB here).
MSD_PASS_USERS = 24_576


@njit(cache=True, nogil=True)
def msd_rows(
    users, by_item_ptr, by_item_items, by_item_ratings, ir_ptr, ir_users, ir_ratings, min_support, ir_sorted, pass_users, out
):
    """Rows ``users[r]`` of Surprise's msd similarity into ``out[r]`` (``out``: (>= len(users),
    n_users) float64). The dense route (:func:`msd_similarity`) and the block-streamed one
    (:mod:`.knn_stream`) both use it.

    Surprise adds ``(r_xi - r_xj)**2`` to ``sq_diff[xi, xj]`` item by item (inner item id
    ascending) and, within an item, in ``ir`` order with xi in the outer loop; cell (x, y) of
    ``sim`` is computed from ``sq_diff[min, max]``. Row xi is rebuilt here from xi's items in
    ascending order; when xi rated an item more than once the two orders within the item differ,
    so the cells xj < xi (outer loop over xj) and xj > xi (outer loop over xi) are summed apart.
    Then ``1 / (sq_diff / freq + 1)``: the same bits. The sum and the count of a cell sit side by
    side in one scratch row (one cache line per addition; the count, a float64, is exact).

    ``ir_sorted`` (ir lists each item's raters by ascending id, :func:`lfmrec.knn_estimate.ir_in_id_order`):
    the row is built in passes over ranges of ``pass_users`` users (:data:`MSD_PASS_USERS`), each pass visiting
    only its range of every item's raters (found by bisection), so that its sums stay in cache.
    Each cell still gets its additions item by item in ascending order: the same bits.
    """
    n_users = out.shape[1]
    acc = np.zeros((n_users, 2))  # per xj: sq_diff, freq
    width = max(pass_users, 1) if ir_sorted else max(n_users, 1)
    for row in range(users.size):
        xi = users[row]
        for p0 in range(0, n_users, width):
            p1 = min(p0 + width, n_users)
            a, end = by_item_ptr[xi], by_item_ptr[xi + 1]
            while a < end:
                y = by_item_items[a]
                b = a + 1
                while b < end and by_item_items[b] == y:
                    b += 1
                lo, hi = ir_ptr[y], ir_ptr[y + 1]
                if ir_sorted and p0 > 0:
                    lo += np.searchsorted(ir_users[lo:hi], p0)
                if b == a + 1:  # one rating of y by xi: both orders coincide
                    # the pass's raters of y are ir[lo:e] (all of them without passes); xi's own
                    # cell gets additions too, which its row ignores (sim[xi, xi] = 1)
                    ri = by_item_ratings[a]
                    e = lo + np.searchsorted(ir_users[lo:hi], p1) if ir_sorted and p1 < n_users else hi
                    for t in range(lo, e):
                        xj = ir_users[t]
                        d = ri - ir_ratings[t]
                        acc[xj, 0] += d * d
                        acc[xj, 1] += 1.0
                else:
                    for t in range(lo, hi):
                        xj = ir_users[t]
                        if xj < xi and p0 <= xj < p1:
                            for s in range(a, b):
                                d = ir_ratings[t] - by_item_ratings[s]
                                acc[xj, 0] += d * d
                                acc[xj, 1] += 1.0
                    for s in range(a, b):
                        for t in range(lo, hi):
                            xj = ir_users[t]
                            if xj > xi and p0 <= xj < p1:
                                d = by_item_ratings[s] - ir_ratings[t]
                                acc[xj, 0] += d * d
                                acc[xj, 1] += 1.0
                a = b
        for xj in range(n_users):
            f = acc[xj, 1]
            if xj == xi:
                out[row, xj] = 1.0
            elif f < min_support:
                out[row, xj] = 0.0
            else:
                out[row, xj] = 1.0 / (acc[xj, 0] / f + 1.0)
            acc[xj, 0] = 0.0
            acc[xj, 1] = 0.0


def msd_similarity(ts: Trainset, min_support: int) -> np.ndarray:
    """Surprise's ``similarities.msd`` over users: dense (n_users, n_users) float64."""
    n = ts.n_users
    sim = np.empty((n, n))
    block = min(MSD_BLOCK, max(n, 1))
    ir_sorted = ir_in_id_order(ts.ir_ptr, ts.ir_users)
    for start in range(0, n, block):
        stop = min(n, start + block)
        # ur_ptr: a user's ratings by item are as many as in ur
        msd_rows(
            np.arange(start, stop, dtype=np.int64),
            ts.ur_ptr,
            ts.ur_by_item_items,
            ts.ur_by_item_ratings,
            ts.ir_ptr,
            ts.ir_users,
            ts.ir_ratings,
            min_support,
            ir_sorted,
            MSD_PASS_USERS,
            sim[start:stop],
        )
    return sim


def user_means(ts: Trainset) -> np.ndarray:
    """KNNWithMeans.means: ``np.mean`` of each user's ratings in ur order (numpy's own sum)."""
    ptr = ts.ur_ptr
    return np.array([np.mean(ts.ur_ratings[ptr[u] : ptr[u + 1]]) for u in range(ts.n_users)], dtype=np.float64)


def fit(ts: Trainset, params: dict, algorithm: str) -> dict:
    """The ScoringParams fields of a fitted KNNBasic / KNNWithMeans (defaults k 40, min_k 1,
    min_support 1): ``k``, ``min_k``, the raters of each item (``ir``), ``means``, and instead of
    the dense similarity the ``trainset`` and ``min_support`` its rows are computed from, a block
    of users at a time, when they are needed (:mod:`.knn_stream`)."""
    sim_options = params.get("sim_options") or {}
    out = dict(
        kind="knn_basic" if algorithm == "KNNBasic" else "knn_means",
        trainset=ts,
        min_support=int(sim_options.get("min_support", 1)),
        k=int(params.get("k", 40)),
        min_k=int(params.get("min_k", 1)),
        ir_indptr=ts.ir_ptr,
        ir_users=ts.ir_users,
        ir_ratings=ts.ir_ratings,
    )
    if algorithm == "KNNWithMeans":
        out["means"] = user_means(ts)
    return out


def estimate(
    global_mean: float,
    sim: np.ndarray,
    ir_indptr: np.ndarray,
    ir_users: np.ndarray,
    ir_ratings: np.ndarray,
    means: np.ndarray | None,
    k: int,
    min_k: int,
    u: np.ndarray,
    i: np.ndarray,
) -> np.ndarray:
    """``estimate()`` with ``predict()``'s fallbacks for the pairs (u[n], i[n]) of inner ids
    (-1 unknown), before clipping; KNNWithMeans iff ``means`` is given."""
    with_means = means is not None
    values = ir_ratings
    if with_means:  # Surprise's r - means[v], once per rating instead of per neighbour: same bits
        values = means[ir_users]
        np.subtract(ir_ratings, values, out=values)
    return knn_pairs(
        u,
        i,
        np.ascontiguousarray(sim),
        ir_indptr,
        ir_users,
        values,
        means if with_means else np.zeros(0),
        k,
        min_k,
        with_means,
        global_mean,
    )

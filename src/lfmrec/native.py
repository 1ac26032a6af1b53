"""The native engine: Surprise's BaselineOnly, SVD and user-based msd kNN fitted on arrays.

``fit(spec, seed, train, scale)`` returns the :class:`~lfmrec.scoring.ScoringParams` that
``params_from_surprise(build_algorithm(spec, seed).fit(build_trainset(train, scale)))`` returns,
and ``predict_pairs`` the estimates of Surprise's ``algo.test()``, without Surprise's per-rating
Python tuples: the trainset is three arrays in CSR form and the loops are compiled with numba.

Exactness (scikit-surprise 1.1.5, read from its .pyx/.py sources):

- Trainset: inner ids in order of first appearance in ``train``; ``ur[u]`` / ``ir[i]`` list the
  ratings in row order; ``all_ratings()`` visits users 0..n-1 and each user's ``ur[u]``;
  ``global_mean = np.mean`` of the ratings in that order (same numpy call, same array -> same
  bits). Raw ids are the column's Python scalars (``int`` for an int64 column), as
  ``DataFrame.itertuples`` hands them to Surprise.
- Every loop performs Surprise's floating-point operations on the same values in the same order
  (no fastmath, so no reassociation or fused multiply-add; Surprise's Cython has none either):
  baselines (ALS: all ``bi`` then all ``bu`` per epoch; SGD), SVD (``global_mean = 0`` when
  unbiased; ``pu`` then ``qi`` drawn from ``np.random.RandomState(seed).normal``'s stream, which
  :func:`_legacy_normals` reproduces) and the msd similarity (squared differences summed item by
  item in ascending inner item id, raters in ``ir`` order, repeated pairs included), so the
  fitted arrays are Surprise's bit for bit.
- SVD's SGD trains a few users side by side (see :func:`_svd_sgd`): a rating reads and writes
  only ``bu[u], bi[i], pu[u], qi[i]``, and each runs after the previous ratings of its user and
  of its item, so every update sees the values it sees in Surprise's sequential loop.
- Predictions repeat ``estimate()`` term by term: ``np.dot`` for the factor product (the BLAS
  call Surprise makes; numba's and numpy's BLAS agree bit for bit here, elsewhere they may differ
  by ~1e-16), kNN neighbours are ``heapq.nlargest``'s stable top k (the earlier rater in
  ``ir[i]`` wins a tie) summed in that order, fallbacks and clipping as in
  ``AlgoBase.predict``. This works for ScoringParams of either engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numba
import numpy as np
import pandas as pd
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .errors import InputError
from .scoring import ScoringParams

ALGORITHMS = ("BaselineOnly", "SVD", "KNNBasic", "KNNWithMeans")
# Users trained side by side by the SVD SGD (see _svd_sgd); _lane_dots handles up to 4.
_LANES = 4


# ----------------------------------------------------------------------------------------------
# Configuration


def validate_native(spec: dict, key: str) -> None:
    """Raise InputError if the native engine cannot fit ``spec`` exactly as Surprise does."""
    algorithm = spec.get("algorithm")
    if algorithm not in ALGORITHMS:
        raise InputError(f"config {key}.algorithm", f"{algorithm!r} has no native implementation",
                         f"use one of {', '.join(ALGORITHMS)} or engine: surprise")
    params = spec.get("params") or {}
    if algorithm == "BaselineOnly":
        method = (params.get("bsl_options") or {}).get("method", "als")
        if method not in ("als", "sgd"):
            raise InputError(f"config {key}.params.bsl_options.method", f"is {method!r}",
                             "use als or sgd")
    if not algorithm.startswith("KNN"):
        return
    sim = params.get("sim_options") or {}
    where = f"config {key}.params.sim_options"
    name = str(sim.get("name", "msd")).lower()
    if name != "msd":
        raise InputError(f"{where}.name", f"is {name!r}: the native engine computes msd only",
                         "use name: msd, or engine: surprise for other similarities")
    if sim.get("user_based", True) is not True:
        raise InputError(f"{where}.user_based", "is false: the native engine is user-based only",
                         "use user_based: true, or engine: surprise")
    if sim.get("min_support", 1) < 1:
        raise InputError(f"{where}.min_support",
                         "is 0: Surprise's msd divides by zero for two users without a common "
                         "item (ZeroDivisionError)", "use min_support >= 1 (1 is the default)")


# ----------------------------------------------------------------------------------------------
# The trainset as arrays


@dataclass(frozen=True)
class _Trainset:
    """Surprise's Trainset in CSR form (inner ids int32, ratings float64).

    ``ur_*``: each user's ratings in row order (``trainset.ur``, hence ``all_ratings()``);
    ``ir_*``: each item's raters in row order (``trainset.ir``); ``ur_by_item_*``: each user's
    ratings sorted by inner item id, ties in row order (the msd similarity's order).
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


def _factorize(column: pd.Series, name: str) -> tuple[np.ndarray, dict[Any, int]]:
    """Inner ids (int32, order of first appearance) and Surprise's ``{raw id: inner id}``."""
    codes, uniques = pd.factorize(column, sort=False)
    if codes.size and codes.min() < 0:
        raise InputError(f"training triples column {name}", "holds missing ids",
                         "drop the rows without an id")
    # Index.tolist() yields Python scalars, as DataFrame.itertuples() does for Surprise.
    return codes.astype(np.int32), dict(zip(uniques.tolist(), range(len(uniques))))


@njit(cache=True)
def _group(keys, n_keys, values, ratings):
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
def _expand(ptr):
    """The group of every CSR entry (int32): ``repeat(arange(n), diff(ptr))``."""
    out = np.empty(ptr[-1], dtype=np.int32)
    for g in range(ptr.size - 1):
        out[ptr[g]:ptr[g + 1]] = g
    return out


def _trainset(train: pd.DataFrame, with_items: bool) -> _Trainset:
    """The arrays of ``cv.build_trainset(train, scale)``; ``with_items`` adds ir and ur-by-item."""
    users, user_raw2inner = _factorize(train["user_id"], "user_id")
    items, item_raw2inner = _factorize(train["artist_id"], "artist_id")
    ratings = train["rating"].to_numpy(np.float64)
    n_users, n_items = len(user_raw2inner), len(item_raw2inner)
    ur_ptr, ur_items, ur_ratings = _group(users, n_users, items, ratings)
    extra = {}
    if with_items:
        ir_ptr, ir_users, ir_ratings = _group(items, n_items, users, ratings)
        del users, items
        # Grouping ir (item-major, row order) by user gives each user's items in ascending order.
        _, by_item_items, by_item_ratings = _group(ir_users, n_users, _expand(ir_ptr), ir_ratings)
        extra = dict(ir_ptr=ir_ptr, ir_users=ir_users, ir_ratings=ir_ratings,
                     ur_by_item_items=by_item_items, ur_by_item_ratings=by_item_ratings)
    return _Trainset(user_raw2inner=user_raw2inner, item_raw2inner=item_raw2inner,
                     global_mean=float(np.mean(ur_ratings)), ur_ptr=ur_ptr, ur_items=ur_items,
                     ur_ratings=ur_ratings, **extra)


# ----------------------------------------------------------------------------------------------
# BaselineOnly (surprise/prediction_algorithms/optimize_baselines.pyx)


@njit(cache=True)
def _baseline_als(ur_ptr, ur_items, ur_ratings, ir_ptr, ir_users, ir_ratings, global_mean,
                  n_epochs, reg_u, reg_i):
    """ALS: per epoch ``bi[i] = sum(r - mu - bu[u]) / (reg_i + |R(i)|)``, then the same for bu."""
    n_users, n_items = ur_ptr.size - 1, ir_ptr.size - 1
    bu = np.zeros(n_users)
    bi = np.zeros(n_items)
    for _ in range(n_epochs):
        for i in range(n_items):
            dev = 0.0
            for t in range(ir_ptr[i], ir_ptr[i + 1]):
                dev += ir_ratings[t] - global_mean - bu[ir_users[t]]
            bi[i] = dev / (reg_i + (ir_ptr[i + 1] - ir_ptr[i]))
        for u in range(n_users):
            dev = 0.0
            for t in range(ur_ptr[u], ur_ptr[u + 1]):
                dev += ur_ratings[t] - global_mean - bi[ur_items[t]]
            bu[u] = dev / (reg_u + (ur_ptr[u + 1] - ur_ptr[u]))
    return bu, bi


@njit(cache=True)
def _baseline_sgd(ur_ptr, ur_items, ur_ratings, n_items, global_mean, n_epochs, reg, lr):
    """SGD over all_ratings(): ``err = r - (mu + bu + bi)``; ``b += lr * (err - reg * b)``."""
    n_users = ur_ptr.size - 1
    bu = np.zeros(n_users)
    bi = np.zeros(n_items)
    for _ in range(n_epochs):
        for u in range(n_users):
            for t in range(ur_ptr[u], ur_ptr[u + 1]):
                i = ur_items[t]
                err = ur_ratings[t] - (global_mean + bu[u] + bi[i])
                bu[u] += lr * (err - reg * bu[u])
                bi[i] += lr * (err - reg * bi[i])
    return bu, bi


def _fit_baseline(ts: _Trainset, params: dict) -> dict:
    bsl = params.get("bsl_options") or {}
    if bsl.get("method", "als") == "als":
        bu, bi = _baseline_als(ts.ur_ptr, ts.ur_items, ts.ur_ratings, ts.ir_ptr, ts.ir_users,
                               ts.ir_ratings, ts.global_mean,
                               int(bsl.get("n_epochs", 10)), float(bsl.get("reg_u", 15)),
                               float(bsl.get("reg_i", 10)))
    else:
        bu, bi = _baseline_sgd(ts.ur_ptr, ts.ur_items, ts.ur_ratings, ts.n_items, ts.global_mean,
                               int(bsl.get("n_epochs", 20)), float(bsl.get("reg", 0.02)),
                               float(bsl.get("learning_rate", 0.005)))
    return dict(kind="baseline", bu=bu, bi=bi)


# ----------------------------------------------------------------------------------------------
# SVD (surprise/prediction_algorithms/matrix_factorization.pyx, SVD.sgd)


@njit(cache=True)
def _item_chain_positions(ur_items, n_items):
    """For each rating (all_ratings() order), how many ratings of its item come before it."""
    chain = np.empty(ur_items.size, dtype=np.int32)
    seen = np.zeros(n_items, dtype=np.int32)
    for t in range(ur_items.size):
        chain[t] = seen[ur_items[t]]
        seen[ur_items[t]] += 1
    return chain


@njit(cache=True, inline="always")
def _lane_dots(pu, qi, su, si, width):
    """``sum_f qi[si[j], f] * pu[su[j], f]`` (f ascending) for the lanes j < width (<= 4).

    The lanes' sums are independent chains that the CPU runs side by side; idle lanes repeat
    the last active lane's rows (reads only).
    """
    last = width - 1
    u0, u1, u2, u3 = su[0], su[min(1, last)], su[min(2, last)], su[min(3, last)]
    i0, i1, i2, i3 = si[0], si[min(1, last)], si[min(2, last)], si[min(3, last)]
    d0 = d1 = d2 = d3 = 0.0
    if width == 1:
        for f in range(pu.shape[1]):
            d0 += qi[i0, f] * pu[u0, f]
    elif width == 2:
        for f in range(pu.shape[1]):
            d0 += qi[i0, f] * pu[u0, f]
            d1 += qi[i1, f] * pu[u1, f]
    else:
        for f in range(pu.shape[1]):
            d0 += qi[i0, f] * pu[u0, f]
            d1 += qi[i1, f] * pu[u1, f]
            d2 += qi[i2, f] * pu[u2, f]
            d3 += qi[i3, f] * pu[u3, f]
    return d0, d1, d2, d3


@njit(cache=True, inline="always")
def _sgd_step(u, i, r, dot, bu, bi, pu, qi, global_mean, biased,
              lr_bu, lr_bi, lr_pu, lr_qi, reg_bu, reg_bi, reg_pu, reg_qi):
    """One SGD update of Surprise's SVD for rating r of (u, i), given its dot product
    ``qi[i] . pu[u]``: ``err = r - (mu + bu + bi + dot)``, biases (biased only), then factors with
    the values before the update (matrix_factorization.pyx)."""
    err = r - (global_mean + bu[u] + bi[i] + dot)
    if biased:
        bu[u] += lr_bu * (err - reg_bu * bu[u])
        bi[i] += lr_bi * (err - reg_bi * bi[i])
    for f in range(pu.shape[1]):
        puf = pu[u, f]
        qif = qi[i, f]
        pu[u, f] += lr_pu * (err * qif - reg_pu * puf)
        qi[i, f] += lr_qi * (err * puf - reg_qi * qif)


@intrinsic
def _prefetch_row(typingctx, arr, row):
    """Ask the CPU to start loading row ``row`` of the 2-D C-contiguous ``arr`` into its caches
    (``llvm.prefetch``, one per 64-byte line). A hint only: no value computed anywhere changes."""
    sig = types.void(arr, types.intp)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ncols = builder.extract_value(ary.shape, 1)
        start = builder.gep(ary.data, [builder.mul(args[1], ncols)])
        byte_ptr = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [start.type, i32, i32, i32]), "llvm.prefetch.p0")
        itemsize = context.get_abi_sizeof(context.get_data_type(signature.args[0].dtype))
        size = builder.mul(ncols, ir.Constant(ncols.type, itemsize))
        with cgutils.for_range_slice(builder, ir.Constant(ncols.type, 0), size, ir.Constant(ncols.type, 64)) as (off, _):
            line = builder.gep(builder.bitcast(start, byte_ptr), [off])
            # read access, keep in all cache levels, data cache
            builder.call(fn, [builder.bitcast(line, start.type), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


# How many ratings ahead the SGD prefetches the item factors: at LFM-1b scale qi does not fit in
# the caches and each rating's qi row would otherwise be a cache miss (measured 1.75x faster at
# 185,073 items x 100 factors; 2-8 ahead all did as well).
_PREFETCH_AHEAD = 4


@njit(fastmath={"reassoc", "nsz", "arcp", "contract"}, cache=True)
def _svd_sgd_relaxed(ur_ptr, ur_items, ur_ratings, bu, bi, pu, qi, n_epochs, global_mean, biased,
                     lr_bu, lr_bi, lr_pu, lr_qi, reg_bu, reg_bi, reg_pu, reg_qi):
    """Surprise's SVD SGD over all_ratings() in order, in place, with the floating-point
    operations free to be reassociated and fused (SIMD dot products and updates, FMA): the same
    updates as :func:`_svd_sgd` in the same order, different in the last bits only (fitted factors
    within ~1e-15 of Surprise's on the default data) and about 2.5x faster. The item factors of
    the rating _PREFETCH_AHEAD places ahead and the next user's factors are prefetched. The update is written
    out here rather than shared with the exact kernel because numba's fastmath is per function."""
    n_factors = pu.shape[1]
    n_users, n = ur_ptr.size - 1, ur_items.size
    for _ in range(n_epochs):
        for u in range(n_users):
            if u + 1 < n_users:
                _prefetch_row(pu, u + 1)
            for t in range(ur_ptr[u], ur_ptr[u + 1]):
                i = ur_items[t]
                if t + _PREFETCH_AHEAD < n:
                    _prefetch_row(qi, ur_items[t + _PREFETCH_AHEAD])
                dot = 0.0
                for f in range(n_factors):
                    dot += qi[i, f] * pu[u, f]
                err = ur_ratings[t] - (global_mean + bu[u] + bi[i] + dot)
                if biased:
                    bu[u] += lr_bu * (err - reg_bu * bu[u])
                    bi[i] += lr_bi * (err - reg_bi * bi[i])
                for f in range(n_factors):
                    puf = pu[u, f]
                    qif = qi[i, f]
                    pu[u, f] += lr_pu * (err * qif - reg_pu * puf)
                    qi[i, f] += lr_qi * (err * puf - reg_qi * qif)


@njit(cache=True)
def _svd_sgd(ur_ptr, ur_items, ur_ratings, bu, bi, pu, qi, n_epochs, global_mean, biased,
             lr_bu, lr_bi, lr_pu, lr_qi, reg_bu, reg_bi, reg_pu, reg_qi):
    """Surprise's SVD SGD over all_ratings(), in place.

    Per rating: ``dot = sum_f qi[i,f]*pu[u,f]`` (f ascending), ``err = r - (mu + bu + bi + dot)``,
    biases ``b += lr*(err - reg*b)`` (biased only), factors
    ``pu[u,f] += lr_pu*(err*qi[i,f] - reg_pu*pu[u,f])`` and
    ``qi[i,f] += lr_qi*(err*pu[u,f] - reg_qi*qi[i,f])`` with the values before the update.

    A step reads and writes bu[u], bi[i], pu[u], qi[i] only, so it depends on nothing but the
    previous rating of u and the previous rating of i. Up to _LANES users are trained side by side,
    each in its ur order; a lane's next rating runs once all earlier ratings of its item (in
    all_ratings() order) are done, so every parameter sees Surprise's sequence of updates and the
    result is bit-for-bit the same. The lane of the lowest unfinished user is always ready. The
    lanes' dot products are independent chains (the sequential sum is the bottleneck).
    """
    n_users, n_items = ur_ptr.size - 1, qi.shape[0]
    n = ur_ratings.size
    chain = _item_chain_positions(ur_items, n_items)
    done = np.zeros(n_items, dtype=np.int32)
    lane_user = np.zeros(_LANES, dtype=np.int64)
    lane_pos = np.zeros(_LANES, dtype=np.int64)
    lane_end = np.zeros(_LANES, dtype=np.int64)
    su = np.zeros(_LANES, dtype=np.int64)
    si = np.zeros(_LANES, dtype=np.int64)
    st = np.zeros(_LANES, dtype=np.int64)
    n_factors = pu.shape[1]
    for _ in range(n_epochs):
        done[:] = 0
        lane_pos[:] = 0
        lane_end[:] = 0
        next_user = 0
        processed = 0
        while processed < n:
            width = 0
            for j in range(_LANES):
                if lane_pos[j] == lane_end[j] and next_user < n_users:
                    lane_user[j] = next_user
                    lane_pos[j], lane_end[j] = ur_ptr[next_user], ur_ptr[next_user + 1]
                    next_user += 1
                t = lane_pos[j]
                if t < lane_end[j] and chain[t] == done[ur_items[t]]:
                    su[width], si[width], st[width] = lane_user[j], ur_items[t], t
                    lane_pos[j] = t + 1
                    width += 1
            dots = _lane_dots(pu, qi, su, si, width)
            for j in range(width):
                u, i = su[j], si[j]
                _sgd_step(u, i, ur_ratings[st[j]], dots[j], bu, bi, pu, qi, global_mean, biased,
                          lr_bu, lr_bi, lr_pu, lr_qi, reg_bu, reg_bi, reg_pu, reg_qi)
                done[i] += 1
            processed += width


# numpy's legacy RandomState stream (MT19937 + polar Gaussian), as surprise.utils.get_rng(int)
# draws it. RandomState's stream is frozen by numpy's compatibility policy; this replica is
# bit-for-bit the same (tests compare it) and about twice as fast, which matters because the
# draws cost as much as a fifth of a native SVD fit.
_MT_N, _MT_M = 624, 397


@njit(cache=True)
def _mt_seed(seed):
    """MT19937 key of ``RandomState(seed)`` (numpy's ``mt19937_seed``)."""
    key = np.empty(_MT_N, dtype=np.uint32)
    mask = np.uint64(0xFFFFFFFF)
    s = np.uint64(seed) & mask
    for pos in range(_MT_N):
        key[pos] = np.uint32(s)
        s = (np.uint64(1812433253) * (s ^ (s >> np.uint64(30))) + np.uint64(pos + 1)) & mask
    return key


@njit(cache=True, inline="always")
def _mt_mix(a, b, c):
    y = (a & np.uint32(0x80000000)) | (b & np.uint32(0x7FFFFFFF))
    return c ^ (y >> np.uint32(1)) ^ ((np.uint32(0) - (y & np.uint32(1))) & np.uint32(0x9908B0DF))


@njit(cache=True)
def _mt_words(key, n_blocks):
    """The next ``n_blocks * 624`` tempered MT19937 outputs; advances ``key``."""
    out = np.empty(n_blocks * _MT_N, dtype=np.uint32)
    for block in range(n_blocks):
        for k in range(_MT_N - _MT_M):
            key[k] = _mt_mix(key[k], key[k + 1], key[k + _MT_M])
        for k in range(_MT_N - _MT_M, _MT_N - 1):
            key[k] = _mt_mix(key[k], key[k + 1], key[k + _MT_M - _MT_N])
        key[_MT_N - 1] = _mt_mix(key[_MT_N - 1], key[0], key[_MT_M - 1])
        for k in range(_MT_N):
            y = key[k]
            y ^= y >> np.uint32(11)
            y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
            y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
            y ^= y >> np.uint32(18)
            out[block * _MT_N + k] = y
    return out


@njit(cache=True)
def _polar_attempts(words, n_pairs, x1, x2, r2):
    """legacy_gauss's attempts, 4 words each (two 53-bit doubles mapped to [-1, 1)); the
    accepted ones (0 < r2 < 1) are compacted into x1, x2, r2. Returns (accepted, words used)."""
    m = k = 0
    while m < n_pairs and k + 4 <= words.size:
        a, b = words[k] >> np.uint32(5), words[k + 1] >> np.uint32(6)
        v1 = 2.0 * ((a * 67108864.0 + b) / 9007199254740992.0) - 1.0
        a, b = words[k + 2] >> np.uint32(5), words[k + 3] >> np.uint32(6)
        v2 = 2.0 * ((a * 67108864.0 + b) / 9007199254740992.0) - 1.0
        k += 4
        s = v1 * v1 + v2 * v2
        x1[m], x2[m], r2[m] = v1, v2, s
        m += (s < 1.0) & (s != 0.0)  # branch-free: a rejected attempt is overwritten
    return m, k


# Words generated at a time by _legacy_normals (64 MT19937 blocks): bounds its scratch memory.
_MT_CHUNK_BLOCKS = 64


@njit(cache=True)
def _legacy_normals(seed, n, loc, scale):
    """``np.random.RandomState(seed).normal(loc, scale, n)``, bit for bit.

    legacy_gauss returns ``f * x2`` and caches ``f * x1`` for the next call, with
    ``f = sqrt(-2 log(r2) / r2)``; each value is ``loc + scale * gauss``.
    """
    key = _mt_seed(seed)
    out = np.empty(n)
    cap = _MT_CHUNK_BLOCKS * _MT_N // 4
    x1, x2, r2 = np.empty(cap + 1), np.empty(cap + 1), np.empty(cap + 1)
    words = np.empty(0, dtype=np.uint32)
    m = 0
    while m < n:
        words = np.concatenate((words, _mt_words(key, _MT_CHUNK_BLOCKS)))
        accepted, used = _polar_attempts(words, (n - m + 1) // 2, x1, x2, r2)
        words = words[used:]  # fewer than 4 words carried over
        for j in range(accepted):
            f = math.sqrt(-2.0 * math.log(r2[j]) / r2[j])
            out[m] = loc + scale * (f * x2[j])
            if m + 1 < n:
                out[m + 1] = loc + scale * (f * x1[j])
            m += 2
    return out


def _normal_init(seed: int, rows: int, cols: int, n_more: int, loc: float,
                 scale: float) -> tuple[np.ndarray, np.ndarray]:
    """``rng = RandomState(seed); rng.normal(loc, scale, (rows, cols)),
    rng.normal(loc, scale, (n_more, cols))`` -- one continuous stream, split."""
    if numba.config.USING_SVML or not 0 <= seed < 2**32:  # SVML's log is not libm's
        rng = np.random.RandomState(seed)
        return (rng.normal(loc, scale, size=(rows, cols)),
                rng.normal(loc, scale, size=(n_more, cols)))
    values = _legacy_normals(seed, (rows + n_more) * cols, float(loc), float(scale))
    return values[: rows * cols].reshape(rows, cols), values[rows * cols:].reshape(n_more, cols)


def _fit_svd(ts: _Trainset, params: dict, seed: int, exact: bool = False) -> dict:
    n_factors = int(params.get("n_factors", 100))
    lr_all, reg_all = params.get("lr_all", 0.005), params.get("reg_all", 0.02)

    def rate(name: str, default: float) -> float:
        value = params.get(name)
        return float(default if value is None else value)

    biased = bool(params.get("biased", True))
    init_mean, init_std_dev = params.get("init_mean", 0), params.get("init_std_dev", 0.1)
    # surprise.utils.get_rng(int) is RandomState(seed); pu is drawn, then qi.
    pu, qi = _normal_init(seed, ts.n_users, n_factors, ts.n_items, init_mean, init_std_dev)
    bu = np.zeros(ts.n_users)
    bi = np.zeros(ts.n_items)
    kernel = _svd_sgd if exact else _svd_sgd_relaxed
    kernel(ts.ur_ptr, ts.ur_items, ts.ur_ratings, bu, bi, pu, qi,
             int(params.get("n_epochs", 20)),
             ts.global_mean if biased else 0.0,  # Surprise: "if not biased: global_mean = 0"
             biased,
             rate("lr_bu", lr_all), rate("lr_bi", lr_all), rate("lr_pu", lr_all),
             rate("lr_qi", lr_all), rate("reg_bu", reg_all), rate("reg_bi", reg_all),
             rate("reg_pu", reg_all), rate("reg_qi", reg_all))
    if biased:
        return dict(kind="svd", bu=bu, bi=bi, pu=pu, qi=qi)
    return dict(kind="mf", pu=pu, qi=qi)


# ----------------------------------------------------------------------------------------------
# User-based kNN with the msd similarity (surprise/similarities.pyx, knns.py)


@njit(cache=True)
def _msd_rows(start, stop, by_item_ptr, by_item_items, by_item_ratings, ir_ptr, ir_users,
              ir_ratings, min_support, sq_diff, freq, sim):
    """Rows start..stop-1 of Surprise's msd similarity, written into ``sim``.

    Surprise adds ``(r_xi - r_xj)**2`` to ``sq_diff[xi, xj]`` item by item (inner item id
    ascending) and, within an item, in ``ir`` order with xi in the outer loop; cell (x, y) of
    ``sim`` is computed from ``sq_diff[min, max]``. Row xi is rebuilt here from xi's items in
    ascending order; when xi rated an item more than once the two orders within the item differ,
    so the cells xj < xi (outer loop over xj) and xj > xi (outer loop over xi) are summed apart.
    ``sq_diff`` / ``freq`` are (stop - start, n_users) zeroed scratch arrays, left zeroed.
    """
    n_users = sim.shape[1]
    for xi in range(start, stop):
        row = xi - start
        a, end = by_item_ptr[xi], by_item_ptr[xi + 1]
        while a < end:
            y = by_item_items[a]
            b = a + 1
            while b < end and by_item_items[b] == y:
                b += 1
            lo, hi = ir_ptr[y], ir_ptr[y + 1]
            if b == a + 1:  # one rating of y by xi: both orders coincide
                ri = by_item_ratings[a]
                for t in range(lo, hi):
                    xj = ir_users[t]
                    if xj != xi:
                        d = ri - ir_ratings[t]
                        sq_diff[row, xj] += d * d
                        freq[row, xj] += 1
            else:
                for t in range(lo, hi):
                    xj = ir_users[t]
                    if xj < xi:
                        for s in range(a, b):
                            d = ir_ratings[t] - by_item_ratings[s]
                            sq_diff[row, xj] += d * d
                            freq[row, xj] += 1
                for s in range(a, b):
                    for t in range(lo, hi):
                        xj = ir_users[t]
                        if xj > xi:
                            d = by_item_ratings[s] - ir_ratings[t]
                            sq_diff[row, xj] += d * d
                            freq[row, xj] += 1
            a = b
        for xj in range(n_users):
            if xj == xi:
                sim[xi, xj] = 1.0
            elif freq[row, xj] < min_support:
                sim[xi, xj] = 0.0
            else:
                sim[xi, xj] = 1.0 / (sq_diff[row, xj] / freq[row, xj] + 1.0)
            sq_diff[row, xj] = 0.0
            freq[row, xj] = 0


# Users per block of the msd similarity: the scratch arrays are _MSD_BLOCK x n_users.
_MSD_BLOCK = 64


def _msd_similarity(ts: _Trainset, min_support: int) -> np.ndarray:
    """Surprise's ``similarities.msd`` over users: dense (n_users, n_users) float64."""
    n = ts.n_users
    sim = np.empty((n, n))
    block = min(_MSD_BLOCK, max(n, 1))
    sq_diff = np.zeros((block, n))
    freq = np.zeros((block, n), dtype=np.int64)
    for start in range(0, n, block):
        # ur_ptr: a user's ratings by item are as many as in ur
        _msd_rows(start, min(n, start + block), ts.ur_ptr, ts.ur_by_item_items,
                  ts.ur_by_item_ratings, ts.ir_ptr, ts.ir_users, ts.ir_ratings, min_support,
                  sq_diff, freq, sim)
    return sim


def _user_means(ts: _Trainset) -> np.ndarray:
    """KNNWithMeans.means: ``np.mean`` of each user's ratings in ur order (numpy's own sum)."""
    ptr = ts.ur_ptr
    return np.array([np.mean(ts.ur_ratings[ptr[u]:ptr[u + 1]]) for u in range(ts.n_users)],
                    dtype=np.float64)


def _fit_knn(ts: _Trainset, params: dict, algorithm: str) -> dict:
    sim_options = params.get("sim_options") or {}
    out = dict(kind="knn_basic" if algorithm == "KNNBasic" else "knn_means",
               sim=_msd_similarity(ts, int(sim_options.get("min_support", 1))),
               k=int(params.get("k", 40)), min_k=int(params.get("min_k", 1)),
               ir_indptr=ts.ir_ptr, ir_users=ts.ir_users, ir_ratings=ts.ir_ratings)
    if algorithm == "KNNWithMeans":
        out["means"] = _user_means(ts)
    return out


# ----------------------------------------------------------------------------------------------
# Fit


def fit(spec: dict, seed: int, train: pd.DataFrame, scale: tuple[float, float], exact: bool = False) -> ScoringParams:
    """Fit ``spec`` (a config model entry) on ``train`` (user_id, artist_id, rating) natively.

    Equal to ``params_from_surprise`` of ``build_algorithm(spec, seed)`` fitted on
    ``build_trainset(train, scale)``; ``train``'s row order fixes the inner ids as in Surprise.
    Bit for bit with ``exact=True``; by default SVD/MF sum their dot products in SIMD partial
    sums (last-bit differences, ~1e-15 on the default data, and a faster fit).
    """
    validate_native(spec, "model")
    algorithm = spec["algorithm"]
    params = spec.get("params") or {}
    needs_items = algorithm != "SVD" and not (
        algorithm == "BaselineOnly" and (params.get("bsl_options") or {}).get("method") == "sgd"
    )
    ts = _trainset(train, with_items=needs_items)
    if algorithm == "BaselineOnly":
        fitted = _fit_baseline(ts, params)
    elif algorithm == "SVD":
        fitted = _fit_svd(ts, params, seed, exact)
    else:
        fitted = _fit_knn(ts, params, algorithm)
    return ScoringParams(global_mean=ts.global_mean, rating_scale=tuple(scale),
                         user_raw2inner=ts.user_raw2inner, item_raw2inner=ts.item_raw2inner,
                         **fitted)


# ----------------------------------------------------------------------------------------------
# Predict


def _inner_ids(raw_ids: Iterable[Any], raw2inner: Mapping[Any, int]) -> np.ndarray:
    """Inner ids (int64) of raw ids, -1 when unknown, as ``raw2inner.get`` finds them for the
    Python scalars of ``tolist()`` (the ids of a testset built from the DataFrame)."""
    if isinstance(raw_ids, (pd.Series, pd.Index)):
        raw_ids = raw_ids.to_numpy()
    if isinstance(raw_ids, np.ndarray) and raw_ids.dtype.kind in "iu":
        keys = pd.Index(list(raw2inner))
        if keys.dtype.kind in "iu":  # all keys are ints: a hash join gives the dict's answer
            pos = keys.get_indexer(raw_ids)
            inner = np.fromiter(raw2inner.values(), dtype=np.int64, count=len(raw2inner))
            return np.where(pos >= 0, inner[pos], -1)
    raw_ids = raw_ids.tolist() if isinstance(raw_ids, np.ndarray) else list(raw_ids)
    get = raw2inner.get
    return np.fromiter((get(r, -1) for r in raw_ids), dtype=np.int64, count=len(raw_ids))


def _baseline_est(p: ScoringParams, u: np.ndarray, i: np.ndarray) -> np.ndarray:
    """``est = mu; est += bu[u] (user known); est += bi[i] (item known)``."""
    est = np.full(u.size, p.global_mean)
    ku, ki = u >= 0, i >= 0
    est[ku] += p.bu[u[ku]]
    est[ki] += p.bi[i[ki]]
    return est


@njit(cache=True)
def _factor_est(u, i, pu, qi, bu, bi, global_mean, biased):
    """SVD.estimate(): biased ``mu + bu + bi + qi.pu`` (each term when known); unbiased
    ``qi.pu``, or the global mean when user or item is unknown. ``np.dot`` is Surprise's call."""
    out = np.empty(u.size)
    for p in range(u.size):
        uu, ii = u[p], i[p]
        if biased:
            est = global_mean
            if uu >= 0:
                est += bu[uu]
            if ii >= 0:
                est += bi[ii]
            if uu >= 0 and ii >= 0:
                est += np.dot(qi[ii], pu[uu])
        elif uu >= 0 and ii >= 0:
            est = np.dot(qi[ii], pu[uu])
        else:
            est = global_mean
        out[p] = est
    return out


@njit(cache=True)
def _knn_est(u, i, sim, ir_ptr, ir_users, ir_ratings, means, k, min_k, with_means,
             global_mean):
    """KNNBasic / KNNWithMeans.estimate() with predict()'s fallbacks, per pair.

    The neighbours are ``heapq.nlargest(k, ir[i], key=sim[u, v])`` restricted to sim > 0: kept
    sorted by sim descending, ties by position in ir[i] (earlier first), which is nlargest's
    output order and so the order Surprise sums in.
    """
    out = np.empty(u.size)
    top_sim = np.empty(k)
    top_pos = np.empty(k, dtype=np.int64)
    for p in range(u.size):
        uu, ii = u[p], i[p]
        if uu < 0 or ii < 0:
            out[p] = global_mean
            continue
        size = 0
        for t in range(ir_ptr[ii], ir_ptr[ii + 1]):
            s = sim[uu, ir_users[t]]
            if not s > 0 or (size == k and s <= top_sim[k - 1]):
                continue
            j = size if size < k else k - 1  # a full list drops its last entry
            while j > 0 and top_sim[j - 1] < s:  # equal sims stay ahead (earlier in ir)
                top_sim[j] = top_sim[j - 1]
                top_pos[j] = top_pos[j - 1]
                j -= 1
            top_sim[j] = s
            top_pos[j] = t
            size = min(size + 1, k)
        sum_sim = 0.0
        sum_ratings = 0.0
        for j in range(size):
            t = top_pos[j]
            sum_sim += top_sim[j]
            if with_means:
                sum_ratings += top_sim[j] * (ir_ratings[t] - means[ir_users[t]])
            else:
                sum_ratings += top_sim[j] * ir_ratings[t]
        if not with_means:
            out[p] = global_mean if size < min_k else sum_ratings / sum_sim
        elif size == 0:  # Surprise: ZeroDivisionError -> means[u]
            out[p] = means[uu]
        else:
            out[p] = means[uu] + (0.0 if size < min_k else sum_ratings / sum_sim)
    return out


def predict_pairs(params: ScoringParams, user_raw: Iterable[Any],
                  item_raw: Iterable[Any]) -> np.ndarray:
    """``algo.test()`` estimates for the pairs ``(user_raw[n], item_raw[n])``, float64.

    Raw ids as in the training data (unknown ones get Surprise's fallbacks); every estimate is
    clipped to ``rating_scale`` as ``max(lo, min(hi, est))``. Works for ScoringParams of either
    engine.
    """
    u = _inner_ids(user_raw, params.user_raw2inner)
    i = _inner_ids(item_raw, params.item_raw2inner)
    if u.size != i.size:
        raise ValueError(f"predict_pairs got {u.size} users but {i.size} items")
    kind = params.kind
    if kind == "baseline":
        est = _baseline_est(params, u, i)
    elif kind in ("svd", "mf"):
        biased = kind == "svd"
        zeros = np.zeros(0)
        est = _factor_est(u, i, np.ascontiguousarray(params.pu), np.ascontiguousarray(params.qi),
                          params.bu if biased else zeros, params.bi if biased else zeros,
                          params.global_mean, biased)
    else:
        with_means = kind == "knn_means"
        est = _knn_est(u, i, np.ascontiguousarray(params.sim), params.ir_indptr, params.ir_users,
                       params.ir_ratings, params.means if with_means else np.zeros(0),
                       params.k, params.min_k, with_means, params.global_mean)
    lo, hi = params.rating_scale
    np.minimum(est, hi, out=est)
    np.maximum(est, lo, out=est)
    return est


# ----------------------------------------------------------------------------------------------
# Memory


# Peak bytes of fit + predict_pairs (of a test part of n_ratings / 4 pairs), traced with
# tracemalloc (numpy and numba allocations; the interpreter and the input DataFrame excluded).
# Measured: default data fold (2,249 users, 7,033 items, 40,948 ratings): ALS 2.7 MB, SVD k100
# 9.6 MB, KNNWithMeans 48.0 MB; synthetic 55,000 users x 295,580 items x 2.4 M ratings: SGD
# baseline 84 MB, ALS 135 MB, MF k20 134 MB, SVD k100 359 MB; 8,000 users x 50,000 items x
# 0.8 M ratings: KNNWithMeans 612 MB. The estimates are 0-40 % above these (never below).
_BYTES_PER_RATING = 32  # ur arrays (int32 + float64), id codes, predict temporaries
_BYTES_PER_RATING_ITEMS = 41  # + ir and ur-by-item arrays (ALS, kNN)
_BYTES_PER_RATING_KNN = 49  # + ScoringParams' int64 copy of the raters
_BYTES_PER_ID = 100  # raw -> inner dicts (Python ints) and id lookups, per user and per item
_BYTES_PER_USER_PAIR = 9  # kNN: sim (float64) + ScoringParams' NaN check (bool)


def estimate_memory_gb(spec: dict, n_users: int, n_items: int, n_ratings: int) -> float:
    """Peak memory of a native fit and predict_pairs, in GB (constants measured above).

    SVD adds its factors (8 bytes x n_factors x (n_users + n_items)); user-based kNN its dense
    n_users x n_users similarity and the msd scratch rows.
    """
    algorithm = spec["algorithm"]
    params = spec.get("params") or {}
    ids = n_users + n_items
    total = _BYTES_PER_ID * ids
    if algorithm == "SVD":
        total += _BYTES_PER_RATING * n_ratings + 8 * params.get("n_factors", 100) * ids
    elif algorithm == "BaselineOnly":
        sgd = (params.get("bsl_options") or {}).get("method") == "sgd"
        total += (_BYTES_PER_RATING if sgd else _BYTES_PER_RATING_ITEMS) * n_ratings + 16 * ids
    else:
        total += (_BYTES_PER_RATING_KNN * n_ratings + _BYTES_PER_USER_PAIR * n_users * n_users
                  + 16 * _MSD_BLOCK * n_users)
    return total / 1e9


def warm_up(spec: dict) -> None:
    """Load ``spec``'s compiled kernels (numba compiles once per machine and caches on disk; each
    new process still loads them on first call) by fitting and predicting a tiny problem, so that
    timings of a real fit measure the fit alone."""
    rng = np.random.default_rng(0)
    tiny = pd.DataFrame({"user_id": rng.integers(0, 20, 200), "artist_id": rng.integers(0, 30, 200),
                         "rating": rng.random(200) * 5}).drop_duplicates(["user_id", "artist_id"])
    params = fit(spec, 0, tiny, (0.0, 5.0))
    predict_pairs(params, tiny["user_id"].to_numpy(), tiny["artist_id"].to_numpy())

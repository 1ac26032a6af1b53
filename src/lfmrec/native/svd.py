"""SVD, biased or not (surprise/prediction_algorithms/matrix_factorization.pyx, ``SVD``).

Estimate (``estimate()`` with ``predict()``'s fallback):

- biased (``kind="svd"``): ``r_ui = mu + b_u + b_i + q_i . p_u``, added in that order, each term
  only when known (the product when both are);
- unbiased (``kind="mf"``): ``r_ui = q_i . p_u``; an unknown user or item is impossible -> the
  global mean.

``q_i . p_u`` is ``np.dot(qi[i], pu[u])``, the BLAS ``ddot`` Surprise calls (numba reaches it
through scipy's BLAS, Surprise through numpy's; the two summed alike wherever the tests ran, but
two BLAS builds may order the partial sums differently: ~1e-16).

Fit: ``pu`` then ``qi`` drawn from ``RandomState(seed).normal(init_mean, init_std_dev)``
(:mod:`.rng`), biases zero, ``mu = 0`` when unbiased; then ``n_epochs`` passes of SGD over
``all_ratings()`` (users in order, each user's ratings in row order). Per rating::

    dot = sum_f qi[i, f] * pu[u, f]                      (f ascending)
    err = r - (mu + bu[u] + bi[i] + dot)
    bu[u] += lr_bu * (err - reg_bu * bu[u])              (biased only)
    bi[i] += lr_bi * (err - reg_bi * bi[i])              (biased only)
    pu[u, f] += lr_pu * (err * qi[i, f] - reg_pu * pu[u, f])   for each f, with the values
    qi[i, f] += lr_qi * (err * pu[u, f] - reg_qi * qi[i, f])   before this update

Two kernels perform these updates in this order:

- :func:`svd_sgd_exact` (``fit(..., exact=True)``): Surprise's floating-point operations in
  Surprise's order (no fastmath: no reassociation, no fused multiply-add), so the factors and
  biases are Surprise's bit for bit, on any CPU.
- :func:`svd_sgd_relaxed` (the default, ``exact=False``): the same updates, compiled with fastmath
  (reassociation and contraction): the dot product is summed in SIMD partial sums and
  multiply-adds may be fused, and the next rating's dot product is summed while this rating's
  factors are updated. Results differ from Surprise's, and between CPUs with different vector
  units, in the last bits (fitted factors within ~1e-15 of Surprise's on the default data);
  about 2.6x faster than the exact kernel (svd_k100 on a default-data fold: 0.11 vs 0.28 s).
  At full LFM-1b scale one epoch over a fold's 22.7 M ratings (in random order) takes 6.2-6.7 s
  at 100 factors with the factors in huge pages (:func:`.rng.normal_init`), 7.3-7.9 s in 4 kB
  pages, mostly waiting for item factors that miss the caches.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._numba import njit
from .rng import normal_init
from .trainset import Trainset

# Users trained side by side by svd_sgd_exact; _lane_dots handles up to 4.
_LANES = 4
# How many ratings ahead svd_sgd_relaxed prefetches the item factors: at LFM-1b scale qi does not
# fit in the caches and each rating's qi row would otherwise be a cache miss (measured 1.75x
# faster at 185,073 items x 100 factors; 2-8 ahead all did as well).
_PREFETCH_AHEAD = 4


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
            builder.module, ir.FunctionType(ir.VoidType(), [start.type, i32, i32, i32]), "llvm.prefetch.p0"
        )
        itemsize = context.get_abi_sizeof(context.get_data_type(signature.args[0].dtype))
        size = builder.mul(ncols, ir.Constant(ncols.type, itemsize))
        with cgutils.for_range_slice(builder, ir.Constant(ncols.type, 0), size, ir.Constant(ncols.type, 64)) as (off, _):
            line = builder.gep(builder.bitcast(start, byte_ptr), [off])
            # read access, keep in all cache levels, data cache
            builder.call(fn, [builder.bitcast(line, start.type), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(fastmath={"reassoc", "nsz", "arcp", "contract"}, cache=True)
def svd_sgd_relaxed(
    ur_ptr,
    ur_items,
    ur_ratings,
    bu,
    bi,
    pu,
    qi,
    n_epochs,
    global_mean,
    biased,
    lr_bu,
    lr_bi,
    lr_pu,
    lr_qi,
    reg_bu,
    reg_bi,
    reg_pu,
    reg_qi,
):
    """The SGD of the module docstring over all_ratings() in order, in place, with the
    floating-point operations free to be reassociated and fused (SIMD dot products and updates,
    FMA): results differ from Surprise's and between CPUs in the last bits.

    The dot product of a user's next rating is summed in the loop that updates this rating's
    factors, from pu's new values (one pass over pu[u] per rating instead of two). That is the
    dot product the next step would compute: the step writes pu[u] and qi[i] only, factor f of
    both before factor f of the next item is read, so even a user who rated the same item twice
    in a row gets the updated values. The item factors of the rating
    _PREFETCH_AHEAD places ahead and the next user's factors are prefetched. The update is
    written out here rather than shared with the exact kernel because numba's fastmath applies
    per function."""
    n_factors = pu.shape[1]
    n_users, n = ur_ptr.size - 1, ur_items.size
    for _ in range(n_epochs):
        for u in range(n_users):
            if u + 1 < n_users:
                _prefetch_row(pu, u + 1)
            start, stop = ur_ptr[u], ur_ptr[u + 1]
            if start == stop:
                continue
            i = ur_items[start]
            dot = 0.0
            for f in range(n_factors):
                dot += qi[i, f] * pu[u, f]
            for t in range(start, stop):
                i = ur_items[t]
                if t + _PREFETCH_AHEAD < n:
                    _prefetch_row(qi, ur_items[t + _PREFETCH_AHEAD])
                err = ur_ratings[t] - (global_mean + bu[u] + bi[i] + dot)
                if biased:
                    bu[u] += lr_bu * (err - reg_bu * bu[u])
                    bi[i] += lr_bi * (err - reg_bi * bi[i])
                j = ur_items[t + 1] if t + 1 < stop else i  # after the user's last: unused
                dot = 0.0
                for f in range(n_factors):
                    puf = pu[u, f]
                    qif = qi[i, f]
                    new_puf = puf + lr_pu * (err * qif - reg_pu * puf)
                    pu[u, f] = new_puf
                    qi[i, f] = qif + lr_qi * (err * puf - reg_qi * qif)
                    dot += qi[j, f] * new_puf  # qi[j, f] is read after qi[i, f] is written


@njit(cache=True)
def _item_chain_positions(ur_items, n_items):
    """For each rating (all_ratings() order), how many ratings of its item come before it."""
    chain = np.empty(ur_items.size, dtype=np.int32)
    seen = np.zeros(n_items, dtype=np.int32)
    for t in range(ur_items.size):
        chain[t] = seen[ur_items[t]]
        seen[ur_items[t]] += 1
    return chain


@njit(cache=True)
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


@njit(cache=True)
def _sgd_step(u, i, r, dot, bu, bi, pu, qi, global_mean, biased, lr_bu, lr_bi, lr_pu, lr_qi, reg_bu, reg_bi, reg_pu, reg_qi):
    """One SGD update for rating r of (u, i), given its dot product ``qi[i] . pu[u]``:
    ``err = r - (mu + bu + bi + dot)``, biases (biased only), then factors with the values
    before the update."""
    err = r - (global_mean + bu[u] + bi[i] + dot)
    if biased:
        bu[u] += lr_bu * (err - reg_bu * bu[u])
        bi[i] += lr_bi * (err - reg_bi * bi[i])
    for f in range(pu.shape[1]):
        puf = pu[u, f]
        qif = qi[i, f]
        pu[u, f] += lr_pu * (err * qif - reg_pu * puf)
        qi[i, f] += lr_qi * (err * puf - reg_qi * qif)


@njit(cache=True)
def svd_sgd_exact(
    ur_ptr,
    ur_items,
    ur_ratings,
    bu,
    bi,
    pu,
    qi,
    n_epochs,
    global_mean,
    biased,
    lr_bu,
    lr_bi,
    lr_pu,
    lr_qi,
    reg_bu,
    reg_bi,
    reg_pu,
    reg_qi,
):
    """The SGD of the module docstring, in place, bit for bit Surprise's.

    A step reads and writes bu[u], bi[i], pu[u], qi[i] only, so it depends on nothing but the
    previous rating of u and the previous rating of i. Up to _LANES users are trained side by
    side, each in its ur order; a lane's next rating runs once all earlier ratings of its item
    (in all_ratings() order) are done, so every parameter sees Surprise's sequence of updates and
    the result is bit-for-bit the same. The lane of the lowest unfinished user is always ready.
    The lanes' dot products are independent chains (the sequential sum is the bottleneck).
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
                _sgd_step(
                    u,
                    i,
                    ur_ratings[st[j]],
                    dots[j],
                    bu,
                    bi,
                    pu,
                    qi,
                    global_mean,
                    biased,
                    lr_bu,
                    lr_bi,
                    lr_pu,
                    lr_qi,
                    reg_bu,
                    reg_bi,
                    reg_pu,
                    reg_qi,
                )
                done[i] += 1
            processed += width


def fit(ts: Trainset, params: dict, seed: int, exact: bool = False) -> dict:
    """The ScoringParams fields of a fitted SVD: ``kind="svd"`` with ``bu, bi, pu, qi`` (biased)
    or ``kind="mf"`` with ``pu, qi``. Surprise's defaults: 100 factors, 20 epochs, init N(0, 0.1),
    lr_all 0.005, reg_all 0.02 (a specific ``lr_*`` / ``reg_*`` overrides the ``_all`` one)."""
    n_factors = int(params.get("n_factors", 100))
    lr_all, reg_all = params.get("lr_all", 0.005), params.get("reg_all", 0.02)

    def rate(name: str, default: float) -> float:
        value = params.get(name)
        return float(default if value is None else value)

    biased = bool(params.get("biased", True))
    init_mean, init_std_dev = params.get("init_mean", 0), params.get("init_std_dev", 0.1)
    # surprise.utils.get_rng(int) is RandomState(seed); pu is drawn, then qi.
    pu, qi = normal_init(seed, ts.n_users, n_factors, ts.n_items, init_mean, init_std_dev)
    bu = np.zeros(ts.n_users)
    bi = np.zeros(ts.n_items)
    kernel = svd_sgd_exact if exact else svd_sgd_relaxed
    kernel(
        ts.ur_ptr,
        ts.ur_items,
        ts.ur_ratings,
        bu,
        bi,
        pu,
        qi,
        int(params.get("n_epochs", 20)),
        ts.global_mean if biased else 0.0,  # Surprise: "if not biased: global_mean = 0"
        biased,
        rate("lr_bu", lr_all),
        rate("lr_bi", lr_all),
        rate("lr_pu", lr_all),
        rate("lr_qi", lr_all),
        rate("reg_bu", reg_all),
        rate("reg_bi", reg_all),
        rate("reg_pu", reg_all),
        rate("reg_qi", reg_all),
    )
    if biased:
        return dict(kind="svd", bu=bu, bi=bi, pu=pu, qi=qi)
    return dict(kind="mf", pu=pu, qi=qi)


@njit(cache=True)
def _factor_est(u, i, pu, qi, bu, bi, global_mean, biased):
    """Per pair: biased ``mu + bu + bi + qi.pu`` (each term when known); unbiased ``qi.pu``, or
    the global mean when user or item is unknown (inner id -1). ``np.dot`` is Surprise's call."""
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


def estimate(
    global_mean: float, bu: np.ndarray | None, bi: np.ndarray | None, pu: np.ndarray, qi: np.ndarray, u: np.ndarray, i: np.ndarray
) -> np.ndarray:
    """``SVD.estimate()`` with ``predict()``'s fallback for the pairs (u[n], i[n]) of inner ids
    (-1 unknown), before clipping; biased iff ``bu`` is given."""
    biased = bu is not None
    zeros = np.zeros(0)
    return _factor_est(
        u,
        i,
        np.ascontiguousarray(pu),
        np.ascontiguousarray(qi),
        bu if biased else zeros,
        bi if biased else zeros,
        global_mean,
        biased,
    )

"""What the linear families (:mod:`.baseline`, :mod:`.factors`) share: Surprise's sum
``est = mu; est += bu[u] (known); est += bi[i] (known); est += qi . pu (both known)`` for a block
of users, raw or finished (:class:`~.base.Finish`), and the item side of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._numba import njit
from .base import Finish, ItemPlan

MODES = {"mf": 1, "svd": 2, "baseline": 3}  # Finish.mode of each linear kind


@dataclass
class LinearItems:
    bi_col: np.ndarray | None  # (n_req,), 0 for unknown items (baseline, svd)
    q_col: np.ndarray | None  # (n_req, f), 0 rows for unknown items (svd, mf)


def plan_linear(plan: ItemPlan, bi: np.ndarray | None, qi: np.ndarray | None) -> LinearItems:
    """The requested items' biases and factors (0 for an unknown item)."""
    known, inner = plan.cols_known, plan.inner
    safe = np.where(known, inner, 0)
    bi_col = np.where(known, bi[safe], 0.0) if bi is not None else None
    q_col = None
    if qi is not None:  # one gather (581,417 x 100: 0.5 s), no np.where copies
        if np.array_equal(inner, np.arange(qi.shape[0])):
            q_col = qi  # read only
        else:
            q_col = qi[safe]
            q_col[~known] = 0.0
    return LinearItems(bi_col, q_col)


def linear_block(p, plan: ItemPlan, uinner: np.ndarray, buffer: np.ndarray | None, defer: bool):
    """The scores of a block of users of a linear kind (``p.kind`` baseline, svd or mf): raw and
    its :class:`Finish` with ``defer`` (baseline: the block is not written at all), else
    finished in place. Unknown users and items: Surprise's fallbacks."""
    ukn = uinner >= 0
    usafe = np.where(ukn, uinner, 0)
    mu = p.global_mean
    lo, hi = p.rating_scale
    items: LinearItems = plan.state
    out = np.empty((uinner.size, plan.inner.size)) if buffer is None else buffer[: uinner.size]
    # Surprise: est = mu; est += bu[u] (known); est += bi[i] (known); est += qi.pu (both)
    ub = np.where(ukn, mu + p.bu[usafe], mu) if p.kind != "mf" else np.zeros(0)
    if p.kind != "baseline":
        P = np.where(ukn[:, None], p.pu[usafe], 0.0)
        np.matmul(P, items.q_col.T, out=out)  # unknown users and items: zero rows, so a zero product
    if p.kind == "mf":
        out[~ukn, :] = mu
        out[:, ~plan.cols_known] = mu
    bi = items.bi_col if p.kind != "mf" else np.zeros(0)
    if defer:
        return out, Finish(MODES[p.kind], ub, bi, float(lo), float(hi))
    finish_block(out, ub, bi, p.kind != "mf", p.kind == "svd", lo, hi)
    return out


@njit(cache=True, nogil=True)
def finish_block(out, ub, bi, add_biases, add_product, lo, hi):
    """In place, one pass: ``out = (ub[r] + bi[c]) + out`` (biases and the factor product in
    Surprise's order; without the product ``ub[r] + bi[c]``) when ``add_biases``, then Surprise's
    clipping ``max(lo, min(hi, est))``."""
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            v = out[r, c]
            if add_biases:
                v = (ub[r] + bi[c]) + v if add_product else ub[r] + bi[c]
            out[r, c] = max(lo, min(hi, v))

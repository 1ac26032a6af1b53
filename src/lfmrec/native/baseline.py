"""BaselineOnly (surprise/prediction_algorithms/baseline_only.py, optimize_baselines.pyx).

The estimate is ``r_ui = mu + b_u + b_i``; Surprise's ``estimate()`` adds the terms in that order,
each only when known: ``est = mu; est += bu[u] (user known); est += bi[i] (item known)``.

The baselines minimise ``sum (r_ui - mu - b_u - b_i)**2 + reg_u sum b_u**2 + reg_i sum b_i**2``,
started at zero, with one of two methods (``bsl_options``):

- ``als`` (default: 10 epochs, reg_u 15, reg_i 10): per epoch, first every item
  ``b_i = sum_{u in R(i)} (r_ui - mu - b_u) / (reg_i + |R(i)|)``, then every user
  ``b_u = sum_{i in R(u)} (r_ui - mu - b_i) / (reg_u + |R(u)|)``; the sums run over ``ir[i]`` /
  ``ur[u]`` in order.
- ``sgd`` (default: 20 epochs, reg 0.02, learning_rate 0.005): per epoch, over ``all_ratings()``,
  ``err = r - (mu + b_u + b_i)``, then ``b_u += lr (err - reg b_u)`` and ``b_i += lr (err - reg
  b_i)``.

Both kernels perform Surprise's floating-point operations on the same values in the same order
(compiled without fastmath: no reassociation, no fused multiply-add), so ``bu`` and ``bi`` are
Surprise's bit for bit, and so are the estimates.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit
from .trainset import Trainset


@njit(cache=True)
def _baseline_als(ur_ptr, ur_items, ur_ratings, ir_ptr, ir_users, ir_ratings, global_mean, n_epochs, reg_u, reg_i):
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


def needs_items(params: dict) -> bool:
    """ALS reads ``ir``; SGD only ``ur``."""
    return (params.get("bsl_options") or {}).get("method", "als") == "als"


def fit(ts: Trainset, params: dict) -> dict:
    """The ScoringParams fields of a fitted BaselineOnly: ``kind="baseline"``, ``bu``, ``bi``."""
    bsl = params.get("bsl_options") or {}
    if bsl.get("method", "als") == "als":
        bu, bi = _baseline_als(
            ts.ur_ptr,
            ts.ur_items,
            ts.ur_ratings,
            ts.ir_ptr,
            ts.ir_users,
            ts.ir_ratings,
            ts.global_mean,
            int(bsl.get("n_epochs", 10)),
            float(bsl.get("reg_u", 15)),
            float(bsl.get("reg_i", 10)),
        )
    else:
        bu, bi = _baseline_sgd(
            ts.ur_ptr,
            ts.ur_items,
            ts.ur_ratings,
            ts.n_items,
            ts.global_mean,
            int(bsl.get("n_epochs", 20)),
            float(bsl.get("reg", 0.02)),
            float(bsl.get("learning_rate", 0.005)),
        )
    return dict(kind="baseline", bu=bu, bi=bi)


def estimate(global_mean: float, bu: np.ndarray, bi: np.ndarray, u: np.ndarray, i: np.ndarray) -> np.ndarray:
    """``est = mu; est += bu[u] (u >= 0, known); est += bi[i] (i >= 0, known)``, per pair."""
    est = np.full(u.size, global_mean)
    ku, ki = u >= 0, i >= 0
    est[ku] += bu[u[ku]]
    est[ki] += bi[i[ki]]
    return est

"""The fits of the implicit-feedback top-n models beside the paper's rating models: ItemKNN, ALS,
EASE (their families: :mod:`lfmrec.families.item_knn`, :mod:`~lfmrec.families.als`,
:mod:`~lfmrec.families.ease`).

The paper's models predict a log2 playcount and rank by it; these models learn from *which*
artists a user played and rank artists directly. They predict no rating (no RMSE/MAE); their
fitted parameters are scored by the same ``iter_score_blocks`` as every model, so they go through
the same held-out ranking, cross-cultural lists, deletions and diversity.

- ``ItemKNN``: item-based kNN with cosine similarity, ``implicit.nearest_neighbours.
  CosineRecommender`` (implicit 0.7). Its similarity keeps, for each item ``j``, the ``K`` items
  with the largest cosine to ``j`` (``j`` itself among them); a user's score of item ``i`` is
  ``sum_j X[u, j] S[j, i]``, which is what implicit's ``recommend()`` ranks by.
- ``ALS``: implicit-feedback matrix factorization (Hu, Koren & Volinsky, ICDM 2008, "Collaborative
  Filtering for Implicit Feedback Datasets"), ``implicit.cpu.als.AlternatingLeastSquares`` with its
  conjugate-gradient solver; implicit's confidence of a played pair is ``alpha x`` its value in
  ``X``; the score is ``user_factors[u] . item_factors[i]``.
- ``EASE``: Steck, "Embarrassingly Shallow Autoencoders for Sparse Data" (WWW 2019), closed form:
  ``P = (X^T X + reg I)^-1``, ``B = -P / diag(P)`` (column ``j`` divided by ``-P[j, j]``),
  ``diag(B) = 0``; the score is ``X[u] @ B``. No small, well-kept library implements it, and it
  is these few lines. It holds a dense items x items matrix: fine for the default sample (8,000
  artists, 0.5 GB), impossible for all of LFM-1b (581,000 artists, 2.7 TB); the memory check
  refuses it there.

``X`` (users x items) holds the training triples with ``feedback``: ``binary`` (1 per played
artist) or ``log_plays`` (1 + rating = 1 + log2 playcount, so an artist played once counts 1).
Users and items get inner ids in ascending raw-id order. Fits are deterministic: one thread
(implicit's and BLAS's), ALS seeded with the config's ``model_seed``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .families.base import raw2inner_from_ids


def interaction_matrix(train: pd.DataFrame, feedback: str) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """``(X, user raw ids, item raw ids)``: X (users x items, float64 CSR, canonical) with users and
    items in ascending raw-id order, 1 per pair (``binary``) or 1 + rating (``log_plays``)."""
    users, u = np.unique(train["user_id"].to_numpy(), return_inverse=True)
    items, i = np.unique(train["artist_id"].to_numpy(), return_inverse=True)
    if feedback == "binary":
        values = np.ones(len(train))
    elif feedback == "log_plays":
        values = 1.0 + train["rating"].to_numpy(np.float64)
    else:
        raise ValueError(f"unknown feedback {feedback!r}: use binary or log_plays")
    X = sp.csr_matrix((values, (u, i)), shape=(users.size, items.size), dtype=np.float64)
    X.sum_duplicates()  # sorted, unique column indices per row
    return X, users, items


def _blas_one_thread():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def fit_item_knn(X: sp.csr_matrix, K: int) -> sp.csr_matrix:
    """implicit's CosineRecommender similarity (items x items CSR, float64) fitted on ``X``."""
    from implicit.nearest_neighbours import CosineRecommender
    from implicit.utils import ParameterWarning

    with _blas_one_thread(), warnings.catch_warnings():
        # CosineRecommender.fit hands its own normalized COO copy to ItemItemRecommender.fit, which
        # warns that it converts it to CSR: implicit's internals, not our input
        warnings.simplefilter("ignore", category=ParameterWarning)
        model = CosineRecommender(K=K, num_threads=1)
        model.fit(X, show_progress=False)
    S = sp.csr_matrix(model.similarity, dtype=np.float64)
    S.sum_duplicates()
    return S


def fit_als(
    X: sp.csr_matrix, factors: int, regularization: float, alpha: float, iterations: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """implicit's ALS (CPU, float32, conjugate gradient) on ``X``; returns (user_factors,
    item_factors) as float32, exactly as implicit holds them."""
    from implicit.cpu.als import AlternatingLeastSquares

    with _blas_one_thread():
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            dtype=np.float32,
            num_threads=1,
            random_state=seed,
        )
        model.fit(X.astype(np.float32), show_progress=False)
    return np.asarray(model.user_factors), np.asarray(model.item_factors)


def ease_weights(X: sp.csr_matrix, reg: float) -> np.ndarray:
    """EASE's ``B`` (Steck 2019): ``P = (X^T X + reg I)^-1``, ``B[:, j] = -P[:, j] / P[j, j]``,
    ``B[j, j] = 0``. Float64, items x items, C order.

    ``X^T X`` is built dense a block of columns at a time from sparse products, and, plus
    ``reg I``, is symmetric positive definite (reg > 0), so it is inverted in place through its
    Cholesky factor (LAPACK potrf, potri; one BLAS thread, deterministic): the peak is about one
    items x items array, not the three of a general inverse.
    """
    from scipy.linalg import lapack

    n_users, n = X.shape
    G = np.zeros((n, n), order="F")
    XT, Xc = X.T.tocsr(), X.tocsc()
    step = max(1, (16 << 20) // max(n_users, n, 1))  # columns per block: about 128 MB of temporaries
    for lo in range(0, n, step):  # sparse @ dense: nnz(X) x step multiply-adds per block
        G[:, lo : lo + step] = XT @ Xc[:, lo : lo + step].toarray()
    G[np.diag_indices(n)] += reg
    with _blas_one_thread():
        c, info = lapack.dpotrf(G, lower=False, clean=False, overwrite_a=True)
        if info != 0:
            raise np.linalg.LinAlgError(f"X^T X + reg I is not positive definite (potrf info {info})")
        P, info = lapack.dpotri(c, lower=False, overwrite_c=True)
        if info != 0:
            raise np.linalg.LinAlgError(f"inverting the Cholesky factor failed (potri info {info})")
    del G, c
    _symmetrize_upper(P)  # potri leaves the inverse in the upper triangle only
    P = P.T  # the same symmetric matrix, now C-contiguous (a view: no copy)
    d = np.diag(P).copy()
    P /= -d[None, :]  # column j divided by -P[j, j]
    P[np.diag_indices(n)] = 0.0
    return P


def _symmetrize_upper(P: np.ndarray, block: int = 1024) -> None:
    """Copy the upper triangle of ``P`` onto its lower one, in place, a block of columns at a time."""
    n = P.shape[0]
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        # rows lo:hi below the diagonal block, and the diagonal block's lower part
        P[hi:, lo:hi] = P[lo:hi, hi:].T
        tile = P[lo:hi, lo:hi]
        lower = np.tril_indices(hi - lo, -1)
        tile[lower] = tile.T[lower]


def topn_common(train: pd.DataFrame, users: np.ndarray, items: np.ndarray) -> dict[str, Any]:
    """The fields every top-n model's ScoringParams share: ids in ascending raw-id order (those of
    :func:`interaction_matrix`), a global mean of 0 (unused) and the ratings' scale."""
    return dict(
        global_mean=0.0,  # unused by the top-n kinds
        rating_scale=(float(train["rating"].min()), float(train["rating"].max())) if len(train) else (0.0, 0.0),
        user_raw2inner=raw2inner_from_ids(users.tolist()),
        item_raw2inner=raw2inner_from_ids(items.tolist()),
    )

"""Scores for all (user, item) pairs, equal to Surprise's ``algo.predict(uid, iid).est``.

Scoring 2,300 users x 8,000 artists one pair at a time with ``predict()`` costs minutes per model;
this module computes the same numbers from the fitted parameters, block by block of users.

The parameters live in an engine-agnostic :class:`ScoringParams` (plain arrays and two dicts), so
the native engine (:mod:`lfmrec.native`) and Surprise are scored by the same code.
:func:`params_from_surprise` reads them from a fitted Surprise algorithm.

What is computed (scikit-surprise 1.1.5, see shared/docs/surprise.md), and how exactly:

- Raw ids are looked up in the trainset's raw -> inner dicts (:func:`lfmrec.ids.inner_ids`), so
  the type matters (``5 != "5"``); an unknown user or item gets the fallbacks below.
- ``baseline``: ``mu + bu[u] (user known) + bi[i] (item known)``, added in Surprise's order:
  bit for bit.
- ``svd`` (SVD, biased=True): ``mu + bu + bi + qi.pu``, each term only when known, added in
  Surprise's order; ``mf`` (SVD, biased=False): ``qi.pu``, unknown user or item -> global mean.
  The products ``qi.pu`` of a block are one matrix product (BLAS), whose partial sums are not
  the ones of Surprise's per-pair ``np.dot``: estimates differ in the last bits (~1e-15).
- ``knn_basic`` / ``knn_means`` (user based, any similarity, k, min_k): Surprise's estimate with
  ``heapq.nlargest``'s stable neighbour order, sums in that order and its fallbacks, computed by
  :func:`lfmrec.knn_estimate.knn_block` (with the neighbour sums and fallbacks the native
  engine's ``predict_pairs`` uses): bit for bit. Unknown user or item -> global mean. A pair the
  user already rated has the user among the raters (``sim[u, u]``).
- Every estimate is clipped to ``rating_scale`` as ``max(lo, min(hi, est))``.

SVD scores can thus swap two nearly tied items in a list: break score ties deterministically
downstream.

The implicit-feedback top-n models (:mod:`lfmrec.ranking_models`) predict no ratings; their kinds
score what their libraries rank by, **never clipped** (clipping would tie the best items):

- ``factors`` (implicit's ALS): ``pu[u] . qi[i]``, the factors implicit fitted (float32, held as
  float64: the conversion is exact, so the block product only differs from implicit's float32
  ``recommend()`` scores by float32's rounding);
- ``item_knn`` (implicit's CosineRecommender): ``X[u] @ S[:, i]`` with ``X`` the training
  interactions (users x items, CSR) and ``S`` the sparse item x item similarity (row ``j``: the
  ``K`` items most similar to ``j``), the sums implicit's ``recommend()`` ranks by;
- ``ease``: ``X[u] @ B[:, i]`` with ``B`` the dense item x item weights.

An unknown user or item scores 0 in all three, as a user or item without training interactions
does in implicit (its factors solve to zero; it has no row in ``X``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._numba import njit
from .ids import inner_ids
from .knn_estimate import ir_in_id_order, knn_block, user_ratings

KINDS = ("baseline", "svd", "mf", "knn_basic", "knn_means", "factors", "item_knn", "ease")
TOPN_KINDS = ("factors", "item_knn", "ease")  # ranking scores, not ratings: never clipped
DEFAULT_BLOCK_USERS = 256


@dataclass(eq=False)
class ScoringParams:
    """Everything needed to reproduce ``predict().est`` of one fitted model.

    Inner ids are ``0..n_users-1`` and ``0..n_items-1``; every inner id is a known user / item
    (has at least one training rating), as in a Surprise trainset.

    Fields used per kind (others stay ``None``):

    - ``baseline``: ``bu`` (n_users,), ``bi`` (n_items,)
    - ``svd``: ``bu``, ``bi``, ``pu`` (n_users, f), ``qi`` (n_items, f)
    - ``mf``: ``pu``, ``qi``
    - ``knn_basic``: ``sim`` (n_users, n_users), ``k``, ``min_k`` (>= 1), ``ir_indptr``,
      ``ir_users``, ``ir_ratings``; instead of ``sim``, the native engine's msd kNN gives its
      ``trainset`` (:class:`lfmrec.native.trainset.Trainset` built with items) and ``min_support``:
      the similarity rows of each block of users are computed when the block is scored
      (:func:`lfmrec.native.knn_stream.similarity_rows`, the same bits), never the whole matrix
    - ``knn_means``: as ``knn_basic`` plus ``means`` (n_users,); any ``min_k``
    - ``factors``: ``pu``, ``qi`` (scores ``pu @ qi.T``, unknown ids 0, no clipping)
    - ``item_knn``: ``interactions`` (n_users, n_items) CSR and ``item_item`` (n_items, n_items)
      CSR; ``ease``: ``interactions`` and a dense ``item_item``. Scores ``interactions @ item_item``

    ``ir_indptr`` (n_items + 1,), ``ir_users`` and ``ir_ratings`` (n_ratings,) hold the raters of
    each item in CSR form: the raters of item ``i`` are
    ``ir_users[ir_indptr[i]:ir_indptr[i+1]]`` **in the order of ``trainset.ir[i]``** (the order
    of the training triples); that order breaks ties between equal similarities.
    See :func:`build_item_raters`.
    """

    kind: str
    global_mean: float
    rating_scale: tuple[float, float]
    user_raw2inner: Mapping[Any, int] = field(repr=False)
    item_raw2inner: Mapping[Any, int] = field(repr=False)
    bu: np.ndarray | None = None
    bi: np.ndarray | None = None
    pu: np.ndarray | None = None
    qi: np.ndarray | None = None
    sim: np.ndarray | None = None
    means: np.ndarray | None = None
    k: int | None = None
    min_k: int | None = None
    ir_indptr: np.ndarray | None = None
    ir_users: np.ndarray | None = None
    ir_ratings: np.ndarray | None = None
    trainset: Any = None  # knn (native msd): the Trainset the similarity rows are computed from
    min_support: int | None = None  # knn (native msd): sim_options' min_support
    interactions: Any = None  # scipy.sparse CSR (n_users, n_items): item_knn, ease
    item_item: Any = None  # item_knn: CSR (n_items, n_items); ease: ndarray (n_items, n_items)
    n_users: int = field(init=False)  # len(user_raw2inner)
    n_items: int = field(init=False)  # len(item_raw2inner)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"ScoringParams.kind must be one of {KINDS}, got {self.kind!r}")
        self.global_mean = float(self.global_mean)
        lo, hi = self.rating_scale
        self.rating_scale = (float(lo), float(hi))
        nu = _check_raw2inner(self.user_raw2inner, "user_raw2inner")
        ni = _check_raw2inner(self.item_raw2inner, "item_raw2inner")
        self.n_users, self.n_items = nu, ni
        need = {
            "baseline": ("bu", "bi"),
            "svd": ("bu", "bi", "pu", "qi"),
            "mf": ("pu", "qi"),
            "knn_basic": ("k", "min_k", "ir_indptr", "ir_users", "ir_ratings"),
            "knn_means": ("means", "k", "min_k", "ir_indptr", "ir_users", "ir_ratings"),
            "factors": ("pu", "qi"),
            "item_knn": ("interactions", "item_item"),
            "ease": ("interactions", "item_item"),
        }[self.kind]
        missing = [name for name in need if getattr(self, name) is None]
        if missing:
            raise ValueError(f"ScoringParams(kind={self.kind!r}) needs {', '.join(missing)}")

        def vec(name: str, n: int) -> None:
            a = np.asarray(getattr(self, name), dtype=np.float64)
            if a.shape != (n,):
                raise ValueError(f"ScoringParams.{name} has shape {a.shape}, expected ({n},)")
            setattr(self, name, a)

        if "bu" in need:
            vec("bu", nu)
            vec("bi", ni)
        if "pu" in need:
            self.pu = np.asarray(self.pu, dtype=np.float64)
            self.qi = np.asarray(self.qi, dtype=np.float64)
            if (
                self.pu.ndim != 2
                or self.qi.ndim != 2
                or self.pu.shape[0] != nu
                or self.qi.shape[0] != ni
                or self.pu.shape[1] != self.qi.shape[1]
            ):
                raise ValueError(f"ScoringParams.pu/qi have shapes {self.pu.shape}/{self.qi.shape}, expected ({nu}, f)/({ni}, f)")
        if self.kind in ("knn_basic", "knn_means"):
            self._check_similarity(nu)
            self.k, self.min_k = int(self.k), int(self.min_k)
            if self.kind == "knn_basic" and self.min_k < 1:
                raise ValueError(
                    f"knn_basic needs min_k >= 1 (got {self.min_k}): with min_k < 1 Surprise's "
                    "KNNBasic.predict() raises ZeroDivisionError when no neighbour has sim > 0"
                )
            if self.kind == "knn_means":
                vec("means", nu)
            self.ir_indptr = np.asarray(self.ir_indptr, dtype=np.int64)
            self.ir_users = np.asarray(self.ir_users, dtype=np.int64)
            self.ir_ratings = np.asarray(self.ir_ratings, dtype=np.float64)
            ptr = self.ir_indptr
            if (
                ptr.shape != (ni + 1,)
                or ptr[0] != 0
                or np.any(np.diff(ptr) < 0)
                or ptr[-1] != self.ir_users.size
                or self.ir_users.shape != self.ir_ratings.shape
                or self.ir_users.ndim != 1
            ):
                raise ValueError(
                    f"ScoringParams.ir_indptr/ir_users/ir_ratings are not a CSR over {ni} items (see build_item_raters)"
                )
            if self.ir_users.size and (self.ir_users.min() < 0 or self.ir_users.max() >= nu):
                raise ValueError("ScoringParams.ir_users holds ids outside 0..n_users-1")
        if "interactions" in need:
            self._check_item_item(nu, ni)

    def _check_similarity(self, nu: int) -> None:
        if self.sim is None:
            ts = self.trainset
            if ts is None or self.min_support is None:
                raise ValueError(f"ScoringParams(kind={self.kind!r}) needs sim, or trainset and min_support")
            if ts.n_users != nu or ts.ir_ptr is None:
                raise ValueError(f"ScoringParams.trainset must hold {nu} users and its item arrays (with_items=True)")
            self.min_support = int(self.min_support)
            return
        self.sim = np.asarray(self.sim, dtype=np.float64)
        if self.sim.shape != (nu, nu):
            raise ValueError(f"ScoringParams.sim has shape {self.sim.shape}, expected ({nu}, {nu})")
        if np.isnan(self.sim).any():
            raise ValueError("ScoringParams.sim holds NaN: Surprise's neighbour order is undefined then")

    def _check_item_item(self, nu: int, ni: int) -> None:
        import scipy.sparse as sp

        x = self.interactions
        if not sp.issparse(x) or x.format != "csr" or x.shape != (nu, ni):
            raise ValueError(f"ScoringParams.interactions must be a CSR matrix of shape ({nu}, {ni})")
        m = self.item_item
        if self.kind == "item_knn":
            if not sp.issparse(m) or m.format != "csr" or m.shape != (ni, ni):
                raise ValueError(f"ScoringParams.item_item (item_knn) must be a CSR matrix of shape ({ni}, {ni})")
        else:
            m = self.item_item = np.asarray(m, dtype=np.float64)
            if m.shape != (ni, ni):
                raise ValueError(f"ScoringParams.item_item (ease) has shape {m.shape}, expected ({ni}, {ni})")


def _check_raw2inner(m: Mapping[Any, int], name: str) -> int:
    n = len(m)
    inner = np.fromiter(m.values(), dtype=np.int64, count=n)
    if n and (inner.min() != 0 or inner.max() != n - 1 or np.unique(inner).size != n):
        raise ValueError(f"ScoringParams.{name} must map raw ids onto 0..{n - 1} one to one")
    return n


def raw2inner_from_ids(raw_ids_in_inner_order: Iterable[Any]) -> dict[Any, int]:
    """``{raw: inner}`` from raw ids listed in inner-id order (for engines other than Surprise)."""
    out: dict[Any, int] = {}
    for inner, raw in enumerate(raw_ids_in_inner_order):
        if raw in out:
            raise ValueError(f"duplicate raw id {raw!r}")
        out[raw] = inner
    return out


def build_item_raters(
    user_inner: np.ndarray, item_inner: np.ndarray, ratings: np.ndarray, n_items: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR ``(indptr, users, ratings)`` of the raters of each item, keeping the input order.

    Given the training triples in the order Surprise's trainset was built from (e.g. the order of
    the DataFrame passed to ``Dataset.load_from_df``, or a fold's shuffled order), the raters of
    item ``i`` come out in the order of ``trainset.ir[i]``.
    """
    user_inner = np.asarray(user_inner, dtype=np.int64)
    item_inner = np.asarray(item_inner, dtype=np.int64)
    ratings = np.asarray(ratings, dtype=np.float64)
    order = np.argsort(item_inner, kind="stable")
    counts = np.bincount(item_inner, minlength=n_items)
    if counts.size != n_items:
        raise ValueError("item_inner holds ids >= n_items")
    indptr = np.zeros(n_items + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, user_inner[order], ratings[order]


def params_from_surprise(algo: Any) -> ScoringParams:
    """Read the scoring parameters of a fitted Surprise algorithm.

    Supported: ``BaselineOnly`` (ALS or SGD), ``SVD`` (biased -> ``"svd"``, unbiased -> ``"mf"``),
    user-based ``KNNBasic`` and ``KNNWithMeans`` (any similarity, k, min_k). Arrays are shared
    with ``algo``, not copied. Raises ValueError for anything else.
    """
    from surprise import SVD, BaselineOnly, KNNBasic, KNNWithMeans

    cls = type(algo)
    if cls not in (BaselineOnly, SVD, KNNBasic, KNNWithMeans):
        raise ValueError(
            f"cannot score {cls.__name__}: supported algorithms are BaselineOnly, SVD (biased or "
            "not), and user-based KNNBasic / KNNWithMeans"
        )
    ts = getattr(algo, "trainset", None)
    if ts is None:
        raise ValueError(f"{cls.__name__} is not fitted (call fit(trainset) first)")
    u2i, i2i = ts._raw2inner_id_users, ts._raw2inner_id_items
    if not (len(ts.ur) == len(u2i) == ts.n_users and len(ts.ir) == len(i2i) == ts.n_items):
        raise ValueError("the trainset has inner ids without ratings (or ur/ir were modified); cannot score")
    common = dict(
        global_mean=float(ts.global_mean),
        rating_scale=tuple(ts.rating_scale),
        user_raw2inner=u2i,
        item_raw2inner=i2i,
    )
    if cls is BaselineOnly:
        if getattr(algo, "bu", None) is None:
            raise ValueError("BaselineOnly is not fitted (no baselines)")
        return ScoringParams(kind="baseline", bu=algo.bu, bi=algo.bi, **common)
    if cls is SVD:
        if getattr(algo, "pu", None) is None:
            raise ValueError("SVD is not fitted (no factors)")
        if algo.biased:
            return ScoringParams(kind="svd", bu=algo.bu, bi=algo.bi, pu=algo.pu, qi=algo.qi, **common)
        return ScoringParams(kind="mf", pu=algo.pu, qi=algo.qi, **common)
    # kNN
    if not algo.sim_options.get("user_based", True):
        raise ValueError(
            f"item-based {cls.__name__} (sim_options user_based=False) is not supported; only user-based kNN can be scored"
        )
    if getattr(algo, "sim", None) is None:
        raise ValueError(f"{cls.__name__} is not fitted (no similarity matrix)")
    counts = np.fromiter((len(ts.ir[i]) for i in range(ts.n_items)), np.int64, ts.n_items)
    indptr = np.zeros(ts.n_items + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    n = int(indptr[-1])
    users = np.fromiter((v for i in range(ts.n_items) for (v, _) in ts.ir[i]), np.int64, n)
    ratings = np.fromiter((r for i in range(ts.n_items) for (_, r) in ts.ir[i]), np.float64, n)
    kw = dict(sim=algo.sim, k=algo.k, min_k=algo.min_k, ir_indptr=indptr, ir_users=users, ir_ratings=ratings)
    if cls is KNNBasic:
        return ScoringParams(kind="knn_basic", **kw, **common)
    return ScoringParams(kind="knn_means", means=algo.means, **kw, **common)


# ----------------------------------------------------------------------------------------------
# Item-side preparation (once per call), then one block of users at a time.


@dataclass(frozen=True)
class Depth:
    """How deep lists look into each user's scores (:mod:`lfmrec.native.knn_topn`): the ``overall``
    best candidates, the ``foreign`` best whose country code differs from the user's, and for each
    lambda of ``soft`` the ``soft_n`` best of ``score - lam * similarity[user country, item
    country]`` (no penalty for an unknown country, -1). ``user_country`` per scored user (in the
    order of the users asked for), ``item_country`` per candidate column, ``skip`` per column: not
    a candidate (e.g. too few listeners; None: every column is one). See
    :func:`lfmrec.rerank.list_depth`."""

    overall: int
    foreign: int
    user_country: np.ndarray
    item_country: np.ndarray
    soft: tuple = ()
    soft_n: int = 0
    similarity: np.ndarray | None = None
    skip: np.ndarray | None = None


@dataclass
class _ItemPlan:
    cols_known: np.ndarray  # bool (n_req_items,)
    inner: np.ndarray  # int64 (n_req_items,), -1 unknown
    # linear models
    bi_col: np.ndarray | None = None  # (n_req,), 0 for unknown items
    q_col: np.ndarray | None = None  # (n_req, f), 0 rows for unknown items
    # kNN: each user's ratings (knn_estimate.user_ratings): ptr, item, ir position, value (the rating
    # for knn_basic, its deviation from the rater's mean for knn_means); and whether ir lists
    # each item's raters in inner-id order (knn_estimate.ir_in_id_order)
    by_user: tuple | None = None
    # item_knn / ease: the requested columns of known items, and their inner ids (None when the
    # requested items are all items in inner-id order); the matrix is never copied
    known_cols: np.ndarray | None = None
    take: np.ndarray | None = None
    # native msd kNN scored to a depth (lfmrec.native.knn_topn.PrunedKnn) instead of by_user
    pruned: Any = None


def prunable(p: ScoringParams) -> bool:
    """Whether ``p`` can be scored to a depth (:class:`lfmrec.native.knn_topn.Depth`): the native
    engine's msd kNN, which holds its trainset instead of a dense similarity."""
    return p.kind in ("knn_basic", "knn_means") and p.sim is None


def plan_items(p: ScoringParams, item_raw_ids: Iterable[Any], pruned: bool = False) -> _ItemPlan:
    """The item side of scoring ``item_raw_ids`` with ``p``, once per call of the scorers; a caller
    with two scorers of the same items (phase 2: :func:`block_scorer` and :func:`bounded_scorer`)
    makes it once and passes it to both as ``plan``. ``pruned`` (a :func:`prunable` model): the
    plan of scoring to a depth."""
    inner = inner_ids(item_raw_ids, p.item_raw2inner)
    known = inner >= 0
    plan = _ItemPlan(cols_known=known, inner=inner)
    safe = np.where(known, inner, 0)
    if p.kind in ("baseline", "svd"):
        plan.bi_col = np.where(known, p.bi[safe], 0.0)
    if p.kind in ("svd", "mf", "factors"):  # one gather (581,417 x 100: 0.5 s), no np.where copies
        if np.array_equal(inner, np.arange(p.qi.shape[0])):
            plan.q_col = p.qi  # read only
        else:
            plan.q_col = p.qi[safe]
            plan.q_col[~known] = 0.0
    if p.kind in ("item_knn", "ease"):
        plan.known_cols = np.flatnonzero(known)
        cols = inner[known]
        if not (cols.size == inner.size and np.array_equal(cols, np.arange(p.n_items))):
            plan.take = cols
        return plan
    if p.kind not in ("knn_basic", "knn_means"):
        return plan
    if pruned and prunable(p):
        from .native.knn_topn import PrunedKnn

        plan.pruned = PrunedKnn(p, inner)
        return plan
    # Surprise's r - means[v], computed once per rating instead of once per neighbour: same bits
    values = p.ir_ratings if p.kind == "knn_basic" else p.ir_ratings - p.means[p.ir_users]
    plan.by_user = user_ratings(p.ir_indptr, p.ir_users, values, p.n_users) + (ir_in_id_order(p.ir_indptr, p.ir_users),)
    return plan


@dataclass(frozen=True)
class Finish:
    """What turns a raw block of a linear kind into its scores, for a pass that applies it on
    the fly (:func:`lfmrec.topn.select_lists`): ``mode`` 1 (mf) ``clip(raw)``, 2 (svd)
    ``clip((ub[r] + bi[c]) + raw)``, 3 (baseline) ``clip(ub[r] + bi[c])`` (the block is not read);
    the operations of :func:`_finish`, so the same bits."""

    mode: int
    ub: np.ndarray  # (block users,), the user part mu + bu (modes 2, 3)
    bi: np.ndarray  # (items,) (modes 2, 3)
    lo: float
    hi: float


FINISH_MODES = {"mf": 1, "svd": 2, "baseline": 3}


@dataclass(frozen=True)
class Bounded:
    """What :func:`lfmrec.topn.select_lists` needs besides a float32 raw block to list a block of
    users exactly as from the float64 one: the block's user factors ``P`` (b, k) and the item
    factors ``Q`` (m, k), float64, whose product the float32 block approximates within
    ``err[r] * qnorm[j]``."""

    P: np.ndarray
    Q: np.ndarray
    err: np.ndarray
    qnorm: np.ndarray


# |fl32(P) @ fl32(Q).T - P @ Q.T| per entry, over (k + 3) u32 sum_f |p_f q_f| <= (k + 3) u32 |p| |q|
# (u32 = 2**-24: the two roundings to float32, any order of float32 sums and products, and the
# float64 product's own error): 1.01 for the rounding of the norms and of the bound's arithmetic,
# and an absolute term far above what float32's subnormal range could add (|factors| < 1e15).
_BOUND_SLACK = 1.01
_BOUND_ABS = 1e-27
_BOUND_MAX_FACTOR = 1e15


def bounded_scorer(
    params: ScoringParams, user_raw_ids: Iterable[Any], item_raw_ids: Iterable[Any], plan: _ItemPlan | None = None
):
    """``score_rows(start, stop, buffer)`` for the lists of :func:`block_scorer` with ``defer``, for
    svd and mf: the raw block in float32 (``buffer``: a C-contiguous float32 array of at least
    ``stop - start`` rows), its :class:`Finish` and :class:`Bounded`; None for a block with an
    unknown user. None instead of the function where the bound does not apply: another kind, an
    unknown item, or factors that are not finite or too large for float32.

    At full LFM-1b scale the float32 product of 128 users x 581,417 artists x 100 factors takes
    0.31 s on one core instead of 0.54 s in float64 (OpenBLAS), and the few candidates of each row
    the bound cannot rule out are scored exactly."""
    p = params
    if p.kind not in ("svd", "mf"):
        return None
    plan = plan_items(p, item_raw_ids) if plan is None else plan
    Q = plan.q_col
    if not plan.cols_known.all() or Q.shape[1] == 0:
        return None
    for a in (p.pu, Q):  # every factor finite and below the bound (min/max: NaN fails both tests)
        if a.size and not (a.min() > -_BOUND_MAX_FACTOR and a.max() < _BOUND_MAX_FACTOR):
            return None
    Q = np.ascontiguousarray(Q, dtype=np.float64)
    Q32 = Q.astype(np.float32)
    qnorm = np.sqrt(np.einsum("ij,ij->i", Q, Q))
    k = Q.shape[1]
    scale = _BOUND_SLACK * (k + 3) * 2.0**-24
    uinner = inner_ids(user_raw_ids, p.user_raw2inner)
    lo, hi = p.rating_scale
    mu = p.global_mean

    def score_rows(start: int, stop: int, buffer: np.ndarray):
        u = uinner[start:stop]
        if (u < 0).any():
            return None
        P = np.ascontiguousarray(p.pu[u], dtype=np.float64)
        raw = np.matmul(P.astype(np.float32), Q32.T, out=buffer[: u.size])
        err = scale * np.sqrt(np.einsum("ij,ij->i", P, P)) + k * _BOUND_ABS
        ub = mu + p.bu[u] if p.kind == "svd" else np.zeros(0)
        bi = plan.bi_col if p.kind == "svd" else np.zeros(0)
        return raw, Finish(FINISH_MODES[p.kind], ub, bi, float(lo), float(hi)), Bounded(P, Q, err, qnorm)

    return score_rows


@njit(cache=True, nogil=True)
def _finish(out, ub, bi, add_biases, add_product, lo, hi):
    """In place, one pass: ``out = (ub[r] + bi[c]) + out`` (biases and the factor product in
    Surprise's order; without the product ``ub[r] + bi[c]``) when ``add_biases``, then Surprise's
    clipping ``max(lo, min(hi, est))``."""
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            v = out[r, c]
            if add_biases:
                v = (ub[r] + bi[c]) + v if add_product else ub[r] + bi[c]
            out[r, c] = max(lo, min(hi, v))


def _score_pruned(p: ScoringParams, plan: _ItemPlan, uinner: np.ndarray, depth, ucc: np.ndarray, buffer=None):
    """A block of users scored to ``depth`` (:class:`lfmrec.native.knn_topn.Depth`; ``ucc`` the
    block's user country codes): exact wherever a list of that depth can look, a filler below
    every estimate elsewhere. An unknown user's row is the global mean (clipped), as in full."""
    out = np.empty((uinner.size, plan.inner.size)) if buffer is None else buffer[: uinner.size]
    rows = np.flatnonzero(uinner >= 0)
    if rows.size < uinner.size:
        lo, hi = p.rating_scale
        out[uinner < 0] = max(lo, min(hi, p.global_mean))
    if rows.size == uinner.size:
        plan.pruned.score_rows(uinner, depth, ucc, out)
    elif rows.size:
        part = np.empty((rows.size, plan.inner.size))
        plan.pruned.score_rows(uinner[rows], depth, ucc[rows], part)
        out[rows] = part
    return out


def _score_block(p: ScoringParams, plan: _ItemPlan, uinner: np.ndarray, buffer: np.ndarray | None = None, defer: bool = False):
    """The scores of the users ``uinner`` (inner ids, -1 unknown) over the plan's items, written into
    ``buffer[:len(uinner)]`` when given (a C-contiguous float64 array of at least that many rows,
    reused from block to block: a fresh array of a block's size costs as much in page faults as
    the scoring itself at full scale), else into a fresh array. item_knn and ease always allocate.

    With ``defer``: ``(block, finish)``. For baseline, svd and mf the block is raw (the factor
    product; baseline: not written at all) and ``finish`` the :class:`Finish` that makes the
    scores of it; for the other kinds the block holds the scores and ``finish`` is None."""
    ukn = uinner >= 0
    usafe = np.where(ukn, uinner, 0)
    mu = p.global_mean
    n_cols = plan.inner.size
    lo, hi = p.rating_scale
    if p.kind in ("item_knn", "ease"):
        got = _score_item_item(p, plan, uinner, ukn)
        return (got, None) if defer else got
    out = np.empty((uinner.size, n_cols)) if buffer is None else buffer[: uinner.size]
    if p.kind == "factors":  # a plain dot product: unknown users and items are zero rows
        P = np.where(ukn[:, None], p.pu[usafe], 0.0)
        out = np.matmul(P, plan.q_col.T, out=out)
        return (out, None) if defer else out
    if p.kind in ("baseline", "svd", "mf"):
        # Surprise: est = mu; est += bu[u] (known); est += bi[i] (known); est += qi.pu (both)
        ub = np.where(ukn, mu + p.bu[usafe], mu) if p.kind != "mf" else np.zeros(0)
        if p.kind != "baseline":
            P = np.where(ukn[:, None], p.pu[usafe], 0.0)
            np.matmul(P, plan.q_col.T, out=out)  # unknown users and items: zero rows, so a zero product
        if p.kind == "mf":
            out[~ukn, :] = mu
            out[:, ~plan.cols_known] = mu
        bi = plan.bi_col if p.kind != "mf" else np.zeros(0)
        if defer:
            return out, Finish(FINISH_MODES[p.kind], ub, bi, float(lo), float(hi))
        _finish(out, ub, bi, p.kind != "mf", p.kind == "svd", lo, hi)
        return out
    # the known users' estimates straight into the block (an unknown item's column: the global mean)
    rows = np.flatnonzero(ukn)
    est = out if rows.size == uinner.size else np.empty((rows.size, n_cols))
    if rows.size:
        with_means = p.kind == "knn_means"
        users = uinner[rows]
        sim, means = p.sim, p.means if with_means else np.zeros(0)
        if sim is None:  # the native msd kNN: this block's similarity rows only
            from .native.knn_stream import similarity_rows

            sim = similarity_rows(p.trainset, p.min_support, users)
            users, means = np.arange(users.size), means[users] if with_means else means
        knn_block(sim, users, plan.inner, *plan.by_user, p.k, p.min_k, with_means, means, mu, est)
    if est is not out:
        out[:] = mu  # unknown users: the global mean
        out[rows] = est
    np.minimum(out, hi, out=out)  # Surprise: est = min(hi, est); est = max(lo, est)
    np.maximum(out, lo, out=out)
    return (out, None) if defer else out


def _score_item_item(p: ScoringParams, plan: _ItemPlan, uinner: np.ndarray, ukn: np.ndarray) -> np.ndarray:
    """``interactions[u] @ item_item`` for a block of users (sparse @ sparse for item_knn, sparse @
    dense for ease) over all items, then the requested columns; unknown users and items score 0."""
    rows = np.flatnonzero(ukn)
    got = _item_item_product(p, uinner[rows])
    if plan.take is None and rows.size == uinner.size:
        return got
    out = np.zeros((uinner.size, plan.inner.size))
    out[np.ix_(rows, plan.known_cols)] = got if plan.take is None else got[:, plan.take]
    return out


def _item_item_product(p: ScoringParams, uinner: np.ndarray, dense: bool = True):
    """``interactions[uinner] @ item_item``: float64 ndarray (``dense``) or, for item_knn, CSR."""
    got = p.interactions[uinner] @ p.item_item
    if hasattr(got, "toarray"):
        if not dense:
            return got.tocsr()
        got = got.toarray()
    return np.asarray(got, dtype=np.float64)


def iter_score_blocks(
    params: ScoringParams,
    user_raw_ids: Iterable[Any],
    item_raw_ids: Iterable[Any],
    block_users: int = DEFAULT_BLOCK_USERS,
    reuse: bool = False,
    depth=None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, scores)`` with ``scores[r, c] == predict(users[start + r], items[c]).est``
    (for the top-n kinds: the model's ranking score of the pair, see the module doc).

    ``scores`` is a fresh float64 array of shape (<= block_users, len(items)); memory stays
    bounded by a few block_users x max(n_items, n_users) arrays. With ``reuse`` every block is
    written into one buffer (item_knn and ease aside): a block is valid only until the next one
    is asked for, and the caller may overwrite it. ``depth``: see :func:`block_scorer`.
    """
    if block_users < 1:
        raise ValueError(f"block_users must be >= 1, got {block_users}")
    items = item_raw_ids if hasattr(item_raw_ids, "__len__") else list(item_raw_ids)
    n_users, score_rows = block_scorer(params, user_raw_ids, items, depth=depth)
    buffer = None
    for start in range(0, n_users, block_users):
        stop = min(start + block_users, n_users)
        if reuse and buffer is None:
            buffer = np.empty((stop - start, len(items)))
        yield start, score_rows(start, stop, buffer)


def block_scorer(
    params: ScoringParams,
    user_raw_ids: Iterable[Any],
    item_raw_ids: Iterable[Any],
    defer: bool = False,
    plan: _ItemPlan | None = None,
    depth=None,
) -> tuple[int, Callable[..., Any]]:
    """(number of users, ``score_rows(start, stop, buffer=None)``): the scores of users
    ``start:stop`` over all items, the blocks of :func:`iter_score_blocks`, as a fresh array or in
    ``buffer[:stop - start]`` (see :func:`_score_block`). ``score_rows`` only reads shared data, so
    threads may score different blocks at the same time (each into a buffer of its own).

    With ``defer`` ``score_rows`` returns ``(block, finish)``: the linear kinds' raw block and the
    :class:`Finish` a list pass applies on the fly (one pass over the block instead of three).
    ``plan``: :func:`plan_items` of ``item_raw_ids``, when the caller has it.

    ``depth`` (:class:`lfmrec.native.knn_topn.Depth`, its ``user_country`` per user of
    ``user_raw_ids``): a :func:`prunable` model's blocks are exact only where lists of that depth
    can look (a filler below every estimate elsewhere; see :mod:`lfmrec.native.knn_topn`), at a
    fraction of the cost at LFM-1b scale; other models ignore it."""
    uinner = inner_ids(user_raw_ids, params.user_raw2inner)
    if depth is not None and prunable(params):
        plan = plan_items(params, item_raw_ids, pruned=True) if plan is None or plan.pruned is None else plan
        ucc = np.asarray(depth.user_country, np.int64)

        def score_rows(start, stop, buffer=None):
            out = _score_pruned(params, plan, uinner[start:stop], depth, ucc[start:stop], buffer)
            return (out, None) if defer else out

        return uinner.size, score_rows
    plan = plan_items(params, item_raw_ids) if plan is None else plan
    return uinner.size, lambda start, stop, buffer=None: _score_block(params, plan, uinner[start:stop], buffer, defer)


def score(
    params: ScoringParams,
    user_raw_ids: Iterable[Any],
    item_raw_ids: Iterable[Any],
    block_users: int = DEFAULT_BLOCK_USERS,
) -> np.ndarray:
    """Scores of shape (len(users), len(items)), float64, equal to ``algo.predict(u, i).est``.

    Raw ids as in the training data; unknown ids get Surprise's fallbacks. Computed block by
    block (see :func:`iter_score_blocks`); only the result is n_users x n_items.
    """
    users = list(user_raw_ids) if not isinstance(user_raw_ids, np.ndarray) else user_raw_ids
    items = list(item_raw_ids) if not isinstance(item_raw_ids, np.ndarray) else item_raw_ids
    out = np.empty((len(users), len(items)))
    for start, blk in iter_score_blocks(params, users, items, block_users):
        out[start : start + blk.shape[0]] = blk
    return out


def score_pairs(
    params: ScoringParams,
    user_raw_ids: np.ndarray,
    item_raw_ids: np.ndarray,
    block_users: int = DEFAULT_BLOCK_USERS,
) -> np.ndarray:
    """The scores of the pairs ``(user_raw_ids[k], item_raw_ids[k])``, float64, shape (n_pairs,);
    for a top-n model's held-out pairs.

    Block by block of users: factor models score each block only over the items its pairs ask for;
    item_knn and ease compute ``interactions[block] @ item_item`` (sparse for item_knn) and read
    the pairs from it. The values are those of :func:`iter_score_blocks` up to rounding (the
    matrix products may sum in another order); unknown users or items score 0.
    """
    users = np.asarray(user_raw_ids)
    items = np.asarray(item_raw_ids)
    if users.shape != items.shape or users.ndim != 1:
        raise ValueError("user_raw_ids and item_raw_ids must be 1-d arrays of the same length")
    if params.kind not in TOPN_KINDS:
        raise ValueError(f"score_pairs scores the top-n kinds {TOPN_KINDS}, not {params.kind!r}")
    out = np.zeros(users.size)
    order = np.argsort(users, kind="stable")
    uniq, first = np.unique(users[order], return_index=True)
    bounds = np.append(first, users.size)
    for b in range(0, uniq.size, block_users):
        pairs = order[bounds[b] : bounds[min(b + block_users, uniq.size)]]
        block_users_ids, row = np.unique(users[pairs], return_inverse=True)
        if params.kind == "factors":
            block_items, col = np.unique(items[pairs], return_inverse=True)
            _, scores = next(iter_score_blocks(params, block_users_ids, block_items, block_users_ids.size))
            out[pairs] = scores[row, col]
            continue
        uin = inner_ids(block_users_ids, params.user_raw2inner)
        iin = inner_ids(items[pairs], params.item_raw2inner)
        ok = (uin[row] >= 0) & (iin >= 0)
        got = _item_item_product(params, np.maximum(uin, 0), dense=False)
        if not ok.any():
            continue
        r, c = row[ok], iin[ok]
        out[pairs[ok]] = np.asarray(got[r, c]).ravel() if hasattr(got, "tocsr") else got[r, c]
    return out

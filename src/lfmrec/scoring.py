"""Scores for all (user, item) pairs, equal to Surprise's ``algo.predict(uid, iid).est``.

Scoring 2,300 users x 8,000 artists one pair at a time with ``predict()`` costs minutes per model;
this module computes the same numbers from the fitted parameters, block by block of users.

The fitted parameters are engine-agnostic: one class per model family (:mod:`lfmrec.families`,
all subclasses of :class:`ScoringParams`), built by the native engine (:mod:`lfmrec.native`), by a
top-n model's library, or read from a fitted Surprise algorithm (:func:`params_from_surprise`);
this module drives them the same way whatever the family: the item side once per call
(:func:`plan_items`), then a block of users at a time (``score_block``), the optional float32
route (:func:`bounded_scorer`) and scoring to a list depth (``depth``: :class:`Depth`).

What is computed, and how exactly, is said by each family's module: Surprise's estimate (bit for
bit, except the factor products of SVD / MF, ~1e-15), clipped to ``rating_scale`` as
``max(lo, min(hi, est))``; for the top-n families what their libraries rank by, never clipped.
Raw ids are looked up in the fitted raw -> inner dicts (:func:`lfmrec.ids.inner_ids`), so the type
matters (``5 != "5"``); an unknown user or item gets the family's fallback.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .families import algorithms, for_algorithm, for_kind, kinds
from .families._linear import MODES as FINISH_MODES
from .families.base import Bounded, Depth, Finish, ItemPlan, ScoringParams, make_plan, raw2inner_from_ids
from .ids import inner_ids

KINDS = kinds()
TOPN_KINDS = tuple(k for k in KINDS if for_kind(k).topn)  # ranking scores, not ratings: never clipped
DEFAULT_BLOCK_USERS = 256

__all__ = [
    "Bounded",
    "Depth",
    "FINISH_MODES",
    "Finish",
    "ItemPlan",
    "ScoringParams",
    "raw2inner_from_ids",
]


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
    cls = type(algo)
    family = for_algorithm(cls.__name__) if cls.__name__ in algorithms() else None
    if family is None or not cls.__module__.startswith("surprise") or not family.reads_surprise:
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
    return family.from_surprise(algo, common)


def prunable(p: ScoringParams) -> bool:
    """Whether ``p`` can be scored to a depth (:class:`Depth`; the native engine's msd kNN)."""
    return p.prunable()


def plan_items(p: ScoringParams, item_raw_ids: Iterable[Any], pruned: bool = False) -> ItemPlan:
    """The item side of scoring ``item_raw_ids`` with ``p``, once per call of the scorers; a caller
    with two scorers of the same items (phase 2: :func:`block_scorer` and :func:`bounded_scorer`)
    makes it once and passes it to both as ``plan``. ``pruned`` (a :func:`prunable` model): the
    plan of scoring to a depth."""
    return make_plan(p, item_raw_ids, pruned)


def bounded_scorer(params: ScoringParams, user_raw_ids: Iterable[Any], item_raw_ids: Iterable[Any], plan: ItemPlan | None = None):
    """``score_rows(start, stop, buffer)`` for the lists of :func:`block_scorer` with ``defer``: the
    raw block in float32 (``buffer``: a C-contiguous float32 array of at least ``stop - start``
    rows), its :class:`Finish` and :class:`Bounded`; None for a block with an unknown user. None
    instead of the function where the family has no float32 route or its bound does not apply
    (see :meth:`lfmrec.families.factors.SVD.bounded_rows`)."""
    plan = plan_items(params, item_raw_ids) if plan is None else plan
    return params.bounded_rows(plan, inner_ids(user_raw_ids, params.user_raw2inner))


def _score_pruned(p: ScoringParams, plan: ItemPlan, uinner: np.ndarray, depth, ucc: np.ndarray, buffer=None):
    """A block of users scored to ``depth`` (:class:`lfmrec.native.knn_topn.Depth`; ``ucc`` the
    block's user country codes): exact wherever a list of that depth can look, a filler below
    every estimate elsewhere. An unknown user's row is the global mean (clipped), as in full. For
    a plan of several models (:func:`joint_block_scorer`) the block is (n_models, users, items)."""
    lead = () if plan.pruned.single else (len(plan.pruned.models),)
    shape = (*lead, uinner.size, plan.inner.size)
    if buffer is None:
        out = np.empty(shape)
    elif buffer.flags.c_contiguous:
        # a block smaller than the buffer (the last one) laid out C-contiguously at the buffer's
        # start, like the full blocks: the kernel is compiled for one layout, not two
        out = buffer.reshape(-1)[: int(np.prod(shape))].reshape(shape)
    else:  # a thread's part of a block (lfmrec.scoring._iter_blocks)
        out = buffer[..., : uinner.size, :]
    rows = np.flatnonzero(uinner >= 0)
    if rows.size < uinner.size:
        lo, hi = p.rating_scale
        out[..., uinner < 0, :] = max(lo, min(hi, p.global_mean))
    if rows.size == uinner.size:
        plan.pruned.score_rows(uinner, depth, ucc, out)
    elif rows.size:
        part = np.empty((*lead, rows.size, plan.inner.size))
        plan.pruned.score_rows(uinner[rows], depth, ucc[rows], part)
        out[..., rows, :] = part
    return out


def joint_block_scorer(models, user_raw_ids: Iterable[Any], item_raw_ids: Iterable[Any], depth) -> tuple[int, Callable[..., Any]]:
    """:func:`block_scorer` with ``depth`` for several native msd kNN models of one trainset, k and
    min_support (e.g. KNNBasic and KNNWithMeans at k = 40), scored by one walk
    (:class:`lfmrec.native.knn_topn.PrunedKnn` of all of them): ``score_rows(start, stop,
    buffer=None)`` returns their blocks as one (n_models, users, items) array, ``[m]`` equal to
    model m's block from :func:`block_scorer`, bit for bit."""
    from .native.knn_topn import PrunedKnn

    models = list(models)
    p = models[0]
    if not all(q.prunable() for q in models):
        raise ValueError("joint_block_scorer scores native msd kNN models only")
    uinner = inner_ids(user_raw_ids, p.user_raw2inner)
    plan = ItemPlan(cols_known=np.zeros(0, bool), inner=inner_ids(item_raw_ids, p.item_raw2inner))
    plan.cols_known = plan.inner >= 0
    plan.pruned = PrunedKnn(models, plan.inner)
    ucc = np.asarray(depth.user_country, np.int64)
    return uinner.size, lambda start, stop, buffer=None: _score_pruned(
        p, plan, uinner[start:stop], depth, ucc[start:stop], buffer
    )


def _iter_blocks(
    n_users: int, score_rows: Callable[..., Any], block_users: int, lead: tuple, n_items: int, reuse: bool, threads: int = 1
) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, score_rows(start, stop, buffer))`` for the blocks of ``block_users`` users: with
    ``reuse`` every block in one (*lead, block_users, n_items) buffer; with ``threads`` a block's
    users scored in that many parts at the same time into it (``score_rows`` writes its buffer)."""
    if block_users < 1:
        raise ValueError(f"block_users must be >= 1, got {block_users}")
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="score") if threads > 1 else None
    buffer = None
    try:
        for start in range(0, n_users, block_users):
            stop = min(start + block_users, n_users)
            if (reuse or pool is not None) and (buffer is None or not reuse):
                buffer = np.empty((*lead, stop - start, n_items))
            if pool is None:
                yield start, score_rows(start, stop, buffer)
                continue
            block = buffer[..., : stop - start, :]
            cuts = np.linspace(start, stop, min(threads, stop - start) + 1).astype(int)
            parts = [
                pool.submit(score_rows, a, b, block[..., a - start : b - start, :])
                for a, b in zip(cuts[:-1], cuts[1:], strict=True)
            ]
            for part in parts:
                part.result()
            yield start, block
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def iter_joint_blocks(
    models,
    user_raw_ids: Iterable[Any],
    item_raw_ids: Iterable[Any],
    block_users: int,
    depth,
    reuse: bool = False,
    threads: int = 1,
) -> Iterator[tuple[int, np.ndarray]]:
    """:func:`iter_score_blocks` of several native msd kNN models of one trainset and k scored
    together (:func:`joint_block_scorer`): yields ``(start, scores)`` with ``scores[m]`` model m's
    block, bit for bit the block :func:`iter_score_blocks` yields for it alone with ``depth``.
    With ``reuse`` every block is written into one (n_models, block_users, items) buffer; with
    ``threads`` a block's users are scored in that many parts at the same time (each user's
    scores do not depend on the others')."""
    items = item_raw_ids if hasattr(item_raw_ids, "__len__") else list(item_raw_ids)
    models = list(models)
    n_users, score_rows = joint_block_scorer(models, user_raw_ids, items, depth)
    yield from _iter_blocks(n_users, score_rows, block_users, (len(models),), len(items), reuse, threads)


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
    items = item_raw_ids if hasattr(item_raw_ids, "__len__") else list(item_raw_ids)
    n_users, score_rows = block_scorer(params, user_raw_ids, items, depth=depth)
    yield from _iter_blocks(n_users, score_rows, block_users, (), len(items), reuse)


def load_fitted(paths) -> list[ScoringParams]:
    """The fitted models pickled at ``paths`` (rules fit_full, cross_validate); several fit on the
    same triples (a kNN group) are made to share one trainset (:func:`lfmrec.native.knn_topn.share_trainset`)."""
    models = []
    for path in paths:
        with open(path, "rb") as fh:
            models.append(pickle.load(fh))
    if len(models) > 1:
        from .native.knn_topn import share_trainset

        share_trainset(models)
    return models


def block_scorer(
    params: ScoringParams,
    user_raw_ids: Iterable[Any],
    item_raw_ids: Iterable[Any],
    defer: bool = False,
    plan: ItemPlan | None = None,
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
    return uinner.size, lambda start, stop, buffer=None: params.score_block(plan, uinner[start:stop], buffer, defer)


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
    if not params.topn:
        raise ValueError(f"score_pairs scores the top-n kinds {TOPN_KINDS}, not {params.kind!r}")
    out = np.zeros(users.size)
    order = np.argsort(users, kind="stable")
    uniq, first = np.unique(users[order], return_index=True)
    bounds = np.append(first, users.size)
    for b in range(0, uniq.size, block_users):
        pairs = order[bounds[b] : bounds[min(b + block_users, uniq.size)]]
        block_user_ids, row = np.unique(users[pairs], return_inverse=True)
        out[pairs] = params.score_pairs_block(block_user_ids, row, items[pairs])
    return out

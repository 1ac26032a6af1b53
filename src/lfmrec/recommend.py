"""Phase 2 of the paper (section 5): cross-cultural top-n lists and deletion counts.

For a user, the candidates are the artists with at least one rating in the sample that the user has
not played, ranked by score with ties broken by artist_id ascending. The *initial* top-n is the n
best candidates; the user's *deletions* are the artists in it whose estimated country equals the
user's. The *final* list is the n best candidates from another country (the paper deletes the
same-country artists and refills from the next best).

With ``min_listeners`` > 1 (``recommend.min_listeners``), artists with fewer distinct listeners
in the triples are not candidates at all (their scores are set to -inf before any list is made):
neither in the initial top-n nor in the final list, nor counted as foreign candidates.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import rerank
from .countries.codes import country_setup
from .harness import Progress
from .ids import sorted_unique
from .pairs import few_listeners, pair_matrix
from .scoring import Depth, Finish, block_scorer, bounded_scorer, joint_block_scorer, plan_items, prunable
from .topn import padded_to_lists, padded_values, select_lists


def in_threads(fn: Callable, items: Iterable, threads: int = 1) -> Iterator:
    """``map(fn, items)`` in order, with up to ``threads`` calls running at once in a thread pool
    (at most ``threads`` results are held before the caller takes them, which bounds memory)."""
    if threads <= 1:
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    pending: deque = deque()
    with ThreadPoolExecutor(threads) as pool, threadpool_limits(1, user_api="blas"):
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def recommend_block(
    scores: np.ndarray,
    played: sp.csr_matrix,
    user_country: np.ndarray,
    item_country: np.ndarray,
    n: int,
    final: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    copy: bool = True,
    initial: bool = False,
    finish: Finish | None = None,
) -> tuple[np.ndarray, ...]:
    """Cross-cultural top-n for a block of users.

    ``scores`` (users x candidate items, items ordered by artist_id), ``played`` (same shape,
    non-zero where the user played the artist), ``user_country`` and ``item_country`` as integer
    codes of one shared vocabulary (-1 = unknown, never equal to a user's country). ``final``
    makes the final lists from the scores with played artists at -inf (a re-ranker of
    :mod:`lfmrec.rerank`); by default the paper's hard rule.

    Returns (rows, cols) of the final lists ordered by row then rank, the deletions per user (the
    same-country artists of the initial top-n) and the number of foreign candidates per user.

    The initial top-n, the deletions, the foreign count and the hard rule's lists come from one
    compiled pass over each row (see :func:`lfmrec.topn._select`). With ``copy=False`` and a ``final``
    re-ranker, the played entries of ``scores`` itself are set to -inf. With ``initial=True`` two
    more arrays follow: (rows, cols) of the initial top-n (before any country rule), same format.

    With ``finish`` (the hard rule only) ``scores`` is a raw block of
    :func:`lfmrec.scoring.block_scorer` with ``defer=True``, scored on the fly in the same pass;
    afterwards its listed entries hold their scores (the rest stays raw).
    """
    hard = final is None
    if finish is not None and not hard:
        raise ValueError("a raw block (finish) can only be listed by the hard rule")
    all_cols, all_len, f_cols, f_len, deletions, n_foreign = select_lists(
        scores, n, played, user_country, item_country, True, hard, want_count=True, finish=finish
    )
    before = padded_to_lists(all_cols, all_len) if initial else ()
    if hard:
        rows, cols = padded_to_lists(f_cols, f_len)
        return (rows, cols, deletions, n_foreign, *before)
    s = np.array(scores, dtype=np.float64, copy=True) if copy else scores
    pr, pc = played.nonzero()
    s[pr, pc] = -np.inf
    rows, cols = final(s)
    return (rows, cols, deletions, n_foreign, *before)


def deletion_summary(model: str, per_user: pd.DataFrame, n: int) -> dict:
    """One row of results/deletions.csv from a model's per-user deletion counts; ``short_lists``:
    users whose final list is shorter than ``n`` (too few candidates from other countries),
    ``empty_lists`` those with none."""
    d = per_user["deletions"].to_numpy()
    length = per_user["list_length"].to_numpy()
    return {
        "model": model,
        "users": int(d.size),
        "deletions": int(d.sum()),
        "users_with_deletions": int((d > 0).sum()),
        "mean_per_user": float(d.mean()) if d.size else 0.0,
        "short_lists": int((length < n).sum()),
        "empty_lists": int((length == 0).sum()),
    }


def deletion_notes(table: pd.DataFrame, n: int) -> list[str]:
    """What results/deletions.csv's counts mean where lists fall short: the deletions are counted in
    each user's initial top ``n``, whatever the length of the final list."""
    short = table[table["short_lists"] > 0]
    if short.empty:
        return []
    parts = ", ".join(f"{r.model} {r.short_lists} ({r.empty_lists} empty)" for r in short.itertuples())
    return [
        f"Final lists shorter than {n} (too few candidate artists from other countries), users per model: "
        f"{parts}. Deletions are counted in the initial top {n} all the same."
    ]


# Candidate artists from which recommend_all lists svd and mf from a float32 product by default.
BOUNDED_MIN_ITEMS = 100_000


def recommend_all(
    params,
    users: pd.DataFrame,
    triples: pd.DataFrame,
    artists: pd.DataFrame,
    n: int = 10,
    block_users: int = 512,
    method: str = "hard",
    lam: float = 0.0,
    pool: int = 100,
    similarity: pd.DataFrame | None = None,
    threads: int = 1,
    min_listeners: int = 1,
    initial: bool = False,
    bounded: bool | None = None,
) -> tuple[pd.DataFrame, ...]:
    """Score every (user, candidate artist) pair block by block and build the cross-cultural lists.

    With ``threads`` > 1, that many blocks are scored and listed at the same time (BLAS and the
    numba kernels release the GIL; BLAS itself then runs one thread per block); the result is the
    same as with one thread, block for block.

    ``params`` is a :class:`lfmrec.scoring.ScoringParams` of a model fit on ``triples``, or a list
    of native msd kNN models of one trainset, k and min_support, scored together by one walk
    (:func:`lfmrec.scoring.joint_block_scorer`): then a list of the results, one per model, each
    the one it gets alone. The final
    lists come from re-ranking ``method`` (``hard``: the paper's rule; ``soft``, ``calibrated``
    with ``lam`` and ``similarity``, see :mod:`lfmrec.rerank`; ``none``). Artists with fewer than
    ``min_listeners`` distinct listeners in ``triples`` are not candidates (1: every artist is).
    Returns the final lists (user_id, user_country, rank, artist_id, artist_country, score) and
    the per-user counts (user_id, user_country, deletions, foreign_candidates, list_length); with
    ``initial=True`` also the initial top-n lists (the n best candidates before any country rule;
    the same columns as the final lists).

    SVD and MF under the hard rule can multiply the factors in float32 (``bounded``, see
    :func:`lfmrec.scoring.bounded_scorer`): the same lists, counts and scores as from the float64
    product, in about 60% of the time. ``bounded=None`` does so from :data:`BOUNDED_MIN_ITEMS`
    candidate artists on (below, the product is a small part of the job and the kernel's
    compilation, once per environment, would cost more than it saves).
    """
    joint = isinstance(params, (list, tuple))
    models = list(params) if joint else [params]
    item_ids = sorted_unique(triples["artist_id"].to_numpy())  # candidates: artists rated in the sample
    c = country_setup(users, item_ids, artists, similarity)
    item_country, user_country = c.item_country, c.user_country
    user_ids = users["user_id"].to_numpy(np.int64)
    played = pair_matrix(triples, user_ids, item_ids)
    excluded = few_listeners(played, min_listeners)

    target = None
    if method == "calibrated":
        target = rerank.history_target(played, user_country, item_country, c.similarity.shape[0])
    lister = rerank.make_reranker(method, lam, n, user_country, item_country, c.similarity, target, pool=pool)

    # the paper's hard rule over all candidates: the linear kinds' scores are made inside the list
    # pass (one pass over a block instead of three: bias and clip, count, selection)
    fused = method == "hard" and excluded is None and not joint
    depth = None
    if all(prunable(q) for q in models):  # native kNN: exact only as deep as the lists look (lfmrec.native.knn_topn)
        overall, n_abroad, soft = rerank.list_depth([(method, lam)], n, pool)
        depth = Depth(overall, n_abroad, user_country, item_country, soft, n, c.similarity, excluded)
    elif joint:
        raise ValueError("recommend_all lists several models together only for native msd kNN models of one trainset")
    rows32 = None
    if joint:  # one walk for all of them (lfmrec.scoring.joint_block_scorer)
        n_users, joint_rows = joint_block_scorer(models, user_ids, item_ids, depth)
    else:
        plan = plan_items(params, item_ids, pruned=depth is not None)  # the item side, for both scorers
        n_users, score_rows = block_scorer(params, user_ids, item_ids, defer=fused, plan=plan, depth=depth)
        # svd and mf under the hard rule: the product in float32, the candidates it leaves scored exactly
        if bounded is None:
            bounded = item_ids.size >= BOUNDED_MIN_ITEMS
        rows32 = bounded_scorer(params, user_ids, item_ids, plan=plan) if fused and bounded else None
    block_users = max(int(block_users), 1)
    # a float32 block holds twice the users of a float64 block in the same memory; the product of
    # 256 users at a time runs 17% faster per user than of 128 at full LFM-1b scale
    step = 2 * block_users if rows32 is not None else block_users
    buffers = threading.local()  # one block buffer per thread, reused: no page faults per block

    def exact_lists(start: int, stop: int):
        """Per model, the lists of users start:stop (at most block_users) from the float64 scores."""
        if getattr(buffers, "block", None) is None:
            buffers.block = np.empty(((len(models),) if joint else ()) + (min(block_users, n_users), item_ids.size))
        if joint:
            scored = [(block, None) for block in joint_rows(start, stop, buffers.block)]
        else:
            scored = [score_rows(start, stop, buffers.block) if fused else (score_rows(start, stop, buffers.block), None)]
        out = []
        for block, finish in scored:
            if excluded is not None:
                block[:, excluded] = -np.inf
            final = None if method == "hard" else (lambda s: lister(s, np.arange(start, stop)))
            rows, cols, dels, n_foreign, *before = recommend_block(
                block,
                played[start:stop],
                user_country[start:stop],
                item_country,
                n,
                final,
                copy=False,
                initial=initial,
                finish=finish,
            )
            out.append(
                (
                    dels,
                    n_foreign,
                    _block_lists(rows, cols, start, block[rows, cols]),
                    _block_lists(*before, start, block[before[0], before[1]]) if initial else None,
                )
            )
        return out

    def lists_of_block(start: int):
        stop = min(start + step, n_users)
        if rows32 is not None:
            if getattr(buffers, "block32", None) is None:
                buffers.block32 = np.empty((min(step, n_users), item_ids.size), np.float32)
            got = rows32(start, stop, buffers.block32)
            if got is not None:
                return (
                    start,
                    stop,
                    [_bounded_lists(start, *got, played[start:stop], user_country[start:stop], item_country, n, initial)],
                )
        done = [exact_lists(a, min(a + block_users, stop)) for a in range(start, stop, block_users)]
        per_model = []
        for m in range(len(models)):
            dels, n_foreign, lists, before = zip(*(d[m] for d in done), strict=True)
            per_model.append(
                (
                    np.concatenate(dels),
                    np.concatenate(n_foreign),
                    pd.concat(lists, ignore_index=True),
                    pd.concat(before, ignore_index=True) if initial else None,
                )
            )
        return start, stop, per_model

    deletions = np.zeros((len(models), user_ids.size), np.int64)
    foreign = np.zeros((len(models), user_ids.size), np.int64)
    parts: list[list] = [[] for _ in models]
    first: list[list] = [[] for _ in models]
    progress = Progress("scoring and lists", -(-n_users // step), logger=logging.getLogger("recommend"))
    for done, (start, stop, per_model) in enumerate(in_threads(lists_of_block, range(0, n_users, step), threads), start=1):
        progress.update(done - 1)
        for m, (dels, n_foreign, lists, before) in enumerate(per_model):
            deletions[m, start:stop] = dels
            foreign[m, start:stop] = n_foreign
            parts[m].append(lists)
            if initial:
                first[m].append(before)
    results = []
    for m in range(len(models)):
        out = _lists_frame(parts[m], user_ids, users, item_ids, c.item_labels)
        per_user = pd.DataFrame(
            {
                "user_id": user_ids,
                "user_country": pd.array(users["country"].to_numpy(), dtype="string"),
                "deletions": deletions[m],
                "foreign_candidates": foreign[m],
                "list_length": np.bincount(out["row"].to_numpy(np.int64), minlength=user_ids.size),
            }
        )
        out = out.drop(columns="row")
        if not initial:
            results.append((out, per_user))
        else:
            results.append((out, per_user, _lists_frame(first[m], user_ids, users, item_ids, c.item_labels).drop(columns="row")))
    return results if joint else results[0]


def _block_lists(rows: np.ndarray, cols: np.ndarray, start: int, scores: np.ndarray) -> pd.DataFrame:
    """One block's lists ((rows, cols) ordered by row then rank) with their ranks and ``scores``
    (the block's entries at (rows, cols): a list never holds a played or excluded entry, so the
    block has the model's score there even after a re-ranker set the played entries to -inf)."""
    rank = np.arange(rows.size) - np.searchsorted(rows, rows) + 1
    return pd.DataFrame({"row": rows + start, "rank": rank, "col": cols, "score": scores})


def _bounded_lists(start, raw32, finish, bounded, played, user_country, item_country, n, initial):
    """:func:`recommend_all`'s result for one block listed from its float32 raw block (the hard rule,
    see :func:`lfmrec.topn.select_lists` with ``bounded``)."""
    all_cols, all_len, f_cols, f_len, dels, n_foreign, all_vals, f_vals = select_lists(
        raw32, n, played, user_country, item_country, True, True, want_count=True, finish=finish, bounded=bounded
    )
    lists = _block_lists(*padded_to_lists(f_cols, f_len), start, padded_values(f_vals, f_len))
    before = _block_lists(*padded_to_lists(all_cols, all_len), start, padded_values(all_vals, all_len)) if initial else None
    return dels, n_foreign, lists, before


def _lists_frame(
    parts: list[pd.DataFrame], user_ids: np.ndarray, users: pd.DataFrame, item_ids: np.ndarray, item_labels: np.ndarray
) -> pd.DataFrame:
    """The blocks' lists as one table: row (index into ``users``), user_id, user_country, rank,
    artist_id, artist_country, score."""
    rec = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["row", "rank", "col", "score"])
    row = rec["row"].to_numpy(np.int64)
    col = rec["col"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            "row": row,
            "user_id": user_ids[row],
            "user_country": pd.array(users["country"].to_numpy()[row], dtype="string"),
            "rank": rec["rank"].to_numpy(np.int64),
            "artist_id": item_ids[col].astype(np.int64),
            "artist_country": pd.array(item_labels[col], dtype="string"),
            "score": rec["score"].to_numpy(np.float64),
        }
    )

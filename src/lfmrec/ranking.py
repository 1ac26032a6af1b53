"""Top-n ranking metrics on held-out data (beyond the paper, which reports RMSE/MAE only).

For one fitted model on one CV fold: every user with held-out (test) artists gets a top-n list
of *candidates* -- the artists in ``item_ids`` the user did not have in the training part --
ranked by score, ties by column order (the caller's: :mod:`lfmrec.heldout` puts the candidates in
a seeded random order, so that no tie is decided by artist id); the list is compared with the
user's test artists.

Metrics per user (binary relevance: an artist is relevant iff it is one of the user's test
artists), averaged over the users with at least one test artist in ``item_ids``:

- ``precision`` = hits / n (n fixed: a list shorter than n counts its empty slots as misses)
- ``recall``    = hits / |test|
- ``ndcg``      = DCG / IDCG with DCG = sum over ranks r = 1..n of rel_r / log2(r + 1) and IDCG
  the DCG of an ideal list, i.e. min(|test|, n) hits at the top
- ``hit``       = 1 if hits > 0 else 0

Everything is computed block by block of users (the scores of a block come from
:func:`lfmrec.scoring.iter_score_blocks` or the reference scorers :func:`popular_blocks` /
:func:`random_scores`); no n_users x n_items array is ever formed.

A *lister* turns a block of scores into lists: ``lister(scores, users) -> (rows, cols)`` where
``scores`` (b, m) is read-only, -inf for excluded candidates (training artists), ``users`` the
indices of the block's rows into ``user_ids``, and (rows, cols) is in the format of
:func:`lfmrec.recommend.top_n` (ordered by row then rank). :func:`lfmrec.rerank.make_reranker`
builds the country-aware listers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .harness import Progress
from .pairs import pair_matrix
from .topn import lists_to_matrix, top_n

METRICS = ("precision", "recall", "ndcg", "hit")
DEFAULT_BLOCK_USERS = 256

Lister = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# ---------------------------------------------------------------------------------------------
# metrics of one block


def ranking_block(top_cols: np.ndarray, test: sp.csr_matrix, n: int) -> dict[str, np.ndarray]:
    """Per-user precision@n, recall@n, ndcg@n and hit of the lists ``top_cols``.

    ``top_cols`` (b, n) holds column indices by rank, -1 for an empty slot (a list shorter than
    n); a row must not repeat a column. ``test`` (b, m) is non-zero at the user's held-out items.
    Returns float arrays of shape (b,). Users without test items get recall = ndcg = NaN
    (0 / 0): the caller must exclude them before averaging (:func:`evaluate` does).
    """
    top_cols = np.asarray(top_cols, dtype=np.int64)
    b = top_cols.shape[0]
    if top_cols.ndim != 2 or top_cols.shape[1] != n:
        raise ValueError(f"top_cols has shape {top_cols.shape}, expected ({b}, {n})")
    keys = heldout_keys(test)
    if keys[1].size != b:
        raise ValueError(f"test has {keys[1].size} rows, top_cols {b}")
    return _metrics(top_cols, keys, n)


def heldout_keys(test: sp.spmatrix) -> tuple[np.ndarray, np.ndarray, int]:
    """(sorted keys row * m + column of the held-out entries, held-out items per row, m) of a
    (b, m) held-out matrix: what :func:`ranking_block` looks lists up in, computed once per block
    of users for all its listers."""
    test = sp.csr_matrix(test, copy=True)  # canonicalised below; the caller's matrix is untouched
    b, m = test.shape
    test.sum_duplicates()  # sorted, unique column indices per row
    test.eliminate_zeros()
    n_test = np.diff(test.indptr)
    keys = np.repeat(np.arange(b, dtype=np.int64), n_test) * m + test.indices  # ascending
    return keys, n_test, m


def _metrics(top_cols: np.ndarray, test: tuple[np.ndarray, np.ndarray, int], n: int) -> dict[str, np.ndarray]:
    keys, n_test, m = test
    b = top_cols.shape[0]
    valid = top_cols >= 0
    q = np.arange(b, dtype=np.int64)[:, None] * m + np.where(valid, top_cols, 0)
    pos = np.minimum(np.searchsorted(keys, q), max(keys.size - 1, 0))
    rel = valid & (keys[pos] == q) if keys.size else np.zeros_like(valid)
    hits = rel.sum(axis=1)
    discount = 1.0 / np.log2(np.arange(2, n + 2))
    dcg = rel @ discount
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_test, n)]
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(n_test > 0, hits / np.maximum(n_test, 1), np.nan)
        ndcg = np.where(n_test > 0, dcg / np.where(ideal > 0, ideal, 1.0), np.nan)
    return {
        "precision": hits / n,
        "recall": recall.astype(np.float64),
        "ndcg": ndcg.astype(np.float64),
        "hit": (hits > 0).astype(np.float64),
    }


# ---------------------------------------------------------------------------------------------
# reference scorers


def popular_scores(train_pairs: pd.DataFrame | sp.spmatrix, item_ids: Iterable[Any]) -> np.ndarray:
    """Score of every item = its number of distinct training listeners (0 if none), shape (m,).

    ``train_pairs``: user_id / artist_id pairs, or their matrix over every training user x
    ``item_ids``. Counted on the pairs' boolean matrix (duplicates merged): at full scale 3 s per
    fold, against 16 s for ``drop_duplicates`` of 22.7 M pairs."""
    items = np.asarray(item_ids)
    if sp.issparse(train_pairs):
        if train_pairs.shape[1] != items.size:
            raise ValueError(f"train matrix has {train_pairs.shape[1]} columns, item_ids {items.size}")
        played = sp.csr_matrix(train_pairs, copy=True)
        played.eliminate_zeros()
        played.sum_duplicates()
    else:
        played = pair_matrix(train_pairs, pd.unique(train_pairs["user_id"]), items)
    return np.bincount(played.indices, minlength=items.size).astype(np.float64)


def constant_blocks(row: np.ndarray, n_users: int, block_users: int = DEFAULT_BLOCK_USERS) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, scores)`` blocks whose every row is ``row`` (read-only broadcast views, no copy)."""
    row = np.asarray(row, dtype=np.float64)
    for start in range(0, n_users, block_users):
        b = min(block_users, n_users - start)
        yield start, np.broadcast_to(row, (b, row.size))


def popular_blocks(train_pairs: pd.DataFrame | sp.spmatrix, user_ids, item_ids, block_users: int = DEFAULT_BLOCK_USERS):
    """Blocks of the popularity reference: the same :func:`popular_scores` row for every user."""
    return constant_blocks(popular_scores(train_pairs, item_ids), len(user_ids), block_users)


def random_scores(seed: int, user_ids, item_ids, block_users: int = DEFAULT_BLOCK_USERS) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, scores)`` blocks of uniform [0, 1) scores, one generator per user.

    The row of user ``u`` comes from ``np.random.default_rng([seed, u])`` (seed and integer
    user ids, taken modulo 2**64), so it depends only on (seed, u, number of items) -- not on
    the block layout or the position of the user in ``user_ids``. Every block is written into one
    buffer: a block is valid until the next one is asked for.
    """
    users = np.asarray(user_ids)
    m = len(item_ids)
    buffer = np.empty((min(block_users, users.size), m))
    for start in range(0, users.size, block_users):
        part = users[start : start + block_users]
        out = buffer[: part.size]
        for r, u in enumerate(part):
            np.random.default_rng([int(seed) % 2**64, int(u) % 2**64]).random(out=out[r])
        yield start, out


# ---------------------------------------------------------------------------------------------
# evaluation of one model on one fold


def plain_top_n(n: int) -> Lister:
    """The lister of the unconstrained top-n (score descending, ties by column order)."""

    def lister(scores: np.ndarray, users: np.ndarray):
        return top_n(scores, n)

    return lister


def as_pair_matrix(pairs: pd.DataFrame | sp.spmatrix, user_ids, item_ids, what: str = "pair") -> sp.csr_matrix:
    """:func:`pair_matrix` of a DataFrame of pairs over ``user_ids`` x ``item_ids``, or ``pairs``
    itself when it is already such a matrix (its shape checked; ``what`` names it in the error)."""
    if sp.issparse(pairs):
        shape = (len(user_ids), len(item_ids))
        if pairs.shape != shape:
            raise ValueError(f"{what} matrix has shape {pairs.shape}, expected {shape}")
        return sp.csr_matrix(pairs)
    return pair_matrix(pairs, user_ids, item_ids)


def evaluate(
    score_blocks: Iterable[tuple[int, np.ndarray]],
    user_ids,
    item_ids,
    train_pairs: pd.DataFrame | sp.spmatrix,
    test_pairs: pd.DataFrame | sp.spmatrix,
    n: int = 10,
    listers: Mapping[str, Lister] | None = None,
    user_country: np.ndarray | None = None,
    item_country: np.ndarray | None = None,
    similarity: np.ndarray | None = None,
    per_user: bool | Iterable[str] = False,
    exclude: np.ndarray | None = None,
    lists_of: Iterable[str] = (),
):
    """Ranking metrics of one model on one fold, for one or several listers sharing the scores.

    ``score_blocks`` yields ``(start, scores)`` over ``user_ids`` x ``item_ids`` (as
    :func:`lfmrec.scoring.iter_score_blocks` with the same ids and order); ties break by the
    order of ``item_ids`` (distinct ids, in any order). ``train_pairs`` / ``test_pairs`` are DataFrames with
    user_id and artist_id of the fold's training / test part (either may instead be its
    :func:`pair_matrix` over ``user_ids`` x ``item_ids``, when the caller has it). Candidates of a user are the
    items not in their training pairs; test pairs outside ``item_ids`` are ignored; users with no
    test pair in ``item_ids`` are not evaluated (and are skipped before any lister runs).
    ``exclude`` (bool per item, or None) marks items that are no one's candidate (e.g. artists
    with too few training listeners, :func:`lfmrec.pairs.few_listeners`); a test artist among
    them still counts in recall's and NDCG's denominators (it is relevant but cannot be listed).
    A writeable float64 block whose users are all evaluated is masked in place (the training
    pairs and excluded items set to -inf; doing it again gives the same block), not copied.

    ``listers`` maps a name to a lister (see the module doc; default ``{"top_n": plain top-n}``).
    Listers must not modify ``scores`` (it is passed read-only). With ``user_country`` (codes
    per user), ``item_country`` (codes per item, -1 unknown) and ``similarity`` (C, C), the
    summary also has foreign_share and cultural_distance of the lists (see
    :func:`list_stats`; item-weighted over all lists).

    Returns a DataFrame with one row per lister: lister, users, precision, recall, ndcg, hit
    (means over the evaluated users), [foreign_share, cultural_distance,] seconds (time spent in
    the lister and the metrics). ``.attrs["score_seconds"]`` is the time spent waiting for the
    score blocks (the model's scoring). With ``per_user=True`` returns (summary, per-user long
    DataFrame: lister, user_id, precision, recall, ndcg, hit); ``per_user`` may instead name the
    listers whose per-user rows are wanted (the others' are not built). For each lister named in
    ``lists_of`` the lists themselves are in ``.attrs["lists"][name]`` (user_id, rank 1..n,
    artist_id, score; the scores the lister ranked, before any re-ranking adjustment).
    """
    item_ids = np.asarray(item_ids)
    if item_ids.size > 1 and np.unique(item_ids).size != item_ids.size:
        raise ValueError("item_ids must be distinct")
    user_ids = np.asarray(user_ids)
    listers = dict(listers) if listers is not None else {"top_n": plain_top_n(n)}
    train = as_pair_matrix(train_pairs, user_ids, item_ids, "train")
    test = as_pair_matrix(test_pairs, user_ids, item_ids, "test")
    evaluated = np.diff(test.indptr) > 0
    with_stats = user_country is not None and item_country is not None
    if with_stats:
        user_country = np.asarray(user_country, dtype=np.int64)
        item_country = np.asarray(item_country, dtype=np.int64)

    sums = {name: dict.fromkeys(METRICS, 0.0) for name in listers}
    stats = {name: {"items": 0, "foreign": 0, "known": 0, "distance_sum": 0.0} for name in listers}
    seconds = dict.fromkeys(listers, 0.0)
    parts: list[pd.DataFrame] = []
    per_user_of = set(listers) if per_user is True else set(per_user or ())
    wanted = set(lists_of)
    lists_of = [name for name in listers if name in wanted]
    kept: dict[str, list[pd.DataFrame]] = {name: [] for name in lists_of}
    n_users = 0
    score_seconds = 0.0
    it = iter(score_blocks)
    copy_buffer = None
    progress = Progress("held-out ranking", user_ids.size, unit="users", logger=logging.getLogger("ranking"))
    while True:
        t0 = time.perf_counter()
        try:
            start, block = next(it)
        except StopIteration:
            score_seconds += time.perf_counter() - t0
            break
        score_seconds += time.perf_counter() - t0
        progress.update(start)
        sel = np.flatnonzero(evaluated[start : start + block.shape[0]])
        if sel.size == 0:
            continue
        users = start + sel
        own = (
            sel.size == block.shape[0]
            and isinstance(block, np.ndarray)
            and block.dtype == np.float64
            and block.flags.writeable
            and block.flags.c_contiguous
        )
        # a writeable block of the scorer's is masked in place (it is not read again: no copy of a
        # block's size); a read-only view (a reference's broadcast row) or a subset is copied, into
        # one buffer reused from block to block (a fresh array costs page faults)
        if own:
            s = block
        else:
            if copy_buffer is None or copy_buffer.shape[0] < sel.size or copy_buffer.shape[1] != block.shape[1]:
                copy_buffer = np.empty((max(sel.size, block.shape[0]), block.shape[1]))
            # row by row: np.take(..., out=) buffers ``out`` in a fresh block-sized array (0.35 s
            # of page faults per 128 x 581,417 block) and gathers a broadcast row element-wise
            s = copy_buffer[: sel.size]
            for r, i in enumerate(sel):
                s[r] = block[i]
        pr, pc = train[users].nonzero()
        s[pr, pc] = -np.inf
        if exclude is not None:
            s[:, exclude] = -np.inf
        s.flags.writeable = False
        te = heldout_keys(test[users])  # once for all listers
        n_users += users.size
        for name, lister in listers.items():
            t1 = time.perf_counter()
            rows, cols = lister(s, users)
            top = lists_to_matrix(rows, cols, users.size, n)
            res = _metrics(top, te, n)
            for k in METRICS:
                sums[name][k] += float(res[k].sum())
            if with_stats:
                st = list_stats(rows, cols, user_country[users], item_country, similarity)
                for k in stats[name]:
                    stats[name][k] += st[k]
            seconds[name] += time.perf_counter() - t1
            if name in per_user_of:
                parts.append(pd.DataFrame({"lister": name, "user_id": user_ids[users], **res}))
            if name in kept:
                rank = np.arange(rows.size) - np.searchsorted(rows, rows) + 1  # rows ascend, by rank within
                kept[name].append(
                    pd.DataFrame(
                        {
                            "user_id": user_ids[users][rows],
                            "rank": rank.astype(np.int64),
                            "artist_id": item_ids[cols],
                            "score": s[rows, cols],
                        }
                    )
                )
        if own:
            block.flags.writeable = True  # the caller's array again
    out = []
    for name in listers:
        row = {"lister": name, "users": n_users}
        row.update({k: sums[name][k] / n_users if n_users else np.nan for k in METRICS})
        if with_stats:
            st = stats[name]
            row["foreign_share"] = st["foreign"] / st["items"] if st["items"] else np.nan
            row["cultural_distance"] = st["distance_sum"] / st["known"] if st["known"] else np.nan
        row["seconds"] = seconds[name]
        out.append(row)
    summary = pd.DataFrame(out)
    summary.attrs["score_seconds"] = score_seconds
    if lists_of:
        empty = pd.DataFrame(
            {"user_id": user_ids[:0], "rank": np.zeros(0, np.int64), "artist_id": item_ids[:0], "score": np.zeros(0)}
        )
        summary.attrs["lists"] = {name: pd.concat(kept[name], ignore_index=True) if kept[name] else empty for name in lists_of}
    if per_user is not False:
        cols = ["lister", "user_id", *METRICS]
        long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
        return summary, long
    return summary


def list_stats(
    rows: np.ndarray,
    cols: np.ndarray,
    user_country: np.ndarray,
    item_country: np.ndarray,
    similarity: np.ndarray | None = None,
) -> dict:
    """Country statistics of lists (rows index ``user_country``, cols index ``item_country``).

    - ``foreign_share`` = foreign / items: an item is foreign when its country differs from the
      user's; an unknown item country (-1) counts as foreign (it is not the user's country, as
      in the paper's rule).
    - ``cultural_distance`` = distance_sum / known: mean of ``1 - similarity[user, item]`` over
      the list items whose country and user's country are both known (NaN if none or without
      ``similarity``).

    Both are pooled over all list items (item-weighted); the counts (items, foreign, known,
    distance_sum) are returned too, so blocks can be combined by summing them.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    uc = np.asarray(user_country, dtype=np.int64)[rows]
    ic = np.asarray(item_country, dtype=np.int64)[cols]
    items = int(rows.size)
    foreign = int(((ic != uc) | (ic < 0)).sum())
    out = {"items": items, "foreign": foreign, "known": 0, "distance_sum": 0.0}
    if similarity is not None:
        kn = (uc >= 0) & (ic >= 0)
        sim = np.asarray(similarity, dtype=np.float64)
        out["known"] = int(kn.sum())
        out["distance_sum"] = float((1.0 - sim[uc[kn], ic[kn]]).sum())
    out["foreign_share"] = foreign / items if items else float("nan")
    out["cultural_distance"] = out["distance_sum"] / out["known"] if out["known"] else float("nan")
    return out

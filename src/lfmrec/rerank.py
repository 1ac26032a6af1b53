"""Country-aware re-ranking of one block of scores (beyond the paper's hard rule).

Inputs of every method: ``scores`` (b, m) float, -inf for excluded candidates (played / training
artists), columns ordered by artist_id; ``user_country`` (b,) and ``item_country`` (m,) integer
codes of one shared vocabulary, -1 = unknown (an unknown country never equals a user's country
and has similarity 0 to every country). Output: (rows, cols) of the lists in the format of
:func:`lfmrec.recommend.top_n` (ordered by row then rank; a row may have fewer than n entries).

Methods (``lam`` is the trade-off weight; its scale differs per method):

- ``none``: plain top-n by score (ties by artist_id); ``lam`` unused.
- ``hard``: the paper's rule -- drop the candidates of the user's own country, take the top n;
  equal to the final lists of :func:`lfmrec.recommend.recommend_block` (for users with a known
  country); ``lam`` unused.
- ``soft``: top n by ``score - lam * similarity[user_country, item_country]``. ``lam`` is in
  score units: model scores are predicted log2 playcounts, so with ``lam = 1`` a same-country
  artist (similarity 1) must be predicted twice the plays (one log2 unit more) of a dissimilar
  foreign artist (similarity 0) to rank above it; in general a factor ``2 ** (lam * sim)``.
  ``lam = 0`` is plain top-n; as ``lam`` grows the list tends to the least similar countries.
  Useful grid for log2-playcount scores: 0, 0.25, 0.5, 1, 2, 4, 8. (Scores on another scale,
  e.g. the popularity counts, need ``lam`` on that scale.)
- ``calibrated`` (Steck, "Calibrated Recommendations", RecSys 2018): greedy selection of n items
  maximising ``(1 - lam) * sum_{i in S} s_i - lam * KL(p || q~)``, ``lam`` in [0, 1] (0 = top-n
  by score, 1 = calibration only, score order among equally calibrating items). Details:

  * only the ``pool`` best candidates per user by score (ties by artist_id) are considered
    (default 100; at least n);
  * ``s_i`` are the user's scores min-max normalised over that pool to [0, 1] (best candidate
    1, the pool's worst 0; all 0 if the pool's scores are all equal). Steck's scores are
    probabilities in [0, 1]; normalising makes ``lam`` mean the same for every model and for the
    references (popularity counts, random scores), and comparable with KL values (at most
    ``log(1 / alpha)`` = 4.6 for alpha = 0.01). Useful grid: 0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99;
  * ``q`` is the country distribution of the selected list: each item of known country
    contributes weight 1 to its country, an unknown-country item to none (q is normalised over
    the selected items of known country; q = 0 while there are none, so q~ = alpha * p);
  * ``q~ = (1 - alpha) q + alpha p`` with ``alpha = 0.01``; KL sums over countries with p > 0;
  * ``p`` (``target``, (b, C) rows summing to 1 or all 0) is the target country mix, built by
    :func:`history_target`: the user's training history by artist count, home country weight
    set to 0 and renormalised (so home-country items never help calibration and are pushed down
    the list as lam grows); a user with no foreign history gets the global foreign mix.
  * ties of the objective break by pool order (higher score first, then artist_id), so
    ``lam = 0`` gives exactly the plain top-n; the greedy step is a compiled loop over the
    block's users (:func:`_greedy_calibration`), cost O(n * b * (pool + C)).

The compiled kernels of the methods are in :mod:`lfmrec.rerank_kernels`; the lists' foreign share
and cultural distance are measured by :func:`lfmrec.ranking.list_stats`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from .pairs import code_counts
from .rerank_kernels import _country_pools, _greedy_calibration, _merge_country_pools, _soft_select
from .topn import foreign_top_n, lists_to_matrix, padded_to_lists, top_n

METHODS = ("none", "hard", "soft", "calibrated")
ALPHA = 0.01
DEFAULT_POOL = 100

# Suggested trade-off grids per method (see the module doc for the scales).
LAMBDA_GRIDS = {
    "soft": (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
    "calibrated": (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99),
}


def history_target(
    history: sp.spmatrix,
    user_country: np.ndarray,
    item_country: np.ndarray,
    n_countries: int,
    by: str = "artists",
    fallback: np.ndarray | None = None,
) -> np.ndarray:
    """Target country mixes (b, n_countries) for ``calibrated`` from the users' histories.

    ``history`` (b, m) is non-zero where the user played the item (e.g. the training pairs of
    the fold; values = playcounts if ``by="plays"``). ``by="artists"`` (default) weighs every
    played artist 1 -- the same unit as the list distribution q, and not dominated by a few
    heavily played artists; ``by="plays"`` weighs artists by the matrix values (play share).
    Unknown-country items are ignored. The home country's weight is set to 0 and each row
    renormalised to sum 1; a row with nothing left gets ``fallback`` (a (n_countries,) weight
    vector; default: the column sums of all rows *before* removing home countries, i.e. the
    global mix -- so call this on all users at once, not per block) with the user's home
    country removed, renormalised. Rows with nothing at all stay 0 (KL = 0: pure score order).
    """
    if by not in ("artists", "plays"):
        raise ValueError(f"by must be 'artists' or 'plays', got {by!r}")
    ic = np.asarray(item_country, dtype=np.int64)
    uc = np.asarray(user_country, dtype=np.int64)
    H = sp.csr_matrix(history)
    b, m = H.shape
    known = (ic >= 0) & (ic < n_countries)
    if by == "artists":  # played artists per (user, country): counts, exact in float64
        H = sp.csr_matrix(H, copy=True)
        H.eliminate_zeros()
        H.sum_duplicates()
        M = code_counts(H, np.where(known, ic, -1), n_countries)
    else:
        H = sp.csr_matrix(H, dtype=np.float64, copy=True)
        H.eliminate_zeros()
        onehot = sp.csr_matrix((np.ones(int(known.sum())), (np.flatnonzero(known), ic[known])), shape=(m, n_countries))
        M = np.asarray((H @ onehot).todense(), dtype=np.float64)
    glob = M.sum(axis=0) if fallback is None else np.asarray(fallback, dtype=np.float64)
    home = (uc >= 0) & (uc < n_countries)
    M[np.flatnonzero(home), uc[home]] = 0.0
    empty = M.sum(axis=1) <= 0
    if empty.any():
        G = np.tile(glob, (int(empty.sum()), 1))
        eh = home[empty]
        G[np.flatnonzero(eh), uc[empty][eh]] = 0.0
        M[empty] = G
    tot = M.sum(axis=1, keepdims=True)
    np.divide(M, tot, out=M, where=tot > 0)
    return M


# What the listers of a trade-off sweep share: they are called one after the other on the same block
# (lfmrec.ranking.evaluate passes it read-only), and read the same candidate pools of it. Kept for
# the last read-only block only, by a weak reference (the block is freed as soon as the caller drops
# it), per thread.
_SHARED = threading.local()


def _memo_get(scores: np.ndarray, key):
    ref, entries = getattr(_SHARED, "entry", (None, None))
    if ref is not None and ref() is scores and not scores.flags.writeable:
        return entries.get(key)
    return None


def _memo_put(scores: np.ndarray, key, value) -> None:
    if scores.flags.writeable:
        return
    ref, entries = getattr(_SHARED, "entry", (None, None))
    if ref is None or ref() is not scores:
        ref, entries = weakref.ref(scores), {}
        _SHARED.entry = (ref, entries)
    entries[key] = value


def _pool(scores: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(cand, s): the ``size`` best columns per row by score (ties by column), -1 / -inf padded.
    The result is read-only; for a read-only ``scores`` it is kept for the next listers."""
    hit = _memo_get(scores, ("pool", size))
    if hit is not None:
        return hit
    b = scores.shape[0]
    r, c = top_n(scores, size)
    rank = np.arange(r.size) - np.searchsorted(r, r)
    cand = np.full((b, size), -1, dtype=np.int64)
    s = np.full((b, size), -np.inf)
    cand[r, rank] = c
    s[r, rank] = scores[r, c]
    cand.flags.writeable = s.flags.writeable = False
    _memo_put(scores, ("pool", size), (cand, s))
    return cand, s


_MODES = {"none": 0, "hard": 1, "soft": 2}


def _country_pool(scores: np.ndarray, item_country: np.ndarray, n_countries: int, n: int):
    """(cols, vals, lens) of :func:`_country_pools` with k = n + 1; unknown countries (and any code
    >= ``n_countries``) share the last group. Kept for a read-only block like :func:`_pool`."""
    key = ("country", n, n_countries)
    hit = _memo_get(scores, key)
    if hit is not None and (hit[0] is item_country or np.array_equal(hit[0], item_country)):
        return hit[1]
    b = scores.shape[0]
    G = n_countries + 1
    ic = np.asarray(item_country, dtype=np.int64)
    group = np.where((ic >= 0) & (ic < n_countries), ic, G - 1)
    k = n + 1
    cols, vals, lens = np.zeros((b, G, k), np.int64), np.empty((b, G, k)), np.zeros((b, G), np.int64)
    _country_pools(np.ascontiguousarray(scores), group, k, cols, vals, lens)
    for a in (cols, vals, lens):
        a.flags.writeable = False
    _memo_put(scores, key, (item_country, (cols, vals, lens)))
    return cols, vals, lens


def _from_country_pools(scores, uc, ic, method, lam, n, similarity):
    """:func:`rerank`'s ``none``, ``hard`` or ``soft`` lists of a block shared by several listers:
    one pass over the block keeps each country's n + 1 best candidates per user
    (:func:`_country_pool`, shared by all of them), and each lister merges those; a row the merge
    cannot prove (see :func:`_merge_country_pools`) is listed from its whole row. Identical lists
    either way."""
    sim = np.zeros((1, 1)) if similarity is None else np.ascontiguousarray(similarity, dtype=np.float64)
    n_codes = int(max(ic.max(initial=-1), uc.max(initial=-1))) + 1
    if method == "soft" and n_codes > sim.shape[0]:  # codes beyond the similarity: the whole rows
        return rerank(scores, uc, ic, method, lam, n, similarity)
    # one grouping for every lister of the block (they share the similarity), so one pass
    n_countries = max(n_codes, sim.shape[0] if similarity is not None else 0)
    cols, vals, lens = _country_pool(scores, ic, n_countries, n)
    b = scores.shape[0]
    out, out_len, exact = np.zeros((b, n), np.int64), np.zeros(b, np.int64), np.zeros(b, np.bool_)
    _merge_country_pools(cols, vals, lens, uc, sim, float(lam), _MODES[method], n, out, out_len, exact)
    redo = np.flatnonzero(~exact)
    if redo.size:
        r, c = rerank(scores[redo], uc[redo], ic, method, lam, n, similarity)
        out[redo] = lists_to_matrix(r, c, redo.size, n)
        out_len[redo] = np.bincount(r, minlength=redo.size)
    return padded_to_lists(out, out_len)


def _calibration_inputs(scores, item_country, target, n, pool):
    """What Steck's greedy selection reads, or None when nothing can be listed: the target mixes
    ``p`` (b, C), each user's pool ``cand`` (b, size; -1 padded), its scores min-max normalised
    over the pool ``sn``, and its items' country codes ``ccode`` (-1: unknown or beyond C)."""
    b = scores.shape[0]
    p = np.asarray(target, dtype=np.float64)
    if p.shape[0] != b or p.ndim != 2:
        raise ValueError(f"target has shape {p.shape}, expected ({b}, C)")
    C = p.shape[1]
    if scores.shape[1] == 0 or n < 1:
        return None
    size = max(int(pool), n)
    cand, s = _pool(scores, size)
    valid = cand >= 0
    # min-max normalisation per user over the pool
    lo = np.where(valid, s, np.inf).min(axis=1, initial=np.inf)
    hi = np.where(valid, s, -np.inf).max(axis=1, initial=-np.inf)
    span = hi - lo
    sn = np.zeros_like(s)
    ok_span = np.isfinite(span) & (span > 0)
    np.divide(s - lo[:, None], span[:, None], out=sn, where=valid & ok_span[:, None])
    ic = np.asarray(item_country, dtype=np.int64)
    ccode = np.where(valid, ic[np.where(valid, cand, 0)], -1)
    ccode = np.where(ccode < C, ccode, -1)  # codes beyond the target's columns: unknown
    return p, cand, sn, ccode


def _calibrated(scores, item_country, target, lam, n, pool, alpha):
    inputs = _calibration_inputs(scores, item_country, target, n, pool)
    if inputs is None:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    p, cand, sn, ccode = inputs
    out = np.full((scores.shape[0], n), -1, dtype=np.int64)
    _greedy_calibration(sn, cand, ccode, np.ascontiguousarray(p), float(lam), float(alpha), out)
    rows, ranks = np.nonzero(out >= 0)
    return rows, out[rows, ranks]


def rerank(
    scores: np.ndarray,
    user_country: np.ndarray,
    item_country: np.ndarray,
    method: str,
    lam: float = 0.0,
    n: int = 10,
    similarity: np.ndarray | None = None,
    target: np.ndarray | None = None,
    pool: int = DEFAULT_POOL,
    alpha: float = ALPHA,
    shared: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Lists of one block by ``method`` (see the module doc); ``scores`` is not modified.

    ``similarity`` (C, C) is needed by ``soft``; ``target`` (b, C) by ``calibrated`` (see
    :func:`history_target`). ``shared``: the block is read-only and listed by several methods
    in a row (a trade-off sweep): ``none``, ``hard`` and ``soft`` merge per-country pools of the
    block computed once for all of them (:func:`_from_country_pools`; the same lists).
    """
    scores = np.asarray(scores, dtype=np.float64)
    uc = np.asarray(user_country, dtype=np.int64)
    ic = np.asarray(item_country, dtype=np.int64)
    if scores.ndim != 2 or scores.shape != (uc.size, ic.size):
        raise ValueError(f"scores has shape {scores.shape}, expected ({uc.size}, {ic.size})")
    if shared and method in ("none", "hard", "soft") and n > 0 and scores.shape[1] > 0:
        if method == "soft" and similarity is None:
            raise ValueError("method 'soft' needs a similarity matrix")
        return _from_country_pools(scores, uc, ic, method, lam, n, similarity)
    if method == "none":
        return top_n(scores, n)
    if method == "hard":
        return foreign_top_n(scores, n, uc, ic)
    if method == "soft":
        if similarity is None:
            raise ValueError("method 'soft' needs a similarity matrix")
        if lam == 0:
            return top_n(scores, n)
        cols, lens = np.zeros((uc.size, max(n, 0)), np.int64), np.zeros(uc.size, np.int64)
        if n > 0:
            _soft_select(
                np.ascontiguousarray(scores),
                uc,
                ic,
                np.ascontiguousarray(similarity, dtype=np.float64),
                float(lam),
                n,
                cols,
                lens,
            )
        return padded_to_lists(cols, lens)
    if method == "calibrated":
        if target is None:
            raise ValueError("method 'calibrated' needs a target country mix (history_target)")
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"calibrated needs 0 <= lam <= 1, got {lam}")
        return _calibrated(scores, ic, target, float(lam), n, pool, alpha)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def list_depth(variants, n: int, pool: int = DEFAULT_POOL) -> tuple[int, int, tuple]:
    """How deep lists of the ``variants`` ((method, lam) pairs) look into a user's scores:
    (overall, foreign, soft lambdas) of :class:`lfmrec.scoring.Depth`. Every method needs the
    ``n`` best candidates (the initial top-n and its deletions); ``hard`` the ``n`` best of another
    country; ``calibrated`` its pool; ``soft`` its ``n`` best penalised scores."""
    overall, foreign, soft = n, 0, []
    for method, lam in variants:
        if method == "hard":
            foreign = n
        elif method == "calibrated":
            overall = max(overall, int(pool), n)
        elif method == "soft":
            if float(lam) not in soft:
                soft.append(float(lam))
        elif method != "none":
            raise ValueError(f"unknown re-ranking method {method!r}")
    return overall, foreign, tuple(soft)


def make_reranker(
    method: str,
    lam: float = 0.0,
    n: int = 10,
    user_country: np.ndarray | None = None,
    item_country: np.ndarray | None = None,
    similarity: np.ndarray | None = None,
    target: np.ndarray | None = None,
    pool: int = DEFAULT_POOL,
    alpha: float = ALPHA,
    shared: bool = False,
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A lister for :func:`lfmrec.ranking.evaluate`: ``user_country`` (n_users,) and ``target``
    (n_users, C) cover all users; a block's rows are picked with the lister's ``users``.
    ``shared``: one of several listers of the same read-only blocks (see :func:`rerank`)."""
    uc_all = np.asarray(user_country, dtype=np.int64)
    ic = np.asarray(item_country, dtype=np.int64)

    def lister(scores: np.ndarray, users: np.ndarray):
        tgt = None if target is None else target[users]
        return rerank(scores, uc_all[users], ic, method, lam, n, similarity, tgt, pool, alpha, shared)

    return lister

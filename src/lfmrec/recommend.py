"""Phase 2 of the paper (section 5): cross-cultural top-n lists and deletion counts.

For a user, the candidates are the artists with at least one rating in the sample that the user has
not played, ranked by score with ties broken by artist_id ascending. The *initial* top-n is the n
best candidates; the user's *deletions* are the artists in it whose estimated country equals the
user's. The *final* list is the n best candidates from another country (the paper deletes the
same-country artists and refills from the next best).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numba import njit


@njit(cache=True, inline="always")
def _push(vals: np.ndarray, cols: np.ndarray, length: int, n: int, v: float, j: int) -> int:
    """Insert (v, j) into the row's list sorted by value descending (``length`` entries so far).

    Columns arrive in ascending order, so an equal value goes after the entries already there
    (ties by column); with the list full the last entry drops out. Returns the new length."""
    pos = length if length < n else n - 1
    while pos > 0 and vals[pos - 1] < v:
        vals[pos] = vals[pos - 1]
        cols[pos] = cols[pos - 1]
        pos -= 1
    vals[pos] = v
    cols[pos] = j
    return length + 1 if length < n else n


@njit(cache=True, inline="always")
def _is_played(idx: np.ndarray, lo: int, hi: int, j: int) -> bool:
    """Whether column j is in the sorted ``idx[lo:hi]`` (binary search)."""
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if idx[mid] < j:
            lo = mid + 1
        else:
            hi = mid
    return lo < end and idx[lo] == j


@njit(cache=True, nogil=True)
def _select(scores, n, played_ptr, played_idx, user_country, item_country, want_all, want_foreign,
            want_count, all_cols, all_len, foreign_cols, foreign_len, deletions, n_foreign):
    """Per row of ``scores``: its n best finite, unplayed entries (``all_*``), its n best of those
    from a country other than the user's (``foreign_*``), how many of the first are from the
    user's country (``deletions``) and, with ``want_count``, how many foreign entries there are
    (``n_foreign``).

    ``played_idx[played_ptr[r]:played_ptr[r + 1]]`` are row r's played columns, sorted. A country
    code of -1 (unknown) never equals a user's; a user with code -1 has every entry foreign.

    Up to two passes per row, both at memory speed: a branch-free count of the foreign finite
    entries (SIMD; only with ``want_count``), then the selection, in which an entry is looked at closer only when it beats the
    foreign list's last value -- after the first few entries, almost never.
    """
    b, m = scores.shape
    vals_a = np.empty(max(n, 1))
    vals_f = np.empty(max(n, 1))
    for r in range(b):
        u = user_country[r]
        lo, hi = played_ptr[r], played_ptr[r + 1]
        row = scores[r]
        if want_count:
            nf = 0
            for j in range(m):  # vectorized by LLVM: no branch in the body
                v = row[j]
                nf += (v > -np.inf) & (v < np.inf) & ((u < 0) | (item_country[j] != u))
            for t in range(lo, hi):  # played entries are not candidates
                v = row[played_idx[t]]
                if v > -np.inf and v < np.inf and (u < 0 or item_country[played_idx[t]] != u):
                    nf -= 1
            n_foreign[r] = nf
        la = 0
        lf = 0
        cut_a = -np.inf  # a list's last value once it is full: only better entries get in
        cut_f = -np.inf  # <= cut_a: the foreign list is the best n of a subset
        gate = cut_f if want_foreign else cut_a
        for j in range(m):
            v = row[j]
            if not v > gate:  # also skips NaN
                continue
            if v == np.inf or _is_played(played_idx, lo, hi, j):
                continue
            if want_all and (la < n or v > cut_a):
                la = _push(vals_a, all_cols[r], la, n, v, j)
                if la == n:
                    cut_a = vals_a[n - 1]
            if want_foreign and (u < 0 or item_country[j] != u) and (lf < n or v > cut_f):
                lf = _push(vals_f, foreign_cols[r], lf, n, v, j)
                if lf == n:
                    cut_f = vals_f[n - 1]
            gate = cut_f if want_foreign else cut_a
        all_len[r] = la
        foreign_len[r] = lf
        d = 0
        if u >= 0:
            for t in range(la):
                if item_country[all_cols[r, t]] == u:
                    d += 1
        deletions[r] = d


def _lists(cols: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(b, n) padded lists -> (rows, cols) ordered by row then rank."""
    keep = np.arange(cols.shape[1]) < lengths[:, None]
    rows = np.nonzero(keep)[0]
    return rows.astype(np.int64), cols[keep].astype(np.int64)


def _run_select(scores, n, played, user_country, item_country, want_all, want_foreign, want_count=False):
    s = np.ascontiguousarray(scores, dtype=np.float64)
    b, m = s.shape
    if played is None:
        ptr, idx = np.zeros(b + 1, np.int64), np.zeros(0, np.int64)
    else:
        played = sp.csr_matrix(played, copy=True)
        played.eliminate_zeros()
        played.sum_duplicates()  # sorted column indices per row
        ptr, idx = played.indptr.astype(np.int64), played.indices.astype(np.int64)
    if user_country is None:
        user_country, item_country = np.full(b, -1, np.int64), np.full(m, -1, np.int64)
    width = max(n, 0)
    out = (np.zeros((b, width), np.int64), np.zeros(b, np.int64), np.zeros((b, width), np.int64),
           np.zeros(b, np.int64), np.zeros(b, np.int64), np.zeros(b, np.int64))
    if n > 0:
        _select(s, n, ptr, idx, np.asarray(user_country, np.int32), np.asarray(item_country, np.int32),
                want_all, want_foreign, want_count, *out)
    return out


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the ``n`` best finite scores per row: score descending, ties by column.

    Columns must be ordered by artist_id so that "ties by column" means "ties by artist_id".
    Excluded entries are -inf (NaN and +inf are excluded too). Returns (rows, cols) of the selected
    entries, ordered by row then rank; a row with fewer than n finite scores yields fewer entries.

    A compiled scan of each row that keeps the row's n best so far (see :func:`_select`): no
    sort, no partition, no temporaries of the row's size.
    """
    all_cols, all_len, *_ = _run_select(scores, n, None, None, None, True, False)
    return _lists(all_cols, all_len)


def foreign_top_n(scores: np.ndarray, n: int, user_country: np.ndarray, item_country: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_n` over the entries whose item country differs from the row's user country
    (the paper's hard rule; codes as in :func:`recommend_block`), without a masked copy."""
    *_, f_cols, f_len, _, _ = _run_select(scores, n, None, user_country, item_country, False, True)
    return _lists(f_cols, f_len)


def recommend_block(
    scores: np.ndarray,
    played: sp.csr_matrix,
    user_country: np.ndarray,
    item_country: np.ndarray,
    n: int,
    final: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    copy: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cross-cultural top-n for a block of users.

    ``scores`` (users x candidate items, items ordered by artist_id), ``played`` (same shape,
    non-zero where the user played the artist), ``user_country`` and ``item_country`` as integer
    codes of one shared vocabulary (-1 = unknown, never equal to a user's country). ``final``
    makes the final lists from the scores with played artists at -inf (a re-ranker of
    :mod:`lfmrec.rerank`); by default the paper's hard rule.

    Returns (rows, cols) of the final lists ordered by row then rank, the deletions per user (the
    same-country artists of the initial top-n) and the number of foreign candidates per user.

    The initial top-n, the deletions, the foreign count and the hard rule's lists come from one
    compiled pass over each row (see :func:`_select`). With ``copy=False`` and a ``final``
    re-ranker, the played entries of ``scores`` itself are set to -inf.
    """
    hard = final is None
    all_cols, all_len, f_cols, f_len, deletions, n_foreign = _run_select(
        scores, n, played, user_country, item_country, True, hard, want_count=True)
    if hard:
        rows, cols = _lists(f_cols, f_len)
        return rows, cols, deletions, n_foreign
    s = np.array(scores, dtype=np.float64, copy=True) if copy else scores
    pr, pc = played.nonzero()
    s[pr, pc] = -np.inf
    rows, cols = final(s)
    return rows, cols, deletions, n_foreign


def pair_matrix(pairs: pd.DataFrame, user_ids, item_ids) -> sp.csr_matrix:
    """Boolean (len(user_ids), len(item_ids)) CSR, True at the (user_id, artist_id) pairs.

    Pairs whose user or artist is not in ``user_ids`` / ``item_ids`` are dropped.
    """
    u = pd.Index(np.asarray(user_ids)).get_indexer(pairs["user_id"].to_numpy())
    i = pd.Index(np.asarray(item_ids)).get_indexer(pairs["artist_id"].to_numpy())
    ok = (u >= 0) & (i >= 0)
    mat = sp.csr_matrix(
        (np.ones(int(ok.sum()), dtype=bool), (u[ok], i[ok])), shape=(len(user_ids), len(item_ids))
    )
    mat.sum_duplicates()
    return mat


@dataclass
class Countries:
    """Country codes of users and candidate items, and the (C, C) similarity in that coding."""

    user_country: np.ndarray
    item_country: np.ndarray
    similarity: np.ndarray
    item_labels: np.ndarray  # the items' country strings (missing: <NA>), for the outputs


def country_setup(users: pd.DataFrame, item_ids: np.ndarray, artists: pd.DataFrame,
                  similarity: pd.DataFrame | None = None) -> Countries:
    """Encode users' and artists' countries with one vocabulary and place the similarity in it.

    ``similarity`` is the square table of :func:`lfmrec.countries.country_similarity` (indexed by
    country, or with the index as a ``country`` column as stored in
    results/data/country_similarity.parquet); countries absent from it get similarity 0 to every
    other country (1 to themselves).
    """
    if similarity is not None and "country" in similarity.columns:
        similarity = similarity.set_index("country")
    item_country_str = artists.set_index("artist_id")["country"].reindex(item_ids).to_numpy()
    index = similarity.index if similarity is not None else []
    codes = country_codes(users["country"], item_country_str, index)
    sim = np.eye(len(codes))
    if similarity is not None and len(index):
        known = encode(index, codes)
        sim[np.ix_(known, known)] = similarity.to_numpy(np.float64)
        np.fill_diagonal(sim, 1.0)
    return Countries(encode(users["country"], codes), encode(item_country_str, codes), sim, item_country_str)


def country_codes(*columns: Iterable) -> dict[str, int]:
    """One integer code per country string over all the given columns (missing values excluded)."""
    values = set()
    for col in columns:
        values.update(str(v) for v in pd.Series(col).dropna())
    return {c: i for i, c in enumerate(sorted(values))}


def encode(values, codes: dict[str, int]) -> np.ndarray:
    return np.array([codes.get(str(v), -1) if not pd.isna(v) else -1 for v in values], dtype=np.int64)


def deletion_summary(model: str, per_user: pd.DataFrame) -> dict:
    """One row of results/deletions.csv from a model's per-user deletion counts."""
    d = per_user["deletions"].to_numpy()
    return {
        "model": model,
        "users": int(d.size),
        "deletions": int(d.sum()),
        "users_with_deletions": int((d > 0).sum()),
        "mean_per_user": float(d.mean()) if d.size else 0.0,
    }


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
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every (user, candidate artist) pair block by block and build the cross-cultural lists.

    ``params`` is a :class:`lfmrec.scoring.ScoringParams` of a model fit on ``triples``. The final
    lists come from re-ranking ``method`` (``hard``: the paper's rule; ``soft``, ``calibrated``
    with ``lam`` and ``similarity``, see :mod:`lfmrec.rerank`; ``none``).
    Returns the final lists (user_id, user_country, rank, artist_id, artist_country, score) and
    the per-user counts (user_id, user_country, deletions, foreign_candidates, list_length).
    """
    from . import rerank
    from .scoring import iter_score_blocks

    item_ids = np.sort(triples["artist_id"].unique())  # candidates: artists rated in the sample
    c = country_setup(users, item_ids, artists, similarity)
    item_country, user_country = c.item_country, c.user_country
    user_ids = users["user_id"].to_numpy(np.int64)
    played = pair_matrix(triples, user_ids, item_ids)

    target = None
    if method == "calibrated":
        target = rerank.history_target(played, user_country, item_country, c.similarity.shape[0])
    lister = rerank.make_reranker(method, lam, n, user_country, item_country, c.similarity, target, pool=pool)

    parts, deletions, foreign = [], np.zeros(user_ids.size, np.int64), np.zeros(user_ids.size, np.int64)
    for start, block in iter_score_blocks(params, user_ids, item_ids, block_users):
        stop = start + block.shape[0]
        final = None if method == "hard" else (lambda s, a=start, b=stop: lister(s, np.arange(a, b)))
        rows, cols, dels, n_foreign = recommend_block(block, played[start:stop], user_country[start:stop],
                                                      item_country, n, final, copy=False)
        deletions[start:stop] = dels
        foreign[start:stop] = n_foreign
        rank = np.arange(rows.size) - np.searchsorted(rows, rows) + 1
        parts.append(pd.DataFrame({"row": rows + start, "rank": rank, "col": cols, "score": block[rows, cols]}))
    rec = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["row", "rank", "col", "score"])
    out = pd.DataFrame(
        {
            "user_id": user_ids[rec["row"].to_numpy(np.int64)],
            "user_country": pd.array(users["country"].to_numpy()[rec["row"].to_numpy(np.int64)], dtype="string"),
            "rank": rec["rank"].to_numpy(np.int64),
            "artist_id": item_ids[rec["col"].to_numpy(np.int64)].astype(np.int64),
            "artist_country": pd.array(c.item_labels[rec["col"].to_numpy(np.int64)], dtype="string"),
            "score": rec["score"].to_numpy(np.float64),
        }
    )
    per_user = pd.DataFrame(
        {
            "user_id": user_ids,
            "user_country": pd.array(users["country"].to_numpy(), dtype="string"),
            "deletions": deletions,
            "foreign_candidates": foreign,
            "list_length": np.bincount(rec["row"].to_numpy(np.int64), minlength=user_ids.size),
        }
    )
    return out, per_user

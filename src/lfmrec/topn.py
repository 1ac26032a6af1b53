"""Top-n selection, the building block of phase 2, the re-ranking and the ranking metrics.

For a user, the candidates are columns ordered by artist_id; a list is the n best finite scores,
score descending, ties by artist_id ascending. One compiled pass over each row of scores
(:func:`_select`) keeps the n best so far, the n best foreign ones (the paper's hard rule), counts
the same-country artists of the initial list (the deletions) and the foreign candidates, without
sorting, partitioning or masking a copy of the row. The "played" matrices the builders take are
:mod:`lfmrec.pairs`'.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._bisect import in_sorted as _is_played  # whether column j is in a row's sorted played columns
from ._numba import njit


@njit(cache=True)
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


# Entries per chunk of _select's pass: small enough for the chunk's scores to stay in L1.
_CHUNK = 256


@njit(cache=True)
def _value(row, j, mode, ub_r, bi, lo, hi):
    """Entry j of a row: ``row[j]`` (mode 0), or the score a :class:`lfmrec.scoring.Finish` of
    that mode makes of the raw entry (the operations of ``scoring._finish``, in its order)."""
    if mode == 0:
        return row[j]
    if mode == 3:
        v = ub_r + bi[j]
    elif mode == 2:
        v = (ub_r + bi[j]) + row[j]
    else:
        v = row[j]
    return max(lo, min(hi, v))


@njit(cache=True)
def _fill_chunk(row, j0, j1, mode, ub_r, bi, lo, hi, chunk, u, item_country, gate):
    """Entries j0:j1 of a row as scores (:func:`_value`) into ``chunk``; returns how many are
    finite and foreign, and whether any is above ``gate``. One branch-free loop per mode, so
    that each is vectorized."""
    nf = 0
    hit = False
    if mode == 0:
        for j in range(j0, j1):
            v = row[j]
            chunk[j - j0] = v
            nf += (v > -np.inf) & (v < np.inf) & ((u < 0) | (item_country[j] != u))
            hit |= v > gate
    elif mode == 1:
        for j in range(j0, j1):
            v = max(lo, min(hi, row[j]))
            chunk[j - j0] = v
            nf += (v > -np.inf) & (v < np.inf) & ((u < 0) | (item_country[j] != u))
            hit |= v > gate
    elif mode == 2:
        for j in range(j0, j1):
            v = max(lo, min(hi, (ub_r + bi[j]) + row[j]))
            chunk[j - j0] = v
            nf += (v > -np.inf) & (v < np.inf) & ((u < 0) | (item_country[j] != u))
            hit |= v > gate
    else:
        for j in range(j0, j1):
            v = max(lo, min(hi, ub_r + bi[j]))
            chunk[j - j0] = v
            nf += (v > -np.inf) & (v < np.inf) & ((u < 0) | (item_country[j] != u))
            hit |= v > gate
    return nf, hit


@njit(cache=True)
def _store_row(r, u, la, lf, vals_a, vals_f, all_len, foreign_len, all_vals, foreign_vals, all_cols, item_country, deletions):
    """Row r's list lengths, listed values and deletions (the same-country entries of its first
    list; a user of unknown country, u = -1, has none)."""
    all_len[r] = la
    foreign_len[r] = lf
    for t in range(la):  # loops, not slices: a slice assignment compiles ~4 s of error text
        all_vals[r, t] = vals_a[t]
    for t in range(lf):
        foreign_vals[r, t] = vals_f[t]
    d = 0
    if u >= 0:
        for t in range(la):
            if item_country[all_cols[r, t]] == u:
                d += 1
    deletions[r] = d


@njit(cache=True, nogil=True)
def _select(
    scores,
    n,
    played_ptr,
    played_idx,
    user_country,
    item_country,
    want_all,
    want_foreign,
    want_count,
    all_cols,
    all_len,
    foreign_cols,
    foreign_len,
    deletions,
    n_foreign,
    all_vals,
    foreign_vals,
    mode,
    ub,
    bi,
    lo,
    hi,
):
    """Per row of ``scores``: its n best finite, unplayed entries (``all_*``), its n best of those
    from a country other than the user's (``foreign_*``), how many of the first are from the
    user's country (``deletions``) and, with ``want_count``, how many foreign entries there are
    (``n_foreign``).

    ``played_idx[played_ptr[r]:played_ptr[r + 1]]`` are row r's played columns, sorted. A country
    code of -1 (unknown) never equals a user's; a user with code -1 has every entry foreign.

    ``mode`` 0: the entries are the scores. Modes 1-3: ``scores`` is a raw block and an entry's
    score is made on the fly (:func:`_value`; ``ub``, ``bi``, ``lo``, ``hi`` of a
    :class:`lfmrec.scoring.Finish`; mode 3 reads nothing of ``scores``). The lists' scores go to
    ``all_vals`` / ``foreign_vals``.

    One pass per row, chunk by chunk: a branch-free (SIMD) loop makes the chunk's scores, counts
    its foreign finite entries and tells whether any entry beats the foreign list's last value;
    only then are the chunk's entries looked at one by one -- after the first few chunks, almost
    never.
    """
    b, m = scores.shape
    if mode == 3:
        m = bi.size
    vals_a = np.empty(max(n, 1))
    vals_f = np.empty(max(n, 1))
    chunk = np.empty(_CHUNK)
    for r in range(b):
        u = user_country[r]
        lo_p, hi_p = played_ptr[r], played_ptr[r + 1]
        row = scores[r]
        ub_r = ub[r] if mode >= 2 else 0.0
        nf = 0
        if want_count:
            for t in range(lo_p, hi_p):  # played entries are not candidates
                j = played_idx[t]
                v = _value(row, j, mode, ub_r, bi, lo, hi)
                if v > -np.inf and v < np.inf and (u < 0 or item_country[j] != u):
                    nf -= 1
        la = 0
        lf = 0
        cut_a = -np.inf  # a list's last value once it is full: only better entries get in
        cut_f = -np.inf  # <= cut_a: the foreign list is the best n of a subset
        gate = cut_f if want_foreign else cut_a
        for j0 in range(0, m, _CHUNK):
            j1 = min(j0 + _CHUNK, m)
            # the chunk's scores, its foreign finite entries and whether any beats the gate (SIMD)
            got, hit = _fill_chunk(row, j0, j1, mode, ub_r, bi, lo, hi, chunk, u, item_country, gate)
            nf += got
            if not hit:  # after the first few chunks, almost always
                continue
            for j in range(j0, j1):
                v = chunk[j - j0]
                if not v > gate:  # also skips NaN
                    continue
                if v == np.inf or _is_played(played_idx, lo_p, hi_p, j):
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
        if want_count:
            n_foreign[r] = nf
        _store_row(r, u, la, lf, vals_a, vals_f, all_len, foreign_len, all_vals, foreign_vals, all_cols, item_country, deletions)


def padded_to_lists(cols: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(b, n) padded lists -> (rows, cols) ordered by row then rank."""
    keep = np.arange(cols.shape[1]) < lengths[:, None]
    rows = np.nonzero(keep)[0]
    return rows.astype(np.int64), cols[keep].astype(np.int64)


def padded_values(vals: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The entries of ``vals`` (rows of padded lists) in :func:`padded_to_lists`' order."""
    return vals[np.arange(vals.shape[1]) < lengths[:, None]]


def lists_to_matrix(rows: np.ndarray, cols: np.ndarray, b: int, n: int) -> np.ndarray:
    """(rows, cols) ordered by row then rank (as from ``top_n``) -> (b, n) int matrix, -1 = empty."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    out = np.full((b, n), -1, dtype=np.int64)
    if rows.size:
        rank = np.arange(rows.size) - np.searchsorted(rows, rows)
        if rank.max() >= n:
            raise ValueError(f"a list is longer than n = {n}")
        out[rows, rank] = cols
    return out


@njit(cache=True, nogil=True, fastmath={"contract"})
def _select_bounded(
    raw32,
    n,
    played_ptr,
    played_idx,
    user_country,
    item_country,
    want_count,
    all_cols,
    all_len,
    foreign_cols,
    foreign_len,
    deletions,
    n_foreign,
    all_vals,
    foreign_vals,
    mode,
    ub,
    bi,
    lo,
    hi,
    P,
    Q,
    err,
    qnorm,
):
    """:func:`_select` with both lists for a raw block of mode 1 (mf) or 2 (svd) given in float32
    (``raw32``, the product of the factors rounded to float32), with the same results as
    :func:`_select` over the float64 product ``P @ Q.T``.

    ``|raw32[r, j] - (P @ Q.T)[r, j]| <= err[r] * qnorm[j]`` (the caller's bound), so each entry's
    score lies between the scores of ``raw32 -/+ err * qnorm`` (the finish is monotone). One pass
    per row keeps the n best lower bounds of the unplayed foreign entries (their last: ``cut``) and
    the unplayed entries whose upper bound reaches ``cut``; every entry of either exact list is
    one of them (its score is at least the foreign list's last, which is at least ``cut``). Those
    candidates are then scored exactly, in ascending column order: ``P[r] . Q[j]`` as one
    multiply-add per factor in factor order (``contract``: fused), the float64 product's bits,
    and listed as :func:`_select` lists them.
    """
    b, m = raw32.shape
    k = P.shape[1]
    low = np.empty(max(n, 1))  # the n best lower bounds (their columns in low_cols, unused)
    low_cols = np.empty(max(n, 1), np.int64)
    vals_a = np.empty(max(n, 1))
    vals_f = np.empty(max(n, 1))
    cand = np.empty(m, np.int64)
    c_hi = np.empty(_CHUNK)
    # foreign entries of a row before its played ones are taken off: m minus the user's country's
    # artists (the count does not depend on the scores)
    n_codes = 1
    for j in range(m):
        n_codes = max(n_codes, item_country[j] + 1)
    same = np.zeros(n_codes, np.int64)
    for j in range(m):
        if item_country[j] >= 0:
            same[item_country[j]] += 1
    for r in range(b):
        u = user_country[r]
        lo_p, hi_p = played_ptr[r], played_ptr[r + 1]
        row = raw32[r]
        ub_r = ub[r] if mode == 2 else 0.0
        e_r = err[r]
        nf = m - (same[u] if 0 <= u < n_codes else 0)
        if want_count:
            for t in range(lo_p, hi_p):
                j = played_idx[t]
                if u < 0 or item_country[j] != u:
                    nf -= 1
        nl = 0
        cut = -np.inf
        nc = 0
        for j0 in range(0, m, _CHUNK):
            j1 = min(j0 + _CHUNK, m)
            hit = False
            # the upper bounds only: most chunks have none at the cut, and their lower bounds are
            # not needed (those of the candidates are made below, by the same operations)
            if mode == 2:
                for j in range(j0, j1):
                    vh = max(lo, min(hi, (ub_r + bi[j]) + (np.float64(row[j]) + e_r * qnorm[j])))
                    c_hi[j - j0] = vh
                    hit |= vh >= cut
            else:
                for j in range(j0, j1):
                    vh = max(lo, min(hi, np.float64(row[j]) + e_r * qnorm[j]))
                    c_hi[j - j0] = vh
                    hit |= vh >= cut
            if not hit:
                continue
            for j in range(j0, j1):
                if not c_hi[j - j0] >= cut or _is_played(played_idx, lo_p, hi_p, j):
                    continue
                cand[nc] = j
                nc += 1
                if u < 0 or item_country[j] != u:
                    x = np.float64(row[j])
                    e = e_r * qnorm[j]
                    v_lo = max(lo, min(hi, (ub_r + bi[j]) + (x - e))) if mode == 2 else max(lo, min(hi, x - e))
                    if nl < n or v_lo > cut:
                        nl = _push(low, low_cols, nl, n, v_lo, j)
                        if nl == n:
                            cut = low[n - 1]
        la = 0
        lf = 0
        cut_a = -np.inf
        cut_f = -np.inf
        for t in range(nc):
            j = cand[t]
            dot = 0.0
            for f in range(k):
                dot += P[r, f] * Q[j, f]
            if mode == 2:
                v = max(lo, min(hi, (ub_r + bi[j]) + dot))
            else:
                v = max(lo, min(hi, dot))
            if not v >= cut:  # below the bound's cut: in no list
                continue
            if la < n or v > cut_a:
                la = _push(vals_a, all_cols[r], la, n, v, j)
                if la == n:
                    cut_a = vals_a[n - 1]
            if (u < 0 or item_country[j] != u) and (lf < n or v > cut_f):
                lf = _push(vals_f, foreign_cols[r], lf, n, v, j)
                if lf == n:
                    cut_f = vals_f[n - 1]
        if want_count:
            n_foreign[r] = nf
        _store_row(r, u, la, lf, vals_a, vals_f, all_len, foreign_len, all_vals, foreign_vals, all_cols, item_country, deletions)


def _played_csr(played, b: int) -> tuple[np.ndarray, np.ndarray]:
    """indptr and sorted column indices (int64) of the non-zero entries of ``played`` (None: none)."""
    if played is None:
        return np.zeros(b + 1, np.int64), np.zeros(0, np.int64)
    played = sp.csr_matrix(played, copy=True)
    played.eliminate_zeros()
    played.sum_duplicates()  # sorted column indices per row
    return played.indptr.astype(np.int64), played.indices.astype(np.int64)


def _list_arrays(b: int, n: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, np.ndarray]]:
    """The zeroed outputs of a selection of ``b`` rows: (all_cols, all_len, foreign_cols,
    foreign_len, deletions, n_foreign) and the listed values (all_vals, foreign_vals)."""
    width = max(n, 0)
    out = (
        np.zeros((b, width), np.int64),
        np.zeros(b, np.int64),
        np.zeros((b, width), np.int64),
        np.zeros(b, np.int64),
        np.zeros(b, np.int64),
        np.zeros(b, np.int64),
    )
    return out, (np.zeros((b, width)), np.zeros((b, width)))


def _select_bounded_lists(raw32, n, played, user_country, item_country, want_count, finish, bounded):
    """:func:`select_lists` with ``bounded``: (all_cols, all_len, foreign_cols, foreign_len,
    deletions, n_foreign, all_vals, foreign_vals)."""
    if finish is None or finish.mode not in (1, 2) or raw32.dtype != np.float32 or not raw32.flags.c_contiguous:
        raise ValueError("a bounded selection needs a C-contiguous float32 raw block of mode 1 or 2")
    b = raw32.shape[0]
    ptr, idx = _played_csr(played, b)
    out, vals = _list_arrays(b, n)
    if n > 0:
        _select_bounded(
            raw32,
            n,
            ptr,
            idx,
            np.asarray(user_country, np.int32),
            np.asarray(item_country, np.int32),
            want_count,
            *out,
            *vals,
            finish.mode,
            np.asarray(finish.ub, np.float64),
            np.asarray(finish.bi, np.float64),
            float(finish.lo),
            float(finish.hi),
            bounded.P,
            bounded.Q,
            bounded.err,
            bounded.qnorm,
        )
    return (*out, *vals)


def select_lists(
    scores, n, played, user_country, item_country, want_all, want_foreign, want_count=False, finish=None, bounded=None
):
    """:func:`_select` over ``scores`` (b, m); with ``finish`` (a :class:`lfmrec.scoring.Finish`)
    ``scores`` is a writeable raw block that the selection scores on the fly, and the listed
    entries of it are set to their scores. Returns (all_cols, all_len, foreign_cols, foreign_len,
    deletions, n_foreign).

    With ``bounded`` (a :class:`lfmrec.scoring.Bounded`; ``finish`` of mode 1 or 2, both lists)
    ``scores`` is the float32 raw block and :func:`_select_bounded` makes the lists; two more
    arrays follow, the listed scores (all_vals, foreign_vals), in the lists' order."""
    if bounded is not None:
        return _select_bounded_lists(scores, n, played, user_country, item_country, want_count, finish, bounded)
    s = np.ascontiguousarray(scores, dtype=np.float64)
    if finish is not None and s is not scores:
        raise ValueError("a raw block must be a C-contiguous float64 array (its listed entries are written)")
    b, m = s.shape
    ptr, idx = _played_csr(played, b)
    if user_country is None:
        user_country, item_country = np.full(b, -1, np.int64), np.full(m, -1, np.int64)
    width = max(n, 0)
    out, vals = _list_arrays(b, n)
    if n > 0:
        if finish is None:
            fin = (0, np.zeros(0), np.zeros(0), 0.0, 0.0)
        else:
            fin = (
                finish.mode,
                np.asarray(finish.ub, np.float64),
                np.asarray(finish.bi, np.float64),
                float(finish.lo),
                float(finish.hi),
            )
        # _select only reads the block: a read-only view gives every caller one compiled signature
        # (writeable and read-only blocks would compile it twice, ~4 s each)
        view = s.view()
        view.flags.writeable = False
        _select(
            view,
            n,
            ptr,
            idx,
            np.asarray(user_country, np.int32),
            np.asarray(item_country, np.int32),
            want_all,
            want_foreign,
            want_count,
            *out,
            *vals,
            *fin,
        )
        if finish is not None:  # the listed entries of the raw block get their scores
            for cols, lens, v in ((out[0], out[1], vals[0]), (out[2], out[3], vals[1])):
                listed = np.arange(width) < lens[:, None]
                s[np.nonzero(listed)[0], cols[listed]] = v[listed]
    return out


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the ``n`` best finite scores per row: score descending, ties by column.

    Ties go to the earlier column: the caller's column order decides them (phase 2: artist_id;
    the held-out evaluation: a seeded random order of the candidates, :func:`lfmrec.heldout.candidate_order`).
    Excluded entries are -inf (NaN and +inf are excluded too). Returns (rows, cols) of the selected
    entries, ordered by row then rank; a row with fewer than n finite scores yields fewer entries.

    A compiled scan of each row that keeps the row's n best so far (see :func:`_select`): no
    sort, no partition, no temporaries of the row's size.
    """
    all_cols, all_len, *_ = select_lists(scores, n, None, None, None, True, False)
    return padded_to_lists(all_cols, all_len)


def foreign_top_n(
    scores: np.ndarray, n: int, user_country: np.ndarray, item_country: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_n` over the entries whose item country differs from the row's user country
    (the paper's hard rule; codes as in :func:`recommend_block`), without a masked copy."""
    *_, f_cols, f_len, _, _ = select_lists(scores, n, None, user_country, item_country, False, True)
    return padded_to_lists(f_cols, f_len)

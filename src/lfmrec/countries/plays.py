"""The country play table and user-country imputation.

The paper labels an artist with the country whose (sampled) users played it most. That label is
biased towards the big user countries (US, RU, UK, DE, PL, BR): a Finnish band that 3 of the few
Finnish users and 4 of the many US users play is "US". This module offers better estimators, measures them against a
planted truth, and describes the diversity of the final cross-cultural lists.

Everything starts from a long **country play table** (:func:`country_play_table`): one row per
(artist, user country) with the total ``plays`` and the number of distinct ``listeners``. It can be
built from the sampled users (the sample matrix, the paper's route) or from every user of the full
matrix restricted to the sampled artists (the paper's suggested improvement), optionally with the
countries of the users who did not declare one imputed from their listening
(:func:`impute_user_countries`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import logsumexp

from ..ids import positions
from .codes import sorted_country_codes

#: multiply-adds from which :func:`_times_dense` takes the compiled, tiled product
TILED_MIN_WORK = 500_000_000

#: smoothing values tried by :func:`impute_user_countries` (picked by leave-one-out accuracy)
IMPUTE_GRID = (0.003, 0.01, 0.03, 0.1, 0.3)


def country_play_table(matrix: sp.spmatrix, user_countries, artist_ids) -> pd.DataFrame:
    """Per (artist, user country): total ``plays`` and number of distinct ``listeners``.

    ``matrix`` is users x artists (playcounts, sparse), ``user_countries`` one country per row
    (None / NA / "" = unknown: those users are skipped), ``artist_ids`` one id per column.
    Two sparse products (country indicator @ matrix, and @ its non-zero pattern); returns the
    rows with at least one listener, sorted by artist_id then country, with dtypes
    artist_id int64, country string, plays int64, listeners int64.
    """
    artist_ids = np.asarray(artist_ids, dtype=np.int64)
    m = sp.csr_matrix(matrix, dtype=np.float64)
    if m.shape[1] != artist_ids.size:
        raise ValueError(f"matrix has {m.shape[1]} columns but {artist_ids.size} artist ids")
    countries, codes = sorted_country_codes(user_countries)
    if codes.size != m.shape[0]:
        raise ValueError(f"matrix has {m.shape[0]} rows but {codes.size} user countries")
    m.eliminate_zeros()
    keep = np.flatnonzero(codes >= 0)
    indicator = sp.csr_matrix((np.ones(keep.size), (codes[keep], keep)), shape=(countries.size, m.shape[0]))
    plays = (indicator @ m).tocoo()
    binary = m.copy()
    binary.data = np.ones_like(binary.data)
    listeners = (indicator @ binary).tocsr()
    plays = plays.tocsr()
    plays.sort_indices()
    listeners.sort_indices()
    lc = listeners.tocoo()
    # same sparsity pattern (a listener implies plays > 0); align through the (country, artist) keys
    pv = np.asarray(plays[lc.row, lc.col]).ravel()
    df = pd.DataFrame(
        {
            "artist_id": artist_ids[lc.col],
            "country": pd.array(countries[lc.row].astype(str) if lc.row.size else np.array([], str), dtype="string"),
            "plays": np.rint(pv).astype(np.int64),
            "listeners": np.rint(lc.data).astype(np.int64),
        }
    )
    df = df[df["listeners"] > 0]
    return df.sort_values(["artist_id", "country"], ignore_index=True)


def restrict_columns(matrix: sp.spmatrix, matrix_artist_ids, artist_ids) -> sp.csr_matrix:
    """The columns of ``matrix`` (ids ``matrix_artist_ids``) for ``artist_ids``, in that order
    (column indices sorted within rows)."""
    matrix_artist_ids = np.asarray(matrix_artist_ids, np.int64)
    artist_ids = np.asarray(artist_ids, np.int64)
    pos = pd.Series(np.arange(matrix_artist_ids.size), index=matrix_artist_ids)
    cols = pos.reindex(artist_ids)
    if cols.isna().any():
        raise ValueError(f"{int(cols.isna().sum())} artist ids are not columns of the matrix")
    if pd.Index(artist_ids).has_duplicates or pd.Index(matrix_artist_ids).has_duplicates:
        return sp.csr_matrix(sp.csc_matrix(matrix)[:, cols.to_numpy(np.int64)])
    # each column's new index (-1: dropped), and the stored entries renumbered in place of a CSC
    # copy of the whole matrix (all of LFM-1b: 0.6 s against 4 s)
    m = sp.csr_matrix(matrix)
    new = positions(artist_ids, matrix_artist_ids)[m.indices]
    keep = new >= 0
    kept = np.zeros(m.nnz + 1, np.int64)  # kept entries before each stored entry
    np.cumsum(keep, out=kept[1:])
    ptr = kept[m.indptr]
    out = sp.csr_matrix((m.data[keep], new[keep], ptr), shape=(m.shape[0], artist_ids.size))
    out.sort_indices()  # only does work where the new column order is not the old one
    return out


@dataclass
class Imputation:
    """Result of :func:`impute_user_countries`, one entry per matrix row."""

    countries: pd.arrays.StringArray  # declared country, or the imputed one
    imputed: np.ndarray  # bool: the country was imputed
    confidence: np.ndarray  # posterior probability of the chosen country (1 for declared users)
    smoothing: float  # the smoothing used
    loo_accuracy: dict = field(default_factory=dict)  # smoothing -> leave-one-out accuracy


def impute_user_countries(matrix: sp.spmatrix, user_countries, smoothing: float | None = None, grid=IMPUTE_GRID) -> Imputation:
    """Impute missing user countries with a multinomial naive Bayes over the listened artists.

    Trained on the users with a country: ``P(artist | c) = (L(a, c) + s) / (L(c) + s * n_artists)``
    with ``L(a, c)`` the listeners of a from c (binary listening, not plays) and the prior the
    countries' user shares. A user without a country gets the most probable country given the
    set of artists they listened to. Pass the full matrix with *all* its artists: every artist
    adds evidence. ``smoothing=None`` picks ``s`` from ``grid`` by exact leave-one-out accuracy
    on the declared users (each user's own listening removed from the counts), so no ground
    truth is needed. On the default synthetic data LOO accuracy is 91.3% at s = 0.03 (and the
    true accuracy on the undeclared users 90.5%).
    """
    B = sp.csr_matrix(matrix, dtype=np.float64)
    B.eliminate_zeros()
    B.data = np.ones_like(B.data)
    countries, codes = sorted_country_codes(user_countries)
    if codes.size != B.shape[0]:
        raise ValueError(f"matrix has {B.shape[0]} rows but {codes.size} user countries")
    decl = np.flatnonzero(codes >= 0)
    if decl.size == 0:
        raise ValueError("no user has a country: nothing to learn from")
    n_c, n_a = countries.size, B.shape[1]
    indicator = sp.csr_matrix((np.ones(decl.size), (codes[decl], decl)), shape=(n_c, B.shape[0]))
    L = (indicator @ B).toarray()  # countries x artists
    Lsum = L.sum(1)
    users_c = np.bincount(codes[decl], minlength=n_c).astype(np.float64)
    n_u = np.asarray(B.sum(1)).ravel()
    B_decl = B[decl]
    Bd = B_decl.tocoo()
    cd = codes[decl]
    # each declared user's listened artist: its listeners in the user's country (an integer), the
    # same for every smoothing, so that loo() looks its log terms up in a table of the counts
    own_count = L[cd[Bd.row], Bd.col].astype(np.int64)
    counts = np.arange(int(own_count.max(initial=0)) + 1)

    def scores(s: float, rows: sp.csr_matrix) -> np.ndarray:
        logp = np.log(L + s) - np.log(Lsum + s * n_a)[:, None]
        return _times_dense(rows, np.ascontiguousarray(logp.T)) + np.log(users_c / decl.size)[None, :]

    def loo(s: float, own: np.ndarray) -> float:
        """Leave-one-out accuracy from the declared users' scores ``own`` (modified in place)."""
        with np.errstate(invalid="ignore", divide="ignore"):  # count 0 is never looked up
            log_ratio = np.log(counts - 1 + s) - np.log(counts + s)
        corr = np.bincount(Bd.row, weights=log_ratio[own_count], minlength=decl.size)
        corr += n_u[decl] * (np.log(Lsum[cd] + s * n_a) - np.log(Lsum[cd] - n_u[decl] + s * n_a))
        with np.errstate(divide="ignore"):
            corr += np.log(np.maximum(users_c[cd] - 1, 0) / (decl.size - 1)) - np.log(users_c[cd] / decl.size)
        own[np.arange(decl.size), cd] += corr
        return float((own.argmax(1) == cd).mean())

    results = {}
    if smoothing is None:  # the grid on the declared users only, then every user with the best
        for s in grid:
            results[float(s)] = loo(float(s), scores(float(s), B_decl))
        smoothing = max(results, key=lambda s: (results[s], -list(results).index(s)))  # first best
    else:
        smoothing = float(smoothing)
        results[smoothing] = loo(smoothing, scores(smoothing, B_decl))
    sc = scores(smoothing, B)
    post_max = np.exp(sc.max(1) - logsumexp(sc, axis=1))
    out = np.where(codes >= 0, codes, sc.argmax(1))
    imputed = codes < 0
    return Imputation(
        countries=pd.array(countries[out].astype(str), dtype="string"),
        imputed=imputed,
        confidence=np.where(imputed, post_max, 1.0),
        smoothing=smoothing,
        loo_accuracy=results,
    )


def _times_dense(matrix: sp.csr_matrix, x: np.ndarray, tile_bytes: int = 8 << 20) -> np.ndarray:
    """``matrix @ x`` for a dense ``x``, with the bits of scipy's product on a matrix with sorted
    column indices (each output entry sums its row's entries in column order, ``y += a * x_row``).

    scipy gathers a row of ``x`` for every stored entry, from all of ``x`` (all of LFM-1b times
    73 countries: 340 MB, 10-15 s). From ``TILED_MIN_WORK`` multiply-adds on, the columns are
    taken in tiles of ``tile_bytes`` of ``x`` (:func:`lfmrec.countries._tiles.csr_times_dense`),
    which stay in the cache while every row adds its entries of the tile; the order of the
    additions is the same. Below it, scipy's product (numba's import and compile would cost more)."""
    m = sp.csr_matrix(matrix, dtype=np.float64)
    if m.shape[1] != x.shape[0]:
        raise ValueError(f"matrix has {m.shape[1]} columns, x {x.shape[0]} rows")
    if not m.has_sorted_indices:
        m = m.copy()
        m.sort_indices()
    x = np.ascontiguousarray(x, dtype=np.float64)
    if m.nnz * x.shape[1] < TILED_MIN_WORK:
        return np.asarray(m @ x)
    from ._tiles import csr_times_dense

    return csr_times_dense(m.indptr, m.indices, m.data, x, max(1, tile_bytes // max(1, 8 * x.shape[1])))

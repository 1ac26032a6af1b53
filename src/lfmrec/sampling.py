"""Section 3 of the paper: sample users and artists, estimate artist countries, melt into triples.

All functions take and return plain arrays / DataFrames; the users x artists matrix stays sparse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import InputError


@dataclass
class Sample:
    """The sampled users who gave a country and played a sampled artist, the sampled artists, and
    their playcount matrix."""

    users: pd.DataFrame  # user_id int64, country string (sorted by user_id)
    artist_ids: np.ndarray  # int64, sorted
    matrix: sp.csr_matrix  # float64 playcounts, len(users) x len(artist_ids)
    users_sampled: int  # users drawn from the matrix, before keeping those with a country
    users_without_triples: int = 0  # users with a country who played none of the sampled artists


def draw_ids(ids: np.ndarray, n: int | str, rng: np.random.Generator, key: str) -> np.ndarray:
    """Positions (into ``ids``) of ``n`` ids drawn uniformly without replacement, or all for 'all'.

    The draw is made over the ids in ascending order, so it does not depend on the order of the
    rows or columns in the file. The returned positions are sorted by id.
    """
    order = np.argsort(ids, kind="stable")
    if n == "all":
        return order
    n = int(n)
    if n <= 0:
        raise InputError(f"config {key}", f"must be a positive integer or 'all', got {n}")
    if n > ids.size:
        raise InputError(f"config {key}", f"asks for {n} but only {ids.size} are available", f"use at most {ids.size} or 'all'")
    chosen = np.sort(rng.choice(ids.size, size=n, replace=False))
    return order[chosen]


def draw_sample(
    matrix: sp.spmatrix,
    aligned: pd.DataFrame,
    artist_ids: np.ndarray,
    n_users: int | str,
    n_artists: int | str,
    seed: int,
) -> Sample:
    """Draw ``n_users`` matrix users and ``n_artists`` artists (seeded), keep the users with a country
    who played at least one sampled artist.

    A user with a country but no play of a sampled artist has no triple: no model knows the user
    (the paper's Surprise route, ``build_anti_testset``, covers only users of the trainset), so such
    users are dropped here and counted in ``users_without_triples``. Users and artists use
    independent child streams of ``seed``, so changing one sample size does not change the other
    sample.
    """
    user_rng, artist_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    rows = draw_ids(aligned["user_id"].to_numpy(), n_users, user_rng, "sample.n_users")
    cols = draw_ids(artist_ids, n_artists, artist_rng, "sample.n_artists")
    picked = aligned.iloc[rows]
    keep = picked["country"].notna().to_numpy()
    if not keep.any():
        raise InputError(
            "config sample.n_users",
            f"none of the {rows.size} sampled users gives a country",
            "sample more users or check the country column of users.txt",
        )
    rows_kept = picked["row"].to_numpy()[keep]
    sub = sp.csc_matrix(matrix)
    if not np.array_equal(cols, np.arange(matrix.shape[1])):  # skip the copy when all columns stay in order
        sub = sub[:, cols]
    sub = sp.csr_matrix(sub)[rows_kept, :]
    sub.eliminate_zeros()
    sub.sort_indices()
    played = np.diff(sub.indptr) > 0
    if not played.any():
        raise InputError(
            "config sample.n_artists", "none of the sampled users with a country played a sampled artist", "sample more artists"
        )
    sub = sub[played]
    users = pd.DataFrame(
        {
            "user_id": picked["user_id"].to_numpy(np.int64)[keep][played],
            "country": pd.array(picked["country"].to_numpy()[keep][played], dtype="string"),
        }
    )
    return Sample(
        users=users,
        artist_ids=artist_ids[cols].astype(np.int64),
        matrix=sub,
        users_sampled=int(rows.size),
        users_without_triples=int((~played).sum()),
    )


def _is_sorted(major: np.ndarray, minor: np.ndarray) -> bool:
    """Whether the pairs are in strictly ascending (major, minor) order."""
    dm, dn = np.diff(major), np.diff(minor)
    return bool(np.all((dm > 0) | ((dm == 0) & (dn > 0))))


def melt(matrix: sp.spmatrix, user_ids: np.ndarray, artist_ids: np.ndarray) -> pd.DataFrame:
    """Melt the sparse sample into (user, artist, playcount) triples, non-zeros only, with
    rating = log2(playcount). Sorted by user_id, then artist_id."""
    coo = sp.coo_matrix(matrix)
    df = pd.DataFrame(
        {
            "user_id": np.asarray(user_ids, dtype=np.int64)[coo.row],
            "artist_id": np.asarray(artist_ids, dtype=np.int64)[coo.col],
            "playcount": np.rint(coo.data).astype(np.int64),
        }
    )
    df = df[df["playcount"] > 0]
    if not _is_sorted(df["user_id"].to_numpy(), df["artist_id"].to_numpy()):
        df = df.sort_values(["user_id", "artist_id"])
    df = df.reset_index(drop=True)
    df["rating"] = np.log2(df["playcount"].to_numpy(dtype=np.float64))
    return df


def share_table(countries: pd.Series, count_name: str, null_label: str | None = None) -> pd.DataFrame:
    """Tables 1 and 2 of the paper: count and percent per country, largest first (ties alphabetical).

    With ``null_label`` missing countries are counted under that label, else they are dropped.
    """
    values = countries.astype("string")
    if null_label is not None:
        values = values.fillna(null_label)
    counts = values.dropna().value_counts()
    table = pd.DataFrame({"country": counts.index.astype(str), count_name: counts.to_numpy(np.int64)})
    table = table.sort_values([count_name, "country"], ascending=[False, True], ignore_index=True)
    total = table[count_name].sum()
    table["percent"] = (100.0 * table[count_name] / total).round(3) if total else 0.0
    return table

"""Artist countries and country similarity of each cross-validation fold, estimated without the
fold's test pairs (the held-out evaluation must not learn anything from what it is scored on).

The configured country play table (:mod:`lfmrec.countries.plays`: sampled users, all users, or all
users with imputed countries) counts every sampled user's plays, test pairs included. A fold's
table is that table minus the fold's test pairs, per (artist, user country): their plays and one
listener each. For the ``sample`` source this is exactly the table of the fold's training triples;
for ``all`` and ``all_imputed`` it is every user's listening but the fold's test pairs (the users
outside the sample are in no test fold). The configured estimator and the country similarity are
then computed from the fold's table as the phase-2 ones are from the whole table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .estimate import estimate
from .plays import country_play_table
from .similarity import country_similarity


def without_pairs(table: pd.DataFrame, pairs: pd.DataFrame, user_country: pd.Series) -> pd.DataFrame:
    """``table`` (artist_id, country, plays, listeners) minus the (user_id, artist_id, playcount)
    ``pairs``, each counted in its user's country (``user_country``: user_id -> country; pairs of
    users without a country are not in the table and are skipped). Rows left without a listener go;
    the order and dtypes of :func:`lfmrec.countries.plays.country_play_table` are kept."""
    country = user_country.reindex(pairs["user_id"].to_numpy()).to_numpy(dtype=object)
    known = pd.notna(country)
    removed = (
        pd.DataFrame(
            {
                "artist_id": pairs["artist_id"].to_numpy(np.int64)[known],
                "country": pd.array(country[known], dtype="string"),
                "plays": pairs["playcount"].to_numpy(np.int64)[known],
                "listeners": 1,
            }
        )
        .groupby(["artist_id", "country"], sort=False)
        .sum()
    )
    out = table.set_index(["artist_id", "country"])
    missing = removed.index.difference(out.index)
    if len(missing):
        raise ValueError(f"{len(missing)} (artist, country) pairs of the fold are not in the play table, e.g. {missing[0]}")
    sub = removed.reindex(out.index, fill_value=0)
    out = out.assign(plays=out["plays"] - sub["plays"], listeners=out["listeners"] - sub["listeners"])
    if (out["listeners"] < 0).any() or (out["plays"] < 0).any():
        raise ValueError("the fold's pairs count more plays or listeners than the play table")
    out = out[out["listeners"] > 0].reset_index()
    out["country"] = out["country"].astype("string")
    return out[["artist_id", "country", "plays", "listeners"]].astype({"plays": np.int64, "listeners": np.int64})


def fold_countries(
    table: pd.DataFrame, test_pairs: pd.DataFrame, users: pd.DataFrame, artist_ids, method: str, **options
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(artist estimates as :func:`lfmrec.countries.estimate.estimate` gives them, country
    similarity with a ``country`` column) of one fold: from ``table`` without ``test_pairs``."""
    train_table = without_pairs(table, test_pairs, users.set_index("user_id")["country"])
    artists = estimate(train_table, artist_ids, method, **options)
    return artists, country_similarity(train_table).reset_index()


def training_table(train_pairs: pd.DataFrame, users: pd.DataFrame, artist_ids) -> pd.DataFrame:
    """The country play table of the training pairs alone (the ``sample`` source of one fold),
    built from scratch: what :func:`without_pairs` must equal (tests)."""
    import scipy.sparse as sp

    user_ids = users["user_id"].to_numpy(np.int64)
    artist_ids = np.asarray(artist_ids, dtype=np.int64)
    r = pd.Index(user_ids).get_indexer(train_pairs["user_id"].to_numpy())
    c = pd.Index(artist_ids).get_indexer(train_pairs["artist_id"].to_numpy())
    m = sp.csr_matrix((train_pairs["playcount"].to_numpy(np.float64), (r, c)), shape=(user_ids.size, artist_ids.size))
    return country_play_table(m, users["country"].to_numpy(), artist_ids)

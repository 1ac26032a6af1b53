"""Sampling, the artist-country estimate, the log2 triples and Tables 1-2 (section 3 of the paper)."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lfmrec.countries.estimate import estimate
from lfmrec.countries.plays import country_play_table
from lfmrec.errors import InputError
from lfmrec.sampling import draw_ids, draw_sample, melt, share_table


def test_draw_ids_is_seeded_and_independent_of_file_order():
    ids = np.array([50, 10, 40, 20, 30, 60, 70])
    a = ids[draw_ids(ids, 3, np.random.default_rng(1), "k")]
    b = ids[draw_ids(ids, 3, np.random.default_rng(1), "k")]
    shuffled = ids[::-1].copy()
    c = shuffled[draw_ids(shuffled, 3, np.random.default_rng(1), "k")]
    assert a.tolist() == b.tolist() == c.tolist()
    assert a.tolist() == sorted(a.tolist()) and len(set(a)) == 3
    assert ids[draw_ids(ids, "all", np.random.default_rng(1), "k")].tolist() == sorted(ids.tolist())
    others = {tuple(ids[draw_ids(ids, 3, np.random.default_rng(s), "k")]) for s in range(20)}
    assert len(others) > 5  # the seed matters


@pytest.mark.parametrize("n, message", [(8, "asks for 8 but only 7 are available"), (0, "must be a positive integer")])
def test_draw_ids_rejects_impossible_sizes(n, message):
    with pytest.raises(InputError, match=f"config sample.n_users: {message}"):
        draw_ids(np.arange(7), n, np.random.default_rng(0), "sample.n_users")


def universe():
    dense = np.array(
        [
            [5, 0, 2, 0],
            [0, 3, 0, 0],
            [1, 0, 0, 8],
            [0, 0, 4, 0],
            [2, 2, 2, 2],
        ],
        dtype=float,
    )
    aligned = pd.DataFrame(
        {
            "row": np.arange(5),
            "user_id": [30, 10, 50, 20, 40],
            "country": pd.array(["US", None, "PL", "US", None], dtype="string"),
        }
    )
    return sp.csc_matrix(dense), aligned, np.array([7, 3, 9, 1])


def test_draw_sample_keeps_users_with_country_and_their_plays():
    matrix, aligned, artist_ids = universe()
    s = draw_sample(matrix, aligned, artist_ids, "all", "all", seed=3)
    assert s.users_sampled == 5
    assert s.users["user_id"].tolist() == [20, 30, 50]  # sorted by id, no country dropped
    assert s.artist_ids.tolist() == [1, 3, 7, 9]
    # row of user 30 (matrix row 0) with columns reordered by artist id 1, 3, 7, 9
    np.testing.assert_array_equal(s.matrix.toarray()[1], [0, 0, 5, 2])
    np.testing.assert_array_equal(s.matrix.toarray()[2], [8, 0, 1, 0])


def test_users_with_a_country_but_no_triple_are_dropped_and_counted():
    # 4 users with a country; user 12 played only artist 500, which is not drawn; user 13 has an
    # explicit zero for a drawn artist (no play either)
    rows, cols, plays = [0, 1, 2, 3, 3], [0, 2, 0, 0, 1], [3.0, 7.0, 0.0, 1.0, 2.0]  # (2, 0) is a stored zero
    matrix = sp.csc_matrix((plays, (rows, cols)), shape=(4, 3))
    assert matrix.nnz == 5
    aligned = pd.DataFrame(
        {"row": [0, 1, 2, 3], "user_id": [11, 12, 13, 14], "country": pd.array(["US", "DE", "FI", "PL"], dtype="string")}
    )
    artist_ids = np.array([100, 200, 500])
    s = draw_sample(matrix, aligned, artist_ids, "all", 2, seed=3)
    assert s.artist_ids.tolist() == [100, 200]  # 2 of 3 columns drawn: 500 left out for this seed
    assert s.users["user_id"].tolist() == [11, 14]
    assert s.users_without_triples == 2
    np.testing.assert_array_equal(s.matrix.toarray(), [[3, 0], [1, 2]])
    assert (np.diff(s.matrix.indptr) > 0).all()


def test_draw_sample_subset_matches_the_matrix_entries():
    rng = np.random.default_rng(0)
    dense = rng.integers(0, 3, size=(40, 30)).astype(float)
    aligned = pd.DataFrame(
        {
            "row": np.arange(40),
            "user_id": rng.permutation(1000)[:40],
            "country": pd.array(rng.choice(["US", "DE", None], 40), dtype="string"),
        }
    )
    artist_ids = rng.permutation(500)[:30]
    s = draw_sample(sp.csc_matrix(dense), aligned, artist_ids, 25, 12, seed=9)
    # users with a country who played none of the 12 artists are dropped (counted apart)
    drawn = aligned.iloc[
        draw_ids(aligned["user_id"].to_numpy(), 25, np.random.default_rng(np.random.SeedSequence(9).spawn(2)[0]), "k")
    ]
    assert s.users_without_triples + len(s.users) == int(drawn["country"].notna().sum())
    row_of = dict(zip(aligned["user_id"], aligned["row"], strict=True))
    col_of = {a: c for c, a in enumerate(artist_ids)}
    expected = dense[np.ix_([row_of[u] for u in s.users["user_id"]], [col_of[a] for a in s.artist_ids])]
    np.testing.assert_array_equal(s.matrix.toarray(), expected)
    assert s.users_sampled == 25 and s.artist_ids.size == 12
    assert s.users["country"].notna().all()
    again = draw_sample(sp.csc_matrix(dense), aligned, artist_ids, 25, 12, seed=9)
    assert again.users.equals(s.users) and (again.matrix != s.matrix).nnz == 0


def test_no_sampled_user_with_a_country_is_an_error():
    matrix, aligned, artist_ids = universe()
    aligned["country"] = pd.array([None] * 5, dtype="string")
    with pytest.raises(InputError, match="none of the 5 sampled users gives a country"):
        draw_sample(matrix, aligned, artist_ids, "all", "all", seed=0)


def test_artist_country_estimate_by_hand():
    # users: US, US, PL, DE; artists 100..103
    dense = np.array(
        [
            [3, 1, 0, 0],  # US
            [2, 0, 0, 0],  # US
            [4, 1, 0, 0],  # PL
            [0, 1, 0, 6],  # DE
        ],
        dtype=float,
    )
    countries = ["US", "US", "PL", "DE"]
    artist_ids = np.array([100, 101, 102, 103])
    plays = country_play_table(sp.csr_matrix(dense), countries, artist_ids)
    assert plays[["artist_id", "country", "plays"]].values.tolist() == [
        [100, "PL", 4],
        [100, "US", 5],
        [101, "DE", 1],
        [101, "PL", 1],
        [101, "US", 1],
        [103, "DE", 6],
    ]
    est = estimate(plays, artist_ids, "argmax")
    assert est["artist_id"].tolist() == [100, 101, 102, 103]
    # 100: US 5 beats PL 4; 101: three-way tie -> alphabetical DE; 102: no listens -> NULL
    assert est["country"].tolist()[:2] == ["US", "DE"]
    assert pd.isna(est["country"].iat[2]) and est["country"].iat[3] == "DE"
    assert est["share_1"].tolist()[:2] == [5 / 9, 1 / 3]


def test_melt_gives_log2_ratings_of_non_zeros_sorted():
    dense = np.array([[0, 4, 1], [16, 0, 0]], dtype=float)
    t = melt(sp.csr_matrix(dense), np.array([9, 2]), np.array([30, 10, 20]))
    assert t[["user_id", "artist_id", "playcount"]].values.tolist() == [[2, 30, 16], [9, 10, 4], [9, 20, 1]]
    assert t["rating"].tolist() == [4.0, 2.0, 0.0]
    assert t.dtypes.to_dict() == {"user_id": np.int64, "artist_id": np.int64, "playcount": np.int64, "rating": np.float64}


def test_share_tables():
    users = pd.Series(["US", "RU", "US", "DE", "RU", "US"], dtype="string")
    t1 = share_table(users, "users")
    assert t1.values.tolist() == [["US", 3, 50.0], ["RU", 2, 33.333], ["DE", 1, 16.667]]
    artists = pd.Series(["US", None, None, "PL"], dtype="string")
    t2 = share_table(artists, "artists", null_label="NULL")
    assert t2.values.tolist() == [["NULL", 2, 50.0], ["PL", 1, 25.0], ["US", 1, 25.0]]

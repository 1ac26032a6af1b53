"""Artist-country estimators, their accuracy, country similarity and list diversity (lfmrec.countries).

Expected values are worked out by hand in the comments."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lfmrec import diversity
from lfmrec.countries import accuracy, plays, similarity
from lfmrec.countries import estimate as estimators
from lfmrec.countries.codes import country_codes, encode


def table(rows):
    """A country play table from (artist_id, country, plays, listeners) tuples."""
    df = pd.DataFrame(rows, columns=["artist_id", "country", "plays", "listeners"])
    df["country"] = df["country"].astype("string")
    return df.astype({"artist_id": np.int64, "plays": np.int64, "listeners": np.int64})


# ----------------------------------------------------------------------------------------------
# the table


def test_country_play_table_sums_plays_and_counts_listeners_skipping_unknown_users():
    dense = np.array(
        [
            [5, 0, 2],  # US
            [1, 1, 1],  # unknown: skipped
            [3, 4, 0],  # US
            [0, 7, 0],  # FI
            [9, 9, 9],  # "" (empty = unknown): skipped
        ],
        dtype=float,
    )
    t = plays.country_play_table(sp.csc_matrix(dense), ["US", None, "US", "FI", ""], np.array([30, 10, 20]))
    # artist 10 (column 1): FI 7 plays / 1 listener, US 4 / 1; artist 20: US 2 / 1; artist 30: US 8 / 2
    assert t.to_dict("list") == {
        "artist_id": [10, 10, 20, 30],
        "country": ["FI", "US", "US", "US"],
        "plays": [7, 4, 2, 8],
        "listeners": [1, 1, 1, 2],
    }
    assert str(t["country"].dtype) == "string" and t["plays"].dtype == np.int64


def test_restrict_columns_reorders_by_id():
    m = sp.csr_matrix(np.array([[1, 2, 3], [4, 5, 6]], dtype=float))
    out = plays.restrict_columns(m, np.array([7, 8, 9]), np.array([9, 7]))
    assert out.toarray().tolist() == [[3, 1], [6, 4]]
    with pytest.raises(ValueError, match="not columns"):
        plays.restrict_columns(m, np.array([7, 8, 9]), np.array([5]))


@pytest.mark.parametrize("case", ["subset", "shuffled", "repeated", "empty rows"])
def test_restrict_columns_is_the_dense_column_selection(case):
    rng = np.random.default_rng(4)
    dense = rng.integers(1, 9, (30, 50)) * (rng.random((30, 50)) < 0.2)
    if case == "empty rows":
        dense[[0, 7, 29]] = 0
    ids = rng.choice(np.arange(100, 1000), 50, replace=False)
    want = {
        "subset": np.sort(rng.choice(ids, 20, replace=False)),
        "shuffled": rng.permutation(ids),
        "repeated": np.array([ids[3], ids[1], ids[3]]),
        "empty rows": np.sort(ids)[::2],
    }[case]
    out = plays.restrict_columns(sp.csr_matrix(dense), ids, want)
    assert out.has_sorted_indices and np.all(out.data != 0)
    column = {a: c for c, a in enumerate(ids)}
    np.testing.assert_array_equal(out.toarray(), dense[:, [column[a] for a in want]])


@pytest.mark.parametrize("tile_bytes", [8, 8 * 7 * 5, 8 << 20])
def test_times_dense_has_the_bits_of_scipys_product(tile_bytes, monkeypatch):
    monkeypatch.setattr(plays, "TILED_MIN_WORK", 0)  # the compiled, tiled product at any size
    rng = np.random.default_rng(5)
    m = sp.random(200, 300, density=0.1, format="csr", random_state=rng)
    m.data = rng.normal(size=m.nnz) * 10.0 ** rng.integers(-8, 8, m.nnz)  # sums that depend on their order
    x = rng.normal(size=(300, 7)) * 10.0 ** rng.integers(-8, 8, (300, 7))
    got = plays._times_dense(m, x, tile_bytes)
    assert np.array_equal(got, m @ x)  # scipy adds each row's entries in stored (column) order
    reverse = sp.csr_matrix(m[:, ::-1])
    reverse.sort_indices()  # the same sums, each row's entries added in the reverse order
    assert np.allclose(reverse @ x[::-1], got, rtol=1e-12, atol=0) and not np.array_equal(reverse @ x[::-1], got)


# ----------------------------------------------------------------------------------------------
# argmax


def test_argmax_ties_go_to_the_alphabetically_first_country():
    t = table([(1, "DE", 5, 1), (1, "AT", 5, 2), (1, "US", 2, 1), (2, "US", 1, 1)])
    est = estimators.estimate(t, np.array([2, 1, 3]), "argmax")
    assert est["artist_id"].tolist() == [2, 1, 3]
    assert est["country"].tolist()[:2] == ["US", "AT"] and pd.isna(est["country"].iloc[2])
    # AT 5 of 12 plays; US 1 of 1; nobody played artist 3
    assert est["share_1"].iloc[:2].tolist() == pytest.approx([1.0, 5 / 12])
    assert np.isnan(est["share_1"].iloc[2])
    assert est["listeners"].tolist() == [1, 4, 0]
    assert est["country_2"].isna().all() and est["country_3"].isna().all()
    assert list(est.columns) == estimators.ESTIMATE_COLUMNS


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_argmax_equals_the_papers_estimate_on_random_data(seed):
    rng = np.random.default_rng(seed)
    dense = rng.integers(0, 4, size=(60, 40)) * (rng.random((60, 40)) < 0.15)  # small counts: many ties
    matrix = sp.csr_matrix(dense.astype(float))
    user_countries = rng.choice(np.array(["US", "DE", "AT", "FI", "BR"]), size=60)
    artist_ids = np.sort(rng.choice(10_000, size=40, replace=False))
    ours = plays.country_play_table(matrix, user_countries, artist_ids)
    shuffled = rng.permutation(artist_ids)
    a = estimators.estimate(ours, shuffled, "argmax")
    # the paper's rule written out: per artist, the country whose users played it most, ties to the
    # alphabetically first; no listens -> no country
    for k, artist in enumerate(shuffled):
        col = int(np.flatnonzero(artist_ids == artist)[0])
        per_country = {}
        for row in np.flatnonzero(dense[:, col]):
            per_country[user_countries[row]] = per_country.get(user_countries[row], 0) + dense[row, col]
        if not per_country:
            assert pd.isna(a["country"].iat[k])
        else:
            best = max(per_country.values())
            assert a["country"].iat[k] == min(c for c, v in per_country.items() if v == best)
    assert (a["artist_id"].to_numpy() == shuffled).all()


# ----------------------------------------------------------------------------------------------
# lift

# Listeners: US 4+16+5+1 = 26, FI 3+1 = 4, LU 1: total 31, so g_US = 26/31, g_FI = 4/31, g_LU = 1/31.
LIFT_TABLE = [
    (1, "US", 40, 4),
    (1, "FI", 30, 3),  # a Finnish band: most plays from the US
    (2, "US", 160, 16),
    (3, "US", 50, 5),
    (3, "LU", 5, 1),  # one listener from tiny LU
    (4, "FI", 2, 1),
    (4, "US", 9, 1),  # no country with 2 listeners
]


def test_lift_picks_the_over_listening_small_country_where_argmax_picks_the_big_one():
    t = table(LIFT_TABLE)
    ids = np.array([1, 2, 3, 4, 5])
    assert estimators.estimate(t, ids, "argmax")["country"].tolist()[:4] == ["US", "US", "US", "US"]
    # artist 1: T = 7, E_US = 7*26/31 = 182/31 = 5.87, E_FI = 7*4/31 = 28/31 = 0.90.
    # plain lift: US 4/5.87 = 0.68, FI 3/0.90 = 3.32 -> FI.
    plain = estimators.estimate(t, ids, "lift", min_support=2, shrinkage=0)
    assert plain["country"].iloc[0] == "FI"
    # shrunk (a = 10): US (4+10)/(182/31+10) = 434/492 = 0.88, FI (3+10)/(28/31+10) = 403/338 = 1.19 -> FI
    shrunk = estimators.estimate(t, ids, "lift")  # defaults: listeners, min_support 2, shrinkage 10
    assert shrunk["country"].iloc[0] == "FI"
    assert shrunk["share_1"].iloc[0] == pytest.approx(3 / 7)  # FI's share of the 7 listeners
    assert not shrunk["fallback"].iloc[0]
    assert shrunk["country"].iloc[1] == "US" and shrunk["share_1"].iloc[1] == pytest.approx(1.0)
    # nobody listened to artist 5
    assert pd.isna(shrunk["country"].iloc[4]) and not shrunk["fallback"].iloc[4]


def test_lift_support_threshold_excludes_a_single_listener_country():
    t = table(LIFT_TABLE)
    ids = np.array([3])
    # artist 3: T = 6, E_US = 6*26/31 = 5.03, E_LU = 6/31 = 0.19; plain lift US 5/5.03 = 0.99,
    # LU 1/0.19 = 5.17: without support LU wins, with min_support 2 LU is not eligible -> US
    assert estimators.estimate(t, ids, "lift", min_support=1, shrinkage=0)["country"].tolist() == ["LU"]
    # even shrunk LU wins without support: US 15/15.03 = 0.998, LU 11/10.19 = 1.08
    assert estimators.estimate(t, ids, "lift", min_support=1, shrinkage=10)["country"].tolist() == ["LU"]
    est = estimators.estimate(t, ids, "lift", min_support=2, shrinkage=0)
    assert est["country"].tolist() == ["US"] and est["share_1"].tolist() == pytest.approx([5 / 6])


def test_lift_falls_back_to_argmax_without_support():
    t = table(LIFT_TABLE)
    est = estimators.estimate(t, np.array([4, 1]), "lift")
    # artist 4: FI 1 listener, US 1 listener: none has 2 -> argmax by plays (US 9 > FI 2)
    assert est["country"].tolist() == ["US", "FI"]
    assert est["fallback"].tolist() == [True, False]
    assert est["share_1"].iloc[0] == pytest.approx(0.5)  # US: 1 of the 2 listeners


def test_lift_on_plays_and_argument_checks():
    t = table(LIFT_TABLE)
    # plays: US 40+160+50+9 = 259, FI 32, LU 5 (296). Artist 1: T = 70, E_US = 70*259/296 = 61.25,
    # E_FI = 70*32/296 = 7.57; plain lift US 40/61.25 = 0.65, FI 30/7.57 = 3.96 -> FI
    est = estimators.estimate(t, np.array([1]), "lift", basis="plays", shrinkage=0)
    assert est["country"].tolist() == ["FI"] and est["share_1"].tolist() == pytest.approx([30 / 70])
    with pytest.raises(ValueError, match="basis"):
        estimators.estimate(t, np.array([1]), "lift", basis="users")
    with pytest.raises(ValueError, match="min_support"):
        estimators.estimate(t, np.array([1]), "lift", min_support=0)
    with pytest.raises(ValueError, match="unknown method"):
        estimators.estimate(t, np.array([1]), "vote")


# ----------------------------------------------------------------------------------------------
# mixture and top3


def test_mixture_posterior_by_hand():
    # two countries, g = (0.5, 0.5), q = (0.8, 0.8), equal weights; an artist with 2 listeners
    # from A and 1 from B: log P(A) - log P(B) = [2 log(0.8/0.5) + log(0.2/0.5)]
    # - [log(0.8/0.5) + 2 log(0.2/0.5)] = log(1.6 / 0.4) = log 4 -> P(A) = 0.8, P(B) = 0.2
    g, q = np.array([0.5, 0.5]), np.array([0.8, 0.8])
    w0 = np.log((1 - q) / (1 - g))
    d = np.log(q / g) - w0
    post, _ = estimators._posterior_block(sp.csr_matrix(np.array([[2.0, 1.0]])), np.array([3.0]), w0, d, np.log([0.5, 0.5]))
    assert post[0].tolist() == pytest.approx([0.8, 0.2])


def test_top3_soft_labels_are_ordered_and_sum_to_at_most_one():
    t = table(
        [
            (1, "US", 30, 9),
            (1, "FI", 10, 3),
            (1, "SE", 3, 1),
            (2, "US", 40, 10),
            (3, "FI", 20, 6),
            (4, "SE", 9, 4),
            (5, "SE", 2, 1),
            (5, "FI", 2, 1),
            (6, "US", 5, 2),
            (6, "SE", 5, 1),
        ]
    )
    ids = np.array([1, 2, 3, 4, 5, 6, 7])
    top = estimators.estimate(t, ids, "top3")
    mix = estimators.estimate(t, ids, "mixture")
    played = top["country"].notna().to_numpy()
    assert played.tolist() == [True] * 6 + [False]
    assert (top["country"][played] == mix["country"][played]).all()  # top-1 = MAP
    assert np.allclose(top["share_1"][played], mix["share_1"][played])
    assert mix["country_2"].isna().all()
    s = top.loc[played, ["share_1", "share_2", "share_3"]].to_numpy()
    assert (np.diff(s, axis=1) <= 1e-12).all() and (s.sum(1) <= 1 + 1e-9).all() and (s > 0).all()
    # three distinct countries per artist
    c = top.loc[played, ["country", "country_2", "country_3"]].astype(str).to_numpy()
    assert all(len(set(r)) == 3 for r in c)
    # single-country artists get their listeners' country first
    assert top["country"].tolist()[1:4] == ["US", "FI", "SE"]


def test_top3_with_two_countries_leaves_the_third_empty_and_ties_go_alphabetical():
    # symmetric countries (same listener totals): an artist with one listener from each is a tie
    t = table([(1, "BB", 1, 1), (1, "AA", 1, 1), (2, "AA", 3, 3), (3, "BB", 3, 3)])
    top = estimators.estimate(t, np.array([1, 2, 3]), "top3")
    assert top["country"].tolist() == ["AA", "AA", "BB"]
    assert top["country_2"].tolist() == ["BB", "BB", "AA"]
    assert top["country_3"].isna().all() and top["share_3"].isna().all()
    assert top["share_1"].iloc[0] == pytest.approx(0.5) and top["share_2"].iloc[0] == pytest.approx(0.5)


def test_mixture_beats_argmax_on_planted_homes():
    # 3 user countries (200, 60, 20 users); 150 artists, home uniform; each user listens to 4
    # artists of their home country and 4 of all artists (popularity-weighted)
    rng = np.random.default_rng(7)
    names = np.array(["BIG", "MID", "SML"])
    user_c = np.repeat([0, 1, 2], [200, 60, 20])
    home = rng.integers(0, 3, size=150)
    pop = rng.pareto(1.5, size=150) + 0.1
    rows, cols = [], []
    for u, c in enumerate(user_c):
        own = np.flatnonzero(home == c)
        picks = np.concatenate([rng.choice(own, 4, p=pop[own] / pop[own].sum()), rng.choice(150, 4, p=pop / pop.sum())])
        rows += [u] * picks.size
        cols += picks.tolist()
    m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(user_c.size, 150))
    m.data = np.ones_like(m.data)
    ids = np.arange(150) + 1000
    t = plays.country_play_table(m, names[user_c], ids)
    truth = pd.DataFrame({"artist_id": ids, "home_country": names[home]})
    est = {(meth, "s"): estimators.estimate(t, ids, meth) for meth in ("argmax", "lift", "mixture", "top3")}
    every = estimators.estimate_every_method(t, ids)  # one argmax and one mixture fit shared
    for meth, frame in every.items():
        pd.testing.assert_frame_equal(frame, est[(meth, "s")], check_exact=True)
    acc = accuracy.estimation_accuracy(est, truth).query("scope == 'all'").set_index("estimator")
    assert acc.loc["mixture", "accuracy"] > acc.loc["argmax", "accuracy"] + 0.1
    assert acc.loc["top3", "accuracy_top3"] == 1.0  # only three countries


# ----------------------------------------------------------------------------------------------
# accuracy table


def estimate_frame(ids, c1, c2=None, c3=None):
    n = len(ids)
    s = lambda v: pd.array(v if v is not None else [None] * n, dtype="string")  # noqa: E731
    return pd.DataFrame({"artist_id": np.array(ids, np.int64), "country": s(c1), "country_2": s(c2), "country_3": s(c3)})


def test_estimation_accuracy_by_hand():
    truth = pd.DataFrame({"artist_id": [1, 2, 3, 4, 5, 6, 7], "home_country": ["US", "US", "US", "FI", "FI", "SE", None]})
    est = {
        # sample: labels artists 1-5 and 7; 7 has no planted home -> evaluated = {1, ..., 5}
        ("argmax", "sample"): estimate_frame([1, 2, 3, 4, 5, 6, 7], ["US", "US", "FI", "US", "FI", None, "SE"]),
        ("top3", "all"): estimate_frame(
            [1, 2, 3, 4, 5, 6, 7],
            ["US", "FI", "US", "FI", "US", "SE", "SE"],
            ["FI", "US", "FI", "US", "SE", None, None],
            ["SE", None, None, None, None, None, None],
        ),
    }
    acc = accuracy.estimation_accuracy(est, truth, n_countries=1).set_index(["estimator", "scope"])
    # scopes: all + the largest home country among the evaluated (US: 3 of 5)
    assert sorted(acc.index.get_level_values("scope").unique()) == ["US", "all"]
    a = acc.loc[("argmax", "all")]
    # argmax: right on 1, 2, 5 -> 3/5; labelled 5 of the 6 artists with a home (6 missing)
    assert (a["artists"], a["estimated"]) == (5, 5)
    assert a["coverage"] == pytest.approx(5 / 6)
    assert a["accuracy"] == pytest.approx(3 / 5) and a["accuracy_top3"] == pytest.approx(3 / 5)
    t = acc.loc[("top3", "all")]
    # top3 top-1: right on 1, 3, 4 -> 3/5; within top three: 1, 2, 3, 4 -> 4/5 (5: FI not in US, SE)
    assert (t["artists"], t["estimated"]) == (5, 6)
    assert t["coverage"] == 1.0
    assert t["accuracy"] == pytest.approx(3 / 5) and t["accuracy_top3"] == pytest.approx(4 / 5)
    # over all 6 labelled artists with a home: 1, 3, 4, 6 right -> 4/6
    assert t["accuracy_estimated"] == pytest.approx(4 / 6)
    us = acc.loc[("top3", "US")]
    # US artists 1, 2, 3: top-1 right on 1, 3; top three on all
    assert us["artists"] == 3 and us["accuracy"] == pytest.approx(2 / 3) and us["accuracy_top3"] == 1.0
    # an explicit evaluated set: missing estimates count as wrong
    acc2 = accuracy.estimation_accuracy(est, truth, evaluated=[1, 6]).set_index(["estimator", "scope"])
    assert acc2.loc[("argmax", "all"), "accuracy"] == pytest.approx(1 / 2)
    assert list(accuracy.estimation_accuracy(est, truth).columns[:8]) == [
        "estimator",
        "source",
        "scope",
        "artists",
        "estimated",
        "coverage",
        "accuracy",
        "accuracy_top3",
    ]


# ----------------------------------------------------------------------------------------------
# similarity


def test_country_similarity_cosine_by_hand():
    # plays per artist (1, 2): US (3, 4), UK (4, 3), FI (0, 5); all norms are 5
    t = table([(1, "US", 3, 1), (2, "US", 4, 1), (1, "UK", 4, 1), (2, "UK", 3, 1), (2, "FI", 5, 1)])
    sim = similarity.country_similarity(t, "plays")
    assert sim.index.tolist() == sim.columns.tolist() == ["FI", "UK", "US"]
    # US.UK = 12 + 12 = 24 -> 0.96; US.FI = 20 -> 0.8; UK.FI = 15 -> 0.6
    expected = np.array([[1.0, 0.6, 0.8], [0.6, 1.0, 0.96], [0.8, 0.96, 1.0]])
    assert np.allclose(sim.to_numpy(), expected)
    # by default the listener profiles: (1, 1), (1, 1), (0, 1): US.UK 1, US.FI = UK.FI = 1 / sqrt(2)
    default = similarity.country_similarity(t)
    r = 1 / np.sqrt(2)
    assert np.allclose(default.to_numpy(), [[1.0, r, r], [r, 1.0, 1.0], [r, 1.0, 1.0]])


# ----------------------------------------------------------------------------------------------
# imputation


def test_impute_user_countries_from_listening():
    dense = np.array(
        [
            [1, 1, 0, 0],  # US
            [2, 1, 0, 0],  # US
            [0, 0, 1, 3],  # FI
            [0, 0, 4, 1],  # FI
            [0, 0, 1, 1],  # ?  listens like the Finns
            [5, 1, 0, 0],  # ?  listens like the Americans
        ],
        dtype=float,
    )
    imp = plays.impute_user_countries(sp.csr_matrix(dense), ["US", "US", "FI", "FI", None, None])
    assert list(imp.countries) == ["US", "US", "FI", "FI", "FI", "US"]
    assert imp.imputed.tolist() == [False] * 4 + [True] * 2
    assert (imp.confidence[:4] == 1).all() and (imp.confidence[4:] > 0.9).all()
    assert imp.smoothing in plays.IMPUTE_GRID and set(imp.loo_accuracy) == set(plays.IMPUTE_GRID)
    assert all(v == 1.0 for v in imp.loo_accuracy.values())  # each declared user is recognised without itself


def test_impute_leave_one_out_accuracy_equals_refitting_without_each_user():
    rng = np.random.default_rng(3)
    n_u, n_a = 40, 25
    labels = rng.choice(np.array(["AA", "BB", "CC"]), size=n_u)
    prefer = {"AA": np.arange(0, 10), "BB": np.arange(8, 18), "CC": np.arange(15, 25)}
    dense = np.zeros((n_u, n_a))
    for u, c in enumerate(labels):
        dense[u, rng.choice(prefer[c], 3, replace=False)] = 1
        dense[u, rng.choice(n_a, 2, replace=False)] = 1
    s = 0.1
    imp = plays.impute_user_countries(sp.csr_matrix(dense), labels, smoothing=s)
    # brute force: refit without user u, predict u
    right = 0
    for u in range(n_u):
        keep = np.arange(n_u) != u
        cs = np.array(["AA", "BB", "CC"])
        L = np.array([dense[keep & (labels == c)].astype(bool).sum(0) for c in cs], dtype=float)
        n_c = np.array([(keep & (labels == c)).sum() for c in cs], dtype=float)
        with np.errstate(divide="ignore"):
            score = np.log(n_c / n_c.sum()) + (dense[u] > 0) @ (np.log(L + s) - np.log(L.sum(1, keepdims=True) + s * n_a)).T
        right += cs[score.argmax()] == labels[u]
    assert imp.loo_accuracy[s] == pytest.approx(right / n_u)


def test_country_codes_and_encode_as_a_loop_over_the_values():
    values = np.array(["US", None, "DE", pd.NA, "", "US", np.nan, "FI", 5, "5", "DE"], dtype=object)
    want_codes = {c: i for i, c in enumerate(sorted({str(v) for v in values if not pd.isna(v)}))}
    codes = country_codes(values, pd.array(["SE", None], dtype="string"))
    assert codes == {c: i for i, c in enumerate(sorted({*want_codes, "SE"}))}
    for given in (values, pd.array(["US", None, "XX"], dtype="string"), pd.Index(["DE", "SE"]), np.array([], dtype=object)):
        want = [-1 if pd.isna(v) else codes.get(str(v), -1) for v in given]
        got = encode(given, codes)
        assert got.dtype == np.int64 and got.tolist() == want


def _history_share_by_hand(history, user_country, artists):
    """The same-country share of each user's distinct artists, as a loop over dicts."""
    country = {}
    for a, c in zip(artists["artist_id"], artists["country"], strict=True):
        country.setdefault(a, c)
    ucountry = {}
    for u, c in user_country.items():
        ucountry.setdefault(u, c)
    played = {}
    for u, a in zip(history["user_id"], history["artist_id"], strict=True):
        played.setdefault(u, set()).add(a)

    def same(u, a):
        c, d = country.get(a), ucountry.get(u)
        return not pd.isna(c) and not pd.isna(d) and str(c) == str(d)

    return {u: sum(same(u, a) for a in arts) / len(arts) for u, arts in played.items()}


@pytest.mark.parametrize("order", ["sorted", "shuffled"])
def test_history_same_share_against_a_loop_over_the_pairs(order):
    rng = np.random.default_rng(3)
    n = 4000
    history = pd.DataFrame({"user_id": rng.integers(0, 60, n) * 7, "artist_id": rng.integers(0, 300, n)})
    history = history.sort_values(["user_id", "artist_id"]) if order == "sorted" else history  # duplicates kept
    pool = np.array(["US", "DE", "FI", "", None], dtype=object)
    artists = pd.DataFrame(
        {
            "artist_id": np.r_[np.arange(0, 280), [5, 6]],  # 280..299 unknown; 5, 6 twice
            "country": pool[rng.integers(0, 5, 282)],
        }
    )
    users = np.arange(0, 60 * 7, 7)[rng.permutation(60)][:55]  # five users without a country entry
    user_country = pd.Series(pool[rng.integers(0, 5, 55)], index=users)
    got = diversity.history_same_share(history, user_country, artists)
    want = _history_share_by_hand(history, user_country, artists)
    assert list(got.index) == sorted(want) and got.index.name == "user_id"
    assert got.to_dict() == want
    # string ids take the general path: the same shares
    as_str = history.assign(artist_id=history["artist_id"].map("a{}".format))
    got_str = diversity.history_same_share(as_str, user_country, artists.assign(artist_id=artists["artist_id"].map("a{}".format)))
    assert got_str.to_dict() == want


def test_listeners_is_value_counts_in_id_order():
    history = pd.DataFrame({"artist_id": [9, 3, 3, 12, 9, 9, 0]})
    got = diversity.listeners(history)
    assert got.to_dict() == {0: 1, 3: 2, 9: 3, 12: 1} and list(got.index) == [0, 3, 9, 12]
    assert got.sort_index().equals(history["artist_id"].value_counts().sort_index().rename_axis("artist_id"))


def test_a_folds_play_table_and_labels_are_its_training_pairs_alone():
    """lfmrec.countries.folds: the whole table minus the fold's test pairs equals the table built
    from the training pairs alone, and so do the estimates and the similarity made from it."""
    from lfmrec.countries.estimate import estimate
    from lfmrec.countries.folds import fold_countries, training_table, without_pairs
    from lfmrec.countries.plays import country_play_table
    from lfmrec.countries.similarity import country_similarity

    rng = np.random.default_rng(4)
    users = pd.DataFrame(
        {"user_id": np.arange(100, 160), "country": pd.array(rng.choice(["US", "DE", "FI", "BR"], 60), dtype="string")}
    )
    artist_ids = np.arange(1, 81) * 5
    pairs = pd.DataFrame(
        {"user_id": rng.choice(users["user_id"], 700), "artist_id": rng.choice(artist_ids, 700)}
    ).drop_duplicates()
    pairs["playcount"] = rng.integers(1, 60, len(pairs))
    test = pairs.sample(frac=0.25, random_state=1)
    train = pairs.drop(test.index)
    whole = training_table(pairs, users, artist_ids)
    ref = training_table(train, users, artist_ids)
    pd.testing.assert_frame_equal(without_pairs(whole, test, users.set_index("user_id")["country"]), ref, check_exact=True)
    for method in ("argmax", "lift", "mixture"):
        artists, sim = fold_countries(whole, test, users, artist_ids, method)
        pd.testing.assert_frame_equal(artists, estimate(ref, artist_ids, method))
        pd.testing.assert_frame_equal(sim, country_similarity(ref).reset_index())
    # the table of the sample matrix (what rule country_plays writes) is the whole-pairs table
    import scipy.sparse as sp

    r = pd.Index(users["user_id"]).get_indexer(pairs["user_id"])
    c = pd.Index(artist_ids).get_indexer(pairs["artist_id"])
    m = sp.csr_matrix((pairs["playcount"].to_numpy(float), (r, c)), shape=(60, 80))
    pd.testing.assert_frame_equal(country_play_table(m, users["country"].to_numpy(), artist_ids), whole)
    # a test pair the table never counted is an error, not a silent negative count
    with pytest.raises(ValueError, match="not in the play table"):
        without_pairs(ref, test, users.set_index("user_id")["country"])

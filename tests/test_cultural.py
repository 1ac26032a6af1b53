"""Cultural measures (lfmrec.cultural) worked out by hand, and the candidate-support knob
(recommend.min_listeners) in the phase-2 lists and in the held-out ranking."""

from math import log2

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

from lfmrec import cultural
from lfmrec.countries.codes import country_setup
from lfmrec.heldout import evaluate_fold
from lfmrec.recommend import recommend_all
from lfmrec.scoring import ScoringParams

# ---------------------------------------------------------------------------------------------
# cultural measures

# artists: 1 US, 2 DE, 3 DE, 4 FR, 5 no country (unknown), 6 US, 7 BR; 8 is missing from the table
ARTISTS = pd.Series(pd.array(["US", "DE", "DE", "FR", None, "US", "BR"], dtype="string"), index=range(1, 8))
USERS = pd.DataFrame({"user_id": [101, 102, 103, 104], "country": ["DE", "US", "FR", "SE"]})
# 101 (DE) played 1 2 3 4 (2 twice: counted once); 102 (US) 1 6 5; 103 nothing; 104 (SE) 4
HISTORY = pd.DataFrame({"user_id": [101, 101, 101, 101, 101, 102, 102, 102, 104], "artist_id": [1, 2, 2, 3, 4, 1, 6, 5, 4]})
INITIAL = pd.DataFrame({"user_id": [101, 101, 101, 102, 102, 103, 104], "artist_id": [2, 5, 6, 4, 7, 1, 7]})
FINAL = pd.DataFrame(
    {
        "user_id": [101, 101, 101, 102, 102, 103],  # 104: no candidate left, empty list
        "artist_id": [5, 6, 7, 4, 8, 1],
    }
)


def js_by_hand_101_initial() -> float:
    # history of 101: US 1/4, DE 2/4, FR 1/4; initial list: DE 1/3, unknown 1/3, US 1/3
    # M: US (1/4 + 1/3) / 2 = 7/24, DE (1/2 + 1/3) / 2 = 5/12, FR 1/8, unknown 1/6
    kl_p = 1 / 4 * log2((1 / 4) / (7 / 24)) + 1 / 2 * log2((1 / 2) / (5 / 12)) + 1 / 4 * log2((1 / 4) / (1 / 8))
    kl_q = 1 / 3 * log2((1 / 3) / (7 / 24)) + 1 / 3 * log2((1 / 3) / (5 / 12)) + 1 / 3 * log2((1 / 3) / (1 / 6))
    return (kl_p + kl_q) / 2


def test_user_measures_by_hand():
    h = cultural.History.make(USERS, HISTORY, ARTISTS)
    assert h.labelling.countries == ["BR", "DE", "FR", "SE", "US", "unknown"]
    t = cultural.user_measures(h, {"initial": INITIAL, "final": FINAL}).set_index("user_id")
    assert t.index.tolist() == [101, 102, 104]  # 103 has no history
    assert t["history_artists"].tolist() == [4, 3, 1]

    u = t.loc[101]  # DE user
    assert u["us_share_history"] == 1 / 4 and u["local_share_history"] == 2 / 4
    assert u["us_share_initial"] == pytest.approx(1 / 3) and u["local_share_initial"] == pytest.approx(1 / 3)
    # final 5 (unknown), 6 (US), 7 (BR): the unknown artist counts in the denominator only
    assert u["us_share_final"] == pytest.approx(1 / 3) and u["local_share_final"] == 0
    assert u["local_bias_initial"] == pytest.approx(1 / 3 - 1 / 2)
    assert u["local_bias_final"] == pytest.approx(-1 / 2)
    assert u["js_initial"] == pytest.approx(js_by_hand_101_initial(), abs=1e-15)
    # final: M = US (1/4 + 1/3) / 2, DE 1/4, FR 1/8, BR 1/6, unknown 1/6
    kl_p = 1 / 4 * log2((1 / 4) / (7 / 24)) + 1 / 2 * log2((1 / 2) / (1 / 4)) + 1 / 4 * log2((1 / 4) / (1 / 8))
    kl_q = 1 / 3 * log2((1 / 3) / (7 / 24)) + 2 / 3 * log2((1 / 3) / (1 / 6))
    assert u["js_final"] == pytest.approx((kl_p + kl_q) / 2, abs=1e-15)

    u = t.loc[102]  # US user: US share = local share; unknown artist 5 is neither
    assert u["us_share_history"] == u["local_share_history"] == pytest.approx(2 / 3)
    assert u["us_share_initial"] == u["local_share_initial"] == 0
    assert u["js_initial"] == 1.0  # history US + unknown, list FR + BR: nothing in common
    # final 4 (FR) and 8 (not in the labelling: unknown) -- shares an "unknown" with the history
    m = {"US": 1 / 3, "unknown": (1 / 3 + 1 / 2) / 2, "FR": 1 / 4}
    kl_p = 2 / 3 * log2((2 / 3) / m["US"]) + 1 / 3 * log2((1 / 3) / m["unknown"])
    kl_q = 1 / 2 * log2((1 / 2) / m["FR"]) + 1 / 2 * log2((1 / 2) / m["unknown"])
    assert u["js_final"] == pytest.approx((kl_p + kl_q) / 2, abs=1e-15)

    u = t.loc[104]  # SE user with an empty final list: its final measures are undefined
    assert u["local_share_history"] == 0 and u["js_initial"] == 1.0
    assert np.isnan(u[["us_share_final", "local_share_final", "local_bias_final", "js_final"]].to_numpy(float)).all()


def test_js_is_the_square_of_scipys_distance():
    # columns US, DE, FR, -, -, unknown; row 0 = user 101 history vs initial list
    p = np.array([[1, 2, 1, 0, 0, 0], [0, 0, 0, 0, 2, 1], [3, 0, 0, 1, 0, 0]], float)
    q = np.array([[1, 1, 0, 0, 0, 1], [1, 1, 0, 0, 0, 0], [3, 0, 0, 1, 0, 0]], float)
    js = cultural.js_divergence(p, q)
    assert js[0] == pytest.approx(js_by_hand_101_initial(), abs=1e-15)  # the same distributions, reordered
    assert js[1] == 1.0 and js[2] == 0.0
    for a, b, mine in zip(p, q, js, strict=True):
        assert mine == pytest.approx(jensenshannon(a, b, base=2) ** 2, abs=1e-12)
    assert np.isnan(cultural.js_divergence(np.zeros((1, 3)), np.ones((1, 3))))[0]
    # random rows: dense histories against lists of a few countries (the sums run over q's non-zeros)
    rng = np.random.default_rng(5)
    p = rng.integers(0, 4, (300, 12)).astype(float) * (rng.random((300, 12)) < 0.6)
    q = rng.integers(1, 4, (300, 12)).astype(float) * (rng.random((300, 12)) < 0.2)
    p[:3], q[3:5] = 0.0, 0.0  # empty histories, empty lists
    js = cultural.js_divergence(p, q)
    empty = (p.sum(axis=1) == 0) | (q.sum(axis=1) == 0)
    assert np.isnan(js[empty]).all() and empty.sum() >= 5
    ref = np.array([jensenshannon(a, b, base=2) ** 2 for a, b in zip(p[~empty], q[~empty], strict=True)])
    np.testing.assert_allclose(js[~empty], ref, rtol=0, atol=1e-13)


def test_country_table_means_per_user_country_and_all():
    table = cultural.cultural_table(USERS, HISTORY, {"estimated": ARTISTS}, {"m": {"initial": INITIAL, "final": FINAL}})
    assert table.columns.tolist() == [
        "model",
        "countries",
        "user_country",
        "users",
        "us_share_history",
        "us_share_initial",
        "us_share_final",
        "local_share_history",
        "local_share_initial",
        "local_share_final",
        "local_bias_initial",
        "local_bias_final",
        "js_initial",
        "js_final",
    ]
    # all first, then countries by users (one each: by code)
    assert table["user_country"].tolist() == ["all", "DE", "SE", "US"]
    row = table.set_index("user_country").loc["all"]
    assert row["users"] == 3
    assert row["us_share_history"] == pytest.approx((1 / 4 + 2 / 3 + 0) / 3)
    assert row["us_share_final"] == pytest.approx((1 / 3 + 0) / 2)  # 104's empty list is left out
    assert row["local_bias_final"] == pytest.approx((-1 / 2 - 2 / 3) / 2)
    assert row["js_initial"] == pytest.approx((js_by_hand_101_initial() + 1 + 1) / 3)
    assert table.set_index("user_country").loc["DE", "local_share_history"] == 0.5


def test_truth_labelling_changes_the_local_shares():
    truth = ARTISTS.copy()
    truth[2] = "AT"  # artist 2 is Austrian in truth, estimated German
    table = cultural.cultural_table(
        USERS, HISTORY, {"estimated": ARTISTS, "truth": truth}, {"m": {"initial": INITIAL, "final": FINAL}}
    )
    de = table[table["user_country"] == "DE"].set_index("countries")
    assert de.loc["estimated", "local_share_history"] == 0.5 and de.loc["truth", "local_share_history"] == 0.25
    assert de.loc["estimated", "local_share_initial"] == pytest.approx(1 / 3) and de.loc["truth", "local_share_initial"] == 0


# plays of the history's pairs: 101: 1 x3, 2 x1 and x1 (its pair twice), 3 x5, 4 x2; 102: 1, 6, 5 x2; 104: 4 x4
PLAYS = HISTORY.assign(playcount=[3, 1, 1, 5, 2, 1, 1, 2, 4])


def variants_by_hand():
    groups = {"all": np.array([101, 102, 103, 104]), "US": np.array([102])}
    t = cultural.variants_table(USERS, PLAYS, {"estimated": ARTISTS}, {"m": {"initial": INITIAL, "final": FINAL}}, groups)
    return t.set_index(["unit", "aggregation", "unknown", "user_country"])


def test_variants_pooled_and_user_mean_by_hand():
    t = variants_by_hand()
    assert len(t) == 2 * 2 * 2 * 2 and (t["model"] == "m").all() and (t["countries"] == "estimated").all()
    row = t.loc[("distinct", "user_mean", "category", "all")]
    assert row["users"] == 3  # 103 has no history
    assert row["us_share_history"] == pytest.approx((1 / 4 + 2 / 3 + 0) / 3)  # as cultural.csv
    assert row["labelled_share_history"] == pytest.approx((1 + 2 / 3 + 1) / 3)  # 102's artist 5 is unknown
    pooled = t.loc[("distinct", "pooled", "category", "all")]
    # summed history: US 1 + 2, DE 2, FR 1 + 1, unknown 1 = 8; local: 101's DE 2, 102's US 2, 104's SE 0
    assert pooled["us_share_history"] == pytest.approx(3 / 8) and pooled["local_share_history"] == pytest.approx(4 / 8)
    # summed final lists: 101 -> US, BR, unknown; 102 -> FR, unknown (8 is not in the labelling): US 1 of 5
    assert pooled["us_share_final"] == pytest.approx(1 / 5) and pooled["local_bias_final"] == pytest.approx(-4 / 8)
    hist = np.array([[0, 2, 2, 0, 3, 1]], float)  # BR DE FR SE US unknown
    final = np.array([[1, 0, 1, 0, 1, 2]], float)
    assert pooled["js_final"] == pytest.approx(cultural.js_divergence(hist, final)[0])


def test_variants_plays_and_dropped_unknown_by_hand():
    t = variants_by_hand()
    dropped = t.loc[("distinct", "pooled", "dropped", "all")]
    # without the unknown artists: history US 3, DE 2, FR 2 (7); final US 1, BR 1, FR 1 (3)
    assert dropped["us_share_history"] == pytest.approx(3 / 7) and dropped["local_share_history"] == pytest.approx(4 / 7)
    assert dropped["us_share_final"] == pytest.approx(1 / 3)
    us = t.loc[("plays", "user_mean", "category", "US")]  # user 102: US 1 + 1 plays, unknown 2
    assert us["users"] == 1 and us["us_share_history"] == pytest.approx(2 / 4) and us["labelled_share_history"] == 0.5
    assert t.loc[("plays", "user_mean", "dropped", "US"), "us_share_history"] == pytest.approx(1.0)
    de = variants_by_hand().loc[("plays", "pooled", "category", "all")]
    # plays: 101 US 3, DE 1 + 1 + 5, FR 2; 102 US 2, unknown 2; 104 FR 4 -> US 5 of 20; local: 7 + 2 + 0
    assert de["us_share_history"] == pytest.approx(5 / 20) and de["local_share_history"] == pytest.approx(9 / 20)


def test_small_countries_are_pooled_and_rows_carry_intervals():
    h = cultural.History.make(USERS, HISTORY, ARTISTS)
    per_user = cultural.user_measures(h, {"initial": INITIAL, "final": FINAL})
    t = cultural.by_country(per_user, ["initial", "final"], min_users=2, n_resamples=199, seed=0)
    assert t["user_country"].tolist() == ["all", "other (< 2 users each)"] and t["users"].tolist() == [3, 3]
    row = t.iloc[0]
    # final lists of 101 and 102 only (104's is empty): the interval of the mean of their two values
    values = per_user["local_bias_final"].dropna()
    assert (
        values.min()
        <= row["local_bias_final_ci_low"]
        <= row["local_bias_final"]
        <= row["local_bias_final_ci_high"]
        <= values.max()
    )
    assert {f"{c}_ci_{e}" for c in cultural.CI_COLUMNS for e in ("low", "high")} <= set(t.columns)
    plain = cultural.by_country(per_user, ["initial", "final"])  # the defaults: no pooling, no intervals
    assert plain["user_country"].tolist() == ["all", "DE", "SE", "US"] and not any("ci_" in c for c in plain.columns)


# ---------------------------------------------------------------------------------------------
# recommend.min_listeners

# users 1 (US), 2 (DE), 3 (DE); artists 10 DE, 20 US, 30 FR, 40 PL, 50 UK
# played: 1 -> 10 20; 2 -> 10 30 50; 3 -> 20 30 40: artists 40 and 50 have one listener each
TRIPLES = pd.DataFrame({"user_id": [1, 1, 2, 2, 2, 3, 3, 3], "artist_id": [10, 20, 10, 30, 50, 20, 30, 40]})
PHASE2_USERS = pd.DataFrame({"user_id": [1, 2, 3], "country": pd.array(["US", "DE", "DE"], dtype="string")})
PHASE2_ARTISTS = pd.DataFrame(
    {"artist_id": [10, 20, 30, 40, 50], "country": pd.array(["DE", "US", "FR", "PL", "UK"], dtype="string")}
)


def baseline_params() -> ScoringParams:
    # score = 1 + bi: 10 -> 2, 20 -> 3, 30 -> 4, 40 -> 6, 50 -> 5 (the one-listener artists on top)
    return ScoringParams(
        "baseline",
        1.0,
        (0.0, 20.0),
        {1: 0, 2: 1, 3: 2},
        {10: 0, 20: 1, 30: 2, 40: 3, 50: 4},
        bu=np.zeros(3),
        bi=np.array([1.0, 2.0, 3.0, 5.0, 4.0]),
    )


def lists_of(frame: pd.DataFrame) -> dict[int, list[int]]:
    return {u: g.sort_values("rank")["artist_id"].tolist() for u, g in frame.groupby("user_id")}


def test_min_listeners_in_the_phase_two_lists_by_hand():
    def run(**kw):
        return recommend_all(baseline_params(), PHASE2_USERS, TRIPLES, PHASE2_ARTISTS, n=2, block_users=2, initial=True, **kw)

    final, per_user, initial = run()
    # unplayed: 1 -> 30 (4), 40 (6), 50 (5); 2 -> 20 (3), 40 (6); 3 -> 10 (2, DE), 50 (5)
    assert lists_of(initial) == {1: [40, 50], 2: [40, 20], 3: [50, 10]}
    assert lists_of(final) == {1: [40, 50], 2: [40, 20], 3: [50]}
    assert per_user["deletions"].tolist() == [0, 0, 1] and per_user["foreign_candidates"].tolist() == [3, 2, 1]
    assert initial.columns.tolist() == final.columns.tolist()
    assert initial.set_index(["user_id", "artist_id"])["score"].to_dict()[(1, 40)] == 6.0
    same = run(min_listeners=1)
    for a, b in zip(same, (final, per_user, initial), strict=True):
        pd.testing.assert_frame_equal(a, b)

    final2, per_user2, initial2 = run(min_listeners=2)  # 40 and 50 are no one's candidates
    assert lists_of(initial2) == {1: [30], 2: [20], 3: [10]}
    assert lists_of(final2) == {1: [30], 2: [20]}  # 3 (DE) is left with the German artist 10 only
    assert per_user2["deletions"].tolist() == [0, 0, 1] and per_user2["foreign_candidates"].tolist() == [1, 1, 0]
    assert per_user2["list_length"].tolist() == [1, 1, 0]
    # with every artist at 2 or more listeners, min_listeners = 2 changes nothing
    both = pd.concat(
        [TRIPLES, pd.DataFrame({"user_id": [1, 2], "artist_id": [40, 40]}), pd.DataFrame({"user_id": [1], "artist_id": [50]})],
        ignore_index=True,
    )
    for a, b in zip(
        recommend_all(baseline_params(), PHASE2_USERS, both, PHASE2_ARTISTS, n=2, initial=True),
        recommend_all(baseline_params(), PHASE2_USERS, both, PHASE2_ARTISTS, n=2, initial=True, min_listeners=2),
        strict=True,
    ):
        pd.testing.assert_frame_equal(a, b)


def test_min_listeners_in_the_heldout_ranking_by_hand():
    # training listeners: 10 -> 2, 20 -> 3, 30 -> 1, 40 -> 0, 50 -> 2; every user scores alike
    train = pd.DataFrame({"user_id": [1, 1, 1, 2, 2, 2, 2, 3], "artist_id": [10, 20, 50, 10, 20, 30, 50, 20]})
    test = pd.DataFrame({"user_id": [1, 2, 3], "artist_id": [30, 40, 50]})
    users = pd.DataFrame({"user_id": [1, 2, 3], "country": pd.array(["SE", "SE", "SE"], dtype="string")})
    artists = pd.DataFrame({"artist_id": [10, 20, 30, 40, 50], "country": pd.array(["US"] * 5, dtype="string")})
    items = np.array([10, 20, 30, 40, 50])
    row = np.array([1.0, 2.0, 5.0, 4.0, 3.0])

    def metrics(min_listeners):
        blocks = iter([(0, np.tile(row, (3, 1)))])
        t = evaluate_fold(
            blocks, users, np.arange(3), items, train, test, country_setup(users, items, artists), 2, {}, 100, min_listeners
        )
        return t.set_index("method").loc["none"]

    # 1: 40 has no training listener, so it is no one's candidate (the held-out protocol) but its test
    # pair still counts: user 1 -> [30] hits at rank 1; user 2 -> [] misses 40; user 3 -> [30, 50]
    # hits 50 at rank 2 (DCG 1 / log2(3), the ideal 1)
    m = metrics(1)
    assert m["users"] == 3
    assert m["ndcg"] == pytest.approx((1 + 0 + 1 / np.log2(3)) / 3) and m["hit"] == pytest.approx(2 / 3)
    assert m["precision"] == pytest.approx((1 / 2 + 0 + 1 / 2) / 3) and m["recall"] == pytest.approx(2 / 3)
    # 2: 30 (one listener) and 40 (none) are no candidates: user 1 -> [], user 2 -> [], user 3 -> [50, 10]
    m = metrics(2)
    assert m["users"] == 3  # users are evaluated the same; their unlistable test artists count as misses
    assert m["ndcg"] == pytest.approx(1 / 3) and m["hit"] == pytest.approx(1 / 3)
    assert m["precision"] == pytest.approx(1 / 2 / 3) and m["recall"] == pytest.approx(1 / 3)


def test_history_sample_draws_n_distinct_artists_of_each_users_history():
    from lfmrec.cultural import history_sample

    history = pd.DataFrame({"user_id": [1, 1, 1, 1, 2, 3, 3, 3], "artist_id": [10, 11, 12, 12, 20, 30, 31, 32]})
    s = history_sample(history, 2, seed=0)
    assert s.groupby("user_id").size().to_dict() == {1: 2, 2: 1, 3: 2}  # a user with fewer: all of them
    assert not s.duplicated().any() and s.merge(history.drop_duplicates()).shape[0] == len(s)
    pd.testing.assert_frame_equal(s, history_sample(history, 2, seed=0))  # seeded
    assert any(not history_sample(history, 2, seed=k).equals(s) for k in range(1, 6))
    keep = history["artist_id"].isin([11, 20, 31, 32]).to_numpy()
    k = history_sample(history, 5, seed=0, keep=keep)
    assert sorted(map(tuple, k.values.tolist())) == [(1, 11), (2, 20), (3, 31), (3, 32)]
    # n at least the history: the sample is the history, whose divergence from itself is 0
    from lfmrec.cultural import History, user_measures

    users = pd.DataFrame({"user_id": [1, 2, 3], "country": ["US", "DE", "US"]})
    h = History.make(users, history, pd.Series({10: "US", 11: "DE", 12: "US", 20: "DE", 30: "SE", 31: "US", 32: None}))
    m = user_measures(h, {"initial": history_sample(history, 10, seed=0)})
    assert np.allclose(m["js_initial"], 0.0) and np.allclose(m["local_bias_initial"], 0.0)


def test_reference_params_score_listeners_and_seeded_noise():
    from lfmrec.families.references import Reference
    from lfmrec.scoring import iter_score_blocks

    triples = pd.DataFrame({"user_id": [1, 1, 2, 3, 3, 3], "artist_id": [5, 6, 6, 5, 6, 7], "rating": 1.0})
    pop = Reference.make("popular", triples, 0)
    scores = next(iter_score_blocks(pop, [1, 2, 3, 99], [5, 6, 7, 8]))[1]
    assert scores.tolist() == [[2, 3, 1, 0]] * 3 + [[0, 0, 0, 0]]  # listeners; unknown users and artists 0
    r0, r1 = (next(iter_score_blocks(Reference.make("random", triples, s), [1, 2, 3], [5, 6, 7]))[1] for s in (0, 1))
    assert np.array_equal(r0, next(iter_score_blocks(Reference.make("random", triples, 0), [1, 2, 3], [5, 6, 7]))[1])
    assert not np.array_equal(r0, r1) and len(np.unique(r0)) == 9
    with pytest.raises(ValueError, match="unknown reference"):
        Reference.make("best", triples, 0)


def test_joint_intervals_resample_the_users_once_for_every_model():
    h = cultural.History.make(USERS, HISTORY, ARTISTS)
    a = cultural.user_measures(h, {"initial": INITIAL, "final": FINAL})
    b = a.copy()
    b["us_share_initial"] = 1.0 - b["us_share_initial"]  # another model's values, the same users
    ci = cultural.joint_intervals({"a": a, "b": b, "same": a.copy()}, 1, 199, 0, "key")
    assert set(ci) == {"a", "b", "same"}
    pd.testing.assert_frame_equal(ci["a"], ci["same"])  # the same users drawn: the same intervals
    # the same resamples for every column: b's us_share_initial interval mirrors a's (1 - x)
    row_a, row_b = ci["a"].loc["all"], ci["b"].loc["all"]
    assert row_b["us_share_initial_ci_low"] == pytest.approx(1 - row_a["us_share_initial_ci_high"])
    assert row_b["us_share_initial_ci_high"] == pytest.approx(1 - row_a["us_share_initial_ci_low"])
    # the rows of by_country, with the intervals of the users with a value (104's final list is empty)
    t = cultural.cultural_table(USERS, HISTORY, {"estimated": ARTISTS}, {"m": {"initial": INITIAL, "final": FINAL}}, 2, 199, 0)
    assert {f"{c}_ci_{e}" for c in cultural.CI_COLUMNS for e in ("low", "high")} <= set(t.columns)
    values = a["local_bias_final"].dropna()
    row = t.iloc[0]
    assert (
        values.min()
        <= row["local_bias_final_ci_low"]
        <= row["local_bias_final"]
        <= row["local_bias_final_ci_high"]
        <= values.max()
    )
    with pytest.raises(ValueError, match="same users"):
        cultural.joint_intervals({"a": a, "b": a.iloc[::-1].reset_index(drop=True)}, 1, 99, 0, "k")

"""Held-out evaluation of one fold: the users evaluated, the listers of the sweep, and the tables
aggregated over folds (results/ranking_metrics.csv, results/tradeoff.csv)."""

import numpy as np
import pandas as pd
import pytest

from lfmrec import cv, heldout, ranking
from lfmrec.countries.codes import country_setup
from lfmrec.errors import InputError


def fold_frame(method_values):
    rows = [
        {
            "method": m,
            "lambda": lam,
            "users": 3,
            "precision": p,
            "recall": p * 2,
            "ndcg": p * 3,
            "hit": p * 4,
            "foreign_share": 0.5,
            "cultural_distance": 0.25,
        }
        for m, lam, p in method_values
    ]
    return pd.DataFrame(rows)


def test_fold_and_tradeoff_tables_by_hand():
    per_fold = {
        "m": [fold_frame([("none", 0.0, 0.1), ("hard", 0.0, 0.05)]), fold_frame([("none", 0.0, 0.3), ("hard", 0.0, 0.15)])]
    }
    table = heldout.fold_table(per_fold)
    prec = table[table["metric"] == "precision@n"].iloc[0]
    assert (prec["fold_1"], prec["fold_2"]) == (0.1, 0.3)
    assert prec["mean"] == pytest.approx(0.2) and prec["std"] == pytest.approx(np.sqrt(0.02))
    assert table["metric"].tolist() == ["precision@n", "recall@n", "ndcg@n", "hit@n"]
    trade = heldout.tradeoff_table(per_fold)
    hard = trade[trade["method"] == "hard"].iloc[0]
    assert hard["precision"] == pytest.approx(0.1) and hard["ndcg"] == pytest.approx(0.3) and hard["folds"] == 2


def test_evaluated_users_subset_is_seeded_and_sorted():
    users = pd.DataFrame({"user_id": np.arange(100, 120), "country": ["US"] * 20})
    test = pd.DataFrame({"user_id": np.arange(100, 120, 2), "artist_id": 1})
    assert heldout.evaluated_users(users, test, "all", 0).tolist() == list(range(0, 20, 2))
    a = heldout.evaluated_users(users, test, 4, 7)
    assert a.tolist() == heldout.evaluated_users(users, test, 4, 7).tolist()
    assert len(a) == 4 and np.all(np.diff(a) > 0) and set(a) <= set(range(0, 20, 2))


def test_evaluate_fold_rows_match_ranking_evaluate():
    rng = np.random.default_rng(0)
    users = pd.DataFrame({"user_id": np.arange(1, 9), "country": ["US", "DE"] * 4})
    items = np.arange(10, 40)
    artists = pd.DataFrame({"artist_id": items, "country": pd.array(rng.choice(["US", "DE", "PL", None], 30), dtype="string")})
    pairs = pd.DataFrame({"user_id": rng.integers(1, 9, 120), "artist_id": rng.choice(items, 120)}).drop_duplicates()
    train, test = pairs.iloc[:80], pairs.iloc[80:]
    sim = pd.DataFrame(
        [[1, 0.5, 0.1], [0.5, 1, 0.2], [0.1, 0.2, 1]],
        index=pd.Index(["DE", "PL", "US"], name="country"),
        columns=["DE", "PL", "US"],
    )
    c = country_setup(users, items, artists, sim)
    rows = heldout.evaluated_users(users, test, "all", 0)
    scores = rng.random((len(users), len(items)))
    blocks = iter([(0, scores[rows])])
    out = heldout.evaluate_fold(blocks, users, rows, items, train, test, c, 5, {"soft": [0.0, 1.0], "calibrated": [0.5]}, 10)
    assert list(zip(out["method"], out["lambda"], strict=True)) == [
        ("none", 0.0),
        ("hard", 0.0),
        ("soft", 0.0),
        ("soft", 1.0),
        ("calibrated", 0.5),
    ]
    unknown = ~np.isin(items, train["artist_id"])  # no training pair: no one's candidate
    plain = ranking.evaluate(
        iter([(0, scores[rows])]), users["user_id"].to_numpy()[rows], items, train, test, n=5, exclude=unknown
    )
    for metric in ranking.METRICS:
        assert out.loc[0, metric] == pytest.approx(plain.loc[0, metric])
        assert out.loc[2, metric] == pytest.approx(plain.loc[0, metric])  # soft, lambda 0 = plain
    assert out.loc[1, "foreign_share"] == 1.0 and out.loc[0, "foreign_share"] < 1.0
    # DE-PL similarity 0.5 lives at the codes of DE and PL
    de, pl = (c.user_country[1], c.item_country[np.flatnonzero((artists["country"] == "PL").fillna(False).to_numpy())[0]])
    assert c.similarity[de, pl] == 0.5


def _fold_setup(seed=0, n_users=9, n_items=25, n_pairs=120, n_folds=3):
    rng = np.random.default_rng(seed)
    users = pd.DataFrame(
        {"user_id": rng.permutation(np.arange(100, 100 + n_users)), "country": ["US", "DE", "PL"] * (n_users // 3)}
    )
    items = np.sort(rng.choice(np.arange(10, 1000), n_items, replace=False))
    keys = rng.choice(n_users * n_items, n_pairs, replace=False)
    triples = pd.DataFrame(
        {"user_id": users["user_id"].to_numpy()[keys // n_items], "artist_id": items[keys % n_items], "rating": 1.0}
    ).sort_values(["user_id", "artist_id"], ignore_index=True)
    return users, items, triples, cv.assign_folds(triples, n_folds, seed)


def _dense(pairs, users, items):
    """The pair matrix by hand: a dict lookup per pair."""
    row = {u: r for r, u in enumerate(users["user_id"])}
    col = {a: c for c, a in enumerate(items)}
    out = np.zeros((len(users), len(items)), dtype=bool)
    for u, a in zip(pairs["user_id"], pairs["artist_id"], strict=True):
        out[row[u], col[a]] = True
    return out


@pytest.mark.parametrize("with_row", [True, False])
def test_fold_pairs_split_is_the_folds_pairs(with_row):
    users, items, _, folds = _fold_setup()
    given = folds if with_row else folds.drop(columns="row")
    pairs = heldout.FoldPairs(given, users["user_id"].to_numpy(), items)
    for k in range(3):
        train, test = pairs.split(k)
        assert train.dtype == bool and train.has_canonical_format and test.has_canonical_format
        np.testing.assert_array_equal(train.toarray(), _dense(folds[folds["fold"] != k], users, items))
        np.testing.assert_array_equal(test.toarray(), _dense(folds[folds["fold"] == k], users, items))
        for m in (train, test):  # sorted, unique column indices per row
            assert all(np.all(np.diff(m.indices[a:b]) > 0) for a, b in zip(m.indptr[:-1], m.indptr[1:], strict=True))


def test_fold_pairs_refuses_unknown_and_repeated_pairs():
    users, items, _, folds = _fold_setup()
    with pytest.raises(InputError, match="folds.parquet: lists pairs whose user or artist is not in the triples"):
        heldout.FoldPairs(folds, users["user_id"].to_numpy()[1:], items)
    twice = pd.concat([folds, folds.iloc[:1]], ignore_index=True)
    with pytest.raises(InputError, match="lists a .user, artist. pair twice"):
        heldout.FoldPairs(twice, users["user_id"].to_numpy(), items)


@pytest.mark.parametrize("reference", ["popular", "random", "model"])
def test_evaluate_fold_from_fold_pairs_equals_from_frames(reference):
    users, items, triples, folds = _fold_setup(seed=3, n_users=30, n_items=40, n_pairs=500, n_folds=2)
    rng = np.random.default_rng(5)
    artists = pd.DataFrame(
        {"artist_id": items, "country": pd.array(rng.choice(["US", "DE", "PL", None], items.size), dtype="string")}
    )
    sim = pd.DataFrame(
        [[1, 0.5, 0.1], [0.5, 1, 0.2], [0.1, 0.2, 1]],
        index=pd.Index(["DE", "PL", "US"], name="country"),
        columns=["DE", "PL", "US"],
    )
    c = country_setup(users, items, artists, sim)
    scores = rng.random((len(users), items.size))
    pairs = heldout.FoldPairs(folds, users["user_id"].to_numpy(), items)
    for k in range(2):
        tables = []
        for train, test in (cv.split(triples, folds, k), pairs.split(k)):
            rows = heldout.evaluated_users(users, test, 20, 1)
            user_ids = users["user_id"].to_numpy()[rows]
            blocks = (
                iter([(0, scores[rows].copy())])
                if reference == "model"
                else heldout.reference_blocks(reference, train, user_ids, items, 4, 7)
            )
            tables.append(
                heldout.evaluate_fold(
                    blocks, users, rows, items, train, test, c, 5, {"soft": [1.0], "calibrated": [0.5]}, 10, min_listeners=2
                )
            )
        assert tables[0]["users"].iloc[0] > 10
        pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)


def leaky_fold():
    """A fold in which artists 90..94 have test pairs only, and a model that scores them like
    unbiased MF scores an artist it never saw: all the same (here: above every known artist)."""
    rng = np.random.default_rng(3)
    users = pd.DataFrame({"user_id": np.arange(1, 31), "country": ["US", "DE", "PL"] * 10})
    known = np.arange(10, 60)
    train = pd.DataFrame({"user_id": rng.integers(1, 31, 400), "artist_id": rng.choice(known, 400)}).drop_duplicates()
    test = pd.DataFrame({"user_id": rng.integers(1, 31, 120), "artist_id": rng.choice(np.r_[known, 90:95], 120)})
    test = test.drop_duplicates().merge(train, how="left", indicator=True).query("_merge == 'left_only'").drop(columns="_merge")
    artists = pd.DataFrame(
        {"artist_id": np.r_[known, 90:95], "country": pd.array(rng.choice(["US", "DE", "PL"], 55), dtype="string")}
    )
    taste = dict(zip(np.r_[known, 90:95].tolist(), rng.random(55), strict=True))  # a score per artist, not per id
    for a in range(90, 95):
        taste[a] = 2.0  # the global-mean tie of the unknown artists
    return users, train, test, artists, taste


def evaluate_with_ids(rename: dict, seed: int = 0):
    """evaluate_fold on leaky_fold() with the artist ids renamed by ``rename``, as rank.py runs it."""
    users, train, test, artists, taste = leaky_fold()
    train, test = train.replace({"artist_id": rename}), test.replace({"artist_id": rename})
    artists = artists.replace({"artist_id": rename})
    items = np.sort(artists["artist_id"].to_numpy())
    folds = pd.concat([train.assign(fold=1), test.assign(fold=0)], ignore_index=True)
    pairs = heldout.FoldPairs(folds, users["user_id"].to_numpy(), items)
    tr, te = pairs.split(0)
    order, n_cand = heldout.candidate_order(tr, seed, 0)
    fold_items = items[order]
    tr, te = tr[:, order], te[:, order]
    inverse = {v: k for k, v in rename.items()}
    scores = np.tile([taste[inverse.get(a, a)] for a in fold_items], (len(users), 1))
    scores += np.arange(len(users))[:, None] * 0.0  # the same taste for every user: ties only where taste ties
    c = country_setup(users, fold_items, artists)
    rows = heldout.evaluated_users(users, te, "all", 0)
    table = heldout.evaluate_fold(
        iter([(0, scores[rows].copy())]),
        users,
        rows,
        fold_items,
        tr,
        te,
        c,
        5,
        {"soft": [0.5]},
        10,
        lists_of=[("none", 0.0), ("hard", 0.0)],
    )
    return table, table.attrs["lists"], set(train["artist_id"]), n_cand


def test_no_listed_artist_lacks_a_training_pair_in_its_fold():
    table, lists, trained, n_cand = evaluate_with_ids({})
    assert n_cand == len(trained) == 50
    for name in ("none 0.0", "hard 0.0"):
        assert len(lists[name]) and lists[name]["artist_id"].isin(trained).all(), name
    # the unknown artists' test pairs stay in recall's denominator: recall < 1 even for a perfect list


def test_renumbering_the_artist_ids_leaves_every_metric_unchanged():
    users, train, test, artists, taste = leaky_fold()
    ids = artists["artist_id"].to_numpy()
    rename = dict(zip(ids.tolist(), (np.random.default_rng(5).permutation(ids.size) * 7 + 1000).tolist(), strict=True))
    a, _, _, _ = evaluate_with_ids({})
    b, _, _, _ = evaluate_with_ids(rename)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_ties_fall_by_a_seeded_random_order_not_by_id():
    import scipy.sparse as sp

    train = sp.csr_matrix(np.ones((4, 200), dtype=bool))
    train[0, 7] = False
    train.eliminate_zeros()
    order, n_cand = heldout.candidate_order(train, 0, 0)
    assert n_cand == 200 and sorted(order.tolist()) == list(range(200))
    assert order.tolist() == heldout.candidate_order(train, 0, 0)[0].tolist()  # seeded
    assert order.tolist() != heldout.candidate_order(train, 1, 0)[0].tolist()  # another seed
    assert order.tolist() != heldout.candidate_order(train, 0, 1)[0].tolist()  # another fold
    assert order[:10].tolist() != list(range(10))  # not the id order
    # all scores tied: the plain top-n is the first candidates of the order
    top_rows, top_cols = ranking.plain_top_n(5)(np.zeros((1, 200))[:, order], np.array([0]))
    assert order[top_cols].tolist() == order[:5].tolist()
    # an artist without a training pair is no candidate: it comes last
    train2 = sp.csr_matrix(train[:, :199])
    train2 = sp.hstack([train2, sp.csr_matrix((4, 1), dtype=bool)]).tocsr()
    order2, n2 = heldout.candidate_order(train2, 0, 0)
    assert n2 == 199 and order2[-1] == 199

"""Held-out evaluation of one fold: the users evaluated, the listers of the sweep, and the tables
aggregated over folds (results/ranking_metrics.csv, results/tradeoff.csv)."""

import numpy as np
import pandas as pd
import pytest

from lfmrec import heldout, ranking
from lfmrec.countries.codes import country_setup


def fold_frame(method_values):
    rows = [{"method": m, "lambda": lam, "users": 3, "precision": p, "recall": p * 2, "ndcg": p * 3, "hit": p * 4,
             "foreign_share": 0.5, "cultural_distance": 0.25} for m, lam, p in method_values]
    return pd.DataFrame(rows)


def test_fold_and_tradeoff_tables_by_hand():
    per_fold = {"m": [fold_frame([("none", 0.0, 0.1), ("hard", 0.0, 0.05)]),
                      fold_frame([("none", 0.0, 0.3), ("hard", 0.0, 0.15)])]}
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
    sim = pd.DataFrame([[1, 0.5, 0.1], [0.5, 1, 0.2], [0.1, 0.2, 1]], index=pd.Index(["DE", "PL", "US"], name="country"),
                       columns=["DE", "PL", "US"])
    c = country_setup(users, items, artists, sim)
    rows = heldout.evaluated_users(users, test, "all", 0)
    scores = rng.random((len(users), len(items)))
    blocks = iter([(0, scores[rows])])
    out = heldout.evaluate_fold(blocks, users, rows, items, train, test, c, 5, {"soft": [0.0, 1.0], "calibrated": [0.5]}, 10)
    assert list(zip(out["method"], out["lambda"], strict=True)) == [("none", 0.0), ("hard", 0.0), ("soft", 0.0), ("soft", 1.0), ("calibrated", 0.5)]
    plain = ranking.evaluate(iter([(0, scores[rows])]), users["user_id"].to_numpy()[rows], items, train, test, n=5)
    for metric in ranking.METRICS:
        assert out.loc[0, metric] == pytest.approx(plain.loc[0, metric])
        assert out.loc[2, metric] == pytest.approx(plain.loc[0, metric])  # soft, lambda 0 = plain
    assert out.loc[1, "foreign_share"] == 1.0 and out.loc[0, "foreign_share"] < 1.0
    # DE-PL similarity 0.5 lives at the codes of DE and PL
    de, pl = (c.user_country[1], c.item_country[np.flatnonzero((artists["country"] == "PL").fillna(False).to_numpy())[0]])
    assert c.similarity[de, pl] == 0.5

"""Top-n ranking metrics on held-out data: per-user metrics worked out by hand, the evaluation of
score blocks (exclusions, ties, skipped users, block-layout independence) and the reference scorers."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lfmrec import ranking
from lfmrec.pairs import pair_matrix
from lfmrec.topn import top_n

L2, L3 = 1 / np.log2(3), 1 / np.log2(4)  # discounts of ranks 2 and 3 (rank 1: 1)


def csr(rows, m):
    """Boolean CSR with one row per list of column indices."""
    r = [i for i, cols in enumerate(rows) for _ in cols]
    c = [j for cols in rows for j in cols]
    return sp.csr_matrix((np.ones(len(c), dtype=bool), (r, c)), shape=(len(rows), m))


def test_ranking_block_by_hand():
    top = np.array(
        [
            [2, 0, 5],  # A: test {0, 4}: hit at rank 2
            [1, -1, -1],  # B: short list, test {1}: hit at rank 1
            [3, 4, 5],  # C: test {0}: no hit
            [0, 1, 5],  # D: test {0, 1, 2, 3} (more than n): hits at ranks 1, 2
        ]
    )
    test = csr([[0, 4], [1], [0], [3, 2, 1, 0]], 6)
    res = ranking.ranking_block(top, test, 3)
    # precision = hits / n: A 1/3, B 1/3 (the empty slots are misses), C 0, D 2/3
    np.testing.assert_allclose(res["precision"], [1 / 3, 1 / 3, 0, 2 / 3])
    # recall = hits / |test|: A 1/2, B 1/1, C 0/1, D 2/4
    np.testing.assert_allclose(res["recall"], [0.5, 1.0, 0.0, 0.5])
    # ndcg: A  DCG = L2 = 0.6309, IDCG over min(2, 3) = 2 items = 1 + L2 = 1.6309 -> 0.3869
    #       B  DCG = 1, IDCG over min(1, 3) = 1 item = 1 -> 1
    #       C  0
    #       D  DCG = 1 + L2 = 1.6309, IDCG over min(4, 3) = 3 items = 1 + L2 + L3 = 2.1309 -> 0.76536
    np.testing.assert_allclose(res["ndcg"], [L2 / (1 + L2), 1.0, 0.0, (1 + L2) / (1 + L2 + L3)])
    np.testing.assert_allclose(res["ndcg"], [0.386853, 1.0, 0.0, 0.765361], atol=1e-6)
    assert res["hit"].tolist() == [1.0, 1.0, 0.0, 1.0]


def test_ranking_block_user_without_test_items_is_nan():
    res = ranking.ranking_block(np.array([[0, 1]]), sp.csr_matrix((1, 3), dtype=bool), 2)
    assert res["precision"].tolist() == [0.0] and res["hit"].tolist() == [0.0]
    assert np.isnan(res["recall"][0]) and np.isnan(res["ndcg"][0])


USERS = np.array([1, 2, 3])
ITEMS = np.array([10, 20, 30, 40])
SCORES = np.array(
    [
        [5.0, 3.0, 3.0, 1.0],  # user 1
        [2.0, 2.0, 2.0, 2.0],  # user 2 (all tied)
        [9.0, 9.0, 9.0, 9.0],  # user 3 (no test items: not evaluated)
    ]
)
TRAIN = pd.DataFrame({"user_id": [1, 2, 3], "artist_id": [10, 20, 30]})
# (2, 99): artist 99 is not a candidate -> ignored
TEST = pd.DataFrame({"user_id": [1, 1, 2, 2], "artist_id": [20, 40, 30, 99]})


def blocks(scores, size):
    for start in range(0, scores.shape[0], size):
        yield start, scores[start : start + size].copy()


@pytest.mark.parametrize("size", [1, 2, 3])
def test_evaluate_by_hand_with_ties_and_exclusions(size):
    out, per_user = ranking.evaluate(blocks(SCORES, size), USERS, ITEMS, TRAIN, TEST, n=2, per_user=True)
    # user 1: 10 is training -> candidates 20 (3), 30 (3), 40 (1); top 2 = 20, 30 (tie by artist_id)
    #         test {20, 40}: hit at rank 1 -> precision 1/2, recall 1/2, ndcg 1 / (1 + L2) = 0.6131
    # user 2: 20 is training -> 10, 30, 40 all tied at 2; top 2 = 10, 30; test {30} (99 ignored):
    #         hit at rank 2 -> precision 1/2, recall 1, ndcg L2 / 1 = 0.6309
    # user 3: no test items -> skipped
    assert per_user["user_id"].tolist() == [1, 2]
    np.testing.assert_allclose(per_user["ndcg"], [1 / (1 + L2), L2])
    row = out.iloc[0]
    assert row["lister"] == "top_n" and row["users"] == 2
    assert row["precision"] == pytest.approx(0.5)
    assert row["recall"] == pytest.approx(0.75)
    assert row["ndcg"] == pytest.approx((1 / (1 + L2) + L2) / 2)  # 0.6220
    assert row["hit"] == pytest.approx(1.0)
    # the caller's training matrix instead of the pairs gives the same result
    train = pair_matrix(TRAIN, USERS, ITEMS)
    again = ranking.evaluate(blocks(SCORES, size), USERS, ITEMS, train, TEST, n=2)
    pd.testing.assert_frame_equal(again.drop(columns="seconds"), out.drop(columns="seconds"))
    with pytest.raises(ValueError, match="train matrix has shape"):
        ranking.evaluate(blocks(SCORES, size), USERS, ITEMS, train[:2], TEST, n=2)


def test_evaluate_several_listers_and_country_stats():
    calls = []

    def worst(scores, users):  # a lister that sees the exclusions as -inf and the user indices
        calls.append(users.tolist())
        assert not scores.flags.writeable
        return top_n(np.where(np.isfinite(scores), -scores, -np.inf), 2)

    out = ranking.evaluate(
        blocks(SCORES, 3),
        USERS,
        ITEMS,
        TRAIN,
        TEST,
        n=2,
        listers={"best": ranking.plain_top_n(2), "worst": worst},
        user_country=np.array([0, 1, 0]),
        item_country=np.array([0, 1, -1, 1]),
        similarity=np.array([[1.0, 0.5], [0.5, 1.0]]),
    )
    assert calls == [[0, 1]]  # user 3 (index 2) never reaches a lister
    # worst: user 1 -> 40 (1), 20 (3): test {20, 40}: two hits; user 2 -> 10, 30: one hit at rank 2
    w = out.set_index("lister").loc["worst"]
    assert w["precision"] == pytest.approx(0.75) and w["recall"] == pytest.approx(1.0)
    # best lists: user 1 (country 0) -> 20 (1), 30 (-1); user 2 (country 1) -> 10 (0), 30 (-1)
    # all four foreign (unknown counts as foreign); distance over known: 1 - 0.5 twice -> 0.5
    b = out.set_index("lister").loc["best"]
    assert b["foreign_share"] == pytest.approx(1.0)
    assert b["cultural_distance"] == pytest.approx(0.5)


def test_evaluate_breaks_ties_by_column_order_and_needs_distinct_items():
    with pytest.raises(ValueError, match="distinct"):
        ranking.evaluate(blocks(SCORES, 3), USERS, np.r_[ITEMS[:-1], ITEMS[0]], TRAIN, TEST)
    tied = np.zeros((len(USERS), len(ITEMS)))
    for items in (ITEMS, ITEMS[::-1]):  # any order: the earlier column wins a tie
        out = ranking.evaluate(blocks(tied, 3), USERS, items, TRAIN, TEST, n=1, lists_of=["top_n"])
        lists = out.attrs["lists"]["top_n"]
        played = TRAIN.groupby("user_id")["artist_id"].apply(set)
        for u, a in zip(lists["user_id"], lists["artist_id"], strict=True):
            assert a == next(i for i in items if i not in played.get(u, set()))


def test_popular_scores_count_training_listeners():
    train = pd.DataFrame({"user_id": [1, 2, 2, 3, 1], "artist_id": [20, 20, 40, 20, 40]})
    row = ranking.popular_scores(train, ITEMS)
    assert row.tolist() == [0.0, 3.0, 0.0, 2.0]
    # a repeated pair is one listener; an artist outside ITEMS is not counted
    repeated = pd.concat([train, pd.DataFrame({"user_id": [3, 3, 4], "artist_id": [20, 20, 99]})])
    assert ranking.popular_scores(repeated, ITEMS).tolist() == [0.0, 3.0, 0.0, 2.0]
    got = list(ranking.popular_blocks(train, [7, 8, 9], ITEMS, block_users=2))
    assert [s for s, _ in got] == [0, 2] and [b.shape for _, b in got] == [(2, 4), (1, 4)]
    assert all((b == row).all() for _, b in got)
    # popularity ranks 20, 40, then the zeros by artist_id; user 1's training artists are skipped
    out, per_user = ranking.evaluate(
        ranking.popular_blocks(train, [1], ITEMS),
        [1],
        ITEMS,
        train,
        pd.DataFrame({"user_id": [1], "artist_id": [10]}),
        n=1,
        per_user=True,
    )
    assert per_user["hit"].tolist() == [1.0]  # 20, 40 trained -> top 1 = 10 (first of the zeros)


def test_random_scores_are_deterministic_and_block_layout_independent():
    users = np.array([5, 17, 3, 42, 8])
    a = np.vstack([b.copy() for _, b in ranking.random_scores(7, users, ITEMS, block_users=2)])
    b = np.vstack([b.copy() for _, b in ranking.random_scores(7, users, ITEMS, block_users=5)])
    np.testing.assert_array_equal(a, b)
    # the same user gets the same row wherever it stands
    c = np.vstack([b.copy() for _, b in ranking.random_scores(7, users[::-1], ITEMS, block_users=3)])
    np.testing.assert_array_equal(c[::-1], a)
    assert ((a >= 0) & (a < 1)).all()
    assert len({tuple(r) for r in a}) == 5  # different users, different rows
    d = np.vstack([b.copy() for _, b in ranking.random_scores(8, users, ITEMS)])
    assert not np.array_equal(a, d)  # another seed, other scores

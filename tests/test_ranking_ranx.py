"""The held-out ranking metrics checked against ranx, a well-kept evaluation library: precision,
recall, NDCG and hit rate at 10 of a few hundred users, per user and on average, from the same lists.
"""

import numpy as np
import pandas as pd
import pytest
from ranx import Qrels, Run
from ranx import evaluate as ranx_evaluate

from lfmrec import ranking

N = 10


def fold(seed=0, n_users=500, n_items=400):
    """Training and held-out pairs with popularity skew, and model-like scores (popularity + noise)."""
    rng = np.random.default_rng(seed)
    pop = rng.zipf(2.0, size=n_items).astype(float) + 5
    p = pop / pop.sum()
    pairs = {(u, int(i)) for u in range(n_users) for i in rng.choice(n_items, size=rng.integers(3, 40), p=p)}
    pairs = pd.DataFrame(sorted(pairs), columns=["user_id", "artist_id"])
    pairs["user_id"] += 1000
    pairs["artist_id"] = pairs["artist_id"] * 3 + 7
    held_out = rng.random(len(pairs)) < 0.2
    user_ids = np.arange(n_users) + 1000
    item_ids = np.arange(n_items) * 3 + 7
    scores = np.log(pop)[None, :] + rng.normal(0, 1.5, size=(n_users, n_items))
    return pairs[~held_out], pairs[held_out], user_ids, item_ids, scores


@pytest.mark.parametrize("seed", [0])
def test_metrics_equal_ranx(seed):
    train, test, user_ids, item_ids, scores = fold(seed)
    summary, per_user = ranking.evaluate([(0, scores)], user_ids, item_ids, train, test, n=N, per_user=True)
    per_user = per_user.set_index("user_id")
    assert 300 <= len(per_user) <= 500  # users with held-out artists

    # the same lists, scored by ranx: each user's top 10 unplayed artists by score (ties by id)
    played = set(zip(train["user_id"], train["artist_id"], strict=True))
    run, qrels = {}, {}
    for u, row in zip(user_ids, scores, strict=True):
        if u not in per_user.index:
            continue
        ranked = [j for j in sorted(range(item_ids.size), key=lambda c: (-row[c], c)) if (u, item_ids[j]) not in played][:N]
        run[f"u{u}"] = {f"a{item_ids[j]}": float(N - r) for r, j in enumerate(ranked)}
    for u, a in zip(test["user_id"], test["artist_id"], strict=True):
        qrels.setdefault(f"u{u}", {})[f"a{a}"] = 1
    assert set(run) == set(qrels)
    metrics = [f"precision@{N}", f"recall@{N}", f"ndcg@{N}", f"hit_rate@{N}"]
    theirs = ranx_evaluate(Qrels(qrels), Run(run), metrics, return_mean=False, make_comparable=True)
    ours = {"precision": "precision", "recall": "recall", "ndcg": "ndcg", "hit": "hit_rate"}
    queries = list(Run(run).keys())
    for ours_name, ranx_name in ours.items():
        got = per_user.loc[[int(q[1:]) for q in queries], ours_name].to_numpy()
        want = np.asarray(theirs[f"{ranx_name}@{N}"], dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=ours_name)
        assert summary.loc[0, ours_name] == pytest.approx(want.mean(), abs=1e-12)
    assert 0 < summary.loc[0, "ndcg"] < 1 and summary.loc[0, "hit"] > summary.loc[0, "precision"]

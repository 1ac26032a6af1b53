"""Phase 2: tie rules, deletions worked out by hand, short lists, and the whole
route (scores -> lists) against Surprise's predict() one pair at a time."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from helpers import small_sample

from lfmrec.cv import build_trainset, rating_scale
from lfmrec.models import build_algorithm
from lfmrec.recommend import recommend_all, recommend_block
from lfmrec.scoring import params_from_surprise
from lfmrec.topn import foreign_top_n, top_n

# artists 10..60 (columns in artist_id order) and their estimated countries
ITEMS = np.array([10, 20, 30, 40, 50, 60])
ITEM_COUNTRY = np.array(["US", "DE", "US", "PL", "DE", "US"])
CODES = {"DE": 0, "PL": 1, "US": 2}


def codes(values):
    return np.array([CODES[v] for v in values])


def test_deletions_and_refill_by_hand():
    scores = np.array(
        [
            [5.0, 4.0, 4.0, 3.0, 2.0, 1.0],  # user A, US, played artist 10
            [1.0, 9.0, 1.0, 1.0, 9.0, 0.0],  # user B, DE, played nothing
        ]
    )
    played = sp.csr_matrix(np.array([[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]))
    rows, cols, deletions, foreign = recommend_block(scores, played, codes(["US", "DE"]), codes(ITEM_COUNTRY), 3)
    # A: initial top 3 = 20 (4.0), 30 (4.0, tie after 20), 40 -> 30 is US: 1 deletion; final 20, 40, 50
    # B: initial top 3 = 20, 50 (both DE, 9.0), 10 (first of the 1.0 ties) -> 2 deletions; final 10, 30, 40
    assert deletions.tolist() == [1, 2]
    assert ITEMS[cols[rows == 0]].tolist() == [20, 40, 50]
    assert ITEMS[cols[rows == 1]].tolist() == [10, 30, 40]
    assert foreign.tolist() == [2 + 1, 4]  # A: 20, 40, 50 (10 played; 30, 60 US); B: 10, 30, 40, 60


def test_fewer_foreign_candidates_than_n_gives_a_shorter_list():
    scores = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    played = sp.csr_matrix((1, 6))
    rows, cols, deletions, foreign = recommend_block(scores, played, codes(["US"]), codes(ITEM_COUNTRY), 5)
    assert ITEMS[cols].tolist() == [50, 40, 20]  # only the three non-US artists
    assert foreign.tolist() == [3]
    assert deletions.tolist() == [2]  # initial top 5: 60 US, 50, 40, 30 US, 20


def reference_lists(scores, played, uc, ic, n):
    """Row by row with a full sort: the n best (value desc, column asc) finite unplayed entries,
    the n best foreign ones, the deletions and the foreign count."""
    P = played.toarray() != 0
    out = {"all": [], "foreign": [], "deletions": [], "n_foreign": []}
    for r in range(scores.shape[0]):
        ok = np.isfinite(scores[r]) & ~P[r]
        foreign = ok & ((uc[r] < 0) | (ic != uc[r]))
        for key, mask in (("all", ok), ("foreign", foreign)):
            cols = np.flatnonzero(mask)
            out[key].append(cols[np.lexsort((cols, -scores[r, cols]))][:n].tolist())
        out["deletions"].append(int(sum(uc[r] >= 0 and ic[c] == uc[r] for c in out["all"][-1])))
        out["n_foreign"].append(int(foreign.sum()))
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [1, 10, 37])
def test_one_pass_selection_equals_a_full_sort(seed, n):
    rng = np.random.default_rng(seed)
    b, m = 23, 3001
    scores = rng.integers(0, 40, size=(b, m)) / 8.0  # heavy ties
    scores[rng.random((b, m)) < 0.05] = -np.inf
    scores[rng.random((b, m)) < 0.01] = np.nan
    scores[rng.random((b, m)) < 0.01] = np.inf
    scores[3] = -np.inf  # a row with nothing to recommend
    scores[4, 7:] = -np.inf  # a row with fewer than n candidates
    played = sp.random(b, m, density=0.02, format="csr", random_state=seed)
    uc = rng.integers(-1, 4, size=b)
    ic = rng.integers(-1, 4, size=m)
    want = reference_lists(scores, played, uc, ic, n)
    rows, cols, deletions, foreign = recommend_block(scores, played, uc, ic, n)
    assert [cols[rows == r].tolist() for r in range(b)] == want["foreign"]
    assert deletions.tolist() == want["deletions"] and foreign.tolist() == want["n_foreign"]
    no_played = np.where(played.toarray() != 0, -np.inf, scores)
    rows, cols = top_n(no_played, n)
    assert [cols[rows == r].tolist() for r in range(b)] == want["all"]
    assert np.all(np.diff(rows) >= 0)
    rows, cols = foreign_top_n(no_played, n, uc, ic)
    assert [cols[rows == r].tolist() for r in range(b)] == want["foreign"]


@pytest.mark.parametrize(
    "spec",
    [
        {"algorithm": "BaselineOnly"},
        {"algorithm": "SVD", "params": {"biased": False, "n_factors": 4, "n_epochs": 5}},
        {"algorithm": "KNNWithMeans", "params": {"k": 3}},
    ],
)
@pytest.mark.parametrize("threads", [1, 3])
def test_lists_equal_the_naive_predict_route(spec, threads):
    """Block by block in one thread, or three blocks at a time in three threads."""
    t, users, artists = small_sample()
    algo = build_algorithm(spec, 1)
    algo.fit(build_trainset(t, rating_scale(t)))
    lists, per_user = recommend_all(params_from_surprise(algo), users, t, artists, n=5, block_users=7, threads=threads)

    country = artists.set_index("artist_id")["country"]
    candidates = np.sort(t["artist_id"].unique())
    for u, uc in zip(users["user_id"], users["country"], strict=True):
        played = set(t.loc[t["user_id"] == u, "artist_id"])
        ranked = sorted(
            ((algo.predict(u, a).est, a) for a in candidates if a not in played),
            key=lambda x: (-round(x[0], 9), x[1]),
        )
        initial = [a for _, a in ranked[:5]]
        final = [a for _, a in ranked if country[a] != uc][:5]
        mine = lists[lists["user_id"] == u].sort_values("rank")
        assert mine["artist_id"].tolist() == final
        assert mine["rank"].tolist() == list(range(1, len(final) + 1))
        assert (mine["artist_country"] != uc).all()
        row = per_user.set_index("user_id").loc[u]
        assert row["deletions"] == sum(country[a] == uc for a in initial)
        assert row["list_length"] == len(final)


def test_final_lists_follow_the_configured_reranker():
    """soft with a huge lambda equals hard when every foreign similarity is 0; none keeps
    same-country artists; calibrated lists keep the deletions of the initial top-n."""
    t, users, artists = small_sample()
    algo = build_algorithm({"algorithm": "BaselineOnly"}, 0)
    algo.fit(build_trainset(t, rating_scale(t)))
    params = params_from_surprise(algo)
    hard, hard_pu = recommend_all(params, users, t, artists, n=5, block_users=7)
    countries_ = sorted(set(artists["country"].dropna()) | set(users["country"]))
    no_sim = pd.DataFrame(np.eye(len(countries_)), index=pd.Index(countries_, name="country"), columns=countries_)
    soft, soft_pu = recommend_all(
        params, users, t, artists, n=5, block_users=7, method="soft", lam=1e6, similarity=no_sim.reset_index()
    )
    pd.testing.assert_frame_equal(soft, hard)
    pd.testing.assert_frame_equal(soft_pu, hard_pu)
    plain, plain_pu = recommend_all(params, users, t, artists, n=5, block_users=7, method="none")
    assert (plain["artist_country"] == plain["user_country"]).sum() == hard_pu["deletions"].sum() > 0
    assert (plain_pu["deletions"] == hard_pu["deletions"]).all()
    cal, cal_pu = recommend_all(params, users, t, artists, n=5, block_users=7, method="calibrated", lam=0.0, similarity=no_sim)
    pd.testing.assert_frame_equal(cal, plain)  # lambda 0: pure score order
    assert cal_pu["list_length"].tolist() == cal.groupby("user_id").size().reindex(users["user_id"], fill_value=0).tolist()


def factor_model(kind, seed, clip, n_users=260, n_items=2400, k=24):
    """ScoringParams of an svd / mf model whose lists hinge on what float32 cannot resolve: most
    users rank a cluster of 300 items first whose factors differ by 1e-9 (their float32 products
    tie or swap), 20 of them with the very same factors and biases (exact ties, broken by
    artist_id), and with ``clip`` a tenth of each user's scores clipped at the top."""
    from lfmrec.scoring import ScoringParams

    rng = np.random.default_rng(seed)
    pu = rng.normal(0, 0.3, (n_users, k))
    pu[:, 0] += 1.0
    qi = rng.normal(0, 0.3, (n_items, k))
    base = qi[7].copy()
    base[0] = 1.5
    qi[100:400] = base + rng.normal(0, 1e-9, (300, k))
    qi[500:520] = base
    bu, bi = rng.normal(0, 0.2, n_users), rng.normal(0, 0.2, n_items)
    bi[100:400] = bi[500:520] = bi[7]
    params = ScoringParams(
        kind=kind,
        global_mean=1.0,
        rating_scale=(-50.0, 50.0),
        user_raw2inner={u: i for i, u in enumerate(range(1000, 1000 + n_users))},
        item_raw2inner={a: j for j, a in enumerate(range(1, n_items + 1))},
        bu=bu if kind == "svd" else None,
        bi=bi if kind == "svd" else None,
        pu=pu,
        qi=qi,
    )
    if clip:
        from lfmrec.scoring import score

        s = score(params, list(range(1000, 1000 + n_users)), list(range(1, n_items + 1)))
        params.rating_scale = tuple(np.quantile(s, [0.1, 0.9]))
    return params


@pytest.mark.parametrize("kind", ["svd", "mf"])
@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_float32_product_lists_like_the_float64_one(monkeypatch, kind, clip, seed):
    """SVD / MF under the hard rule list from a float32 product and rescore the candidates its
    error bound leaves: the final and initial lists, their scores and the per-user counts equal
    the float64 route's bit for bit, and the foreign lists a full sort of the float64 scores."""
    import lfmrec.recommend as rec
    from lfmrec.scoring import score

    params = factor_model(kind, seed, clip)
    rng = np.random.default_rng(seed + 10)
    n_users, n_items = params.pu.shape[0], params.qi.shape[0]
    # user 77 of the table has no factors (unknown): its block is listed from the float64 product
    user_ids = np.arange(1000, 1000 + n_users)
    user_ids[77] = 5
    users = pd.DataFrame(
        {"user_id": user_ids, "country": pd.array(rng.choice(["US", "DE", "PL", None], n_users), dtype="string")}
    )
    artists = pd.DataFrame(
        {
            "artist_id": np.arange(1, n_items + 1),
            "country": pd.array(rng.choice(["US", "DE", "PL", "UK", None], n_items), dtype="string"),
        }
    )
    # every artist played by someone; a twentieth of the pairs, some in the cluster, played
    pairs = {(int(user_ids[a % n_users]), a) for a in range(1, n_items + 1)}
    pairs |= {(int(u), int(a)) for u, a in zip(rng.choice(user_ids, 30000), rng.integers(1, n_items + 1, 30000), strict=True)}
    pairs |= {(int(u), int(a)) for u, a in zip(rng.choice(user_ids, 3000), rng.integers(101, 400, 3000), strict=True)}
    triples = pd.DataFrame(sorted(pairs), columns=["user_id", "artist_id"])
    calls = []
    real = rec._bounded_lists
    monkeypatch.setattr(rec, "_bounded_lists", lambda *a: calls.append(a[0]) or real(*a))
    kw = dict(n=10, block_users=64, initial=True, threads=2)
    got = recommend_all(params, users, triples, artists, bounded=True, **kw)
    # float32 blocks of 2 x 64 users; the block of user 77 (0-127) is listed from the float64
    # product, in two blocks of 64
    assert sorted(calls) == [128, 256]
    want = recommend_all(params, users, triples, artists, bounded=False, **kw)
    for a, b in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    # the cluster is in the lists (the near ties matter) and users' lists reach their foreign best
    assert got[0]["artist_id"].between(101, 400).mean() > 0.3
    s = score(params, user_ids, np.arange(1, n_items + 1))
    s[77] = np.nan  # the unknown user's row is not compared
    played = sp.csr_matrix(
        (np.ones(len(triples)), (pd.Index(user_ids).get_indexer(triples["user_id"]), triples["artist_id"] - 1)),
        shape=(n_users, n_items),
    )
    codes_u = pd.Index(["US", "DE", "PL", "UK"]).get_indexer(users["country"].fillna("?"))
    codes_a = pd.Index(["US", "DE", "PL", "UK"]).get_indexer(artists["country"].fillna("?"))
    ref = reference_lists(np.nan_to_num(s, nan=-np.inf), played, codes_u, codes_a, 10)
    lists = got[0]
    for r in range(0, n_users, 7):
        if r == 77:
            continue
        mine = lists.loc[lists["user_id"] == user_ids[r], "artist_id"].to_numpy() - 1
        assert mine.tolist() == ref["foreign"][r], r

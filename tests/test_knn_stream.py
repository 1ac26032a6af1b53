"""lfmrec.native.knn_stream: the streamed (block of similarity rows) user-based msd kNN against the
dense route (knn.msd_similarity + knn.estimate) and scikit-surprise's predict(), bit for bit."""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd
import pytest
from surprise import Dataset, KNNBasic, KNNWithMeans, Reader

from lfmrec.ids import inner_ids
from lfmrec.knn_estimate import ir_in_id_order
from lfmrec.native import knn, knn_stream, trainset

KS = (1, 3, 20, 40, 60)
MIN_KS = (1, 3)
CONFIGS = [(kind, k, mk) for kind in ("basic", "means") for k in KS for mk in MIN_KS]
N_USERS, N_ITEMS, N_RATINGS = 70, 90, 900
N_ISOLATED = 3  # users whose items nobody else rated: no neighbour but themselves


def make_ratings(seed: int = 0, order: str = "shuffled") -> pd.DataFrame:
    """Heavy-tailed unique (user, item) pairs, ratings log2 of 1, 2, 3, 4, 8 (few values: many
    equal msd similarities, ties at every cut), isolated users; shuffled (ir[i] not in inner-id
    order) or sorted by user (ir[i] in inner-id order, as the phase-2 fit)."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / (np.arange(N_ITEMS) + 2.0)
    act = rng.pareto(1.5, N_USERS) + 1.0
    df = pd.DataFrame(
        {
            "user_id": rng.choice(N_USERS, 3 * N_RATINGS, p=act / act.sum()),
            "artist_id": rng.choice(N_ITEMS, 3 * N_RATINGS, p=pop / pop.sum()),
        }
    )
    df = df.drop_duplicates().head(N_RATINGS)
    iso = pd.DataFrame({"user_id": N_USERS + np.arange(N_ISOLATED), "artist_id": N_ITEMS + np.arange(N_ISOLATED)})
    df = pd.concat([df, iso], ignore_index=True)
    df["rating"] = np.log2(rng.choice([1.0, 2.0, 3.0, 4.0, 8.0], len(df), p=[0.4, 0.25, 0.15, 0.1, 0.1]))
    df["user_id"] += 100
    df["artist_id"] += 5000
    df = df.sample(frac=1.0, random_state=seed)
    if order == "by_user":
        df = df.sort_values("user_id", kind="stable")
    return df.reset_index(drop=True)


@pytest.fixture(scope="module", params=["shuffled", "by_user"])
def data(request):
    df = make_ratings(0, request.param)
    ts = trainset.build(df, with_items=True)
    assert ir_in_id_order(ts.ir_ptr, ts.ir_users) == (request.param == "by_user")
    return df, ts


def all_pairs(ts) -> tuple[np.ndarray, np.ndarray]:
    """Every (user, item) pair, plus unknown users and items, in a scrambled order."""
    u = np.append(np.repeat(np.arange(ts.n_users), ts.n_items + 1), [-1] * 3)
    i = np.append(np.tile(np.append(np.arange(ts.n_items), -1), ts.n_users), [0, -1, 5])
    perm = np.random.default_rng(1).permutation(u.size)
    return u[perm], i[perm]


def dense(ts, min_support, configs, u, i) -> np.ndarray:
    """The dense route: knn.estimate with the full msd similarity, one config at a time."""
    sim = knn.msd_similarity(ts, min_support)
    means = knn.user_means(ts)
    return np.array(
        [
            knn.estimate(
                ts.global_mean,
                sim,
                ts.ir_ptr,
                ts.ir_users,
                ts.ir_ratings,
                means if knn_stream._KINDS[kind] else None,
                k,
                mk,
                u,
                i,
            )
            for kind, k, mk in configs
        ]
    )


@pytest.mark.parametrize("min_support", [1, 2])
def test_similarity_rows_equal_dense(data, min_support):
    """Rows equal Surprise's own msd similarity, bit for bit, built in one pass over a row or in
    passes over ranges of 7 / 40 users: from the trainset's ir (in id order: the "by_user" data;
    else one pass) or from its raters sorted by id (raters_by_id, a shuffled ir sorted)."""
    df, ts = data
    scale = (float(df["rating"].min()), float(df["rating"].max()))
    trainset = Dataset.load_from_df(df[["user_id", "artist_id", "rating"]], Reader(rating_scale=scale)).build_full_trainset()
    theirs = KNNBasic(sim_options={"name": "msd", "user_based": True, "min_support": min_support}, verbose=False)
    sim = theirs.fit(trainset).sim
    assert np.array_equal(knn.msd_similarity(ts, min_support), sim)
    users = np.random.default_rng(2).permutation(ts.n_users)[:25]
    raters = knn_stream.raters_by_id(ts)
    for pass_users in (7, 40, 10**6):
        got = knn_stream.similarity_rows(ts, min_support, users, pass_users=pass_users)
        assert np.array_equal(got, sim[users]), pass_users
        got = knn_stream.similarity_rows(ts, min_support, users, raters=raters, pass_users=pass_users)
        assert np.array_equal(got, sim[users]), pass_users
    # the data hold ties and zeros (users without a common item)
    assert (sim == 0).any() and np.unique(sim).size < sim.size / 5


@pytest.mark.parametrize("min_support", [1, 2])
def test_predict_streamed_equals_dense(data, min_support):
    """(a) every config of the sweep, all in one call, equals knn.estimate bit for bit."""
    _, ts = data
    u, i = all_pairs(ts)
    got = knn_stream.predict_streamed(ts, min_support, u, i, CONFIGS, block_users=16)
    assert got.shape == (len(CONFIGS), u.size) and got.dtype == np.float64
    assert np.array_equal(got, dense(ts, min_support, CONFIGS, u, i))
    # unknown users / items: the global mean for both kinds
    unknown = (u < 0) | (i < 0)
    assert (got[:, unknown] == ts.global_mean).all()


def test_block_size_changes_nothing(data):
    """(b) blocks of 1, 7, 64 and all users, in one or several threads, give the same bits."""
    _, ts = data
    u, i = all_pairs(ts)
    u, i = u[::3], i[::3]
    configs = CONFIGS[::3]
    ref = None
    for b, threads in ((1, 1), (7, 1), (7, 3), (64, 2), (ts.n_users, 2)):
        pairs = knn_stream.predict_streamed(ts, 1, u, i, configs, block_users=b, threads=threads)
        if ref is None:
            ref = pairs
        assert np.array_equal(pairs, ref), b


@pytest.mark.parametrize("order", ["shuffled", "by_user"])
@pytest.mark.parametrize("min_support", [1, 2])
def test_equal_surprise_predict(order, min_support):
    """(c) scikit-surprise's own KNNBasic / KNNWithMeans predict(clip=False).est on raw ids."""
    df = make_ratings(3, order)
    ts = trainset.build(df, with_items=True)
    reader = Reader(rating_scale=(0.5, 2.5))  # narrower than the ratings (0..3)
    sts = Dataset.load_from_df(df[["user_id", "artist_id", "rating"]], reader).build_full_trainset()
    rng = np.random.default_rng(4)
    raw_u = np.append(rng.choice(df["user_id"].unique(), 300), [1, 100, 1])
    raw_i = np.append(rng.choice(df["artist_id"].unique(), 300), [5000, 2, 2])
    raw_u[:60], raw_i[:60] = df["user_id"][:60], df["artist_id"][:60]  # training pairs
    u, i = inner_ids(raw_u, ts.user_raw2inner), inner_ids(raw_i, ts.item_raw2inner)
    assert (u < 0).sum() == 2 and (i < 0).sum() == 2
    configs = [("basic", 40, 1), ("basic", 3, 3), ("means", 20, 1), ("means", 3, 3), ("means", 60, 1)]
    got = knn_stream.predict_streamed(ts, min_support, u, i, configs, block_users=8)
    sim_options = {"name": "msd", "user_based": True, "min_support": min_support}
    for row, (kind, k, mk) in zip(got, configs, strict=True):
        cls = KNNBasic if kind == "basic" else KNNWithMeans
        algo = cls(k=k, min_k=mk, sim_options=sim_options, verbose=False).fit(sts)
        ref = np.array([algo.predict(a, b, clip=False).est for a, b in zip(raw_u.tolist(), raw_i.tolist(), strict=True)])
        assert np.array_equal(row, ref), (kind, k, mk)
    # predict(clip=True) would clip some of them: compared before clipping
    assert (got < 0.5).any() and (got > 2.5).any()


def test_nlargest_prefix_property():
    """(d) heapq.nlargest(k) is a prefix of heapq.nlargest(K) (k < K), ties included, and equals
    sorted(reverse=True)[:k]: what the k sweep relies on."""
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(0, 40))
        sims = rng.choice([0.0, 0.2, 0.5, 1 / 3, 1.0], n).tolist()
        items = [(s, j) for j, s in enumerate(sims)]  # (sim, position in ir)
        full = sorted(items, key=lambda t: t[0], reverse=True)
        for k in (0, 1, 2, 3, 5, 20, 40, 60):
            got = heapq.nlargest(k, items, key=lambda t: t[0])
            assert got == full[:k]
            for K in (k + 1, k + 7, 60):
                assert heapq.nlargest(K, items, key=lambda t: t[0])[:k] == got


def test_k_sweep_equals_single_configs(data):
    """(d) the sweep (one selection with the largest k, smaller k read as prefixes) gives the
    bits of each config computed alone."""
    _, ts = data
    u, i = all_pairs(ts)
    u, i = u[::2], i[::2]
    together = knn_stream.predict_streamed(ts, 1, u, i, CONFIGS)
    for q, cfg in enumerate(CONFIGS):
        assert np.array_equal(together[q], knn_stream.predict_streamed(ts, 1, u, i, [cfg])[0])


def test_ties_decide_neighbourhoods(data):
    """The comparisons above are meaningful: for many (user, item) pairs the cut at k = 3 falls
    within a group of equal similarities whose ratings differ."""
    _, ts = data
    sim = knn.msd_similarity(ts, 1)
    decisive = 0
    for it in range(ts.n_items):
        raters = ts.ir_users[ts.ir_ptr[it] : ts.ir_ptr[it + 1]]
        ratings = ts.ir_ratings[ts.ir_ptr[it] : ts.ir_ptr[it + 1]]
        if raters.size <= 3:
            continue
        for u in range(ts.n_users):
            s = sim[u, raters]
            cut = np.sort(s)[-3]
            tied = s == cut
            if cut > 0 and tied.sum() > 3 - (s > cut).sum() and np.ptp(ratings[tied]) > 0:
                decisive += 1
    assert decisive > 200, decisive


def test_k_zero_and_config_validation(data):
    _, ts = data
    u, i = all_pairs(ts)
    u, i = u[:500], i[:500]
    configs = [("means", 0, 0), ("basic", 0, 1), ("KNNWithMeans", 2, 0)]
    got = knn_stream.predict_streamed(ts, 1, u, i, configs)
    assert np.array_equal(got, dense(ts, 1, configs, u, i))
    with pytest.raises(ValueError, match="min_k >= 1"):
        knn_stream.predict_streamed(ts, 1, u, i, [("basic", 5, 0)])
    with pytest.raises(ValueError, match="kind"):
        knn_stream.predict_streamed(ts, 1, u, i, [("cosine", 5, 1)])
    with pytest.raises(ValueError, match="inner ids"):
        knn_stream.predict_streamed(ts, 1, np.array([ts.n_users]), np.array([0]), CONFIGS)
    assert knn_stream.predict_streamed(ts, 1, np.zeros(0), np.zeros(0), CONFIGS).shape == (20, 0)


def test_memory_model():
    n_users, n_items, nnz = 55_110, 581_417, 30_000_000
    kw = {"n_pairs": 6_000_000, "n_configs": 6}
    b = knn_stream.block_for_memory(n_users, n_items, nnz, 3e9, **kw)
    assert b >= 1
    assert knn_stream.stream_memory_bytes(n_users, n_items, nnz, b, **kw) <= 3e9
    assert knn_stream.stream_memory_bytes(n_users, n_items, nnz, b + 1, **kw) > 3e9
    assert knn_stream.block_for_memory(n_users, n_items, nnz, 1e9, **kw) == 0  # refuse
    assert knn_stream.block_for_memory(100, 50, 1000, 1e12) == 100  # capped at n_users
    # far below the dense similarity alone (8 n_users**2 = 24.3 GB)
    assert knn_stream.stream_memory_bytes(n_users, n_items, nnz, 64, **kw) < 8 * n_users**2 / 8

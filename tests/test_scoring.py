"""lfmrec.scoring: vectorized scores equal Surprise's predict().est: bit for bit for baseline and
kNN, within SVD_BOUND for SVD / MF (a BLAS matrix product instead of one np.dot per pair)."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from surprise import (
    NMF,
    SVD,
    BaselineOnly,
    Dataset,
    KNNBaseline,
    KNNBasic,
    KNNWithMeans,
    KNNWithZScore,
    Reader,
    SVDpp,
)
from surprise.model_selection import KFold

from lfmrec import native, scoring
from lfmrec.scoring import (
    ScoringParams,
    block_scorer,
    build_item_raters,
    iter_score_blocks,
    params_from_surprise,
    raw2inner_from_ids,
    score,
)
from lfmrec.topn import select_lists

SVD_BOUND = 1e-13  # svd / mf: |score - predict| (other kinds: equal)
N_USERS, N_ITEMS, N_RATINGS = 300, 1500, 6000
N_ISOLATED = 4  # users whose items nobody else rated: no neighbour with sim > 0
UNKNOWN_USERS = [-1, "1005", 99999]  # "1005" is unknown: raw ids are ints (type matters)
UNKNOWN_ITEMS = ["nope", 7, "a-1"]


# ------------------------------------------------------------------------------------------------
# Data


def make_ratings(seed: int = 0) -> pd.DataFrame:
    """Heavy-tailed users x items log2 playcounts, shuffled (so ir[i] is not in inner-id order)."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / (np.arange(N_ITEMS) + 3.0) ** 1.1
    act = rng.pareto(1.2, N_USERS) + 1.0
    u = rng.choice(N_USERS, 3 * N_RATINGS, p=act / act.sum())
    i = rng.choice(N_ITEMS, 3 * N_RATINGS, p=pop / pop.sum())
    df = pd.DataFrame({"user": u, "item": i}).drop_duplicates().head(N_RATINGS)
    # isolated users, each with exclusive items
    iso = [{"user": N_USERS + j, "item": N_ITEMS + 2 * j + t} for j in range(N_ISOLATED) for t in range(1 + j % 2)]
    df = pd.concat([df, pd.DataFrame(iso)], ignore_index=True)
    plays = np.minimum(rng.zipf(1.7, len(df)), 20000)  # many 1s and 2s -> ratings 0.0 and 1.0
    df["rating"] = np.log2(plays.astype(float))
    df["user"] = 1000 + df["user"]  # raw user ids: ints
    df["item"] = "a" + df["item"].astype(str)  # raw item ids: strings
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="module", params=["shuffled", "by_user"])
def data(request):
    """The ratings shuffled (ir[i] is not in inner-id order) or sorted by user, as the phase-2
    fit on the triples is (ir[i] in inner-id order): the two paths of the kNN block kernel."""
    df = make_ratings(0)
    if request.param == "by_user":
        df = df.sort_values(["user", "item"], kind="stable").reset_index(drop=True)
    reader = Reader(rating_scale=(0.0, float(df["rating"].max())))
    ds = Dataset.load_from_df(df[["user", "item", "rating"]], reader)
    return df, ds, ds.build_full_trainset()


MODELS = {
    "baseline_als": lambda: BaselineOnly(verbose=False),
    "baseline_sgd": lambda: BaselineOnly(bsl_options={"method": "sgd", "n_epochs": 5}, verbose=False),
    "svd": lambda: SVD(n_factors=20, n_epochs=5, random_state=1),
    "mf": lambda: SVD(biased=False, n_factors=20, n_epochs=5, random_state=2),
    "knn_basic_k5": lambda: KNNBasic(k=5, verbose=False),
    "knn_basic_k40": lambda: KNNBasic(k=40, verbose=False),
    "knn_basic_k5_mink3": lambda: KNNBasic(k=5, min_k=3, verbose=False),
    "knn_means_k5": lambda: KNNWithMeans(k=5, min_k=1, verbose=False),
    "knn_means_k40_mink3": lambda: KNNWithMeans(k=40, min_k=3, verbose=False),
    "knn_basic_pearson_k5": lambda: KNNBasic(k=5, sim_options={"name": "pearson"}, verbose=False),
    "knn_means_pearson_base_k5_mink2": lambda: KNNWithMeans(
        k=5, min_k=2, sim_options={"name": "pearson_baseline"}, verbose=False
    ),
}


def sample_pairs(df, trainset, rng, n_random=10_000):
    """Indices into (users + UNKNOWN_USERS) x (items + UNKNOWN_ITEMS) covering all the cases."""
    users = sorted(trainset._raw2inner_id_users) + UNKNOWN_USERS
    items = sorted(trainset._raw2inner_id_items) + UNKNOWN_ITEMS
    uix = {u: n for n, u in enumerate(users)}
    iix = {i: n for n, i in enumerate(items)}
    nu, ni = len(users), len(items)
    r = [rng.integers(0, nu, n_random), rng.integers(0, ni, n_random)]
    rated = df.sample(1500, random_state=3)  # pairs the user already rated
    r += [rated["user"].map(uix).to_numpy(), rated["item"].map(iix).to_numpy()]
    iso = [uix[1000 + N_USERS + j] for j in range(N_ISOLATED)]  # no usable neighbour
    r += [np.repeat(iso, 100), rng.integers(0, ni, 100 * len(iso))]
    unk_u = np.arange(nu - len(UNKNOWN_USERS), nu)
    unk_i = np.arange(ni - len(UNKNOWN_ITEMS), ni)
    r += [np.repeat(unk_u, 100), rng.integers(0, ni, 100 * len(unk_u))]
    r += [rng.integers(0, nu, 100 * len(unk_i)), np.repeat(unk_i, 100)]
    pu = np.concatenate(r[0::2]).astype(np.int64)
    pi = np.concatenate(r[1::2]).astype(np.int64)
    return users, items, pu, pi


def assert_matches_predict(algo, params, users, items, pu, pi, block_users=64):
    """score()[pu, pi] == predict(users[pu], items[pi]).est (within SVD_BOUND for svd / mf)."""
    S = score(params, users, items, block_users=block_users)
    assert S.shape == (len(users), len(items)) and S.dtype == np.float64
    ref = np.array([algo.predict(users[a], items[b]).est for a, b in zip(pu, pi, strict=True)])
    got = S[pu, pi]
    bad = np.abs(got - ref) > SVD_BOUND if params.kind in ("svd", "mf") else got != ref
    assert not bad.any(), (
        f"{bad.sum()} of {len(ref)} pairs differ, e.g. user {users[pu[bad][0]]!r} item "
        f"{items[pi[bad][0]]!r}: score {got[bad][0]!r} predict {ref[bad][0]!r}"
    )
    return S


# ------------------------------------------------------------------------------------------------
# Random pairs vs predict(), every supported model type


@pytest.mark.parametrize("name", list(MODELS))
def test_random_pairs_equal_predict(data, name):
    df, _, ts = data
    algo = MODELS[name]().fit(ts)
    params = params_from_surprise(algo)
    assert params.kind == next(k for k in scoring.KINDS if name.startswith(k))
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    users, items, pu, pi = sample_pairs(df, ts, rng)
    assert len(pu) >= 10_000
    S = assert_matches_predict(algo, params, users, items, pu, pi)
    lo, hi = ts.rating_scale
    assert S.min() >= lo and S.max() <= hi


def test_data_exercises_ties_at_the_top_k_boundary(data):
    """The kNN tests above are only meaningful if ir order decides some neighbourhoods; the
    shuffled data have ir[i] out of inner-id order, the data sorted by user have it in order."""
    df, _, ts = data
    in_id_order = all([v for v, _ in ts.ir[i]] == sorted(v for v, _ in ts.ir[i]) for i in range(ts.n_items))
    assert in_id_order == df["user"].is_monotonic_increasing
    algo = KNNBasic(k=5, verbose=False).fit(ts)
    k, sim = 5, algo.sim
    decisive = 0
    for i in range(ts.n_items):
        raters = np.array([v for v, _ in ts.ir[i]])
        ratings = np.array([r for _, r in ts.ir[i]])
        if raters.size <= k:
            continue
        G = sim[:, raters]
        kth = np.sort(G, axis=1)[:, -k]
        need = k - (G > kth[:, None]).sum(1)
        for u in np.flatnonzero(kth > 0):
            tied = np.flatnonzero(G[u] == kth[u])
            if tied.size > need[u] and np.ptp(ratings[tied]) > 0:
                decisive += 1
    assert decisive > 50, decisive


def tie_heavy_ratings(order: str) -> pd.DataFrame:
    """40 users x 30 items (skewed), ratings 0, 1 or 2, so msd similarities take few values
    (large groups of equal similarity, ties at every cut); about 60 (user, item) pairs rated
    twice. ``order``: shuffled, or sorted by user (ir[i] in inner-id order)."""
    rng = np.random.default_rng(11)
    pop = 1.0 / (np.arange(30) + 1.0)
    df = pd.DataFrame(
        {
            "user": rng.integers(0, 40, 420),
            "item": rng.choice(30, 420, p=pop / pop.sum()),
            "rating": rng.choice([0.0, 1.0, 2.0], 420),
        }
    )
    if order == "by_user":
        df = df.sort_values("user", kind="stable").reset_index(drop=True)
    return df


@pytest.mark.parametrize("order", ["shuffled", "by_user"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: KNNBasic(k=1, verbose=False),
        lambda: KNNBasic(k=2, verbose=False),
        lambda: KNNBasic(k=3, min_k=2, verbose=False),
        lambda: KNNBasic(k=5, verbose=False),
        lambda: KNNBasic(k=40, verbose=False),
        lambda: KNNWithMeans(k=2, verbose=False),
        lambda: KNNWithMeans(k=5, min_k=3, verbose=False),
    ],
    ids=["basic_k1", "basic_k2", "basic_k3_mink2", "basic_k5", "basic_k40", "means_k2", "means_k5_mink3"],
)
def test_knn_block_and_pairs_equal_predict_on_ties(order, make):
    """Every (user, item) pair, unknowns included: the block kernel (score) and the pairs loop
    (native.predict_pairs) both give predict()'s bits, on data made of ties."""
    df = tie_heavy_ratings(order)
    ts = tiny_trainset(list(df.itertuples(index=False, name=None)), scale=(0.0, 2.0))
    assert len(df) - len(df.drop_duplicates(["user", "item"])) > 40  # repeated pairs
    algo = make().fit(ts)
    params = params_from_surprise(algo)
    users = list(range(40)) + [99]
    items = list(range(30)) + [99]
    ref = np.array([[algo.predict(u, i).est for i in items] for u in users])
    assert np.array_equal(score(params, users, items, block_users=16), ref)
    pu, pi = np.repeat(users, len(items)), np.tile(items, len(users))
    assert np.array_equal(native.predict_pairs(params, pu, pi), ref.ravel())
    # the data decide neighbourhoods by ties: at the cut of k = 2, equal similarities with
    # different ratings outnumber the free slots for many pairs
    sim = KNNBasic(k=2, verbose=False).fit(ts).sim
    decisive = 0
    for i in range(ts.n_items):
        raters = np.array([v for v, _ in ts.ir[i]])
        ratings = np.array([r for _, r in ts.ir[i]])
        if raters.size > 2:
            for u in range(ts.n_users):
                s = sim[u, raters]
                cut = np.sort(s)[-2]
                tied = s == cut
                if cut > 0 and tied.sum() > 2 - (s > cut).sum() and np.ptp(ratings[tied]) > 0:
                    decisive += 1
    assert decisive > 100, decisive


def test_fold_trainset_with_unknowns(data):
    """A cross-validation trainset: shuffled ir order, test users/items unknown to the model."""
    df, ds, _ = data
    trainset, testset = next(KFold(n_splits=3, random_state=0, shuffle=True).split(ds))
    users = sorted({u for u, _, _ in testset}, key=str)
    items = sorted({i for _, i, _ in testset}, key=str)
    assert any(u not in trainset._raw2inner_id_users for u in users)
    assert any(i not in trainset._raw2inner_id_items for i in items)
    uix = {u: n for n, u in enumerate(users)}
    iix = {i: n for n, i in enumerate(items)}
    pu = np.array([uix[u] for u, _, _ in testset])
    pi = np.array([iix[i] for _, i, _ in testset])
    for make in (MODELS["svd"], MODELS["knn_means_k5"], MODELS["knn_basic_k40"]):
        algo = make().fit(trainset)
        assert_matches_predict(algo, params_from_surprise(algo), users, items, pu, pi)


def test_blocks_and_item_order_do_not_matter(data):
    """Any block size, users in any order, items unordered and repeated, raw ids as lists or
    arrays: predict()'s bits at every sampled pair."""
    _, _, ts = data
    algo = KNNWithMeans(k=5, min_k=2, verbose=False).fit(ts)
    params = params_from_surprise(algo)
    rng = np.random.default_rng(5)
    users = list(rng.permutation(sorted(ts._raw2inner_id_users)).tolist()) + UNKNOWN_USERS
    items = sorted(ts._raw2inner_id_items)
    # unordered, duplicated, with unknowns
    items = [items[j] for j in rng.integers(0, len(items), 800)] + UNKNOWN_ITEMS
    pu = rng.integers(0, len(users), 3000)
    pi = rng.integers(0, len(items), 3000)
    ref = np.array([algo.predict(users[a], items[b]).est for a, b in zip(pu, pi, strict=True)])
    for b in (1, 7, 64, 1000):
        got = np.vstack([blk for _, blk in iter_score_blocks(params, users, items, b)])
        assert np.array_equal(got[pu, pi], ref), b
        # one buffer for every block (each block copied before the next is asked for)
        reused = np.vstack([blk.copy() for _, blk in iter_score_blocks(params, users, items, b, reuse=True)])
        assert np.array_equal(reused, got), b
    svd = SVD(n_factors=4, n_epochs=3, random_state=1).fit(ts)
    svd_params = params_from_surprise(svd)
    fresh = [blk for _, blk in iter_score_blocks(svd_params, users, items, 64)]
    reused = [blk.copy() for _, blk in iter_score_blocks(svd_params, users, items, 64, reuse=True)]
    assert all(np.array_equal(a, b) for a, b in zip(fresh, reused, strict=True))
    starts = [s for s, _ in iter_score_blocks(params, users, items, 100)]
    assert starts == list(range(0, len(users), 100))
    # numpy arrays of raw ids behave like lists (the unknown ids, of mixed types, left out)
    known = (pu < len(users) - 3) & (pi < len(items) - 3)
    got = score(params, np.array(users[:-3]), np.array(items[:-3]))
    assert np.array_equal(got[pu[known], pi[known]], ref[known])


@pytest.mark.parametrize("name", ["baseline_sgd", "svd", "mf", "knn_means_k5"])
def test_deferred_blocks_list_like_finished_ones(data, name):
    """The phase-2 fast path: a raw block (block_scorer(defer=True)) listed with its Finish gives
    the lists, deletions and foreign counts of the finished block, bit for bit, and its listed
    entries then hold the finished scores. Fold trainset: unknown users and items (every
    fallback), unknown country codes, played entries, heavy ties at the clip."""
    df, ds, _ = data
    trainset, _ = next(KFold(n_splits=3, random_state=0, shuffle=True).split(ds))
    algo = MODELS[name]().fit(trainset)
    params = params_from_surprise(algo)
    rng = np.random.default_rng(11)
    users = sorted(set(df["user"])) + UNKNOWN_USERS
    items = sorted(set(df["item"])) + UNKNOWN_ITEMS
    # a fifth of the scores clipped at each end: ties at the top, the clipping exercised
    params.rating_scale = tuple(np.quantile(score(params, users, items), [0.2, 0.8]))
    uc = rng.integers(-1, 4, len(users))
    ic = rng.integers(-1, 4, len(items))
    n_users, finished_rows = block_scorer(params, users, items)
    _, raw_rows = block_scorer(params, users, items, defer=True)
    modes = set()
    for start in range(0, n_users, 97):
        stop = min(start + 97, n_users)
        played = sp.random(stop - start, len(items), density=0.05, random_state=start, format="csr") > 0
        finished = finished_rows(start, stop)
        raw, finish = raw_rows(start, stop, np.full((97, len(items)), np.nan))
        modes.add(None if finish is None else finish.mode)
        args = (10, played, uc[start:stop], ic)
        want = select_lists(finished, *args, True, True, want_count=True)
        got = select_lists(raw, *args, True, True, want_count=True, finish=finish)
        for a, b in zip(want, got, strict=True):
            assert np.array_equal(a, b)
        for cols, lens in ((want[0], want[1]), (want[2], want[3])):
            r = np.repeat(np.arange(stop - start), lens)
            c = np.concatenate([cols[k, :m] for k, m in enumerate(lens)])
            assert np.array_equal(raw[r, c], finished[r, c])
    assert modes == ({None} if name.startswith("knn") else {scoring.FINISH_MODES[type_kind(algo)]})


def type_kind(algo) -> str:
    return "baseline" if isinstance(algo, BaselineOnly) else ("svd" if algo.biased else "mf")


def test_build_item_raters_matches_trainset_ir(data):
    df, _, ts = data
    algo = KNNBasic(k=5, verbose=False).fit(ts)
    uin = df["user"].map(ts._raw2inner_id_users).to_numpy()
    iin = df["item"].map(ts._raw2inner_id_items).to_numpy()
    ptr, users, ratings = build_item_raters(uin, iin, df["rating"].to_numpy(), ts.n_items)
    for i in range(ts.n_items):  # Surprise's own ir[i], in its order
        assert users[ptr[i] : ptr[i + 1]].tolist() == [v for v, _ in ts.ir[i]]
        assert ratings[ptr[i] : ptr[i + 1]].tolist() == [r for _, r in ts.ir[i]]
    # Engine-agnostic params built from them score as predict()
    u_raw = [ts.to_raw_uid(u) for u in range(ts.n_users)]
    i_raw = [ts.to_raw_iid(i) for i in range(ts.n_items)]
    q = ScoringParams(
        kind="knn_basic",
        global_mean=ts.global_mean,
        rating_scale=ts.rating_scale,
        user_raw2inner=raw2inner_from_ids(u_raw),
        item_raw2inner=raw2inner_from_ids(i_raw),
        sim=algo.sim,
        k=5,
        min_k=1,
        ir_indptr=ptr,
        ir_users=users,
        ir_ratings=ratings,
    )
    rng = np.random.default_rng(4)
    pu, pi = rng.integers(0, len(u_raw), 3000), rng.integers(0, len(i_raw), 3000)
    assert_matches_predict(algo, q, u_raw, i_raw, pu, pi)


# ------------------------------------------------------------------------------------------------
# Hand-made cases


def tiny_trainset(rows, scale=(0.0, 4.0)):
    df = pd.DataFrame(rows, columns=["user", "item", "rating"])
    return Dataset.load_from_df(df, Reader(rating_scale=scale)).build_full_trainset()


# A, B, C rate Y alike -> msd(A, B) == msd(A, C) == 1. Inner ids: A=0, B=1, C=2.
# X is rated by C (3.0) and then B (1.0): ir[X] = [C, B], so C wins the tie for k=1.
TIE_ROWS = [("A", "Y", 1.0), ("B", "Y", 1.0), ("C", "Y", 1.0), ("C", "X", 3.0), ("B", "X", 1.0), ("E", "Z", 2.5)]


def test_tie_in_sim_is_broken_by_ir_order():
    ts = tiny_trainset(TIE_ROWS)
    assert [v for v, _ in ts.ir[ts.to_inner_iid("X")]] == [2, 1]
    algo = KNNBasic(k=1, verbose=False).fit(ts)
    assert algo.sim[0, 1] == algo.sim[0, 2] == 1.0
    s = score(params_from_surprise(algo), ["A"], ["X"])[0, 0]
    assert s == algo.predict("A", "X").est == 3.0  # C's rating, not B's
    # KNNWithMeans: means A = 1, C = 2 -> 1 + 1 * (3 - 2) / 1 = 2
    algo = KNNWithMeans(k=1, verbose=False).fit(ts)
    s = score(params_from_surprise(algo), ["A"], ["X"])[0, 0]
    assert s == algo.predict("A", "X").est == 2.0
    # Same data, B rates X before C: B wins
    rows = TIE_ROWS[:3] + [TIE_ROWS[4], TIE_ROWS[3]] + TIE_ROWS[5:]
    algo = KNNBasic(k=1, verbose=False).fit(tiny_trainset(rows))
    s = score(params_from_surprise(algo), ["A"], ["X"])[0, 0]
    assert s == algo.predict("A", "X").est == 1.0
    # k=2: both neighbours -> (3 + 1) / 2
    algo = KNNBasic(k=2, verbose=False).fit(tiny_trainset(rows))
    assert score(params_from_surprise(algo), ["A"], ["X"])[0, 0] == 2.0


def test_knn_fallbacks():
    ts = tiny_trainset(TIE_ROWS)
    mu = ts.global_mean
    # E shares no item with anyone: no neighbour with sim > 0
    means = KNNWithMeans(k=40, verbose=False).fit(ts)
    basic = KNNBasic(k=40, verbose=False).fit(ts)
    pm, pb = params_from_surprise(means), params_from_surprise(basic)
    assert score(pm, ["E"], ["X"])[0, 0] == means.predict("E", "X").est == 2.5  # means[E]
    assert score(pb, ["E"], ["X"])[0, 0] == basic.predict("E", "X").est == mu
    # E's own item: E is its only rater, sim(E, E) = 1
    assert score(pb, ["E"], ["Z"])[0, 0] == basic.predict("E", "Z").est == 2.5
    # min_k = 3 with only 2 neighbours for (A, X): KNNWithMeans -> means[A], KNNBasic -> mu
    means3 = KNNWithMeans(k=40, min_k=3, verbose=False).fit(ts)
    basic3 = KNNBasic(k=40, min_k=3, verbose=False).fit(ts)
    assert score(params_from_surprise(means3), ["A"], ["X"])[0, 0] == 1.0
    assert means3.predict("A", "X").est == 1.0
    assert score(params_from_surprise(basic3), ["A"], ["X"])[0, 0] == mu
    # unknown user / item -> global mean
    S = score(pm, ["A", "nobody"], ["X", "nothing"])
    assert S[0, 1] == S[1, 0] == S[1, 1] == mu == means.predict("nobody", "X").est


def test_mf_and_svd_fallbacks():
    ts = tiny_trainset(TIE_ROWS)
    mu = ts.global_mean
    mf = SVD(biased=False, n_factors=3, n_epochs=3, random_state=0).fit(ts)
    S = score(params_from_surprise(mf), ["A", "ghost"], ["X", "void"])
    assert S[0, 1] == S[1, 0] == S[1, 1] == mu  # impossible -> global mean, not 0
    assert abs(S[0, 0] - mf.predict("A", "X").est) <= SVD_BOUND
    svd = SVD(n_factors=3, n_epochs=3, random_state=0).fit(ts)
    S = score(params_from_surprise(svd), ["A", "ghost"], ["X", "void"])
    a, x = ts.to_inner_uid("A"), ts.to_inner_iid("X")
    assert S[0, 1] == mu + svd.bu[a]
    assert S[1, 0] == mu + svd.bi[x]
    assert S[1, 1] == mu
    for r, u in enumerate(["A", "ghost"]):
        for c, i in enumerate(["X", "void"]):
            assert abs(S[r, c] - svd.predict(u, i).est) <= SVD_BOUND


def test_clipping_at_both_ends():
    ts = tiny_trainset(TIE_ROWS, scale=(0.5, 3.0))
    svd = SVD(n_factors=2, n_epochs=1, random_state=0).fit(ts)
    svd.pu[:] = 10.0
    svd.qi[ts.to_inner_iid("X")] = 10.0
    svd.qi[ts.to_inner_iid("Y")] = -10.0
    S = score(params_from_surprise(svd), ["A", "B"], ["X", "Y", "Z"])
    assert (S[:, 0] == 3.0).all() and (S[:, 1] == 0.5).all()
    for r, u in enumerate(["A", "B"]):
        for c, i in enumerate(["X", "Y", "Z"]):
            assert abs(S[r, c] - svd.predict(u, i).est) <= SVD_BOUND
    # engine-agnostic params, baseline: mu + bu + bi beyond both ends
    p = ScoringParams(
        kind="baseline",
        global_mean=2.0,
        rating_scale=(0, 4),
        user_raw2inner={"hi": 0, "lo": 1},
        item_raw2inner={"i": 0},
        bu=np.array([5.0, -5.0]),
        bi=np.array([0.25]),
    )
    np.testing.assert_array_equal(score(p, ["hi", "lo", "?"], ["i", "?"]), [[4.0, 4.0], [0.0, 0.0], [2.25, 2.0]])


# ------------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    "algo",
    [
        KNNBasic(sim_options={"user_based": False}, verbose=False),
        KNNWithMeans(sim_options={"user_based": False}, verbose=False),
        KNNBaseline(verbose=False),
        KNNWithZScore(verbose=False),
        SVDpp(n_epochs=1, random_state=0),
        NMF(n_epochs=1, random_state=0),
    ],
)
def test_unsupported_algorithms_raise(algo):
    algo.fit(tiny_trainset(TIE_ROWS))
    with pytest.raises(ValueError, match="not supported|cannot score"):
        params_from_surprise(algo)


def test_bad_params_raise():
    with pytest.raises(ValueError, match="not fitted"):
        params_from_surprise(BaselineOnly())
    with pytest.raises(ValueError, match="kind"):
        ScoringParams(kind="slope_one", global_mean=0, rating_scale=(0, 1), user_raw2inner={}, item_raw2inner={})
    with pytest.raises(ValueError, match="needs bi"):
        ScoringParams(
            kind="baseline", global_mean=0, rating_scale=(0, 1), user_raw2inner={"u": 0}, item_raw2inner={"i": 0}, bu=[0.0]
        )
    with pytest.raises(ValueError, match="min_k >= 1"):
        ScoringParams(
            kind="knn_basic",
            global_mean=0,
            rating_scale=(0, 1),
            user_raw2inner={"u": 0},
            item_raw2inner={"i": 0},
            sim=[[1.0]],
            k=5,
            min_k=0,
            ir_indptr=[0, 1],
            ir_users=[0],
            ir_ratings=[1.0],
        )
    with pytest.raises(ValueError, match="block_users"):
        next(
            iter_score_blocks(
                ScoringParams(
                    kind="baseline",
                    global_mean=0,
                    rating_scale=(0, 1),
                    user_raw2inner={"u": 0},
                    item_raw2inner={"i": 0},
                    bu=[0.0],
                    bi=[0.0],
                ),
                ["u"],
                ["i"],
                block_users=0,
            )
        )

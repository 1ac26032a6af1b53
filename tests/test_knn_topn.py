"""kNN scored only as deep as the lists look (lfmrec.native.knn_topn): exact wherever a list of the
depth can look, below the lists' threshold elsewhere, and the same lists, deletions, re-ranked lists
and ranking metrics as the fully scored blocks of the dense route."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lfmrec import heldout, native, rerank
from lfmrec.countries.codes import country_setup
from lfmrec.families import for_algorithm
from lfmrec.ids import inner_ids
from lfmrec.native import knn, trainset
from lfmrec.native.knn_topn import PrunedKnn, share_trainset
from lfmrec.recommend import recommend_all
from lfmrec.scoring import Depth, block_scorer, iter_joint_blocks, iter_score_blocks

COUNTRIES = np.array(["US", "DE", "PL", "UK", "BR"])


def heavy_tailed(seed: int, n_users: int = 160, n_items: int = 900, per_user: int = 30, shuffle: bool = True) -> pd.DataFrame:
    """Heavy-tailed users and artists, ratings floor(log2 playcount): many equal ratings, hence
    many equal similarities (ties). ``shuffle``: rows in random order (ir not in id order, as in
    a CV fold); else sorted by user (phase 2)."""
    rng = np.random.default_rng(seed)
    act = rng.pareto(1.2, n_users) + 1
    cnt = np.minimum(np.maximum((act / act.mean() * per_user).astype(int), 1), n_items // 2)
    pop = 1 / (np.arange(n_items) + 10.0) ** 0.9
    u = np.repeat(np.arange(n_users), cnt) + 1000
    i = rng.choice(n_items, u.size, p=pop / pop.sum()) + 1
    df = pd.DataFrame({"user_id": u, "artist_id": i}).drop_duplicates()
    df["playcount"] = np.minimum(rng.zipf(1.7, len(df)), 5000)
    df["rating"] = np.floor(np.log2(df["playcount"])).astype(float)
    if shuffle:
        return df.sample(frac=1, random_state=seed).reset_index(drop=True)
    return df.sort_values(["user_id", "artist_id"], ignore_index=True)


def fitted(df: pd.DataFrame, algorithm: str, k: int, min_k: int = 1):
    spec = {"algorithm": algorithm, "engine": "native", "params": {"k": k, "min_k": min_k}}
    return native.fit(spec, 0, df, (float(df["rating"].min()), float(df["rating"].max())))


def dense(params):
    """The same model with the dense similarity (the full route: every estimate computed)."""
    sim = knn.msd_similarity(params.trainset, params.min_support)
    return dataclasses.replace(params, sim=sim, trainset=None, min_support=None)


def relevant(full, playable, foreign, overall, n_foreign, soft_n, offsets):
    """The candidates some list can hold, from the fully scored block: at or above the overall-th
    best, the n_foreign-th best foreign one, or the soft_n-th best penalised score of a soft list
    (``offsets``: per soft list, the (b, m) penalties)."""

    def at_or_above(values, mask, cap):
        v = np.where(mask, values, -np.inf)
        kth = -np.sort(-v, axis=1)[:, cap - 1 : cap]
        return mask & (v >= kth)

    out = at_or_above(full, playable, overall)
    if n_foreign:
        out |= at_or_above(full, playable & foreign, n_foreign)
    for off in offsets:
        out |= at_or_above(full - off, playable, soft_n)
    return out


@pytest.mark.parametrize("algorithm", ["KNNBasic", "KNNWithMeans"])
@pytest.mark.parametrize(
    ("heavy_raters", "chunk", "check"),
    [(10, 2048, 128), (10, 8, 4), (40, 5, 1), (10**9, 8, 4)],  # a walk for many items, for some, for none
)
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize(("overall", "n_foreign", "soft"), [(10, 10, ()), (40, 5, ()), (5, 5, (0.5, 3.0)), (3, 0, ())])
def test_pruned_scores_are_exact_where_a_list_can_look(algorithm, heavy_raters, chunk, check, shuffle, overall, n_foreign, soft):
    """Small chunks and checks: the users sorted a few at a time, open items dropped by their
    partial bound at every few users walked."""
    df = heavy_tailed(3, shuffle=shuffle)
    p = fitted(df, algorithm, k=7, min_k=2)
    users = np.sort(df["user_id"].unique())
    items = np.sort(df["artist_id"].unique())
    rng = np.random.default_rng(0)
    ucc = rng.integers(-1, 5, users.size)  # -1: a user of unknown country
    icc = rng.integers(-1, 5, items.size)  # -1: unknown, foreign to everyone, no soft penalty
    skip = rng.random(items.size) < 0.05
    sim = rng.random((5, 5))
    full = block_scorer(dense(p), users, items)[1](0, users.size)
    uin = inner_ids(users, p.user_raw2inner)
    pk = PrunedKnn(p, inner_ids(items, p.item_raw2inner), heavy_raters, chunk_users=chunk, check_users=check)
    out = np.empty_like(full)
    soft_n = n_foreign or overall
    depth = Depth(overall, n_foreign, ucc, icc, soft, soft_n, sim, skip)
    stats = pk.score_rows(uin, depth, ucc, out)
    played = (
        sp.csr_matrix(
            (np.ones(len(df)), (np.searchsorted(users, df["user_id"]), np.searchsorted(items, df["artist_id"]))), shape=full.shape
        ).toarray()
        > 0
    )
    playable = ~played & ~skip[None, :]
    foreign = (icc[None, :] != ucc[:, None]) | (icc[None, :] < 0)
    known = (ucc[:, None] >= 0) & (icc[None, :] >= 0)
    offsets = [np.where(known, sim[np.maximum(ucc, 0)][:, np.maximum(icc, 0)] * lam, 0.0) for lam in soft]
    filler = pk.filler(depth)
    filled = out != filler
    assert np.array_equal(out[filled], full[filled])  # exact wherever computed
    assert filled[relevant(full, playable, foreign, overall, n_foreign, soft_n, offsets)].all()
    assert filler < min([full.min()] + [(full - o).min() for o in offsets])
    if heavy_raters == 10**9:
        assert pk.heavy.size == 0 and (stats[:, 0] == 0).all()
    if overall <= 10 and not soft:  # pruning prunes: far fewer estimates than candidates
        assert filled.sum() < 0.5 * playable.sum()


@pytest.mark.parametrize(("heavy_raters", "chunk", "check"), [(10, 8, 4), (40, 5, 1), (10**9, 8, 4)])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize(("overall", "n_foreign", "soft"), [(10, 10, ()), (5, 5, (0.5, 3.0))])
def test_models_scored_together_get_their_own_scores(heavy_raters, chunk, check, shuffle, overall, n_foreign, soft):
    """KNNBasic and KNNWithMeans (two min_k) of one trainset and k, scored by one PrunedKnn (one
    walk, shared neighbours of the light items): each model's block is the one it gets alone, bit
    for bit, filler included; a model of another trainset or k is refused."""
    df = heavy_tailed(5, shuffle=shuffle)
    ts = trainset.build(df, with_items=True)
    scale = (float(df["rating"].min()), float(df["rating"].max()))
    models = [
        for_algorithm(algorithm).from_trainset(ts, scale, knn.fit(ts, {"k": 7, "min_k": min_k}, algorithm))
        for algorithm, min_k in (("KNNBasic", 1), ("KNNWithMeans", 1), ("KNNWithMeans", 3))
    ]
    users = np.sort(df["user_id"].unique())
    items = np.sort(df["artist_id"].unique())
    rng = np.random.default_rng(1)
    ucc, icc = rng.integers(-1, 5, users.size), rng.integers(-1, 5, items.size)
    depth = Depth(overall, n_foreign, ucc, icc, soft, n_foreign or overall, rng.random((5, 5)), rng.random(items.size) < 0.05)
    uin = inner_ids(users, models[0].user_raw2inner)
    inner = inner_ids(items, models[0].item_raw2inner)
    kw = dict(heavy_raters=heavy_raters, chunk_users=chunk, check_users=check)
    together = np.empty((len(models), users.size, items.size))
    stats = PrunedKnn(models, inner, **kw).score_rows(uin, depth, ucc, together)
    walked = 0
    for m, p in enumerate(models):
        alone = np.empty((users.size, items.size))
        walked = np.maximum(walked, PrunedKnn(p, inner, **kw).score_rows(uin, depth, ucc, alone)[:, 0])
        assert np.array_equal(together[m], alone), p.kind
    assert np.array_equal(stats[:, 0], walked)  # the walk goes as far as the farthest model's
    other = fitted(df, "KNNBasic", k=7)
    with pytest.raises(ValueError, match="one trainset, k and min_support"):
        PrunedKnn([models[0], other], inner)


def _country_tables(df: pd.DataFrame, seed: int):
    rng = np.random.default_rng(seed)
    uids = np.sort(df["user_id"].unique())
    aids = np.sort(df["artist_id"].unique())
    users = pd.DataFrame({"user_id": uids, "country": pd.array(rng.choice(COUNTRIES[:4], uids.size), dtype="string")})
    country = rng.choice(np.append(COUNTRIES, None), aids.size)
    artists = pd.DataFrame({"artist_id": aids, "country": pd.array(country, dtype="string")})
    artists["name"] = pd.array([f"Artist {a}" for a in aids], dtype="string")
    c = sorted(COUNTRIES)
    sim = np.random.default_rng(seed + 1).random((len(c), len(c)))
    sim = (sim + sim.T) / 2
    np.fill_diagonal(sim, 1.0)
    similarity = pd.DataFrame(sim, index=pd.Index(c, name="country"), columns=c).reset_index()
    return users, artists, similarity


@pytest.mark.parametrize("algorithm", ["KNNBasic", "KNNWithMeans"])
@pytest.mark.parametrize(
    ("method", "lam", "min_listeners"),
    [("hard", 0.0, 1), ("hard", 0.0, 3), ("soft", 0.7, 1), ("calibrated", 0.5, 1), ("none", 0.0, 1)],
)
def test_recommend_all_lists_equal_the_fully_scored_route(algorithm, method, lam, min_listeners):
    df = heavy_tailed(5, shuffle=False)
    p = fitted(df, algorithm, k=9)
    users, artists, similarity = _country_tables(df, 5)
    kw = dict(
        n=6, block_users=37, method=method, lam=lam, pool=25, similarity=similarity, min_listeners=min_listeners, initial=True
    )
    got = recommend_all(p, users, df, artists, **kw)
    want = recommend_all(dense(p), users, df, artists, **kw)
    for a, b in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert got[1]["deletions"].sum() > 0


@pytest.mark.parametrize(
    ("method", "lam", "min_listeners", "threads"), [("hard", 0.0, 1, 1), ("hard", 0.0, 3, 2), ("soft", 0.7, 1, 2)]
)
def test_recommend_all_of_models_together_equals_each_alone(method, lam, min_listeners, threads):
    """Phase 2 of KNNBasic and KNNWithMeans of one trainset (one job, one walk): each model's lists,
    counts and initial lists are those recommend_all gives it alone."""
    df = heavy_tailed(7, shuffle=False)
    ts = trainset.build(df, with_items=True)
    scale = (float(df["rating"].min()), float(df["rating"].max()))
    models = [for_algorithm(a).from_trainset(ts, scale, knn.fit(ts, {"k": 9}, a)) for a in ("KNNBasic", "KNNWithMeans")]
    users, artists, similarity = _country_tables(df, 7)
    kw = dict(n=6, block_users=23, method=method, lam=lam, pool=25, similarity=similarity, min_listeners=min_listeners)
    together = recommend_all(models, users, df, artists, initial=True, threads=threads, **kw)
    assert len(together) == 2
    for got, p in zip(together, models, strict=True):
        for a, b in zip(got, recommend_all(p, users, df, artists, initial=True, **kw), strict=True):
            pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="only for native msd kNN models"):
        recommend_all([models[0], dense(models[1])], users, df, artists, **kw)


def test_models_fit_apart_on_the_same_triples_share_one_trainset():
    """Pickled one by one (rule fit_full), each model holds its own trainset: share_trainset makes
    them hold one (then PrunedKnn takes them together), and refuses models of other triples."""
    import pickle

    df = heavy_tailed(9, shuffle=False)
    basic, means = (pickle.loads(pickle.dumps(fitted(df, a, k=5))) for a in ("KNNBasic", "KNNWithMeans"))
    assert basic.trainset is not means.trainset
    with pytest.raises(ValueError, match="one trainset"):
        PrunedKnn([basic, means], np.arange(basic.n_items))
    share_trainset([basic, means])
    assert basic.trainset is means.trainset
    PrunedKnn([basic, means], np.arange(basic.n_items))
    other = fitted(df.iloc[1:], "KNNWithMeans", k=5)
    with pytest.raises(ValueError, match="not fit on the same triples"):
        share_trainset([basic, other])


@pytest.mark.parametrize("algorithm", ["KNNBasic", "KNNWithMeans"])
def test_heldout_ranking_equals_the_fully_scored_route(algorithm):
    """A fold's ranking metrics and lists (every re-ranking variant of the sweep) from blocks scored
    to heldout.score_depth equal those from fully scored blocks."""
    df = heavy_tailed(11, shuffle=True)
    users, artists, similarity = _country_tables(df, 11)
    test_rows = np.random.default_rng(1).random(len(df)) < 0.2
    train, test = df[~test_rows], df[test_rows]
    p = fitted(train, algorithm, k=8)
    item_ids = np.sort(df["artist_id"].unique())
    c = country_setup(users, item_ids, artists, similarity)
    user_ids = users["user_id"].to_numpy(np.int64)
    history = sp.csr_matrix(
        (np.ones(len(train)), (np.searchsorted(user_ids, train["user_id"]), np.searchsorted(item_ids, train["artist_id"]))),
        shape=(user_ids.size, item_ids.size),
    )
    rows = np.arange(user_ids.size)
    sweep = {"soft": [0.5, 2.0], "calibrated": [0.5, 0.9]}
    depth = heldout.score_depth(sweep, 5, 30, c, rows, heldout.excluded_items(history, 2))
    assert (depth.overall, depth.foreign, depth.soft, depth.soft_n) == (30, 5, (0.5, 2.0), 5)
    args = (users, rows, item_ids, train, test, c, 5, sweep, 30, 2)
    got = heldout.evaluate_fold(iter_score_blocks(p, user_ids, item_ids, 23, depth=depth), *args, lists_of=[("soft", 2.0)])
    want = heldout.evaluate_fold(iter_score_blocks(dense(p), user_ids, item_ids, 23), *args, lists_of=[("soft", 2.0)])
    pd.testing.assert_frame_equal(got, want)
    for key in want.attrs["lists"]:
        pd.testing.assert_frame_equal(got.attrs["lists"][key], want.attrs["lists"][key])


@pytest.mark.parametrize("block_users", [23, 1000])
def test_heldout_ranking_of_models_together_equals_each_alone(block_users):
    """rule rank_<group>: the fold's KNNBasic and KNNWithMeans scored by one walk
    (iter_joint_blocks, one shared buffer) and evaluated together (heldout.evaluate_together, a
    thread each) give each model's metrics, per-user rows and lists of its evaluation alone."""
    df = heavy_tailed(13, shuffle=True)
    users, artists, similarity = _country_tables(df, 13)
    test_rows = np.random.default_rng(2).random(len(df)) < 0.2
    train, test = df[~test_rows], df[test_rows]
    models = [fitted(train, a, k=7) for a in ("KNNBasic", "KNNWithMeans")]
    share_trainset(models)
    item_ids = np.sort(df["artist_id"].unique())[::-1].copy()  # a fold's candidate order, not by id
    c = country_setup(users, item_ids, artists, similarity)
    user_ids = users["user_id"].to_numpy(np.int64)
    cols = pd.Index(item_ids).get_indexer(train["artist_id"])
    history = sp.csr_matrix(
        (np.ones(len(train)), (np.searchsorted(user_ids, train["user_id"]), cols)), shape=(user_ids.size, item_ids.size)
    )
    rows = np.arange(0, user_ids.size, 2)
    sweep = {"soft": [1.0], "calibrated": [0.5]}
    depth = heldout.score_depth(sweep, 5, 30, c, rows, heldout.excluded_items(history, 1))
    args = (users, rows, item_ids, train, test, c, 5, sweep, 30, 1)
    kw = dict(per_user=True, lists_of=[("none", 0.0), ("soft", 1.0)])
    joint = iter_joint_blocks(models, user_ids[rows], item_ids, block_users, depth, reuse=True)
    together = heldout.evaluate_together(joint, 2, lambda m, blocks: heldout.evaluate_fold(blocks, *args, **kw))
    assert len(together) == 2
    for (table, per_user), p in zip(together, models, strict=True):
        want, want_users = heldout.evaluate_fold(
            iter_score_blocks(p, user_ids[rows], item_ids, block_users, reuse=True, depth=depth), *args, **kw
        )
        pd.testing.assert_frame_equal(table, want)
        pd.testing.assert_frame_equal(per_user, want_users)
        for key in want.attrs["lists"]:
            pd.testing.assert_frame_equal(table.attrs["lists"][key], want.attrs["lists"][key])
    assert not together[0][0].equals(together[1][0])  # two models, two evaluations


@pytest.mark.parametrize(("block_users", "threads"), [(23, 2), (40, 3), (1000, 2)])
def test_joint_blocks_do_not_depend_on_threads_or_block_size(block_users, threads):
    """iter_joint_blocks scores a block's users in ``threads`` parts at once: every model's scores
    equal those of one thread and of iter_score_blocks alone, bit for bit."""
    df = heavy_tailed(17, shuffle=False)
    users, artists, similarity = _country_tables(df, 17)
    models = [fitted(df, a, k=6) for a in ("KNNBasic", "KNNWithMeans")]
    share_trainset(models)
    item_ids = np.sort(df["artist_id"].unique())
    c = country_setup(users, item_ids, artists, similarity)
    user_ids = users["user_id"].to_numpy(np.int64)
    rows = np.arange(user_ids.size)
    depth = heldout.score_depth({"soft": [1.0]}, 5, 20, c, rows, np.zeros(item_ids.size, bool))

    def stacked(blocks):
        return np.concatenate([b.copy() for _, b in blocks], axis=-2)

    threaded = stacked(iter_joint_blocks(models, user_ids, item_ids, block_users, depth, reuse=True, threads=threads))
    assert threaded.shape == (2, user_ids.size, item_ids.size)
    np.testing.assert_array_equal(threaded, stacked(iter_joint_blocks(models, user_ids, item_ids, 1000, depth)))
    for m, p in enumerate(models):
        np.testing.assert_array_equal(threaded[m], stacked(iter_score_blocks(p, user_ids, item_ids, 1000, depth=depth)))


def _joint(n_blocks, n_models=3):
    """Joint blocks of n_models models: block b of model m is full of 10 * b + m."""
    for b in range(n_blocks):
        yield b * 2, np.stack([np.full((2, 3), 10.0 * b + m) for m in range(n_models)])


def test_evaluate_together_gives_each_model_its_blocks_in_order():
    def values(m, blocks):
        return [(start, float(block[0, 0]), block.shape) for start, block in blocks]

    got = heldout.evaluate_together(_joint(4), 3, values)
    assert got == [[(2 * b, 10.0 * b + m, (2, 3)) for b in range(4)] for m in range(3)]
    assert heldout.evaluate_together(_joint(0), 3, values) == [[], [], []]
    assert heldout.evaluate_together(_joint(2, 1), 1, values) == [[(0, 0.0, (2, 3)), (2, 10.0, (2, 3))]]


def test_evaluate_together_drains_an_evaluation_that_stops_early():
    def first_only(m, blocks):
        if m == 1:
            return next(iter(blocks))[0]
        return sum(1 for _ in blocks)

    assert heldout.evaluate_together(_joint(5), 3, first_only) == [5, 0, 5]


def test_evaluate_together_raises_the_first_error_without_hanging():
    def fails_at_block_two(m, blocks):
        for start, _ in blocks:
            if m == 2 and start == 4:
                raise RuntimeError("model 2 failed")
        return m

    with pytest.raises(RuntimeError, match="model 2 failed"):
        heldout.evaluate_together(_joint(5), 3, fails_at_block_two)

    def scoring_fails():
        yield from _joint(2)
        raise MemoryError("scoring failed")

    with pytest.raises(MemoryError, match="scoring failed"):
        heldout.evaluate_together(scoring_fails(), 3, lambda m, blocks: list(blocks))


def test_list_depth_of_each_method():
    assert rerank.list_depth([("hard", 0.0)], 10) == (10, 10, ())
    assert rerank.list_depth([("none", 0.0), ("calibrated", 0.3)], 10, pool=100) == (100, 0, ())
    assert rerank.list_depth([("soft", 2.0), ("soft", 0.5), ("soft", 2.0)], 10) == (10, 0, (2.0, 0.5))
    with pytest.raises(ValueError, match="unknown re-ranking method"):
        rerank.list_depth([("sideways", 1.0)], 10)

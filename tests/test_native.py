"""lfmrec.native against scikit-surprise itself (Dataset.load_from_df, the algorithm classes,
algo.test()): bit for bit where the engine claims it, within a stated bound for the relaxed SVD."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from surprise import SVD, BaselineOnly, Dataset, KNNBasic, KNNWithMeans, Reader

from lfmrec import native
from lfmrec.errors import InputError
from lfmrec.native import knn_stream
from lfmrec.native.rng import normal_init
from lfmrec.resources import native_memory_gb
from lfmrec.scoring import ScoringParams

SEED = 3
SCALE = (0.0, 6.0)
N_USERS, N_ITEMS, N_RATINGS = 70, 90, 700
UNKNOWN_USER, UNKNOWN_ITEM = 999_999, 888_888
# The relaxed (fastmath) SVD kernel: fitted factors and estimates within this of Surprise's.
RELAXED_BOUND = 1e-13

MSD = {"name": "msd", "user_based": True}
# name: (config entry for native.fit, the same model built with Surprise's own classes)
MODELS = {
    "baseline_als": (
        {"algorithm": "BaselineOnly", "params": {"bsl_options": {"method": "als", "n_epochs": 4, "reg_u": 3, "reg_i": 2.5}}},
        lambda: BaselineOnly(bsl_options={"method": "als", "n_epochs": 4, "reg_u": 3, "reg_i": 2.5}, verbose=False),
    ),
    "baseline_sgd": (
        {
            "algorithm": "BaselineOnly",
            "params": {"bsl_options": {"method": "sgd", "n_epochs": 6, "reg": 0.05, "learning_rate": 0.01}},
        },
        lambda: BaselineOnly(bsl_options={"method": "sgd", "n_epochs": 6, "reg": 0.05, "learning_rate": 0.01}, verbose=False),
    ),
    "svd": (
        {
            "algorithm": "SVD",
            "params": {
                "n_factors": 7,
                "n_epochs": 6,
                "init_mean": 0.05,
                "init_std_dev": 0.2,
                "lr_all": 0.01,
                "reg_all": 0.03,
                "lr_bi": 0.02,
                "reg_pu": 0.1,
                "lr_qi": 0.007,
                "reg_bu": 0.0,
            },
        },
        lambda: SVD(
            n_factors=7,
            n_epochs=6,
            init_mean=0.05,
            init_std_dev=0.2,
            lr_all=0.01,
            reg_all=0.03,
            lr_bi=0.02,
            reg_pu=0.1,
            lr_qi=0.007,
            reg_bu=0.0,
            random_state=SEED,
            verbose=False,
        ),
    ),
    "mf": (
        {"algorithm": "SVD", "params": {"biased": False, "n_factors": 5, "n_epochs": 8, "lr_pu": 0.02, "reg_qi": 0.05}},
        lambda: SVD(biased=False, n_factors=5, n_epochs=8, lr_pu=0.02, reg_qi=0.05, random_state=SEED, verbose=False),
    ),
    "knn_basic": ({"algorithm": "KNNBasic", "params": {}}, lambda: KNNBasic(verbose=False)),
    "knn_basic_k3_mink2": (
        {"algorithm": "KNNBasic", "params": {"k": 3, "min_k": 2}},
        lambda: KNNBasic(k=3, min_k=2, sim_options=MSD, verbose=False),
    ),
    "knn_means_k2_mink3": (
        {"algorithm": "KNNWithMeans", "params": {"k": 2, "min_k": 3}},
        lambda: KNNWithMeans(k=2, min_k=3, verbose=False),
    ),
    "knn_means_support3": (
        {"algorithm": "KNNWithMeans", "params": {"k": 5, "sim_options": {"name": "msd", "user_based": True, "min_support": 3}}},
        lambda: KNNWithMeans(k=5, sim_options={**MSD, "min_support": 3}, verbose=False),
    ),
}
FACTOR_MODELS = [name for name, (spec, _) in MODELS.items() if spec["algorithm"] == "SVD"]


def make_train(seed: int = 0) -> pd.DataFrame:
    """Heavy-tailed int ids, few rating values (many equal similarities), repeated pairs."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / (np.arange(N_ITEMS) + 2.0)
    df = pd.DataFrame(
        {
            "user_id": 1000 + rng.integers(0, N_USERS, N_RATINGS),
            "artist_id": 5000 + rng.choice(N_ITEMS, N_RATINGS, p=pop / pop.sum()),
            "rating": rng.choice([0.0, 1.0, 2.0, 3.0, np.log2(5.0), 6.5], N_RATINGS),
        }
    )
    repeated = df.sample(40, random_state=seed).assign(rating=lambda d: d["rating"] + 0.5)
    return pd.concat([df, repeated]).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def make_pairs(train: pd.DataFrame, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs, unseen known pairs, and pairs with an unknown user and/or item."""
    rng = np.random.default_rng(seed)
    users = np.concatenate(
        [train["user_id"].to_numpy()[:100], rng.choice(train["user_id"].unique(), 300), [UNKNOWN_USER, UNKNOWN_USER, 1001]]
    )
    items = np.concatenate(
        [train["artist_id"].to_numpy()[:100], rng.choice(train["artist_id"].unique(), 300), [5000, UNKNOWN_ITEM, UNKNOWN_ITEM]]
    )
    return users.astype(np.int64), items.astype(np.int64)


@pytest.fixture(scope="module")
def data():
    train = make_train()
    users, items = make_pairs(train)
    return train, users, items


def surprise_fit(name: str, train: pd.DataFrame):
    """Surprise's own fit: Dataset.load_from_df in the DataFrame's order, build_full_trainset."""
    reader = Reader(rating_scale=SCALE)
    trainset = Dataset.load_from_df(train[["user_id", "artist_id", "rating"]], reader).build_full_trainset()
    return MODELS[name][1]().fit(trainset)


def surprise_test(algo, users, items) -> np.ndarray:
    """``algo.test()`` estimates; ids as Python scalars (a testset built from a DataFrame)."""
    users = users.tolist() if isinstance(users, np.ndarray) else list(users)
    items = items.tolist() if isinstance(items, np.ndarray) else list(items)
    return np.array([p.est for p in algo.test([(u, i, 0.0) for u, i in zip(users, items, strict=True)])])


def surprise_arrays(algo) -> dict:
    """The fitted arrays, read from the algorithm and its trainset (ir as CSR in ir order)."""
    ts = algo.trainset
    out = {
        name: getattr(algo, name) for name in ("bu", "bi", "pu", "qi", "sim", "means") if getattr(algo, name, None) is not None
    }
    if isinstance(algo, SVD) and not algo.biased:  # Surprise keeps zero biases: not fitted
        out.pop("bu"), out.pop("bi")
    if isinstance(algo, (KNNBasic, KNNWithMeans)):
        sizes = [len(ts.ir[i]) for i in range(ts.n_items)]
        out["ir_indptr"] = np.concatenate([[0], np.cumsum(sizes)])
        out["ir_users"] = np.array([v for i in range(ts.n_items) for v, _ in ts.ir[i]])
        out["ir_ratings"] = np.array([r for i in range(ts.n_items) for _, r in ts.ir[i]])
    return out


def assert_fit_equal(got, algo, exact: bool) -> None:
    ts = algo.trainset
    assert got.global_mean == ts.global_mean
    assert got.rating_scale == SCALE
    assert got.user_raw2inner == ts._raw2inner_id_users
    assert got.item_raw2inner == ts._raw2inner_id_items
    assert {type(k) for k in got.user_raw2inner} == {type(k) for k in ts._raw2inner_id_users}
    if isinstance(algo, (KNNBasic, KNNWithMeans)):
        assert (got.k, got.min_k) == (algo.k, algo.min_k)
    fitted = surprise_arrays(algo)
    rows = None
    if isinstance(algo, (KNNBasic, KNNWithMeans)):  # the native fit keeps no dense similarity
        assert got.sim is None and got.min_support == algo.sim_options.get("min_support", 1)
        rows = knn_stream.similarity_rows(got.trainset, got.min_support, np.arange(got.n_users))
    for name, want in fitted.items():
        have = rows if name == "sim" else getattr(got, name)
        assert have is not None and have.shape == want.shape, name
        if exact:
            assert np.array_equal(have, want), name
        else:
            assert np.abs(have - want).max() <= RELAXED_BOUND, name
    held = {name for name in ("bu", "bi", "pu", "qi", "sim", "means") if getattr(got, name, None) is not None}
    assert held | ({"sim"} if rows is not None else set()) == set(fitted) - {
        "ir_indptr",
        "ir_users",
        "ir_ratings",
    }


@pytest.mark.parametrize("name", list(MODELS))
def test_fit_and_predict_equal_surprise_bit_for_bit(data, name):
    """Baseline and kNN with the defaults, SVD / MF with exact=True: Surprise's bits."""
    train, users, items = data
    algo = surprise_fit(name, train)
    got = native.fit(MODELS[name][0], SEED, train, SCALE, exact=name in FACTOR_MODELS)
    assert_fit_equal(got, algo, exact=True)
    est = native.predict_pairs(got, users, items)
    assert est.dtype == np.float64
    assert np.array_equal(est, surprise_test(algo, users, items))


@pytest.mark.parametrize("name", FACTOR_MODELS)
def test_relaxed_svd_is_within_the_bound(data, name):
    """The default (fastmath) SGD kernel: factors and estimates within RELAXED_BOUND."""
    train, users, items = data
    algo = surprise_fit(name, train)
    got = native.fit(MODELS[name][0], SEED, train, SCALE)
    assert_fit_equal(got, algo, exact=False)
    est = native.predict_pairs(got, users, items)
    assert np.abs(est - surprise_test(algo, users, items)).max() <= RELAXED_BOUND


@pytest.mark.parametrize("name", list(MODELS))
def test_predict_pairs_of_surprise_fit_equals_test(data, name):
    """predict_pairs on Surprise's own fitted model (its arrays, read here) gives algo.test()."""
    train, users, items = data
    algo = surprise_fit(name, train)
    ts = algo.trainset
    kind = {
        "BaselineOnly": "baseline",
        "KNNBasic": "knn_basic",
        "KNNWithMeans": "knn_means",
        "SVD": "svd" if getattr(algo, "biased", True) else "mf",
    }[type(algo).__name__]
    extra = dict(k=algo.k, min_k=algo.min_k) if kind.startswith("knn") else {}
    params = ScoringParams(
        kind=kind,
        global_mean=ts.global_mean,
        rating_scale=ts.rating_scale,
        user_raw2inner=ts._raw2inner_id_users,
        item_raw2inner=ts._raw2inner_id_items,
        **surprise_arrays(algo),
        **extra,
    )
    assert np.array_equal(native.predict_pairs(params, users, items), surprise_test(algo, users, items))


def test_estimates_are_clipped_to_the_scale(data):
    train, users, items = data
    for name, (spec, _) in MODELS.items():
        est = native.predict_pairs(native.fit(spec, SEED, train, SCALE), users, items)
        assert est.min() >= SCALE[0] and est.max() <= SCALE[1], name
    # the data reach both ends (ratings 0 and 6.5 > 6): clipping is exercised
    est = native.predict_pairs(native.fit(MODELS["knn_basic_k3_mink2"][0], SEED, train, SCALE), users, items)
    assert (est == SCALE[0]).any() and (est == SCALE[1]).any()


def test_unknown_ids_get_surprise_fallbacks(data):
    train, _, _ = data
    users = np.array([UNKNOWN_USER, 1001, UNKNOWN_USER])
    items = np.array([5000, UNKNOWN_ITEM, UNKNOWN_ITEM])
    for name, (spec, _) in MODELS.items():
        params = native.fit(spec, SEED, train, SCALE, exact=True)
        expected = surprise_test(surprise_fit(name, train), users, items)
        assert np.array_equal(native.predict_pairs(params, users, items), expected), name


def test_string_ids_and_list_input():
    train = make_train(5)
    train["artist_id"] = "a" + train["artist_id"].astype(str)
    params = native.fit(MODELS["knn_basic_k3_mink2"][0], SEED, train, SCALE)
    users = train["user_id"].tolist()[:50] + [1]
    items = train["artist_id"].tolist()[50:100] + ["a5000"]
    expected = surprise_test(surprise_fit("knn_basic_k3_mink2", train), users, items)
    assert np.array_equal(native.predict_pairs(params, users, items), expected)
    # the same ids as arrays, a Series, and an int id where a str is expected (unknown)
    assert np.array_equal(native.predict_pairs(params, pd.Series(users), np.array(items)), expected)
    assert native.predict_pairs(params, [users[0]], [5000])[0] == params.global_mean


@pytest.mark.parametrize("seed,n,loc,scale", [(0, 1, 0.0, 0.1), (7, 1001, 0.5, 2.0), (2**32 - 1, 40_000, -1.0, 0.3)])
def test_normal_draws_equal_randomstate(seed, n, loc, scale):
    rng = np.random.RandomState(seed)
    first, second = rng.normal(loc, scale, size=(n, 3)), rng.normal(loc, scale, size=(5, 3))
    got_first, got_second = normal_init(seed, n, 3, 5, loc, scale)
    assert np.array_equal(got_first, first) and np.array_equal(got_second, second)
    # allocated by numpy (which advises huge pages for large arrays), not by numba
    assert got_first.base is got_second.base and got_first.base.flags.owndata
    assert type(got_first.base) is np.ndarray


@pytest.mark.parametrize(
    "sim_options,field",
    [
        ({"name": "pearson"}, "name"),
        ({"name": "cosine", "user_based": True}, "name"),
        ({"name": "msd", "user_based": False}, "user_based"),
        ({"name": "msd", "min_support": 0}, "min_support"),
    ],
)
def test_validate_native_rejects_what_it_cannot_fit(sim_options, field):
    spec = {"algorithm": "KNNWithMeans", "params": {"k": 20, "sim_options": sim_options}}
    with pytest.raises(InputError, match=rf"^config models\.m\.params\.sim_options\.{field}"):
        native.validate_native(spec, "models.m")
    with pytest.raises(InputError):
        native.fit(spec, SEED, make_train(), SCALE)


def test_validate_native_accepts_the_supported_models():
    for spec, _ in MODELS.values():
        native.validate_native(spec, "models.m")


def test_estimate_memory_follows_the_model():
    svd = MODELS["svd"][0]
    small = native_memory_gb(svd, 100, 100, 1000)
    assert 0 < small < native_memory_gb(svd, 100, 100, 10**6)
    # kNN: no dense n_users x n_users similarity (20 GB at 50,000 users), a block of its rows
    # (64 x n_users, float64) and the ratings
    knn = native_memory_gb(MODELS["knn_basic"][0], 50_000, 1000, 10**6)
    assert 8 * 64 * 50_000 / 1e9 < knn < 0.2
    assert native_memory_gb(MODELS["knn_basic"][0], 50_000, 1000, 2 * 10**6) > knn


@pytest.mark.parametrize("biased", [True, False])
def test_relaxed_kernel_with_an_item_rated_twice_in_a_row(biased):
    """The relaxed SGD kernel sums the next rating's dot product while it updates this rating's
    factors; a user who rated the same item twice in a row (a Surprise dataset may hold repeated
    rows) must see the updated item factors, as in the exact kernel's (Surprise's) order."""
    from lfmrec.native.svd import svd_sgd_exact, svd_sgd_relaxed

    rng = np.random.default_rng(7)
    ur_ptr = np.array([0, 4, 7, 7, 10])  # user 2 has no rating
    ur_items = np.array([3, 3, 1, 1, 0, 2, 2, 3, 3, 3])  # repeats within every user
    ur_ratings = rng.uniform(0.0, 5.0, ur_items.size)
    start = (rng.normal(0, 0.1, (4, 6)), rng.normal(0, 0.1, (4, 6)))
    got = []
    for kernel in (svd_sgd_exact, svd_sgd_relaxed):
        bu, bi, pu, qi = np.zeros(4), np.zeros(4), start[0].copy(), start[1].copy()
        kernel(
            ur_ptr,
            ur_items,
            ur_ratings,
            bu,
            bi,
            pu,
            qi,
            5,
            2.5 if biased else 0.0,
            biased,
            0.05,
            0.05,
            0.05,
            0.05,
            0.02,
            0.02,
            0.02,
            0.02,
        )
        got.append((bu, bi, pu, qi))
    for exact, relaxed in zip(*got, strict=True):
        assert np.abs(exact - relaxed).max() <= RELAXED_BOUND
    # a kernel that kept the dot product from before the repeat's update would be far off
    assert np.abs(got[0][3] - start[1]).max() > 1e-3


@pytest.mark.parametrize(
    ("ids", "table"),
    [
        ([7, 3, 7, 0, 3, 1999, 12], True),  # ids below 4 per value (500 values): through the table
        ([7, 3, 7, 0, 3, 2000, 12], False),  # a table larger than that: pandas
        ([5, 2**26, 5, 1], False),  # beyond any table
        ([4, -1, 4, 9], False),  # negative
    ],
)
def test_trainset_factorize_is_pandas_first_appearance_order(ids, table, monkeypatch):
    from lfmrec.native import trainset

    calls = []
    real = trainset._first_appearance
    monkeypatch.setattr(trainset, "_first_appearance", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(len(ids))
    column = pd.Series(np.asarray(ids, np.int64)[rng.integers(0, len(ids), 500)])
    codes, raw2inner = trainset.factorize(column, "user_id")
    assert bool(calls) == table
    want_codes, uniques = pd.factorize(column, sort=False)
    assert codes.dtype == np.int32 and np.array_equal(codes, want_codes)
    assert list(raw2inner.items()) == list(zip(uniques.tolist(), range(len(uniques)), strict=True))
    assert all(type(k) is int for k in raw2inner)  # Python ints, as Surprise's dict keys

"""lfmrec.native: fits and predictions equal Surprise's (fit on cv.build_trainset, algo.test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lfmrec import native
from lfmrec.cv import build_trainset, rmse_mae
from lfmrec.errors import InputError
from lfmrec.models import build_algorithm
from lfmrec.scoring import params_from_surprise

TOL = 1e-9
SEED = 3
SCALE = (0.0, 6.0)
N_USERS, N_ITEMS, N_RATINGS = 70, 90, 700
UNKNOWN_USER, UNKNOWN_ITEM = 999_999, 888_888

MODELS = {
    "baseline_als": {"algorithm": "BaselineOnly",
                     "params": {"bsl_options": {"method": "als", "n_epochs": 4, "reg_u": 3,
                                                "reg_i": 2.5}}},
    "baseline_sgd": {"algorithm": "BaselineOnly",
                     "params": {"bsl_options": {"method": "sgd", "n_epochs": 6, "reg": 0.05,
                                                "learning_rate": 0.01}}},
    "svd": {"algorithm": "SVD",
            "params": {"n_factors": 7, "n_epochs": 6, "init_mean": 0.05, "init_std_dev": 0.2,
                       "lr_all": 0.01, "reg_all": 0.03, "lr_bi": 0.02, "reg_pu": 0.1,
                       "lr_qi": 0.007, "reg_bu": 0.0}},
    "mf": {"algorithm": "SVD",
           "params": {"biased": False, "n_factors": 5, "n_epochs": 8, "lr_pu": 0.02,
                      "reg_qi": 0.05}},
    "knn_basic": {"algorithm": "KNNBasic", "params": {}},
    "knn_basic_k3_mink2": {"algorithm": "KNNBasic", "params": {"k": 3, "min_k": 2}},
    "knn_means_k2_mink3": {"algorithm": "KNNWithMeans", "params": {"k": 2, "min_k": 3}},
    "knn_means_support3": {"algorithm": "KNNWithMeans",
                           "params": {"k": 5, "sim_options": {"name": "msd", "user_based": True,
                                                              "min_support": 3}}},
}
ARRAYS = ("bu", "bi", "pu", "qi", "sim", "means", "ir_indptr", "ir_users", "ir_ratings")


def make_train(seed: int = 0) -> pd.DataFrame:
    """Heavy-tailed int ids, few rating values (many equal similarities), repeated pairs."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / (np.arange(N_ITEMS) + 2.0)
    df = pd.DataFrame({
        "user_id": 1000 + rng.integers(0, N_USERS, N_RATINGS),
        "artist_id": 5000 + rng.choice(N_ITEMS, N_RATINGS, p=pop / pop.sum()),
        "rating": rng.choice([0.0, 1.0, 2.0, 3.0, np.log2(5.0), 6.5], N_RATINGS),
    })
    repeated = df.sample(40, random_state=seed).assign(rating=lambda d: d["rating"] + 0.5)
    return pd.concat([df, repeated]).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def make_pairs(train: pd.DataFrame, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs, unseen known pairs, and pairs with an unknown user and/or item."""
    rng = np.random.default_rng(seed)
    users = np.concatenate([train["user_id"].to_numpy()[:100],
                            rng.choice(train["user_id"].unique(), 300),
                            [UNKNOWN_USER, UNKNOWN_USER, 1001]])
    items = np.concatenate([train["artist_id"].to_numpy()[:100],
                            rng.choice(train["artist_id"].unique(), 300),
                            [5000, UNKNOWN_ITEM, UNKNOWN_ITEM]])
    return users.astype(np.int64), items.astype(np.int64)


@pytest.fixture(scope="module")
def data():
    train = make_train()
    users, items = make_pairs(train)
    return train, users, items


def surprise_fit(spec: dict, train: pd.DataFrame):
    algo = build_algorithm(spec, SEED)
    algo.fit(build_trainset(train, SCALE))
    return algo


def surprise_test(algo, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    testset = [(u, i, 0.0) for u, i in zip(users.tolist(), items.tolist())]
    return np.array([p.est for p in algo.test(testset)])


@pytest.mark.parametrize("name", list(MODELS))
def test_fit_and_predict_match_surprise(data, name):
    train, users, items = data
    spec = MODELS[name]
    algo = surprise_fit(spec, train)
    ref = params_from_surprise(algo)
    got = native.fit(spec, SEED, train, SCALE)

    assert got.kind == ref.kind
    assert got.global_mean == ref.global_mean
    assert got.rating_scale == ref.rating_scale
    assert got.user_raw2inner == ref.user_raw2inner
    assert got.item_raw2inner == ref.item_raw2inner
    assert {type(k) for k in got.user_raw2inner} == {type(k) for k in ref.user_raw2inner} == {int}
    assert (got.k, got.min_k) == (ref.k, ref.min_k)
    for field in ARRAYS:
        a, b = getattr(ref, field), getattr(got, field)
        assert (a is None) == (b is None), field
        if a is not None:
            assert a.shape == b.shape, field
            np.testing.assert_allclose(b, a, rtol=0, atol=TOL, err_msg=field)

    expected = surprise_test(algo, users, items)
    for params in (got, ref):  # predict_pairs also scores Surprise's own fit
        est = native.predict_pairs(params, users, items)
        assert est.dtype == np.float64 and est.shape == expected.shape
        within = np.abs(est - expected) <= TOL
        if got.kind.startswith("knn"):
            assert within.mean() >= 0.999
            assert abs(rmse_mae(expected, est)[0] - rmse_mae(expected, expected)[0]) <= TOL
        else:
            assert within.all(), np.abs(est - expected).max()
    assert np.all(est >= SCALE[0]) and np.all(est <= SCALE[1])


@pytest.mark.parametrize("name", list(MODELS))
def test_fitted_arrays_are_bit_for_bit(data, name):
    """Same floating-point operations in the same order (repeated pairs included) -> same bits."""
    train, _, _ = data
    ref = params_from_surprise(surprise_fit(MODELS[name], train))
    got = native.fit(MODELS[name], SEED, train, SCALE, exact=True)
    for field in ARRAYS:
        if getattr(ref, field) is not None:
            assert np.array_equal(getattr(got, field), getattr(ref, field)), field


def test_unknown_ids_get_surprise_fallbacks(data):
    train, _, _ = data
    users = np.array([UNKNOWN_USER, 1001, UNKNOWN_USER])
    items = np.array([5000, UNKNOWN_ITEM, UNKNOWN_ITEM])
    for spec in MODELS.values():
        params = native.fit(spec, SEED, train, SCALE)
        expected = surprise_test(surprise_fit(spec, train), users, items)
        np.testing.assert_allclose(native.predict_pairs(params, users, items), expected,
                                   rtol=0, atol=TOL)


def test_string_ids_and_list_input():
    train = make_train(5)
    train["artist_id"] = "a" + train["artist_id"].astype(str)
    spec = MODELS["knn_basic_k3_mink2"]
    params = native.fit(spec, SEED, train, SCALE)
    users = train["user_id"].tolist()[:50] + [1]
    items = train["artist_id"].tolist()[50:100] + ["a5000"]
    expected = surprise_test(surprise_fit(spec, train), np.array(users), np.array(items,
                                                                                  dtype=object))
    np.testing.assert_allclose(native.predict_pairs(params, users, items), expected, rtol=0,
                               atol=TOL)


@pytest.mark.parametrize("seed,n,loc,scale", [(0, 1, 0.0, 0.1), (7, 1001, 0.5, 2.0),
                                              (2**32 - 1, 40_000, -1.0, 0.3)])
def test_normal_draws_equal_randomstate(seed, n, loc, scale):
    rng = np.random.RandomState(seed)
    first, second = rng.normal(loc, scale, size=(n, 3)), rng.normal(loc, scale, size=(5, 3))
    got_first, got_second = native._normal_init(seed, n, 3, 5, loc, scale)
    assert np.array_equal(got_first, first) and np.array_equal(got_second, second)


@pytest.mark.parametrize("sim_options,field", [
    ({"name": "pearson"}, "name"),
    ({"name": "cosine", "user_based": True}, "name"),
    ({"name": "msd", "user_based": False}, "user_based"),
    ({"name": "msd", "min_support": 0}, "min_support"),
])
def test_validate_native_rejects_what_it_cannot_fit(sim_options, field):
    spec = {"algorithm": "KNNWithMeans", "params": {"k": 20, "sim_options": sim_options}}
    with pytest.raises(InputError, match=rf"^config models\.m\.params\.sim_options\.{field}"):
        native.validate_native(spec, "models.m")
    with pytest.raises(InputError):
        native.fit(spec, SEED, make_train(), SCALE)


def test_validate_native_accepts_the_supported_models():
    for spec in MODELS.values():
        native.validate_native(spec, "models.m")


def test_estimate_memory_grows_with_the_model():
    small = native.estimate_memory_gb(MODELS["svd"], 100, 100, 1000)
    assert 0 < small < native.estimate_memory_gb(MODELS["svd"], 100, 100, 10**6)
    knn = native.estimate_memory_gb(MODELS["knn_basic"], 50_000, 1000, 10**6)
    assert knn > 9 * 50_000**2 / 1e9

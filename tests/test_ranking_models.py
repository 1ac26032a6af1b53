"""The implicit-feedback top-n models (lfmrec.ranking_models): their scores are what their libraries
rank by (implicit's own recommend(), or a closed form computed here with numpy), fits are
deterministic, and they pass through the CV fold, scoring and config checks like every model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import yaml
from helpers import ROOT

from lfmrec import ranking_models
from lfmrec.config import check_config, load_schema
from lfmrec.cv import metrics_table, run_fold
from lfmrec.errors import InputError
from lfmrec.families import fit_topn
from lfmrec.models import describe_params, is_topn
from lfmrec.resources import check_memory, estimate_memory_gb, fit_job_mb
from lfmrec.scoring import ScoringParams, iter_score_blocks, score, score_pairs
from lfmrec.topn import top_n

BASE_CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text())
SCHEMA = load_schema(ROOT / "config/schema.yaml")


def make_triples(n_users=40, n_items=60, density=0.15, seed=0) -> pd.DataFrame:
    """Random triples with raw ids that are not 0..n-1 (users 1000+7u, items 50+3i), shuffled;
    log2 playcounts with many 0s (played once); every user and item has a pair."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n_users, n_items)) < density
    mask[np.arange(n_users), rng.integers(0, n_items, n_users)] = True
    mask[rng.integers(0, n_users, n_items), np.arange(n_items)] = True
    u, i = np.nonzero(mask)
    plays = np.minimum(rng.zipf(1.8, u.size), 5000)
    df = pd.DataFrame({"user_id": 1000 + 7 * u, "artist_id": 50 + 3 * i, "rating": np.log2(plays.astype(float))})
    return df.iloc[rng.permutation(len(df))].reset_index(drop=True)


def all_scores(params, train):
    users = np.sort(train["user_id"].unique())
    items = np.sort(train["artist_id"].unique())
    return users, items, score(params, users, items, block_users=7)


def ranked(scores: np.ndarray, X: sp.csr_matrix, n: int) -> list[list[int]]:
    """Each row's top-n columns, training pairs excluded (the pipeline's lists)."""
    s = scores.copy()
    r, c = X.nonzero()
    s[r, c] = -np.inf
    rows, cols = top_n(s, n)
    return [cols[rows == k].tolist() for k in range(s.shape[0])]


# ------------------------------------------------------------------------------------------------
# ItemKNN: implicit's CosineRecommender


def cosine_topk_reference(X: np.ndarray, K: int) -> np.ndarray:
    """Written here with numpy: the cosine between item columns, and for each item j the K items
    with the largest cosine to it (j itself among them; only items sharing a user, as implicit
    visits only those; ties to the larger index, as implicit's heap of (value, index) pairs)."""
    norms = np.sqrt((X**2).sum(axis=0))
    Xn = X / norms
    C = Xn.T @ Xn
    overlap = (X > 0).astype(float).T @ (X > 0).astype(float) > 0
    S = np.zeros_like(C)
    for j in range(C.shape[0]):
        cand = np.flatnonzero(overlap[j])
        order = sorted(cand, key=lambda i: (C[j, i], i), reverse=True)[:K]
        S[j, order] = C[j, order]
    return S


@pytest.mark.parametrize("K", [3, 10, 1000])
def test_item_knn_scores_equal_x_times_cosine_top_k(K):
    train = make_triples()
    spec = {"algorithm": "ItemKNN", "params": {"K": K, "feedback": "log_plays"}}
    params = fit_topn(spec, 0, train)
    users, items, got = all_scores(params, train)
    X = params.interactions.toarray()
    # the matrix: 1 + log2 playcount at each training pair, users and items in raw-id order
    want_X = np.zeros_like(X)
    want_X[np.searchsorted(users, train["user_id"]), np.searchsorted(items, train["artist_id"])] = 1 + train["rating"]
    np.testing.assert_array_equal(X, want_X)
    S = cosine_topk_reference(X, K)
    assert params.item_item.nnz == np.count_nonzero(S)  # the same neighbours kept
    np.testing.assert_allclose(got, X @ S, rtol=1e-12, atol=1e-12)
    assert (np.count_nonzero(S, axis=1) <= K).all()
    if K == 3:
        assert (np.count_nonzero(S, axis=1) == 3).all()  # the truncation is exercised


@pytest.mark.filterwarnings("ignore::implicit.utils.ParameterWarning")  # implicit's own COO -> CSR, inside fit
def test_item_knn_ranks_as_implicits_recommend():
    from implicit.nearest_neighbours import CosineRecommender

    train = make_triples(seed=1)
    spec = {"algorithm": "ItemKNN", "params": {"K": 8, "feedback": "log_plays"}}
    params = fit_topn(spec, 0, train)
    _, _, scores = all_scores(params, train)
    X = params.interactions
    model = CosineRecommender(K=8, num_threads=1)
    model.fit(X, show_progress=False)
    ours = ranked(scores, X, 5)
    for u in range(X.shape[0]):
        ids, their_scores = model.recommend(u, X[u], N=5, filter_already_liked_items=True)
        keep = their_scores > 0  # implicit's already-liked items come back with score 0
        assert ours[u][: keep.sum()] == ids[keep].tolist(), u
        np.testing.assert_array_equal(scores[u, ids[keep]], their_scores[keep])  # the same sums, bit for bit


# ------------------------------------------------------------------------------------------------
# ALS: implicit's AlternatingLeastSquares


def test_als_is_implicits_model_and_ranks_as_its_recommend():
    from implicit.cpu.als import AlternatingLeastSquares

    train = make_triples(seed=2)
    spec = {
        "algorithm": "ALS",
        "params": {"factors": 6, "regularization": 0.05, "alpha": 5.0, "iterations": 4, "feedback": "log_plays"},
    }
    params = fit_topn(spec, 11, train)
    X, _, _ = ranking_models.interaction_matrix(train, "log_plays")
    model = AlternatingLeastSquares(factors=6, regularization=0.05, alpha=5.0, iterations=4, num_threads=1, random_state=11)
    model.fit(X.astype(np.float32), show_progress=False)
    assert model.user_factors.dtype == np.float32
    np.testing.assert_array_equal(params.pu, model.user_factors.astype(np.float64))
    np.testing.assert_array_equal(params.qi, model.item_factors.astype(np.float64))
    _, _, scores = all_scores(params, train)
    np.testing.assert_allclose(scores, params.pu @ params.qi.T, rtol=0, atol=1e-15)
    assert scores.min() < 0  # not clipped to a rating scale
    ours = ranked(scores, X, 10)
    for u in range(0, X.shape[0], 3):
        ids, _ = model.recommend(u, X[u], N=10, filter_already_liked_items=True)
        assert ours[u] == ids.tolist(), u


# ------------------------------------------------------------------------------------------------
# EASE: the closed form


@pytest.mark.parametrize("feedback, reg", [("binary", 3.0), ("log_plays", 50.0)])
def test_ease_scores_equal_the_closed_form(feedback, reg):
    train = make_triples(seed=3)
    params = fit_topn({"algorithm": "EASE", "params": {"reg": reg, "feedback": feedback}}, 0, train)
    _, _, scores = all_scores(params, train)
    X = params.interactions.toarray()
    assert set(np.unique(X)) == ({0.0, 1.0} if feedback == "binary" else set(np.unique(X)))
    # Steck (WWW 2019), written here: P = (X^T X + lambda I)^-1, B = I - P diagMat(1 / diag(P))
    P = np.linalg.inv(X.T @ X + reg * np.eye(X.shape[1]))
    B = np.eye(X.shape[1]) - P @ np.diag(1 / np.diag(P))
    assert np.abs(np.diag(B)).max() < 1e-12
    np.fill_diagonal(B, 0.0)
    np.testing.assert_allclose(params.item_item, B, rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores, X @ B, rtol=0, atol=1e-12)
    assert params.item_item.flags.c_contiguous


# ------------------------------------------------------------------------------------------------
# all three: determinism, unknown ids, pair scores, the CV fold


SPECS = {
    "itemknn": {"algorithm": "ItemKNN", "params": {"K": 5}},
    "als": {"algorithm": "ALS", "params": {"factors": 4, "iterations": 3}},
    "ease": {"algorithm": "EASE", "params": {"reg": 10.0}},
}


def same_params(a: ScoringParams, b: ScoringParams) -> bool:
    for name in ("pu", "qi", "item_item", "interactions"):
        x, y = getattr(a, name, None), getattr(b, name, None)
        if (x is None) != (y is None):
            return False
        if sp.issparse(x):
            x, y = x.toarray(), y.toarray()
        if x is not None and not np.array_equal(x, y):
            return False
    return a.user_raw2inner == b.user_raw2inner and a.item_raw2inner == b.item_raw2inner


@pytest.mark.parametrize("name", SPECS)
def test_the_same_config_and_seed_give_identical_params(name):
    train = make_triples(seed=4)
    first = fit_topn(SPECS[name], 3, train)
    again = fit_topn(SPECS[name], 3, train.sample(frac=1, random_state=1))  # row order does not matter
    assert same_params(first, again)
    if name == "als":
        assert not same_params(first, fit_topn(SPECS[name], 4, train))  # the seed does


@pytest.mark.parametrize("name", SPECS)
def test_unknown_ids_score_zero_and_pair_scores_match_the_blocks(name):
    train = make_triples(seed=5)
    params = fit_topn(SPECS[name], 0, train)
    users = np.array([1000, 99, 1007, 1014, 5])  # 99 and 5 are unknown
    items = np.array([50, 53, 7, 56, 59, 1])  # 7 and 1 are unknown
    got = score(params, users, items, block_users=2)
    assert (got[[1, 4]] == 0).all() and (got[:, [2, 5]] == 0).all()
    _, _, full = all_scores(params, train)
    known_u, known_i = [0, 2, 3], [0, 1, 3, 4]
    np.testing.assert_allclose(got[np.ix_(known_u, known_i)], full[np.ix_([0, 1, 2], [0, 1, 2, 3])], rtol=0, atol=1e-14)
    pu, pi = np.meshgrid(users, items, indexing="ij")
    pairs = score_pairs(params, pu.ravel(), pi.ravel(), block_users=2)
    np.testing.assert_allclose(pairs, got.ravel(), rtol=0, atol=1e-14)
    blocks = list(iter_score_blocks(params, users, items, 2))
    assert [s for s, _ in blocks] == [0, 2, 4] and all(b.dtype == np.float64 for _, b in blocks)


def test_a_top_n_fold_has_scores_and_no_rmse():
    triples = make_triples(seed=6)
    train, test = triples.iloc[:400], triples.iloc[400:]
    spec = SPECS["itemknn"]
    preds, metrics, params = run_fold(spec, 0, train, test, (0.0, 10.0))
    assert metrics["kind"] == "topn" and "rmse" not in metrics and "mae" not in metrics
    assert metrics["engine"] == "implicit" and metrics["n_train"] == 400 and metrics["n_test"] == len(test)
    assert list(preds.columns) == ["user_id", "artist_id", "rating", "score"]
    np.testing.assert_array_equal(preds["score"], score_pairs(params, test["user_id"].to_numpy(), test["artist_id"].to_numpy()))
    with pytest.raises(ValueError, match="top-n model"):
        metrics_table({"knn": [metrics]}, {"knn": spec})


# ------------------------------------------------------------------------------------------------
# registry: config, description, memory


def test_default_config_has_the_top_n_models_and_ease_and_full_scale_als_are_add_ons():
    topn = {name: spec["algorithm"] for name, spec in BASE_CONFIG["models"].items() if is_topn(spec)}
    assert sorted(topn.values()) == ["ALS", "ItemKNN"]
    ease = yaml.safe_load((ROOT / "config/ease.yaml").read_text())["models"]
    assert [spec["algorithm"] for spec in ease.values()] == ["EASE"]
    full = yaml.safe_load((ROOT / "config/full_scale.yaml").read_text())["models"]
    merged = {k: v for k, v in {**BASE_CONFIG["models"], **full}.items() if v is not None}
    assert sorted(merged) == sorted(m for m in BASE_CONFIG["models"] if not is_topn(BASE_CONFIG["models"][m]))
    assert len(merged) == 10  # all ten of the paper's models
    als = yaml.safe_load((ROOT / "config/full_scale_als.yaml").read_text())["models"]
    assert als == {"als_k128": BASE_CONFIG["models"]["als_k128"]}


def test_describe_params_names_the_algorithm_and_every_parameter():
    assert describe_params({"algorithm": "ItemKNN", "params": {"K": 50}}) == "ItemKNN: K=50, feedback=binary"
    assert (
        describe_params({"algorithm": "ALS"})
        == "ALS: factors=100, regularization=0.01, alpha=1.0, iterations=15, feedback=binary"
    )  # implicit's defaults
    assert describe_params({"algorithm": "EASE", "params": {"reg": 500}}) == "EASE: reg=500, feedback=binary"


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"algorithm": "EASE", "params": {"reg": 0}}, "config models.m.params.reg: 0 is less than or equal to the minimum of 0"),
        (
            {"algorithm": "ALS", "params": {"factor": 16}},
            "config models.m.params.factor: is not a known key (fix: did you mean 'factors'?)",
        ),
        ({"algorithm": "ALS", "params": {"iterations": 0}}, "config models.m.params.iterations: 0 is less than the minimum of 1"),
        (
            {"algorithm": "ItemKNN", "params": {"k": 50}},
            "config models.m.params.k: is not a known key (fix: valid keys: K, feedback)",
        ),
        (
            {"algorithm": "ItemKNN", "params": {"feedback": "plays"}},
            "config models.m.params.feedback: 'plays' is not valid (fix: use one of binary, log_plays)",
        ),
        (
            {"algorithm": "ItemKNN", "engine": "native"},
            "config models.m.engine: does not apply to ItemKNN (fix: remove the key: ItemKNN is fitted by implicit)",
        ),
    ],
)
def test_config_rejects_bad_top_n_params_in_one_line(spec, message):
    with pytest.raises(InputError) as err:
        check_config({**BASE_CONFIG, "models": {"m": spec}}, SCHEMA)
    assert str(err.value) == message


def test_config_accepts_every_top_n_parameter():
    models = {
        "a": {"algorithm": "ItemKNN", "params": {"K": 10, "feedback": "log_plays"}},
        "b": {
            "algorithm": "ALS",
            "params": {"factors": 8, "regularization": 0.1, "alpha": 1, "iterations": 5, "feedback": "binary"},
        },
        "c": {"algorithm": "EASE", "params": {"reg": 250.5, "feedback": "binary"}},
    }
    assert check_config({**BASE_CONFIG, "models": models}, SCHEMA)["models"] == models


def test_ease_is_refused_at_full_scale_and_fits_the_default_sample():
    ease = {"algorithm": "EASE", "params": {"reg": 100}}
    # at least the dense items x items float64 matrix it inverts in place
    assert estimate_memory_gb(ease, 2_249, 7_976, 51_186) >= 8 * 7_976**2 / 1e9
    full = pd.DataFrame({"user_id": np.arange(581_417) % 55_110, "artist_id": np.arange(581_417), "rating": 1.0})
    with pytest.raises(InputError) as err:
        check_memory(ease, full, 16, "models.ease_l100")
    text = str(err.value)
    need = float(text.split("needs about ")[1].split(" GB")[0])
    assert need > 8 * 581_417**2 / 1e9  # terabytes
    assert text.startswith("config models.ease_l100: needs about ") and "\n" not in text
    assert text.endswith(
        "more than resources.max_memory_gb = 16 with the numpy engine "
        "(fix: drop EASE at this scale (a dense artists x artists matrix) or sample fewer artists)"
    )
    default = pd.DataFrame({"user_id": np.arange(51_186) % 2_249, "artist_id": np.arange(51_186) % 7_976, "rating": 1.0})
    check_memory(ease, default, 20, "models.ease_l100")  # the default sample: about 1.2 GB
    assert fit_job_mb(ease, 2_249, 7_976, 51_186) < 2_000
    for spec in ({"algorithm": "ItemKNN", "params": {"K": 200}}, {"algorithm": "ALS", "params": {"factors": 64}}):
        check_memory(spec, full, 16, "models.x")  # ItemKNN and ALS run at full scale
        # and their estimates grow with the data
        assert fit_job_mb(spec, 55_110, 581_417, 28_400_000) > fit_job_mb(spec, 2_249, 7_976, 51_186)

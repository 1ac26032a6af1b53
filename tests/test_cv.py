"""Phase 1: folds, the model registry, per-fold metrics equal to Surprise's, and the metrics table."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import random_triples as shared_triples
from surprise import SVD, BaselineOnly, Dataset, KNNBasic, KNNWithMeans, Reader, accuracy

from lfmrec.config import load_schema
from lfmrec.cv import assign_folds, metrics_markdown, metrics_table, rating_scale, run_fold, run_knn_fold, split
from lfmrec.errors import InputError
from lfmrec.models import similarity_groups

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(ROOT / "config/schema.yaml")
BASE_CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text())


def random_triples(n_users=60, n_items=80, n=700, seed=0):
    return shared_triples(np.random.default_rng(seed), n_users, n_items, n)


def test_folds_cover_every_triple_once_with_balanced_sizes():
    t = random_triples(n=703)
    f = assign_folds(t, 5, seed=1)
    assert len(f) == 703
    assert f.merge(t, on=["user_id", "artist_id"]).shape[0] == 703
    sizes = f["fold"].value_counts().sort_index().tolist()
    assert sizes == [141, 141, 141, 140, 140]
    assert assign_folds(t, 5, seed=1).equals(f)
    other = assign_folds(t, 5, seed=2).merge(f, on=["user_id", "artist_id"], suffixes=("_2", "_1"))
    assert (other["fold_2"] != other["fold_1"]).mean() > 0.5  # another seed, another assignment


@pytest.mark.parametrize("k, message", [(1, "is 1, must be at least 2"), (11, "is 11 but there are only 10 triples")])
def test_fold_count_errors(k, message):
    with pytest.raises(InputError, match=f"config cv.n_folds: {message}"):
        assign_folds(random_triples(n=10), k, seed=0)


def test_split_partitions_the_triples():
    t = random_triples()
    f = assign_folds(t, 5, seed=3)
    train, test = split(t, f, 2)
    assert len(train) + len(test) == len(t)
    assert len(test) == (f["fold"] == 2).sum()
    assert train.merge(test, on=["user_id", "artist_id"]).empty
    # both parts keep the folds file's order, with each pair's own rating
    for part, mask in ((train, f["fold"] != 2), (test, f["fold"] == 2)):
        want = f[mask].merge(t, on=["user_id", "artist_id"], how="left", sort=False)
        np.testing.assert_array_equal(part[["user_id", "artist_id"]].to_numpy(), f.loc[mask, ["user_id", "artist_id"]].to_numpy())
        np.testing.assert_array_equal(part["rating"].to_numpy(), want["rating"].to_numpy())


def test_split_without_or_with_wrong_rows_matches_the_pairs():
    """The folds' ``row`` column is the match when it points at the pairs; a folds file without it
    (an older run's) or with rows that point elsewhere is matched by the pairs: the same split."""
    t = random_triples()
    f = assign_folds(t, 5, seed=3)
    assert np.array_equal(t["user_id"].to_numpy()[f["row"]], f["user_id"].to_numpy())
    want = split(t, f, 2)
    wrong = f.assign(row=np.roll(f["row"].to_numpy(), 1))
    beyond = f.assign(row=f["row"] + len(t))
    for other in (f.drop(columns="row"), wrong, beyond):
        for a, b in zip(want, split(t, other, 2), strict=True):
            pd.testing.assert_frame_equal(a, b)


def test_split_with_a_folds_file_that_does_not_list_every_pair():
    t = random_triples()
    f = assign_folds(t, 5, seed=3)
    sub = f.iloc[::3].reset_index(drop=True)  # the fallback route: a subset, still shuffled
    train, test = split(t, sub, 1)
    assert len(train) + len(test) == len(sub)
    got = pd.concat([train, test]).merge(t, on=["user_id", "artist_id"], suffixes=("", "_t"))
    assert len(got) == len(sub) and (got["rating"] == got["rating_t"]).all()
    bad = sub.copy()
    bad.loc[0, "artist_id"] = 10**9
    with pytest.raises(InputError, match="lists pairs that are not in the triples"):
        split(t, bad, 1)


# Each config entry with the Surprise algorithm the test builds itself (not through lfmrec.models).
CASES = [
    (
        {"algorithm": "BaselineOnly", "params": {"bsl_options": {"method": "als"}}},
        lambda: BaselineOnly(bsl_options={"method": "als"}, verbose=False),
    ),
    (
        {"algorithm": "SVD", "params": {"biased": False, "n_factors": 5, "n_epochs": 5}},
        lambda: SVD(biased=False, n_factors=5, n_epochs=5, random_state=7, verbose=False),
    ),
    (
        {"algorithm": "SVD", "params": {"biased": True, "n_factors": 5, "n_epochs": 5}},
        lambda: SVD(biased=True, n_factors=5, n_epochs=5, random_state=7, verbose=False),
    ),
    (
        {"algorithm": "KNNBasic", "params": {"k": 5, "sim_options": {"name": "msd", "user_based": True}}},
        lambda: KNNBasic(k=5, sim_options={"name": "msd", "user_based": True}, verbose=False),
    ),
    (
        {"algorithm": "KNNWithMeans", "params": {"k": 5, "sim_options": {"name": "msd", "user_based": True}}},
        lambda: KNNWithMeans(k=5, sim_options={"name": "msd", "user_based": True}, verbose=False),
    ),
]


@pytest.mark.parametrize("spec, surprise_algo", CASES)
@pytest.mark.parametrize("engine", ["surprise", "native"])
def test_fold_metrics_equal_surprise_accuracy(spec, surprise_algo, engine):
    """run_fold's predictions and RMSE/MAE equal Surprise's own route, written here with
    Surprise's Dataset, Reader, algorithm and accuracy: bit for bit with either engine (the native
    SVD within 1e-13: its default kernel sums dot products in SIMD partial sums)."""
    t = random_triples()
    f = assign_folds(t, 5, seed=4)
    train, test = split(t, f, 0)
    scale = rating_scale(t)
    assert scale == (0.0, float(t["rating"].max()))
    preds, metrics, _ = run_fold({**spec, "engine": engine}, 7, train, test, scale)
    trainset = Dataset.load_from_df(train[["user_id", "artist_id", "rating"]], Reader(rating_scale=scale)).build_full_trainset()
    algo = surprise_algo().fit(trainset)
    theirs = algo.test(list(zip(test["user_id"].tolist(), test["artist_id"].tolist(), test["rating"].tolist(), strict=True)))
    est = np.array([p.est for p in theirs])
    tol = 1e-13 if engine == "native" and spec["algorithm"] == "SVD" else 0.0
    assert np.abs(preds["est"].to_numpy() - est).max() <= tol
    assert abs(metrics["rmse"] - accuracy.rmse(theirs, verbose=False)) <= tol
    assert abs(metrics["mae"] - accuracy.mae(theirs, verbose=False)) <= tol
    assert metrics["n_train"] == len(train) and metrics["n_test"] == len(test)
    assert preds["est"].between(*scale).all()
    assert metrics["rmse"] >= metrics["mae"] > 0


@pytest.mark.parametrize("threads", [1, 2])
def test_knn_group_fold_equals_surprise_model_by_model(threads):
    """One shared similarity for a k sweep of KNNBasic / KNNWithMeans (lfmrec.cv.run_knn_fold):
    each model's predictions, RMSE/MAE and pickled parameters as Surprise's own fit of that model
    alone (written here), bit for bit, in one thread or two."""
    t = random_triples()
    f = assign_folds(t, 5, seed=4)
    train, test = split(t, f, 1)
    scale = rating_scale(t)
    msd = {"name": "msd", "user_based": True}
    specs = {
        "basic_k5": {"algorithm": "KNNBasic", "engine": "native", "params": {"k": 5, "sim_options": msd}},
        "means_k3": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"k": 3, "sim_options": msd}},
        "means_k8": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"k": 8, "min_k": 2, "sim_options": msd}},
    }
    theirs = {
        "basic_k5": KNNBasic(k=5, sim_options=msd, verbose=False),
        "means_k3": KNNWithMeans(k=3, sim_options=msd, verbose=False),
        "means_k8": KNNWithMeans(k=8, min_k=2, sim_options=msd, verbose=False),
    }
    got = run_knn_fold(specs, train, test, scale, threads=threads)
    trainset = Dataset.load_from_df(train[["user_id", "artist_id", "rating"]], Reader(rating_scale=scale)).build_full_trainset()
    pairs = list(zip(test["user_id"].tolist(), test["artist_id"].tolist(), test["rating"].tolist(), strict=True))
    for name, algo in theirs.items():
        preds, metrics, params = got[name]
        predictions = algo.fit(trainset).test(pairs)
        assert np.array_equal(preds["est"].to_numpy(), [p.est for p in predictions]), name
        assert metrics["rmse"] == accuracy.rmse(predictions, verbose=False)
        assert metrics["mae"] == accuracy.mae(predictions, verbose=False)
        assert metrics["similarity_shared_by"] == 3
        assert (params.k, params.min_k, params.sim) == (algo.k, algo.min_k, None)  # no dense similarity kept
        alone, _, _ = run_fold(specs[name], 7, train, test, scale)
        pd.testing.assert_frame_equal(alone, preds)
    with pytest.raises(ValueError, match="one min_support"):
        run_knn_fold({**specs, "x": {"algorithm": "KNNBasic", "params": {"sim_options": {"min_support": 2}}}}, train, test, scale)


def test_similarity_groups():
    msd = {"name": "msd", "user_based": True}
    models = {
        "a": {"algorithm": "KNNBasic", "engine": "native", "params": {"k": 40, "sim_options": msd}},
        "b": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"k": 20}},
        "c": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"sim_options": {**msd, "min_support": 2}}},
        "d": {"algorithm": "KNNWithMeans", "engine": "surprise", "params": {"k": 20}},
        "e": {"algorithm": "SVD", "engine": "native"},
        "f": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"sim_options": {"min_support": 2}}},
        "g": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"sim_options": {"min_support": 3}}},
    }
    assert similarity_groups(models) == {"knn_msd": ["a", "b"], "knn_msd_support2": ["c", "f"]}
    assert similarity_groups(models, exclude={"b"}) == {"knn_msd_support2": ["c", "f"]}


def test_metrics_table_layout():
    per_fold = {
        "baseline": [{"rmse": 1.0 + k / 10, "mae": 0.5} for k in range(5)],
        "mf_k20": [{"rmse": 2.0, "mae": 1.0 + k} for k in range(5)],
    }
    models = {
        "baseline": {"algorithm": "BaselineOnly"},
        "mf_k20": {"algorithm": "SVD", "params": {"n_factors": 20, "biased": False}},
    }
    table = metrics_table(per_fold, models)
    assert list(table.columns) == ["model", "params", "metric", "fold_1", "fold_2", "fold_3", "fold_4", "fold_5", "mean", "std"]
    assert table[["model", "metric"]].values.tolist() == [
        ["baseline", "RMSE"],
        ["baseline", "MAE"],
        ["mf_k20", "RMSE"],
        ["mf_k20", "MAE"],
    ]
    assert table.loc[0, "fold_3"] == pytest.approx(1.2) and table.loc[0, "mean"] == pytest.approx(1.2)
    assert table.loc[0, "std"] == pytest.approx(np.std([1.0, 1.1, 1.2, 1.3, 1.4], ddof=1))
    assert table.loc[3, "mean"] == pytest.approx(3.0)
    md = metrics_markdown(table)
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in md.splitlines()]
    assert cells[0][:4] == ["model", "params", "metric", "fold_1"]
    assert set(cells[1][0]) <= {":", "-"}  # the header rule
    assert cells[5][:5] == ["mf_k20", "SVD: unbiased, k=20, lr=0.005, reg=0.02, epochs=20", "MAE", "1.0000", "2.0000"]
    assert cells[5][-2:] == ["3.0000", f"{np.std([1, 2, 3, 4, 5], ddof=1):.4f}"]

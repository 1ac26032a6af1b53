"""Uncertainty of the held-out results (lfmrec.stats) and the paper side by side (lfmrec.paper),
against hand-worked values and exact enumerations written here."""

from itertools import product

import numpy as np
import pandas as pd
import pytest

from lfmrec import paper, stats


def test_holm_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> monotone 0.02, 0.03, 0.06, 0.06
    np.testing.assert_allclose(stats.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(stats.holm([0.5, np.nan, 0.6]), [1.0, np.nan, 1.0])  # capped at 1; NaN not counted
    assert stats.holm([]).size == 0


def exact_sign_flip_p(d):
    """Two-sided p of the paired randomization test by enumerating every sign assignment."""
    d = np.asarray(d, float)
    observed = abs(d.mean())
    flips = [abs((np.array(s) * d).mean()) for s in product([1, -1], repeat=d.size)]
    return np.mean(np.array(flips) >= observed - 1e-12)


def exact_wilcoxon_p(d):
    """Two-sided exact Wilcoxon signed-rank p (no zeros, no ties in |d|) by enumeration."""
    d = np.asarray(d, float)
    ranks = np.argsort(np.argsort(np.abs(d))) + 1
    w_plus = ranks[d > 0].sum()
    sums = np.array([sum(r for r, s in zip(ranks, signs, strict=True) if s) for signs in product([0, 1], repeat=d.size)])
    low = min(w_plus, ranks.sum() - w_plus)
    return min(1.0, 2 * np.mean(sums <= low))


def test_paired_test_by_hand():
    a = np.array([0.5, 0.4, 0.9, 0.3, 0.8, 0.1, 0.7])
    b = np.array([0.2, 0.45, 0.1, 0.01, 0.2, 0.0, 0.05])
    d = a - b  # 0.3, -0.05, 0.8, 0.29, 0.6, 0.1, 0.65: distinct |d|, one negative
    res = stats.paired_test(a, b, 999, np.random.default_rng(0))
    assert res["diff"] == pytest.approx(d.mean())
    assert res["d_z"] == pytest.approx(d.mean() / d.std(ddof=1))
    # 2^7 = 128 sign assignments < 999 resamples: scipy enumerates them, exactly
    assert res["randomization_p"] == pytest.approx(exact_sign_flip_p(d))
    assert res["wilcoxon_p"] == pytest.approx(exact_wilcoxon_p(d))
    # |d| ranks: 0.05 -> 1 (the only negative), others 2..7: W+ = 27, W- = 1
    assert res["rank_biserial"] == pytest.approx((27 - 1) / 28)
    assert res["ci_low"] < d.mean() < res["ci_high"]


def test_paired_test_of_identical_values_is_no_difference():
    x = np.array([0.1, 0.2, 0.0, 0.5])
    res = stats.paired_test(x, x.copy(), 199, np.random.default_rng(0))
    assert res == {
        "diff": 0.0,
        "ci_low": 0.0,
        "ci_high": 0.0,
        "wilcoxon_p": 1.0,
        "randomization_p": 1.0,
        "d_z": 0.0,
        "rank_biserial": 0.0,
    }


def test_significance_table_corrects_per_metric_and_is_seeded():
    rng = np.random.default_rng(1)
    users = pd.Index(np.arange(200), name="user_id")
    base = rng.random(200)
    values = {
        m: pd.DataFrame(
            {"ndcg": np.clip(base + shift + rng.normal(0, 0.05, 200), 0, 1), "recall": np.clip(base + shift, 0, 1)}, index=users
        )
        for m, shift in (("a", 0.0), ("b", 0.1), ("c", 0.001))
    }
    t = stats.significance_table(values, 999, 0)
    assert t[["metric", "model_a", "model_b"]].values.tolist() == [
        ["ndcg@n", "a", "b"],
        ["ndcg@n", "a", "c"],
        ["ndcg@n", "b", "c"],
        ["recall@n", "a", "b"],
        ["recall@n", "a", "c"],
        ["recall@n", "b", "c"],
    ]
    for _metric, rows in t.groupby("metric"):
        np.testing.assert_allclose(rows["wilcoxon_p_holm"], stats.holm(rows["wilcoxon_p"]))
    assert t.set_index(["metric", "model_a", "model_b"]).loc[("ndcg@n", "a", "b"), "significant"]
    pd.testing.assert_frame_equal(t, stats.significance_table(values, 999, 0))  # same seed, same table


def test_pooled_rmse_and_its_cluster_bootstrap():
    # user 1: errors 1, 1 (se 2, n 2); user 2: error 3 (se 9, n 1); user 3: errors 0, 0, 0
    pred = pd.DataFrame(
        {"user_id": [1, 1, 2, 3, 3, 3], "rating": [2.0, 3.0, 5.0, 1.0, 1.0, 1.0], "est": [1.0, 2.0, 2.0, 1.0, 1.0, 1.0]}
    )
    per_user = stats.user_errors(pred["user_id"], pred["rating"] - pred["est"])
    assert per_user.index.tolist() == [1, 2, 3]
    assert per_user.to_numpy().tolist() == [[2.0, 2.0, 2.0], [9.0, 3.0, 1.0], [0.0, 0.0, 3.0]]  # se, ae, n
    t = stats.error_intervals({"m": per_user}, 999, 0).set_index("metric")
    assert t.loc["RMSE", "pooled"] == pytest.approx(np.sqrt(11 / 6))
    assert t.loc["MAE", "pooled"] == pytest.approx(5 / 6)
    # resampled users: the RMSE lies between the best and the worst user's, 0 and 3
    assert 0 <= t.loc["RMSE", "ci_low"] <= np.sqrt(11 / 6) <= t.loc["RMSE", "ci_high"] <= 3
    assert t.loc["RMSE", "users"] == 3


def test_error_intervals_are_scipys_cluster_bootstrap():
    """Every model's RMSE / MAE interval is scipy.stats.bootstrap's (paired over users, percentile,
    batches of stats.BATCH) of the pooled error, with the generator of the models' group: the models
    over the same users share it, a model over other users has its own from the same seed."""
    from scipy import stats as scipy_stats

    rng = np.random.default_rng(3)
    n_users = 700
    per_user = {}
    for model, users in (("a", n_users), ("b", n_users), ("c", 90)):
        n = rng.integers(1, 6, users).astype(float)
        se = rng.gamma(2.0, 1.0, users) * n
        per_user[model] = pd.DataFrame({"se": se, "ae": np.sqrt(se) * rng.random(users), "n": n}, index=np.arange(users) * 3)
    n_resamples = 600  # three batches of 256, the last one short
    t = stats.error_intervals(per_user, n_resamples, 11).set_index(["model", "metric"])
    for model, d in per_user.items():
        for metric, col, root in (("RMSE", "se", True), ("MAE", "ae", False)):

            def statistic(s, k, axis=-1, root=root):
                v = s.sum(axis=axis) / k.sum(axis=axis)
                return np.sqrt(v) if root else v

            ref = scipy_stats.bootstrap(
                (d[col].to_numpy(), d["n"].to_numpy()),
                statistic,
                paired=True,
                vectorized=True,
                n_resamples=n_resamples,
                method="percentile",
                batch=stats.BATCH,
                random_state=stats._rng(11, "errors"),
            ).confidence_interval
            row = t.loc[(model, metric)]
            assert row["pooled"] == pytest.approx(statistic(d[col].to_numpy(), d["n"].to_numpy()), rel=1e-14)
            assert row["ci_low"] == pytest.approx(ref.low, rel=1e-12) and row["ci_high"] == pytest.approx(ref.high, rel=1e-12)
            assert row["users"] == len(d)
    assert t.loc[("a", "RMSE"), "ci_low"] != t.loc[("b", "RMSE"), "ci_low"]  # same draws, other errors


def test_user_values_average_the_folds_a_user_is_in():
    per_user = pd.DataFrame(
        {
            "fold": [0, 1, 0, 0],
            "method": ["none", "none", "none", "hard"],
            "lambda": 0.0,
            "user_id": [7, 7, 8, 7],
            "precision": [0.1, 0.3, 0.5, 0.9],
            "recall": [0.2, 0.4, 1.0, 0.9],
            "ndcg": [0.0, 1.0, 0.5, 0.9],
            "hit": [1.0, 0.0, 1.0, 1.0],
        }
    )
    v = stats.user_values(per_user)
    assert v.index.tolist() == [7, 8]
    assert v.loc[7].to_dict() == pytest.approx({"precision": 0.2, "recall": 0.3, "ndcg": 0.5, "hit": 0.5})


def test_country_groups_pool_the_small_countries():
    c = pd.Series(["US", "US", "DE", "DE", "DE", "FI", "JP", "US"], index=np.arange(8))
    g = stats.country_groups(c, min_users=3)
    # US (3 users) is a group already; DE (3) is next; FI and JP (1 each) are pooled
    assert list(g) == ["all", "US", "non-US", "DE", "other (< 3 users each)"]
    assert g["US"].tolist() == [0, 1, 7] and g["DE"].tolist() == [2, 3, 4] and g["other (< 3 users each)"].tolist() == [5, 6]
    assert g["non-US"].tolist() == [2, 3, 4, 5, 6]


def test_paper_rows_match_by_algorithm_and_parameters():
    assert paper.paper_row({"algorithm": "SVD", "params": {"biased": False, "n_factors": 20}}) == "MF, k = 20"
    assert paper.paper_row({"algorithm": "SVD", "params": {"n_factors": 100}}) == "SVD, k = 100"  # biased by default
    assert paper.paper_row({"algorithm": "KNNWithMeans", "params": {"k": 50, "sim_options": {}}}) == "kNN with means, k = 50"
    assert paper.paper_row({"algorithm": "KNNBasic"}) == "Basic kNN, k = 40"  # Surprise's default k
    assert paper.paper_row({"algorithm": "SVD", "params": {"biased": False, "n_factors": 50}}) is None
    assert paper.paper_row({"algorithm": "ALS"}) is None


def test_paper_comparison_and_kendall_tau_by_hand():
    models = {
        "b": {"algorithm": "BaselineOnly"},
        "mf": {"algorithm": "SVD", "params": {"biased": False, "n_factors": 20}},
        "knn": {"algorithm": "KNNBasic", "params": {"k": 40}},
    }
    metrics = pd.DataFrame(
        {"model": ["b", "b", "mf", "mf", "knn", "knn"], "metric": ["RMSE", "MAE"] * 3, "mean": [1.0, 0.8, 1.2, 0.9, 1.5, 1.1]}
    )
    deletions = pd.DataFrame({"model": ["b", "mf", "knn"], "deletions": [30, 40, 20]})
    t = paper.comparison_table(models, metrics, deletions, n_users=20).set_index("paper_model")
    assert t.loc["Baseline", "rmse"] == 1.0 and t.loc["Baseline", "paper_rmse"] == pytest.approx(1.89104005)
    assert t.loc["MF, k = 20", "deletions_per_user"] == 2.0
    assert t.loc["MF, k = 20", "paper_deletions_per_user"] == pytest.approx(1.0)  # 2312 / 2312
    assert t.loc["SVD, k = 100", "model"] == "" and np.isnan(t.loc["SVD, k = 100", "rmse"])
    agree = paper.rank_agreement(t.reset_index()).set_index("measure")
    # paper RMSE: baseline 1.891 < MF 1.998 < kNN 2.041; run 1.0 < 1.2 < 1.5: the same order
    assert agree.loc["RMSE", "models"] == 3 and agree.loc["RMSE", "kendall_tau"] == pytest.approx(1.0)
    # paper MAE: MF 1.5435 > baseline 1.5417 < kNN 1.6416; run 0.9 > 0.8 < 1.1: same order again
    assert agree.loc["MAE", "kendall_tau"] == pytest.approx(1.0)
    # deletions per user: paper baseline 0.789, MF 1.0, kNN 0.744; run 1.5, 2.0, 1.0: same order
    assert agree.loc["deletions per user", "kendall_tau"] == pytest.approx(1.0)
    flipped = paper.comparison_table(models, metrics.assign(mean=metrics["mean"] * -1), deletions, 20)
    assert paper.rank_agreement(flipped).set_index("measure").loc["RMSE", "kendall_tau"] == pytest.approx(-1.0)


def test_sign_flip_pvalues_are_scipys_permutation_test():
    from scipy import stats as sps

    rng = np.random.default_rng(2)
    small = rng.normal(0.1, 1, size=(9, 4))  # 2^9 = 512 flips <= 999: both enumerate exactly
    ours = stats.sign_flip_pvalues(small, 999, np.random.default_rng(0))
    for j in range(4):
        ref = sps.permutation_test(
            (small[:, j], np.zeros(9)),
            lambda x, y, axis: np.mean(x - y, axis=axis),
            permutation_type="samples",
            vectorized=True,
            n_resamples=999,
        ).pvalue
        assert ours[j] == pytest.approx(ref, abs=1e-12)
        assert ours[j] == pytest.approx(exact_sign_flip_p(small[:, j]), abs=1e-12)
    big = rng.normal(0.05, 1, size=(400, 3))  # Monte Carlo on both sides: equal within its error
    ours = stats.sign_flip_pvalues(big, 20000, np.random.default_rng(0))
    for j in range(3):
        ref = sps.permutation_test(
            (big[:, j], np.zeros(400)),
            lambda x, y, axis: np.mean(x - y, axis=axis),
            permutation_type="samples",
            vectorized=True,
            n_resamples=20000,
            random_state=np.random.default_rng(1),
        ).pvalue
        assert ours[j] == pytest.approx(ref, abs=0.01)


def test_interval_table_by_hand():
    users = pd.Index([1, 2, 3, 4], name="user_id")
    values = {
        "a": pd.DataFrame({"ndcg": [0.0, 0.5, 1.0, 0.5], "recall": [1.0, 1.0, 1.0, 1.0]}, index=users),
        "b": pd.DataFrame({"ndcg": [0.2, 0.2, 0.2, 0.6], "recall": [0.0, 0.0, 1.0, 1.0]}, index=users),
    }
    t = stats.interval_table(values, {"all": np.array([1, 2, 3, 4]), "x": np.array([3, 4])}, stats.TESTED, 999, 0)
    assert t[["model", "group", "metric"]].values.tolist() == [
        ["a", "all", "ndcg@n"],
        ["a", "all", "recall@n"],
        ["a", "x", "ndcg@n"],
        ["a", "x", "recall@n"],
        ["b", "all", "ndcg@n"],
        ["b", "all", "recall@n"],
        ["b", "x", "ndcg@n"],
        ["b", "x", "recall@n"],
    ]
    row = t.set_index(["model", "group", "metric"])
    assert row.loc[("a", "all", "ndcg@n"), "mean"] == 0.5 and row.loc[("b", "x", "ndcg@n"), "mean"] == pytest.approx(0.4)
    assert row.loc[("a", "x", "ndcg@n"), "users"] == 2
    # a constant column: the interval is the point
    assert row.loc[("a", "all", "recall@n"), ["ci_low", "ci_high"]].tolist() == [1.0, 1.0]
    lo, hi = row.loc[("a", "all", "ndcg@n"), ["ci_low", "ci_high"]]
    assert 0.0 <= lo < 0.5 < hi <= 1.0


def test_replicate_config_sets_the_seeds_and_keeps_dropped_models_dropped():
    from lfmrec.replicates import replicate_config

    config = {
        "dataset": {"source": "synthetic", "synthetic": {"scale": "tiny", "seed": 1}},
        "sample": {"seed": 42},
        "cv": {"seed": 42, "n_folds": 5},
        "model_seed": 0,
        "ranking": {"seed": 0},
        "models": {"b": {"algorithm": "BaselineOnly"}},
        "replicates": [{"cv_seed": 7}],
    }
    out = replicate_config(config, {"synthetic_seed": 3, "cv_seed": 7, "model_seed": 2}, base_models=["b", "gone"])
    assert out["dataset"]["synthetic"] == {"scale": "tiny", "seed": 3} and out["cv"] == {"seed": 7, "n_folds": 5}
    assert out["model_seed"] == 2 and out["sample"]["seed"] == 42 and out["replicates"] == []
    assert out["models"] == {"gone": None, "b": {"algorithm": "BaselineOnly"}}
    assert config["cv"]["seed"] == 42  # the workflow's config is left alone


def test_replicate_spread_by_hand():
    from lfmrec.replicates import spread

    a = pd.DataFrame({"figure": ["RMSE", "ndcg@n"], "model": ["m", "m"], "value": [1.0, 0.2]})
    b = pd.DataFrame({"figure": ["RMSE", "ndcg@n", "RMSE"], "model": ["m", "m", "x"], "value": [3.0, 0.4, 5.0]})
    t = spread([a, b]).set_index(["figure", "model"])
    assert t.loc[("RMSE", "m"), ["rep_0", "rep_1", "mean", "min", "max"]].tolist() == [1.0, 3.0, 2.0, 1.0, 3.0]
    assert t.loc[("RMSE", "m"), "sd"] == pytest.approx(np.sqrt(2.0))  # ddof 1
    assert t.loc[("ndcg@n", "m"), "mean"] == pytest.approx(0.3)
    x = t.loc[("RMSE", "x")]  # a figure one replicate lacks
    assert np.isnan(x["rep_0"]) and x["mean"] == 5.0 and np.isnan(x["sd"])
    assert list(t.index) == [("RMSE", "m"), ("ndcg@n", "m"), ("RMSE", "x")]  # the replicates' order


@pytest.mark.parametrize("shape, n_resamples", [((500, 7), 2000), ((40, 1), 999), ((3000, 45), 1200)])
def test_mean_intervals_are_scipys_percentile_bootstrap(shape, n_resamples):
    """The same resamples and interval as scipy.stats.bootstrap (percentile, the same batches),
    up to the order of the floating-point sums; constant columns are the point itself."""
    from scipy import stats as scipy_stats

    values = np.random.default_rng(1).random(shape)
    values[:, 0] = 0.5  # a constant column
    low, high = stats.mean_intervals(values, n_resamples, np.random.default_rng(7))
    varies = values[:, 1:]
    if varies.shape[1]:
        batch = max(1, stats.BATCH_ELEMENTS // (shape[0] * varies.shape[1]))
        ref = scipy_stats.bootstrap(
            (varies,),
            np.mean,
            axis=0,
            n_resamples=n_resamples,
            method="percentile",
            batch=batch,
            random_state=np.random.default_rng(7),
        ).confidence_interval
        np.testing.assert_allclose(low[1:], ref.low, rtol=0, atol=1e-13)
        np.testing.assert_allclose(high[1:], ref.high, rtol=0, atol=1e-13)
    assert low[0] == high[0] == 0.5

"""Uncertainty of the held-out results: bootstrap intervals over users, paired tests between models,
Holm's correction, and the same per user country.

The unit is the user. A user's value of a ranking metric is the mean over the folds in which the
user has test pairs (each of a user's pairs is in one test fold); a model's estimate is the mean of
that over users. The folds' training sets overlap, so the spread over folds is not a confidence
interval; users are (close to) independent draws from the population of listeners, which is what
a reader wants the interval to speak about. RMSE and MAE are pooled over all of a model's test
predictions, with a cluster bootstrap over users (a user's predictions are resampled together).

The statistics are scipy's (:func:`scipy.stats.bootstrap`, :func:`scipy.stats.wilcoxon`,
:func:`scipy.stats.permutation_test`); Holm's step-down correction is :func:`holm`.
"""

from __future__ import annotations

import hashlib
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

TESTED = {"ndcg": "ndcg@n", "recall": "recall@n"}  # compared pairwise (significance table)
METRICS = {"precision": "precision@n", "recall": "recall@n", "ndcg": "ndcg@n", "hit": "hit@n"}  # with intervals
BATCH = 256  # resamples per batch: bounds memory at full scale (55,000 users)


def user_values(per_user: pd.DataFrame, method: str = "none") -> pd.DataFrame:
    """Per user: the mean over the folds of each metric of ``method``'s lists (per_user: fold,
    method, lambda, user_id, precision, recall, ndcg, hit); indexed by user_id, ascending."""
    rows = per_user[per_user["method"] == method]
    return rows.groupby("user_id").mean(numeric_only=True).drop(columns=["fold", "lambda"], errors="ignore")


def _rng(seed: int, *keys: str) -> np.random.Generator:
    """A generator of its own for every (seed, keys): results do not depend on the order of calls."""
    words = [int.from_bytes(hashlib.sha256(k.encode()).digest()[:8], "little") for k in keys]
    return np.random.default_rng([int(seed) % 2**64, *words])


def mean_interval(values: np.ndarray, n_resamples: int, rng: np.random.Generator, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (no jackknife: it would take memory
    quadratic in the users at full scale). A single value or a constant sample: the point itself."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2 or np.all(values == values[0]):
        v = float(values[0]) if values.size else np.nan
        return v, v
    res = stats.bootstrap((values,), np.mean, n_resamples=n_resamples, confidence_level=level, method="percentile",
                          batch=BATCH, random_state=rng)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def pooled_error_interval(se: np.ndarray, n: np.ndarray, n_resamples: int, rng: np.random.Generator, root: bool,
                          level: float = 0.95) -> tuple[float, float, float]:
    """(estimate, low, high) of sqrt(sum se / sum n) (``root``: RMSE) or sum se / sum n (MAE, with
    absolute errors in ``se``) over users, the users resampled with all their predictions."""
    se, n = np.asarray(se, np.float64), np.asarray(n, np.float64)

    def statistic(s, k, axis=-1):
        v = s.sum(axis=axis) / k.sum(axis=axis)
        return np.sqrt(v) if root else v

    est = float(statistic(se, n))
    if se.size < 2:
        return est, est, est
    res = stats.bootstrap((se, n), statistic, paired=True, vectorized=True, n_resamples=n_resamples,
                          confidence_level=level, method="percentile", batch=BATCH, random_state=rng)
    return est, float(res.confidence_interval.low), float(res.confidence_interval.high)


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error), in the input's order; NaN stays NaN
    and is not counted in the family."""
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out


def paired_test(a: np.ndarray, b: np.ndarray, n_resamples: int, rng: np.random.Generator) -> dict:
    """Paired comparison of per-user values ``a`` and ``b`` (same users, same order): mean
    difference a - b with a bootstrap 95% interval, Wilcoxon signed-rank p (zero differences
    dropped, two-sided), paired randomization p (signs of the differences flipped at random,
    two-sided), Cohen's d_z (mean / sd of the differences) and the matched-pairs rank-biserial
    correlation (Kerby 2014: (W+ - W-) / (W+ + W-))."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    low, high = mean_interval(d, n_resamples, rng)
    nonzero = d[d != 0]
    if nonzero.size == 0:
        wilcoxon_p, randomization_p, rbc = 1.0, 1.0, 0.0
    else:
        wilcoxon_p = float(stats.wilcoxon(nonzero).pvalue)
        ranks = stats.rankdata(np.abs(nonzero))
        w_plus, w_minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
        rbc = float((w_plus - w_minus) / (w_plus + w_minus))
        res = stats.permutation_test((np.asarray(a, np.float64), np.asarray(b, np.float64)),
                                     lambda x, y, axis: np.mean(x - y, axis=axis), permutation_type="samples",
                                     vectorized=True, n_resamples=n_resamples, batch=BATCH, random_state=rng)
        randomization_p = float(res.pvalue)
    sd = d.std(ddof=1) if d.size > 1 else 0.0
    return {"diff": float(d.mean()), "ci_low": low, "ci_high": high, "wilcoxon_p": wilcoxon_p,
            "randomization_p": randomization_p, "d_z": float(d.mean() / sd) if sd > 0 else 0.0,
            "rank_biserial": rbc}


def significance_table(values: dict[str, pd.DataFrame], n_resamples: int, seed: int, alpha: float = 0.05) -> pd.DataFrame:
    """Every pair of models (in the order given): per metric (NDCG and recall of the plain lists),
    the paired comparison over the users both evaluated, with Holm-corrected p-values per metric and
    test over all pairs, and ``significant`` = both tests' Holm-corrected p < ``alpha`` (the
    randomization p is at least 2 / (n_resamples + 1): enough resamples for the family's size)."""
    rows = []
    for metric, label in TESTED.items():
        for a, b in combinations(values, 2):
            both = values[a][[metric]].merge(values[b][[metric]], left_index=True, right_index=True, suffixes=("_a", "_b"))
            x, y = both[f"{metric}_a"].to_numpy(), both[f"{metric}_b"].to_numpy()
            rows.append({"metric": label, "model_a": a, "model_b": b, "users": len(both),
                         "mean_a": float(x.mean()) if x.size else np.nan, "mean_b": float(y.mean()) if y.size else np.nan,
                         **paired_test(x, y, n_resamples, _rng(seed, metric, a, b))})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    for test in ("wilcoxon_p", "randomization_p"):
        table[f"{test}_holm"] = np.concatenate([holm(g[test].to_numpy()) for _, g in table.groupby("metric", sort=False)])
    table["significant"] = (table["randomization_p_holm"] < alpha) & (table["wilcoxon_p_holm"] < alpha)
    return table


def interval_rows(model: str, values: pd.DataFrame, n_resamples: int, seed: int, group: str = "all") -> list[dict]:
    """Per metric: the mean over users with its bootstrap 95% interval, for one group of users."""
    out = []
    for metric, label in METRICS.items():
        v = values[metric].to_numpy()
        low, high = mean_interval(v, n_resamples, _rng(seed, metric, model, group))
        out.append({"model": model, "group": group, "metric": label, "users": int(v.size),
                    "mean": float(v.mean()) if v.size else np.nan, "ci_low": low, "ci_high": high})
    return out


def country_groups(user_country: pd.Series, min_users: int) -> dict[str, np.ndarray]:
    """User groups by country: all users, US and non-US, then every country with at least
    ``min_users`` users (largest first, ties alphabetical), then the smaller ones pooled as
    "other (< min_users users each)". Values: user ids."""
    c = user_country.astype("string")
    groups = {"all": c.index.to_numpy(), "US": c.index[c == "US"].to_numpy(), "non-US": c.index[c != "US"].to_numpy()}
    sizes = c.value_counts()
    sizes = sizes.reindex(sorted(sizes.index, key=lambda k: (-sizes[k], k)))
    small = []
    for country, size in sizes.items():
        if size >= min_users:
            groups[str(country)] = c.index[c == country].to_numpy()
        else:
            small.append(country)
    if small:
        groups[f"other (< {min_users} users each)"] = c.index[c.isin(small)].to_numpy()
    return groups


def by_country_table(values: dict[str, pd.DataFrame], user_country: pd.Series, min_users: int, n_resamples: int,
                     seed: int) -> pd.DataFrame:
    """NDCG and recall of every model per user-country group (:func:`country_groups`), each with its
    bootstrap interval over the group's evaluated users."""
    groups = country_groups(user_country, min_users)
    rows = []
    for model, v in values.items():
        for group, ids in groups.items():
            rows += interval_rows(model, v.loc[v.index.intersection(ids)], n_resamples, seed, group)
    return pd.DataFrame(rows)


def error_intervals(predictions: dict[str, pd.DataFrame], n_resamples: int, seed: int) -> pd.DataFrame:
    """RMSE and MAE of every rating model pooled over its test predictions (user_id, rating, est; all
    folds), with a cluster bootstrap 95% interval over users."""
    rows = []
    for model, p in predictions.items():
        err = p["rating"].to_numpy(np.float64) - p["est"].to_numpy(np.float64)
        per_user = pd.DataFrame({"user_id": p["user_id"].to_numpy(), "se": err**2, "ae": np.abs(err), "n": 1.0}
                                ).groupby("user_id").sum()
        for metric, col, root in (("RMSE", "se", True), ("MAE", "ae", False)):
            est, low, high = pooled_error_interval(per_user[col].to_numpy(), per_user["n"].to_numpy(), n_resamples,
                                                   _rng(seed, metric, model), root)
            rows.append({"model": model, "metric": metric, "users": len(per_user), "pooled": est,
                         "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)

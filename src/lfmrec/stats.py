"""Uncertainty of the held-out results: bootstrap intervals over users, paired tests between models,
Holm's correction, and the same per user country.

The unit is the user. A user's value of a ranking metric is the mean over the folds in which the
user has test pairs (each of a user's pairs is in one test fold); a model's estimate is the mean of
that over users. The folds' training sets overlap, so the spread over folds is not a confidence
interval; users are (close to) independent draws from the population of listeners, which is what
a reader wants the interval to speak about. RMSE and MAE are pooled over all of a model's test
predictions, with a cluster bootstrap over users (a user's predictions are resampled together).

The statistics are scipy's (:func:`scipy.stats.bootstrap`'s percentile interval, its resamples
summed as a matrix product; :func:`scipy.stats.wilcoxon`; :func:`scipy.stats.permutation_test`'s
paired test); Holm's step-down correction is :func:`holm`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from itertools import combinations

import numpy as np
import pandas as pd

from .ids import positions, sorted_unique

TESTED = {"ndcg": "ndcg@n", "recall": "recall@n"}  # compared pairwise (significance table)
METRICS = {"precision": "precision@n", "recall": "recall@n", "ndcg": "ndcg@n", "hit": "hit@n"}  # with intervals
BATCH = 256  # resamples per batch of the pooled-error bootstrap (scipy's batch): bounds memory at full scale
BATCH_ELEMENTS = 20_000_000  # resampled values per batch of the other resampling (160 MB)


def user_values(per_user: pd.DataFrame, method: str = "none") -> pd.DataFrame:
    """Per user: the mean over the folds of each metric of ``method``'s lists (per_user: fold,
    method, lambda, user_id, precision, recall, ndcg, hit); indexed by user_id, ascending."""
    rows = per_user[per_user["method"] == method]
    return rows.groupby("user_id").mean(numeric_only=True).drop(columns=["fold", "lambda"], errors="ignore")


def _rng(seed: int, *keys: str) -> np.random.Generator:
    """A generator of its own for every (seed, keys): results do not depend on the order of calls."""
    words = [int.from_bytes(hashlib.sha256(k.encode()).digest()[:8], "little") for k in keys]
    return np.random.default_rng([int(seed) % 2**64, *words])


def mean_intervals(
    values: np.ndarray, n_resamples: int, rng: np.random.Generator, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap intervals of the column means of ``values`` (users x k), the users
    resampled together for all columns: :func:`scipy.stats.bootstrap`'s percentile interval with its
    resamples (the same draws of ``rng`` in the same batches), the means of a batch computed as one
    matrix product of the resample counts with the values instead of a gather per column
    (``tests/test_stats.py`` checks it against scipy to 1e-15). No jackknife, which would take memory
    quadratic in the users at full scale. A column with a single user or a constant value: the
    point itself."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n, k = values.shape
    mean = values.mean(axis=0) if n else np.full(k, np.nan)
    low, high = mean.copy(), mean.copy()
    varies = np.flatnonzero((values != values[:1]).any(axis=0)) if n >= 2 else np.zeros(0, int)
    if varies.size:
        x = values[:, varies]
        batch = max(1, BATCH_ELEMENTS // max(n * varies.size, 1))  # scipy's batches: the same draws
        theta = np.empty((n_resamples, varies.size))
        done = 0
        while done < n_resamples:
            b = min(batch, n_resamples - done)
            theta[done : done + b] = _resample_counts(rng, b, n) @ x / n
            done += b
        alpha = (1 - level) / 2
        low[varies], high[varies] = np.percentile(theta, [100 * alpha, 100 * (1 - alpha)], axis=0)
    return low, high


def sign_flip_pvalues(d: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Two-sided p-values of the paired randomization test of each column of ``d`` (users x k
    paired differences): the mean difference against its distribution when each user's two values
    are swapped at random (the sign of the user's difference flipped), the same flips for every
    column. :func:`scipy.stats.permutation_test`'s ``permutation_type="samples"`` test with its
    definitions (exact when 2^users <= n_resamples; else n_resamples random flips, (count + 1) /
    (n_resamples + 1); two-sided = 2 x the smaller one-sided p, at most 1), by one matrix product of
    the flips with the differences instead of a statistic call per batch."""
    d = np.asarray(d, dtype=np.float64)
    if d.ndim == 1:
        d = d[:, None]
    n, k = d.shape
    observed = d.mean(axis=0)
    gamma = np.abs(np.finfo(np.float64).eps * 100 * observed)
    exact = n < 63 and 2**n <= n_resamples
    total = 2**n if exact else n_resamples
    less = np.zeros(k, np.int64)
    greater = np.zeros(k, np.int64)
    rows = max(1, BATCH_ELEMENTS // max(n, 1))
    for start in range(0, total, rows):
        b = min(rows, total - start)
        if exact:
            bits = (np.arange(start, start + b, dtype=np.int64)[:, None] >> np.arange(n, dtype=np.int64)) & 1
            signs = 1.0 - 2.0 * bits
        else:
            signs = rng.choice(np.array([-1.0, 1.0]), size=(b, n))
        null = signs @ d / n
        less += np.count_nonzero(null <= observed + gamma, axis=0)
        greater += np.count_nonzero(null >= observed - gamma, axis=0)
    adjust = 0 if exact else 1
    p = 2 * np.minimum(less + adjust, greater + adjust) / (total + adjust)
    return np.clip(p, 0.0, 1.0)


def _resample_counts(rng: np.random.Generator, b: int, n: int) -> np.ndarray:
    """(b, n) float matrix: how often each of n units is drawn in each of b bootstrap resamples,
    from the draws scipy's ``_bootstrap_resample`` makes (``rng.integers(0, n, (b, n))``), counted
    in one compiled pass (:func:`lfmrec.pairs.row_counts`)."""
    from .pairs import row_counts

    return row_counts(rng.integers(0, n, (b, n), dtype=np.int64), n)


def user_index(user_id) -> tuple[np.ndarray, np.ndarray]:
    """(users, pos): the distinct ids of ``user_id`` ascending, and each entry's position among
    them (the grouping :func:`user_errors` sums over; the same for every model's predictions of
    the same test pairs, so it is computed once)."""
    users = sorted_unique(user_id)
    return users, positions(users, user_id)


def user_errors(user_id, error, index: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Per user (ascending ids) of predictions with ``user_id`` and ``error`` (rating - estimate):
    ``se`` and ``ae``, the sums of the squared and absolute errors of the user's predictions, and
    ``n``, their number. ``index``: :func:`user_index` of ``user_id`` when known."""
    users, pos = index if index is not None else user_index(np.asarray(user_id))
    error = np.asarray(error, np.float64)
    return pd.DataFrame(
        {
            "se": np.bincount(pos, error * error, minlength=users.size),
            "ae": np.bincount(pos, np.abs(error), minlength=users.size),
            "n": np.bincount(pos, minlength=users.size).astype(np.float64),
        },
        index=pd.Index(users, name="user_id"),
    )


def error_intervals(per_user: Mapping[str, pd.DataFrame], n_resamples: int, seed: int, level: float = 0.95) -> pd.DataFrame:
    """RMSE and MAE of every rating model pooled over its test predictions, with a cluster
    bootstrap 95% percentile interval over users (a user's predictions resampled together).
    ``per_user``: model -> :func:`user_errors` of all its folds' predictions.

    The pooled errors are sqrt(sum se / sum n) and sum ae / sum n. Models over the same users
    (every model of a cross-validation: the same test pairs) share one bootstrap: the same
    resamples of the users for every model and both errors, drawn from ``_rng(seed, "errors")``,
    each resample's sums one product of its draw counts with the users' sums. Each interval is
    :func:`scipy.stats.bootstrap`'s (``paired=True``, percentile, batches of :data:`BATCH`) of its
    statistic with that generator (``tests/test_stats.py``)."""
    rows = []
    groups: dict[bytes, list[str]] = {}
    for model, t in per_user.items():
        groups.setdefault(np.asarray(t.index, np.int64).tobytes(), []).append(model)
    for models in groups.values():
        n_users = len(per_user[models[0]])
        x = np.column_stack([per_user[m][c].to_numpy(np.float64) for m in models for c in ("se", "ae", "n")])
        sums = x.sum(axis=0)
        theta = np.empty((n_resamples, x.shape[1])) if n_users >= 2 else None
        if theta is not None:
            rng = _rng(seed, "errors")
            for done in range(0, n_resamples, BATCH):
                b = min(BATCH, n_resamples - done)
                theta[done : done + b] = _resample_counts(rng, b, n_users) @ x
        alpha = (1 - level) / 2
        for j, model in enumerate(models):
            se, ae, n = 3 * j, 3 * j + 1, 3 * j + 2
            for metric, col in (("RMSE", se), ("MAE", ae)):
                root = metric == "RMSE"
                est = sums[col] / sums[n]
                est = float(np.sqrt(est) if root else est)
                low = high = est
                if theta is not None:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        v = theta[:, col] / theta[:, n]
                    low, high = (float(q) for q in np.percentile(np.sqrt(v) if root else v, [100 * alpha, 100 * (1 - alpha)]))
                rows.append({"model": model, "metric": metric, "users": n_users, "pooled": est, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


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


def paired_tests(a: np.ndarray, b: np.ndarray, n_resamples: int, rng: np.random.Generator) -> pd.DataFrame:
    """Paired comparisons of the columns of ``a`` and ``b`` (users x k per-user values, rows = the
    same users): per column the mean difference a - b with a bootstrap 95% interval, Wilcoxon
    signed-rank p (zero differences dropped, two-sided), paired randomization p
    (:func:`sign_flip_pvalues`), Cohen's d_z (mean / sd of the differences) and the matched-pairs
    rank-biserial correlation (Kerby 2014: (W+ - W-) / (W+ + W-))."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if d.ndim == 1:
        d = d[:, None]
    low, high = mean_intervals(d, n_resamples, rng)
    randomization = sign_flip_pvalues(d, n_resamples, rng)
    from scipy import stats  # here: its import takes 0.4 s of every job that only needs the intervals

    rows = []
    for j in range(d.shape[1]):
        col = d[:, j]
        nonzero = col[col != 0]
        if nonzero.size == 0:
            wilcoxon_p, rbc, randomization[j] = 1.0, 0.0, 1.0
        else:
            wilcoxon_p = float(stats.wilcoxon(nonzero).pvalue)
            ranks = stats.rankdata(np.abs(nonzero))
            w_plus, w_minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
            rbc = float((w_plus - w_minus) / (w_plus + w_minus))
        sd = col.std(ddof=1) if col.size > 1 else 0.0
        rows.append(
            {
                "diff": float(col.mean()) if col.size else np.nan,
                "ci_low": float(low[j]),
                "ci_high": float(high[j]),
                "wilcoxon_p": wilcoxon_p,
                "randomization_p": float(randomization[j]),
                "d_z": float(col.mean() / sd) if sd > 0 else 0.0,
                "rank_biserial": rbc,
            }
        )
    return pd.DataFrame(rows)


def paired_test(a: np.ndarray, b: np.ndarray, n_resamples: int, rng: np.random.Generator) -> dict:
    """:func:`paired_tests` of one pair of per-user value arrays, as a dict."""
    return (
        paired_tests(np.asarray(a, np.float64)[:, None], np.asarray(b, np.float64)[:, None], n_resamples, rng).iloc[0].to_dict()
    )


def _aligned(values: dict[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    """users x models of one metric, over the users every model evaluated (the same users: the
    models and references of a run are evaluated on the same users of the same folds)."""
    return pd.concat({m: v[metric] for m, v in values.items()}, axis=1, join="inner")


def significance_table(values: dict[str, pd.DataFrame], n_resamples: int, seed: int, alpha: float = 0.05) -> pd.DataFrame:
    """Every pair of models (in the order given): per metric (NDCG and recall of the plain lists),
    the paired comparison over the users they all evaluated, with Holm-corrected p-values per
    metric and test over all pairs, and ``significant`` = both tests' Holm-corrected p < ``alpha``
    (the randomization p is at least 2 / (n_resamples + 1): enough resamples for the family's size)."""
    pairs = list(combinations(values, 2))
    parts = []
    for metric, label in TESTED.items():
        if not pairs:
            break
        v = _aligned(values, metric)
        a = v[[x for x, _ in pairs]].to_numpy()
        b = v[[y for _, y in pairs]].to_numpy()
        tests = paired_tests(a, b, n_resamples, _rng(seed, metric))
        head = pd.DataFrame(
            {
                "metric": label,
                "model_a": [x for x, _ in pairs],
                "model_b": [y for _, y in pairs],
                "users": len(v),
                "mean_a": a.mean(axis=0) if len(v) else np.nan,
                "mean_b": b.mean(axis=0) if len(v) else np.nan,
            }
        )
        part = pd.concat([head, tests], axis=1)
        for test in ("wilcoxon_p", "randomization_p"):
            part[f"{test}_holm"] = holm(part[test].to_numpy())
        parts.append(part)
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    table["significant"] = (table["randomization_p_holm"] < alpha) & (table["wilcoxon_p_holm"] < alpha)
    return table


def interval_table(
    values: dict[str, pd.DataFrame], groups: dict[str, np.ndarray], metrics: dict[str, str], n_resamples: int, seed: int
) -> pd.DataFrame:
    """Per user group and model: each metric's mean over the group's users with a bootstrap 95%
    interval (every model and metric of a group from the same resamples of its users)."""
    rows = []
    for group, ids in groups.items():
        cols = [(m, metric) for m in values for metric in metrics]
        v = pd.concat({(m, metric): values[m][metric] for m, metric in cols}, axis=1, join="inner")
        v = v.loc[v.index.intersection(ids)]
        low, high = mean_intervals(v.to_numpy(), n_resamples, _rng(seed, "group", group))
        mean = v.mean(axis=0).to_numpy() if len(v) else np.full(len(cols), np.nan)
        rows += [
            {
                "model": m,
                "group": group,
                "metric": metrics[metric],
                "users": len(v),
                "mean": float(mean[j]),
                "ci_low": float(low[j]),
                "ci_high": float(high[j]),
            }
            for j, (m, metric) in enumerate(cols)
        ]
    order = {m: i for i, m in enumerate(values)}
    table = pd.DataFrame(rows)
    return table.sort_values(
        ["model", "group"],
        key=lambda c: c.map(order) if c.name == "model" else c.map({g: i for i, g in enumerate(groups)}),
        kind="stable",
        ignore_index=True,
    )


def country_groups(user_country: pd.Series, min_users: int, us_groups: bool = True) -> dict[str, np.ndarray]:
    """User groups by country: all users, US and non-US (``us_groups``), then every country with
    at least ``min_users`` users (largest first, ties alphabetical), then the smaller ones pooled
    as "other (< min_users users each)". Values: index labels of ``user_country`` (user ids)."""
    c = user_country.astype("string")
    groups = {"all": c.index.to_numpy()}
    if us_groups:
        groups |= {"US": c.index[c == "US"].to_numpy(), "non-US": c.index[c != "US"].to_numpy()}
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


def by_country_table(
    values: dict[str, pd.DataFrame], user_country: pd.Series, min_users: int, n_resamples: int, seed: int
) -> pd.DataFrame:
    """NDCG and recall of every model per user-country group (:func:`country_groups`), each with its
    bootstrap interval over the group's evaluated users."""
    return interval_table(values, country_groups(user_country, min_users), TESTED, n_resamples, seed)

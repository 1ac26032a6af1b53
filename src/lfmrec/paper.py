"""The paper's published figures (Ido, Sharkov & Yang, section 5) next to a run's: RMSE and MAE per
model (its results table, five folds), deletions per model (its phase 2), and how far the models'
order agrees (Kendall's tau).

A run's model matches a paper row by what it is (algorithm and the parameters the paper varies:
bias, factors, k), not by its name, so that renamed or re-configured models are matched right
and models the paper does not have are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

# (label, algorithm, distinguishing parameters) -> the paper's five folds
PAPER_ROWS = [
    (
        "Baseline",
        "BaselineOnly",
        {},
        (1.88401947, 1.90824763, 1.87772364, 1.88866466, 1.89654485),
        (1.53309983, 1.55769875, 1.52827716, 1.54377897, 1.54589434),
    ),
    (
        "MF, k = 20",
        "SVD",
        {"biased": False, "n_factors": 20},
        (2.03202189, 1.98315977, 2.02619297, 1.96551696, 1.98227644),
        (1.56913812, 1.53247659, 1.56497909, 1.52706266, 1.52407263),
    ),
    (
        "MF, k = 100",
        "SVD",
        {"biased": False, "n_factors": 100},
        (2.00426576, 2.01926088, 2.03832999, 2.00502754, 2.01710413),
        (1.54090497, 1.54148313, 1.55648747, 1.5394203, 1.54881289),
    ),
    (
        "SVD, k = 100",
        "SVD",
        {"biased": True, "n_factors": 100},
        (1.91043931, 1.90560266, 1.90608345, 1.92647848, 1.90336738),
        (1.53030798, 1.53032941, 1.52827149, 1.54304269, 1.52945145),
    ),
    (
        "Basic kNN, k = 40",
        "KNNBasic",
        {"k": 40},
        (2.03764018, 2.03821978, 2.03985588, 2.04109587, 2.04734938),
        (1.63955094, 1.63320747, 1.63807946, 1.64289437, 1.65438092),
    ),
    (
        "kNN with means, k = 40",
        "KNNWithMeans",
        {"k": 40},
        (2.00338222, 1.98509416, 1.9851912, 2.00875524, 1.99640174),
        (1.6052293, 1.58795244, 1.59095355, 1.60552306, 1.60672749),
    ),
    (
        "kNN with means, k = 50",
        "KNNWithMeans",
        {"k": 50},
        (1.99748787, 1.97569048, 2.02128141, 1.98701072, 1.9828416),
        (1.60135872, 1.58241625, 1.62663366, 1.58982409, 1.59163167),
    ),
]
PAPER_USERS = 2312  # the users of the paper's lists (5,000 sampled, those with a country)
# Deletions (section 5, phase 2). The paper names the model family only; the row each is set
# against is the setting the paper chose just before phase 2 (its best MF k and kNN-with-means k).
PAPER_DELETIONS = {"Baseline": 1824, "kNN with means, k = 50": 1667, "Basic kNN, k = 40": 1720, "MF, k = 20": 2312}
DELETIONS_NOTE = {
    "kNN with means, k = 50": "paper: 'kNN with means', k not stated (its chosen k = 50)",
    "MF, k = 20": "paper: 'MF', k not stated (its better k = 20)",
}

# Surprise's defaults for the parameters that tell the paper's rows apart
DEFAULTS = {"biased": True, "n_factors": 100, "k": 40}


def paper_row(spec: dict) -> str | None:
    """The label of the paper's row a model's config entry (algorithm, params) matches, or None."""
    params = spec.get("params") or {}
    for label, algorithm, wanted, *_ in PAPER_ROWS:
        if spec.get("algorithm") == algorithm and all(params.get(k, DEFAULTS[k]) == v for k, v in wanted.items()):
            return label
    return None


def comparison_table(
    models: dict[str, dict], metrics: pd.DataFrame, deletions: pd.DataFrame | None, n_users: int
) -> pd.DataFrame:
    """One row per paper row: the paper's mean RMSE and MAE over its folds and deletions (also per
    user), and the first matching run model's (``metrics``: results/metrics.csv; ``deletions``:
    results/deletions.csv; ``n_users``: the run's users)."""
    run_rmse = metrics[metrics["metric"] == "RMSE"].set_index("model")["mean"] if len(metrics) else pd.Series(dtype=float)
    run_mae = metrics[metrics["metric"] == "MAE"].set_index("model")["mean"] if len(metrics) else pd.Series(dtype=float)
    dels = deletions.set_index("model")["deletions"] if deletions is not None and len(deletions) else pd.Series(dtype=float)
    matched: dict[str, str] = {}
    for name, spec in models.items():
        label = paper_row(spec)
        if label is not None and label not in matched:
            matched[label] = name
    rows = []
    for label, _, _, rmse, mae in PAPER_ROWS:
        model = matched.get(label)
        d = PAPER_DELETIONS.get(label)
        run_d = dels.get(model, np.nan) if model is not None else np.nan
        rows.append(
            {
                "paper_model": label,
                "model": model or "",
                "paper_rmse": float(np.mean(rmse)),
                "rmse": float(run_rmse.get(model, np.nan)) if model else np.nan,
                "paper_mae": float(np.mean(mae)),
                "mae": float(run_mae.get(model, np.nan)) if model else np.nan,
                "paper_deletions": d if d is not None else np.nan,
                "deletions": float(run_d),
                "paper_deletions_per_user": d / PAPER_USERS if d is not None else np.nan,
                "deletions_per_user": float(run_d) / n_users if n_users and np.isfinite(run_d) else np.nan,
                "note": DELETIONS_NOTE.get(label, ""),
            }
        )
    table = pd.DataFrame(rows)
    return table.astype({"paper_deletions": "Int64", "deletions": "Int64"})  # counts: no decimals on the page


def rank_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Kendall's tau (tau-b) between the paper's and the run's figures over the rows both have, per
    measure (RMSE, MAE, deletions per user), with its p-value and the number of models."""
    out = []
    for measure, paper, run in (
        ("RMSE", "paper_rmse", "rmse"),
        ("MAE", "paper_mae", "mae"),
        ("deletions per user", "paper_deletions_per_user", "deletions_per_user"),
    ):
        both = table[[paper, run]].dropna()
        if len(both) >= 2:
            res = stats.kendalltau(both[paper], both[run])
            tau, p = float(res.statistic), float(res.pvalue)
        else:
            tau = p = np.nan
        out.append({"measure": measure, "models": len(both), "kendall_tau": tau, "p_value": p})
    return pd.DataFrame(out)

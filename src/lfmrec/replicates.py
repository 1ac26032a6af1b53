"""Replicates of the whole experiment: the config of each seed set, and every headline figure of
the replicates with its spread (mean, sd, min, max over the replicates).

A seed set names the seeds it changes (``synthetic_seed``: the generator's, ``sample_seed``,
``cv_seed``, ``model_seed``, ``ranking_seed``); each replicate is the configured experiment with
those seeds. The headline figures are read from each replicate's result files:

- RMSE and MAE of each rating model (mean over folds, ``metrics.csv``);
- NDCG@n and recall@n of each model and reference (mean over users, ``intervals.csv``);
- deletions per user (``deletions.csv``);
- US share, local share and local bias before and after the rule, JS divergence, for all users by
  the estimated countries (``cultural.csv``).
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

SEED_KEYS = {
    "synthetic_seed": ("dataset", "synthetic", "seed"),
    "sample_seed": ("sample", "seed"),
    "cv_seed": ("cv", "seed"),
    "model_seed": ("model_seed",),
    "ranking_seed": ("ranking", "seed"),
}
FILES = ("results/metrics.csv", "results/intervals.csv", "results/deletions.csv", "results/cultural.csv")
CULTURAL = ("us_share_initial", "us_share_final", "local_share_initial", "local_bias_initial", "js_initial", "js_final")


def replicate_config(config: dict, seeds: dict, base_models=()) -> dict:
    """The whole config of one replicate: ``config`` with the seeds of ``seeds`` set, and no
    replicates of its own. The models of the workflow's own config file (``base_models``) that
    ``config`` dropped stay dropped (null): the nested run reads that file first."""
    out = copy.deepcopy(config)
    out["replicates"] = []
    out["models"] = {**{name: None for name in base_models}, **out["models"]}
    for name, value in seeds.items():
        where = out
        *path, last = SEED_KEYS[name]
        for part in path:
            if where.get(part) is None:
                where[part] = {}
            where = where[part]
        where[last] = value
    return out


def headline(folder: Path) -> pd.DataFrame:
    """figure, model, value of one replicate's result files (``folder``: its working folder)."""
    rows = []
    metrics = folder / "results/metrics.csv"
    if metrics.exists():
        for r in pd.read_csv(metrics).itertuples():
            rows.append((r.metric, r.model, float(r.mean)))
    iv = pd.read_csv(folder / "results/intervals.csv")
    for r in iv[iv["metric"].isin(["ndcg@n", "recall@n"])].itertuples():
        rows.append((r.metric, r.model, float(r.mean)))
    for r in pd.read_csv(folder / "results/deletions.csv").itertuples():
        rows.append(("deletions per user", r.model, float(r.mean_per_user)))
    c = pd.read_csv(folder / "results/cultural.csv", keep_default_na=False, na_values=[""])
    c = c[(c["countries"] == "estimated") & (c["user_country"] == "all")]
    for r in c.itertuples():
        for col in CULTURAL:
            rows.append((col, r.model, float(getattr(r, col))))
    return pd.DataFrame(rows, columns=["figure", "model", "value"])


def spread(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per (figure, model): the value of every replicate (rep_0, rep_1, ...), their mean,
    sd (ddof=1; NaN for one replicate), min and max. A figure a replicate lacks is NaN there."""
    wide = None
    for i, t in enumerate(tables):
        t = t.set_index(["figure", "model"])["value"].rename(f"rep_{i}")
        wide = t.to_frame() if wide is None else wide.join(t, how="outer")
    if wide is None:
        return pd.DataFrame(columns=["figure", "model", "mean", "sd", "min", "max"])
    order = pd.concat(tables)[["figure", "model"]].drop_duplicates()
    wide = wide.reindex(pd.MultiIndex.from_frame(order))
    values = wide.to_numpy(np.float64)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a figure no replicate has: NaN
        wide["mean"] = np.nanmean(values, axis=1)
        wide["sd"] = np.nanstd(values, axis=1, ddof=1) if values.shape[1] > 1 else np.nan
        wide["min"] = np.nanmin(values, axis=1)
        wide["max"] = np.nanmax(values, axis=1)
    return wide.reset_index()

"""Which conclusions are built into the synthetic data: the whole experiment once per generator
setting (config ``sensitivity``: named variants of ``dataset.synthetic.process``, the other settings
and seeds as configured), and for each headline finding whether it holds in every variant.

A variant's run is a nested run of the workflow (like a replicate, :mod:`lfmrec.replicates`) in
``results/sensitivity/{variant}/``. The findings read from its result files
(:func:`findings`; one row per finding and model, with its value and whether the claim holds):

- ``rmse_order``: Kendall's tau of the paper's rating models' RMSE order against the paper's table
  (``paper_agreement.csv``); holds at tau >= 0.9 (at most one adjacent swap of seven models);
- ``estimator_gain``: accuracy of the best artist-country estimator minus argmax's, the sampled
  users as source (``country_estimation.csv``); holds when an estimator beats argmax; the detail
  names the order;
- ``mixture_best``: the home-country mixture is the most accurate estimator (same file);
- ``ndcg_vs_popular``: NDCG@10 of a model minus ``popular``'s (``intervals.csv``); holds when > 0;
- ``local_bias``: local bias of a model's top-10 before the country rule (all users, estimated
  countries; ``cultural.csv``); holds when < 0 (the list is less local than the histories);
- ``local_bias_vs_popular``: the same minus ``popular``'s; holds when > 0 (more local than the
  charts);
- ``us_share_vs_popular``: the US share of a model's final lists minus ``popular``'s; holds when
  < 0 (the model pushes US music less than popularity does);
- ``soft_vs_hard``: per model, the largest cultural distance of a ``soft`` re-ranking whose NDCG@10
  is at least the ``hard`` rule's, minus the hard rule's cultural distance (``tradeoff.csv``);
  holds when > 0 (at no more accuracy cost than the paper's rule, the country-similarity penalty
  reaches culturally more distant artists).

:func:`sensitivity_table` sets the variants side by side and says, per finding and model, whether
the claim holds in every variant (``robust``), in none, or depends on the generator's settings.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from . import heldout
from .cultural import HISTORY_SAMPLE
from .replicates import FILES as REPLICATE_FILES
from .replicates import replicate_config

FILES = (*REPLICATE_FILES, "results/paper_agreement.csv", "results/country_estimation.csv", "results/tradeoff.csv")
REFERENCES = (*heldout.REFERENCES, HISTORY_SAMPLE)  # rows that are not models
CLAIMS = {
    "rmse_order": "the paper's RMSE order (Kendall's tau >= 0.9)",
    "estimator_gain": "an estimator beats the paper's argmax",
    "mixture_best": "the mixture estimator is the most accurate",
    "ndcg_vs_popular": "NDCG@10 above popular's",
    "local_bias": "top-10 less local than the histories (local bias < 0)",
    "local_bias_vs_popular": "top-10 more local than popular's",
    "us_share_vs_popular": "final lists less US than popular's",
    "soft_vs_hard": "soft re-ranking reaches more cultural distance than the hard rule at no more NDCG cost",
}


def variant_config(config: dict, variant: dict, base_models=()) -> dict:
    """The whole config of one variant: ``config`` (no replicates, no sensitivity of its own) with
    the variant's seeds (as a replicate's) and its generator process."""
    out = replicate_config(config, variant.get("seeds") or {}, base_models)
    out["sensitivity"] = []
    dataset = out.setdefault("dataset", {})
    synthetic = dataset.get("synthetic") or {}
    dataset["synthetic"] = {**synthetic, "process": copy.deepcopy(variant.get("process") or {})}
    return out


def _row(finding: str, model: str, value: float, holds: bool, detail: str = "") -> dict:
    return {"finding": finding, "model": model, "value": float(value), "holds": bool(holds), "detail": detail}


def findings(folder: Path) -> pd.DataFrame:
    """finding, model, value, holds, detail of one variant's result files (``folder``: its working
    folder); a finding whose file is missing is left out."""
    res = Path(folder) / "results"
    rows = []
    agreement = res / "paper_agreement.csv"
    if agreement.exists():
        a = pd.read_csv(agreement).set_index("measure")
        if "RMSE" in a.index and np.isfinite(a.loc["RMSE", "kendall_tau"]):
            tau = float(a.loc["RMSE", "kendall_tau"])
            rows.append(_row("rmse_order", "", tau, tau >= 0.9, f"{int(a.loc['RMSE', 'models'])} models"))
    estimation = res / "country_estimation.csv"
    if estimation.exists():
        e = pd.read_csv(estimation)
        e = e[(e["scope"] == "all") & (e["source"] == "sample")].set_index("estimator")["accuracy"]
        e = e.drop("top3", errors="ignore").sort_values(ascending=False, kind="stable")
        order = " > ".join(f"{k} {v:.3f}" for k, v in e.items())
        rows.append(_row("estimator_gain", e.index[0], e.iloc[0] - e.get("argmax", np.nan), e.index[0] != "argmax", order))
        rows.append(
            _row(
                "mixture_best",
                "mixture",
                e.get("mixture", np.nan) - e.drop("mixture", errors="ignore").max(),
                e.index[0] == "mixture",
                order,
            )
        )
    iv = pd.read_csv(res / "intervals.csv")
    ndcg = iv[iv["metric"] == "ndcg@n"].set_index("model")["mean"]
    if "popular" in ndcg.index:
        for model, value in ndcg.drop(list(REFERENCES), errors="ignore").items():
            rows.append(_row("ndcg_vs_popular", model, value - ndcg["popular"], value > ndcg["popular"]))
    c = pd.read_csv(res / "cultural.csv", keep_default_na=False, na_values=[""])
    c = c[(c["countries"] == "estimated") & (c["user_country"] == "all")].set_index("model")
    models = [m for m in c.index if m not in REFERENCES]
    for model in models:
        bias = c.loc[model, "local_bias_initial"]
        rows.append(_row("local_bias", model, bias, bias < 0))
        if "popular" in c.index:
            diff = bias - c.loc["popular", "local_bias_initial"]
            rows.append(_row("local_bias_vs_popular", model, diff, diff > 0))
            us = c.loc[model, "us_share_final"] - c.loc["popular", "us_share_final"]
            rows.append(_row("us_share_vs_popular", model, us, us < 0))
    tradeoff = res / "tradeoff.csv"
    if tradeoff.exists():
        t = pd.read_csv(tradeoff)
        for model, rows_m in t[~t["model"].isin(REFERENCES)].groupby("model", sort=False):
            hard = rows_m[rows_m["method"] == "hard"]
            soft = rows_m[rows_m["method"] == "soft"]
            if hard.empty or soft.empty or not np.isfinite(hard["cultural_distance"].iloc[0]):
                continue
            ok = soft[soft["ndcg"] >= hard["ndcg"].iloc[0]].dropna(subset=["cultural_distance"])
            if ok.empty:
                rows.append(_row("soft_vs_hard", model, np.nan, False, "no soft lambda keeps the hard rule's NDCG"))
                continue
            best = ok.loc[ok["cultural_distance"].idxmax()]
            gain = best["cultural_distance"] - hard["cultural_distance"].iloc[0]
            rows.append(_row("soft_vs_hard", model, gain, gain > 0, f"lambda {best['lambda']:g}"))
    return pd.DataFrame(rows, columns=["finding", "model", "value", "holds", "detail"])


def sensitivity_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (finding, model): the claim, each variant's value and whether the claim holds
    there (``{variant}`` and ``{variant}_holds``), how many variants it holds in, and the verdict:
    ``robust`` (every variant), ``not supported`` (none) or ``depends on the generator``. A finding
    a variant lacks counts as not holding there."""
    keys = pd.concat([t[["finding", "model"]] for t in tables.values()]).drop_duplicates()
    out = keys.reset_index(drop=True)
    out.insert(1, "claim", [CLAIMS[f] for f in out["finding"]])
    held = np.zeros(len(out), dtype=np.int64)
    for name, t in tables.items():
        merged = out[["finding", "model"]].merge(t, on=["finding", "model"], how="left")
        out[name] = merged["value"].to_numpy(np.float64)
        holds = merged["holds"].fillna(False).astype(bool).to_numpy()
        out[f"{name}_holds"] = holds
        held += holds
    out["holds_in"] = held
    out["variants"] = len(tables)
    out["verdict"] = np.where(held == len(tables), "robust", np.where(held == 0, "not supported", "depends on the generator"))
    return out

"""Plot the mean and spread over folds of RMSE and MAE per model."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.figures import save_png  # noqa: E402
from lfmrec.harness import run_script  # noqa: E402


def plot(table: pd.DataFrame, path, intervals: pd.DataFrame | None = None) -> None:
    """Per metric: each model's bar (mean over folds, the paper's figure), the folds as dots, and
    the RMSE / MAE pooled over all test predictions with its 95% cluster-bootstrap interval over
    users (a diamond with whiskers)."""
    fold_cols = [c for c in table.columns if c.startswith("fold_")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.9), sharey=False, layout="constrained")
    for ax, metric in zip(axes, ("RMSE", "MAE"), strict=True):
        rows = table[table["metric"] == metric].reset_index(drop=True)
        x = np.arange(len(rows))
        ax.bar(x, rows["mean"], color="#8fb3d9", label="mean over folds")
        for i, r in rows.iterrows():
            ax.scatter(
                np.full(len(fold_cols), i),
                r[fold_cols].to_numpy(float),
                s=10,
                color="#1f3b5c",
                zorder=3,
                label="folds" if i == 0 else None,
            )
        values = [rows[fold_cols].to_numpy(float).ravel()]
        if intervals is not None:
            iv = intervals[intervals["metric"] == metric].set_index("model").reindex(rows["model"])
            err = np.vstack([iv["pooled"] - iv["ci_low"], iv["ci_high"] - iv["pooled"]])
            ax.errorbar(
                x + 0.25,
                iv["pooled"],
                yerr=err,
                fmt="D",
                ms=4,
                color="#b03a2e",
                capsize=3,
                zorder=4,
                label="pooled, 95% interval over users",
            )
            values += [iv["ci_low"].to_numpy(float), iv["ci_high"].to_numpy(float)]
        lo, hi = np.nanmin(np.concatenate(values)), np.nanmax(np.concatenate(values))
        ax.set_ylim(lo - 0.15 * (hi - lo + 1e-3) - 0.02, hi + 0.15 * (hi - lo + 1e-3) + 0.02)
        ax.set_xticks(x, rows["model"], rotation=45, ha="right")
        ax.set_title(f"{metric} per model ({len(fold_cols)}-fold CV)")
        ax.set_xlabel("model")
        ax.set_ylabel(f"{metric} (log2 playcounts; lower is better)")
    axes[0].legend(fontsize=8, loc="upper left")
    save_png(fig, path)


def main(snakemake):
    intervals = pd.read_csv(snakemake.input.intervals) if snakemake.input.get("intervals") else None
    plot(pd.read_csv(snakemake.input.csv), snakemake.output.png, intervals)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

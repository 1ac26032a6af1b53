"""Plot the mean and spread over folds of RMSE and MAE per model."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.figures import save_png  # noqa: E402
from lfmrec.io import run_script  # noqa: E402


def plot(table: pd.DataFrame, path) -> None:
    fold_cols = [c for c in table.columns if c.startswith("fold_")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=False)
    for ax, metric in zip(axes, ("RMSE", "MAE"), strict=True):
        rows = table[table["metric"] == metric].reset_index(drop=True)
        x = np.arange(len(rows))
        ax.bar(x, rows["mean"], yerr=rows["std"], color="#8fb3d9", capsize=4)
        for i, r in rows.iterrows():
            ax.scatter(np.full(len(fold_cols), i), r[fold_cols].to_numpy(float), s=10, color="#1f3b5c", zorder=3)
        lo = rows[fold_cols].to_numpy(float).min()
        hi = rows[fold_cols].to_numpy(float).max()
        ax.set_ylim(lo - 0.15 * (hi - lo + 1e-3) - 0.02, hi + 0.15 * (hi - lo + 1e-3) + 0.02)
        ax.set_xticks(x, rows["model"], rotation=45, ha="right")
        ax.set_title(f"{metric} per model ({len(fold_cols)}-fold CV; dots = folds)")
        ax.set_xlabel("model")
        ax.set_ylabel(f"{metric} (log2 playcounts; lower is better)")
    fig.tight_layout()
    save_png(fig, path)


def main(snakemake):
    plot(pd.read_csv(snakemake.input.csv), snakemake.output.png)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

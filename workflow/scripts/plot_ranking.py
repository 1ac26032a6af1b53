"""Plot the held-out top-n metrics per model (mean over folds, dots = folds)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from lfmrec.figures import save_png  # noqa: E402
from lfmrec.harness import run_script  # noqa: E402

YLABEL = {
    "precision@n": "precision@{n} (hits / {n})",
    "recall@n": "recall@{n} (share of held-out artists hit)",
    "ndcg@n": "NDCG@{n} (binary relevance)",
    "hit@n": "hit@{n} (share of users with a hit)",
}


def plot(table: pd.DataFrame, n: int, references: list[str], path, intervals: pd.DataFrame) -> None:
    """Per metric: each model's mean over users (bar) with its 95% bootstrap interval over users
    (whisker), and its value on each fold (dots)."""
    fold_cols = [c for c in table.columns if c.startswith("fold_")]
    metrics = list(dict.fromkeys(table["metric"]))
    ncols = min(2, len(metrics))
    nrows = -(-len(metrics) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.4 * ncols, 4.6 * nrows + 0.6), layout="constrained", squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=True):
        rows = table[table["metric"] == metric].reset_index(drop=True)
        iv = intervals[intervals["metric"] == metric].set_index("model").reindex(rows["model"])
        x = np.arange(len(rows))
        colors = ["#d9a38f" if m in references else "#8fb3d9" for m in rows["model"]]
        err = np.vstack([iv["mean"] - iv["ci_low"], iv["ci_high"] - iv["mean"]])
        ax.bar(x, iv["mean"], yerr=err, color=colors, capsize=3)
        folds = rows[fold_cols].to_numpy(float)
        for i in range(len(rows)):
            ax.scatter(np.full(len(fold_cols), i), folds[i], s=8, color="#1f3b5c", zorder=3)
        top = np.nanmax(np.column_stack([folds, iv["ci_high"].to_numpy(float)]), axis=1)
        for i, (mean, t) in enumerate(zip(iv["mean"], top, strict=True)):  # the value, readable even where the bar is ~0
            ax.annotate(
                f"{mean:.2g}",
                (i, t),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                rotation=90,
                fontsize=7,
            )
        ax.set_ylim(0, 1.2 * np.nanmax(top) if np.nanmax(top) > 0 else 1)
        ax.set_xticks(x, rows["model"], rotation=45, ha="right", fontsize=8)
        ax.set_xlabel("model")
        ax.set_ylabel(YLABEL.get(metric, metric).format(n=n).replace("@n", f"@{n}"))
        ax.set_title(metric.replace("@n", f"@{n}"))
    for ax in axes.flat[len(metrics) :]:
        ax.set_visible(False)
    shown = [m for m in dict.fromkeys(table["model"]) if m in references]
    handles = [
        Patch(
            color="#8fb3d9",
            label="model (bar: mean over users of their mean over folds;\nwhisker: 95% bootstrap interval over users)",
        )
    ]
    if shown:
        handles.append(Patch(color="#d9a38f", label="reference model (" + ", ".join(shown) + ")"))
    handles.append(Line2D([], [], ls="", marker="o", ms=4, color="#1f3b5c", label="individual folds"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)
    fig.suptitle(f"Top-{n} on held-out artists ({len(fold_cols)}-fold CV; number above each bar: its mean)")
    save_png(fig, path)


def main(snakemake):
    plot(
        pd.read_csv(snakemake.input.csv),
        snakemake.params.n,
        snakemake.params.references,
        snakemake.output.png,
        pd.read_csv(snakemake.input.intervals),
    )


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

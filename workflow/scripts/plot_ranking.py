"""Plot the held-out top-n metrics per model (mean over folds, dots = folds)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.io import atomic_path, run_script  # noqa: E402


def plot(table: pd.DataFrame, n: int, references: list[str], path) -> None:
    fold_cols = [c for c in table.columns if c.startswith("fold_")]
    metrics = list(dict.fromkeys(table["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4.6))
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        rows = table[table["metric"] == metric].reset_index(drop=True)
        x = np.arange(len(rows))
        colors = ["#d9a38f" if m in references else "#8fb3d9" for m in rows["model"]]
        ax.bar(x, rows["mean"], yerr=rows["std"], color=colors, capsize=3)
        for i, r in rows.iterrows():
            ax.scatter(np.full(len(fold_cols), i), r[fold_cols].to_numpy(float), s=8, color="#1f3b5c", zorder=3)
        ax.set_xticks(x, rows["model"], rotation=60, ha="right", fontsize=8)
        ax.set_title(metric.replace("@n", f"@{n}"))
    fig.suptitle(f"Top-{n} on held-out artists ({len(fold_cols)}-fold CV; orange = reference models)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)


def main(snakemake):
    plot(pd.read_csv(snakemake.input.csv), snakemake.params.n, snakemake.params.references, snakemake.output.png)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Plot accuracy (NDCG@n on held-out artists) against foreign share and cultural distance for the
re-ranking methods: soft and calibrated as curves over lambda, none and hard as points."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.io import atomic_path, run_script  # noqa: E402

STYLE = {"soft": "-", "calibrated": "--"}
MARKER = {"none": "o", "hard": "X"}


def plot(table: pd.DataFrame, n: int, path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), sharey=True)
    cmap = plt.get_cmap("tab20")
    for k, (model, rows) in enumerate(table.groupby("model", sort=False)):
        color = cmap(k % 20)
        for ax, x in zip(axes, ("foreign_share", "cultural_distance")):
            for method, style in STYLE.items():
                r = rows[rows["method"] == method].sort_values("lambda")
                ax.plot(r[x], r["ndcg"], style, color=color, marker=".", ms=4, lw=1.2,
                        label=model if (method == "soft" and x == "foreign_share") else None)
            for method, marker in MARKER.items():
                r = rows[rows["method"] == method]
                ax.scatter(r[x], r["ndcg"], marker=marker, color=color, s=40, zorder=3)
    axes[0].set_xlabel("foreign share of the top-%d" % n)
    axes[1].set_xlabel("mean cultural distance (1 - country similarity)")
    axes[0].set_ylabel(f"NDCG@{n} on held-out artists")
    axes[0].set_yscale("symlog", linthresh=1e-3)
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[1].plot([], [], "-", color="grey", label="soft (lambda grid)")
    axes[1].plot([], [], "--", color="grey", label="calibrated (lambda grid)")
    axes[1].scatter([], [], marker="o", color="grey", label="none (plain top-n)")
    axes[1].scatter([], [], marker="X", color="grey", label="hard (the paper)")
    axes[0].legend(fontsize=7, ncol=2, loc="lower left")
    axes[1].legend(fontsize=8, loc="lower left")
    fig.suptitle("Accuracy vs. cross-cultural reach of the re-ranking methods (means over folds)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)


def main(snakemake):
    plot(pd.read_csv(snakemake.input.csv), snakemake.params.n, snakemake.output.png)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

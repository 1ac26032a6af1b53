"""Plot accuracy (NDCG@n on held-out artists) against foreign share and cultural distance for the
re-ranking methods: one panel per method (soft, calibrated) and x measure, each model a curve over
lambda (its own colour and marker), plain top-n and the paper's hard rule as points."""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from lfmrec.figures import add_note, save_png  # noqa: E402
from lfmrec.harness import run_script  # noqa: E402
from lfmrec.heldout import tradeoff_notes  # noqa: E402

CURVES = ("soft", "calibrated")
CURVE_TITLE = {"soft": "soft (score - lambda x country similarity)", "calibrated": "calibrated (Steck 2018)"}
X_MEASURES = (
    ("foreign_share", "foreign share of the top-{n}"),
    ("cultural_distance", "mean cultural distance (1 - country similarity)"),
)
MARKERS = ["o", "s", "^", "D", "v", "P", "*", "h", "<", "p", ">", "d"]
VALUES = ["foreign_share", "cultural_distance", "ndcg"]


def identical_groups(table: pd.DataFrame) -> list[list[str]]:
    """Models in table order, those whose rows (every method and lambda) are exactly equal grouped
    together: their curves coincide and could not be told apart."""
    groups: dict[bytes, list[str]] = {}
    for model, rows in table.groupby("model", sort=False):
        r = rows.sort_values(["method", "lambda"], kind="stable")
        key = r["method"].str.cat(sep=",").encode() + r[["lambda"] + VALUES].to_numpy(float).tobytes()
        groups.setdefault(key, []).append(model)
    return list(groups.values())


def group_label(models: list[str]) -> str:
    if len(models) == 1:
        return models[0]
    prefix = os.path.commonprefix(models)
    prefix = prefix[: prefix.rfind("_") + 1]
    rest = [m[len(prefix) :] if prefix else m for m in models[1:]]
    return f"{models[0]} = {' = '.join(rest)}\n(identical curves)"


def plot(table: pd.DataFrame, n: int, path) -> None:
    groups = identical_groups(table)
    # tab10, then four dark colours: up to 14 models (or groups of identical ones) in distinct colours
    colors = [*plt.get_cmap("tab10").colors, "#000000", "#8c6d31", "#393b79", "#637939"]
    fig, axes = plt.subplots(len(CURVES), len(X_MEASURES), figsize=(13, 9.5), sharey=True, sharex="col", layout="constrained")
    handles = []
    for k, models in enumerate(groups):
        rows = table[table["model"] == models[0]]
        color, marker = colors[k % len(colors)], MARKERS[k % len(MARKERS)]
        none = rows[rows["method"] == "none"]
        hard = rows[rows["method"] == "hard"]
        for i, method in enumerate(CURVES):
            r = rows[rows["method"] == method].sort_values("lambda")
            for j, (x, _) in enumerate(X_MEASURES):
                ax = axes[i, j]
                ax.plot(r[x], r["ndcg"], "-", color=color, marker=marker, ms=4.5, lw=1.3, zorder=2)
                ax.scatter(none[x], none["ndcg"], marker=marker, s=90, color=color, edgecolors="black", linewidths=1.0, zorder=4)
                ax.scatter(
                    hard[x], hard["ndcg"], marker=marker, s=110, facecolors="white", edgecolors=color, linewidths=1.8, zorder=4
                )
        handles.append(Line2D([], [], color=color, marker=marker, ms=6, lw=1.3, label=group_label(models)))
    positive = table["ndcg"][table["ndcg"] > 0]
    for i, method in enumerate(CURVES):
        for j, (_, xlabel) in enumerate(X_MEASURES):
            ax = axes[i, j]
            lambdas = table.loc[table["method"] == method, "lambda"]
            grid = f"; lambda {lambdas.min():g} to {lambdas.max():g}" if len(lambdas) else " (no lambda grid)"
            ax.set_title(CURVE_TITLE[method] + grid, fontsize=10)
            ax.set_xlabel(xlabel.format(n=n))
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.grid(alpha=0.3, which="both")
    if len(positive) == len(table):
        axes[0, 0].set_yscale("log")
        scale = "log scale"
    else:  # some lists never hit: linear between 0 and the smallest positive value
        linthresh = float(positive.min()) if len(positive) else 1e-3
        axes[0, 0].set_yscale("symlog", linthresh=linthresh)
        scale = f"log scale, linear below {linthresh:.2g}"
    for i in range(len(CURVES)):
        axes[i, 0].set_ylabel(f"NDCG@{n} on held-out artists ({scale})")
    key = [
        Line2D([], [], ls="-", color="black", marker="o", ms=4.5, label="curve: lambda grid, from\nlambda 0 (= plain top-n)"),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=9,
            color="grey",
            markeredgecolor="black",
            label="filled, black edge:\nnone (plain top-n)",
        ),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=9,
            markerfacecolor="white",
            markeredgecolor="black",
            markeredgewidth=1.8,
            label="hollow: hard (the paper:\nsame-country artists deleted)",
        ),
    ]
    spacer = Line2D([], [], ls="", label=" ")
    header = Line2D([], [], ls="", label="$\\bf{marker\\ style}$ (colour and shape = model)")
    fig.legend(
        handles=handles + [spacer, header] + key,
        title="model",
        loc="outside right upper",
        fontsize=8,
        title_fontsize=9,
        labelspacing=0.9,
        handlelength=2.5,
    )
    fig.suptitle("Accuracy vs. cross-cultural reach of the re-ranking methods (means over folds)")
    add_note(fig, [f"Not shown: {n}" for n in tradeoff_notes(table)])
    save_png(fig, path)


def main(snakemake):
    plot(pd.read_csv(snakemake.input.csv), snakemake.params.n, snakemake.output.png)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

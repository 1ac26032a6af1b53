"""Uncertainty of the held-out ranking results (lfmrec.stats): every model's and reference's mean
metrics over users with bootstrap intervals (results/intervals.csv), the paired tests between every
two of them (results/significance.csv), and NDCG and recall per user country (results/by_country.csv
and its plot)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.figures import add_note, save_png  # noqa: E402
from lfmrec.harness import run_script  # noqa: E402
from lfmrec.io import write_csv, write_text  # noqa: E402
from lfmrec.report import table_page  # noqa: E402
from lfmrec.stats import METRICS, by_country_table, interval_table, significance_table, user_values  # noqa: E402


def plot_by_country(table: pd.DataFrame, references: list[str], n: int, path) -> None:
    """NDCG and recall per user-country group: one row per group, a dot and 95% interval per model."""
    groups = list(dict.fromkeys(table["group"]))
    models = list(dict.fromkeys(table["model"]))
    colors = [*plt.get_cmap("tab10").colors, "#000000", "#8c6d31", "#393b79", "#637939"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.5 * len(groups) + 2.2), sharey=True, layout="constrained")
    step = 0.8 / max(len(models), 1)
    for ax, metric in zip(axes, ("ndcg@n", "recall@n"), strict=True):
        for j, model in enumerate(models):
            rows = table[(table["model"] == model) & (table["metric"] == metric)].set_index("group").reindex(groups)
            y = np.arange(len(groups)) - 0.4 + step * (j + 0.5)
            err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
            ax.errorbar(
                rows["mean"],
                y,
                xerr=err,
                fmt="s" if model in references else "o",
                ms=4,
                lw=1,
                color=colors[j % len(colors)],
                label=model,
            )
        ax.set_yticks(
            np.arange(len(groups)), [f"{g} ({int(table.loc[(table['group'] == g), 'users'].max())})" for g in groups], fontsize=8
        )
        ax.set_ylim(len(groups) - 0.5, -0.5)
        ax.set_xlabel(f"{metric.replace('@n', f'@{n}')} on held-out artists (mean over users, 95% interval)")
        ax.grid(axis="x", color="0.9")
    axes[0].set_ylabel("user country (evaluated users)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper", fontsize=8, title="model (squares: references)")
    fig.suptitle("Held-out accuracy by user country")
    add_note(
        fig,
        [
            "Intervals: percentile bootstrap over the group's users; a user's value is the mean over the folds in "
            "which the user has test pairs."
        ],
    )
    save_png(fig, path)


def main(snakemake):
    p = snakemake.params
    names = list(p.models)
    per_model = {m: [f for f in snakemake.input.per_user if f.split("/")[-2] == m] for m in names}
    values = {
        m: user_values(pd.concat([pd.read_parquet(f) for f in sorted(files)], ignore_index=True))
        for m, files in per_model.items()
    }
    users = pd.read_parquet(snakemake.input.users).set_index("user_id")["country"]

    intervals = interval_table(values, {"all": users.index.to_numpy()}, METRICS, p.n_resamples, p.seed)
    write_csv(intervals, snakemake.output.intervals)
    write_text(
        table_page(
            "Held-out top-n metrics: means over users with 95% bootstrap intervals",
            intervals,
            "A user's value is the mean over the folds in which the user has test pairs; the interval is a "
            f"percentile bootstrap over users ({p.n_resamples} resamples).",
        ),
        snakemake.output.intervals_html,
    )

    sig = significance_table(values, p.n_resamples, p.seed, p.alpha)
    write_csv(sig, snakemake.output.significance)
    write_text(
        table_page(
            "Paired comparisons of every two models (plain top-n lists on held-out artists)",
            sig,
            "diff = mean over users of model_a - model_b, with a paired bootstrap 95% interval; Wilcoxon "
            "signed-rank (zero differences dropped) and paired randomization tests (two-sided, "
            f"{p.n_resamples} sign flips), Holm-corrected per metric over all pairs; d_z = mean / sd of the "
            "differences; rank_biserial = (W+ - W-) / (W+ + W-). significant: Holm-corrected "
            f"randomization p < {p.alpha}.",
        ),
        snakemake.output.significance_html,
    )

    by_country = by_country_table(
        values,
        users.reindex(sorted(set().union(*(v.index for v in values.values())))),
        p.min_country_users,
        p.n_resamples,
        p.seed,
    )
    write_csv(by_country, snakemake.output.by_country)
    write_text(
        table_page(
            "Held-out NDCG and recall by user country, with 95% bootstrap intervals",
            by_country,
            f"Groups: all users, US, non-US, every country with at least {p.min_country_users} evaluated "
            "users, and the rest pooled as 'other'.",
        ),
        snakemake.output.by_country_html,
    )
    plot_by_country(by_country, list(p.references), p.n, snakemake.output.by_country_png)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""The field's cultural measures of every model's lists before and after the country rule, per user
country: results/cultural.csv, its HTML page and results/plots/cultural.png."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from lfmrec.cultural import cultural_table, labellings_of, lists_of  # noqa: E402
from lfmrec.figures import add_note, save_png  # noqa: E402
from lfmrec.harness import run_script  # noqa: E402
from lfmrec.io import write_csv, write_text  # noqa: E402
from lfmrec.report import table_page  # noqa: E402

PAGE_COUNTRIES = 10  # user countries on the HTML page (the CSV has all)
PLOT_COUNTRIES = 8  # user countries in the plot, after "all"
COLORS = {"local": "#c0392b", "us": "#2e6da4"}


def largest_countries(table: pd.DataFrame, k: int) -> list[str]:
    """The k user countries with the most users (the table's order), "all" first."""
    first = table[(table["model"] == table["model"].iat[0]) & (table["countries"] == table["countries"].iat[0])]
    countries = [c for c in first["user_country"] if c != "all"]
    return ["all", *countries[:k]]


def absent_notes(table: pd.DataFrame, has_truth: bool) -> list[str]:
    """What the table and plot leave out, and why: the planted-truth labelling of a real copy, and
    the final lists of models that have none."""
    notes = []
    if not has_truth:
        notes.append(
            "Countries = truth (planted home countries): absent, the data has none (a real LFM-1b copy); "
            "every measure is by estimated artist countries."
        )
    alls = table[(table["user_country"] == "all") & (table["countries"] == "estimated")]
    empty = alls.loc[alls["us_share_final"].isna(), "model"].tolist()
    if empty:
        notes.append(
            f"Final lists: empty for {', '.join(empty)} (no user has a candidate artist from another "
            "country), so their *_final columns are empty and the plot shows no filled dot."
        )
    return notes


def plot(table: pd.DataFrame, path, notes: list[str] | None = None) -> None:
    """Per user country (the largest, after all users): local and US share of the history
    (dashed lines) and of each model's lists before (hollow) and after (filled) the country rule."""
    labelling = "truth" if (table["countries"] == "truth").any() else "estimated"
    t = table[table["countries"] == labelling]
    countries = largest_countries(t, PLOT_COUNTRIES)
    models = list(dict.fromkeys(t["model"]))
    ncols = 3
    nrows = -(-len(countries) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(4.3 * ncols, 0.28 * len(models) * nrows + 1.2 * nrows + 1.2),
        sharex=True,
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    shares = [f"{m}_{s}" for m in ("local_share", "us_share") for s in ("history", "initial", "final")]
    top = float(np.nanmax(t[shares].to_numpy(float))) if len(t) else 1.0
    y = np.arange(len(models))
    for ax, country in zip(axes.flat, countries, strict=False):  # the grid may hold more axes
        rows = t[t["user_country"] == country].set_index("model").reindex(models)
        for measure, color, dy in (("local", COLORS["local"], -0.15), ("us", COLORS["us"], 0.15)):
            col = "local_share" if measure == "local" else "us_share"
            hist = rows[f"{col}_history"].dropna()
            if len(hist):
                ax.axvline(float(hist.iat[0]), color=color, ls="--", lw=1.2)
            before, after = rows[f"{col}_initial"].to_numpy(float), rows[f"{col}_final"].to_numpy(float)
            ax.hlines(y + dy, np.fmin(before, after), np.fmax(before, after), color=color, lw=0.8, alpha=0.6)
            ax.plot(before, y + dy, "o", mfc="white", mec=color, ms=5, mew=1.2, ls="none")
            ax.plot(after, y + dy, "o", color=color, ms=5, ls="none")
        users = int(rows["users"].dropna().iat[0]) if rows["users"].notna().any() else 0
        name = "all users" if country == "all" else f"{country} users" + (" (local = US)" if country == "US" else "")
        ax.set_title(f"{name}, n = {users:,}", fontsize=10)
        ax.set_yticks(y, models, fontsize=8)
        ax.set_ylim(len(models) - 0.5, -0.5)
        ax.set_xlim(-0.02, min(1.0, top * 1.08 + 0.02))
        ax.grid(axis="x", color="0.9", lw=0.6)
        ax.set_axisbelow(True)
    for ax in axes.flat[len(countries) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("share of artists", fontsize=9)
    handles = [
        Line2D([], [], color=COLORS["local"], lw=6, label="local (user's own country)"),
        Line2D([], [], color=COLORS["us"], lw=6, label="US"),
        Line2D([], [], color="0.3", ls="--", label="history (users' distinct artists)"),
        Line2D([], [], marker="o", mfc="white", mec="0.3", ls="none", label="top-10 before the country rule"),
        Line2D([], [], marker="o", color="0.3", ls="none", label="final list (after the rule)"),
    ]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
    which = "planted home countries" if labelling == "truth" else "estimated countries"
    fig.suptitle(f"Local and US share of artists: history vs recommendations, per user country ({which})", fontsize=11)
    add_note(fig, notes or [])
    save_png(fig, path)


def page(table: pd.DataFrame, notes: list[str] | None = None) -> str:
    keep = set(largest_countries(table, PAGE_COUNTRIES))
    note = (
        "Per model, artist-country labelling (estimated; truth = planted home countries of synthetic data) "
        "and user country: US share and local share of the users' histories (distinct artists), of the "
        "top-10 before the country rule (initial) and of the final lists; local bias = local share of "
        "the list - local share of the history; js = mean Jensen-Shannon divergence (base 2, in [0, 1]) "
        "between each user's history and list artist-country distributions. Unknown-country artists are "
        "their own category: never local, never US. Means over users. References: popular and random "
        "(the same selection and country rule as every model); history_sample = n artists drawn from the "
        "user's own history (initial) and n from its artists of other countries (final): the floor of js, "
        "what a list that mirrors the history gets by chance. Shown: all users and the "
        f"{PAGE_COUNTRIES} largest user countries; results/cultural.csv has every country."
    )
    note = " ".join([note, *(notes or [])])
    return table_page(
        "Cultural measures: local and US share, local bias, JS divergence", table[table["user_country"].isin(keep)], note
    )


def main(snakemake):
    p = snakemake.params
    inp = snakemake.input
    triples = pd.read_parquet(inp.triples, columns=["user_id", "artist_id"])
    users = pd.read_parquet(inp.users, columns=["user_id", "country"])
    labellings = labellings_of(pd.read_parquet(inp.labellings))
    lists = lists_of(p.models, inp.initial, inp.lists, inp.history_sample)
    table = cultural_table(users, triples, labellings, lists, p.min_users, p.n_resamples, p.seed)
    write_csv(table, snakemake.output.csv)
    notes = absent_notes(table, "truth" in labellings)
    write_text(page(table, notes), snakemake.output.html)
    plot(table, snakemake.output.png, notes)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Beyond-accuracy measures of every model's final cross-cultural lists: results/diversity.csv and
its plot."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.diversity import diversity, history_same_share, listeners  # noqa: E402
from lfmrec.figures import add_note, empty_figure, save_png  # noqa: E402
from lfmrec.harness import run_script  # noqa: E402
from lfmrec.io import write_csv, write_text  # noqa: E402
from lfmrec.report import table_page  # noqa: E402

# column, panel title, y-axis label
PANELS = [
    ("foreign_share_true", "foreign share (planted truth)", "share of list artists"),
    ("distinct_countries", "distinct countries per list", "countries (mean per list)"),
    ("country_entropy", "country entropy", "entropy (bits, mean per list)"),
    ("us_share", "share of US artists", "share of list artists"),
    ("local_bias_initial", "local bias before the rule", "same-country share: list - history"),
    ("local_bias", "local bias (final lists)", "same-country share: list - history"),
    ("coverage", "catalogue coverage", "share of candidate artists"),
    ("mean_popularity", "popularity of recommended artists", "sample listeners (mean)"),
]


TITLE = "Country diversity of the final cross-cultural lists"


def absent_notes(table: pd.DataFrame, has_truth: bool) -> list[str]:
    """What the table and plot leave out, and why: a measure no model has a value of (the planted
    truth of a real copy, every list empty), and models without any list."""
    notes = []
    if not has_truth:
        notes.append(
            "foreign_share_true: empty, the data has no planted artist countries (a real LFM-1b copy); "
            "foreign_share_estimated is the share by estimated countries."
        )
    empty = table.loc[table["users"] == 0, "model"].tolist()
    if empty:
        notes.append(f"No list (no user has a candidate from another country): {', '.join(empty)}; their measures are empty.")
    for col, title, _ in PANELS:
        if col != "foreign_share_true" and len(table) and table[col].isna().all() and len(empty) < len(table):
            notes.append(f"{col} ({title}): no value for any model.")
    return notes


def plot(table: pd.DataFrame, path, notes: list[str] | None = None) -> None:
    notes = [f"Not shown: {n}" for n in (notes or [])]
    panels = [p for p in PANELS if len(table) and table[p[0]].notna().any()]
    if not panels:
        empty_figure(TITLE, notes or ["No model has lists to measure."], path)
        return
    ncols = min(4, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(max(3.6 * ncols, 8.0), 4.1 * nrows + 0.5), layout="constrained", squeeze=False
    )
    x = np.arange(len(table))
    for ax, (col, title, ylabel) in zip(axes.flat, panels, strict=False):  # the grid may hold more axes than panels
        values = table[col].to_numpy(float)
        ax.bar(x, values, color="#8fb3d9")
        for i, v in enumerate(values):  # the value, readable even where the bar is ~0
            if np.isfinite(v):
                ax.annotate(
                    f"{v:.3g}",
                    (i, v),
                    xytext=(0, 2 if v >= 0 else -2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom" if v >= 0 else "top",
                    rotation=90,
                    fontsize=6.5,
                )
        lo, hi = min(0.0, float(np.nanmin(values))), max(0.0, float(np.nanmax(values)))
        pad = 0.22 * (hi - lo) if hi > lo else 1.0
        ax.set_ylim(lo - (pad if lo < 0 else 0), hi + (pad if hi > 0 else 0))
        ax.set_xticks(x, table["model"], rotation=60, ha="right", fontsize=7)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_xlabel("model", fontsize=9)
        ax.axhline(0, color="black", lw=0.5)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    method = f" ({table['method'].iat[0]} re-ranking)" if "method" in table and table["method"].nunique() == 1 else ""
    fig.suptitle(f"{TITLE}{method}")
    add_note(fig, notes)
    save_png(fig, path)


def local_bias_initial(per_user: pd.DataFrame, hist_share: pd.Series, n: int) -> float:
    """Local bias of the initial top-n (before the country rule): same-country share of the initial
    list (the deletions / n) minus that of the user's history."""
    d = per_user.set_index("user_id")["deletions"] / n
    return float((d - hist_share.reindex(d.index)).dropna().mean())


def main(snakemake):
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id"])
    artists = pd.read_parquet(snakemake.input.artists, columns=["artist_id", "country"])
    truth = pd.read_parquet(snakemake.input.truth[0]) if snakemake.input.truth else None
    users = pd.read_parquet(snakemake.input.users)
    hist_share = history_same_share(triples, users.set_index("user_id")["country"], artists)
    popularity = listeners(triples)
    n_candidates = int(popularity.size)
    rows = []
    for model, path, per_user in zip(snakemake.params.models, snakemake.input.lists, snakemake.input.per_user, strict=True):
        lists = pd.read_parquet(path)
        rows.append(
            {
                "model": model,
                "method": snakemake.params.method,
                **diversity(lists, triples, artists, popularity, n_candidates, truth, hist_share),
                "local_bias_initial": local_bias_initial(pd.read_parquet(per_user), hist_share, snakemake.params.n),
            }
        )
    table = pd.DataFrame(rows)
    notes = absent_notes(table, truth is not None)
    write_csv(table, snakemake.output.csv)
    write_text(table_page(TITLE, table, " ".join(notes) or None), snakemake.output.html)
    plot(table, snakemake.output.png, notes)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

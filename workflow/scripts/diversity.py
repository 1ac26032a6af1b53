"""Beyond-accuracy measures of every model's final cross-cultural lists: results/diversity.csv and
its plot."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.diversity import diversity, history_same_share, listeners  # noqa: E402
from lfmrec.io import atomic_path, run_script, write_csv, write_text  # noqa: E402
from lfmrec.report import table_page  # noqa: E402

# column, panel title, y-axis label
PANELS = [("foreign_share_true", "foreign share (planted truth)", "share of list artists"),
          ("distinct_countries", "distinct countries per list", "countries (mean per list)"),
          ("country_entropy", "country entropy", "entropy (bits, mean per list)"),
          ("us_share", "share of US artists", "share of list artists"),
          ("local_bias_initial", "local bias before the rule", "same-country share: list - history"),
          ("local_bias", "local bias (final lists)", "same-country share: list - history"),
          ("coverage", "catalogue coverage", "share of candidate artists"),
          ("mean_popularity", "popularity of recommended artists", "sample listeners (mean)")]


def plot(table: pd.DataFrame, path) -> None:
    panels = [p for p in PANELS if table[p[0]].notna().any()]
    ncols = min(4, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 4.1 * nrows + 0.5), layout="constrained",
                             squeeze=False)
    x = np.arange(len(table))
    for ax, (col, title, ylabel) in zip(axes.flat, panels, strict=True):
        values = table[col].to_numpy(float)
        ax.bar(x, values, color="#8fb3d9")
        for i, v in enumerate(values):  # the value, readable even where the bar is ~0
            if np.isfinite(v):
                ax.annotate(f"{v:.3g}", (i, v), xytext=(0, 2 if v >= 0 else -2), textcoords="offset points",
                            ha="center", va="bottom" if v >= 0 else "top", rotation=90, fontsize=6.5)
        lo, hi = min(0.0, np.nanmin(values)), max(0.0, np.nanmax(values))
        pad = 0.22 * (hi - lo) if hi > lo else 1.0
        ax.set_ylim(lo - (pad if lo < 0 else 0), hi + (pad if hi > 0 else 0))
        ax.set_xticks(x, table["model"], rotation=60, ha="right", fontsize=7)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_xlabel("model", fontsize=9)
        ax.axhline(0, color="black", lw=0.5)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    method = f" ({table['method'].iat[0]} re-ranking)" if "method" in table and table["method"].nunique() == 1 else ""
    fig.suptitle(f"Country diversity of the final cross-cultural lists{method}")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)


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
        rows.append({"model": model, "method": snakemake.params.method,
                     **diversity(lists, triples, artists, popularity, n_candidates, truth, hist_share),
                     "local_bias_initial": local_bias_initial(pd.read_parquet(per_user), hist_share, snakemake.params.n)})
    table = pd.DataFrame(rows)
    write_csv(table, snakemake.output.csv)
    write_text(table_page("Country diversity of the final cross-cultural lists", table), snakemake.output.html)
    plot(table, snakemake.output.png)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

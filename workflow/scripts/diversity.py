"""Beyond-accuracy measures of every model's final cross-cultural lists: results/diversity.csv and
its plot."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.countries import diversity, history_same_share  # noqa: E402
from lfmrec.io import atomic_path, run_script, write_csv, write_text  # noqa: E402
from lfmrec.report import table_page  # noqa: E402

PANELS = [("foreign_share_true", "foreign share (planted truth)"), ("distinct_countries", "distinct countries per list"),
          ("country_entropy", "country entropy (bits)"), ("us_share", "share of US artists"),
          ("local_bias_initial", "local bias before the rule"), ("local_bias", "local bias"), ("coverage", "catalogue coverage"),
          ("mean_popularity", "mean listeners of recommended artists")]


def plot(table: pd.DataFrame, path) -> None:
    panels = [(c, t) for c, t in PANELS if table[c].notna().any()]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 4.4))
    x = np.arange(len(table))
    for ax, (col, title) in zip(axes, panels):
        ax.bar(x, table[col], color="#8fb3d9")
        ax.set_xticks(x, table["model"], rotation=70, ha="right", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.axhline(0, color="black", lw=0.5)
    fig.suptitle("Country diversity of the final cross-cultural lists")
    fig.tight_layout()
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
    popularity = triples["artist_id"].value_counts()
    n_candidates = int(popularity.size)
    rows = []
    for model, path, per_user in zip(snakemake.params.models, snakemake.input.lists, snakemake.input.per_user):
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

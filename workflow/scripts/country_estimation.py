"""Accuracy of every artist-country estimator and source against the planted home countries
(synthetic data): results/country_estimation.csv and its plot."""

import logging

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.countries.accuracy import estimation_accuracy  # noqa: E402
from lfmrec.countries.estimate import SOURCES, estimate_every_method  # noqa: E402
from lfmrec.figures import save_png  # noqa: E402
from lfmrec.harness import run_script  # noqa: E402
from lfmrec.io import write_csv, write_text  # noqa: E402
from lfmrec.report import table_page  # noqa: E402

log = logging.getLogger("country_estimation")


def plot(acc: pd.DataFrame, path) -> None:
    overall = acc[acc["scope"] == "all"]
    fig, ax = plt.subplots(figsize=(9, 5.2), layout="constrained")
    sources = list(dict.fromkeys(overall["source"]))
    estimators = list(dict.fromkeys(overall["estimator"]))
    width = 0.8 / len(sources)
    any_top3 = False
    for k, source in enumerate(sources):
        rows = overall[overall["source"] == source].set_index("estimator").reindex(estimators)
        x = np.arange(len(estimators)) + (k - (len(sources) - 1) / 2) * width
        ax.bar(x, 100 * rows["accuracy"], width, label=f"users: {source}")
        top3 = (rows["accuracy_top3"] > rows["accuracy"]).to_numpy()
        any_top3 |= bool(top3.any())
        ax.scatter(x[top3], 100 * rows["accuracy_top3"][top3], marker="_", s=200, color="black")
    if any_top3:
        ax.scatter([], [], marker="_", s=200, color="black", label="true home in the top 3")
    base = overall.query("estimator == 'argmax' and source == 'sample'")["accuracy"]
    if len(base):
        ax.axhline(100 * base.iloc[0], color="grey", ls=":", label="argmax / sample (the paper)")
    ax.set_xticks(np.arange(len(estimators)), estimators)
    ax.set_xlabel("estimator")
    ax.set_ylabel("accuracy vs planted home country (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"Artist-country estimators on {int(overall['artists'].iloc[0])} artists")
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: not labels[i].startswith("users: "))  # bars first (stable)
    ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        borderaxespad=0,
    )
    save_png(fig, path)


def main(snakemake):
    p = snakemake.params
    artist_ids = pd.read_parquet(snakemake.input.sampled_artists)["artist_id"].to_numpy(np.int64)
    truth = pd.read_parquet(snakemake.input.truth)
    estimates = {}
    for source in SOURCES:
        table = pd.read_parquet(snakemake.input[source])
        by_method = estimate_every_method(table, artist_ids, min_support=p.min_support, shrinkage=p.shrinkage)
        for method, est in by_method.items():
            estimates[(method, source)] = est
    acc = estimation_accuracy(estimates, truth)
    log.info("\n%s", acc[acc["scope"] == "all"].to_string(index=False))
    write_csv(acc, snakemake.output.csv)
    write_text(
        table_page("Accuracy of the artist-country estimators against the planted home countries", acc), snakemake.output.html
    )
    plot(acc, snakemake.output.png)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

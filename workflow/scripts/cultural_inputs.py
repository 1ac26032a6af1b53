"""What the cultural measures compare every model's lists with, made once before any list exists:
the artist-country labellings (results/data/labellings.parquet: the configured estimate, the
further estimators of cultural.labellings, the planted truth of synthetic data) and the lists of
the history_sample floor (results/data/history_sample.parquet)."""

import pandas as pd

from lfmrec.countries.estimate import estimate
from lfmrec.cultural import history_samples, labelling_table
from lfmrec.harness import run_script
from lfmrec.io import write_parquet


def main(snakemake):
    p = snakemake.params
    artists = pd.read_parquet(snakemake.input.artists, columns=["artist_id", "country"])
    labellings = {"estimated": artists.set_index("artist_id")["country"]}
    plays, sampled = None, None
    for method in p.labellings:  # further estimators, from the same country play table
        if method != p.estimator:
            if plays is None:
                plays = pd.read_parquet(snakemake.input.plays)
                sampled = pd.read_parquet(snakemake.input.sampled_artists)["artist_id"].to_numpy()
            labellings[method] = estimate(plays, sampled, method).set_index("artist_id")["country"]
    if snakemake.input.truth:
        truth = pd.read_parquet(snakemake.input.truth[0], columns=["artist_id", "home_country"])
        labellings["truth"] = truth.set_index("artist_id")["home_country"]
    write_parquet(labelling_table(labellings), snakemake.output.labellings)
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id"])
    users = pd.read_parquet(snakemake.input.users, columns=["user_id", "country"])
    write_parquet(history_samples(triples, users, labellings["estimated"], p.n, p.sample_seed), snakemake.output.history_sample)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""The artist countries and the country similarity of every CV fold, estimated from the configured
country play table without the fold's test pairs (lfmrec.countries.folds): what the held-out
evaluation of that fold uses, so that no country label or similarity learns from its test pairs."""

import logging

import numpy as np
import pandas as pd

from lfmrec.countries.folds import fold_countries
from lfmrec.harness import run_script
from lfmrec.io import write_parquet

log = logging.getLogger("fold_countries")


def main(snakemake):
    p = snakemake.params
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id", "playcount"])
    fold = pd.read_parquet(snakemake.input.folds, columns=["fold", "row"])
    label = np.empty(len(triples), dtype=np.int64)
    label[fold["row"].to_numpy()] = fold["fold"].to_numpy()
    users = pd.read_parquet(snakemake.input.users)
    artist_ids = pd.read_parquet(snakemake.input.sampled_artists)["artist_id"].to_numpy(np.int64)
    table = pd.read_parquet(snakemake.input.plays)
    for k, (artists_out, similarity_out) in enumerate(zip(snakemake.output.artists, snakemake.output.similarity, strict=True)):
        artists, similarity = fold_countries(
            table, triples[label == k], users, artist_ids, p.estimator, min_support=p.min_support, shrinkage=p.shrinkage
        )
        log.info("fold %d: %d of %d artists with a country", k, int(artists["country"].notna().sum()), len(artists))
        write_parquet(artists[["artist_id", "country"]], artists_out)
        write_parquet(similarity, similarity_out)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

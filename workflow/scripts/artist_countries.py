"""Step 3: estimate each sampled artist's country with the configured estimator and source
(the paper: argmax over the sampled users' plays)."""

import logging

import numpy as np
import pandas as pd

from lfmrec.countries.estimate import estimate
from lfmrec.harness import run_script
from lfmrec.io import write_parquet
from lfmrec.lfm1b import read_artists

log = logging.getLogger("artist_countries")


def with_names(artists: pd.DataFrame, names: pd.DataFrame | None) -> pd.DataFrame:
    """Add the artist names (null when there is no artists file or the id is not in it)."""
    out = artists.copy()
    if names is None:
        out["name"] = pd.array([None] * len(out), dtype="string")
    else:
        out["name"] = names.set_index("artist_id")["name"].reindex(out["artist_id"]).astype("string").to_numpy()
        out["name"] = out["name"].astype("string")
    return out


def main(snakemake):
    p = snakemake.params
    artist_ids = pd.read_parquet(snakemake.input.sampled_artists)["artist_id"].to_numpy(np.int64)
    table = pd.read_parquet(snakemake.input.plays)
    est = estimate(table, artist_ids, p.estimator, min_support=p.min_support, shrinkage=p.shrinkage)
    sample = pd.read_parquet(snakemake.input.sample_plays)
    plays = sample.groupby("artist_id")["plays"].sum().reindex(artist_ids, fill_value=0).to_numpy(np.int64)
    artists = est[["artist_id", "country", "country_2", "country_3", "share_1", "share_2", "share_3"]].copy()
    artists.insert(2, "plays", plays)  # total plays by the sampled users
    names = read_artists(snakemake.input.names[0]) if snakemake.input.names else None
    artists = with_names(artists, names)
    log.info(
        "%s from %s: %d artists, %d with a country", p.estimator, p.source, len(artists), int(artists["country"].notna().sum())
    )
    write_parquet(artists, snakemake.output.artists)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

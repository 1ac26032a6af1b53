"""Step 3: estimate each sampled artist's country (the country whose users played it most)."""

import logging

import pandas as pd
import scipy.sparse as sp

from lfmrec.io import run_script, write_parquet
from lfmrec.lfm1b import read_artists
from lfmrec.sampling import artist_country_plays, estimate_artist_countries

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
    users = pd.read_parquet(snakemake.input.users)
    artist_ids = pd.read_parquet(snakemake.input.sampled_artists)["artist_id"].to_numpy()
    matrix = sp.load_npz(snakemake.input.matrix)
    plays = artist_country_plays(matrix, users["country"].to_numpy(), artist_ids)
    artists = estimate_artist_countries(plays, artist_ids)
    names = read_artists(snakemake.input.names[0]) if snakemake.input.names else None
    artists = with_names(artists, names)
    log.info("%d artists, %d with listens", len(artists), int(artists["country"].notna().sum()))
    write_parquet(artists, snakemake.output.artists)
    write_parquet(plays, snakemake.output.plays)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

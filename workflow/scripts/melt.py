"""Step 4: melt the sparse sample into (user, artist, playcount) triples with log2 ratings."""

import logging

import pandas as pd
import scipy.sparse as sp

from lfmrec.harness import run_script
from lfmrec.io import write_parquet
from lfmrec.sampling import melt

log = logging.getLogger("melt")


def main(snakemake):
    users = pd.read_parquet(snakemake.input.users)
    artist_ids = pd.read_parquet(snakemake.input.sampled_artists)["artist_id"].to_numpy()
    triples = melt(sp.load_npz(snakemake.input.matrix), users["user_id"].to_numpy(), artist_ids)
    log.info("%d triples", len(triples))
    write_parquet(triples, snakemake.output.triples)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Per (artist, country) plays and listeners of the sampled artists from three sources of users:

- sample: the sampled users with a country (the paper's route);
- all: every user of the full matrix with a declared country (the paper's suggested improvement);
- all_imputed: every user of the full matrix, undeclared countries imputed by naive Bayes from the
  users' listening over all artists (lfmrec.countries.plays.impute_user_countries; no ground truth used).
"""

import logging

import numpy as np
import pandas as pd
import scipy.sparse as sp

from lfmrec.countries.plays import country_play_table, impute_user_countries, restrict_columns
from lfmrec.harness import run_script
from lfmrec.io import write_json, write_parquet
from lfmrec.lfm1b import read_les

log = logging.getLogger("country_plays")


def main(snakemake):
    users = pd.read_parquet(snakemake.input.users)
    artist_ids = pd.read_parquet(snakemake.input.sampled_artists)["artist_id"].to_numpy(np.int64)
    sample = sp.load_npz(snakemake.input.matrix)
    aligned = pd.read_parquet(snakemake.input.aligned).sort_values("row")
    les = read_les(snakemake.input.les)
    full = sp.csr_matrix(les.matrix)[aligned["row"].to_numpy()]
    full_sampled = restrict_columns(full, les.artist_ids, artist_ids)
    del les
    imp = impute_user_countries(full, aligned["country"].to_numpy())
    del full
    tables = {
        "sample": country_play_table(sample, users["country"].to_numpy(), artist_ids),
        "all": country_play_table(full_sampled, aligned["country"].to_numpy(), artist_ids),
        "all_imputed": country_play_table(full_sampled, imp.countries, artist_ids),
    }
    facts = {
        "declared_users": int((~imp.imputed).sum()),
        "imputed_users": int(imp.imputed.sum()),
        "smoothing": imp.smoothing,
        "leave_one_out_accuracy": {str(k): v for k, v in imp.loo_accuracy.items()},
    }
    log.info("%s", facts)
    for source, table in tables.items():
        write_parquet(table, snakemake.output[source])
    write_json(facts, snakemake.output.imputation)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

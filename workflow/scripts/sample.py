"""Step 2: draw the users (keep those with a country) and the artists; store their submatrix."""

import logging

import numpy as np
import pandas as pd
import scipy.sparse as sp

from lfmrec.harness import run_script
from lfmrec.io import atomic_path, write_json, write_parquet
from lfmrec.lfm1b import read_les
from lfmrec.sampling import draw_sample

log = logging.getLogger("sample")


def write_matrix(matrix: sp.csr_matrix, path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        sp.save_npz(fh, matrix.tocsr(), compressed=False)


def main(snakemake):
    les = read_les(snakemake.input.les)
    aligned = pd.read_parquet(snakemake.input.aligned)
    p = snakemake.params
    sample = draw_sample(les.matrix, aligned, les.artist_ids, p.n_users, p.n_artists, p.seed)
    log.info(
        "%d users sampled, %d with a country and a play of a sampled artist (%d with a country dropped: no triple); "
        "%d artists; %d non-zeros",
        sample.users_sampled,
        len(sample.users),
        sample.users_without_triples,
        sample.artist_ids.size,
        sample.matrix.nnz,
    )
    write_parquet(sample.users, snakemake.output.users)
    write_parquet(pd.DataFrame({"artist_id": sample.artist_ids.astype(np.int64)}), snakemake.output.sampled_artists)
    write_matrix(sample.matrix, snakemake.output.matrix)
    write_json(
        {
            "users_sampled": sample.users_sampled,
            "users_without_triples": sample.users_without_triples,
            "seed": p.seed,
            "n_users": p.n_users,
            "n_artists": p.n_artists,
        },
        snakemake.output.info,
    )


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

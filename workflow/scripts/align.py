"""Step 1: read LEs.mat and users.txt, match matrix rows to users through idx_users.

Writes the matrix users (row, user_id, country) and the alignment counts (users listed in
users.txt but missing from the matrix: 147 on the real LFM-1b).
"""

import logging

from lfmrec.harness import run_script
from lfmrec.io import write_json, write_parquet
from lfmrec.lfm1b import align_users, read_les, read_users

log = logging.getLogger("align")


def alignment_counts(users, aligned, missing) -> dict:
    return {
        "users_listed": int(len(users)),
        "users_in_matrix": int(len(aligned)),
        "users_missing_from_matrix": int(missing.size),
        "missing_user_ids_head": [int(u) for u in missing[:20]],
    }


def main(snakemake):
    les = read_les(snakemake.input.les)
    users = read_users(snakemake.input.users)
    aligned, missing = align_users(les, users, snakemake.input.les, snakemake.input.users)
    counts = alignment_counts(users, aligned, missing)
    log.info("matrix %s x %s, %s non-zeros; %s", *les.matrix.shape, les.matrix.nnz, counts)
    write_parquet(aligned, snakemake.output.aligned)
    write_json(counts, snakemake.output.alignment)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

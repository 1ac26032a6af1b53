"""Score every (user, candidate artist) pair of one fitted model and build the cross-cultural top-n
(and the initial top-n before the country rule)."""

import logging
import os
import pickle

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.io import write_parquet
from lfmrec.recommend import deletion_summary, recommend_all
from lfmrec.resources import check_scoring_memory

log = logging.getLogger("recommend")


def main(snakemake):
    with open(snakemake.input.model, "rb") as fh:
        params = pickle.load(fh)  # lfmrec.scoring.ScoringParams (fit_full)
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id"])
    users = pd.read_parquet(snakemake.input.users)
    artists = pd.read_parquet(snakemake.input.artists)
    p = snakemake.params
    name = snakemake.wildcards.get("model") or snakemake.wildcards.get("reference")
    check_scoring_memory(
        p.spec,
        os.path.getsize(snakemake.input.model),
        len(users),
        int(triples["artist_id"].nunique()),
        len(triples),
        p.block_users,
        snakemake.threads,
        p.max_memory_gb,
        name,
    )
    lists, per_user, initial = recommend_all(
        params,
        users,
        triples,
        artists,
        p.n,
        p.block_users,
        method=p.method,
        lam=p.lam,
        pool=p.pool,
        similarity=pd.read_parquet(snakemake.input.similarity),
        min_listeners=p.min_listeners,
        initial=True,
        threads=snakemake.threads,
    )
    log.info("%s", deletion_summary(name, per_user, snakemake.params.n))
    write_parquet(lists, snakemake.output.lists)
    write_parquet(per_user, snakemake.output.per_user)
    write_parquet(initial, snakemake.output.initial)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Score every (user, candidate artist) pair of one fitted model and build the cross-cultural top-n
(and the initial top-n before the country rule); rule recommend_<group>: several native kNN models
of one trainset and k, scored together by one walk, each model's outputs as it gets them alone."""

import logging
import os

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.io import write_parquet
from lfmrec.recommend import deletion_summary, recommend_all
from lfmrec.resources import check_scoring_memory
from lfmrec.scoring import load_fitted

log = logging.getLogger("recommend")


def main(snakemake):
    group = "models" in snakemake.input.keys()  # noqa: SIM118 (Namedlist: keys() are the names)
    paths = list(snakemake.input.models) if group else [snakemake.input.model]
    models = load_fitted(paths)  # lfmrec.scoring.ScoringParams (fit_full); a group's share one trainset
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id"])
    users = pd.read_parquet(snakemake.input.users)
    artists = pd.read_parquet(snakemake.input.artists)
    p = snakemake.params
    names = list(p.names) if group else [snakemake.wildcards.get("model") or snakemake.wildcards.get("reference")]
    sizes = (len(users), int(triples["artist_id"].nunique()), len(triples))
    spec = p.specs[0] if group else p.spec
    model_bytes = sum(map(os.path.getsize, paths))
    check_scoring_memory(
        spec, model_bytes, *sizes, p.block_users, snakemake.threads, p.max_memory_gb, ", ".join(names), models=len(models)
    )
    results = recommend_all(
        models if group else models[0],
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
    out = snakemake.output
    targets = zip(out.lists, out.per_user, out.initial, strict=True) if group else [(out.lists, out.per_user, out.initial)]
    for name, (lists, per_user, initial), paths_out in zip(names, results if group else [results], targets, strict=True):
        log.info("%s", deletion_summary(name, per_user, p.n))
        for frame, path in zip((lists, per_user, initial), paths_out, strict=True):
            write_parquet(frame, path)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

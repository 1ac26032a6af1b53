"""Accuracy vs. cultural diversity: hard / soft / calibrated re-ranking on one CV fold.

On the data of a finished run (default: results/), fits a configured model with Surprise on the
training part of one fold of results/cv/folds.parquet, scores every (user, artist) pair block by
block, and for the users with held-out artists prints NDCG@n, precision@n, recall@n, foreign share
and mean cultural distance of the lists of

- ``none``: plain top-n (no country rule), ``hard``: the paper's rule,
- ``soft`` and ``calibrated`` over their lambda grids (lfmrec.rerank.LAMBDA_GRIDS),
- the references ``popular`` (training listeners) and ``random`` (seeded), plain and hard,

with the time each took (the model's fit and scoring time are printed once).

Candidates are the artists of the sample (results/data/triples.parquet, as in phase 2) that the
user has not in the fold's training part. Country similarity = cosine of the countries'
artist-play profiles (results/data/country_plays/sample.parquet: rows countries, columns artists,
values plays). The calibrated target is each user's training history by artist count, home
country removed.

    .venv/bin/python benchmarks/tradeoff_demo.py [--model svd_k100] [--fold 0] [--n 10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml

ROOT = Path(__file__).resolve().parents[1]

from lfmrec import ranking, rerank  # noqa: E402
from lfmrec.countries.codes import country_codes, encode  # noqa: E402
from lfmrec.cv import build_trainset, rating_scale, split  # noqa: E402
from lfmrec.models import build_algorithm  # noqa: E402
from lfmrec.pairs import pair_matrix  # noqa: E402
from lfmrec.scoring import iter_score_blocks, params_from_surprise  # noqa: E402


def country_similarity(acp: pd.DataFrame, codes: dict[str, int]) -> np.ndarray:
    """(C, C) cosine similarity of the countries' artist-play profiles; 1 on the diagonal."""
    C = len(codes)
    acp = acp[acp["country"].notna()]
    rows = encode(acp["country"], codes)
    ok = rows >= 0
    cols = pd.factorize(acp["artist_id"].to_numpy()[ok])[0]
    X = sp.csr_matrix((acp["plays"].to_numpy(np.float64)[ok], (rows[ok], cols)), shape=(C, cols.max() + 1))
    norm = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    Xn = sp.diags(np.divide(1.0, norm, out=np.zeros(C), where=norm > 0)) @ X
    sim = np.asarray((Xn @ Xn.T).todense())
    np.fill_diagonal(sim, 1.0)
    return np.clip(sim, 0.0, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default=str(ROOT / "results"))
    ap.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    ap.add_argument("--model", default="svd_k100")
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--block-users", type=int, default=512)
    ap.add_argument("--pool", type=int, default=rerank.DEFAULT_POOL)
    ap.add_argument("--seed", type=int, default=0, help="seed of the random reference")
    args = ap.parse_args()
    res = Path(args.results)
    cfg = yaml.safe_load(open(args.config))
    spec = cfg["models"][args.model]
    n = args.n

    triples = pd.read_parquet(res / "data/triples.parquet")
    users = pd.read_parquet(res / "data/users.parquet")
    artists = pd.read_parquet(res / "data/artists.parquet")
    folds = pd.read_parquet(res / "cv/folds.parquet")
    acp = pd.read_parquet(res / "data/country_plays/sample.parquet")
    train, test = split(triples, folds, args.fold)

    item_ids = np.sort(triples["artist_id"].unique())
    user_ids = users["user_id"].to_numpy(np.int64)
    item_country_str = artists.set_index("artist_id")["country"].reindex(item_ids).to_numpy()
    codes = country_codes(users["country"], item_country_str, acp["country"])
    uc = encode(users["country"], codes)
    ic = encode(item_country_str, codes)
    C = len(codes)

    t0 = time.perf_counter()
    sim = country_similarity(acp, codes)
    history = pair_matrix(train, user_ids, item_ids)
    target = rerank.history_target(history, uc, ic, C, by="artists")
    prep_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    algo = build_algorithm(spec, cfg.get("model_seed", 0))
    algo.fit(build_trainset(train, rating_scale(triples)))
    fit_s = time.perf_counter() - t0
    params = params_from_surprise(algo)

    def lister(method, lam=0.0):
        return rerank.make_reranker(method, lam, n, uc, ic, sim, target, pool=args.pool)

    listers = {"none": lister("none"), "hard": lister("hard")}
    for lam in rerank.LAMBDA_GRIDS["soft"]:
        listers[f"soft {lam:g}"] = lister("soft", lam)
    for lam in rerank.LAMBDA_GRIDS["calibrated"]:
        listers[f"calibrated {lam:g}"] = lister("calibrated", lam)
    ref_listers = {"none": lister("none"), "hard": lister("hard")}

    common = dict(
        user_ids=user_ids,
        item_ids=item_ids,
        train_pairs=train,
        test_pairs=test,
        n=n,
        user_country=uc,
        item_country=ic,
        similarity=sim,
    )
    tables = []
    runs = [
        (args.model, iter_score_blocks(params, user_ids, item_ids, args.block_users), listers),
        ("popular", ranking.popular_blocks(train, user_ids, item_ids, args.block_users), ref_listers),
        ("random", ranking.random_scores(args.seed, user_ids, item_ids, args.block_users), ref_listers),
    ]
    score_s = {}
    for name, blocks, ls in runs:
        t0 = time.perf_counter()
        out = ranking.evaluate(blocks, listers=ls, **common)
        score_s[name] = (out.attrs["score_seconds"], time.perf_counter() - t0)
        out.insert(0, "scores", name)
        tables.append(out)
    table = pd.concat(tables, ignore_index=True)

    print(
        f"# {args.model} on fold {args.fold}: {len(train)} training / {len(test)} test pairs, "
        f"{len(user_ids)} users x {len(item_ids)} artists, {C} countries, n = {n}, pool = {args.pool}"
    )
    print(f"# prep (similarity, targets) {prep_s:.2f} s; fit {fit_s:.2f} s")
    for name, (s, total) in score_s.items():
        print(f"# {name}: scoring {s:.2f} s, evaluate total {total:.2f} s")
    cols = ["scores", "lister", "users", "ndcg", "precision", "recall", "hit", "foreign_share", "cultural_distance", "seconds"]
    fmt = {c: "{:.4f}".format for c in cols[3:-1]}
    fmt["seconds"] = "{:.2f}".format
    print(table[cols].to_string(index=False, formatters=fmt))


if __name__ == "__main__":
    main()

"""User-based kNN at full LFM-1b scale: the cost of the pruned phase-2 lists (lfmrec.native.knn_topn)
and of the fully scored route, per user, on a seeded sample of users of a workflow's triples.

    python benchmarks/knn_scale.py --results /path/to/results [--users 200] [--algorithm KNNWithMeans] [--joint]

Reads <results>/data/triples.parquet, users.parquet and artists.parquet (a run's data step, e.g.
`snakemake results/data/triples.parquet results/data/artists.parquet --configfile
config/full_scale.yaml`), fits the model natively on all triples (phase 2), and scores the sampled
users over every artist, blocks of --block users: pruned to the paper's hard rule (top 10 foreign
and the initial top 10), and fully (every estimate, the dense route's kernel on the same
similarity rows), for the first --full users. Prints seconds per user for both, the operations per
user of the pruned route (users walked, heavy ratings read, light items estimated and their raters)
and whether both give the same lists; with --cv-users, also the cross-validation of the six kNN
models on fold 1 (one similarity, test pairs of that many users, extrapolated to all users); with
--joint, KNNBasic and KNNWithMeans scored together by one walk against one at a time. Run it on a
quiet machine (it prints the load average).
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default="results")
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--full", type=int, default=8, help="users also scored fully (slow at full scale)")
    ap.add_argument("--block", type=int, default=64)
    ap.add_argument("--k", type=int, default=40)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--overall", type=int, default=None, help="Depth.overall (default: n)")
    ap.add_argument("--soft", type=float, nargs="*", default=[], help="soft re-rankers' lambdas (a ranking job's sweep)")
    ap.add_argument("--heavy", type=int, default=None, help="heavy_raters (default: PrunedKnn's)")
    ap.add_argument("--algorithm", default="KNNWithMeans", choices=["KNNWithMeans", "KNNBasic"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cv-users", type=int, default=0, help="also time a CV fold of the six kNN models for this many users")
    ap.add_argument("--joint", action="store_true", help="also score KNNBasic and KNNWithMeans together (one walk)")
    a = ap.parse_args()

    from lfmrec.countries.codes import country_setup
    from lfmrec.ids import inner_ids, sorted_unique
    from lfmrec.native import fit
    from lfmrec.native.knn_stream import similarity_rows
    from lfmrec.native.knn_topn import PrunedKnn
    from lfmrec.pairs import pair_matrix
    from lfmrec.scoring import Depth, block_scorer, plan_items
    from lfmrec.topn import select_lists

    print(f"load average before: {os.getloadavg()}")
    triples = pd.read_parquet(f"{a.results}/data/triples.parquet", columns=["user_id", "artist_id", "rating"])
    users = pd.read_parquet(f"{a.results}/data/users.parquet")
    artists = pd.read_parquet(f"{a.results}/data/artists.parquet")
    spec = {
        "algorithm": a.algorithm,
        "engine": "native",
        "params": {"k": a.k, "sim_options": {"name": "msd", "user_based": True}},
    }
    t0 = time.perf_counter()
    p = fit(spec, 0, triples, (float(triples["rating"].min()), float(triples["rating"].max())))
    t_fit = time.perf_counter() - t0
    item_ids = sorted_unique(triples["artist_id"].to_numpy())
    sim_path = f"{a.results}/data/country_similarity.parquet"
    c = country_setup(users, item_ids, artists, pd.read_parquet(sim_path) if os.path.exists(sim_path) else None)
    user_ids = users["user_id"].to_numpy(np.int64)
    rng = np.random.default_rng(a.seed)
    rows = np.sort(rng.choice(user_ids.size, min(a.users, user_ids.size), replace=False))
    t0 = time.perf_counter()
    plan = plan_items(p, item_ids, pruned=True)
    pk = plan.pruned if a.heavy is None else PrunedKnn(p, plan.inner, a.heavy)
    t_plan = time.perf_counter() - t0
    n_i = np.diff(p.trainset.ir_ptr)
    print(
        f"{p.n_users} users, {p.n_items} artists, {n_i.sum()} ratings; fit {t_fit:.1f} s, plan {t_plan:.1f} s; "
        f"heavy items (>= {pk.heavy_raters} raters): {pk.heavy.size}, their ratings {n_i[pk.heavy].sum()}"
    )
    uin = inner_ids(user_ids[rows], p.user_raw2inner)
    ucc = c.user_country[rows]
    depth = Depth(a.overall or a.n, a.n, ucc, c.item_country, tuple(a.soft), a.n, c.similarity)
    out = np.empty((a.block, item_ids.size))
    pk.score_rows(uin[:1], depth, ucc[:1], out[:1])  # load (or compile) the kernel outside the timing
    stats = []
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    for s in range(0, rows.size, a.block):
        stats.append(pk.score_rows(uin[s : s + a.block], depth, ucc[s : s + a.block], out[: min(a.block, rows.size - s)]))
    t_pruned = (time.perf_counter() - t0) / rows.size
    stats = np.concatenate(stats)
    t0 = time.perf_counter()
    similarity_rows(p.trainset, p.min_support, uin[: a.block], raters=pk.raters)
    t_rows = (time.perf_counter() - t0) / min(a.block, uin.size)
    print(
        f"pruned: {t_pruned * 1e3:.1f} ms per user (similarity row {t_rows * 1e3:.1f} ms of it), peak RSS growth "
        f"{(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024:.0f} MB; per user (mean / median / max): "
        + "; ".join(
            f"{name} {stats[:, j].mean():.0f} / {np.median(stats[:, j]):.0f} / {stats[:, j].max()}"
            for j, name in enumerate(["users walked", "heavy ratings read", "light items estimated", "their raters"])
        )
    )
    if a.joint:
        joint(a, p, triples, item_ids, plan.inner, uin, depth, ucc, t_pruned)
    f = min(a.full, rows.size)
    if f:
        played = pair_matrix(triples, user_ids[rows[:f]], item_ids)
        dense_like = block_scorer(p, user_ids[rows[:f]], item_ids, plan=plan_items(p, item_ids))[1]  # every estimate
        dense_like(0, 1)  # the dense route's kernel loaded outside the timing
        t0 = time.perf_counter()
        full = dense_like(0, f)
        t_full = (time.perf_counter() - t0) / f
        pruned = np.empty((f, item_ids.size))
        pk.score_rows(uin[:f], Depth(a.n, a.n, ucc[:f], c.item_country), ucc[:f], pruned)
        same = all(
            np.array_equal(x, y)
            for x, y in zip(
                select_lists(full, a.n, played, ucc[:f], c.item_country, True, True, want_count=True),
                select_lists(pruned, a.n, played, ucc[:f], c.item_country, True, True, want_count=True),
                strict=True,
            )
        )
        print(f"full: {t_full * 1e3:.0f} ms per user ({f} users); speed-up {t_full / t_pruned:.0f}x; same lists: {same}")
    if a.cv_users:
        cv_fold(a, triples)
    print(f"load average after: {os.getloadavg()}")


def joint(a, p, triples, item_ids, inner, uin, depth, ucc, t_pruned) -> None:
    """KNNBasic and KNNWithMeans (k = --k) of one trainset scored together by one PrunedKnn (one
    similarity row, one walk, shared neighbours) against each scored alone, on the same users."""
    from lfmrec.native import knn
    from lfmrec.native.knn_topn import PrunedKnn

    other = "KNNBasic" if a.algorithm == "KNNWithMeans" else "KNNWithMeans"
    q = type(p).from_trainset(p.trainset, p.rating_scale, knn.fit(p.trainset, {"k": a.k}, other))
    alone = PrunedKnn(q, inner, a.heavy)
    out = np.empty((a.block, item_ids.size))
    alone.score_rows(uin[:1], depth, ucc[:1], out[:1])
    t0 = time.perf_counter()
    for s in range(0, uin.size, a.block):
        alone.score_rows(uin[s : s + a.block], depth, ucc[s : s + a.block], out[: min(a.block, uin.size - s)])
    t_other = (time.perf_counter() - t0) / uin.size
    both = PrunedKnn([p, q], inner, a.heavy)
    out2 = np.empty((2, a.block, item_ids.size))
    both.score_rows(uin[:1], depth, ucc[:1], out2[:, :1])
    t0 = time.perf_counter()
    for s in range(0, uin.size, a.block):
        b = min(a.block, uin.size - s)
        both.score_rows(uin[s : s + a.block], depth, ucc[s : s + a.block], out2[:, :b])
    t_both = (time.perf_counter() - t0) / uin.size
    print(
        f"together ({a.algorithm} + {other}): {t_both * 1e3:.1f} ms per user, against {t_pruned * 1e3:.1f} + "
        f"{t_other * 1e3:.1f} = {(t_pruned + t_other) * 1e3:.1f} ms scored one at a time"
    )


def cv_fold(a, triples: pd.DataFrame) -> None:
    """Fold 1 of the run's folds: the kNN group's predictions (basic k40, means k20..k60 from one
    similarity) for the test pairs of --cv-users seeded users, and the extrapolation to all."""
    from lfmrec.cv import fold_splitter
    from lfmrec.ids import inner_ids
    from lfmrec.native import knn_stream, trainset

    folds = pd.read_parquet(f"{a.results}/cv/folds.parquet")
    train, test = fold_splitter(triples, folds)(0)
    ts = trainset.build(train, with_items=True)
    u = inner_ids(test["user_id"].to_numpy(np.int64), ts.user_raw2inner)
    i = inner_ids(test["artist_id"].to_numpy(np.int64), ts.item_raw2inner)
    pick = np.random.default_rng(a.seed).choice(ts.n_users, min(a.cv_users, ts.n_users), replace=False)
    sel = np.isin(u, pick)
    configs = [("basic", 40, 1)] + [("means", k, 1) for k in (20, 30, 40, 50, 60)]
    knn_stream.predict_streamed(ts, 1, u[sel][:10], i[sel][:10], configs, 64)  # load the kernels
    t0 = time.perf_counter()
    knn_stream.predict_streamed(ts, 1, u[sel], i[sel], configs, 64)
    dt = time.perf_counter() - t0
    t0 = time.perf_counter()
    knn_stream.similarity_rows(ts, 1, pick[:64])
    rows = (time.perf_counter() - t0) / min(64, pick.size)
    n_i = np.diff(ts.ir_ptr)
    print(
        f"CV fold 1, six kNN models from one similarity: {pick.size} users, {int(sel.sum())} test pairs in {dt:.1f} s "
        f"(similarity row {rows * 1e3:.1f} ms per user; raters over the pairs {n_i[i[sel]].sum():.3g}); "
        f"all {ts.n_users} users ({u.size} pairs): {dt * ts.n_users / pick.size / 60:.1f} min on one thread"
    )


if __name__ == "__main__":
    main()

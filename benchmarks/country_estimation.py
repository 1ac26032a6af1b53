"""Accuracy of the artist-country estimators against the planted home countries.

Reads a finished synthetic run (default: results/), builds the country play table from three
sources and runs every estimator of :mod:`lfmrec.countries` on the sampled artists:

- ``sample``: the sampled users with a country (the sample matrix, the paper's route);
- ``all``: every user of the full matrix with a declared country, restricted to the sampled artists;
- ``all_imputed``: every user of the full matrix, the undeclared users' countries imputed by
  naive Bayes from their listening over all artists of the full matrix.

Prints the accuracy table (scope "all" first, then per home country) and, with ``--out``,
writes it as CSV.

    python benchmarks/country_estimation.py [--results results] [--out table.csv] [--scopes] [--variants]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]

from lfmrec.countries import accuracy, estimate, plays  # noqa: E402
from lfmrec.lfm1b import read_les  # noqa: E402


def tables(results: Path) -> tuple[dict, np.ndarray, dict]:
    """The country play table of each source, the sampled artist ids and some facts."""
    users = pd.read_parquet(results / "data/users.parquet")
    artist_ids = pd.read_parquet(results / "data/sampled_artists.parquet")["artist_id"].to_numpy(np.int64)
    sample = sp.load_npz(results / "data/sample_matrix.npz")
    aligned = pd.read_parquet(results / "data/aligned_users.parquet").sort_values("row")
    les = read_les(results / "synthetic/LFM-1b_LEs.mat")
    full = sp.csr_matrix(les.matrix)[aligned["row"].to_numpy()]
    full_sampled = plays.restrict_columns(full, les.artist_ids, artist_ids)
    t0 = time.perf_counter()
    imp = plays.impute_user_countries(full, aligned["country"].to_numpy())
    facts = {
        "impute_seconds": time.perf_counter() - t0,
        "smoothing": imp.smoothing,
        "loo_accuracy": imp.loo_accuracy,
        "imputed_users": int(imp.imputed.sum()),
        "declared_users": int((~imp.imputed).sum()),
    }
    truth_users = results / "synthetic/truth_users.parquet"
    if truth_users.exists():
        tu = pd.read_parquet(truth_users).set_index("user_id")["true_country"]
        true = tu.reindex(aligned["user_id"]).astype(str).to_numpy()
        got = np.asarray(imp.countries, dtype=object)
        facts["imputation_true_accuracy"] = float((got[imp.imputed] == true[imp.imputed]).mean())
    out = {
        "sample": plays.country_play_table(sample, users["country"].to_numpy(), artist_ids),
        "all": plays.country_play_table(full_sampled, aligned["country"].to_numpy(), artist_ids),
        "all_imputed": plays.country_play_table(full_sampled, imp.countries, artist_ids),
    }
    return out, artist_ids, facts


def lift_variants(by_source: dict, artist_ids: np.ndarray, truth: pd.DataFrame) -> pd.DataFrame:
    """Top-1 accuracy (%) of lift by basis x min_support x shrinkage, per source, on the common artists."""
    est = {}
    for basis in ("plays", "listeners"):
        for support in (1, 2, 3, 5):
            for shrink in (0.0, 3.0, 10.0, 30.0):
                for source, table in by_source.items():
                    est[(f"{basis} support={support} shrinkage={shrink:g}", source)] = estimate.estimate(
                        table, artist_ids, "lift", min_support=support, shrinkage=shrink, basis=basis
                    )
    acc = accuracy.estimation_accuracy(est, truth)
    acc = acc[acc["scope"] == "all"]
    return (100 * acc.pivot_table(index="estimator", columns="source", values="accuracy", sort=False)).round(1)


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default=str(ROOT / "results"))
    parser.add_argument("--out", default=None, help="write the table as CSV")
    parser.add_argument("--scopes", action="store_true", help="print the per-country rows too")
    parser.add_argument("--variants", action="store_true", help="print the lift variants (basis, support, shrinkage)")
    args = parser.parse_args(argv)
    results = Path(args.results)
    truth = pd.read_parquet(results / "synthetic/truth_artists.parquet")
    by_source, artist_ids, facts = tables(results)
    estimates, seconds = {}, {}
    for method in estimate.METHODS:
        for source, table in by_source.items():
            t0 = time.perf_counter()
            estimates[(method, source)] = estimate.estimate(table, artist_ids, method)
            seconds[(method, source)] = time.perf_counter() - t0
    acc = accuracy.estimation_accuracy(estimates, truth)
    acc["seconds"] = [
        seconds[(e, s)] if sc == "all" else np.nan for e, s, sc in zip(acc["estimator"], acc["source"], acc["scope"], strict=True)
    ]
    base = acc.query("estimator == 'argmax' and source == 'sample' and scope == 'all'")["accuracy"].iloc[0]
    print(f"imputation: {facts}")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 500)
    fmt = acc.copy()
    for c in ("coverage", "accuracy", "accuracy_top3", "accuracy_estimated"):
        fmt[c] = (100 * fmt[c]).round(1)
    fmt["seconds"] = fmt["seconds"].round(2)
    print(fmt[fmt["scope"] == "all"].to_string(index=False))
    best = acc[acc["scope"] == "all"].sort_values("accuracy", ascending=False).iloc[0]
    print(
        f"\nbest: {best['estimator']}/{best['source']} {100 * best['accuracy']:.1f}% vs argmax/sample "
        f"{100 * base:.1f}%: +{100 * (best['accuracy'] - base):.1f} points"
    )
    if args.scopes:
        print()
        wide = fmt[fmt["scope"] != "all"].pivot_table(
            index="scope", columns=["estimator", "source"], values="accuracy", sort=False
        )
        print(wide.to_string())
    if args.variants:
        print()
        print(lift_variants(by_source, artist_ids, truth).to_string())
    if args.out:
        acc.to_csv(args.out, index=False)
    return acc


if __name__ == "__main__":
    main()

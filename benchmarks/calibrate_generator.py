"""Calibration of the synthetic generator against the paper's results table, and the data figures
the generator is calibrated to.

For a generator process (``--process`` JSON, default: the calibrated one) and seeds, this writes a
default-scale synthetic LFM-1b, draws the paper's sample (5,000 users, those with a country; 20,000
artists), melts it into log2 ratings and runs the paper's seven table models (BaselineOnly, MF
k = 20 / 100, SVD k = 100, KNNBasic k = 40, KNNWithMeans k = 40 / 50, the native engine, the
config's parameters) in 5-fold cross-validation. It prints the mean RMSE and MAE of each next to the
paper's, Kendall's tau of the RMSE order against the paper's, and the local share of plays of the
largest countries. Run::

    python benchmarks/calibrate_generator.py --seeds 1 2 3
    python benchmarks/calibrate_generator.py --process '{"interaction": 0.5}' --seeds 1
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from lfmrec import cv, lfm1b, paper, synthetic
from lfmrec.sampling import draw_sample, melt
from lfmrec.synthetic import process as synthetic_process

ROOT = Path(__file__).resolve().parents[1]


def paper_models() -> dict[str, dict]:
    """The config's models that match a row of the paper's table (first match per row)."""
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    out, seen = {}, set()
    for spec in config["models"].values():
        label = paper.paper_row(spec)
        if label is not None and label not in seen:
            seen.add(label)
            out[label] = {**spec, "engine": "native"}
    return out


def run(process: synthetic.Process, seed: int, sample_seed: int = 42, folds: int = 5) -> dict:
    """RMSE / MAE per paper row and the data figures of one generated data set."""
    with tempfile.TemporaryDirectory() as tmp:
        synthetic.generate(tmp, "default", seed=seed, process=process)
        les = lfm1b.read_les(Path(tmp) / synthetic.MAT_NAME)
        users = lfm1b.read_users(Path(tmp) / synthetic.USERS_NAME)
        aligned, _ = lfm1b.align_users(les, users, "mat", "users")
        truth_u = pd.read_parquet(Path(tmp) / synthetic.TRUTH_USERS_NAME).set_index("user_id")["true_country"]
        truth_a = pd.read_parquet(Path(tmp) / synthetic.TRUTH_ARTISTS_NAME).set_index("artist_id")["home_country"]
    coo = les.matrix.tocoo()
    u_c = truth_u.reindex(les.user_ids).to_numpy()[coo.row]
    a_c = truth_a.reindex(les.artist_ids).to_numpy()[coo.col]
    plays = pd.DataFrame({"country": u_c, "local": u_c == a_c, "us": a_c == "US", "plays": coo.data})
    plays["local_plays"] = plays["plays"] * plays["local"]
    plays["us_plays"] = plays["plays"] * plays["us"]
    by = plays.groupby("country")[["plays", "local_plays", "us_plays"]].sum()
    local = (by["local_plays"] / by["plays"]).round(3)
    us = (by["us_plays"] / by["plays"]).round(3)
    sample = draw_sample(les.matrix, aligned, les.artist_ids, 5000, 20000, sample_seed)
    triples = melt(sample.matrix, sample.users["user_id"].to_numpy(), sample.artist_ids)
    fold_of = cv.assign_folds(triples, folds, 42)
    scale = cv.rating_scale(triples)
    rows = {}
    for label, spec in paper_models().items():
        rmse, mae = [], []
        for k in range(folds):
            train, test = cv.split(triples, fold_of, k)
            _, m, _ = cv.run_fold(spec, 0, train, test, scale)
            rmse.append(m["rmse"])
            mae.append(m["mae"])
        rows[label] = (float(np.mean(rmse)), float(np.mean(mae)))
    return {
        "rows": rows,
        "local": local,
        "us": us,
        "rating_mean": float(triples["rating"].mean()),
        "rating_sd": float(triples["rating"].std()),
        "triples": len(triples),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--process", default="{}", help="generator process settings as JSON")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="override a numeric constant of lfmrec.synthetic.process (calibration only)",
    )
    args = parser.parse_args(argv)
    for item in args.set:
        name, value = item.split("=")
        assert isinstance(getattr(synthetic_process, name), float), name
        setattr(synthetic_process, name, float(value))
        print(f"{name} = {value}")
    process = synthetic.Process.from_config(json.loads(args.process), where="--process")
    print("process:", json.dumps(process.__dict__))
    paper_rmse = {label: float(np.mean(r)) for label, _, _, r, _ in paper.PAPER_ROWS}
    paper_mae = {label: float(np.mean(m)) for label, _, _, _, m in paper.PAPER_ROWS}
    taus = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        out = run(process, seed)
        labels = list(out["rows"])
        tau = stats.kendalltau([paper_rmse[x] for x in labels], [out["rows"][x][0] for x in labels]).statistic
        taus.append(tau)
        print(
            f"\nseed {seed}: {out['triples']} triples, rating mean {out['rating_mean']:.3f} sd {out['rating_sd']:.3f}, "
            f"{time.perf_counter() - t0:.0f} s"
        )
        print(f"{'model':26s} {'RMSE':>7s} {'paper':>7s} {'MAE':>7s} {'paper':>7s}")
        for x in sorted(labels, key=lambda x: out["rows"][x][0]):
            print(f"{x:26s} {out['rows'][x][0]:7.3f} {paper_rmse[x]:7.3f} {out['rows'][x][1]:7.3f} {paper_mae[x]:7.3f}")
        print(f"Kendall's tau of the RMSE order against the paper's: {tau:.3f}")
        big = ["US", "RU", "UK", "DE", "PL", "BR", "NL", "FI", "SE", "PT", "ES", "JP"]
        print("local share of plays:", {c: float(out["local"].get(c, np.nan)) for c in big})
        print("US share of plays:   ", {c: float(out["us"].get(c, np.nan)) for c in big})
    print(f"\ntau per seed: {[round(t, 3) for t in taus]}")


if __name__ == "__main__":
    sys.exit(main())

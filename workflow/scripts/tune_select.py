"""The setting of a tuned model per outer fold (the best validation NDCG) and for phase 2 (the one
most folds chose): results/tuning/{model}/chosen.json, which its cross-validation and fit read."""

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.io import write_json
from lfmrec.tuning import choose, grid_points, phase2_point


def main(snakemake):
    points = grid_points(snakemake.params.grid)
    results = pd.concat([pd.read_csv(f) for f in snakemake.input.points], ignore_index=True)
    chosen = choose(results)
    p2 = phase2_point(chosen, results)
    write_json(
        {
            "metric": "ndcg",
            "grid": snakemake.params.grid,
            "folds": [
                {"fold": int(r.fold), "point": int(r.point), "params": points[int(r.point)], "ndcg": float(r.value)}
                for r in chosen.itertuples()
            ],
            "phase2": {"point": p2, "params": points[p2]},
        },
        snakemake.output.chosen,
    )


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

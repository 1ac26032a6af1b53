"""RMSE and MAE of every rating model pooled over its five folds' test predictions, with a cluster
bootstrap 95% interval over users (results/error_intervals.csv; plotted with the paper's table)."""

import numpy as np
import pyarrow.parquet as pq

from lfmrec.harness import run_script
from lfmrec.io import write_csv
from lfmrec.stats import error_intervals, user_errors, user_index


def read(files: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """user_id and rating - est of the predictions of ``files``, in order."""
    parts = [pq.read_table(f, columns=["user_id", "rating", "est"]) for f in files]
    user_id = np.concatenate([t.column("user_id").to_numpy() for t in parts])
    error = np.concatenate([t.column("rating").to_numpy() - t.column("est").to_numpy() for t in parts])
    return user_id, error


def main(snakemake):
    p = snakemake.params
    per_user, index, last = {}, None, None
    for model in p.models:  # one model's predictions in memory at a time
        user_id, error = read([f for f in snakemake.input.predictions if f.split("/")[-2] == model])
        if last is None or not np.array_equal(user_id, last):  # every model predicts the same test pairs
            index, last = user_index(user_id), user_id
        per_user[model] = user_errors(user_id, error, index)
    write_csv(error_intervals(per_user, p.n_resamples, p.seed), snakemake.output.csv)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

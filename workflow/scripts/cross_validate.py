"""Cross-validate one model: for every fold, fit on the training part (with the model's engine) and
predict the test part.

One job per model, not per (model, fold): at the default scale a fold's fit takes a fraction of a
second, less than a job's start-up. Per fold it writes the predictions, RMSE/MAE (JSON) and the
fitted ScoringParams, which the model's ranking job (rule rank_model) scores.
"""

import json
import logging
import pickle

import pandas as pd

from lfmrec.cv import fold_splitter, rating_scale, run_fold
from lfmrec.harness import run_script
from lfmrec.io import atomic_path, write_json, write_parquet
from lfmrec.resources import check_memory
from lfmrec.tuning import fold_spec

log = logging.getLogger("cross_validate")


def main(snakemake):
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id", "rating"])
    folds = pd.read_parquet(snakemake.input.folds)
    model = snakemake.wildcards.model
    # a tuned model: each fold with the setting chosen on its own training part (rule tune_select)
    chosen = json.loads(open(snakemake.input.tuned[0]).read()) if snakemake.input.tuned else None
    scale = rating_scale(triples)
    out = snakemake.output
    split = fold_splitter(triples, folds)
    for k, (predictions_path, metrics_path, params_path) in enumerate(zip(out.predictions, out.metrics, out.params, strict=True)):
        train, test = split(k)
        spec = fold_spec(snakemake.params.spec, chosen, k)
        if k == 0:  # folds differ in size by one triple at most: one check (a few seconds at full scale)
            check_memory(spec, train, snakemake.params.max_memory_gb, f"models.{model}")
        predictions, metrics, params = run_fold(spec, snakemake.params.seed, train, test, scale)
        if chosen is not None:
            metrics["tuned_params"] = chosen["folds"][k]["params"]
        log.info("%s fold %d of %d: %s", model, k + 1, len(out.params), metrics)
        write_parquet(predictions, predictions_path)
        with atomic_path(params_path) as tmp, open(tmp, "wb") as fh:
            pickle.dump(params, fh, protocol=pickle.HIGHEST_PROTOCOL)
        write_json(metrics, metrics_path)
        del predictions, params  # a kNN model holds a users x users matrix: one fold's at a time


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

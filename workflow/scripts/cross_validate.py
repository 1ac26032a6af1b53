"""Cross-validate one model, or a group of kNN models that share one similarity: for every fold, fit
on the training part (with the model's engine) and predict the test part.

One job per model, not per (model, fold): at the default scale a fold's fit takes a fraction of a
second, less than a job's start-up. A group (rule cross_validate_<group>, see
lfmrec.models.similarity_groups) computes each fold's similarity rows once for all its models.
Per model and fold it writes the predictions, RMSE/MAE (JSON) and the fitted ScoringParams, which
the model's ranking job (rule rank_model) scores (a group: only for its models with lists).
"""

import json
import logging
import pickle

import pandas as pd

from lfmrec.cv import fold_splitter, rating_scale, run_fold, run_knn_fold
from lfmrec.harness import run_script
from lfmrec.io import atomic_path, write_json, write_parquet
from lfmrec.resources import check_memory
from lfmrec.tuning import fold_spec

log = logging.getLogger("cross_validate")


def main(snakemake):
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id", "rating"])
    folds = pd.read_parquet(snakemake.input.folds)
    models = list(snakemake.params.specs)
    # a tuned model: each fold with the setting chosen on its own training part (rule tune_select)
    tuned = getattr(snakemake.input, "tuned", None)
    chosen = json.loads(open(tuned[0]).read()) if tuned else None
    scale = rating_scale(triples)
    out = snakemake.output
    n_folds = len(out.metrics) // len(models)
    # a group's models without lists have no parameters file (nothing reads them)
    kept = [m for m in models if m in snakemake.params.get("lists", models)]
    split = fold_splitter(triples, folds)
    for k in range(n_folds):
        train, test = split(k)
        specs = {m: fold_spec(snakemake.params.specs[m], chosen, k) for m in models}
        if k == 0:  # folds differ in size by one triple at most: one check (a few seconds at full scale)
            for m in models:
                check_memory(specs[m], train, snakemake.params.max_memory_gb, f"models.{m}")
        if len(models) > 1:
            results = run_knn_fold(specs, train, test, scale, snakemake.threads)
        else:
            results = {models[0]: run_fold(specs[models[0]], snakemake.params.seed, train, test, scale)}
        for q, m in enumerate(models):
            predictions, metrics, params = results[m]
            if chosen is not None:
                metrics["tuned_params"] = chosen["folds"][k]["params"]
            log.info("%s fold %d of %d: %s", m, k + 1, n_folds, metrics)
            at = q * n_folds + k  # outputs are model by model, each fold by fold
            write_parquet(predictions, out.predictions[at])
            if m in kept:
                with atomic_path(out.params[kept.index(m) * n_folds + k]) as tmp, open(tmp, "wb") as fh:
                    pickle.dump(params, fh, protocol=pickle.HIGHEST_PROTOCOL)
            write_json(metrics, out.metrics[at])
        del results, predictions, params


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

# Hyperparameter search on validation splits of each fold's training part (lfmrec.tuning): one job
# per grid point (a cluster runs them side by side), then the choice per fold. Only the models
# with a grid in config["tuning"]["grids"] are tuned; the others keep their configured settings.


rule tune_point:
    input:
        triples="results/data/triples.parquet",
        folds="results/cv/folds.parquet",
    output:
        csv="results/tuning/{model}/point{point}.csv",
    log:
        "results/logs/tuning/{model}.point{point}.log",
    resources:
        mem_mb=fit_mem_mb,
        runtime=fit_runtime(folds=len(FOLDS)),
    params:
        spec=lambda wc: tuning_spec(wc.model, int(wc.point)),
        model_seed=config["model_seed"],
        share=config["tuning"]["validation_share"],
        seed=config["tuning"]["seed"],
        n=config["ranking"]["n"],
        n_folds=config["cv"]["n_folds"],
    script:
        "../workflow/scripts/tune_point.py"


rule tune_select:
    input:
        points=lambda wc: [
            f"results/tuning/{wc.model}/point{i}.csv"
            for i in range(len(tuning_points(wc.model)))
        ],
    output:
        chosen="results/tuning/{model}/chosen.json",
    log:
        "results/logs/tuning/{model}.select.log",
    params:
        grid=lambda wc: config["tuning"]["grids"][wc.model],
    script:
        "../workflow/scripts/tune_select.py"


rule tuning_table:
    input:
        chosen=expand("results/tuning/{model}/chosen.json", model=TUNED),
    output:
        csv="results/tuning.csv",
        html=report(
            "results/html/tuning.html",
            caption="../workflow/report/tuning.rst",
            category="2. Cross-validation",
        ),
    log:
        "results/logs/tuning_table.log",
    params:
        models=TUNED,
    script:
        "../workflow/scripts/tuning_table.py"

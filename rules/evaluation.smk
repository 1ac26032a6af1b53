# Beyond the paper: the uncertainty of the results (intervals over users, paired tests), accuracy by
# user country, and the paper's own figures side by side.


rule significance:
    input:
        per_user=expand(
            "results/cv/{model}/fold{fold}.per_user.parquet",
            model=LIST_MODELS + REFERENCES,
            fold=FOLDS,
        ),
        users="results/data/users.parquet",
    output:
        intervals="results/intervals.csv",
        significance="results/significance.csv",
        by_country="results/by_country.csv",
        intervals_html=report(
            "results/html/intervals.html",
            caption="../workflow/report/intervals.rst",
            category="4. Beyond the paper",
        ),
        significance_html=report(
            "results/html/significance.html",
            caption="../workflow/report/significance.rst",
            category="4. Beyond the paper",
        ),
        by_country_html=report(
            "results/html/by_country.html",
            caption="../workflow/report/by_country.rst",
            category="4. Beyond the paper",
        ),
        by_country_png=report(
            "results/plots/by_country.png",
            caption="../workflow/report/by_country.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/significance.log",
    resources:
        mem_mb=fixed_mem_mb("significance"),
        runtime=floor_runtime,
    params:
        models=LIST_MODELS + REFERENCES,
        references=REFERENCES,
        n=config["ranking"]["n"],
        n_resamples=config["stats"]["n_resamples"],
        seed=config["stats"]["seed"],
        alpha=config["stats"]["alpha"],
        min_country_users=config["stats"]["min_country_users"],
    script:
        "../workflow/scripts/significance.py"


rule error_intervals:
    input:
        predictions=expand(
            "results/cv/{model}/fold{fold}.parquet", model=RATING_MODELS, fold=FOLDS
        ),
        triples="results/data/triples.parquet",  # its size sizes the job
    output:
        csv="results/error_intervals.csv",
    log:
        "results/logs/error_intervals.log",
    # one model's test predictions at a time (all triples, once each over the folds)
    resources:
        mem_mb=triples_mem_mb("error_intervals"),
        runtime=floor_runtime,
    params:
        models=RATING_MODELS,
        n_resamples=config["stats"]["n_resamples"],
        seed=config["stats"]["seed"],
    script:
        "../workflow/scripts/error_intervals.py"


rule paper_comparison:
    input:
        summary="results/data/summary.json",
        metrics=["results/metrics.csv"] if RATING_MODELS else [],
        deletions="results/deletions.csv",
    output:
        csv="results/paper_comparison.csv",
        agreement="results/paper_agreement.csv",
        html=report(
            "results/html/paper_comparison.html",
            caption="../workflow/report/paper_comparison.rst",
            category="2. Cross-validation",
        ),
    log:
        "results/logs/paper_comparison.log",
    params:
        models={m: model_spec(m) for m in MODELS},
    script:
        "../workflow/scripts/paper_comparison.py"

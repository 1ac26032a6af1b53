# Beyond the paper: better artist-country estimates (scored on synthetic data), the country
# similarity, and each cross-validation fold's labels and similarity from its training pairs.


rule country_estimation:
    input:
        sampled_artists="results/data/sampled_artists.parquet",
        sample="results/data/country_plays/sample.parquet",
        all="results/data/country_plays/all.parquet",
        all_imputed="results/data/country_plays/all_imputed.parquet",
        truth="results/synthetic/truth_artists.parquet",
    output:
        csv="results/country_estimation.csv",
        html=report(
            "results/html/country_estimation.html",
            caption="../workflow/report/country_estimation.rst",
            category="4. Beyond the paper",
        ),
        png=report(
            "results/plots/country_estimation.png",
            caption="../workflow/report/country_estimation.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/country_estimation.log",
    # three minutes at full scale and no job waits for it: run as soon as its inputs exist, not
    # last, where it held one core while the two-thread phase-2 jobs waited for both
    priority: 6
    resources:
        mem_mb=file_mem_mb("country_estimation", "all_imputed"),
        runtime=estimation_runtime,
    params:
        min_support=config["countries"]["min_support"],
        shrinkage=config["countries"]["shrinkage"],
    script:
        "../workflow/scripts/country_estimation.py"


rule country_similarity:
    input:
        plays=f"results/data/country_plays/{config['countries']['source']}.parquet",
    output:
        similarity="results/data/country_similarity.parquet",
    log:
        "results/logs/country_similarity.log",
    # a few seconds, and every ranking and list job waits for it
    priority: 10
    script:
        "../workflow/scripts/country_similarity.py"


rule fold_countries:
    input:
        triples="results/data/triples.parquet",
        folds="results/cv/folds.parquet",
        users="results/data/users.parquet",
        sampled_artists="results/data/sampled_artists.parquet",
        plays=f"results/data/country_plays/{config['countries']['source']}.parquet",
    output:
        artists=fold_files("countries", "artists.parquet"),
        similarity=fold_files("countries", "similarity.parquet"),
    log:
        "results/logs/fold_countries.log",
    # every ranking job waits for it
    priority: 10
    resources:
        mem_mb=triples_mem_mb("fold_countries"),
        runtime=fold_countries_runtime,
    params:
        estimator=config["countries"]["estimator"],
        min_support=config["countries"]["min_support"],
        shrinkage=config["countries"]["shrinkage"],
    script:
        "../workflow/scripts/fold_countries.py"

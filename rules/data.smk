# Section 3 of the paper: raw LFM-1b files -> sampled users and artists -> triples.


rule generate_synthetic:
    output:
        mat="results/synthetic/LFM-1b_LEs.mat",
        users="results/synthetic/LFM-1b_users.txt",
        artists="results/synthetic/LFM-1b_artists.txt",
        truth_artists="results/synthetic/truth_artists.parquet",
        truth_users="results/synthetic/truth_users.parquet",
        truth_countries="results/synthetic/truth_countries.parquet",
    log:
        "results/logs/generate_synthetic.log",
    benchmark:
        "results/benchmarks/generate_synthetic.tsv"
    resources:
        mem_mb=les_mem_mb("generate_synthetic"),
        runtime=les_runtime("generate_synthetic"),
    params:
        scale=config["dataset"]["synthetic"]["scale"],
        seed=config["dataset"]["synthetic"]["seed"],
        process=config["dataset"]["synthetic"]["process"],
    script:
        "../workflow/scripts/generate_synthetic.py"


rule align:
    input:
        les=raw("LEs.mat"),
        users=raw("users.txt"),
    output:
        aligned="results/data/aligned_users.parquet",
        alignment="results/data/alignment.json",
    log:
        "results/logs/align.log",
    benchmark:
        "results/benchmarks/align.tsv"
    resources:
        mem_mb=les_mem_mb("align"),
        runtime=les_runtime("align"),
    params:
        dataset=DATASET,
    script:
        "../workflow/scripts/align.py"


rule sample:
    input:
        les=raw("LEs.mat"),
        aligned="results/data/aligned_users.parquet",
    output:
        users="results/data/users.parquet",
        sampled_artists="results/data/sampled_artists.parquet",
        matrix="results/data/sample_matrix.npz",
        info="results/data/sample.json",
    log:
        "results/logs/sample.log",
    benchmark:
        "results/benchmarks/sample.tsv"
    resources:
        mem_mb=les_mem_mb("sample"),
        runtime=les_runtime("sample"),
    params:
        dataset=DATASET,
        n_users=config["sample"]["n_users"],
        n_artists=config["sample"]["n_artists"],
        seed=config["sample"]["seed"],
    script:
        "../workflow/scripts/sample.py"


rule country_plays:
    input:
        les=raw("LEs.mat"),
        aligned="results/data/aligned_users.parquet",
        users="results/data/users.parquet",
        sampled_artists="results/data/sampled_artists.parquet",
        matrix="results/data/sample_matrix.npz",
    output:
        sample="results/data/country_plays/sample.parquet",
        all="results/data/country_plays/all.parquet",
        all_imputed="results/data/country_plays/all_imputed.parquet",
        imputation="results/data/country_plays/imputation.json",
    log:
        "results/logs/country_plays.log",
    benchmark:
        "results/benchmarks/country_plays.tsv"
    resources:
        mem_mb=les_mem_mb("country_plays"),
        runtime=les_runtime("country_plays"),
    params:
        dataset=DATASET,
    script:
        "../workflow/scripts/country_plays.py"


rule artist_countries:
    input:
        sampled_artists="results/data/sampled_artists.parquet",
        plays=f"results/data/country_plays/{config['countries']['source']}.parquet",
        sample_plays="results/data/country_plays/sample.parquet",
        names=artists_file(),
    output:
        artists="results/data/artists.parquet",
    log:
        "results/logs/artist_countries.log",
    # a few seconds, and every ranking and list job waits for it
    priority: 10
    params:
        estimator=config["countries"]["estimator"],
        source=config["countries"]["source"],
        min_support=config["countries"]["min_support"],
        shrinkage=config["countries"]["shrinkage"],
        dataset=DATASET,
    script:
        "../workflow/scripts/artist_countries.py"


rule melt:
    input:
        users="results/data/users.parquet",
        sampled_artists="results/data/sampled_artists.parquet",
        matrix="results/data/sample_matrix.npz",
    output:
        triples="results/data/triples.parquet",
    log:
        "results/logs/melt.log",
    benchmark:
        "results/benchmarks/melt.tsv"
    resources:
        mem_mb=file_mem_mb("melt", "matrix"),
        runtime=floor_runtime,
    script:
        "../workflow/scripts/melt.py"


rule country_tables:
    input:
        users="results/data/users.parquet",
        artists="results/data/artists.parquet",
    output:
        users="results/tables/user_countries.csv",
        artists="results/tables/artist_countries.csv",
        users_html=report(
            "results/html/user_countries.html",
            caption="../workflow/report/user_countries.rst",
            category="1. Data",
        ),
        artists_html=report(
            "results/html/artist_countries.html",
            caption="../workflow/report/artist_countries.rst",
            category="1. Data",
        ),
    log:
        "results/logs/country_tables.log",
    script:
        "../workflow/scripts/country_tables.py"


rule summary:
    input:
        alignment="results/data/alignment.json",
        info="results/data/sample.json",
        users="results/data/users.parquet",
        artists="results/data/artists.parquet",
        triples="results/data/triples.parquet",
    output:
        summary="results/data/summary.json",
        html=report(
            "results/html/summary.html",
            caption="../workflow/report/summary.rst",
            category="1. Data",
        ),
    log:
        "results/logs/summary.log",
    params:
        dataset=DATASET,
    script:
        "../workflow/scripts/summary.py"

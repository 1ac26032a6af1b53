# List evaluation (beyond the paper): the diversity measures of the final lists and the field's
# cultural measures of the lists before and after the country rule, against the users' histories
# and the reference models.


rule diversity:
    input:
        lists=expand(
            "results/recommendations/{model}.parquet", model=LIST_MODELS + REFERENCES
        ),
        per_user=expand(
            "results/recommendations/{model}.per_user.parquet",
            model=LIST_MODELS + REFERENCES,
        ),
        triples="results/data/triples.parquet",
        users="results/data/users.parquet",
        artists="results/data/artists.parquet",
        truth=truth_file(),
    output:
        csv="results/diversity.csv",
        html=report(
            "results/html/diversity.html",
            caption="../workflow/report/diversity.rst",
            category="4. Beyond the paper",
        ),
        png=report(
            "results/plots/diversity.png",
            caption="../workflow/report/diversity.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/diversity.log",
    resources:
        mem_mb=triples_mem_mb("diversity"),
        runtime=diversity_runtime,
    params:
        models=LIST_MODELS + REFERENCES,
        method=config["rerank"]["method"],
        n=config["recommend"]["n"],
    script:
        "../workflow/scripts/diversity.py"


# what rules cultural and cultural_variants read: every model's lists before and after the
# country rule, the histories, and what rule cultural_inputs made of them
CULTURAL_INPUTS = dict(
    lists=expand(
        "results/recommendations/{model}.parquet", model=LIST_MODELS + REFERENCES
    ),
    initial=expand(
        "results/recommendations/{model}.initial.parquet",
        model=LIST_MODELS + REFERENCES,
    ),
    triples="results/data/triples.parquet",
    users="results/data/users.parquet",
    labellings="results/data/labellings.parquet",
    history_sample="results/data/history_sample.parquet",
)


rule cultural_inputs:
    input:
        triples="results/data/triples.parquet",
        users="results/data/users.parquet",
        artists="results/data/artists.parquet",
        plays=f"results/data/country_plays/{config['countries']['source']}.parquet",
        sampled_artists="results/data/sampled_artists.parquet",
        truth=truth_file(),
    output:
        labellings="results/data/labellings.parquet",
        history_sample="results/data/history_sample.parquet",
    log:
        "results/logs/cultural_inputs.log",
    # the artist-country labellings and the history_sample floor lists: what every model's lists
    # are compared with, made while the models run
    resources:
        mem_mb=triples_mem_mb("cultural_inputs"),
        runtime=cultural_runtime,
    params:
        n=config["recommend"]["n"],
        sample_seed=config["ranking"]["seed"],
        estimator=config["countries"]["estimator"],
        labellings=config["cultural"]["labellings"],
    script:
        "../workflow/scripts/cultural_inputs.py"


rule cultural:
    input:
        **CULTURAL_INPUTS,
    output:
        csv="results/cultural.csv",
        html=report(
            "results/html/cultural.html",
            caption="../workflow/report/cultural.rst",
            category="4. Beyond the paper",
        ),
        png=report(
            "results/plots/cultural.png",
            caption="../workflow/report/cultural_plot.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/cultural.log",
    resources:
        mem_mb=triples_mem_mb("cultural"),
        runtime=cultural_runtime,
    params:
        models=LIST_MODELS + REFERENCES,
        min_users=config["stats"]["min_country_users"],
        n_resamples=config["stats"]["n_resamples"],
        seed=config["stats"]["seed"],
    script:
        "../workflow/scripts/cultural.py"


rule cultural_variants:
    input:
        **CULTURAL_INPUTS,
    output:
        csv="results/cultural_variants.csv",
        html=report(
            "results/html/cultural_variants.html",
            caption="../workflow/report/cultural_variants.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/cultural_variants.log",
    resources:
        mem_mb=triples_mem_mb("cultural_variants"),
        runtime=cultural_runtime,
    params:
        models=LIST_MODELS + REFERENCES,
        min_users=config["stats"]["min_country_users"],
    script:
        "../workflow/scripts/cultural_variants.py"

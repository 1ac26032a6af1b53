# Beyond the paper: top-n ranking metrics on each fold's held-out artists, with reference models,
# and the accuracy / cultural-diversity trade-off of the country-aware re-ranking methods.


rule rank_model:
    input:
        triples="results/data/triples.parquet",
        folds="results/cv/folds.parquet",
        users="results/data/users.parquet",
        # each fold's artist countries and country similarity, from its training pairs only
        artists=fold_files("countries", "artists.parquet"),
        similarity=fold_files("countries", "similarity.parquet"),
        params=fold_files("{model}", "params.pkl"),
    output:
        ranking=fold_files("{model}", "ranking.csv"),
        per_user=fold_files("{model}", "per_user.parquet"),
        run=fold_files("{model}", "run.txt"),
    log:
        "results/logs/cv/{model}.ranking.log",
    benchmark:
        "results/benchmarks/rank/{model}.tsv"
    wildcard_constraints:
        # the kNN models of a list group are ranked by their group's rule (below)
        model="|".join(m for m in MODELS if m not in LIST_GROUPED) or "(?!)",
    resources:
        mem_mb=scoring_mem_mb("params", splits=True),
        runtime=scoring_runtime(ranking=True, folds=len(FOLDS)),
    params:
        spec=lambda wc: model_spec(wc.model),
        max_memory_gb=config["resources"]["max_memory_gb"],
        n=config["ranking"]["n"],
        users=config["ranking"]["users"],
        seed=config["ranking"]["seed"],
        block_users=config["recommend"]["block_users"],
        min_listeners=config["recommend"]["min_listeners"],
        sweep=config["rerank"]["sweep"],
        pool=config["rerank"]["pool"],
    script:
        "../workflow/scripts/rank.py"


# The native msd kNN list models of one similarity and k (lfmrec.models.list_groups): one job per
# group scores each fold's models together, one similarity row and one walk per user, evaluates
# each model as it is evaluated alone, and writes each model's outputs of rule rank_model.
for group, members in LIST_GROUPS.items():

    rule:
        name:
            f"rank_{group}"
        input:
            triples="results/data/triples.parquet",
            folds="results/cv/folds.parquet",
            users="results/data/users.parquet",
            # each fold's artist countries and country similarity, from its training pairs only
            artists=fold_files("countries", "artists.parquet"),
            similarity=fold_files("countries", "similarity.parquet"),
            params=[f for m in members for f in fold_files(m, "params.pkl")],
        output:
            ranking=[f for m in members for f in fold_files(m, "ranking.csv")],
            per_user=[f for m in members for f in fold_files(m, "per_user.parquet")],
            run=[f for m in members for f in fold_files(m, "run.txt")],
        log:
            f"results/logs/cv/{group}.ranking.log",
        benchmark:
            f"results/benchmarks/rank/{group}.tsv"
        # the DAG's longest job: started as soon as its cross-validation is done
        priority: 5
        # a block's users scored in that many parts at once (the evaluations: a thread per model)
        threads: config["recommend"]["threads"]
        resources:
            mem_mb=group_scoring_mem_mb(members, model_input="params", splits=True),
            runtime=group_scoring_runtime(members, ranking=True, folds=len(FOLDS)),
        params:
            names=members,
            spec=model_spec(members[0]),
            max_memory_gb=config["resources"]["max_memory_gb"],
            n=config["ranking"]["n"],
            users=config["ranking"]["users"],
            seed=config["ranking"]["seed"],
            block_users=config["recommend"]["block_users"],
            min_listeners=config["recommend"]["min_listeners"],
            sweep=config["rerank"]["sweep"],
            pool=config["rerank"]["pool"],
        script:
            "../workflow/scripts/rank.py"


rule rank_reference:
    input:
        triples="results/data/triples.parquet",
        folds="results/cv/folds.parquet",
        users="results/data/users.parquet",
        # each fold's artist countries and country similarity, from its training pairs only
        artists=fold_files("countries", "artists.parquet"),
        similarity=fold_files("countries", "similarity.parquet"),
    output:
        ranking=fold_files("{reference}", "ranking.csv"),
        per_user=fold_files("{reference}", "per_user.parquet"),
        run=fold_files("{reference}", "run.txt"),
    log:
        "results/logs/cv/{reference}.ranking.log",
    benchmark:
        "results/benchmarks/rank/{reference}.tsv"
    wildcard_constraints:
        # no reference configured: a pattern that matches no name (an empty one would match any)
        reference="|".join(REFERENCES) or "(?!)",
    resources:
        mem_mb=scoring_mem_mb(splits=True),
        runtime=scoring_runtime(ranking=True, folds=len(FOLDS)),
    params:
        spec=None,
        max_memory_gb=config["resources"]["max_memory_gb"],
        n=config["ranking"]["n"],
        users=config["ranking"]["users"],
        seed=config["ranking"]["seed"],
        block_users=config["recommend"]["block_users"],
        min_listeners=config["recommend"]["min_listeners"],
        sweep=config["rerank"]["sweep"],
        pool=config["rerank"]["pool"],
    script:
        "../workflow/scripts/rank.py"


rule ranking_metrics:
    input:
        folds=expand(
            "results/cv/{model}/fold{fold}.ranking.csv",
            model=LIST_MODELS + REFERENCES,
            fold=FOLDS,
        ),
    output:
        ranking="results/ranking_metrics.csv",
        tradeoff="results/tradeoff.csv",
        ranking_html=report(
            "results/html/ranking_metrics.html",
            caption="../workflow/report/ranking_metrics.rst",
            category="4. Beyond the paper",
        ),
        tradeoff_html=report(
            "results/html/tradeoff.html",
            caption="../workflow/report/tradeoff.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/ranking_metrics.log",
    params:
        models=LIST_MODELS + REFERENCES,
        n_folds=config["cv"]["n_folds"],
    script:
        "../workflow/scripts/ranking_metrics.py"


rule plot_ranking:
    input:
        csv="results/ranking_metrics.csv",
        intervals="results/intervals.csv",
    output:
        png=report(
            "results/plots/ranking_metrics.png",
            caption="../workflow/report/ranking_plot.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/plot_ranking.log",
    params:
        n=config["ranking"]["n"],
        references=REFERENCES,
    script:
        "../workflow/scripts/plot_ranking.py"


rule plot_tradeoff:
    input:
        csv="results/tradeoff.csv",
    output:
        png=report(
            "results/plots/tradeoff.png",
            caption="../workflow/report/tradeoff_plot.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/plot_tradeoff.log",
    params:
        n=config["ranking"]["n"],
    script:
        "../workflow/scripts/plot_tradeoff.py"

# Phase 1 of the paper (section 5): k-fold cross-validation, one job per model (all its folds).


rule folds:
    input:
        triples="results/data/triples.parquet",
    output:
        folds="results/cv/folds.parquet",
    log:
        "results/logs/folds.log",
    # every cross-validation job waits for it: before the fits on all triples, which nothing waits for
    # as long
    priority: 10
    resources:
        mem_mb=triples_mem_mb("folds"),
        runtime=floor_runtime,
    params:
        n_folds=config["cv"]["n_folds"],
        seed=config["cv"]["seed"],
    script:
        "../workflow/scripts/folds.py"


rule cross_validate:
    input:
        triples="results/data/triples.parquet",
        folds="results/cv/folds.parquet",
        tuned=tuned_file,
    output:
        predictions=fold_files("{model}", "parquet"),
        metrics=fold_files("{model}", "json"),
        params=fold_files("{model}", "params.pkl"),
    log:
        "results/logs/cv/{model}.log",
    benchmark:
        "results/benchmarks/cv/{model}.tsv"
    wildcard_constraints:
        # the kNN models of a similarity group are cross-validated by their group's rule (below)
        model="|".join(m for m in MODELS if m not in GROUPED) or "(?!)",
    # the longest chain of the DAG (cross-validation, then the held-out ranking of every fold) first
    priority: 5
    resources:
        mem_mb=fit_mem_mb,
        runtime=fit_runtime(folds=len(FOLDS)),
    params:
        specs=lambda wc: {wc.model: model_spec(wc.model)},
        seed=config["model_seed"],
        max_memory_gb=config["resources"]["max_memory_gb"],
    script:
        "../workflow/scripts/cross_validate.py"


# The native msd kNN models with the same sim_options (lfmrec.models.similarity_groups): one job
# computes each fold's similarity once, a block of users at a time, and predicts every model and
# every k from it; each model's outputs are those of rule cross_validate.
for group, members in SIM_GROUPS.items():

    rule:
        name:
            f"cross_validate_{group}"
        input:
            triples="results/data/triples.parquet",
            folds="results/cv/folds.parquet",
        output:
            predictions=[f for m in members for f in fold_files(m, "parquet")],
            metrics=[f for m in members for f in fold_files(m, "json")],
            # the fitted parameters of the models that go on to the lists (rank_model reads them;
            # a kNN model's hold its trainset, 1.2 GB per fold at full scale)
            params=[
                f
                for m in members
                if m in LIST_MODELS
                for f in fold_files(m, "params.pkl")
            ],
        log:
            f"results/logs/cv/{group}.log",
        benchmark:
            f"results/benchmarks/cv/{group}.tsv"
        # before the other models: its lists' ranking (rule rank_<group>) is the DAG's longest job
        priority: 6
        # the users in parts, each in a thread with its own similarity block (recommend.threads: 1 at
        # the default scale, where a job that waits for both cores would start only near the end)
        threads: config["recommend"]["threads"]
        resources:
            mem_mb=group_fit_mem_mb(members),
            runtime=group_fit_runtime(members, folds=len(FOLDS)),
        params:
            specs={m: model_spec(m) for m in members},
            lists=[m for m in members if m in LIST_MODELS],
            seed=config["model_seed"],
            max_memory_gb=config["resources"]["max_memory_gb"],
        script:
            "../workflow/scripts/cross_validate.py"


rule metrics:
    input:
        folds=expand(
            "results/cv/{model}/fold{fold}.json", model=RATING_MODELS, fold=FOLDS
        ),
    output:
        csv="results/metrics.csv",
        md="results/metrics.md",
        html=report(
            "results/html/metrics.html",
            caption="../workflow/report/metrics.rst",
            category="2. Cross-validation",
        ),
    log:
        "results/logs/metrics.log",
    params:
        models={m: model_spec(m) for m in RATING_MODELS},
        n_folds=config["cv"]["n_folds"],
    script:
        "../workflow/scripts/metrics.py"


rule plot_metrics:
    input:
        csv="results/metrics.csv",
        intervals="results/error_intervals.csv",
    output:
        png=report(
            "results/plots/metrics.png",
            caption="../workflow/report/metrics_plot.rst",
            category="2. Cross-validation",
        ),
    log:
        "results/logs/plot_metrics.log",
    script:
        "../workflow/scripts/plot_metrics.py"

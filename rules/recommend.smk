# Phase 2 of the paper (section 5): fit on all triples, score every pair, cross-cultural top-n.


rule fit_full:
    input:
        triples="results/data/triples.parquet",
        tuned=tuned_file,
    output:
        model="results/models/{model}.pkl",
    log:
        "results/logs/fit_full/{model}.log",
    benchmark:
        "results/benchmarks/fit_full/{model}.tsv"
    resources:
        mem_mb=fit_mem_mb,
        runtime=fit_runtime(),
    params:
        spec=lambda wc: model_spec(wc.model),
        seed=config["model_seed"],
        max_memory_gb=config["resources"]["max_memory_gb"],
    script:
        "../workflow/scripts/fit_full.py"


rule recommend:
    input:
        model="results/models/{model}.pkl",
        triples="results/data/triples.parquet",
        users="results/data/users.parquet",
        artists="results/data/artists.parquet",
        similarity="results/data/country_similarity.parquet",
    output:
        lists="results/recommendations/{model}.parquet",
        per_user="results/recommendations/{model}.per_user.parquet",
        initial="results/recommendations/{model}.initial.parquet",
    log:
        "results/logs/recommend/{model}.log",
    benchmark:
        "results/benchmarks/recommend/{model}.tsv"
    wildcard_constraints:
        # the kNN models of a list group are listed by their group's rule (below)
        model="|".join(m for m in MODELS if m not in LIST_GROUPED) or "(?!)",
    threads: config["recommend"]["threads"]
    resources:
        mem_mb=scoring_mem_mb("model", threads=config["recommend"]["threads"]),
        runtime=scoring_runtime(),
    params:
        spec=lambda wc: model_spec(wc.model) if "model" in wc.keys() else None,
        max_memory_gb=config["resources"]["max_memory_gb"],
        n=config["recommend"]["n"],
        block_users=config["recommend"]["block_users"],
        min_listeners=config["recommend"]["min_listeners"],
        method=config["rerank"]["method"],
        lam=config["rerank"]["lambda"],
        pool=config["rerank"]["pool"],
    script:
        "../workflow/scripts/recommend.py"


# The native msd kNN list models of one similarity and k (lfmrec.models.list_groups): one job
# scores them together, one similarity row and one walk per user, and writes each model's outputs
# of rule recommend (the lists each gets alone).
for group, members in LIST_GROUPS.items():

    rule:
        name:
            f"recommend_{group}"
        input:
            models=[f"results/models/{m}.pkl" for m in members],
            triples="results/data/triples.parquet",
            users="results/data/users.parquet",
            artists="results/data/artists.parquet",
            similarity="results/data/country_similarity.parquet",
        output:
            lists=[f"results/recommendations/{m}.parquet" for m in members],
            per_user=[f"results/recommendations/{m}.per_user.parquet" for m in members],
            initial=[f"results/recommendations/{m}.initial.parquet" for m in members],
        log:
            f"results/logs/recommend/{group}.log",
        benchmark:
            f"results/benchmarks/recommend/{group}.tsv"
        threads: config["recommend"]["threads"]
        resources:
            mem_mb=group_scoring_mem_mb(members, threads=config["recommend"]["threads"]),
            runtime=group_scoring_runtime(members),
        params:
            names=members,
            specs=[model_spec(m) for m in members],
            max_memory_gb=config["resources"]["max_memory_gb"],
            n=config["recommend"]["n"],
            block_users=config["recommend"]["block_users"],
            min_listeners=config["recommend"]["min_listeners"],
            method=config["rerank"]["method"],
            lam=config["rerank"]["lambda"],
            pool=config["rerank"]["pool"],
        script:
            "../workflow/scripts/recommend.py"


# The reference models' lists (popular, random) through the same selection and country rule, so
# that every table of lists reads each model against them.
rule fit_reference:
    input:
        triples="results/data/triples.parquet",
    output:
        model="results/models/{reference}.pkl",
    log:
        "results/logs/fit_full/{reference}.log",
    wildcard_constraints:
        reference="|".join(REFERENCES) or "(?!)",
    resources:
        mem_mb=triples_mem_mb("fit_reference"),
        runtime=floor_runtime,
    params:
        seed=config["ranking"]["seed"],
    script:
        "../workflow/scripts/fit_reference.py"


use rule recommend as recommend_reference with:
    input:
        model="results/models/{reference}.pkl",
        triples="results/data/triples.parquet",
        users="results/data/users.parquet",
        artists="results/data/artists.parquet",
        similarity="results/data/country_similarity.parquet",
    output:
        lists="results/recommendations/{reference}.parquet",
        per_user="results/recommendations/{reference}.per_user.parquet",
        initial="results/recommendations/{reference}.initial.parquet",
    log:
        "results/logs/recommend/{reference}.log",
    benchmark:
        "results/benchmarks/recommend/{reference}.tsv"
    wildcard_constraints:
        reference="|".join(REFERENCES) or "(?!)",


rule deletions:
    input:
        per_user=expand(
            "results/recommendations/{model}.per_user.parquet",
            model=LIST_MODELS + REFERENCES,
        ),
    output:
        csv="results/deletions.csv",
        html=report(
            "results/html/deletions.html",
            caption="../workflow/report/deletions.rst",
            category="3. Cross-cultural lists",
        ),
        png=report(
            "results/plots/deletions.png",
            caption="../workflow/report/deletions_plot.rst",
            category="3. Cross-cultural lists",
        ),
    log:
        "results/logs/deletions.log",
    params:
        models=LIST_MODELS + REFERENCES,
        references=REFERENCES,
        n=config["recommend"]["n"],
    script:
        "../workflow/scripts/deletions.py"


rule user_reports:
    input:
        lists=expand("results/recommendations/{model}.parquet", model=LIST_MODELS),
        per_user=expand(
            "results/recommendations/{model}.per_user.parquet", model=LIST_MODELS
        ),
        triples="results/data/triples.parquet",
        users="results/data/users.parquet",
        artists="results/data/artists.parquet",
        truth=truth_file(),
    output:
        reports=report(
            directory("results/reports"),
            patterns=["user_{user}.html"],
            caption="../workflow/report/user_reports.rst",
            category="3. Cross-cultural lists",
        ),
    log:
        "results/logs/user_reports.log",
    resources:
        mem_mb=triples_mem_mb("user_reports"),
        runtime=floor_runtime,
    params:
        models=LIST_MODELS,
        users=config["report"]["users"],
        min_plays=config["report"]["min_plays"],
        n=config["recommend"]["n"],
    script:
        "../workflow/scripts/user_reports.py"

# Replicates (beyond the paper): the whole experiment once per seed set of config["replicates"]
# (generator, sample, folds, models), each a Snakemake run of this workflow in a folder of its own
# (results/replicates/{rep}/), then every headline figure with its spread over the replicates
# (results/replicates.csv). Not part of `rule all`; run
#   snakemake results/replicates.csv --configfile config/replicates.yaml


rule replicate_config:
    output:
        config="results/replicates/{rep}/replicate.yaml",
    log:
        "results/logs/replicates/{rep}.config.log",
    params:
        config=lambda wc: replicate_config(int(wc.rep)),
    script:
        "../workflow/scripts/replicate_config.py"


rule replicate:
    input:
        config="results/replicates/{rep}/replicate.yaml",
    output:
        [f"results/replicates/{{rep}}/{path}" for path in REPLICATE_FILES],
    log:
        "results/logs/replicates/{rep}.log",
    # the nested run schedules its own jobs on these cores
    threads: workflow.cores
    params:
        python=sys.executable,
        snakefile=f"{workflow.basedir}/Snakefile",
        targets=REPLICATE_FILES,
    shell:
        "{params.python} -m snakemake --snakefile {params.snakefile} --directory results/replicates/{wildcards.rep}"
        " --configfile $(pwd)/{input.config} --cores {threads} {params.targets} > {log} 2>&1"


rule replicates_table:
    input:
        files=expand(
            "results/replicates/{rep}/{path}",
            rep=range(len(REPLICATES)),
            path=REPLICATE_FILES,
        ),
    output:
        csv="results/replicates.csv",
        html=report(
            "results/html/replicates.html",
            caption="../workflow/report/replicates.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/replicates_table.log",
    params:
        seeds=REPLICATES,
        files=REPLICATE_FILES,
    script:
        "../workflow/scripts/replicates_table.py"

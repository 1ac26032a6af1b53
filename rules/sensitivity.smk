# Sensitivity (beyond the paper): the whole experiment once per generator variant of
# config["sensitivity"] (a setting of dataset.synthetic.process), each a Snakemake run of this
# workflow in a folder of its own (results/sensitivity/{variant}/), then each headline finding with
# the variants in which it holds (results/sensitivity.csv). Not part of `rule all`; run
#   snakemake results/sensitivity.csv --configfile config/sensitivity.yaml


rule sensitivity_config:
    output:
        config="results/sensitivity/{variant}/variant.yaml",
    log:
        "results/logs/sensitivity/{variant}.config.log",
    params:
        config=lambda wc: sensitivity_config(wc.variant),
    script:
        "../workflow/scripts/replicate_config.py"


rule sensitivity_run:
    input:
        config="results/sensitivity/{variant}/variant.yaml",
    output:
        [f"results/sensitivity/{{variant}}/{path}" for path in SENSITIVITY_FILES],
    log:
        "results/logs/sensitivity/{variant}.log",
    # the nested run schedules its own jobs on these cores
    threads: workflow.cores
    params:
        python=sys.executable,
        snakefile=f"{workflow.basedir}/Snakefile",
        targets=SENSITIVITY_FILES,
    shell:
        "{params.python} -m snakemake --snakefile {params.snakefile} --directory results/sensitivity/{wildcards.variant}"
        " --configfile $(pwd)/{input.config} --cores {threads} {params.targets} > {log} 2>&1"


rule sensitivity_table:
    input:
        files=expand(
            "results/sensitivity/{variant}/{path}",
            variant=SENSITIVITY,
            path=SENSITIVITY_FILES,
        ),
    output:
        csv="results/sensitivity.csv",
        html=report(
            "results/html/sensitivity.html",
            caption="../workflow/report/sensitivity.rst",
            category="4. Beyond the paper",
        ),
    log:
        "results/logs/sensitivity_table.log",
    params:
        variants={v["name"]: v.get("process") or {} for v in config["sensitivity"]},
    script:
        "../workflow/scripts/sensitivity_table.py"

# Cross-cultural music recommendation on LFM-1b: a reproduction of Ido, Sharkov & Yang,
# "ML-Based Collaborative Filtering for Cross-Cultural Music Recommendations", and beyond.
# This file is a table of contents; each stage of the paper lives in rules/<stage>.smk.

from snakemake.utils import min_version

min_version("9.0")


configfile: f"{workflow.basedir}/config/config.yaml"


report: "workflow/report/workflow.rst"


# the stages in order: data, artist countries, cross-validation (phase 1) and its tuning, held-out
# ranking, the cross-cultural lists (phase 2), their evaluation, the paper comparison and
# statistics, and the studies that rerun everything (replicates, sensitivity)
include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/countries.smk"
include: "rules/cv.smk"
include: "rules/tuning.smk"
include: "rules/ranking.smk"
include: "rules/recommend.smk"
include: "rules/lists.smk"
include: "rules/evaluation.smk"
include: "rules/replicates.smk"
include: "rules/sensitivity.smk"


onstart:
    remove_outputs_of_other_data()
    remove_partial_files()
    compile_kernels_in_background()


# Jobs of a few seconds and little memory even at full LFM-1b scale run in the Snakemake process's
# machine (the login node) when the workflow runs on a cluster (profiles/slurm); every other job is
# submitted with the memory and run time its rule estimates (rules/common.smk).
localrules:
    all,
    summary,
    country_tables,
    artist_countries,
    country_similarity,
    metrics,
    plot_metrics,
    deletions,
    ranking_metrics,
    plot_ranking,
    plot_tradeoff,
    paper_comparison,
    tune_select,
    tuning_table,
    replicate_config,
    replicates_table,
    sensitivity_config,
    sensitivity_table,


rule all:
    default_target: True
    input:
        all_outputs(),

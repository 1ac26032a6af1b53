"""The cultural measures of results/cultural.csv under every named variant (unit of the history,
aggregation over users, unknown countries) and labelling: results/cultural_variants.csv and its
HTML page."""

import pandas as pd

from lfmrec.cultural import labellings_of, lists_of, variants_table
from lfmrec.harness import run_script
from lfmrec.io import write_csv, write_text
from lfmrec.report import table_page
from lfmrec.stats import country_groups


def variants_page(variants: pd.DataFrame) -> str:
    keep = variants[variants["user_country"].isin(["all", "US", "non-US"])]
    note = (
        "The measures of results/cultural.csv under every named variant, for all users, US and non-US users "
        "(results/cultural_variants.csv has every user country): unit = the history's artists counted once "
        "(distinct) or by their plays; aggregation = the mean of per-user values (user_mean) or one value of "
        "the summed counts (pooled); unknown = artists without a country as a category of their own or left "
        "out (dropped; labelled_share_history = the share of the history the labelling knows); countries = "
        "the labelling (estimated = the configured estimator; further estimators by name; truth = planted, "
        "synthetic data only). The lists always count distinct artists. cultural.csv is the variant "
        "distinct / user_mean / category."
    )
    return table_page("Cultural measures under every variant and labelling", keep, note)


def main(snakemake):
    p = snakemake.params
    inp = snakemake.input
    triples = pd.read_parquet(inp.triples, columns=["user_id", "artist_id", "playcount"])
    users = pd.read_parquet(inp.users, columns=["user_id", "country"])
    labellings = labellings_of(pd.read_parquet(inp.labellings))
    lists = lists_of(p.models, inp.initial, inp.lists, inp.history_sample)
    groups = country_groups(users.set_index("user_id")["country"], p.min_users)
    variants = variants_table(users, triples, labellings, lists, groups)
    write_csv(variants, snakemake.output.csv)
    write_text(variants_page(variants), snakemake.output.html)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Country similarity: the cosine of the countries' artist-play profiles (for soft re-ranking and
the cultural distance of lists)."""

import pandas as pd

from lfmrec.countries.similarity import country_similarity
from lfmrec.harness import run_script
from lfmrec.io import write_parquet


def main(snakemake):
    # stored long-form friendly: a `country` column, then one column per country
    write_parquet(country_similarity(pd.read_parquet(snakemake.input.plays)).reset_index(), snakemake.output.similarity)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

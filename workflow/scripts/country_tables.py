"""Step 5: Tables 1 and 2 of the paper (user countries; estimated artist countries, NULL included)."""

import pandas as pd

from lfmrec.io import run_script, write_csv
from lfmrec.sampling import share_table


def main(snakemake):
    users = pd.read_parquet(snakemake.input.users)
    artists = pd.read_parquet(snakemake.input.artists)
    write_csv(share_table(users["country"], "users"), snakemake.output.users)
    write_csv(share_table(artists["country"], "artists", null_label="NULL"), snakemake.output.artists)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Step 5: Tables 1 and 2 of the paper (user countries; estimated artist countries, NULL included)."""

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.io import write_csv, write_text
from lfmrec.report import table_page
from lfmrec.sampling import share_table


def main(snakemake):
    users = pd.read_parquet(snakemake.input.users)
    artists = pd.read_parquet(snakemake.input.artists)
    user_table = share_table(users["country"], "users")
    artist_table = share_table(artists["country"], "artists", null_label="NULL")
    write_csv(user_table, snakemake.output.users)
    write_csv(artist_table, snakemake.output.artists)
    write_text(table_page("Table 1: countries of the sampled users", user_table), snakemake.output.users_html)
    write_text(table_page("Table 2: estimated countries of the sampled artists", artist_table), snakemake.output.artists_html)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

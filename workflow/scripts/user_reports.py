"""Per-user reports (the paper's Tables 3 and 4) for the configured or chosen users."""

import shutil
from pathlib import Path

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.io import write_text
from lfmrec.report import choose_report_users, html_page, markdown_page, user_report_blocks


def main(snakemake):
    p = snakemake.params
    triples = pd.read_parquet(snakemake.input.triples)
    users = pd.read_parquet(snakemake.input.users)
    artists = pd.read_parquet(snakemake.input.artists)
    lists = {m: pd.read_parquet(f) for m, f in zip(p.models, snakemake.input.lists, strict=True)}
    per_user = {m: pd.read_parquet(f) for m, f in zip(p.models, snakemake.input.per_user, strict=True)}
    truth = None
    if snakemake.input.truth:
        truth = pd.read_parquet(snakemake.input.truth[0]).set_index("artist_id")["home_country"]
    chosen = choose_report_users(users, triples, p.min_plays, list(p.users))
    country = users.set_index("user_id")["country"]
    out = Path(snakemake.output.reports)
    tmp = out.with_name(out.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        for u in chosen:
            blocks = user_report_blocks(u, country[u], triples, artists, lists, per_user, p.min_plays, p.n, truth)
            write_text(markdown_page(blocks), tmp / f"user_{u}.md")
            write_text(html_page(blocks), tmp / f"user_{u}.html")
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

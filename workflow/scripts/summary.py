"""The sample's key figures in one JSON file (the numbers the paper quotes in section 3)."""

import json

import pandas as pd

from lfmrec.harness import run_script
from lfmrec.io import write_json, write_text
from lfmrec.report import table_page


def summarize(
    alignment: dict, info: dict, users: pd.DataFrame, artists: pd.DataFrame, n_triples: int, dataset: dict | None = None
) -> dict:
    cells = len(users) * len(artists)
    return {
        # Which data these results come from (file times left out: they are not the data).
        "dataset": {k: v for k, v in (dataset or {}).items() if k != "files"},
        "users_listed": alignment["users_listed"],
        "users_in_matrix": alignment["users_in_matrix"],
        "users_missing_from_matrix": alignment["users_missing_from_matrix"],
        "users_sampled": info["users_sampled"],
        # users with a country, then those of them dropped because they played no sampled artist
        # (no model knows them: no list, no deletions); the rest are the users of every table
        "users_with_country": int(len(users)) + int(info.get("users_without_triples", 0)),
        "users_without_triples": int(info.get("users_without_triples", 0)),
        "users": int(len(users)),
        "artists_sampled": int(len(artists)),
        "artists_with_listens": int(artists["country"].notna().sum()),
        "triples": int(n_triples),
        "density": n_triples / cells if cells else 0.0,
    }


def main(snakemake):
    alignment = json.loads(open(snakemake.input.alignment).read())
    info = json.loads(open(snakemake.input.info).read())
    users = pd.read_parquet(snakemake.input.users)
    artists = pd.read_parquet(snakemake.input.artists)
    n_triples = len(pd.read_parquet(snakemake.input.triples, columns=["user_id"]))
    dataset = json.loads(snakemake.params.dataset)
    summary = summarize(alignment, info, users, artists, n_triples, dataset)
    write_json(summary, snakemake.output.summary)
    rows = pd.DataFrame(
        {"figure": list(summary), "value": [json.dumps(v) if isinstance(v, dict) else v for v in summary.values()]}
    )
    rows["value"] = rows["value"].astype(str)
    write_text(table_page("The sample's key figures", rows), snakemake.output.html)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

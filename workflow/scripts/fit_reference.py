"""A reference model's phase-2 "fit" (lfmrec.families.references.Reference.make): popular (listener
counts) or random (seeded random factors), as ScoringParams that rule recommend_reference lists
exactly as rule recommend lists a fitted model."""

import pickle

import pandas as pd

from lfmrec.families.references import Reference
from lfmrec.harness import run_script
from lfmrec.io import atomic_path


def main(snakemake):
    triples = pd.read_parquet(snakemake.input.triples, columns=["user_id", "artist_id", "rating"])
    params = Reference.make(snakemake.wildcards.reference, triples, snakemake.params.seed)
    with atomic_path(snakemake.output.model) as tmp, open(tmp, "wb") as fh:
        pickle.dump(params, fh, protocol=pickle.HIGHEST_PROTOCOL)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

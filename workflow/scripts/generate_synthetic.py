"""Snakemake glue for the synthetic-data rule: write a synthetic LFM-1b into the output folder.

The rule declares the outputs ``mat``, ``users``, ``artists``, ``truth_artists``,
``truth_users`` and ``truth_countries`` (all in one folder, under the names :mod:`lfmrec.synthetic`
writes), the params ``scale``, ``seed`` and ``process`` (the config's ``dataset.synthetic.process``),
and one log file. Importable without a ``snakemake`` object (tests call
:func:`main` with a stand-in).
"""

import json
import logging
from pathlib import Path
from typing import Any

from lfmrec.errors import InputError
from lfmrec.harness import run_script
from lfmrec.synthetic import (
    ARTISTS_NAME,
    MAT_NAME,
    TRUTH_ARTISTS_NAME,
    TRUTH_COUNTRIES_NAME,
    TRUTH_USERS_NAME,
    USERS_NAME,
    Process,
    generate,
)

OUTPUT_NAMES = {
    "mat": MAT_NAME,
    "users": USERS_NAME,
    "artists": ARTISTS_NAME,
    "truth_artists": TRUTH_ARTISTS_NAME,
    "truth_users": TRUTH_USERS_NAME,
    "truth_countries": TRUTH_COUNTRIES_NAME,
}


def main(snakemake: Any) -> dict:
    """Generate into the folder of ``snakemake.output.mat``; log progress and the summary."""
    out_dir = Path(snakemake.output.mat).parent
    for key, name in OUTPUT_NAMES.items():
        declared = Path(getattr(snakemake.output, key))
        if declared != out_dir / name:
            raise InputError(
                f"rule output {key!r}",
                f"is {declared}, but the generator writes {out_dir / name}",
                f"declare it as {out_dir / name}",
            )
    logger = logging.getLogger("generate_synthetic")
    process = Process.from_config(getattr(snakemake.params, "process", None))
    summary = generate(
        out_dir, scale=str(snakemake.params.scale), seed=int(snakemake.params.seed), log=logger.info, process=process
    )
    logger.info("summary %s", json.dumps(summary, sort_keys=True))
    return summary


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

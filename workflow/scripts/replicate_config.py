"""The whole config of one replicate (lfmrec.replicates.replicate_config), for its nested run."""

import yaml

from lfmrec.harness import run_script
from lfmrec.io import atomic_path


def main(snakemake):
    with atomic_path(snakemake.output.config) as tmp:
        tmp.write_text(yaml.safe_dump(snakemake.params.config, sort_keys=False))


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""Each headline finding with the generator variants in which it holds (results/sensitivity.csv and
its page)."""

import json
from pathlib import Path

from lfmrec.harness import run_script
from lfmrec.io import write_csv, write_text
from lfmrec.report import table_page
from lfmrec.sensitivity import findings, sensitivity_table


def page_table(table, variants):
    """The page's view: the verdict first, then one cell per variant with its value and whether the
    claim holds there (yes / no)."""
    out = table[["finding", "model", "claim", "verdict"]].copy()
    out["holds in"] = [f"{h} of {n}" for h, n in zip(table["holds_in"], table["variants"], strict=True)]
    for name in variants:
        out[name] = [
            "" if v != v else f"{v:.3f} {'yes' if h else 'no'}" for v, h in zip(table[name], table[f"{name}_holds"], strict=True)
        ]
    return out


def main(snakemake):
    variants = snakemake.params.variants
    table = sensitivity_table({name: findings(Path(f"results/sensitivity/{name}")) for name in variants})
    write_csv(table, snakemake.output.csv)
    note = (
        "One column per generator variant (the whole experiment with that setting of dataset.synthetic.process: "
        + "; ".join(f"{name} {json.dumps(p, sort_keys=True)}" for name, p in variants.items())
        + "), the value of the finding there and whether its claim holds; holds_in counts the variants, "
        "verdict: robust (every variant), not supported (none) or depends on the generator."
    )
    write_text(
        table_page("Which findings the generator builds in", page_table(table, list(variants)), note), snakemake.output.html
    )


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

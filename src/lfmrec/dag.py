"""``lfmrec-dag``: draw the workflow's job DAG (or rule graph) as SVG/PNG/PDF with Graphviz.

``snakemake --dag | dot -Tsvg > dag.svg`` leaves an empty file and a BrokenPipeError when Graphviz is
missing; this command checks for ``dot`` first and says in one line what to install, and writes the
picture only when both steps succeeded.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from .io import atomic_path

INSTALL_HINT = (
    "Graphviz's `dot` is not installed: `apt install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or `conda install graphviz`; `snakemake --dag mermaid-js` needs nothing"
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="lfmrec-dag", description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="dag.svg", help="picture to write; format from the suffix (svg, png, pdf)")
    ap.add_argument("--rulegraph", action="store_true", help="one node per rule instead of one per job")
    ap.add_argument(
        "snakemake_args", nargs=argparse.REMAINDER, help="after --: more snakemake arguments (targets, --configfile ...)"
    )
    args = ap.parse_args(argv)
    out = Path(args.out)
    fmt = out.suffix.lstrip(".").lower() or "svg"
    if fmt not in ("svg", "png", "pdf"):
        print(f"lfmrec-dag: {out}: unknown picture format {fmt!r} (use .svg, .png or .pdf)", file=sys.stderr)
        return 2
    dot = shutil.which("dot")
    if dot is None:
        print(f"lfmrec-dag: {INSTALL_HINT}", file=sys.stderr)
        return 1
    extra = [a for a in args.snakemake_args if a != "--"]
    graph = subprocess.run(
        [sys.executable, "-m", "snakemake", "--rulegraph" if args.rulegraph else "--dag", *extra], capture_output=True, text=True
    )
    if graph.returncode != 0:
        sys.stderr.write(graph.stderr[-3000:])
        return graph.returncode
    with atomic_path(out) as tmp:
        subprocess.run([dot, f"-T{fmt}", "-o", str(tmp)], input=graph.stdout, text=True, check=True)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

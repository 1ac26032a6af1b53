"""Collect each model's deletion counts (results/deletions.csv) and plot them."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from lfmrec.figures import add_note, save_png  # noqa: E402
from lfmrec.harness import run_script  # noqa: E402
from lfmrec.io import write_csv, write_text  # noqa: E402
from lfmrec.recommend import deletion_notes, deletion_summary  # noqa: E402
from lfmrec.report import table_page  # noqa: E402


def plot(table: pd.DataFrame, path, notes: list[str] | None = None) -> None:
    fig, ax = plt.subplots(figsize=(10, 4.8), layout="constrained")
    ax.bar(table["model"], table["deletions"], color="#d99a8f", label="deletions (artists)")
    ax.bar(table["model"], table["users_with_deletions"], color="#8c3b2e", width=0.4, label="users with at least\none deletion")
    for x, (d, u) in enumerate(zip(table["deletions"], table["users"], strict=True)):
        ax.annotate(
            f"{d / u:.2f}/user" if u else "",
            (x, d),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    top = max(table["deletions"].max(), table["users_with_deletions"].max())
    ax.set_ylim(0, 1.1 * top if top > 0 else 1)
    ax.set_xlabel("model")
    ax.set_ylabel("count (artists or users)")
    ax.set_title(f"Same-country artists deleted from the initial top lists ({int(table['users'].iat[0])} users)")
    ax.tick_params(axis="x", rotation=45)
    for label in ax.get_xticklabels():
        label.set_ha("right")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    add_note(fig, notes or [])
    save_png(fig, path)


def main(snakemake):
    n = snakemake.params.n
    rows = [
        deletion_summary(m, pd.read_parquet(p), n) for m, p in zip(snakemake.params.models, snakemake.input.per_user, strict=True)
    ]
    table = pd.DataFrame(rows)
    notes = deletion_notes(table, n)
    write_csv(table, snakemake.output.csv)
    write_text(table_page("Same-country artists deleted per model", table, " ".join(notes) or None), snakemake.output.html)
    plot(table, snakemake.output.png, notes)


if "snakemake" in globals():
    run_script(main, snakemake)  # noqa: F821

"""What every plot of the workflow shares: a PNG written atomically (no half-written file in
results/), a note under the figure naming what it leaves out and why, and a figure that says so
when there is nothing to plot (a real LFM-1b copy has no planted truth; a model may have no lists).

matplotlib is imported by the caller (the scripts select the Agg backend first)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .io import atomic_path

CHARS_PER_INCH = 14  # characters of an 8-point note per inch of figure width


def save_png(fig, path: str | Path) -> None:
    """Write ``fig`` as a PNG to ``path`` atomically (without a timestamp: same figure, same bytes)
    and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)


def note_text(notes: list[str], width: int) -> str:
    """The notes as lines of at most ``width`` characters, each note on lines of its own."""
    return "\n".join(textwrap.fill(n, width) for n in notes)


def add_note(fig, notes: list[str]) -> None:
    """Write ``notes`` (what the figure leaves out and why) under the figure, in grey. The figure
    uses the constrained layout, which makes room for it (it is the figure's ``supxlabel``)."""
    if notes:
        width = max(40, int(fig.get_figwidth() * CHARS_PER_INCH))
        fig.supxlabel(note_text(notes, width), x=0.01, ha="left", fontsize=8, color="0.3")


def empty_figure(title: str, notes: list[str], path: str | Path) -> None:
    """A small figure that says there is nothing to plot, and why, written to ``path``."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 2.6))
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)
    ax.text(0.5, 0.5, note_text(notes, width=100), ha="center", va="center", fontsize=9, color="0.25", transform=ax.transAxes)
    save_png(fig, path)

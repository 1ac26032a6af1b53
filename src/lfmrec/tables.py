"""Small table helpers shared by the metrics tables of phase 1 and of the ranking evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd


def fold_columns(values) -> dict:
    """fold_1..fold_k, mean and std (ddof=1; 0 for a single fold) of one metric's fold values."""
    values = np.asarray(values, dtype=np.float64)
    row = {f"fold_{k + 1}": v for k, v in enumerate(values)}
    row["mean"] = float(values.mean())
    row["std"] = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return row


def _cell(v, digits: int) -> str:
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else f"{v:.{digits}f}"
    if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return str(v).replace("|", "\\|")


def markdown_table(df: pd.DataFrame, digits: int = 4) -> str:
    """A DataFrame as a Markdown table (pandas' ``to_markdown``, i.e. tabulate's pipe format):
    floats with ``digits`` decimals, missing values empty, ``|`` in text escaped."""
    cells = pd.DataFrame({c: [_cell(v, digits) for v in df[c].tolist()] for c in df.columns}, columns=df.columns)
    return cells.to_markdown(index=False, disable_numparse=True)

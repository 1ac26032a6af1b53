"""Per-user reports like the paper's Tables 3 and 4: known favourites, then each model's list."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from .errors import InputError
from .tables import markdown_table


def favourites(triples: pd.DataFrame, min_plays: int) -> pd.DataFrame:
    """The (user, artist) pairs with more than ``min_plays`` plays (the paper: more than 50)."""
    return triples[triples["playcount"] > min_plays]


def choose_report_users(users: pd.DataFrame, triples: pd.DataFrame, min_plays: int, requested: list[int]) -> list[int]:
    """The users to report on.

    ``requested`` ids must be sampled users (with a country). When it is empty: among the users
    with at least one favourite, the one with the most triples, the one at the median and the one
    with the fewest (ties by user_id); users without a favourite are used only if too few have one.
    """
    known = set(users["user_id"].tolist())
    if requested:
        for u in requested:
            if u not in known:
                raise InputError(
                    "config report.users",
                    f"user {u} is not among the sampled users with a country",
                    "pick ids from results/data/users.parquet or leave the list empty",
                )
        return list(dict.fromkeys(requested))
    counts = triples.groupby("user_id").size().reindex(users["user_id"], fill_value=0)
    has_fav = set(favourites(triples, min_plays)["user_id"].tolist())
    ranked = pd.DataFrame({"user_id": counts.index, "n": counts.to_numpy(), "fav": [u in has_fav for u in counts.index]})
    pool = ranked[ranked["fav"]] if ranked["fav"].sum() >= 3 else ranked[ranked["n"] > 0]
    if pool.empty:
        pool = ranked
    pool = pool.sort_values(["n", "user_id"], ascending=[False, True], ignore_index=True)
    picks = [0, (len(pool) - 1) // 2, len(pool) - 1]
    return list(dict.fromkeys(int(pool["user_id"].iat[i]) for i in picks))


_PAGE_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:14px;color:#222;margin:12px}"
    "h1{font-size:18px;margin:0 0 6px}h2{font-size:15px;margin:18px 0 6px}p{margin:4px 0 8px;color:#444}"
    "table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #ccc;padding:3px 8px}"
    "th{background:#eef2f7;text-align:left;position:sticky;top:0}td{text-align:right}"
    "td.text{text-align:left}tr:nth-child(even) td{background:#fafafa}"
)


def _html_table(df: pd.DataFrame, digits: int) -> str:
    """A DataFrame as an HTML table: floats with ``digits`` decimals (significant digits when very
    small or large), missing values empty."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, (float, np.floating)):
                text, cls = ("" if np.isnan(v) else f"{v:.{digits}f}" if 1e-3 <= abs(v) < 1e5 else f"{v:.{digits}g}"), ""
            elif v is None or (not isinstance(v, str) and pd.isna(v)):
                text, cls = "", ""
            elif isinstance(v, (int, np.integer)):
                text, cls = str(v), ""
            else:
                text, cls = html.escape(str(v)), ' class="text"'
            cells.append(f"<td{cls}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def html_page(blocks: list[tuple[str, object]], digits: int = 4) -> str:
    """A small self-contained HTML page (the HTML report shows it inline) from blocks:
    ``("h1" | "h2" | "p", text)`` or ``("table", DataFrame)``."""
    body = []
    for kind, value in blocks:
        if kind == "table":
            body.append(_html_table(value, digits))
        else:
            body.append(f"<{kind}>{html.escape(str(value))}</{kind}>")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><style>'
        + _PAGE_STYLE
        + "</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def table_page(title: str, df: pd.DataFrame, note: str | None = None, digits: int = 4) -> str:
    """One table as an HTML page with a title and an optional note under it."""
    return html_page([("h1", title), *([("p", note)] if note else []), ("table", df)], digits)


def markdown_page(blocks: list[tuple[str, object]], digits: int = 4) -> str:
    """The blocks of :func:`html_page` as Markdown."""
    out = []
    for kind, value in blocks:
        if kind == "h1":
            out += [f"# {value}", ""]
        elif kind == "h2":
            out += [f"## {value}", ""]
        elif kind == "table":
            out += [markdown_table(value, digits), ""]
        elif kind == "strong":
            out += [f"**{value}**", ""]
        elif kind == "em":
            out += [f"_{value}_", ""]
        else:
            out += [str(value), ""]
    return "\n".join(out)


def user_report_blocks(
    user_id: int,
    country: str,
    triples: pd.DataFrame,
    artists: pd.DataFrame,
    lists: dict[str, pd.DataFrame],
    per_user: dict[str, pd.DataFrame],
    min_plays: int,
    n: int,
    true_country: pd.Series | None = None,
) -> list[tuple[str, object]]:
    """The report of one user: favourites (Table 3) and every model's final list (Table 4), as the
    blocks :func:`markdown_page` and :func:`html_page` render.

    ``lists[model]`` and ``per_user[model]`` are the model's recommendations and per-user counts;
    ``true_country`` (artist_id -> planted home country) adds the paper's "true country" column.
    """
    info = artists.set_index("artist_id")
    fav = favourites(triples[triples["user_id"] == user_id], min_plays).sort_values(
        ["playcount", "artist_id"], ascending=[False, True]
    )
    fav_table = pd.DataFrame(
        {
            "artist_id": fav["artist_id"].to_numpy(),
            "name": info["name"].reindex(fav["artist_id"]).to_numpy(),
            "plays": fav["playcount"].to_numpy(),
            "estimated country": info["country"].reindex(fav["artist_id"]).to_numpy(),
        }
    )
    n_triples = int((triples["user_id"] == user_id).sum())
    out: list[tuple[str, object]] = [("h1", f"User {user_id} ({country})"), ("p", f"{n_triples} artists played in the sample.")]
    if true_country is None:
        out.append(
            (
                "em",
                "No true-country column (the paper's Table 4 has one): the data has no planted artist "
                "countries, as a real LFM-1b copy; countries are the estimated ones.",
            )
        )
    out.append(("h2", f"Known favourites (more than {min_plays} plays)"))
    out.append(("table", fav_table) if len(fav_table) else ("em", "No artist with more plays than that."))
    for model, recs in lists.items():
        mine = recs[recs["user_id"] == user_id].sort_values("rank")
        counts = per_user[model].set_index("user_id").loc[user_id]
        table = pd.DataFrame(
            {
                "rank": mine["rank"].to_numpy(),
                "artist_id": mine["artist_id"].to_numpy(),
                "name": info["name"].reindex(mine["artist_id"]).to_numpy(),
                "estimated country": mine["artist_country"].to_numpy(),
                "score": mine["score"].to_numpy(np.float64),
            }
        )
        if true_country is not None:
            table.insert(4, "true country", true_country.reindex(mine["artist_id"]).to_numpy())
        out.append(("h2", f"{model}: top {n} from other countries than {country}"))
        out.append(("p", f"{int(counts['deletions'])} same-country artists deleted from the initial top {n}."))
        if not len(table):
            out.append(("strong", f"No candidate artist from another country than {country}: the list is empty."))
        elif len(table) < n:
            out.append(("strong", f"Only {len(table)} candidates from other countries: the list is shorter than {n}."))
        if len(table):
            out.append(("table", table))
    return out


def user_report(*args, **kwargs) -> str:
    """Markdown report of one user (see :func:`user_report_blocks` for the arguments)."""
    return markdown_page(user_report_blocks(*args, **kwargs))

"""Per-user reports like the paper's Tables 3 and 4: known favourites, then each model's list."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError


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


def markdown_table(df: pd.DataFrame, digits: int = 4) -> str:
    """A DataFrame as a Markdown table: floats with ``digits`` decimals, missing values empty."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append(f"{v:.{digits}f}")
            elif v is None or (not isinstance(v, str) and pd.isna(v)):
                cells.append("")
            else:
                cells.append(str(v).replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def user_report(
    user_id: int,
    country: str,
    triples: pd.DataFrame,
    artists: pd.DataFrame,
    lists: dict[str, pd.DataFrame],
    per_user: dict[str, pd.DataFrame],
    min_plays: int,
    n: int,
    true_country: pd.Series | None = None,
) -> str:
    """Markdown report of one user: favourites (Table 3) and every model's final list (Table 4).

    ``lists[model]`` and ``per_user[model]`` are the model's recommendations and per-user counts;
    ``true_country`` (artist_id -> planted home country) adds the paper's "true country" column.
    """
    info = artists.set_index("artist_id")
    fav = favourites(triples[triples["user_id"] == user_id], min_plays).sort_values(["playcount", "artist_id"], ascending=[False, True])
    fav_table = pd.DataFrame(
        {
            "artist_id": fav["artist_id"].to_numpy(),
            "name": info["name"].reindex(fav["artist_id"]).to_numpy(),
            "plays": fav["playcount"].to_numpy(),
            "estimated country": info["country"].reindex(fav["artist_id"]).to_numpy(),
        }
    )
    n_triples = int((triples["user_id"] == user_id).sum())
    out = [f"# User {user_id} ({country})", "", f"{n_triples} artists played in the sample.", ""]
    out += [f"## Known favourites (more than {min_plays} plays)", ""]
    out += [markdown_table(fav_table) if len(fav_table) else "_No artist with more plays than that._", ""]
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
        out += [f"## {model}: top {n} from other countries than {country}", ""]
        out += [f"{int(counts['deletions'])} same-country artists deleted from the initial top {n}.", ""]
        if len(table) < n:
            out += [f"**Only {len(table)} candidates from other countries: the list is shorter than {n}.**", ""]
        out += [markdown_table(table) if len(table) else "_No candidate._", ""]
    return "\n".join(out)

"""The field's cultural measures of recommendation lists, per user and per user country.

Lesota et al. (ISMIR 2022, "Traces of globalization in online music consumption patterns and
results of recommendation algorithms"; RecSys 2024, "Oh, Behave!") and Matrosova et al. (RecSys
2024, "Do recommender systems promote local music?") compare, for every user, the share of US
artists and of local artists in the recommendations with the same shares in the user's history,
and the Jensen-Shannon divergence between the two artist-country distributions.

Definitions, for a user u with (declared) country c_u, a set X of distinct artists (the history
H_u: the artists u played in the triples, each counted once however often it was played; or a
list L_u of n artists) and an artist labelling country(a) (estimated, or the planted truth):

- an artist without a country (NULL: no listens, not in the labelling) is **unknown**: it counts
  in |X| but is never US and never local; in the distributions it is one category of its own;
- ``us_share(X)    = |{a in X : country(a) = US}|  / |X|``;
- ``local_share(X) = |{a in X : country(a) = c_u}| / |X|`` (for a US user both are the same);
- ``local_bias     = local_share(L_u) - local_share(H_u)`` (Matrosova et al.: local share of the
  recommendations minus that of the data);
- ``js``: the Jensen-Shannon **divergence** (base 2, in [0, 1]) between P_u, the distribution of
  country(a) over a in H_u, and Q_u, the same over L_u (countries plus the unknown category):
  ``JS = KL(P || M) / 2 + KL(Q || M) / 2`` with ``M = (P + Q) / 2`` and KL in bits; 0 = the same
  country mix, 1 = no country in common. It is the square of
  ``scipy.spatial.distance.jensenshannon(P, Q, base=2)`` (scipy returns the distance).

A user's list measures are undefined (NaN) when the list is empty and all of them when the
history is; means leave undefined values out. :func:`by_country` averages the per-user values
over the users of each user country (each user weighs 1) and over all users (``all``).

Everything is computed from a users x countries count matrix (:func:`country_counts`: one sparse
product, dense only in the countries), never users x artists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import rel_entr

from .ids import positions, sorted_unique
from .pairs import code_counts
from .stats import _rng, country_groups, mean_intervals

UNKNOWN = "unknown"  # the category of artists without a country (country codes have two letters)
US = "US"
MEASURES = ("us_share", "local_share", "local_bias", "js")


@dataclass
class Labelling:
    """One artist-country labelling in a fixed vocabulary: ``countries`` (sorted country codes of
    the artists and the users, then :data:`UNKNOWN` last), the artists' ids and their codes."""

    countries: list[str]
    artist_ids: pd.Index
    artist_code: np.ndarray

    @classmethod
    def make(cls, artist_country: pd.Series, user_countries) -> Labelling:
        """``artist_country``: artist_id -> country (missing = unknown); ``user_countries``: the
        users' countries (in the vocabulary so that every user's local share can be read)."""
        s = artist_country[~artist_country.index.duplicated()]
        labels = pd.Series(pd.array(s.to_numpy(), dtype="string"), index=s.index)
        users = pd.Series(pd.array(np.asarray(user_countries, dtype=object), dtype="string"))
        known = set(labels.dropna().unique()) | set(users.dropna().unique())
        countries = sorted(known - {UNKNOWN}) + [UNKNOWN]
        artist_code = pd.Index(countries).get_indexer(labels.fillna(UNKNOWN).to_numpy(dtype=object))
        return cls(countries, pd.Index(s.index), artist_code.astype(np.int64))

    def code(self, country) -> int:
        """Column of ``country`` (-1 if absent, e.g. no US artist and no US user)."""
        return self.countries.index(country) if country in self.countries else -1

    def codes(self, artist_ids) -> np.ndarray:
        """Country column of each artist (unknown for artists the labelling lacks)."""
        idx = self.artist_ids.get_indexer(np.asarray(artist_ids))
        return np.where(idx >= 0, self.artist_code[np.maximum(idx, 0)], len(self.countries) - 1)


@dataclass
class Pairs:
    """Distinct (user, artist) pairs: ``matrix`` (users x artists, CSR, one stored entry per
    pair) over ``user_ids`` (rows) and ``artist_ids`` (columns: ascending integer ids, other ids
    in order of first appearance)."""

    matrix: sp.csr_matrix
    artist_ids: np.ndarray

    @classmethod
    def make(cls, pairs: pd.DataFrame, user_ids: np.ndarray, weight: np.ndarray | None = None) -> Pairs:
        """From a table with user_id, artist_id (a repeated pair counts once; pairs of users not
        in ``user_ids`` are ignored). Hashing and a sparse matrix: no sort of the table. With
        ``weight`` (one per row of ``pairs``, e.g. playcounts) the stored values are the pairs'
        summed weights (:meth:`country_counts` with ``weighted`` adds them up)."""
        rows = positions(np.asarray(user_ids), pairs["user_id"].to_numpy())
        ok = rows >= 0
        artists = pairs["artist_id"].to_numpy()[ok]
        if artists.dtype.kind in "iu":  # by position (28 M triples: 0.3 s instead of 2.5 s hashing)
            artist_ids = sorted_unique(artists)
            cols = positions(artist_ids, artists)
        else:
            cols, artist_ids = pd.factorize(artists)
        values = np.ones(cols.size, np.int8) if weight is None else np.asarray(weight, np.float64)[ok]
        m = sp.csr_matrix((values, (rows[ok], cols)), shape=(len(user_ids), artist_ids.size))
        m.sum_duplicates()
        return cls(m, np.asarray(artist_ids))

    def country_counts(self, labelling: Labelling, weighted: bool = False) -> np.ndarray:
        """(users, countries) float matrix: per user, the distinct artists per country column (or,
        ``weighted``, their summed weights)."""
        return code_counts(self.matrix, labelling.codes(self.artist_ids), len(labelling.countries), weighted)


def country_counts(pairs: pd.DataFrame, user_ids: np.ndarray, labelling: Labelling) -> np.ndarray:
    """(len(user_ids), countries) float matrix: per user, the distinct artists of ``pairs``
    (user_id, artist_id; a repeated pair counts once) per country column of ``labelling``.
    Pairs of users not in ``user_ids`` are ignored."""
    return Pairs.make(pairs, user_ids).country_counts(labelling)


def shares(counts: np.ndarray, user_code: np.ndarray, us_code: int) -> tuple[np.ndarray, np.ndarray]:
    """(US share, local share) per row of ``counts``; NaN for an empty row. ``user_code``: each
    row's country column (-1: no local share, 0)."""
    total = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        us = counts[:, us_code] / total if us_code >= 0 else np.where(total > 0, 0.0, np.nan)
        rows = np.arange(counts.shape[0])
        local = np.where(user_code >= 0, counts[rows, np.maximum(user_code, 0)], 0.0) / total
    return np.where(total > 0, us, np.nan), np.where(total > 0, local, np.nan)


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence (base 2, in [0, 1]) between the rows of ``p`` and ``q`` (counts or
    weights, each row normalised to sum 1); NaN where a row of either is empty.

    With P, Q the normalised rows and M = (P + Q) / 2, a country where Q is 0 adds P ln 2 to
    KL(P || M) and nothing to KL(Q || M), so JS = (ln 2 (1 - sum of P over Q > 0) + sum over Q > 0
    of P ln(P / M) + Q ln(Q / M)) / (2 ln 2): the sums run over the non-zeros of ``q`` only (a list
    of n artists has at most n countries), not over every country of every user."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    sp_, sq = p.sum(axis=1), q.sum(axis=1)
    ok = (sp_ > 0) & (sq > 0)
    rows, cols = np.nonzero(q)
    pr = p[rows, cols] / np.where(sp_ > 0, sp_, 1.0)[rows]
    qr = q[rows, cols] / np.where(sq > 0, sq, 1.0)[rows]
    m = (pr + qr) / 2
    n = p.shape[0]
    # rel_entr(x, y) = x ln(x / y), 0 where x = 0: the terms of KL(P || M) + KL(Q || M) in nats where Q > 0
    inner = np.bincount(rows, rel_entr(pr, m) + rel_entr(qr, m), minlength=n)
    rest = np.log(2) * (1.0 - np.bincount(rows, pr, minlength=n))  # P ln 2 where Q is 0
    js = (np.maximum(rest, 0.0) + inner) / (2 * np.log(2))
    return np.where(ok, np.clip(js, 0.0, 1.0), np.nan)


@dataclass
class History:
    """The users' histories under one labelling: users (ids, countries), their country columns and
    the users x countries counts of their distinct artists."""

    labelling: Labelling
    user_ids: np.ndarray
    user_country: np.ndarray
    user_code: np.ndarray
    counts: np.ndarray

    @classmethod
    def make(cls, users: pd.DataFrame, history: pd.DataFrame | Pairs, artist_country: pd.Series) -> History:
        """``users``: user_id, country; ``history``: user_id, artist_id (the triples), or their
        :class:`Pairs` over ``users`` (made once for several labellings); ``artist_country``:
        artist_id -> country (missing = unknown)."""
        user_ids = users["user_id"].to_numpy(np.int64)
        uc = pd.array(users["country"].to_numpy(), dtype="string")
        lab = Labelling.make(artist_country, uc)
        code = pd.Index(lab.countries[:-1]).get_indexer(pd.Series(uc).fillna(UNKNOWN).to_numpy(dtype=object))
        pairs = history if isinstance(history, Pairs) else Pairs.make(history, user_ids)
        if pairs.matrix.shape[0] != user_ids.size:
            raise ValueError(f"history pairs have {pairs.matrix.shape[0]} users, expected {user_ids.size}")
        return cls(lab, user_ids, np.asarray(uc, dtype=object), code.astype(np.int64), pairs.country_counts(lab))


def user_measures(h: History, lists: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per user of ``h``: user_id, user_country, history_artists, us_share_history,
    local_share_history and, for every named list set of ``lists`` (e.g. ``initial``, ``final``;
    DataFrames with user_id, artist_id), ``us_share_<name>``, ``local_share_<name>``,
    ``local_bias_<name>``, ``js_<name>`` (see the module doc). Users without history are left out."""
    counts = {name: country_counts(frame, h.user_ids, h.labelling) for name, frame in lists.items()}
    out = {
        "user_id": h.user_ids,
        "user_country": h.user_country,
        "history_artists": h.counts.sum(axis=1).astype(np.int64),
        **_measures(h.counts, counts, h.user_code, h.labelling.code(US)),
    }
    table = pd.DataFrame(out)
    return table[table["history_artists"] > 0].reset_index(drop=True)


def columns(stages) -> list[str]:
    """The measure columns of :func:`user_measures` in the order of the output tables."""
    cols = []
    for measure in ("us_share", "local_share"):
        cols += [f"{measure}_history", *(f"{measure}_{s}" for s in stages)]
    for measure in ("local_bias", "js"):
        cols += [f"{measure}_{s}" for s in stages]
    return cols


CI_COLUMNS = ("us_share_initial", "us_share_final", "local_bias_initial", "local_bias_final")


def _intervals(values: pd.DataFrame, n_resamples: int, seed: int, key: str) -> dict[str, float]:
    """ci_low / ci_high of each column's mean over its non-missing rows (one bootstrap per pattern
    of missing values: the columns of users with an empty list share theirs)."""
    out = {}
    patterns: dict[bytes, list[str]] = {}
    for col in values.columns:
        patterns.setdefault(values[col].isna().to_numpy().tobytes(), []).append(col)
    for cols in patterns.values():
        v = values[cols].dropna().to_numpy(np.float64)
        if len(v):
            low, high = mean_intervals(v, n_resamples, _rng(seed, key, *cols))
        else:
            low = high = np.full(len(cols), np.nan)
        for j, col in enumerate(cols):
            out[f"{col}_ci_low"], out[f"{col}_ci_high"] = float(low[j]), float(high[j])
    return out


def by_country(
    per_user: pd.DataFrame,
    stages,
    min_users: int = 1,
    n_resamples: int = 0,
    seed: int = 0,
    key: str = "",
    intervals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Means of the per-user measures per user country, after an ``all`` row (all users): one row
    per country with user_country, users (with a history) and the columns of :func:`columns`;
    countries by users descending, ties by code. Countries with fewer than ``min_users`` users
    are pooled in one row, "other" (:func:`lfmrec.stats.country_groups`), last. With ``n_resamples``, every row also has a
    95% percentile bootstrap interval over its users (``<measure>_ci_low`` / ``_ci_high``) of the
    measures of :data:`CI_COLUMNS` (``key`` and ``seed`` seed it; :func:`joint_intervals`), or the
    given ``intervals`` (one model's part of a :func:`joint_intervals` of several)."""
    cols = columns(stages)
    ci_cols = [c for c in CI_COLUMNS if c in cols] if n_resamples else []
    ci_names = [f"{c}_ci_{end}" for c in ci_cols for end in ("low", "high")]
    if per_user.empty:
        return pd.DataFrame(columns=["user_country", "users", *cols, *ci_names])
    if ci_cols and intervals is None:
        intervals = joint_intervals({key: per_user}, min_users, n_resamples, seed, key)[key]
    groups = country_groups(per_user["user_country"], min_users, us_groups=False)
    rows = []
    for name, idx in groups.items():
        part = per_user.loc[idx]
        row = {"user_country": name, "users": len(part), **part[cols].mean().to_dict()}
        if ci_cols:
            row |= {c: float(intervals.loc[name, c]) for c in ci_names}
        rows.append(row)
    return pd.DataFrame(rows, columns=["user_country", "users", *cols, *ci_names])


def cultural_table(
    users: pd.DataFrame,
    history: pd.DataFrame,
    labellings: Mapping[str, pd.Series],
    lists: Mapping[str, Mapping[str, pd.DataFrame]],
    min_users: int = 1,
    n_resamples: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """results/cultural.csv: for every model of ``lists`` (model -> stage -> lists, e.g.
    ``{"baseline": {"initial": ..., "final": ...}}``) and every labelling of ``labellings`` (name
    -> artist_id -> country, e.g. ``estimated``, ``truth``), :func:`by_country` of the users'
    measures (``min_users``, ``n_resamples``, ``seed`` passed on), with columns model, countries,
    user_country, users, then the measures."""
    parts = []
    pairs = Pairs.make(history, users["user_id"].to_numpy(np.int64))  # once for every labelling
    for name, artist_country in labellings.items():
        h = History.make(users, pairs, artist_country)
        measures = {model: user_measures(h, stages) for model, stages in lists.items()}
        cis = joint_intervals(measures, min_users, n_resamples, seed, name) if n_resamples else {}
        for model, stages in lists.items():
            t = by_country(measures[model], list(stages), min_users, n_resamples, intervals=cis.get(model))
            t.insert(0, "countries", name)
            t.insert(0, "model", model)
            parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def joint_intervals(
    measures: Mapping[str, pd.DataFrame], min_users: int, n_resamples: int, seed: int, key: str
) -> dict[str, pd.DataFrame]:
    """The 95% bootstrap intervals of :func:`by_country`'s rows for every model at once: per user
    group, the users are resampled together for all models' measures of :data:`CI_COLUMNS` (one
    bootstrap per pattern of missing values, :func:`_intervals`), instead of once per model. The
    per-user tables of ``measures`` (model -> :func:`user_measures`) hold the same users in the same
    order (one labelling). Returns model -> DataFrame indexed by user_country with the
    ``<measure>_ci_low`` / ``_ci_high`` columns."""
    if not measures:
        return {}
    first = next(iter(measures.values()))
    for m in measures.values():
        if not m["user_id"].equals(first["user_id"]):
            raise ValueError("joint_intervals: the per-user tables must list the same users in the same order")
    ci_cols = {model: [c for c in CI_COLUMNS if c in m.columns] for model, m in measures.items()}
    wide = pd.concat([m[ci_cols[model]].add_prefix(f"{model}\t") for model, m in measures.items()], axis=1)
    groups = country_groups(first["user_country"], min_users, us_groups=False)
    rows: dict[str, dict] = {model: {} for model in measures}
    for group, idx in groups.items():
        ci = _intervals(wide.loc[idx], n_resamples, seed, f"{key}/{group}")
        for model in measures:
            rows[model][group] = {
                f"{c}_ci_{end}": ci[f"{model}\t{c}_ci_{end}"] for c in ci_cols[model] for end in ("low", "high")
            }
    return {model: pd.DataFrame.from_dict(r, orient="index") for model, r in rows.items()}


HISTORY_SAMPLE = "history_sample"  # the pseudo-model of the tables' floor rows


def history_sample(history: pd.DataFrame, n: int, seed: int, keep: np.ndarray | None = None) -> pd.DataFrame:
    """``n`` distinct artists drawn at random (seeded) from each user's history (user_id, artist_id;
    a repeated pair counts once), or all of them when the user has fewer; with ``keep`` (bool per
    row of ``history``) only from those rows. A list that mirrors the history: its JS divergence
    from the history is the floor a list of n artists reaches by chance (a finite sample of the
    history's own country mix), its local and US shares the history's up to sampling."""
    h = history[["user_id", "artist_id"]]
    if keep is not None:
        h = h[np.asarray(keep, dtype=bool)]
    h = h.drop_duplicates()
    rng = np.random.default_rng([int(seed) % 2**64, 0x415])
    key = rng.random(len(h))
    users = h["user_id"].to_numpy()
    order = np.lexsort((key, users))
    sorted_users = users[order]
    rank = np.arange(order.size) - np.searchsorted(sorted_users, sorted_users, side="left")
    return h.iloc[np.sort(order[rank < n])].reset_index(drop=True)


def history_samples(triples: pd.DataFrame, users: pd.DataFrame, artist_country: pd.Series, n: int, seed: int) -> pd.DataFrame:
    """The lists of the :data:`HISTORY_SAMPLE` pseudo-model (stage, user_id, artist_id): ``initial``,
    n artists drawn from each user's own history; ``final``, n from its artists of another country
    (``artist_country``; unknown counts as another), as the hard rule would leave a list that
    mirrors the history."""
    user_country = pd.array(users.set_index("user_id")["country"].reindex(triples["user_id"]).to_numpy(), dtype="string")
    country = pd.array(artist_country.reindex(triples["artist_id"]).to_numpy(), dtype="string")
    foreign = ~(country == user_country).fillna(False).to_numpy(dtype=bool)
    stages = {"initial": history_sample(triples, n, seed), "final": history_sample(triples, n, seed, foreign)}
    return pd.concat([t.assign(stage=s)[["stage", "user_id", "artist_id"]] for s, t in stages.items()], ignore_index=True)


def labelling_table(labellings: Mapping[str, pd.Series]) -> pd.DataFrame:
    """The labellings (name -> artist_id -> country) as one long table: labelling, artist_id,
    country (missing: unknown); :func:`labellings_of` reads it back in the same order."""
    parts = [
        pd.DataFrame({"labelling": name, "artist_id": s.index.to_numpy(), "country": s.astype("string").to_numpy()})
        for name, s in labellings.items()
    ]
    return pd.concat(parts, ignore_index=True)


def labellings_of(table: pd.DataFrame) -> dict[str, pd.Series]:
    """name -> artist_id -> country of a :func:`labelling_table`, in its order."""
    return {name: part.set_index("artist_id")["country"] for name, part in table.groupby("labelling", sort=False)}


def lists_of(models, initial_paths, final_paths, history_sample_path) -> dict[str, dict[str, pd.DataFrame]]:
    """model -> stage (initial, final) -> lists (user_id, artist_id) of every model's files, then
    the :data:`HISTORY_SAMPLE` pseudo-model's from its :func:`history_samples` file."""
    cols = ["user_id", "artist_id"]
    lists = {
        model: {"initial": pd.read_parquet(initial, columns=cols), "final": pd.read_parquet(final, columns=cols)}
        for model, initial, final in zip(models, initial_paths, final_paths, strict=True)
    }
    sample = pd.read_parquet(history_sample_path)
    lists[HISTORY_SAMPLE] = {
        stage: sample.loc[sample["stage"] == stage, cols].reset_index(drop=True) for stage in ("initial", "final")
    }
    return lists


# ---------------------------------------------------------------------------------------------
# named variants: unit of the history, aggregation over users, unknown countries

UNITS = ("distinct", "plays")  # a history artist counts once, or by its plays
AGGREGATIONS = ("user_mean", "pooled")  # the mean of per-user values, or one value of the summed counts
UNKNOWN_POLICIES = ("category", "dropped")  # unknown-country artists as a category, or left out


def _measures(h: np.ndarray, lists: Mapping[str, np.ndarray], code: np.ndarray, us_code: int) -> dict[str, np.ndarray]:
    """Per row: the history's and every list's US and local shares, local bias and JS divergence
    (rows of counts: users, or pooled groups)."""
    us_h, local_h = shares(h, code, us_code)
    out = {"us_share_history": us_h, "local_share_history": local_h}
    for name, counts in lists.items():
        us, local = shares(counts, code, us_code)
        out |= {
            f"us_share_{name}": us,
            f"local_share_{name}": local,
            f"local_bias_{name}": local - local_h,
            f"js_{name}": js_divergence(h, counts),
        }
    return out


def _pooled(
    groups: sp.csr_matrix, h: np.ndarray, lists: Mapping[str, np.ndarray], code: np.ndarray, us_code: int
) -> dict[str, np.ndarray]:
    """Per group (a row of ``groups``, a 0/1 groups x users matrix): the measures of the group's
    summed counts, shares = summed counts / summed totals (the local counts each user's own
    country's), JS between the summed distributions; NaN for an empty group."""
    rows = np.arange(h.shape[0])

    def share(c):
        summed = groups @ c
        total = summed.sum(axis=1)
        local = groups @ np.where(code >= 0, c[rows, np.maximum(code, 0)], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            us = summed[:, us_code] / total if us_code >= 0 else np.zeros(total.size)
            return np.where(total > 0, us, np.nan), np.where(total > 0, local / total, np.nan), summed

    us_h, local_h, summed_h = share(h)
    out = {"us_share_history": us_h, "local_share_history": local_h}
    for name, counts in lists.items():
        us, local, summed = share(counts)
        out |= {
            f"us_share_{name}": us,
            f"local_share_{name}": local,
            f"local_bias_{name}": local - local_h,
            f"js_{name}": js_divergence(summed_h, summed),
        }
    return out


def _group_means(groups: sp.csr_matrix, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per group (a row of the 0/1 ``groups`` x users matrix): the mean of each per-user array of
    ``values`` over the group's users where it is defined (NaN: none)."""
    x = np.column_stack(list(values.values()))
    defined = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (groups @ np.where(defined, x, 0.0)) / (groups @ defined.astype(np.float64))
    return dict(zip(values, mean.T, strict=True))


def variants_table(
    users: pd.DataFrame,
    history: pd.DataFrame,
    labellings: Mapping[str, pd.Series],
    lists: Mapping[str, Mapping[str, pd.DataFrame]],
    groups: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    """results/cultural_variants.csv: the measures of :func:`cultural_table` under every named
    variant -- ``unit`` of the history (:data:`UNITS`), ``aggregation`` over a group's users
    (:data:`AGGREGATIONS`), ``unknown`` countries (:data:`UNKNOWN_POLICIES`) -- for every labelling,
    model and user group (``groups``: name -> user ids). ``history``: user_id, artist_id,
    playcount. ``labelled_share_history``: the share of the history's artists (or plays) whose
    country the labelling knows. The lists are counted in distinct artists in every variant."""
    user_ids = users["user_id"].to_numpy(np.int64)
    row_of = pd.Index(user_ids)
    distinct = Pairs.make(history, user_ids)
    plays = Pairs.make(history, user_ids, weight=history["playcount"].to_numpy(np.float64))
    # each group's rows: its users with a history (as the default table), the same for every labelling
    has = np.diff(distinct.matrix.indptr) > 0
    group_rows = {}
    for group, ids in groups.items():
        rows = row_of.get_indexer(ids)
        rows = rows[rows >= 0]
        group_rows[group] = rows[has[rows]]
    names = list(group_rows)
    sizes = np.array([r.size for r in group_rows.values()], dtype=np.int64)
    members = np.concatenate([np.zeros(0, np.int64), *group_rows.values()])
    groups_matrix = sp.csr_matrix(
        (np.ones(members.size), (np.repeat(np.arange(len(names)), sizes), members)), shape=(len(names), user_ids.size)
    )
    out = []
    for labelling, artist_country in labellings.items():
        h = History.make(users, distinct, artist_country)
        lab, code, us_code = h.labelling, h.user_code, h.labelling.code(US)
        unknown_col = len(lab.countries) - 1
        hist = {"distinct": h.counts, "plays": plays.country_counts(lab, weighted=True)}
        list_counts = {model: {s: country_counts(f, user_ids, lab) for s, f in stages.items()} for model, stages in lists.items()}
        for unit, hc in hist.items():
            labelled = 1.0 - hc[:, unknown_col] / np.where(hc.sum(axis=1) > 0, hc.sum(axis=1), 1.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                labelled_share = (groups_matrix @ labelled) / sizes
            for unknown in UNKNOWN_POLICIES:
                keep = np.ones(len(lab.countries), bool)
                if unknown == "dropped":
                    keep[unknown_col] = False
                H = hc * keep
                for model, stages in list_counts.items():
                    L = {s: c * keep for s, c in stages.items()}
                    measures = {
                        "user_mean": _group_means(groups_matrix, _measures(H, L, code, us_code)),
                        "pooled": _pooled(groups_matrix, H, L, code, us_code),
                    }
                    head = {
                        "model": model,
                        "countries": labelling,
                        "unit": unit,
                        "unknown": unknown,
                        "user_country": np.repeat(names, 2),
                        "users": np.repeat(sizes, 2),
                        "labelled_share_history": np.repeat(labelled_share, 2),
                        "aggregation": np.tile(list(measures), len(names)),
                    }
                    # per group: its user_mean row, then its pooled row
                    cols = {
                        c: np.column_stack([measures["user_mean"][c], measures["pooled"][c]]).ravel() for c in measures["pooled"]
                    }
                    out.append(pd.DataFrame({**head, **cols}))
    cols = ["model", "countries", "unit", "aggregation", "unknown", "user_country", "users", "labelled_share_history"]
    table = pd.concat(out, ignore_index=True) if out else pd.DataFrame()
    return table[cols + [c for c in table.columns if c not in cols]] if len(table) else table

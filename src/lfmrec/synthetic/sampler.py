"""Drawing each user's distinct artists: popularity-weighted draws from the own-country, regional,
taste-group and global pools (:class:`ArtistSampler`; large rounds compiled in
:mod:`lfmrec._draws`), in rounds of over-draws without replacement (:func:`select_artists`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Draws per missing artist in the first sampling round, and the cap in later rounds
#: (duplicates are dropped); after LOCAL_ROUNDS rounds the still missing artists come from the
#: global pool only (small countries run out of artists).
FIRST_OVERDRAW = 1.3
MAX_OVERDRAW = 200.0
LOCAL_ROUNDS = 2
MAX_ROUNDS = 30
#: from this many draws on, a round's popularity draws are compiled (lfmrec._draws: the same
#: artists, one pass per step instead of numpy's masks; below it numba's import would cost more than
#: it saves)
COMPILED_MIN_DRAWS = 1_000_000


@dataclass(frozen=True)
class Artists:
    """Planted artist attributes, indexed by matrix column (ascending artist id)."""

    ids: np.ndarray  # int64 artist ids
    country: np.ndarray  # int16 index into the country list
    group: np.ndarray  # int16 taste group
    popularity: np.ndarray  # float64, sums to 1
    bias: np.ndarray  # float32 artist bias of log2(playcount)
    market: np.ndarray | None = None  # int16 second market country, -1 for none
    factors: np.ndarray | None = None  # float32 (n, N_FACTORS) taste factors


@dataclass(frozen=True)
class Users:
    """Planted user attributes, indexed in users.txt order (ascending user id)."""

    ids: np.ndarray  # int64 user ids
    country: np.ndarray  # int16 true country
    declared: np.ndarray  # bool, country shown in users.txt
    group: np.ndarray  # int16 main taste group
    p_local: np.ndarray  # float64 share of draws from the own-country pool
    p_group: np.ndarray  # float64 share of draws restricted to the main group
    bias: np.ndarray  # float32 user activity bias of log2(playcount)
    target: np.ndarray  # int64 number of distinct artists to draw
    in_matrix: np.ndarray  # bool
    factors: np.ndarray  # float32 (n, N_FACTORS) taste factors


class ArtistSampler:
    """Draws artists proportionally to popularity from five kinds of pools.

    A user's draw comes from their own country (probability ``p_local``), else from their
    cultural region (probability ``p_region``, countries in a region of two or more only), else
    from all artists; a local draw is restricted to the user's main taste group with probability
    ``p_group``, and so is a global one. The country of an artist in the pools is its home, and
    its second market too (the artist is then in both countries' pools). Pools are contiguous
    segments of two orderings (entries by region, country, group; artists by group) with
    cumulative popularity arrays, so a draw is one ``searchsorted``. Empty pools fall back:
    (country, group) -> country -> global.

    ``country`` arguments are country indices; the pools are kept in ``rank`` order (countries
    sorted by region), so the country pools of a region are one segment.
    """

    def __init__(self, artists: Artists, n_countries: int, n_groups: int, region: np.ndarray | None = None):
        self.n_groups = n_groups
        region = np.full(n_countries, -1, np.int64) if region is None else np.asarray(region, np.int64)
        # own regions for region-less countries, so that every country lies in one region segment
        region = np.where(region >= 0, region, region.max(initial=-1) + 1 + np.arange(n_countries))
        corder = np.lexsort((np.arange(n_countries), region))
        self.rank = np.empty(n_countries, np.int64)
        self.rank[corder] = np.arange(n_countries)
        entry = np.arange(artists.ids.size, dtype=np.int64)
        entry_country = artists.country.astype(np.int64)
        if artists.market is not None:
            extra = np.flatnonzero(artists.market >= 0)
            entry = np.concatenate((entry, extra))
            entry_country = np.concatenate((entry_country, artists.market[extra].astype(np.int64)))
        entry_rank = self.rank[entry_country]
        order = np.lexsort((artists.group[entry], entry_rank))
        self.order_cg = entry[order].astype(np.int32)
        self.cum_cg = np.concatenate(([0.0], np.cumsum(artists.popularity[self.order_cg])))
        cg_counts = np.bincount(entry_rank * n_groups + artists.group[entry], minlength=n_countries * n_groups)
        self.cg_start = np.concatenate(([0], np.cumsum(cg_counts)))
        self.c_start = self.cg_start[::n_groups]
        # region segment [r_lo, r_hi) of each country rank; empty for a region of one country
        rr = region[corder]
        first = np.searchsorted(rr, rr, side="left")
        last = np.searchsorted(rr, rr, side="right")
        several = (last - first) > 1
        self.r_lo = np.where(several, self.c_start[first], 0)
        self.r_hi = np.where(several, self.c_start[last], 0)
        self.order_g = np.argsort(artists.group, kind="stable").astype(np.int32)
        self.cum_g = np.concatenate(([0.0], np.cumsum(artists.popularity[self.order_g])))
        g_counts = np.bincount(artists.group, minlength=n_groups)
        self.g_start = np.concatenate(([0], np.cumsum(g_counts)))
        self.guide_cg = self.guide_g = None  # the search tables of lfmrec._draws, made on first use

    @staticmethod
    def _pick(cum: np.ndarray, order: np.ndarray, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One popularity-weighted draw from each segment ``[lo, hi)`` of ``order``."""
        value = cum[lo] + rng.random(lo.size) * (cum[hi] - cum[lo])
        pos = np.searchsorted(cum, value, side="right") - 1
        return order[np.clip(pos, lo, hi - 1)]

    def draw(
        self,
        country: np.ndarray,
        group: np.ndarray,
        p_local: np.ndarray | float,
        p_group: np.ndarray,
        rng: np.random.Generator,
        p_region: float = 0.0,
    ) -> np.ndarray:
        """One artist (column index, int32) per element of the per-draw user attributes.

        One uniform number decides local (below ``p_local``), regional (below ``p_local + (1 -
        p_local) * p_region``) or global; a second one the taste-group restriction."""
        n = country.size
        r_local = rng.random(n)
        r_group = rng.random(n)
        c = self.rank[country.astype(np.int64)]
        if n >= COMPILED_MIN_DRAWS:  # compiled (numba is imported only for large draws): the same artists
            from .._draws import Guide, draw

            if self.guide_cg is None:
                self.guide_cg, self.guide_g = Guide(self.cum_cg), Guide(self.cum_g)
            return draw(self, c, group, r_local, p_local, r_group, p_group, p_region, rng)
        local = r_local < p_local
        regional = ~local & (r_local < p_local + (1.0 - p_local) * p_region) & (self.r_hi[c] > self.r_lo[c])
        in_group = r_group < p_group
        cg = c * self.n_groups + group
        use_cg = local & in_group & (self.cg_start[cg + 1] > self.cg_start[cg])
        use_c = local & ~use_cg & (self.c_start[c + 1] > self.c_start[c])
        use_r = regional
        use_g = ~(use_cg | use_c | use_r) & in_group
        lo = np.where(use_cg, self.cg_start[cg], np.where(use_r, self.r_lo[c], self.c_start[c]))
        hi = np.where(use_cg, self.cg_start[cg + 1], np.where(use_r, self.r_hi[c], self.c_start[c + 1]))
        g = group.astype(np.int64)
        lo_g = np.where(use_g, self.g_start[g], 0)
        hi_g = np.where(use_g, self.g_start[g + 1], self.order_g.size)
        out = np.empty(n, dtype=np.int32)
        by_cg = use_cg | use_c | use_r
        out[by_cg] = self._pick(self.cum_cg, self.order_cg, lo[by_cg], hi[by_cg], rng)
        by_g = ~by_cg
        out[by_g] = self._pick(self.cum_g, self.order_g, lo_g[by_g], hi_g[by_g], rng)
        return out


def _rank_within_runs(owner: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal consecutive ``owner`` values."""
    starts = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
    counts = np.diff(np.concatenate((starts, [owner.size])))
    return np.arange(owner.size) - np.repeat(starts, counts)


def select_artists(
    users: Users, members: np.ndarray, sampler: ArtistSampler, n_artists: int, proximity: float, rng: np.random.Generator
) -> np.ndarray:
    """Distinct artists of each user in ``members`` (successive sampling without replacement).

    Each round over-draws the missing number of artists per user, drops pairs already held and
    duplicates, and keeps the first new artists in draw order. The over-draw factor of a user
    is the inverse of the share of new artists among their draws in the previous round (heavy
    listeners exhaust the head of the popularity curve). Local and regional draws stop after
    ``LOCAL_ROUNDS`` rounds (small countries and regions run out of artists). Returns sorted int64 keys
    ``local_user * n_artists + artist`` with ``local_user`` the position in ``members``.
    """
    country, group = users.country[members], users.group[members]
    p_local, p_group = users.p_local[members], users.p_group[members]
    need = users.target[members].copy()
    factor = np.full(need.size, FIRST_OVERDRAW)
    held = np.empty(0, dtype=np.int64)
    for rnd in range(MAX_ROUNDS):
        todo = np.flatnonzero(need > 0)
        if todo.size == 0:
            return held
        n_draw = np.ceil(need[todo] * factor[todo]).astype(np.int64) + 2
        owner = np.repeat(todo, n_draw)
        local = p_local[owner] if rnd < LOCAL_ROUNDS else 0.0
        regional = proximity if rnd < LOCAL_ROUNDS else 0.0
        artist = sampler.draw(country[owner], group[owner], local, p_group[owner], rng, regional)
        keys = owner * np.int64(n_artists) + artist
        if held.size and keys.size >= COMPILED_MIN_DRAWS:  # compiled: looked up in the owner's keys
            from .._draws import not_held

            keys = keys[not_held(held, keys, n_artists)]
        elif held.size:
            pos = np.minimum(np.searchsorted(held, keys), held.size - 1)
            keys = keys[held[pos] != keys]
        _, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)]
        owner = keys // n_artists
        new = np.bincount(owner, minlength=need.size)[todo]
        factor[todo] = np.clip(1.2 * n_draw / np.maximum(new, 1), FIRST_OVERDRAW, MAX_OVERDRAW)
        keys = keys[_rank_within_runs(owner) < need[owner]]
        need -= np.bincount(keys // n_artists, minlength=need.size)
        held = np.sort(np.concatenate((held, keys)))
    raise RuntimeError(f"could not draw enough distinct artists for {np.sum(need > 0)} users")

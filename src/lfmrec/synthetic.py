"""Synthetic LFM-1b data written in exactly the raw LFM-1b file formats.

The real LFM-1b can no longer be downloaded, so the pipeline runs on data of the same shape and
format (those :mod:`lfmrec.lfm1b` reads). The generator plants the structure the paper's
experiment relies on, and writes it next to the raw files as ground truth:

- every user has a true country (drawn from LFM-1b's user shares); about 46% declare it in
  ``LFM-1b_users.txt``, the others leave the field empty;
- every artist has a home country (US and UK over-represented), a Zipf-like popularity and one
  of ``n_groups`` latent taste groups;
- a user listens to artists of their own country and to globally popular artists, preferring
  artists of their own main taste group (co-listening signal for collaborative filtering);
- playcounts are heavy tailed, with user and artist biases on the log2 scale and higher counts
  for own-group and own-country artists;
- users with fewer than 10 distinct artists are listed in users.txt but left out of the matrix.

Outputs of :func:`generate` (all written to a temporary name first, then renamed):

- ``LFM-1b_LEs.mat``: MATLAB v7.3 (HDF5 with a 512-byte MATLAB header) holding the users x
  artists playcount matrix ``LEs`` in MATLAB's sparse (CSC) layout, plus ``idx_users`` and
  ``idx_artists``; matrix rows are in a seeded shuffled order, not in users.txt order;
- ``LFM-1b_users.txt``, ``LFM-1b_artists.txt``: the raw text files;
- ``truth_artists.parquet``, ``truth_users.parquet``: the planted ground truth.

The same seed writes byte-identical raw files. Command line:
``python -m lfmrec.synthetic --scale default --seed 42 --out DIR``.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from lfmrec.errors import InputError
from lfmrec.io import atomic_path
from lfmrec.lfm1b import write_les

MAT_NAME = "LFM-1b_LEs.mat"
USERS_NAME = "LFM-1b_users.txt"
ARTISTS_NAME = "LFM-1b_artists.txt"
TRUTH_ARTISTS_NAME = "truth_artists.parquet"
TRUTH_USERS_NAME = "truth_users.parquet"
USERS_HEADER = "user_id\tcountry\tage\tgender\tplaycount\tregistered_unixtime"

#: Users with fewer distinct artists than this are left out of the matrix (as in LFM-1b).
MIN_MATRIX_ARTISTS = 10


@dataclass(frozen=True)
class Scale:
    """Size of a synthetic data set.

    ``n_users`` users are listed in users.txt; ``n_excluded`` of them listen to fewer than
    ``MIN_MATRIX_ARTISTS`` distinct artists and are left out of the matrix. The distinct artists
    per matrix user are ``10 + lognormal`` with mean ``mean_artists`` and log-sd
    ``sigma_artists``, capped at ``max_artists_factor * mean_artists``. The popularity of the
    artist of rank r is ``(r + zipf_offset) ** -zipf_exponent`` (times a US/UK boost).
    Users are processed ``chunk_users`` matrix rows at a time.
    """

    name: str
    n_users: int
    n_excluded: int
    n_artists: int
    mean_artists: float
    sigma_artists: float
    n_groups: int
    zipf_exponent: float
    zipf_offset: float
    max_artists_factor: float = 12.0
    chunk_users: int = 10_000

    @property
    def n_matrix_users(self) -> int:
        """Users in the matrix (listed users minus the left-out ones)."""
        return self.n_users - self.n_excluded


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", n_users=600, n_excluded=2, n_artists=3_000, mean_artists=40.0,
                  sigma_artists=0.7, n_groups=8, zipf_exponent=1.0, zipf_offset=10.0),
    # a tenth of LFM-1b in both dimensions (same density); the popularity curve is calibrated
    # so that the paper's sampling leaves ~61% of the sampled artists without listens
    "default": Scale("default", n_users=12_032, n_excluded=15, n_artists=58_510,
                     mean_artists=60.0, sigma_artists=0.75, n_groups=24, zipf_exponent=1.3,
                     zipf_offset=10.0),
    "full": Scale("full", n_users=120_322, n_excluded=147, n_artists=585_095,
                  mean_artists=511.0, sigma_artists=0.75, n_groups=24, zipf_exponent=1.2,
                  zipf_offset=20.0),
}

# Share (percent) of LFM-1b users by country; the top 10 are the paper's Table 1, the tail
# follows the LFM-1b ranking loosely. ISO 3166 alpha-2 codes, except UK for the United Kingdom.
COUNTRY_USER_SHARES: dict[str, float] = {
    "US": 19.2, "RU": 8.7, "UK": 8.6, "DE": 7.9, "PL": 7.9, "BR": 7.4, "NL": 2.3, "FI": 2.3,
    "UA": 2.2, "AU": 2.2, "ES": 2.0, "SE": 1.9, "CA": 1.8, "IT": 1.7, "FR": 1.6, "JP": 1.2,
    "MX": 1.1, "BY": 1.0, "CZ": 0.9, "NO": 0.9, "TR": 0.8, "BE": 0.8, "CL": 0.7, "AR": 0.7,
    "LT": 0.6, "LV": 0.5, "PT": 0.5, "AT": 0.5, "CH": 0.5, "HU": 0.5, "SK": 0.4, "DK": 0.4,
    "RO": 0.4, "ID": 0.4, "CO": 0.3, "EE": 0.3, "BG": 0.3, "KZ": 0.3, "IE": 0.3, "GR": 0.3,
    "NZ": 0.3, "HR": 0.25, "RS": 0.25, "SI": 0.2, "IN": 0.2, "VE": 0.2, "PE": 0.2, "CN": 0.2,
    "KR": 0.15, "TW": 0.15, "PH": 0.15, "MY": 0.15, "SG": 0.12, "TH": 0.12, "IL": 0.12,
    "ZA": 0.12, "IS": 0.1, "UY": 0.1, "EC": 0.1, "CR": 0.08, "MD": 0.08, "GE": 0.08,
    "AM": 0.06, "AZ": 0.06, "PY": 0.06, "BO": 0.05, "VN": 0.05, "EG": 0.05, "MA": 0.04,
    "TN": 0.04, "LU": 0.04, "CY": 0.04, "MT": 0.03,
}
#: Share of declared users (LFM-1b: 55,190 of 120,322 = 45.9%).
DECLARE_COUNTRY_P = 0.459
#: Home-country shares of artists fixed for the music-exporting countries; the remaining share
#: is split over the other countries proportionally to ``user_share ** ARTIST_SHARE_EXPONENT``.
ARTIST_COUNTRY_FIXED = {"US": 0.30, "UK": 0.12}
ARTIST_SHARE_EXPONENT = 0.9
#: Popularity multiplier of US/UK artists (their music travels more).
POPULARITY_BOOST = {"US": 3.0, "UK": 2.5}
#: Dirichlet concentration of the taste-group sizes (unequal groups).
GROUP_CONCENTRATION = 4.0
#: Per-user share of draws from the own-country pool, Beta(a, b) (mean 0.5).
LOCAL_BETA = (4.0, 4.0)
#: Per-user share of draws restricted to the user's main taste group, Beta(a, b) (mean 0.43).
GROUP_BETA = (3.0, 4.0)
#: Playcount model: log2(playcount) = MU + user activity bias + artist bias + bonus for the
#: user's own taste group / own country + Gaussian noise + a half-normal "favourite" bonus on a
#: share of the pairs (heavier upper tail: median 4, mean ~18, log2 sd ~2).
PC_LOG2_MU = 1.4
PC_USER_SD = 0.7
PC_ARTIST_SD = 0.6
PC_SAME_GROUP = 0.7
PC_SAME_COUNTRY = 0.3
PC_NOISE_SD = 1.8
PC_FAVOURITE_P = 0.2
PC_FAVOURITE_SD = 2.0
PC_MAX = 200_000
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
#: Rows written to the HDF5 file per slice.
#: Fixed MAT header date, so that the same seed writes byte-identical files.
#: Registration times span 2002-10-29 .. 2014-12-31 (last.fm's life until LFM-1b's crawl).
REGISTERED_RANGE = (1_035_849_600, 1_420_070_399)

NAME_SYLLABLES = np.array([
    "ka", "lo", "ri", "na", "ve", "to", "mi", "sa", "dor", "len", "bar", "el", "an", "os",
    "ur", "ith", "mo", "ra", "zen", "ki", "tu", "vi", "ro", "ne", "qua", "shi", "dra", "fen",
    "gal", "hol", "jas", "kor", "lum", "mar", "nox", "per", "rin", "sol", "tar", "val", "wex",
    "yor", "zal", "be", "cy", "da", "fo", "gu", "ha", "ja", "ku", "le", "ma", "ni", "po",
])
NAME_FIRST = np.array([
    "Anna", "Boris", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
    "Kira", "Lukas", "Maja", "Nils", "Olga", "Pavel", "Rosa", "Sven", "Tara", "Viktor",
    "Wanda", "Yuri", "Zoe", "Marco", "Lena", "Igor", "Sara", "Tomas", "Ada", "Leo",
])


@dataclass(frozen=True)
class _Artists:
    """Planted artist attributes, indexed by matrix column (ascending artist id)."""

    ids: np.ndarray         # int64 artist ids
    country: np.ndarray     # int16 index into the country list
    group: np.ndarray       # int16 taste group
    popularity: np.ndarray  # float64, sums to 1
    bias: np.ndarray        # float32 artist bias of log2(playcount)


@dataclass(frozen=True)
class _Users:
    """Planted user attributes, indexed in users.txt order (ascending user id)."""

    ids: np.ndarray        # int64 user ids
    country: np.ndarray    # int16 true country
    declared: np.ndarray   # bool, country shown in users.txt
    group: np.ndarray      # int16 main taste group
    p_local: np.ndarray    # float64 share of draws from the own-country pool
    p_group: np.ndarray    # float64 share of draws restricted to the main group
    bias: np.ndarray       # float32 user activity bias of log2(playcount)
    target: np.ndarray     # int64 number of distinct artists to draw
    in_matrix: np.ndarray  # bool


def country_distributions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Country codes, user-share and artist-share probabilities (each summing to 1)."""
    codes = np.array(list(COUNTRY_USER_SHARES))
    user_p = np.array(list(COUNTRY_USER_SHARES.values()))
    user_p = user_p / user_p.sum()
    fixed = np.array([ARTIST_COUNTRY_FIXED.get(c, 0.0) for c in codes])
    rest = np.where(fixed > 0, 0.0, user_p ** ARTIST_SHARE_EXPONENT)
    artist_p = fixed + rest / rest.sum() * (1.0 - fixed.sum())
    return codes, user_p, artist_p


def _sparse_ids(n: int, rng: np.random.Generator, start: int, log_mu: float,
                log_sigma: float) -> np.ndarray:
    """``n`` increasing, non-contiguous ids: ``start`` plus cumulated lognormal gaps."""
    gaps = 1 + np.floor(rng.lognormal(log_mu, log_sigma, n)).astype(np.int64)
    return start + np.cumsum(gaps)


def _make_artists(scale: Scale, codes: np.ndarray, artist_p: np.ndarray,
                  rng: np.random.Generator) -> _Artists:
    """Artists with a home country, a taste group and a Zipf-like popularity.

    Popularity ranks are a random permutation; US/UK artists get a multiplicative boost.
    """
    n = scale.n_artists
    ids = _sparse_ids(n, rng, start=0, log_mu=2.0, log_sigma=1.0)
    country = rng.choice(len(codes), size=n, p=artist_p).astype(np.int16)
    group_p = rng.dirichlet(np.full(scale.n_groups, GROUP_CONCENTRATION))
    group = rng.choice(scale.n_groups, size=n, p=group_p).astype(np.int16)
    rank = rng.permutation(n) + 1
    boost = np.array([POPULARITY_BOOST.get(c, 1.0) for c in codes])
    popularity = (rank + scale.zipf_offset) ** -scale.zipf_exponent * boost[country]
    popularity /= popularity.sum()
    bias = rng.normal(0.0, PC_ARTIST_SD, n).astype(np.float32)
    return _Artists(ids, country, group, popularity, bias)


def _make_users(scale: Scale, user_p: np.ndarray, group_sizes: np.ndarray,
                rng: np.random.Generator) -> _Users:
    """Users with a true country, a main taste group, listening habits and an artist count.

    The distinct-artist count is ``10 + lognormal`` (heavy tailed) for matrix users and 1..9
    for the left-out users.
    """
    n = scale.n_users
    ids = _sparse_ids(n, rng, start=1_000, log_mu=4.0, log_sigma=1.5)
    country = rng.choice(len(user_p), size=n, p=user_p).astype(np.int16)
    declared = rng.random(n) < DECLARE_COUNTRY_P
    group = rng.choice(len(group_sizes), size=n, p=group_sizes / group_sizes.sum())
    p_local = rng.beta(*LOCAL_BETA, n)
    p_group = rng.beta(*GROUP_BETA, n)
    bias = rng.normal(0.0, PC_USER_SD, n).astype(np.float32)
    in_matrix = np.ones(n, dtype=bool)
    in_matrix[rng.choice(n, size=scale.n_excluded, replace=False)] = False
    extra = scale.mean_artists - MIN_MATRIX_ARTISTS
    log_mu = np.log(extra) - scale.sigma_artists ** 2 / 2
    cap = min(int(scale.max_artists_factor * scale.mean_artists), scale.n_artists // 4)
    target = MIN_MATRIX_ARTISTS + np.floor(rng.lognormal(log_mu, scale.sigma_artists, n))
    target = np.minimum(target.astype(np.int64), cap)
    target[~in_matrix] = rng.integers(1, MIN_MATRIX_ARTISTS, size=scale.n_excluded)
    return _Users(ids, country, declared, group.astype(np.int16), p_local, p_group, bias,
                  target, in_matrix)


class _ArtistSampler:
    """Draws artists proportionally to popularity from four kinds of pools.

    A user's draw comes from their own country (probability ``p_local``) or from all artists,
    and, within that, from their main taste group only (probability ``p_group``). Pools are
    contiguous segments of two artist orderings (by country then group; by group) with
    cumulative popularity arrays, so a draw is one ``searchsorted``. Empty pools fall back:
    (country, group) -> country -> global.
    """

    def __init__(self, artists: _Artists, n_countries: int, n_groups: int):
        self.n_groups = n_groups
        self.order_cg = np.lexsort((artists.group, artists.country)).astype(np.int32)
        self.cum_cg = np.concatenate(([0.0], np.cumsum(artists.popularity[self.order_cg])))
        cg_counts = np.bincount(artists.country.astype(np.int64) * n_groups + artists.group,
                                minlength=n_countries * n_groups)
        self.cg_start = np.concatenate(([0], np.cumsum(cg_counts)))
        self.c_start = self.cg_start[::n_groups]
        self.order_g = np.argsort(artists.group, kind="stable").astype(np.int32)
        self.cum_g = np.concatenate(([0.0], np.cumsum(artists.popularity[self.order_g])))
        g_counts = np.bincount(artists.group, minlength=n_groups)
        self.g_start = np.concatenate(([0], np.cumsum(g_counts)))
        self.guide_cg = self.guide_g = None  # the search tables of lfmrec._draws, made on first use

    @staticmethod
    def _pick(cum: np.ndarray, order: np.ndarray, lo: np.ndarray, hi: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        """One popularity-weighted draw from each segment ``[lo, hi)`` of ``order``."""
        value = cum[lo] + rng.random(lo.size) * (cum[hi] - cum[lo])
        pos = np.searchsorted(cum, value, side="right") - 1
        return order[np.clip(pos, lo, hi - 1)]

    def draw(self, country: np.ndarray, group: np.ndarray, p_local: np.ndarray | float,
             p_group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One artist (column index, int32) per element of the per-draw user attributes."""
        n = country.size
        r_local = rng.random(n)
        r_group = rng.random(n)
        if n >= COMPILED_MIN_DRAWS:  # compiled (numba is imported only for large draws): the same artists
            from ._draws import Guide, draw

            if self.guide_cg is None:
                self.guide_cg, self.guide_g = Guide(self.cum_cg), Guide(self.cum_g)
            return draw(self, country, group, r_local, p_local, r_group, p_group, rng)
        local = r_local < p_local
        in_group = r_group < p_group
        c = country.astype(np.int64)
        cg = c * self.n_groups + group
        use_cg = local & in_group & (self.cg_start[cg + 1] > self.cg_start[cg])
        use_c = local & ~use_cg & (self.c_start[c + 1] > self.c_start[c])
        use_g = ~(use_cg | use_c) & in_group
        use_all = ~(use_cg | use_c | use_g)
        lo = np.where(use_cg, self.cg_start[cg], self.c_start[c])
        hi = np.where(use_cg, self.cg_start[cg + 1], self.c_start[c + 1])
        g = group.astype(np.int64)
        lo_g = np.where(use_g, self.g_start[g], 0)
        hi_g = np.where(use_g, self.g_start[g + 1], self.order_g.size)
        out = np.empty(n, dtype=np.int32)
        by_cg = use_cg | use_c
        out[by_cg] = self._pick(self.cum_cg, self.order_cg, lo[by_cg], hi[by_cg], rng)
        by_g = use_g | use_all
        out[by_g] = self._pick(self.cum_g, self.order_g, lo_g[by_g], hi_g[by_g], rng)
        return out


def _rank_within_runs(owner: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal consecutive ``owner`` values."""
    starts = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
    counts = np.diff(np.concatenate((starts, [owner.size])))
    return np.arange(owner.size) - np.repeat(starts, counts)


def _select_artists(users: _Users, members: np.ndarray, sampler: _ArtistSampler,
                    n_artists: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct artists of each user in ``members`` (successive sampling without replacement).

    Each round over-draws the missing number of artists per user, drops pairs already held and
    duplicates, and keeps the first new artists in draw order. The over-draw factor of a user
    is the inverse of the share of new artists among their draws in the previous round (heavy
    listeners exhaust the head of the popularity curve). Returns sorted int64 keys
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
        artist = sampler.draw(country[owner], group[owner], local, p_group[owner], rng)
        keys = owner * np.int64(n_artists) + artist
        if held.size and keys.size >= COMPILED_MIN_DRAWS:  # compiled: looked up in the owner's keys
            from ._draws import not_held

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


def _playcounts(users: _Users, members: np.ndarray, artists: _Artists, owner: np.ndarray,
                artist: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Playcount (int32, >= 1) of each (user, artist) pair.

    log2(playcount) = mu + user bias + artist bias + bonus for the user's own taste group and
    own country + Gaussian noise + a favourite bonus on some pairs; rounded, at least 1 play.
    """
    user = members[owner]
    n = owner.size
    favourite = rng.random(n) < PC_FAVOURITE_P
    x = (PC_LOG2_MU + users.bias[user] + artists.bias[artist]
         + PC_SAME_GROUP * (users.group[user] == artists.group[artist])
         + PC_SAME_COUNTRY * (users.country[user] == artists.country[artist])
         + rng.normal(0.0, PC_NOISE_SD, n)
         + favourite * np.abs(rng.normal(0.0, PC_FAVOURITE_SD, n)))
    return np.clip(np.rint(np.exp2(x)), 1, PC_MAX).astype(np.int32)


def _listen(users: _Users, members: np.ndarray, artists: _Artists, sampler: _ArtistSampler,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local user, artist, playcount) triples of ``members``, sorted by local user."""
    n_art = artists.ids.size
    keys = _select_artists(users, members, sampler, n_art, rng)
    owner = (keys // n_art).astype(np.int32)
    artist = (keys % n_art).astype(np.int32)
    return owner, artist, _playcounts(users, members, artists, owner, artist, rng)


def _write_text(path: Path, lines: list[str]) -> None:
    """Write ``lines`` (newline terminated) atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines))
            fh.write("\n")


def _user_lines(users: _Users, codes: np.ndarray, playcount: np.ndarray,
                rng: np.random.Generator) -> list[str]:
    """users.txt lines: country empty if undeclared, age -1 if unknown, gender m/f/n."""
    n = users.ids.size
    country = np.where(users.declared, codes[users.country], "")
    age = np.clip(np.rint(rng.gamma(6.0, 4.0, n) + 12), 13, 80).astype(np.int64)
    age[rng.random(n) < 0.4] = -1
    gender = rng.choice(np.array(["m", "f", "n"]), size=n, p=[0.5, 0.2, 0.3])
    lo, hi = REGISTERED_RANGE
    registered = lo + np.floor(rng.beta(2.0, 1.3, n) * (hi - lo)).astype(np.int64)
    return [USERS_HEADER] + [
        f"{u}\t{c}\t{a}\t{g}\t{p}\t{r}" for u, c, a, g, p, r in zip(
            users.ids.tolist(), country.tolist(), age.tolist(), gender.tolist(),
            playcount.tolist(), registered.tolist(), strict=True)]


def artist_names(n: int, rng: np.random.Generator) -> np.ndarray:
    """Readable synthetic artist names from seeded syllables ("Kalorin", "The Zenmar",
    "Lena Dorvi", "DJ Kuto", "Solen & the Ravi"); they never contain tabs or newlines."""
    def word(n_syll: int) -> np.ndarray:
        out = NAME_SYLLABLES[rng.integers(0, NAME_SYLLABLES.size, n)]
        for _ in range(n_syll - 1):
            out = np.strings.add(out, NAME_SYLLABLES[rng.integers(0, NAME_SYLLABLES.size, n)])
        return np.strings.capitalize(out)

    long_word = np.where(rng.random(n) < 0.5, word(2), word(3))
    short_word = word(2)
    person = np.strings.add(np.strings.add(NAME_FIRST[rng.integers(0, NAME_FIRST.size, n)],
                                           " "), long_word)
    styles = [
        long_word,
        np.strings.add("The ", np.strings.add(long_word, "s")),
        person,
        np.strings.add("DJ ", short_word),
        np.strings.add(long_word, np.strings.add(" & the ", short_word)),
    ]
    pick = rng.choice(len(styles), size=n, p=[0.4, 0.2, 0.25, 0.05, 0.1])
    return np.choose(pick, [s.astype(object) for s in styles]).astype(str)


def _write_parquet(path: Path, table: pa.Table) -> None:
    """Write ``table`` atomically."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def generate(out_dir: str | os.PathLike, scale: str = "default", seed: int = 0,
             log: Callable[[str], None] | None = None) -> dict:
    """Write a synthetic LFM-1b of size ``SCALES[scale]`` into ``out_dir``; return a summary.

    The summary holds the scale, seed, user/artist counts, nnz, total plays, output paths and
    wall seconds. ``log`` (optional) receives progress messages.
    """
    if scale not in SCALES:
        raise InputError("scale", f"unknown scale {scale!r}", f"use one of {sorted(SCALES)}")
    sc = SCALES[scale]
    say = log or (lambda msg: None)
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    codes, user_p, artist_p = country_distributions()
    artists = _make_artists(sc, codes, artist_p, rng)
    group_sizes = np.bincount(artists.group, minlength=sc.n_groups).astype(np.float64)
    users = _make_users(sc, user_p, group_sizes, rng)
    sampler = _ArtistSampler(artists, codes.size, sc.n_groups)
    say(f"{scale}: {sc.n_users} users, {sc.n_artists} artists planted")

    row_users = rng.permutation(np.flatnonzero(users.in_matrix))
    n_rows = row_users.size
    row_nnz = np.zeros(n_rows, dtype=np.int64)
    user_plays = np.zeros(sc.n_users, dtype=np.int64)
    n_listened = np.zeros(sc.n_users, dtype=np.int64)
    cols, vals = [], []
    for r0 in range(0, n_rows, sc.chunk_users):
        members = row_users[r0:r0 + sc.chunk_users]
        owner, artist, plays = _listen(users, members, artists, sampler, rng)
        row_nnz[r0:r0 + members.size] = np.bincount(owner, minlength=members.size)
        user_plays[members] = np.bincount(owner, weights=plays, minlength=members.size)
        cols.append(artist)
        vals.append(plays)
        say(f"rows {r0 + members.size}/{n_rows}")
    n_listened[row_users] = row_nnz
    excluded = np.flatnonzero(~users.in_matrix)
    owner, _, plays = _listen(users, excluded, artists, sampler, rng)
    n_listened[excluded] = np.bincount(owner, minlength=excluded.size)
    user_plays[excluded] = np.bincount(owner, weights=plays, minlength=excluded.size)

    indptr = np.concatenate(([0], np.cumsum(row_nnz)))
    csr = sp.csr_array((np.concatenate(vals), np.concatenate(cols), indptr),
                       shape=(n_rows, sc.n_artists))
    del cols, vals
    les = csr.tocsc()
    del csr
    total_plays = int(les.data.sum(dtype=np.int64))
    write_les(out / MAT_NAME, les, users.ids[row_users], artists.ids)
    nnz = les.nnz
    del les
    say(f"wrote {MAT_NAME}: nnz={nnz}")

    _write_text(out / USERS_NAME, _user_lines(users, codes, user_plays, rng))
    names = artist_names(sc.n_artists, rng)
    _write_text(out / ARTISTS_NAME,
                [f"{a}\t{s}" for a, s in zip(artists.ids.tolist(), names.tolist(), strict=True)])
    _write_parquet(out / TRUTH_ARTISTS_NAME, pa.table({
        "artist_id": pa.array(artists.ids, pa.int64()),
        "home_country": pa.array(codes[artists.country], pa.string()),
        "taste_group": pa.array(artists.group.astype(np.int64), pa.int64()),
        "popularity": pa.array(artists.popularity, pa.float64()),
    }))
    true_country = codes[users.country]
    _write_parquet(out / TRUTH_USERS_NAME, pa.table({
        "user_id": pa.array(users.ids, pa.int64()),
        "true_country": pa.array(true_country, pa.string()),
        "declared_country": pa.array(true_country, pa.string(), mask=~users.declared),
        "taste_group": pa.array(users.group.astype(np.int64), pa.int64()),
        "in_matrix": pa.array(users.in_matrix, pa.bool_()),
        "n_artists": pa.array(n_listened, pa.int64()),
    }))
    summary = {
        "scale": scale, "seed": seed, "n_users": sc.n_users, "n_matrix_users": n_rows,
        "n_artists": sc.n_artists, "nnz": nnz, "total_plays": total_plays,
        "n_declared": int(users.declared.sum()),
        "files": {k: str(out / v) for k, v in (
            ("mat", MAT_NAME), ("users", USERS_NAME), ("artists", ARTISTS_NAME),
            ("truth_artists", TRUTH_ARTISTS_NAME), ("truth_users", TRUTH_USERS_NAME))},
        "seconds": round(time.perf_counter() - t0, 3),
    }
    say(f"done in {summary['seconds']} s")
    return summary


def main(argv: list[str] | None = None) -> dict:
    """Command line: ``python -m lfmrec.synthetic --scale default --seed 42 --out DIR``."""
    parser = argparse.ArgumentParser(prog="python -m lfmrec.synthetic", description=__doc__
                                     .split("\n")[0])
    parser.add_argument("--scale", default="default", choices=sorted(SCALES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="output directory")
    args = parser.parse_args(argv)
    summary = generate(args.out, scale=args.scale, seed=args.seed)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()

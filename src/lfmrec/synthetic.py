"""Synthetic LFM-1b data written in exactly the raw LFM-1b file formats.

The real LFM-1b can no longer be downloaded, so the pipeline runs on data of the same shape and
format (those :mod:`lfmrec.lfm1b` reads). The generator plants the structure the paper's
experiment relies on, and writes it next to the raw files as ground truth:

- every user has a true country (drawn from LFM-1b's user shares); about 46% declare it in
  ``LFM-1b_users.txt``, the others leave the field empty;
- every artist has a home country (US and UK over-represented), a Zipf-like popularity, one of
  ``n_groups`` latent taste groups and latent taste factors; a share of the artists also has a
  second market (a country outside its home's region whose users treat it as local);
- a user's draws come from their own country's artists (a per-country propensity, see
  :data:`LOCAL_PROPENSITY`), from the artists of their cultural region (:data:`REGIONS`: planted
  proximity between countries), or from all artists, preferring artists of their own main taste
  group (co-listening signal for collaborative filtering);
- playcounts are heavy tailed: user and artist biases on the log2 scale, higher counts for
  own-group and own-country artists, and a user x artist interaction (the dot product of their
  taste factors) that a factor model can learn;
- users with fewer than 10 distinct artists are listed in users.txt but left out of the matrix.

The behaviour is set by a :class:`Process` (config ``dataset.synthetic.process``): its defaults
are the calibrated generator; the sensitivity experiment (``config/sensitivity.yaml``) varies it.

Outputs of :func:`generate` (all written to a temporary name first, then renamed):

- ``LFM-1b_LEs.mat``: MATLAB v7.3 (HDF5 with a 512-byte MATLAB header) holding the users x
  artists playcount matrix ``LEs`` in MATLAB's sparse (CSC) layout, plus ``idx_users`` and
  ``idx_artists``; matrix rows are in a seeded shuffled order, not in users.txt order;
- ``LFM-1b_users.txt``, ``LFM-1b_artists.txt``: the raw text files;
- ``truth_artists.parquet``, ``truth_users.parquet``, ``truth_countries.parquet``: the planted
  ground truth (home country and second market of each artist; true country of each user; region
  and mean local propensity of each country).

The same seed writes byte-identical raw files. Command line:
``python -m lfmrec.synthetic --scale default --seed 42 --out DIR``.
"""

from __future__ import annotations

import argparse
import dataclasses
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
TRUTH_COUNTRIES_NAME = "truth_countries.parquet"
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
    "tiny": Scale(
        "tiny",
        n_users=600,
        n_excluded=2,
        n_artists=3_000,
        mean_artists=40.0,
        sigma_artists=0.7,
        n_groups=8,
        zipf_exponent=1.0,
        zipf_offset=10.0,
    ),
    # a tenth of LFM-1b in both dimensions (same density); the popularity curve is calibrated
    # so that the paper's sampling leaves ~61% of the sampled artists without listens
    "default": Scale(
        "default",
        n_users=12_032,
        n_excluded=15,
        n_artists=58_510,
        mean_artists=60.0,
        sigma_artists=0.75,
        n_groups=24,
        zipf_exponent=1.3,
        zipf_offset=10.0,
    ),
    "full": Scale(
        "full",
        n_users=120_322,
        n_excluded=147,
        n_artists=585_095,
        mean_artists=511.0,
        sigma_artists=0.75,
        n_groups=24,
        zipf_exponent=1.2,
        zipf_offset=20.0,
    ),
}

# Share (percent) of LFM-1b users by country; the top 10 are the paper's Table 1, the tail
# follows the LFM-1b ranking loosely. ISO 3166 alpha-2 codes, except UK for the United Kingdom.
COUNTRY_USER_SHARES: dict[str, float] = {
    "US": 19.2,
    "RU": 8.7,
    "UK": 8.6,
    "DE": 7.9,
    "PL": 7.9,
    "BR": 7.4,
    "NL": 2.3,
    "FI": 2.3,
    "UA": 2.2,
    "AU": 2.2,
    "ES": 2.0,
    "SE": 1.9,
    "CA": 1.8,
    "IT": 1.7,
    "FR": 1.6,
    "JP": 1.2,
    "MX": 1.1,
    "BY": 1.0,
    "CZ": 0.9,
    "NO": 0.9,
    "TR": 0.8,
    "BE": 0.8,
    "CL": 0.7,
    "AR": 0.7,
    "LT": 0.6,
    "LV": 0.5,
    "PT": 0.5,
    "AT": 0.5,
    "CH": 0.5,
    "HU": 0.5,
    "SK": 0.4,
    "DK": 0.4,
    "RO": 0.4,
    "ID": 0.4,
    "CO": 0.3,
    "EE": 0.3,
    "BG": 0.3,
    "KZ": 0.3,
    "IE": 0.3,
    "GR": 0.3,
    "NZ": 0.3,
    "HR": 0.25,
    "RS": 0.25,
    "SI": 0.2,
    "IN": 0.2,
    "VE": 0.2,
    "PE": 0.2,
    "CN": 0.2,
    "KR": 0.15,
    "TW": 0.15,
    "PH": 0.15,
    "MY": 0.15,
    "SG": 0.12,
    "TH": 0.12,
    "IL": 0.12,
    "ZA": 0.12,
    "IS": 0.1,
    "UY": 0.1,
    "EC": 0.1,
    "CR": 0.08,
    "MD": 0.08,
    "GE": 0.08,
    "AM": 0.06,
    "AZ": 0.06,
    "PY": 0.06,
    "BO": 0.05,
    "VN": 0.05,
    "EG": 0.05,
    "MA": 0.04,
    "TN": 0.04,
    "LU": 0.04,
    "CY": 0.04,
    "MT": 0.03,
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
#: Cultural regions (planted proximity): a user's non-local draws come from the artists of their
#: region with probability ``Process.proximity``. Language and cultural groups of the kind the
#: field reports: the between-country distance of main languages goes with the distance of artist
#: preferences in LFM-1b (Liu, Hu & Schedl 2018, PLOS ONE 13(12) e0208186); Portugal's listening
#: is 31% Brazilian against 10% local (Page & Dalla Riva 2023, LSE EIQ paper 182).
REGIONS: dict[str, tuple[str, ...]] = {
    "anglophone": ("US", "UK", "CA", "AU", "IE", "NZ"),
    "german": ("DE", "AT", "CH"),
    "east_slavic": ("RU", "UA", "BY", "KZ"),
    "nordic": ("SE", "NO", "DK", "FI", "IS"),
    "hispanic": ("ES", "MX", "AR", "CL", "CO", "PE", "VE", "UY", "EC", "CR", "PY", "BO"),
    "lusophone": ("BR", "PT"),
    "dutch": ("NL", "BE"),
    "czechoslovak": ("CZ", "SK"),
    "baltic": ("LT", "LV", "EE"),
    "serbo_croatian": ("HR", "RS"),
}
#: Mean share of a user's draws from their own country's artists (the own-country pool), per
#: country; a user's share is Beta with this mean and concentration ``LOCAL_CONCENTRATION``. Set
#: so that the local shares of the data follow what studies of LFM-1b / LFM-2b and streaming
#: report (approximate levels and orderings; no study publishes this generator's parameter):
#: US, UK and NL listen closest to the global mainstream, FI, BR and RU cultivate a mainstream of
#: their own, JP has strong local outliers (Bauer & Schedl 2019, "Global and country-specific
#: mainstreaminess measures", PLOS ONE 14(6) e0217389, LFM-1b); US music is strong in every
#: country, SE, UK and BR show US and domestic music side by side, FI is the least influenced by
#: US music and the most domestic (Lesota et al. 2022, "Traces of globalization in online music
#: consumption patterns and results of recommendation algorithms", ISMIR, LFM-2b); local artists
#: hold more than 30% of the listens in most European markets, Portugal 10% (Page & Dalla Riva
#: 2023). The US value is low because a US user's global draws are mostly US artists anyway.
LOCAL_PROPENSITY: dict[str, float] = {
    "US": 0.35,
    "UK": 0.25,
    "NL": 0.12,
    "FI": 0.60,
    "BR": 0.55,
    "RU": 0.50,
    "JP": 0.55,
    "PL": 0.40,
    "SE": 0.30,
    "DE": 0.30,
    "FR": 0.40,
    "IT": 0.40,
    "ES": 0.30,
    "TR": 0.45,
    "KR": 0.50,
    "UA": 0.25,
    "BY": 0.15,
    "PT": 0.08,
    "AU": 0.15,
    "CA": 0.12,
    "MX": 0.30,
    "NO": 0.30,
    "DK": 0.25,
    "CZ": 0.30,
    "HU": 0.30,
    "GR": 0.35,
}
#: Mean own-country propensity of the countries not listed in LOCAL_PROPENSITY.
LOCAL_PROPENSITY_OTHER = 0.25
#: Concentration of the per-user Beta around the country's mean (a + b).
LOCAL_CONCENTRATION = 8.0
#: Dimension of the latent taste factors of the playcount interaction.
N_FACTORS = 8
#: Per-user share of draws restricted to the user's main taste group, Beta(a, b) (mean 0.43).
GROUP_BETA = (3.0, 4.0)
#: Playcount model: log2(playcount) = MU + user activity bias + artist bias + bonus for the
#: user's own taste group / own country + Gaussian noise + a half-normal "favourite" bonus on a
#: share of the pairs (heavier upper tail: median 4, mean ~18, log2 sd ~2).
PC_LOG2_MU = 0.8
PC_USER_SD = 1.5
PC_ARTIST_SD = 0.6
PC_SAME_GROUP = 0.7
PC_SAME_COUNTRY = 0.3
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


@dataclass(frozen=True)
class Process:
    """How the synthetic listeners behave (config ``dataset.synthetic.process``); the defaults are
    the calibrated generator.

    - ``popularity_boost``: exponent on the US/UK popularity multipliers (:data:`POPULARITY_BOOST`;
      0: no boost, 1: calibrated);
    - ``local_propensity``: factor on every country's mean own-country propensity
      (:data:`LOCAL_PROPENSITY`; 0: no preference for local artists beyond their popularity);
    - ``proximity``: probability that a non-local draw comes from the user's cultural region
      (:data:`REGIONS`) rather than from all artists (0: no planted proximity);
    - ``multi_market``: share of artists with a second market country;
    - ``interaction``: sd of the user x artist interaction on the log2 playcount scale (the dot
      product of N(0, 1/N_FACTORS) taste factors);
    - ``noise_sd``: sd of the Gaussian noise of log2 playcounts;
    - ``popular_plays``: how much more a listener plays a popular artist: the artist bias grows by
      this much per sd of log popularity (listened-to artists are also played more).
    """

    popularity_boost: float = 1.0
    local_propensity: float = 1.0
    proximity: float = 0.3
    multi_market: float = 0.1
    interaction: float = 1.5
    noise_sd: float = 1.8
    popular_plays: float = 1.0

    @classmethod
    def from_config(cls, values: dict | None, where: str = "config dataset.synthetic.process") -> Process:
        """A Process from a config mapping (missing keys: defaults); InputError naming the key."""
        values = dict(values or {})
        names = {f for f in cls.__dataclass_fields__}
        for key, value in values.items():
            if key not in names:
                raise InputError(f"{where}.{key}", "is not a process setting", f"use one of {', '.join(sorted(names))}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise InputError(f"{where}.{key}", f"is {value!r}", "use a number >= 0")
        for key in ("proximity", "multi_market"):
            if values.get(key, 0.0) > 1:
                raise InputError(f"{where}.{key}", f"is {values[key]!r}: a probability", "use a number in [0, 1]")
        return cls(**{k: float(v) for k, v in values.items()})

    def local_means(self, codes: np.ndarray) -> np.ndarray:
        """Mean own-country propensity of each country of ``codes`` (at most 0.95)."""
        base = np.array([LOCAL_PROPENSITY.get(c, LOCAL_PROPENSITY_OTHER) for c in codes])
        return np.minimum(base * self.local_propensity, 0.95)


def regions_of(codes: np.ndarray) -> np.ndarray:
    """Region index of each country of ``codes`` (position in :data:`REGIONS`), -1 for none."""
    index = {c: r for r, members in enumerate(REGIONS.values()) for c in members}
    return np.array([index.get(c, -1) for c in codes], dtype=np.int64)


NAME_SYLLABLES = np.array(
    [
        "ka",
        "lo",
        "ri",
        "na",
        "ve",
        "to",
        "mi",
        "sa",
        "dor",
        "len",
        "bar",
        "el",
        "an",
        "os",
        "ur",
        "ith",
        "mo",
        "ra",
        "zen",
        "ki",
        "tu",
        "vi",
        "ro",
        "ne",
        "qua",
        "shi",
        "dra",
        "fen",
        "gal",
        "hol",
        "jas",
        "kor",
        "lum",
        "mar",
        "nox",
        "per",
        "rin",
        "sol",
        "tar",
        "val",
        "wex",
        "yor",
        "zal",
        "be",
        "cy",
        "da",
        "fo",
        "gu",
        "ha",
        "ja",
        "ku",
        "le",
        "ma",
        "ni",
        "po",
    ]
)
NAME_FIRST = np.array(
    [
        "Anna",
        "Boris",
        "Clara",
        "David",
        "Elena",
        "Felix",
        "Greta",
        "Hugo",
        "Ines",
        "Jonas",
        "Kira",
        "Lukas",
        "Maja",
        "Nils",
        "Olga",
        "Pavel",
        "Rosa",
        "Sven",
        "Tara",
        "Viktor",
        "Wanda",
        "Yuri",
        "Zoe",
        "Marco",
        "Lena",
        "Igor",
        "Sara",
        "Tomas",
        "Ada",
        "Leo",
    ]
)


@dataclass(frozen=True)
class _Artists:
    """Planted artist attributes, indexed by matrix column (ascending artist id)."""

    ids: np.ndarray  # int64 artist ids
    country: np.ndarray  # int16 index into the country list
    group: np.ndarray  # int16 taste group
    popularity: np.ndarray  # float64, sums to 1
    bias: np.ndarray  # float32 artist bias of log2(playcount)
    market: np.ndarray | None = None  # int16 second market country, -1 for none
    factors: np.ndarray | None = None  # float32 (n, N_FACTORS) taste factors


@dataclass(frozen=True)
class _Users:
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


def country_distributions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Country codes, user-share and artist-share probabilities (each summing to 1)."""
    codes = np.array(list(COUNTRY_USER_SHARES))
    user_p = np.array(list(COUNTRY_USER_SHARES.values()))
    user_p = user_p / user_p.sum()
    fixed = np.array([ARTIST_COUNTRY_FIXED.get(c, 0.0) for c in codes])
    rest = np.where(fixed > 0, 0.0, user_p**ARTIST_SHARE_EXPONENT)
    artist_p = fixed + rest / rest.sum() * (1.0 - fixed.sum())
    return codes, user_p, artist_p


def _sparse_ids(n: int, rng: np.random.Generator, start: int, log_mu: float, log_sigma: float) -> np.ndarray:
    """``n`` increasing, non-contiguous ids: ``start`` plus cumulated lognormal gaps."""
    gaps = 1 + np.floor(rng.lognormal(log_mu, log_sigma, n)).astype(np.int64)
    return start + np.cumsum(gaps)


def _make_artists(
    scale: Scale, codes: np.ndarray, artist_p: np.ndarray, user_p: np.ndarray, process: Process, rng: np.random.Generator
) -> _Artists:
    """Artists with a home country, a taste group, a Zipf-like popularity, taste factors and
    (for a share ``process.multi_market``) a second market.

    Popularity ranks are a random permutation; US/UK artists get a multiplicative boost. A second
    market is drawn by user share among the countries outside the home's region.
    """
    n = scale.n_artists
    ids = _sparse_ids(n, rng, start=0, log_mu=2.0, log_sigma=1.0)
    country = rng.choice(len(codes), size=n, p=artist_p).astype(np.int16)
    group_p = rng.dirichlet(np.full(scale.n_groups, GROUP_CONCENTRATION))
    group = rng.choice(scale.n_groups, size=n, p=group_p).astype(np.int16)
    rank = rng.permutation(n) + 1
    boost = np.array([POPULARITY_BOOST.get(c, 1.0) for c in codes]) ** process.popularity_boost
    popularity = (rank + scale.zipf_offset) ** -scale.zipf_exponent * boost[country]
    popularity /= popularity.sum()
    # centred on the popularity-weighted mean: the average pair keeps its playcount level
    log_pop = np.log(popularity)
    centre = float(popularity @ log_pop)
    spread = float(np.sqrt(popularity @ (log_pop - centre) ** 2))
    bias = (rng.normal(0.0, PC_ARTIST_SD, n) + process.popular_plays * (log_pop - centre) / spread).astype(np.float32)
    factors = rng.normal(0.0, 1.0, (n, N_FACTORS)).astype(np.float32)
    market = np.full(n, -1, dtype=np.int16)
    region = regions_of(codes)
    has_market = np.flatnonzero(rng.random(n) < process.multi_market)
    # a market outside the home's region: draws by user share, redrawn where they hit it
    pick = rng.choice(codes.size, size=has_market.size, p=user_p)
    for _ in range(50):
        home = country[has_market]
        bad = (pick == home) | ((region[pick] >= 0) & (region[pick] == region[home]))
        if not bad.any():
            break
        pick[bad] = rng.choice(codes.size, size=int(bad.sum()), p=user_p)
    else:
        pick[bad] = -1
    market[has_market] = pick
    return _Artists(ids, country, group, popularity, bias, market, factors)


def _make_users(
    scale: Scale, user_p: np.ndarray, local_means: np.ndarray, group_sizes: np.ndarray, rng: np.random.Generator
) -> _Users:
    """Users with a true country, a main taste group, listening habits and an artist count.

    The distinct-artist count is ``10 + lognormal`` (heavy tailed) for matrix users and 1..9
    for the left-out users.
    """
    n = scale.n_users
    ids = _sparse_ids(n, rng, start=1_000, log_mu=4.0, log_sigma=1.5)
    country = rng.choice(len(user_p), size=n, p=user_p).astype(np.int16)
    declared = rng.random(n) < DECLARE_COUNTRY_P
    group = rng.choice(len(group_sizes), size=n, p=group_sizes / group_sizes.sum())
    m = np.clip(local_means[country], 1e-6, 1 - 1e-6)
    p_local = np.where(local_means[country] > 0, rng.beta(m * LOCAL_CONCENTRATION, (1 - m) * LOCAL_CONCENTRATION), 0.0)
    p_group = rng.beta(*GROUP_BETA, n)
    bias = rng.normal(0.0, PC_USER_SD, n).astype(np.float32)
    in_matrix = np.ones(n, dtype=bool)
    in_matrix[rng.choice(n, size=scale.n_excluded, replace=False)] = False
    extra = scale.mean_artists - MIN_MATRIX_ARTISTS
    log_mu = np.log(extra) - scale.sigma_artists**2 / 2
    cap = min(int(scale.max_artists_factor * scale.mean_artists), scale.n_artists // 4)
    target = MIN_MATRIX_ARTISTS + np.floor(rng.lognormal(log_mu, scale.sigma_artists, n))
    target = np.minimum(target.astype(np.int64), cap)
    target[~in_matrix] = rng.integers(1, MIN_MATRIX_ARTISTS, size=scale.n_excluded)
    factors = rng.normal(0.0, 1.0, (n, N_FACTORS)).astype(np.float32)
    return _Users(ids, country, declared, group.astype(np.int16), p_local, p_group, bias, target, in_matrix, factors)


class _ArtistSampler:
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

    def __init__(self, artists: _Artists, n_countries: int, n_groups: int, region: np.ndarray | None = None):
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
            from ._draws import Guide, draw

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


def _select_artists(
    users: _Users, members: np.ndarray, sampler: _ArtistSampler, n_artists: int, proximity: float, rng: np.random.Generator
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


def _playcounts(
    users: _Users,
    members: np.ndarray,
    artists: _Artists,
    owner: np.ndarray,
    artist: np.ndarray,
    process: Process,
    rng: np.random.Generator,
) -> np.ndarray:
    """Playcount (int32, >= 1) of each (user, artist) pair.

    log2(playcount) = mu + user bias + artist bias + bonus for the user's own taste group and
    own country + interaction * (user factors . artist factors) / sqrt(N_FACTORS) + Gaussian
    noise + a favourite bonus on some pairs; rounded, at least 1 play.
    """
    user = members[owner]
    n = owner.size
    favourite = rng.random(n) < PC_FAVOURITE_P
    inter = np.einsum("ij,ij->i", users.factors[user], artists.factors[artist], dtype=np.float64)
    x = (
        PC_LOG2_MU
        + users.bias[user]
        + artists.bias[artist]
        + PC_SAME_GROUP * (users.group[user] == artists.group[artist])
        + PC_SAME_COUNTRY * (users.country[user] == artists.country[artist])
        + process.interaction / np.sqrt(N_FACTORS) * inter
        + rng.normal(0.0, process.noise_sd, n)
        + favourite * np.abs(rng.normal(0.0, PC_FAVOURITE_SD, n))
    )
    return np.clip(np.rint(np.exp2(x)), 1, PC_MAX).astype(np.int32)


def _listen(
    users: _Users, members: np.ndarray, artists: _Artists, sampler: _ArtistSampler, process: Process, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local user, artist, playcount) triples of ``members``, sorted by local user."""
    n_art = artists.ids.size
    keys = _select_artists(users, members, sampler, n_art, process.proximity, rng)
    owner = (keys // n_art).astype(np.int32)
    artist = (keys % n_art).astype(np.int32)
    return owner, artist, _playcounts(users, members, artists, owner, artist, process, rng)


def _write_text(path: Path, lines: list[str]) -> None:
    """Write ``lines`` (newline terminated) atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines))
            fh.write("\n")


def _user_lines(users: _Users, codes: np.ndarray, playcount: np.ndarray, rng: np.random.Generator) -> list[str]:
    """users.txt lines: country empty if undeclared, age -1 if unknown, gender m/f/n."""
    n = users.ids.size
    country = np.where(users.declared, codes[users.country], "")
    age = np.clip(np.rint(rng.gamma(6.0, 4.0, n) + 12), 13, 80).astype(np.int64)
    age[rng.random(n) < 0.4] = -1
    gender = rng.choice(np.array(["m", "f", "n"]), size=n, p=[0.5, 0.2, 0.3])
    lo, hi = REGISTERED_RANGE
    registered = lo + np.floor(rng.beta(2.0, 1.3, n) * (hi - lo)).astype(np.int64)
    return [USERS_HEADER] + [
        f"{u}\t{c}\t{a}\t{g}\t{p}\t{r}"
        for u, c, a, g, p, r in zip(
            users.ids.tolist(),
            country.tolist(),
            age.tolist(),
            gender.tolist(),
            playcount.tolist(),
            registered.tolist(),
            strict=True,
        )
    ]


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
    person = np.strings.add(np.strings.add(NAME_FIRST[rng.integers(0, NAME_FIRST.size, n)], " "), long_word)
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


def generate(
    out_dir: str | os.PathLike,
    scale: str = "default",
    seed: int = 0,
    log: Callable[[str], None] | None = None,
    process: Process | None = None,
) -> dict:
    """Write a synthetic LFM-1b of size ``SCALES[scale]`` generated by ``process`` (default: the
    calibrated :class:`Process`) into ``out_dir``; return a summary.

    The summary holds the scale, seed, user/artist counts, nnz, total plays, output paths and
    wall seconds. ``log`` (optional) receives progress messages.
    """
    if scale not in SCALES:
        raise InputError("scale", f"unknown scale {scale!r}", f"use one of {sorted(SCALES)}")
    sc = SCALES[scale]
    process = process or Process()
    say = log or (lambda msg: None)
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    codes, user_p, artist_p = country_distributions()
    artists = _make_artists(sc, codes, artist_p, user_p, process, rng)
    group_sizes = np.bincount(artists.group, minlength=sc.n_groups).astype(np.float64)
    local_means = process.local_means(codes)
    users = _make_users(sc, user_p, local_means, group_sizes, rng)
    sampler = _ArtistSampler(artists, codes.size, sc.n_groups, regions_of(codes))
    say(f"{scale}: {sc.n_users} users, {sc.n_artists} artists planted")

    row_users = rng.permutation(np.flatnonzero(users.in_matrix))
    n_rows = row_users.size
    row_nnz = np.zeros(n_rows, dtype=np.int64)
    user_plays = np.zeros(sc.n_users, dtype=np.int64)
    n_listened = np.zeros(sc.n_users, dtype=np.int64)
    cols, vals = [], []
    for r0 in range(0, n_rows, sc.chunk_users):
        members = row_users[r0 : r0 + sc.chunk_users]
        owner, artist, plays = _listen(users, members, artists, sampler, process, rng)
        row_nnz[r0 : r0 + members.size] = np.bincount(owner, minlength=members.size)
        user_plays[members] = np.bincount(owner, weights=plays, minlength=members.size)
        cols.append(artist)
        vals.append(plays)
        say(f"rows {r0 + members.size}/{n_rows}")
    n_listened[row_users] = row_nnz
    excluded = np.flatnonzero(~users.in_matrix)
    owner, _, plays = _listen(users, excluded, artists, sampler, process, rng)
    n_listened[excluded] = np.bincount(owner, minlength=excluded.size)
    user_plays[excluded] = np.bincount(owner, weights=plays, minlength=excluded.size)

    indptr = np.concatenate(([0], np.cumsum(row_nnz)))
    csr = sp.csr_array((np.concatenate(vals), np.concatenate(cols), indptr), shape=(n_rows, sc.n_artists))
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
    _write_text(out / ARTISTS_NAME, [f"{a}\t{s}" for a, s in zip(artists.ids.tolist(), names.tolist(), strict=True)])
    _write_parquet(
        out / TRUTH_ARTISTS_NAME,
        pa.table(
            {
                "artist_id": pa.array(artists.ids, pa.int64()),
                "home_country": pa.array(codes[artists.country], pa.string()),
                "market_country": pa.array(codes[np.maximum(artists.market, 0)], pa.string(), mask=artists.market < 0),
                "taste_group": pa.array(artists.group.astype(np.int64), pa.int64()),
                "popularity": pa.array(artists.popularity, pa.float64()),
            }
        ),
    )
    true_country = codes[users.country]
    _write_parquet(
        out / TRUTH_USERS_NAME,
        pa.table(
            {
                "user_id": pa.array(users.ids, pa.int64()),
                "true_country": pa.array(true_country, pa.string()),
                "declared_country": pa.array(true_country, pa.string(), mask=~users.declared),
                "taste_group": pa.array(users.group.astype(np.int64), pa.int64()),
                "in_matrix": pa.array(users.in_matrix, pa.bool_()),
                "n_artists": pa.array(n_listened, pa.int64()),
            }
        ),
    )
    region = regions_of(codes)
    region_names = np.array(list(REGIONS), dtype=object)
    _write_parquet(
        out / TRUTH_COUNTRIES_NAME,
        pa.table(
            {
                "country": pa.array(codes, pa.string()),
                "region": pa.array(region_names[np.maximum(region, 0)].astype(str), pa.string(), mask=region < 0),
                "local_propensity": pa.array(local_means, pa.float64()),
                "user_share": pa.array(user_p, pa.float64()),
                "artist_share": pa.array(artist_p, pa.float64()),
            }
        ),
    )
    summary = {
        "scale": scale,
        "seed": seed,
        "n_users": sc.n_users,
        "n_matrix_users": n_rows,
        "n_artists": sc.n_artists,
        "nnz": nnz,
        "total_plays": total_plays,
        "n_declared": int(users.declared.sum()),
        "process": dataclasses.asdict(process),
        "files": {
            k: str(out / v)
            for k, v in (
                ("mat", MAT_NAME),
                ("users", USERS_NAME),
                ("artists", ARTISTS_NAME),
                ("truth_artists", TRUTH_ARTISTS_NAME),
                ("truth_users", TRUTH_USERS_NAME),
                ("truth_countries", TRUTH_COUNTRIES_NAME),
            )
        },
        "seconds": round(time.perf_counter() - t0, 3),
    }
    say(f"done in {summary['seconds']} s")
    return summary


def main(argv: list[str] | None = None) -> dict:
    """Command line: ``python -m lfmrec.synthetic --scale default --seed 42 --out DIR``."""
    parser = argparse.ArgumentParser(prog="python -m lfmrec.synthetic", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="default", choices=sorted(SCALES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--process", default="{}", help="process settings as JSON, e.g. '{\"proximity\": 0.6}'")
    args = parser.parse_args(argv)
    process = Process.from_config(json.loads(args.process), where="--process")
    summary = generate(args.out, scale=args.scale, seed=args.seed, process=process)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()

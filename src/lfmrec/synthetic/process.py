"""The synthetic listeners' behaviour: sizes (:class:`Scale`), the calibrated constants (country
shares, local propensities, cultural regions, the playcount model), the :class:`Process` settings
that the config and the sensitivity experiment vary, and how artists, users and playcounts are
drawn from them (:func:`make_artists`, :func:`make_users`, :func:`playcounts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .sampler import Artists, Users

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


def make_artists(
    scale: Scale, codes: np.ndarray, artist_p: np.ndarray, user_p: np.ndarray, process: Process, rng: np.random.Generator
) -> Artists:
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
    return Artists(ids, country, group, popularity, bias, market, factors)


def make_users(
    scale: Scale, user_p: np.ndarray, local_means: np.ndarray, group_sizes: np.ndarray, rng: np.random.Generator
) -> Users:
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
    return Users(ids, country, declared, group.astype(np.int16), p_local, p_group, bias, target, in_matrix, factors)


def playcounts(
    users: Users,
    members: np.ndarray,
    artists: Artists,
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

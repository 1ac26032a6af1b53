"""Artist-country estimation: the paper's ``argmax`` and better estimators.

Artist home-country estimation beyond the paper's argmax, its accuracy, and list diversity.

Estimators (:func:`estimate`; every one returns ``artist_id, country, country_2, country_3,
share_1, share_2, share_3, listeners, fallback`` in ``artist_ids`` order; country columns are
``string`` with <NA> where there is no estimate, i.e. for artists nobody in the table listened to):

``argmax``
    The paper's: most plays, ties to the alphabetically first country; ``share_1`` = the
    country's share of the artist's plays. This is the paper's step 3.
``lift``
    The country whose users over-listen to the artist most relative to the country's share of
    all listening. With ``O`` the artist's listeners from country c, ``T`` its listeners in total
    and ``g_c`` country c's share of all (artist, listener) pairs of the table, the expected count
    is ``E = T * g_c`` and the plain lift is ``O / E`` (= (O/T) / g_c). Defaults, chosen on the
    default synthetic data from a grid of basis x support (1, 2, 3, 5) x shrinkage (0, 3, 10,
    30) over the three sources (``benchmarks/country_estimation.py --variants``):

    - *basis* ``listeners`` (distinct users), not plays: the evidence that a country over-listens
      is how many of its users listen; playcounts are heavy tailed, so a single heavy user would
      otherwise make "their" country win;
    - *support* ``min_support = 2`` distinct listeners from c: a single listener is one draw, and
      for a small country one draw gives a huge lift by chance (plain lift: 44.1% vs argmax 50.8%
      on the default sample). Artists with no country meeting the support (all those with only
      single listeners per country) fall back to ``argmax`` (column ``fallback`` is True);
    - *shrinkage* ``10``: the Gamma-Poisson shrinker ``(O + a) / (E + a)`` (DuMouchel 1999) pulls
      the lift towards 1 more strongly where the expected count is small (accuracy rises with
      ``a`` and is flat beyond ~10: +2.1 / +4.2 / +6.7 points over ``a = 0`` at support 2, and
      only +0.1 / +0.1 / +0.3 more at ``a = 30``; support 2 beats 1, 3 and 5). Note that additive
      smoothing of the share towards the global share, ``(O + a*g_c) / (T + a)``, does *not*
      change the ranking of the countries at all (it is ``O/(g_c (T+a)) + const``), so it is no
      remedy. ``shrinkage=0`` gives the plain lift.

    ``share_1`` = the chosen country's share of the artist's listeners.
``mixture``
    Maximum a posteriori home country under a *home-tilted multinomial mixture*, fitted by EM
    (:func:`fit_mixture`): an artist's home is h with probability ``pi_h``; each of its listeners
    comes from h with probability ``q_h`` and from any other country c with probability
    ``(1 - q_h) g_c / (1 - g_h)``. ``q_h > g_h`` (home over-listening) is estimated per country,
    so the model learns how strongly each country's users favour home artists and how common
    artists of each home country are; small countries are no longer over-rewarded (lift) nor
    swamped by big ones (argmax). ``share_1`` = posterior probability.
``top3``
    The three most probable home countries under the same mixture (soft labels): ``country``,
    ``country_2``, ``country_3`` with their posterior probabilities ``share_1..3`` (descending,
    sum <= 1; ties alphabetical). Its top-1 equals ``mixture``. The posterior is the sensible
    meaning of "strongest": the probability that c is the artist's home, unlike a plays share
    (the audience mix, dominated by big countries) or a lift (unbounded for rare countries). On
    the default data (sample source) it is over-confident where it is sure: artists with share_1
    in 0.4-0.6 are right 58% of the time, 0.8-0.9: 77%, > 0.95: 82% -- the generator's regional
    audiences break the model's assumption that listeners abroad come from anywhere.

Measured on the default synthetic data (``snakemake``, then ``python benchmarks/country_estimation.py``
and ``--variants`` for the lift grid): top-1 accuracy on the 7,019 sampled artists that a sampled
user with a country played, sources sample / all / all_imputed: argmax 50.8 / 53.5 / 56.2%, lift
54.3 / 60.3 / 65.2%, mixture (and top3's top-1) 57.1 / 65.1 / 69.5%; the planted home is among
top3's three countries for 84.1 / 88.6 / 91.1%. The generator plants cultural regions and second
markets (:mod:`lfmrec.synthetic`), so part of an artist's audience abroad sits in its home's
neighbours; that is harder for every estimator than the home-or-anywhere process the mixture
assumes (the ``regional`` variant of ``config/sensitivity.yaml`` makes it harder still).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

METHODS = ("argmax", "lift", "mixture", "top3")

SOURCES = ("sample", "all", "all_imputed")

DEFAULT_MIN_SUPPORT = 2  # distinct listeners from a country for it to be eligible in `lift`

DEFAULT_SHRINKAGE = 10.0  # Gamma-Poisson pseudo-count (expected listeners) of `lift`

DEFAULT_BASIS = "listeners"

_BLOCK_CELLS = 1 << 22  # dense cells (artists x countries) per block in the mixture's EM

ESTIMATE_COLUMNS = ["artist_id", "country", "country_2", "country_3", "share_1", "share_2", "share_3", "listeners", "fallback"]


def _empty_estimates(artist_ids) -> pd.DataFrame:
    ids = np.asarray(artist_ids, dtype=np.int64)
    na = pd.array([pd.NA] * ids.size, dtype="string")
    return pd.DataFrame(
        {
            "artist_id": ids,
            "country": na,
            "country_2": na.copy(),
            "country_3": na.copy(),
            "share_1": np.full(ids.size, np.nan),
            "share_2": np.full(ids.size, np.nan),
            "share_3": np.full(ids.size, np.nan),
            "listeners": np.zeros(ids.size, np.int64),
            "fallback": np.zeros(ids.size, bool),
        }
    )


def _restrict(table: pd.DataFrame, artist_ids) -> pd.DataFrame:
    ids = np.asarray(artist_ids, dtype=np.int64)
    t = table[table["artist_id"].isin(ids)]
    return t[t["listeners"] > 0] if "listeners" in t else t[t["plays"] > 0]


def _pick_first(df: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    """The first row per artist after sorting by artist_id then ``by``."""
    best = df.sort_values(["artist_id", *by], ascending=[True, *ascending], kind="mergesort")
    return best.drop_duplicates("artist_id", keep="first").set_index("artist_id")


def estimate_argmax(table: pd.DataFrame, artist_ids) -> pd.DataFrame:
    """The paper's estimate: most plays, ties to the alphabetically first country."""
    out = _empty_estimates(artist_ids)
    t = table[table["artist_id"].isin(out["artist_id"]) & (table["plays"] > 0)]
    if t.empty:
        return out
    best = _pick_first(t, ["plays", "country"], [False, True])
    total = t.groupby("artist_id")["plays"].sum()
    ids = out["artist_id"]
    out["country"] = pd.array(best["country"].reindex(ids).to_numpy(), dtype="string")
    out["share_1"] = (best["plays"].reindex(ids) / total.reindex(ids)).to_numpy(np.float64)
    if "listeners" in t:
        out["listeners"] = t.groupby("artist_id")["listeners"].sum().reindex(ids).fillna(0).to_numpy(np.int64)
    return out


def estimate_lift(
    table: pd.DataFrame,
    artist_ids,
    min_support: int = DEFAULT_MIN_SUPPORT,
    shrinkage: float = DEFAULT_SHRINKAGE,
    basis: str = DEFAULT_BASIS,
    argmax: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The country with the highest (shrunk) lift among those with ``min_support`` listeners.

    score(a, c) = (O + shrinkage) / (E + shrinkage), O = the artist's ``basis`` count from c
    (``listeners`` or ``plays``), E = O_total(a) * g_c, g_c = c's share of the ``basis`` over the
    whole table. Eligible: countries with at least ``min_support`` distinct listeners of the
    artist. Ties: larger O, then alphabetical. Artists without an eligible country get the
    ``argmax`` country and ``fallback = True``. ``share_1`` = the chosen country's share of the
    artist's ``basis``. ``argmax``: :func:`estimate_argmax` of the same table and artists, when the
    caller has it (it is not modified).
    """
    if basis not in ("listeners", "plays"):
        raise ValueError(f"basis must be 'listeners' or 'plays', got {basis!r}")
    if min_support < 1:
        raise ValueError(f"min_support must be at least 1, got {min_support}")
    if shrinkage < 0:
        raise ValueError(f"shrinkage must be >= 0, got {shrinkage}")
    out = estimate_argmax(table, artist_ids) if argmax is None else argmax.copy()
    t = _restrict(table, artist_ids)
    if t.empty:
        return out
    g = table.groupby("country")[basis].sum()
    g = g / g.sum()
    total = t.groupby("artist_id")[basis].sum()
    o = t[basis].to_numpy(np.float64)
    e = total.reindex(t["artist_id"]).to_numpy(np.float64) * g.reindex(t["country"]).to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (o + shrinkage) / (e + shrinkage)
    t = t.assign(_score=score, _o=o)
    eligible = t[(t["listeners"] >= min_support) & np.isfinite(score)]
    ids = out["artist_id"]
    share = (t["_o"] / total.reindex(t["artist_id"]).to_numpy()).to_numpy()
    t = t.assign(_share=share)
    fallback = out["country"].notna().to_numpy().copy()
    if not eligible.empty:
        best = _pick_first(eligible, ["_score", "_o", "country"], [False, False, True])
        chosen = best["country"].reindex(ids)
        has = chosen.notna().to_numpy()
        out.loc[has, "country"] = chosen.to_numpy()[has]
        fallback &= ~has
    # share_1 of the chosen (or fallback) country, on the basis
    key = pd.MultiIndex.from_frame(t[["artist_id", "country"]].astype({"country": object}))
    share_s = pd.Series(t["_share"].to_numpy(), index=key)
    pick = pd.MultiIndex.from_arrays([ids.to_numpy(), out["country"].astype(object).to_numpy()])
    out["share_1"] = share_s.reindex(pick).to_numpy(np.float64)
    out["fallback"] = fallback
    return out


@dataclass
class Mixture:
    """A fitted home-tilted multinomial mixture (see :func:`fit_mixture`)."""

    countries: np.ndarray  # sorted country codes
    g: np.ndarray  # each country's share of all (artist, listener) pairs
    q: np.ndarray  # P(a listener of an artist from h is from h)
    weights: np.ndarray  # pi_h, share of artists with home h
    artist_ids: np.ndarray  # the artists with at least one listener, in input order
    top: np.ndarray  # artists x 3 country indices of the most probable homes (-1: none)
    top_p: np.ndarray  # artists x 3 posterior probabilities
    iterations: int
    log_likelihood: float


def _wide_counts(table: pd.DataFrame, artist_ids, countries=None) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
    """(countries, artists x countries CSR of listeners, artist ids with listeners)."""
    ids = np.asarray(artist_ids, dtype=np.int64)
    t = _restrict(table, ids)
    if countries is None:
        countries = np.array(sorted(table.loc[table["listeners"] > 0, "country"].astype(str).unique()), dtype=object)
    played = ids[np.isin(ids, t["artist_id"].to_numpy())]
    row = pd.Series(np.arange(played.size), index=played)
    col = pd.Series(np.arange(countries.size), index=countries)
    K = sp.csr_matrix(
        (
            t["listeners"].to_numpy(np.float64),
            (row.reindex(t["artist_id"]).to_numpy(np.int64), col.reindex(t["country"].astype(str)).to_numpy(np.int64)),
        ),
        shape=(played.size, countries.size),
    )
    K.sum_duplicates()
    return countries, K, played


def fit_mixture(
    table: pd.DataFrame, artist_ids, q_prior: float = 0.5, weight_prior: float = 1.0, max_iter: int = 200, tol: float = 1e-8
) -> Mixture:
    """Fit the home-tilted multinomial mixture to the listeners of ``artist_ids`` by EM.

        Model: artist a has home h with probability ``pi_h``; each of its ``T_a`` listeners is from
        h with probability ``q_h`` and from c != h with probability ``(1 - q_h) g_c / (1 - g_h)``,
        with ``g`` the countries' shares of all (artist, listener) pairs of the table (fixed). So

            log P(listeners of a | h) = k_ah log(q_h / g_h) + (T_a - k_ah) log((1 - q_h) / (1 - g_h)) + const.

    The M-step smooths both parameters with pseudo-counts: ``q_h = (A_h + q_prior) / (B_h +
        2 q_prior)`` (A_h, B_h: expected home listeners and all listeners of the artists with home h;
        the Krichevsky-Trofimov estimate, i.e. a Beta(1/2, 1/2) prior, by default), kept above
        ``g_h`` (home over-listening), and ``pi_h`` with ``weight_prior`` pseudo-artists per country,
        so a country that has no artist yet keeps a small weight. Initialised from the listener
        argmax labels (a tie split evenly between its countries); on the default data it converges
        in ~10-20 iterations. Stops when the log-likelihood gains less than ``tol`` (relative) or
        after ``max_iter`` iterations. Dense work is done in blocks of artists (about 4M cells), so
        memory stays bounded for any number of artists.
    """
    countries, K, played = _wide_counts(table, artist_ids)
    n_a, n_c = K.shape
    if n_a == 0:
        return Mixture(
            countries, np.zeros(n_c), np.zeros(n_c), np.zeros(n_c), played, np.full((0, 3), -1), np.full((0, 3), np.nan), 0, 0.0
        )
    g_all = table.loc[table["listeners"] > 0].groupby("country")["listeners"].sum()
    g = g_all.reindex(countries).to_numpy(np.float64)
    g = g / g.sum()
    T = np.asarray(K.sum(1)).ravel()
    block = max(1, _BLOCK_CELLS // max(n_c, 1))
    starts = range(0, n_a, block)

    # initial responsibilities: the listener-argmax labels, a tie split evenly between its countries
    N, A, Bh = np.zeros(n_c), np.zeros(n_c), np.zeros(n_c)
    for s in starts:
        Kb = K[s : s + block].toarray()
        resp = (Kb == Kb.max(1, keepdims=True)).astype(np.float64)
        resp /= resp.sum(1, keepdims=True)
        N += resp.sum(0)
        A += (resp * Kb).sum(0)
        Bh += resp.T @ T[s : s + block]

    prev = -np.inf
    it = 0
    ll_total = 0.0
    for it in range(1, max_iter + 1):  # noqa: B007 (the iterations run are returned)
        weights = (N + weight_prior) / (N.sum() + weight_prior * n_c)
        q = (A + q_prior) / (Bh + 2 * q_prior)
        q = np.clip(q, np.minimum(g * (1 + 1e-9) + 1e-12, 1 - 1e-9), 1 - 1e-9)
        w0 = np.log((1 - q) / (1 - g))
        d = np.log(q / g) - w0
        logw = np.log(weights)
        N = np.zeros(n_c)
        A = np.zeros(n_c)
        Bh = np.zeros(n_c)
        ll_total = 0.0
        for s in starts:
            Kb = K[s : s + block]
            post, lse = _posterior_block(Kb, T[s : s + block], w0, d, logw)
            ll_total += lse.sum()
            N += post.sum(0)
            Bh += post.T @ T[s : s + block]
            coo = Kb.tocoo()
            A += np.bincount(coo.col, weights=coo.data * post[coo.row, coo.col], minlength=n_c)
        if ll_total - prev <= tol * abs(ll_total):
            break
        prev = ll_total
    # final E-step with the last parameters: top three homes per artist
    top = np.full((n_a, 3), -1, dtype=np.int64)
    top_p = np.full((n_a, 3), np.nan)
    k = min(3, n_c)
    for s in starts:
        post, _ = _posterior_block(K[s : s + block], T[s : s + block], w0, d, logw)
        order = np.argsort(-post, axis=1, kind="stable")[:, :k]  # ties: alphabetical
        top[s : s + block, :k] = order
        top_p[s : s + block, :k] = np.take_along_axis(post, order, axis=1)
    return Mixture(countries, g, q, weights, played, top, top_p, it, float(ll_total))


def _posterior_block(
    Kb: sp.csr_matrix, Tb: np.ndarray, w0: np.ndarray, d: np.ndarray, logw: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of the homes of a block of artists, and their log-likelihoods (log-sum-exp with the
    row maximum taken out: one exp per cell)."""
    ll = np.outer(Tb, w0) + logw[None, :]
    coo = Kb.tocoo()
    ll[coo.row, coo.col] += coo.data * d[coo.col]
    top = ll.max(1, keepdims=True)
    post = np.exp(ll - top, out=ll)
    total = post.sum(1, keepdims=True)
    post /= total
    return post, (top + np.log(total)).ravel()


def estimate_mixture(
    table: pd.DataFrame, artist_ids, top: int = 1, mix: Mixture | None = None, argmax: pd.DataFrame | None = None, **fit_kw
) -> pd.DataFrame:
    """MAP home (``top=1``) or the three most probable homes (``top=3``) under :func:`fit_mixture`
    (or under ``mix``, a fit of the same table and artists; ``argmax``, the table's
    :func:`estimate_argmax`, gives the listeners column when the caller has it)."""
    out = (estimate_argmax(table, artist_ids) if argmax is None else argmax)[["artist_id", "listeners"]]
    res = _empty_estimates(artist_ids)
    res["listeners"] = out["listeners"].to_numpy()
    if mix is None:
        mix = fit_mixture(table, artist_ids, **fit_kw)
    if mix.artist_ids.size == 0:
        return res
    pos = pd.Series(np.arange(mix.artist_ids.size), index=mix.artist_ids).reindex(res["artist_id"])
    has = pos.notna().to_numpy()
    p = pos.to_numpy()[has].astype(np.int64)
    names = np.append(mix.countries.astype(object), None)  # index -1 -> None
    for j, (ccol, scol) in enumerate((("country", "share_1"), ("country_2", "share_2"), ("country_3", "share_3"))):
        if j >= top:
            break
        vals = np.full(len(res), None, dtype=object)
        vals[has] = names[mix.top[p, j]]
        res[ccol] = pd.array(vals, dtype="string")
        shares = np.full(len(res), np.nan)
        shares[has] = mix.top_p[p, j]
        res[scol] = shares
    return res


def estimate(
    table: pd.DataFrame,
    artist_ids,
    method: str,
    min_support: int = DEFAULT_MIN_SUPPORT,
    shrinkage: float = DEFAULT_SHRINKAGE,
    basis: str = DEFAULT_BASIS,
) -> pd.DataFrame:
    """Estimate the home country of ``artist_ids`` from a country play table.

    ``method`` is one of :data:`METHODS`; ``min_support``, ``shrinkage`` and ``basis`` apply to
    ``lift`` only (the mixture weighs the evidence itself). Returns :data:`ESTIMATE_COLUMNS` in
    ``artist_ids`` order.
    """
    if method == "argmax":
        return estimate_argmax(table, artist_ids)
    if method == "lift":
        return estimate_lift(table, artist_ids, min_support=min_support, shrinkage=shrinkage, basis=basis)
    if method == "mixture":
        return estimate_mixture(table, artist_ids, top=1)
    if method == "top3":
        return estimate_mixture(table, artist_ids, top=3)
    raise ValueError(f"unknown method {method!r}; use one of {METHODS}")


def estimate_every_method(
    table: pd.DataFrame, artist_ids, min_support: int = DEFAULT_MIN_SUPPORT, shrinkage: float = DEFAULT_SHRINKAGE
) -> dict[str, pd.DataFrame]:
    """:func:`estimate` of every method in :data:`METHODS`, with the mixture fitted once for both
    ``mixture`` and ``top3``, and the argmax estimate (which the others start from) made once."""
    mix = fit_mixture(table, artist_ids)
    argmax = estimate_argmax(table, artist_ids)
    return {
        "argmax": argmax,
        "lift": estimate_lift(table, artist_ids, min_support=min_support, shrinkage=shrinkage, argmax=argmax),
        "mixture": estimate_mixture(table, artist_ids, top=1, mix=mix, argmax=argmax),
        "top3": estimate_mixture(table, artist_ids, top=3, mix=mix, argmax=argmax),
    }

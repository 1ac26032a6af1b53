"""Tests of the synthetic LFM-1b generator: raw formats, determinism, planted statistics."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from helpers import load_script

from lfmrec import lfm1b, synthetic
from lfmrec.errors import InputError
from lfmrec.synthetic import (
    ARTISTS_NAME,
    MAT_NAME,
    SCALES,
    TRUTH_ARTISTS_NAME,
    TRUTH_COUNTRIES_NAME,
    TRUTH_USERS_NAME,
    USERS_HEADER,
    USERS_NAME,
    generate,
)
from lfmrec.synthetic import sampler as sampler_mod

generate_synthetic = load_script("generate_synthetic")

RAW_FILES = (MAT_NAME, USERS_NAME, ARTISTS_NAME)
ALL_FILES = RAW_FILES + (TRUTH_ARTISTS_NAME, TRUTH_USERS_NAME, TRUTH_COUNTRIES_NAME)


@dataclasses.dataclass
class Loaded:
    """The raw files read back the way a careful reader would."""

    matrix: sp.csr_array  # users x artists playcounts, rows in file order
    idx_users: np.ndarray  # user id of each matrix row
    idx_artists: np.ndarray  # artist id of each matrix column
    users: pd.DataFrame  # users.txt, country "" when missing
    artists: pd.DataFrame  # artists.txt
    truth_users: pd.DataFrame
    truth_artists: pd.DataFrame
    truth_countries: pd.DataFrame


def load(out: Path) -> Loaded:
    """Read all six outputs of :func:`generate` from ``out``."""
    with h5py.File(out / MAT_NAME, "r") as f:
        les = f["LEs"]
        n_rows = int(les.attrs["MATLAB_sparse"])
        jc = les["jc"][:].astype(np.int64)
        csc = sp.csc_array((les["data"][:], les["ir"][:].astype(np.int64), jc), shape=(n_rows, jc.size - 1))
        idx_users = f["idx_users"][:].ravel().astype(np.int64)
        idx_artists = f["idx_artists"][:].ravel().astype(np.int64)
    users = pd.read_csv(out / USERS_NAME, sep="\t", keep_default_na=False, dtype={"country": str, "gender": str})
    artists = pd.read_csv(
        out / ARTISTS_NAME,
        sep="\t",
        header=None,
        names=["artist_id", "artist_name"],
        keep_default_na=False,
        quoting=3,
        dtype={"artist_name": str},
    )
    return Loaded(
        csc.tocsr(),
        idx_users,
        idx_artists,
        users,
        artists,
        pd.read_parquet(out / TRUTH_USERS_NAME),
        pd.read_parquet(out / TRUTH_ARTISTS_NAME),
        pd.read_parquet(out / TRUTH_COUNTRIES_NAME),
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("tiny0")
    return out, generate(out, "tiny", seed=0)


@pytest.fixture(scope="module")
def tiny_loaded(tiny) -> Loaded:
    return load(tiny[0])


def paper_sample(data: Loaded, seed: int) -> tuple[int, int, float]:
    """The paper's sampling: 5,000 matrix users, keep those with a country; 20,000 artists.

    Returns (users kept, non-zero triples, share of sampled artists without listens).
    """
    rng = np.random.default_rng(seed)
    rows = rng.choice(data.matrix.shape[0], size=5000, replace=False)
    country = data.users.set_index("user_id").loc[data.idx_users[rows], "country"].to_numpy()
    rows = rows[country != ""]
    cols = rng.choice(data.matrix.shape[1], size=20000, replace=False)
    sub = data.matrix[rows][:, cols].tocsc()
    return rows.size, sub.nnz, float(np.mean(np.diff(sub.indptr) == 0))


# --- scales --------------------------------------------------------------------------------


def test_scales_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SCALES["full"].n_users = 1  # type: ignore[misc]


def test_unknown_scale_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="huge"):
        generate(tmp_path, "huge")


# --- MAT file ------------------------------------------------------------------------------


def test_mat_header_is_matlab_73(tiny):
    out, _ = tiny
    head = (out / MAT_NAME).read_bytes()[:512]
    text = head[:116].decode("ascii")
    assert text.startswith("MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: ")
    assert "HDF5 schema 1.00 ." in text and text == text.rstrip(" ").ljust(116)
    assert head[116:124] in (b"\x00" * 8, b" " * 8)
    assert head[124:126] == b"\x00\x02"
    assert head[126:128] == b"IM"
    assert head[128:] == b"\x00" * 384
    with h5py.File(out / MAT_NAME, "r") as f:
        assert f.userblock_size == 512


def test_mat_structure(tiny):
    out, summary = tiny
    scale = SCALES["tiny"]
    with h5py.File(out / MAT_NAME, "r") as f:
        assert set(f) == {"LEs", "idx_users", "idx_artists"}
        les = f["LEs"]
        assert isinstance(les, h5py.Group) and set(les) == {"data", "ir", "jc"}
        assert les.attrs["MATLAB_class"] == b"double"
        assert les.attrs["MATLAB_sparse"].dtype == np.uint64
        assert int(les.attrs["MATLAB_sparse"]) == scale.n_matrix_users
        data, ir, jc = les["data"][:], les["ir"][:], les["jc"][:]
        assert (data.dtype, ir.dtype, jc.dtype) == (np.float64, np.uint64, np.uint64)
        for name, n in (("idx_users", scale.n_matrix_users), ("idx_artists", scale.n_artists)):
            ds = f[name]
            assert ds.dtype == np.float64 and ds.shape == (n, 1)
            assert ds.attrs["MATLAB_class"] == b"double"
    assert jc.shape == (scale.n_artists + 1,)
    assert jc[0] == 0 and jc[-1] == data.size == ir.size == summary["nnz"]
    assert np.all(np.diff(jc.astype(np.int64)) >= 0)
    assert ir.max() < scale.n_matrix_users
    col = np.repeat(np.arange(scale.n_artists), np.diff(jc.astype(np.int64)))
    key = col * scale.n_matrix_users + ir.astype(np.int64)
    assert np.all(np.diff(key) > 0), "row indices must be sorted and unique within a column"
    assert np.all(data >= 1) and np.all(data == np.rint(data))


def test_matrix_rows_are_shuffled_and_aligned_through_idx_users(tiny_loaded):
    d = tiny_loaded
    ids = d.users["user_id"].to_numpy()
    assert np.unique(d.idx_users).size == d.idx_users.size
    assert np.isin(d.idx_users, ids).all()
    assert not np.all(np.diff(d.idx_users) > 0), "rows must not follow users.txt order"
    plays = d.users.set_index("user_id").loc[d.idx_users, "playcount"].to_numpy()
    np.testing.assert_array_equal(d.matrix.sum(axis=1), plays)
    positional = d.users.loc[d.users["user_id"].isin(d.idx_users), "playcount"].to_numpy()
    assert not np.array_equal(positional, plays)
    np.testing.assert_array_equal(d.idx_artists, d.artists["artist_id"].to_numpy())
    assert np.diff(d.matrix.indptr).min() >= synthetic.MIN_MATRIX_ARTISTS


# --- text files ----------------------------------------------------------------------------


def test_users_txt_format(tiny, tiny_loaded):
    out, _ = tiny
    lines = (out / USERS_NAME).read_text(encoding="utf-8").split("\n")
    assert lines[0] == USERS_HEADER
    assert lines[-1] == ""
    assert all(line.count("\t") == 5 for line in lines[1:-1])
    u = tiny_loaded.users
    scale = SCALES["tiny"]
    assert len(u) == scale.n_users
    assert u["user_id"].dtype == np.int64 and u["user_id"].is_monotonic_increasing
    assert u["user_id"].is_unique
    assert (np.diff(u["user_id"].to_numpy()) > 1).any(), "ids must not be contiguous"
    assert (u["country"] == "").any() and (u["country"] != "").any()
    assert set(u["country"]) - {""} <= set(synthetic.COUNTRY_USER_SHARES)
    assert (u["age"] == -1).any() and u.loc[u["age"] != -1, "age"].between(10, 90).all()
    assert set(u["gender"]) == {"m", "f", "n"}
    assert (u["playcount"] > 0).all()
    lo, hi = synthetic.REGISTERED_RANGE
    assert u["registered_unixtime"].between(lo, hi).all()
    assert len(u) - tiny_loaded.matrix.shape[0] == scale.n_excluded


def test_artists_txt_format(tiny, tiny_loaded):
    out, _ = tiny
    lines = (out / ARTISTS_NAME).read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    fields = [line.split("\t") for line in lines[:-1]]
    assert all(len(f) == 2 and f[0].isdigit() and f[1].strip() == f[1] != "" for f in fields)
    a = tiny_loaded.artists
    assert len(a) == SCALES["tiny"].n_artists and a["artist_id"].is_unique
    assert a["artist_id"].is_monotonic_increasing
    assert a["artist_name"].nunique() > 0.95 * len(a)


def test_artist_names_are_readable():
    names = synthetic.artist_names(2000, np.random.default_rng(5))
    assert names.shape == (2000,)
    assert all(n and "\t" not in n and "\n" not in n and n[0].isupper() for n in names)
    assert any(n.startswith("The ") for n in names) and any(" " not in n for n in names)


# --- truth files ---------------------------------------------------------------------------


def test_truth_files_match_raw_files(tiny_loaded):
    d = tiny_loaded
    tu, ta = d.truth_users, d.truth_artists
    assert list(tu.columns) == ["user_id", "true_country", "declared_country", "taste_group", "in_matrix", "n_artists"]
    assert list(ta.columns) == ["artist_id", "home_country", "market_country", "taste_group", "popularity"]
    assert tu["user_id"].dtype == np.int64 and tu["n_artists"].dtype == np.int64
    assert tu["in_matrix"].dtype == bool and ta["popularity"].dtype == np.float64
    np.testing.assert_array_equal(tu["user_id"], d.users["user_id"])
    assert tu["true_country"].notna().all()
    declared = tu["declared_country"].fillna("").to_numpy()
    np.testing.assert_array_equal(declared, d.users["country"].to_numpy())
    shown = tu["declared_country"].notna()
    assert (tu.loc[shown, "declared_country"] == tu.loc[shown, "true_country"]).all()
    np.testing.assert_array_equal(tu["in_matrix"], tu["user_id"].isin(d.idx_users))
    by_id = tu.set_index("user_id")
    np.testing.assert_array_equal(by_id.loc[d.idx_users, "n_artists"], np.diff(d.matrix.indptr))
    left_out = tu.loc[~tu["in_matrix"], "n_artists"]
    assert len(left_out) == SCALES["tiny"].n_excluded and left_out.between(1, 9).all()
    np.testing.assert_array_equal(ta["artist_id"], d.idx_artists)
    assert (ta["popularity"] > 0).all() and ta["popularity"].sum() == pytest.approx(1.0)
    assert set(ta["home_country"]) <= set(synthetic.COUNTRY_USER_SHARES)
    assert ta["taste_group"].between(0, SCALES["tiny"].n_groups - 1).all()
    # second markets: about Process.multi_market of the artists, outside the home's region
    market = ta.dropna(subset=["market_country"])
    assert 0.07 <= len(market) / len(ta) <= 0.13
    region = {c: r for r, members in synthetic.REGIONS.items() for c in members}
    for home, other in zip(market["home_country"], market["market_country"], strict=True):
        assert other != home and (home not in region or region.get(other) != region[home]), (home, other)
    tc = d.truth_countries
    assert list(tc.columns) == ["country", "region", "local_propensity", "user_share", "artist_share"]
    assert list(tc["country"]) == list(synthetic.COUNTRY_USER_SHARES)
    assert tc.set_index("country").loc["AT", "region"] == "german" and pd.isna(tc.set_index("country").loc["JP", "region"])
    assert tc["user_share"].sum() == pytest.approx(1.0) and tc["artist_share"].sum() == pytest.approx(1.0)
    assert tc.set_index("country").loc["FI", "local_propensity"] == synthetic.LOCAL_PROPENSITY["FI"]


# --- determinism, atomic writes, entry points ----------------------------------------------


def test_same_seed_same_bytes_other_seed_differs(tiny, tmp_path):
    out0, _ = tiny
    generate(tmp_path / "again", "tiny", seed=0)
    generate(tmp_path / "other", "tiny", seed=1)
    for name in RAW_FILES:
        assert sha256(out0 / name) == sha256(tmp_path / "again" / name), name
        assert sha256(out0 / name) != sha256(tmp_path / "other" / name), name


def test_outputs_only_final_files(tiny):
    out, summary = tiny
    assert sorted(p.name for p in out.iterdir()) == sorted(ALL_FILES)
    assert {Path(p).name for p in summary["files"].values()} == set(ALL_FILES)


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(lfm1b, "mat73_header", fail)  # dies after the HDF5 part is written
    with pytest.raises(RuntimeError, match="interrupted"):
        generate(tmp_path, "tiny", seed=0)
    assert list(tmp_path.iterdir()) == []


def test_command_line(tmp_path, capsys):
    synthetic.main(["--scale", "tiny", "--seed", "2", "--out", str(tmp_path)])
    summary = json.loads(capsys.readouterr().out)
    assert summary["scale"] == "tiny" and summary["seed"] == 2
    assert summary["n_matrix_users"] == SCALES["tiny"].n_matrix_users
    assert (tmp_path / MAT_NAME).exists()


def _fake_snakemake(out: Path, **rename: str) -> SimpleNamespace:
    names = dict(generate_synthetic.OUTPUT_NAMES, **rename)
    return SimpleNamespace(
        output=SimpleNamespace(**{k: str(out / v) for k, v in names.items()}),
        params=SimpleNamespace(scale="tiny", seed=0),
        log=[],
        rule="generate_synthetic",
    )


def test_snakemake_script(tiny, tmp_path, caplog):
    out = tmp_path / "data"
    with caplog.at_level(logging.INFO, logger="generate_synthetic"):
        summary = generate_synthetic.main(_fake_snakemake(out))
    assert summary["nnz"] == tiny[1]["nnz"]
    assert sha256(out / MAT_NAME) == sha256(tiny[0] / MAT_NAME)
    assert f'"nnz": {summary["nnz"]}' in caplog.text
    with pytest.raises(InputError, match="users"):
        generate_synthetic.main(_fake_snakemake(out, users="u.txt"))


# --- planted statistics on the default scale -----------------------------------------------


def test_default_scale_statistics(tmp_path):
    """Country shares, the paper's sampling calibration, playcounts, locality, taste groups."""
    summary = generate(tmp_path, "default", seed=0)
    d = load(tmp_path)
    users, m = d.users, d.matrix
    scale = SCALES["default"]

    # countries as in LFM-1b
    declared = users.loc[users["country"] != "", "country"]
    assert 0.42 <= len(declared) / len(users) <= 0.50
    shares = declared.value_counts(normalize=True)
    assert 0.16 <= shares["US"] <= 0.22
    for c in ("RU", "UK", "DE", "PL", "BR"):
        assert 0.06 <= shares[c] <= 0.11, c
    assert shares.index.nunique() >= 40 and "GB" not in shares.index
    left_out = len(users) - m.shape[0]
    assert left_out == scale.n_excluded and 0.0008 <= left_out / len(users) <= 0.0016

    # the paper's sampling: ~2,312 users with a country, ~46,865 triples, ~61.5% silent artists
    for seed in range(5):
        kept, triples, silent = paper_sample(d, seed)
        assert 2100 <= kept <= 2500, (seed, kept)
        assert 35_000 <= triples <= 60_000, (seed, triples)
        assert 0.55 <= silent <= 0.67, (seed, silent)

    # heavy-tailed playcounts and artists per user
    pc = m.data
    assert np.median(pc) <= 5 and pc.max() >= 1000 and 12 <= pc.mean() <= 25
    assert 1.7 <= np.log2(pc).std() <= 2.3
    per_user = np.diff(m.indptr)
    assert per_user.min() >= 10 and 55 <= per_user.mean() <= 65
    assert per_user.max() >= 6 * np.median(per_user)
    assert summary["nnz"] == m.nnz

    # popularity: roughly a straight line on a log-log rank plot of listener counts
    listeners = np.sort(np.diff(m.tocsc().indptr))[::-1]
    rank = np.arange(1, listeners.size + 1)
    sel = slice(9, 10_000)
    slope, _ = np.polyfit(np.log(rank[sel]), np.log(listeners[sel]), 1)
    assert -1.6 <= slope <= -0.7
    assert listeners[0] > 100 * np.median(listeners)

    # locality: users play own-country artists far more than those artists' share
    tu = d.truth_users.set_index("user_id").loc[d.idx_users]
    ta = d.truth_artists.set_index("artist_id").loc[d.idx_artists]
    coo = m.tocoo()
    u_country = tu["true_country"].to_numpy()[coo.row]
    a_country = ta["home_country"].to_numpy()[coo.col]
    artist_share = ta["home_country"].value_counts(normalize=True)
    for c in ("US", "RU", "UK", "DE", "PL", "BR", "NL", "FI"):
        mine = u_country == c
        own = coo.data[mine & (a_country == c)].sum() / coo.data[mine].sum()
        assert own >= 2 * artist_share[c], (c, own, artist_share[c])
    # US/UK artists are over-represented among artists and more popular abroad
    assert artist_share["US"] > 1.3 * shares["US"] and artist_share["UK"] > 1.2 * shares["UK"]
    abroad = u_country != a_country
    us_abroad = coo.data[abroad & (a_country == "US")].sum() / coo.data[abroad].sum()
    assert us_abroad > 1.3 * artist_share["US"]

    # taste groups: co-listening and higher playcounts inside the user's main group
    same = tu["taste_group"].to_numpy()[coo.row] == ta["taste_group"].to_numpy()[coo.col]
    chance = float((ta["taste_group"].value_counts(normalize=True) ** 2).sum())
    assert same.mean() > 3 * chance
    # (within an artist: popular artists are played more and are less often in-group draws)
    per = pd.DataFrame({"artist": coo.col, "same": same, "log2": np.log2(coo.data)})
    by = per.groupby(["artist", "same"])["log2"].mean().unstack().dropna()
    assert (by[True] - by[False]).mean() > 0.2  # PC_SAME_GROUP, shrunk by the clip at one play


@pytest.mark.parametrize("p_local_scalar", [False, True])
def test_compiled_draws_are_the_numpy_draws(monkeypatch, p_local_scalar):
    """The popularity draws of a large round (lfmrec._draws) take the same random numbers in the
    same order and give the same artists as the numpy form: pools by country and group, empty
    pools falling back, ties in the cumulative popularity (zero-popularity artists)."""
    rng = np.random.default_rng(5)
    n_art, n_countries, n_groups = 3000, 6, 4
    country = rng.integers(0, n_countries - 1, n_art).astype(np.int16)  # the last country has none
    group = rng.integers(0, n_groups, n_art).astype(np.int16)
    group[country == 2] = 0  # country 2 has artists of group 0 only
    popularity = rng.pareto(1.2, n_art)
    popularity[rng.random(n_art) < 0.1] = 0.0  # ties in the cumulative sums
    popularity /= popularity.sum()
    market = np.where(rng.random(n_art) < 0.2, rng.integers(0, n_countries, n_art), -1).astype(np.int16)
    market[market == country] = -1
    artists = sampler_mod.Artists(np.arange(n_art), country, group, popularity, np.zeros(n_art, np.float32), market)
    region = np.array([0, 1, 0, -1, 1, 2])  # region 2 has one country: no regional draws there
    sampler = sampler_mod.ArtistSampler(artists, n_countries, n_groups, region)
    n = 40_000
    who_country = rng.integers(0, n_countries, n).astype(np.int16)
    who_group = rng.integers(0, n_groups, n).astype(np.int16)
    p_local = 0.6 if p_local_scalar else rng.random(n)
    p_group = rng.random(n)
    got = {}
    for path, threshold in (("numpy", n + 1), ("compiled", 1)):
        monkeypatch.setattr(sampler_mod, "COMPILED_MIN_DRAWS", threshold)
        draws = np.random.default_rng(9)
        got[path] = sampler.draw(who_country, who_group, p_local, p_group, draws, p_region=0.5)
        got[path + " next"] = draws.random(3)  # as many random numbers consumed
    np.testing.assert_array_equal(got["compiled"], got["numpy"])
    np.testing.assert_array_equal(got["compiled next"], got["numpy next"])
    assert got["numpy"].dtype == got["compiled"].dtype == np.int32
    assert len(np.unique(got["numpy"])) > 500  # the draws spread over the catalogue
    # regional draws happen and stay in the region: users of country 0 get artists of region 0
    # (countries 0, 2, or a market there) more often than its share of the popularity
    drawn = got["numpy"][who_country == 0]
    in_region = np.isin(country[drawn], [0, 2]) | np.isin(market[drawn], [0, 2])
    share = popularity[np.isin(country, [0, 2])].sum()
    assert in_region.mean() > share + 0.2


def test_not_held_is_the_searchsorted_membership():
    from lfmrec._draws import not_held

    rng = np.random.default_rng(2)
    width = 50
    held = np.unique(rng.integers(0, 30, 400) * width + rng.integers(0, width, 400))  # owners 0..29
    keys = np.concatenate([rng.integers(0, 35, 3000) * width + rng.integers(0, width, 3000), held[::7]])
    pos = np.minimum(np.searchsorted(held, keys), held.size - 1)
    np.testing.assert_array_equal(not_held(held, keys, width), held[pos] != keys)
    assert not_held(held, held, width).sum() == 0 and not_held(held[:0], keys, width).all()


# --- the process: per-country locality, planted proximity, second markets ----------------------


@pytest.fixture(scope="module")
def default_data(tmp_path_factory) -> Loaded:
    out = tmp_path_factory.mktemp("default1")
    generate(out, "default", seed=1)
    return load(out)


def _plays_by_country(d: Loaded) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    tu = d.truth_users.set_index("user_id").loc[d.idx_users]
    ta = d.truth_artists.set_index("artist_id").loc[d.idx_artists]
    coo = d.matrix.tocoo()
    return tu, tu["true_country"].to_numpy()[coo.row], ta["home_country"].to_numpy()[coo.col], coo.data


def test_local_shares_follow_the_published_orderings(default_data):
    """Bauer & Schedl 2019: FI, BR, RU keep a mainstream of their own, UK and NL are close to the
    global one; Page & Dalla Riva 2023: Portugal's local share is small (10%)."""
    _, u_country, a_country, plays = _plays_by_country(default_data)
    local = {}
    for c in ("FI", "BR", "RU", "UK", "NL", "PT", "DE", "ES", "US"):
        mine = u_country == c
        local[c] = plays[mine & (a_country == c)].sum() / plays[mine].sum()
    assert min(local["FI"], local["BR"], local["RU"]) > max(local["NL"], local["PT"]), local
    assert local["NL"] < 0.2 and local["PT"] < 0.12 and local["US"] > 0.6, local
    # the US share abroad is large everywhere (Lesota et al. 2022), smallest in FI/BR/RU
    us = {
        c: plays[(u_country == c) & (a_country == "US")].sum() / plays[u_country == c].sum()
        for c in ("FI", "BR", "RU", "NL", "UK")
    }
    assert all(v > 0.2 for v in us.values()) and max(us["FI"], us["BR"], us["RU"]) < max(us["NL"], us["UK"]), us


def _region_auc(d: Loaded, min_users: int = 30) -> tuple[float, int]:
    """How well the estimated country similarity (cosine of the countries' play profiles over the
    declared users, lfmrec.countries.similarity) ranks same-region pairs above the other pairs
    of countries with at least ``min_users`` declared matrix users: the AUC, and the number of
    same-region pairs."""
    from scipy.stats import mannwhitneyu

    from lfmrec.countries.plays import country_play_table
    from lfmrec.countries.similarity import country_similarity

    declared = d.users.set_index("user_id").loc[d.idx_users, "country"].replace("", None)
    table = country_play_table(d.matrix, declared.to_numpy(dtype=object), d.idx_artists)
    sim = country_similarity(table)
    counts = declared.value_counts()
    keep = [c for c in sim.index if counts.get(c, 0) >= min_users]
    region = {c: r for r, members in synthetic.REGIONS.items() for c in members}
    same, other = [], []
    for i, a in enumerate(keep):
        for b in keep[i + 1 :]:
            (same if a in region and region.get(b) == region[a] else other).append(sim.loc[a, b])
    return mannwhitneyu(same, other).statistic / (len(same) * len(other)), len(same)


def test_planted_proximity_is_found_by_the_country_similarity(default_data, tmp_path):
    """The estimated similarity ranks same-region pairs (DE-AT, US-UK, RU-UA, SE-NO, ES-MX, ...)
    above the others; without planted proximity it does not."""
    auc, n_same = _region_auc(default_data)
    assert n_same >= 15 and auc > 0.95, (auc, n_same)
    generate(tmp_path, "default", seed=1, process=synthetic.Process(proximity=0.0, multi_market=0.0))
    auc0, _ = _region_auc(load(tmp_path))
    assert auc0 < 0.8, (auc0, auc)


def test_process_settings_are_checked():
    assert synthetic.Process.from_config({"proximity": 0.5}) == synthetic.Process(proximity=0.5)
    assert synthetic.Process.from_config(None) == synthetic.Process()
    with pytest.raises(InputError, match=r"dataset.synthetic.process.proximty: is not a process setting"):
        synthetic.Process.from_config({"proximty": 0.5})
    with pytest.raises(InputError, match=r"process.noise_sd: is -1"):
        synthetic.Process.from_config({"noise_sd": -1})
    with pytest.raises(InputError, match=r"process.multi_market: is 2.*a probability"):
        synthetic.Process.from_config({"multi_market": 2})
    means = synthetic.Process(local_propensity=0.5).local_means(np.array(["FI", "XX"]))
    np.testing.assert_allclose(means, [synthetic.LOCAL_PROPENSITY["FI"] / 2, synthetic.LOCAL_PROPENSITY_OTHER / 2])

"""Helpers shared by the workflow tests: a working copy of the workflow, running Snakemake, the tiny config."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def workdir(tmp_path: Path, config: dict | None = None) -> Path:
    """A working copy of the workflow (symlinks) with an optional extra config file."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "rules", "workflow", "config", "profiles"):
        (tmp_path / name).symlink_to(ROOT / name)
    if config is not None:
        (tmp_path / "test.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return tmp_path


def snakemake(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [*SNAKEMAKE, "--cores", "2", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


TINY = {
    "dataset": {"source": "synthetic", "synthetic": {"scale": "tiny", "seed": 3}},
    "sample": {"n_users": 300, "n_artists": 1500, "seed": 5},
    "cv": {"n_folds": 3, "seed": 2},
    "models": {
        **{name: None for name in yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]},
        "baseline": {"algorithm": "BaselineOnly"},
        "mf_k5": {"algorithm": "SVD", "params": {"biased": False, "n_factors": 5, "n_epochs": 5}},
        "mf_k5_native": {"algorithm": "SVD", "engine": "native", "params": {"biased": False, "n_factors": 5, "n_epochs": 5}},
        "knn_means_k10": {"algorithm": "KNNWithMeans", "params": {"k": 10}},
        "itemknn_k20": {"algorithm": "ItemKNN", "params": {"K": 20}},
        "ease_l50": {"algorithm": "EASE", "params": {"reg": 50}},
    },
    "report": {"users": [], "min_plays": 20},
}


def clone_run(src: Path, dst: Path) -> Path:
    """A second working copy holding a finished run's results and Snakemake metadata."""
    import shutil

    workdir(dst)
    shutil.copy2(src / "test.yaml", dst / "test.yaml")
    for name in ("results", ".snakemake"):
        shutil.copytree(src / name, dst / name, symlinks=True)
    return dst


def job_counts(dry_run_output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run as {rule: count}."""
    counts = {}
    lines = dry_run_output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Job stats:"))
    for line in lines[start + 3 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit() or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def load_script(name: str):
    """A workflow script (workflow/scripts/<name>.py) imported as a module, without Snakemake."""
    path = ROOT / "workflow" / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"scripts.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def raw_dataset(folder: Path) -> Path:
    """A small valid LFM-1b folder: 60 matrix users (rows shuffled), 2 more listed, 80 artists."""
    folder.mkdir(parents=True, exist_ok=True)
    from lfmrec.lfm1b import write_les

    rng = np.random.default_rng(0)
    dense = (rng.random((60, 80)) < 0.2) * rng.integers(1, 40, size=(60, 80))
    user_ids = rng.permutation(np.arange(1000, 1062))
    write_les(folder / "LFM-1b_LEs.mat", sp.csr_matrix(dense.astype(float)), user_ids[:60], np.arange(80) * 3 + 7)
    lines = ["user_id\tcountry\tage\tgender\tplaycount\tregistered_unixtime"]
    for i, u in enumerate(sorted(user_ids)):
        lines.append(f"{u}\t{['US', 'DE', 'PL', ''][i % 4]}\t-1\tn\t10\t1200000000")
    (folder / "LFM-1b_users.txt").write_text("\n".join(lines) + "\n")
    return folder


def comparable_files(results: Path, ignore=()) -> dict[str, Path]:
    """The result files a run's outputs are compared by: not logs, benchmarks or pickled models."""
    skip = {"logs", "benchmarks", "models", *ignore}
    return {
        str(p.relative_to(results)): p
        for p in results.rglob("*")
        if p.is_file() and p.relative_to(results).parts[0] not in skip and p.suffix != ".pkl"
    }


def assert_same_results(a: Path, b: Path, ignore=()) -> None:
    """Identical bytes for every result file (timing fields of the fold JSON files aside), equal
    parquet contents; top-level folders in ``ignore`` are left out on both sides."""
    fa, fb = comparable_files(a, ignore), comparable_files(b, ignore)
    only_a, only_b = sorted(set(fa) - set(fb)), sorted(set(fb) - set(fa))
    assert not only_a and not only_b, f"only in {a}: {only_a}; only in {b}: {only_b}"
    for name, pa in fa.items():
        pb = fb[name]
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(pa), pd.read_parquet(pb), check_exact=True)
        elif name.startswith("cv/") and name.endswith(".json"):
            ja, jb = json.loads(pa.read_text()), json.loads(pb.read_text())
            drop = [k for k in ja if k.endswith("_seconds")]
            assert {k: v for k, v in ja.items() if k not in drop} == {k: v for k, v in jb.items() if k not in drop}, name
        else:
            assert pa.read_bytes() == pb.read_bytes(), name


# The real-format copy without planted truth (issue 24): what real LFM-1b holds and the generator
# never writes. Sampled with REAL_SAMPLE, so that some artists fall outside the artist sample.
REAL_SAMPLE = {"n_users": "all", "n_artists": 200, "seed": 7}
REAL_COUNTRY_USERS = {"US": 14, "DE": 8, "UK": 6, "PL": 5, "BR": 4, "FI": 1, "JP": 1}


def sampled_artist_ids(artist_ids: np.ndarray, n: int, seed: int) -> np.ndarray:
    """The artist ids the workflow's sample draws (sampling.draw_ids: the artists' child stream of
    the seed, a draw over the ids in ascending order), written out independently of it."""
    artist_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    ids = np.sort(artist_ids)
    return ids[np.sort(artist_rng.choice(ids.size, size=n, replace=False))]


def real_copy(folder: Path) -> dict:
    """A small LFM-1b copy the way the real files are, without any truth file.

    - ``LFM-1b_users.txt`` with the real header and quirks: 21 users with an empty country, age -1
      and gender ``n`` for many, one country (FI, JP) with a single user, lower-case codes and
      padding the reader normalises, and 4 listed users absent from the matrix (fewer than 10
      artists, as in LFM-1b);
    - ``LFM-1b_LEs.mat`` (MAT v7.3), rows shuffled, ids not contiguous; 240 artist columns of which
      40 fall outside the sample (REAL_SAMPLE) and 25 nobody played; heavy-tailed popularity with
      local taste;
    - ``LFM-1b_artists.txt`` with names (non-ASCII among them), no header;
    - a user with a country whose only artists fall outside the artist sample (dropped: no triple),
      a user with a single artist (no test pair in all folds but one), an artist whose argmax
      country is a tie (one DE and one US listener, same plays: the alphabetical country, DE).

    Returns what the tests check against: the special users' and artists' ids.
    """
    folder.mkdir(parents=True, exist_ok=True)
    from lfmrec.lfm1b import write_les

    rng = np.random.default_rng(11)
    n_artists = 240
    artist_ids = np.sort(rng.choice(np.arange(1, 5000), size=n_artists, replace=False)).astype(np.int64)
    in_sample = sampled_artist_ids(artist_ids, REAL_SAMPLE["n_artists"], REAL_SAMPLE["seed"])
    outside = np.setdiff1d(artist_ids, in_sample)
    nobody = in_sample[rng.permutation(in_sample.size)[:25]]  # sampled, never played
    playable = np.setdiff1d(in_sample, nobody)
    countries = [c for c, k in REAL_COUNTRY_USERS.items() for _ in range(k)] + [""] * 21
    n_users = len(countries)  # 60 matrix users
    user_ids = np.sort(rng.choice(np.arange(2000, 3_000_000), size=n_users + 4, replace=False)).astype(np.int64)
    matrix_users, absent_users = user_ids[:n_users], user_ids[n_users:]
    order = rng.permutation(n_users)
    matrix_users, countries = matrix_users[order], [countries[i] for i in order]
    home = {c: playable[:-1][i::7] for i, c in enumerate(REAL_COUNTRY_USERS)}  # local artists per country
    weight = 1.0 / np.arange(1, playable.size + 1) ** 0.9  # Zipf-like popularity
    weight /= weight.sum()
    col = {a: j for j, a in enumerate(artist_ids)}
    rows, cols, vals = [], [], []
    tie_artist, single_user, outside_user = int(playable[-1]), None, None
    for r, c in enumerate(countries):
        n_played = int(rng.integers(10, 40))
        picks = set(rng.choice(playable[:-1], size=n_played, replace=False, p=weight[:-1] / weight[:-1].sum()).tolist())
        if c:
            picks |= set(rng.choice(home[c], size=min(5, home[c].size), replace=False).tolist())
        picks |= set(rng.choice(outside, size=3, replace=False).tolist())
        if c == "PL" and outside_user is None:  # only artists outside the sample
            outside_user = int(matrix_users[r])
            picks = set(outside[:12].tolist())
        elif c == "BR" and single_user is None:  # one sampled artist (and unsampled ones)
            single_user = int(matrix_users[r])
            picks = {int(playable[0])} | set(outside[12:24].tolist())
        for a in sorted(picks):
            rows.append(r)
            cols.append(col[a])
            vals.append(float(np.ceil(rng.pareto(1.2) * 3)) + 1)
    # the tie: one DE and one US listener with the same plays, nobody else
    for c in ("DE", "US"):
        r = countries.index(c)
        rows.append(r)
        cols.append(col[tie_artist])
        vals.append(7.0)
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_users, n_artists))
    write_les(folder / "LFM-1b_LEs.mat", matrix, matrix_users, artist_ids)

    by_id = dict(zip(matrix_users.tolist(), countries, strict=True))
    lines = ["user_id\tcountry\tage\tgender\tplaycount\tregistered_unixtime"]
    for i, u in enumerate(user_ids.tolist()):
        c = by_id.get(u, ["SE", "", "US", ""][i % 4])
        c = {"UK": " uk", "JP": "jp"}.get(c, c)  # the reader normalises case and padding
        age, gender = (-1, "n") if i % 3 else (int(rng.integers(14, 60)), "mf"[i % 2])
        lines.append(f"{u}\t{c}\t{age}\t{gender}\t{int(rng.integers(0, 90_000))}\t{1_100_000_000 + 1000 * i}")
    (folder / "LFM-1b_users.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    names = ["Sigur Rós", "Motörhead", "Кино", "椎名林檎", "Beyoncé", "Mötley Crüe"]
    (folder / "LFM-1b_artists.txt").write_text(
        "".join(f"{a}\t{names[j] if j < len(names) else f'Artist {a}'}\n" for j, a in enumerate(artist_ids.tolist())),
        encoding="utf-8",
    )
    return {
        "outside_user": outside_user,
        "single_user": single_user,
        "tie_artist": tie_artist,
        "nobody": nobody,
        "absent_users": absent_users,
        "no_country": int(sum(not c for c in countries)),
    }


CHROMIUM = "/usr/bin/chromium"  # Debian's chromium (apt-get install chromium)


def report_sections(report: Path, screenshot: Path | None = None) -> dict[str, dict[str, str]]:
    """Open a Snakemake HTML report in headless Chromium as a reader would: every result category of
    the navigation, and in it every file's view (the eye). Returns {category: {file: what the
    view shows}}: the text of an HTML page, or "png WxH" for an image that decoded (empty when
    nothing rendered). ``screenshot``: where to save a picture of the last view."""
    from playwright.sync_api import sync_playwright

    out: dict[str, dict[str, str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(report.resolve().as_uri())
        page.wait_for_selector("text=Results", timeout=60_000)
        categories = [t for t in page.locator("a").all_inner_texts() if t[:1].isdigit()]
        for category in categories:
            page.get_by_text(category, exact=True).first.click()
            page.wait_for_timeout(200)
            files = [t.strip() for t in page.locator("tr td:first-child").all_inner_texts() if t.strip()]
            out[category] = {}
            for name in files:
                page.locator("tr", has_text=name).first.locator("a[iconname=eye]").click()
                page.wait_for_timeout(300)
                if name.endswith(".png"):
                    size = page.evaluate("""() => { const i = [...document.images].find(i => i.src.startsWith('data:image/png'));
                                                    return i && i.complete ? [i.naturalWidth, i.naturalHeight] : [0, 0]; }""")
                    out[category][name] = f"png {size[0]}x{size[1]}" if size[0] > 0 else ""
                else:
                    frame = page.frames[-1] if len(page.frames) > 1 else None
                    out[category][name] = frame.inner_text("body") if frame else ""
            page.get_by_text("Results", exact=True).first.click()
            page.wait_for_timeout(200)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
        browser.close()
    return out


def random_triples(
    rng: np.random.Generator,
    n_users: int = 60,
    n_items: int = 80,
    n: int = 700,
    user_offset: int = 1000,
    item_offset: int = 5,
    plays: str = "lognormal",
) -> pd.DataFrame:
    """The tests' shared triples factory: ``n`` distinct (user, artist) pairs drawn uniformly from
    ``n_users`` x ``n_items`` (ids from the offsets), playcounts heavy tailed (``lognormal``:
    floor(exp(N(1, 1.3))) + 1) or uniform in 1..119 (``uniform``), rating = log2(playcount);
    sorted by user then artist. ``rng`` is used and left advanced, so a caller can go on drawing
    from it (user countries, say)."""
    keys = rng.choice(n_users * n_items, size=n, replace=False)
    if plays == "lognormal":
        counts = np.floor(np.exp(rng.normal(1.0, 1.3, size=n))).astype(np.int64) + 1
    elif plays == "uniform":
        counts = rng.integers(1, 120, size=n)
    else:
        raise ValueError(plays)
    df = pd.DataFrame({"user_id": keys // n_items + user_offset, "artist_id": keys % n_items + item_offset, "playcount": counts})
    df["rating"] = np.log2(df["playcount"].astype(float))
    return df.sort_values(["user_id", "artist_id"], ignore_index=True)


def small_sample(seed=0, n_users=40, n_items=60, n=400):
    """Triples of users 100.. and artists 1.., with users' and artists' countries (US, DE, PL; UK
    only for artists) and artist names: what phase 2 and the user reports read."""
    rng = np.random.default_rng(seed)
    t = random_triples(rng, n_users, n_items, n, user_offset=100, item_offset=1, plays="uniform")
    uids = np.arange(100, 100 + n_users)
    users = pd.DataFrame({"user_id": uids, "country": pd.array(rng.choice(["US", "DE", "PL"], n_users), dtype="string")})
    aids = np.arange(1, n_items + 1)
    artists = pd.DataFrame(
        {"artist_id": aids, "country": pd.array(rng.choice(["US", "DE", "PL", "UK"], n_items), dtype="string")}
    )
    artists["name"] = pd.array([f"Artist {a}" for a in aids], dtype="string")
    return t, users, artists

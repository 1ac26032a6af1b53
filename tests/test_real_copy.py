"""The whole workflow on a real-format LFM-1b copy without planted truth (helpers.real_copy): every
rule runs or is one of the named synthetic-only rules, every output of `rule all` is written, the
HTML report renders every section in headless Chromium, and what real data holds that the generator
never writes (users without a country or absent from the matrix, unplayed artists, argmax ties, a
user whose artists all fall outside the sample, one-user countries) is counted as the README says.
A second run covers one user country (every list empty), one list model and no reference."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import CHROMIUM, REAL_COUNTRY_USERS, REAL_SAMPLE, ROOT, real_copy, report_sections, snakemake, workdir

pytestmark = pytest.mark.slow

# The rules a real copy does not run, and what such a run gives instead (the README lists them).
SYNTHETIC_ONLY_RULES = {"generate_synthetic", "country_estimation", "sensitivity_config", "sensitivity_run", "sensitivity_table"}


def finished_rules(log: str) -> set[str]:
    return set(re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", log))


def all_targets(cwd: Path) -> list[str]:
    """The inputs of `rule all` for the working copy's config (a forced dry run lists them)."""
    out = snakemake(cwd, "--configfile", "test.yaml", "-n", "--forceall").stdout
    block = out[out.index("rule all:") :]
    return [p.strip() for p in re.search(r"input: (.*)", block).group(1).split(",")]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("real")
    info = real_copy(base / "lfm1b")
    # the default config, plus a small grid and one replicate so that the tuning and replicate rules
    # (which run on request) run on real data too
    cwd = workdir(
        base / "run",
        {
            "dataset": {"source": "lfm1b", "dir": str(base / "lfm1b")},
            "sample": REAL_SAMPLE,
            "tuning": {"grids": {"itemknn_k200": {"K": [20, 200]}}},
            "replicates": [{"cv_seed": 3}],
        },
    )
    proc = snakemake(cwd, "--configfile", "test.yaml")  # the whole default target list
    replicates = snakemake(cwd, "results/replicates.csv", "--configfile", "test.yaml")
    snakemake(cwd, "--configfile", "test.yaml", "--report", "results/report.html")
    return cwd, info, proc.stdout + proc.stderr + replicates.stdout + replicates.stderr


def test_every_output_of_rule_all_is_written(real_run):
    cwd, _, _ = real_run
    targets = all_targets(cwd)
    assert "results/diversity.csv" in targets and "results/plots/diversity.png" in targets
    assert "results/significance.csv" in targets and "results/tuning.csv" in targets
    for target in targets:
        path = cwd / target
        assert path.exists(), target
        assert any(path.iterdir()) if path.is_dir() else path.stat().st_size > 0, target
    assert not (cwd / "results/country_estimation.csv").exists()  # scored against planted truth only


def test_every_rule_ran_or_is_a_named_synthetic_only_rule(real_run):
    cwd, _, log = real_run
    rules = set(snakemake(cwd, "--configfile", "test.yaml", "--list-rules").stdout.split())
    assert SYNTHETIC_ONLY_RULES <= rules
    assert finished_rules(log) == rules - SYNTHETIC_ONLY_RULES
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Your own LFM-1b copy") :]
    for rule in SYNTHETIC_ONLY_RULES:
        assert f"`{rule}`" in section[: section.index("\n## ", 3)], rule


def test_diversity_and_cultural_say_the_truth_is_absent(real_run):
    cwd, _, _ = real_run
    d = cwd / "results"
    div = pd.read_csv(d / "diversity.csv")
    assert div["foreign_share_true"].isna().all() and (div["foreign_share_estimated"] == 1).all()
    assert "no planted artist countries" in (d / "html/diversity.html").read_text()
    cult = pd.read_csv(d / "cultural.csv", keep_default_na=False, na_values=[""])
    assert set(cult["countries"]) == {"estimated", "lift", "mixture"}  # no truth labelling
    variants = pd.read_csv(d / "cultural_variants.csv", keep_default_na=False, na_values=[""])
    assert "truth" not in set(variants["countries"]) and len(variants)
    assert "absent, the data has none" in (d / "html/cultural.html").read_text()
    report = next((d / "reports").glob("user_*.md")).read_text()
    assert "No true-country column" in report and "| true country" not in report


def test_what_real_data_holds_is_counted_as_the_readme_says(real_run):
    cwd, info, _ = real_run
    d = cwd / "results"
    summary = json.loads((d / "data/summary.json").read_text())
    users = pd.read_parquet(d / "data/users.parquet")
    artists = pd.read_parquet(d / "data/artists.parquet").set_index("artist_id")
    triples = pd.read_parquet(d / "data/triples.parquet")
    # users absent from the matrix: listed, counted, never sampled
    assert summary["users_listed"] == 64 and summary["users_in_matrix"] == 60
    assert summary["users_missing_from_matrix"] == len(info["absent_users"]) == 4
    assert not users["user_id"].isin(info["absent_users"]).any()
    # users without a country: sampled (all 60), then left out of every table
    assert summary["users_sampled"] == 60
    assert summary["users_with_country"] == 60 - info["no_country"] == sum(REAL_COUNTRY_USERS.values())
    # the user whose artists all fall outside the artist sample: no triple, dropped and counted
    assert summary["users_without_triples"] == 1 and info["outside_user"] not in set(users["user_id"])
    assert summary["users"] == len(users) == summary["users_with_country"] - 1
    table1 = pd.read_csv(d / "tables/user_countries.csv", keep_default_na=False).set_index("country")["users"]
    assert table1.sum() == len(users) and "NULL" not in table1.index and table1["FI"] == 1 == table1["JP"]
    # artists nobody in the sample played: no country (NULL in Table 2), in no list
    assert artists.loc[info["nobody"], "country"].isna().all()
    table2 = pd.read_csv(d / "tables/artist_countries.csv", keep_default_na=False).set_index("country")["artists"]
    assert table2["NULL"] == artists["country"].isna().sum() == 200 - summary["artists_with_listens"]
    assert summary["artists_with_listens"] == triples["artist_id"].nunique()
    # a tie of the argmax (one DE and one US listener, 7 plays each): the alphabetically first
    assert artists.loc[info["tie_artist"], "country"] == "DE" and artists.loc[info["tie_artist"], "plays"] == 14
    for model in ("baseline", "knn_means_k40", "als_k128"):
        lists = pd.read_parquet(d / f"recommendations/{model}.parquet")
        initial = pd.read_parquet(d / f"recommendations/{model}.initial.parquet")
        assert not lists["artist_id"].isin(info["nobody"]).any() and not initial["artist_id"].isin(info["nobody"]).any()
        assert set(lists["user_id"]) == set(users["user_id"])  # one-user countries (FI, JP) get lists too
        tie = lists[lists["artist_id"] == info["tie_artist"]]
        assert (tie["user_country"] != "DE").all()  # the tie artist counts as DE: never in a DE user's list
    # the user with one sampled artist: a test pair in one fold only, evaluated in that fold only
    folds = pd.read_parquet(d / "cv/folds.parquet")
    mine = folds["fold"].to_numpy()[(triples["user_id"] == info["single_user"]).to_numpy()[folds["row"].to_numpy()]]
    assert mine.size == 1
    evaluated = [pd.read_csv(d / f"cv/popular/fold{k}.ranking.csv") for k in range(5)]
    assert all(t.loc[t["method"] == "none", "users"].iat[0] < len(users) for k, t in enumerate(evaluated) if k != mine[0])


def test_the_report_renders_every_section_in_chromium(real_run, tmp_path):
    if not Path(CHROMIUM).exists() and not os.environ.get("LFMREC_REQUIRE_CHROMIUM"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    cwd, _, _ = real_run
    sections = report_sections(cwd / "results/report.html", tmp_path / "report.png")
    assert list(sections) == ["1. Data", "2. Cross-validation", "3. Cross-cultural lists", "4. Beyond the paper"]
    shown = {name: view for views in sections.values() for name, view in views.items()}
    for name in (
        "results/plots/diversity.png",
        "results/plots/cultural.png",
        "results/plots/tradeoff.png",
        "results/plots/metrics.png",
        "results/plots/deletions.png",
        "results/plots/ranking_metrics.png",
    ):
        assert re.fullmatch(r"png \d{3,}x\d{3,}", shown[name]), (name, shown.get(name))
    for name, view in shown.items():
        assert view, f"{name} renders nothing"
        if name.endswith(".html"):
            assert "\t" in view or "User " in view, name  # a table or a user report
    assert "no planted artist countries" in shown["results/html/diversity.html"]
    assert not any("country_estimation" in name for name in shown)


@pytest.fixture(scope="module")
def one_country_run(tmp_path_factory):
    """One user country, one model with lists (whose lists are all empty: every listened artist is
    labelled with the only country), no reference model."""
    base = tmp_path_factory.mktemp("one_country")
    real_copy(base / "lfm1b")
    users = base / "lfm1b/LFM-1b_users.txt"
    lines = users.read_text().splitlines()
    rows = [ln.split("\t") for ln in lines[1:]]
    users.write_text("\n".join([lines[0]] + ["\t".join([r[0], "US" if r[1].strip() else ""] + r[2:]) for r in rows]) + "\n")
    off = {m: None for m in yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]}
    config = {
        "dataset": {"source": "lfm1b", "dir": str(base / "lfm1b")},
        "sample": REAL_SAMPLE,
        "models": {
            **off,
            "baseline": {"algorithm": "BaselineOnly", "lists": False},
            "mf_k5": {"algorithm": "SVD", "params": {"biased": False, "n_factors": 5}},
        },
        "cv": {"n_folds": 3, "seed": 1},
        "ranking": {"references": []},
    }
    cwd = workdir(base / "run", config)
    snakemake(cwd, "--configfile", "test.yaml")
    snakemake(cwd, "--configfile", "test.yaml", "--report", "results/report.html")
    return cwd


def test_one_country_empty_lists_one_model_no_reference(one_country_run):
    d = one_country_run / "results"
    lists = pd.read_parquet(d / "recommendations/mf_k5.parquet")
    assert lists.empty
    deletions = pd.read_csv(d / "deletions.csv")
    users = pd.read_parquet(d / "data/users.parquet")
    assert deletions["model"].tolist() == ["mf_k5"]
    assert deletions["empty_lists"].iat[0] == deletions["short_lists"].iat[0] == len(users)
    assert "shorter than 10" in (d / "html/deletions.html").read_text()
    div = pd.read_csv(d / "diversity.csv")
    assert div["users"].tolist() == [0] and "No list" in (d / "html/diversity.html").read_text()
    assert "Final lists: empty for mf_k5" in (d / "html/cultural.html").read_text()
    trade = pd.read_csv(d / "tradeoff.csv")
    assert set(trade["model"]) == {"mf_k5"}
    assert trade.loc[trade["method"] == "hard", "foreign_share"].isna().all()
    assert "hard: no list in any fold for mf_k5" in (d / "html/tradeoff.html").read_text()
    assert pd.read_csv(d / "metrics.csv")["model"].unique().tolist() == ["baseline", "mf_k5"]
    report = next((d / "reports").glob("user_*.md")).read_text()
    assert "No candidate artist from another country than US: the list is empty." in report
    for png in (d / "plots").glob("*.png"):
        assert png.stat().st_size > 5_000, png
    assert (d / "report.html").stat().st_size > 0
    assert np.isfinite(pd.read_csv(d / "ranking_metrics.csv")["mean"]).all()


def test_replicates_run_the_experiment_once_per_seed_set(tmp_path):
    """Two replicates of a small experiment (rules/replicates.smk): each a nested run with its own
    seeds in results/replicates/<k>/, and results/replicates.csv their headline figures and spread."""
    off = {m: None for m in yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]}
    config = {
        "dataset": {"source": "synthetic", "synthetic": {"scale": "tiny", "seed": 3}},
        "sample": {"n_users": 200, "n_artists": 1000, "seed": 5},
        "cv": {"n_folds": 2, "seed": 1},
        "models": {
            **off,
            "baseline": {"algorithm": "BaselineOnly"},
            "itemknn_k20": {"algorithm": "ItemKNN", "params": {"K": 20}},
        },
        "replicates": [{"synthetic_seed": 3}, {"synthetic_seed": 4, "sample_seed": 6, "cv_seed": 2}],
    }
    cwd = workdir(tmp_path, config)
    snakemake(cwd, "results/replicates.csv", "--configfile", "test.yaml")
    table = pd.read_csv(cwd / "results/replicates.csv").set_index(["figure", "model"])
    for k in range(2):
        rep = cwd / f"results/replicates/{k}"
        metrics = pd.read_csv(rep / "results/metrics.csv").set_index(["metric", "model"])
        assert table.loc[("RMSE", "baseline"), f"rep_{k}"] == pytest.approx(metrics.loc[("RMSE", "baseline"), "mean"])
        # only the configured models: the ones the config dropped stay dropped in the nested run
        assert sorted(pd.read_csv(rep / "results/deletions.csv")["model"]) == ["baseline", "itemknn_k20", "popular", "random"]
    seeds = [yaml.safe_load((cwd / f"results/replicates/{k}/replicate.yaml").read_text()) for k in range(2)]
    assert [s["dataset"]["synthetic"]["seed"] for s in seeds] == [3, 4] and seeds[1]["cv"]["seed"] == 2
    row = table.loc[("ndcg@n", "itemknn_k20")]
    assert row["min"] <= row["mean"] <= row["max"] and row["rep_0"] != row["rep_1"]

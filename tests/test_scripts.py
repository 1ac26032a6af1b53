"""The workflow scripts are importable without Snakemake, and their own small functions are right."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import load_script

SCRIPTS = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "workflow" / "scripts").glob("*.py"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_imports_without_snakemake_and_has_main(name):
    module = load_script(name)
    assert callable(module.main)


def test_artist_names_are_null_without_an_artists_file():
    with_names = load_script("artist_countries").with_names

    artists = pd.DataFrame({"artist_id": [3, 1], "country": pd.array(["US", None], dtype="string"), "plays": [5, 0]})
    assert with_names(artists, None)["name"].isna().all()
    names = pd.DataFrame({"artist_id": [1, 2], "name": pd.array(["Oasis", "Enslaved"], dtype="string")})
    named = with_names(artists, names)
    assert pd.isna(named["name"].iat[0]) and named["name"].iat[1] == "Oasis"


def test_summary_figures():
    summarize = load_script("summary").summarize

    users = pd.DataFrame({"user_id": [1, 2], "country": ["US", "DE"]})
    artists = pd.DataFrame({"artist_id": [1, 2, 3, 4], "country": pd.array(["US", None, None, "DE"], dtype="string")})
    s = summarize(
        {"users_listed": 10, "users_in_matrix": 9, "users_missing_from_matrix": 1},
        {"users_sampled": 5},
        users,
        artists,
        3,
        {"source": "lfm1b", "dir": "/data/x", "files": {"LFM-1b_LEs.mat": {"bytes": 1, "mtime_ns": 2}}},
    )
    assert s == {
        "dataset": {"source": "lfm1b", "dir": "/data/x"},
        "users_listed": 10,
        "users_in_matrix": 9,
        "users_missing_from_matrix": 1,
        "users_sampled": 5,
        "users_with_country": 2,
        "users_without_triples": 0,
        "users": 2,
        "artists_sampled": 4,
        "artists_with_listens": 2,
        "triples": 3,
        "density": 3 / 8,
    }


def test_metrics_collect_reads_folds_in_order(tmp_path, monkeypatch):
    collect = load_script("metrics").collect

    monkeypatch.chdir(tmp_path)
    for k in range(3):
        p = tmp_path / f"results/cv/m/fold{k}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps({"rmse": float(k), "mae": 0.5}))
    paths = [f"results/cv/m/fold{k}.json" for k in (2, 0, 1)]
    assert [f["rmse"] for f in collect(paths, {"m": {}}, 3)["m"]] == [0.0, 1.0, 2.0]


def test_align_counts_from_the_script():
    alignment_counts = load_script("align").alignment_counts

    counts = alignment_counts(pd.DataFrame({"user_id": range(5)}), pd.DataFrame({"row": range(3)}), np.array([7, 9]))
    assert counts == {"users_listed": 5, "users_in_matrix": 3, "users_missing_from_matrix": 2, "missing_user_ids_head": [7, 9]}


def diversity_table(models, truth=True, users=38):
    rng = np.random.default_rng(0)
    cols = [
        "foreign_share_estimated",
        "foreign_share_true",
        "distinct_countries",
        "country_entropy",
        "us_share",
        "local_bias",
        "coverage",
        "mean_popularity",
        "local_bias_initial",
    ]
    t = pd.DataFrame(rng.random((len(models), len(cols))), columns=cols)
    t.insert(0, "model", models)
    t.insert(1, "method", "hard")
    t["users"] = users
    if not truth:
        t["foreign_share_true"] = np.nan
    return t


def test_diversity_plot_without_planted_truth_says_so(tmp_path):
    """A real copy has no planted truth: 7 panels in a grid of 8 axes (crashed at 39d231b)."""
    div = load_script("diversity")
    table = diversity_table(["a", "b", "c"], truth=False)
    notes = div.absent_notes(table, has_truth=False)
    assert len(notes) == 1 and notes[0].startswith("foreign_share_true: empty, the data has no planted")
    div.plot(table, tmp_path / "d.png", notes)
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert div.absent_notes(diversity_table(["a"]), has_truth=True) == []


def test_diversity_of_models_without_lists(tmp_path):
    div = load_script("diversity")
    table = diversity_table(["a", "b"], truth=False, users=0)
    table.loc[:, "foreign_share_estimated":"mean_popularity"] = np.nan  # what diversity() gives an empty list
    notes = div.absent_notes(table, has_truth=False)
    assert notes[1] == "No list (no user has a candidate from another country): a, b; their measures are empty."
    div.plot(table, tmp_path / "d.png", notes)  # only local_bias_initial has values
    table["local_bias_initial"] = np.nan
    div.plot(table, tmp_path / "e.png", notes)  # nothing to plot: a figure that says why
    assert (tmp_path / "e.png").stat().st_size > 1000


def test_deletion_summary_counts_short_and_empty_lists():
    from lfmrec.recommend import deletion_notes, deletion_summary

    per_user = pd.DataFrame({"user_id": [1, 2, 3, 4], "deletions": [0, 3, 10, 1], "list_length": [10, 4, 0, 10]})
    row = deletion_summary("m", per_user, 10)
    assert row == {
        "model": "m",
        "users": 4,
        "deletions": 14,
        "users_with_deletions": 3,
        "mean_per_user": 3.5,
        "short_lists": 2,
        "empty_lists": 1,
    }
    assert deletion_notes(pd.DataFrame([row]), 10) == [
        "Final lists shorter than 10 (too few candidate artists from other countries), users per model: m 2 (1 empty). "
        "Deletions are counted in the initial top 10 all the same."
    ]
    assert deletion_notes(pd.DataFrame([deletion_summary("m", per_user.assign(list_length=10), 10)]), 10) == []


def test_tradeoff_notes_name_the_methods_without_lists():
    from lfmrec.heldout import tradeoff_notes

    t = pd.DataFrame(
        {"model": ["a", "a", "b", "b"], "method": ["none", "hard", "none", "hard"], "foreign_share": [0.2, np.nan, 0.3, 1.0]}
    )
    assert tradeoff_notes(t) == [
        "hard: no list in any fold for a (no candidate artist from another country), so "
        "foreign share and cultural distance are empty and the accuracy is 0."
    ]


def test_cultural_notes_without_truth_and_with_empty_lists():
    cultural = load_script("cultural")
    t = pd.DataFrame(
        {
            "model": ["a", "b", "a"],
            "countries": "estimated",
            "user_country": ["all", "all", "US"],
            "us_share_final": [np.nan, 0.5, np.nan],
        }
    )
    notes = cultural.absent_notes(t, has_truth=False)
    assert notes[0].startswith("Countries = truth (planted home countries): absent")
    assert notes[1].startswith("Final lists: empty for a (no user has")
    assert cultural.absent_notes(t.assign(us_share_final=0.1), has_truth=True) == []

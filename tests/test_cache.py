"""The cache never serves results of other inputs, and a config change reruns only what it feeds.

Through the real workflow on tiny data: switching datasets in one workspace (synthetic -> an LFM-1b
copy -> synthetic with another seed -> back) gives exactly what a clean run of each config gives;
dry runs after a change of countries.*, rerank.*, ranking.n, report.*, recommend.n or a model's
`lists` plan no cross_validate or fit_full job; every result file follows the umask.
"""

import os
import shutil
import stat

import pytest
import yaml
from helpers import TINY, assert_same_results, clone_run, job_counts, raw_dataset, snakemake, workdir

pytestmark = pytest.mark.slow

# One model and two folds: the data -> phase 1 -> phase 2 chain of every dataset in a few seconds.
SMALL = {
    **TINY,
    "cv": {"n_folds": 2, "seed": 2},
    "models": {name: None for name in TINY["models"]} | {"baseline": {"algorithm": "BaselineOnly"}},
}
TARGETS = ["results/data/summary.json", "results/tables/artist_countries.csv", "results/metrics.csv"]


def run(cwd, config):
    (cwd / "test.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return snakemake(cwd, *TARGETS, "--configfile", "test.yaml")


def clean_run(tmp_path, name, config):
    cwd = workdir(tmp_path / name)
    run(cwd, config)
    return cwd


def test_switching_datasets_gives_what_a_clean_run_gives(tmp_path):
    raw = raw_dataset(tmp_path / "lfm1b")
    configs = {
        "synthetic_3": SMALL,
        "lfm1b": {
            **SMALL,
            "dataset": {"source": "lfm1b", "dir": str(raw)},
            "sample": {"n_users": 40, "n_artists": 50, "seed": 1},
        },
        "synthetic_4": {**SMALL, "dataset": {"source": "synthetic", "synthetic": {"scale": "tiny", "seed": 4}}},
    }
    ws = workdir(tmp_path / "workspace")
    run(ws, configs["synthetic_3"])
    first = tmp_path / "first_results"
    shutil.copytree(ws / "results", first)
    # a synthetic-only output of the full run must not survive the switch to a real copy
    (ws / "results/country_estimation.csv").write_text("stale\n")
    for name in ("lfm1b", "synthetic_4"):
        run(ws, configs[name])
        clean = clean_run(tmp_path, f"clean_{name}", configs[name])
        # the raw files generated for the synthetic runs stay in results/synthetic/: inputs, not results
        assert_same_results(clean / "results", ws / "results", ignore=("synthetic",) if name == "lfm1b" else ())
        summary = (ws / "results/data/summary.json").read_text()
        assert ('"source": "lfm1b"' in summary) == (name == "lfm1b")
        if name == "lfm1b":
            assert not (ws / "results/country_estimation.csv").exists()
            # an edited raw file (same folder, same name) reruns everything made from it
            users = raw / "LFM-1b_users.txt"
            lines = users.read_text().splitlines()
            users.write_text("\n".join(lines[:1] + [line.replace("\tUS\t", "\tFR\t") for line in lines[1:]]) + "\n")
            counts = job_counts(snakemake(ws, "-n", *TARGETS, "--configfile", "test.yaml").stdout)
            assert counts["align"] == 1 and counts["cross_validate"] == 1, counts
            run(ws, configs[name])
            assert "FR," in (ws / "results/tables/user_countries.csv").read_text()
    run(ws, configs["synthetic_3"])
    assert_same_results(first, ws / "results")


CHANGES = {
    "countries.estimator": {"countries": {"estimator": "lift", "source": "sample", "min_support": 2, "shrinkage": 10.0}},
    "countries.source": {"countries": {"estimator": "argmax", "source": "all", "min_support": 2, "shrinkage": 10.0}},
    "rerank.method": {"rerank": {"method": "soft", "lambda": 1.0}},
    "rerank.sweep": {"rerank": {"sweep": {"soft": [0.0, 1.0], "calibrated": [0.5]}}},
    "ranking.n": {"ranking": {"n": 5}},
    "report.min_plays": {"report": {"users": [], "min_plays": 10}},
    "recommend.n": {"recommend": {"n": 5, "block_users": 512}},
    "recommend.min_listeners": {"recommend": {"min_listeners": 2}},
    # merged into the model's entry: the model is cross-validated only, its fits are kept
    "models.lists": {"models": {"knn_means_k10": {"lists": False}}},
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_reruns_only_what_it_feeds(tiny_run, tmp_path, change):
    cwd = clone_run(tiny_run, tmp_path / "clone")
    (cwd / "change.yaml").write_text(yaml.safe_dump(CHANGES[change]))
    assert "Nothing to be done" in snakemake(cwd, "-n", "--configfile", "test.yaml").stdout
    counts = job_counts(snakemake(cwd, "-n", "--configfile", "test.yaml", "change.yaml").stdout)
    assert "cross_validate" not in counts and "fit_full" not in counts, counts
    assert counts == EXPECTED[change], counts


N_MODELS = 6  # tests/helpers.py TINY
_RANK = {
    "rank_model": N_MODELS,
    "rank_reference": 2,
    "ranking_metrics": 1,
    "plot_ranking": 1,
    "plot_tradeoff": 1,
    "significance": 1,
}
_LISTS = {
    "recommend": N_MODELS,
    "recommend_reference": 2,
    "deletions": 1,
    "user_reports": 1,
    "diversity": 1,
    "cultural": 1,
    "cultural_variants": 1,
    "paper_comparison": 1,
}
EXPECTED = {
    # the held-out evaluation's countries are each fold's own (fold_countries), from the same estimator and source
    "countries.estimator": {
        "all": 1,
        "artist_countries": 1,
        "country_tables": 1,
        "summary": 1,
        "fold_countries": 1,
        "cultural_inputs": 1,
        **_LISTS,
        **_RANK,
    },
    "countries.source": {
        "all": 1,
        "artist_countries": 1,
        "country_tables": 1,
        "summary": 1,
        "country_similarity": 1,
        "fold_countries": 1,
        "cultural_inputs": 1,
        **_LISTS,
        **_RANK,
    },
    "rerank.method": {"all": 1, **_LISTS},
    "rerank.sweep": {"all": 1, **_RANK},
    "ranking.n": {"all": 1, **_RANK},
    "report.min_plays": {"all": 1, "user_reports": 1},
    "recommend.n": {"all": 1, "cultural_inputs": 1, **_LISTS},
    "recommend.min_listeners": {"all": 1, **_LISTS, **_RANK},
    # the tables over the models' lists and rankings, without the model's: nothing is refitted or rescored
    "models.lists": {
        "all": 1,
        **{
            k: v
            for k, v in {**_LISTS, **_RANK}.items()
            if k not in ("recommend", "recommend_reference", "rank_model", "rank_reference")
        },
    },
}


def test_result_files_follow_the_umask(tiny_run):
    mask = os.umask(0)
    os.umask(mask)
    expected = 0o666 & ~mask
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (tiny_run / "results").rglob("*") if p.is_file()}
    assert len(modes) > 100
    wrong = {str(p.relative_to(tiny_run)): oct(m) for p, m in modes.items() if m & 0o666 != expected}
    assert not wrong

"""The sensitivity experiment: variant configs, the findings read from a variant's result files
(worked by hand), and the table of which claims hold in which variants."""

from __future__ import annotations

import pandas as pd
import pytest

from lfmrec.config import check_process
from lfmrec.errors import InputError
from lfmrec.sensitivity import findings, sensitivity_table, variant_config


def write(folder, name, rows):
    path = folder / "results" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)


def variant_folder(tmp_path, *, tau=1.0, mixture=0.57, ndcg_als=0.25, soft_distance=0.34):
    """A variant's result files with the columns the workflow writes, values chosen by hand."""
    f = tmp_path
    write(f, "paper_agreement.csv", [{"measure": "RMSE", "models": 7, "kendall_tau": tau, "p_value": 0.01}])
    write(
        f,
        "country_estimation.csv",
        [
            {"estimator": e, "source": s, "scope": "all", "accuracy": a}
            for e, a in (("argmax", 0.50), ("lift", 0.54), ("mixture", mixture), ("top3", 0.99))
            for s in ("sample", "all")
        ]
        + [{"estimator": "argmax", "source": "sample", "scope": "US", "accuracy": 0.9}],
    )
    write(
        f,
        "intervals.csv",
        [
            {"model": m, "metric": "ndcg@n", "mean": v}
            for m, v in (("als", ndcg_als), ("mf", 0.04), ("popular", 0.23), ("random", 0.001))
        ]
        + [{"model": "als", "metric": "recall@n", "mean": 0.9}],
    )
    write(
        f,
        "cultural.csv",
        [
            {"model": m, "countries": c, "user_country": u, "local_bias_initial": lb, "us_share_final": us}
            for m, lb, us in (
                ("als", -0.24, 0.52),
                ("mf", -0.35, 0.44),
                ("popular", -0.34, 0.48),
                ("random", -0.40, 0.15),
                ("history_sample", 0.0, 0.41),
            )
            for c, u in (("estimated", "all"), ("truth", "all"), ("estimated", "RU"))
        ],
    )
    write(
        f,
        "tradeoff.csv",
        [
            {"model": "als", "method": "none", "lambda": 0.0, "ndcg": 0.28, "cultural_distance": 0.25},
            {"model": "als", "method": "hard", "lambda": 0.0, "ndcg": 0.20, "cultural_distance": 0.35},
            {"model": "als", "method": "soft", "lambda": 1.0, "ndcg": 0.26, "cultural_distance": 0.30},
            {"model": "als", "method": "soft", "lambda": 5.0, "ndcg": 0.21, "cultural_distance": soft_distance},
            {"model": "als", "method": "soft", "lambda": 9.0, "ndcg": 0.19, "cultural_distance": 0.80},
            {"model": "popular", "method": "hard", "lambda": 0.0, "ndcg": 0.1, "cultural_distance": 0.3},
            {"model": "popular", "method": "soft", "lambda": 1.0, "ndcg": 0.2, "cultural_distance": 0.9},
        ],
    )
    return f


def test_findings_by_hand(tmp_path):
    got = findings(variant_folder(tmp_path, soft_distance=0.40)).set_index(["finding", "model"])
    assert got.loc[("rmse_order", ""), "value"] == 1.0 and got.loc[("rmse_order", ""), "holds"]
    assert got.loc[("estimator_gain", "mixture"), "value"] == pytest.approx(0.07)
    assert got.loc[("estimator_gain", "mixture"), "detail"] == "mixture 0.570 > lift 0.540 > argmax 0.500"
    assert got.loc[("mixture_best", "mixture"), "value"] == pytest.approx(0.03)
    assert got.loc[("ndcg_vs_popular", "als"), "value"] == pytest.approx(0.02) and got.loc[("ndcg_vs_popular", "als"), "holds"]
    assert not got.loc[("ndcg_vs_popular", "mf"), "holds"]
    assert ("ndcg_vs_popular", "random") not in got.index  # references are not findings
    assert got.loc[("local_bias", "als"), "value"] == -0.24 and got.loc[("local_bias", "als"), "holds"]
    assert got.loc[("local_bias_vs_popular", "als"), "value"] == pytest.approx(0.10)
    assert not got.loc[("local_bias_vs_popular", "mf"), "holds"]  # -0.35 < -0.34
    assert (
        got.loc[("us_share_vs_popular", "mf"), "value"] == pytest.approx(-0.04)
        and got.loc[("us_share_vs_popular", "mf"), "holds"]
    )
    assert not got.loc[("us_share_vs_popular", "als"), "holds"]
    # soft lambdas 1 and 5 keep the hard rule's NDCG 0.20 (9 does not); the larger distance is 0.40
    assert got.loc[("soft_vs_hard", "als"), "value"] == pytest.approx(0.05)
    assert got.loc[("soft_vs_hard", "als"), "detail"] == "lambda 5"
    assert ("soft_vs_hard", "popular") not in got.index


def test_the_table_says_which_claims_hold_everywhere(tmp_path):
    calibrated = findings(variant_folder(tmp_path / "a"))
    other = findings(variant_folder(tmp_path / "b", tau=0.81, mixture=0.53, ndcg_als=0.20))
    t = sensitivity_table({"calibrated": calibrated, "other": other}).set_index(["finding", "model"])
    assert t.loc[("rmse_order", ""), "verdict"] == "depends on the generator"
    assert t.loc[("rmse_order", ""), "other"] == 0.81 and not t.loc[("rmse_order", ""), "other_holds"]
    assert t.loc[("mixture_best", "mixture"), "verdict"] == "depends on the generator"  # lift 0.54 wins in "other"
    assert t.loc[("local_bias", "als"), "verdict"] == "robust" and t.loc[("local_bias", "als"), "holds_in"] == 2
    assert t.loc[("ndcg_vs_popular", "als"), "verdict"] == "depends on the generator"
    assert t.loc[("ndcg_vs_popular", "mf"), "verdict"] == "not supported"
    assert t.loc[("soft_vs_hard", "als"), "verdict"] == "not supported"  # 0.34 at best against the hard rule's 0.35
    assert list(t.columns[:1]) == ["claim"]


def test_variant_config_sets_the_process_and_keeps_the_seeds():
    config = {
        "dataset": {"source": "synthetic", "synthetic": {"scale": "default", "seed": 1}},
        "sample": {"seed": 42},
        "cv": {"seed": 42},
        "model_seed": 0,
        "ranking": {"seed": 0},
        "models": {"a": {"algorithm": "SVD"}},
        "replicates": [{"synthetic_seed": 3}],
        "sensitivity": [{"name": "x", "process": {"proximity": 0.0}}],
    }
    out = variant_config(config, {"name": "x", "process": {"proximity": 0.0}, "seeds": {"sample_seed": 7}}, ["b"])
    assert out["dataset"]["synthetic"] == {"scale": "default", "seed": 1, "process": {"proximity": 0.0}}
    assert out["sample"]["seed"] == 7 and out["replicates"] == [] and out["sensitivity"] == []
    assert out["models"] == {"b": None, "a": {"algorithm": "SVD"}}
    assert config["dataset"]["synthetic"] == {"scale": "default", "seed": 1}  # not changed in place


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"sensitivity": [{"name": "a"}, {"name": "a"}]}, r"config sensitivity\[1\].name: 'a' is used twice"),
        (
            {"sensitivity": [{"name": "a", "process": {"noise": 1}}]},
            r"config sensitivity\[0\].process.noise: is not a process setting",
        ),
        (
            {"dataset": {"source": "lfm1b", "synthetic": {"process": {}}}, "sensitivity": [{"name": "a"}]},
            r"config sensitivity: varies the synthetic generator",
        ),
        (
            {"dataset": {"source": "synthetic", "synthetic": {"process": {"proximity": 1.5}}}},
            r"dataset.synthetic.process.proximity: is 1.5",
        ),
    ],
)
def test_process_config_errors(bad, message):
    config = {"dataset": {"source": "synthetic", "synthetic": {"process": {}}}, "sensitivity": [], **bad}
    with pytest.raises(InputError, match=message):
        check_process(config)


def test_the_page_shows_the_verdict_first_and_a_cell_per_variant(tmp_path):
    from helpers import load_script

    page_table = load_script("sensitivity_table").page_table
    t = sensitivity_table({"a": findings(variant_folder(tmp_path / "a")), "b": findings(variant_folder(tmp_path / "b", tau=0.5))})
    page = page_table(t, ["a", "b"]).set_index(["finding", "model"])
    assert list(page.columns) == ["claim", "verdict", "holds in", "a", "b"]
    assert page.loc[("rmse_order", ""), "a"] == "1.000 yes" and page.loc[("rmse_order", ""), "b"] == "0.500 no"
    assert page.loc[("rmse_order", ""), "holds in"] == "1 of 2"

"""lfmrec.models: the model registry (config entries -> algorithms), its checks and the parameter descriptions."""

from pathlib import Path

import pytest
import yaml
from surprise import SVD, BaselineOnly, KNNBasic, KNNWithMeans

from lfmrec.config import check_config, load_schema
from lfmrec.errors import InputError
from lfmrec.models import build_algorithm, describe_params, list_groups, similarity_groups

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(ROOT / "config/schema.yaml")
BASE_CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text())


def test_registry_builds_the_paper_models():
    assert isinstance(build_algorithm({"algorithm": "BaselineOnly"}, 0), BaselineOnly)
    svd = build_algorithm({"algorithm": "SVD", "params": {"biased": False, "n_factors": 20}}, 3)
    assert isinstance(svd, SVD) and svd.biased is False and svd.n_factors == 20 and svd.random_state == 3
    assert isinstance(build_algorithm({"algorithm": "KNNBasic", "params": {"k": 40}}, 0), KNNBasic)
    knn = build_algorithm({"algorithm": "KNNWithMeans", "params": {"k": 50}}, 0)
    assert isinstance(knn, KNNWithMeans) and knn.k == 50 and knn.sim_options["user_based"] is True
    assert (
        describe_params({"algorithm": "SVD", "params": {"n_factors": 20, "lr_all": 0.005, "reg_all": 0.02}})
        == "SVD: biased, k=20, lr=0.005, reg=0.02, epochs=20"
    )
    assert (
        describe_params({"algorithm": "SVD", "engine": "native", "params": {"biased": False, "init_std_dev": 0.2}})
        == "SVD: unbiased, k=100, lr=0.005, reg=0.02, epochs=20, init_std_dev=0.2, engine=native"
    )
    assert describe_params({"algorithm": "KNNWithMeans", "params": {"k": 30}}) == "KNNWithMeans: k=30, sim=msd"
    assert (
        describe_params(
            {"algorithm": "KNNBasic", "params": {"k": 30, "min_k": 2, "sim_options": {"name": "msd", "min_support": 3}}}
        )
        == "KNNBasic: k=30, sim=msd, min_support=3, min_k=2"
    )


def test_metrics_params_tell_every_configured_model_apart():
    models = BASE_CONFIG["models"]
    texts = {name: describe_params(spec) for name, spec in models.items()}
    assert len(set(texts.values())) == len(texts), texts
    assert texts["mf_k100"].startswith("SVD: unbiased, k=100") and texts["svd_k100"].startswith("SVD: biased, k=100")


@pytest.mark.parametrize(
    "models, message",
    [
        (
            {"m": {"algorithm": "SlopeOne"}},
            "config models.m.algorithm: 'SlopeOne' is not valid (fix: use one of BaselineOnly, SVD, KNNBasic, KNNWithMeans, ItemKNN, ALS, EASE)",
        ),
        (
            {"m": {"algorithm": "SVD", "params": {"n_factor": 5}}},
            "config models.m.params.n_factor: is not a known key (fix: did you mean 'n_factors'?)",
        ),
        (
            {"m": {"algorithm": "SVD", "params": {"n_factors": 0}}},
            "config models.m.params.n_factors: 0 is less than the minimum of 1",
        ),
        (
            {"m": {"algorithm": "SVD", "params": {"reg_all": -0.1}}},
            "config models.m.params.reg_all: -0.1 is less than the minimum of 0",
        ),
        ({"m": {"algorithm": "SVD", "params": {"k": 5}}}, "config models.m.params.k: is not a known key"),
        ({"m": {"algorithm": "KNNBasic", "params": {"k": 0}}}, "config models.m.params.k: 0 is less than the minimum of 1"),
        ({"m": {"algorithm": "KNNBasic", "params": {"k": 2.5}}}, "config models.m.params.k: 2.5 is not of type 'integer'"),
        (
            {"m": {"algorithm": "KNNBasic", "params": {"sim_options": {"name": "jaccard"}}}},
            "config models.m.params.sim_options.name: 'jaccard' is not valid (fix: use one of msd, cosine, pearson, pearson_baseline)",
        ),
        (
            {"m": {"algorithm": "KNNWithMeans", "params": {"sim_options": {"user_based": False}}}},
            "config models.m.params.sim_options.user_based: True was expected (expected: the pipeline scores user-based kNN only)",
        ),
        (
            {"m": {"algorithm": "BaselineOnly", "params": {"bsl_options": {"reg_u": -1}}}},
            "config models.m.params.bsl_options.reg_u: -1 is less than the minimum of 0",
        ),
        (
            {"m": {"algorithm": "BaselineOnly", "params": {"bsl_options": {"regu": 1}}}},
            "config models.m.params.bsl_options.regu: is not a known key (fix: did you mean 'reg_u'?)",
        ),
        ({"m": None}, "config models: is empty"),
        ({"m": {"algorithm": "SVD", "lists": "no"}}, "config models.m.lists: 'no' is not of type 'boolean'"),
        ({"m": {"algorithm": "SVD", "lists": False}}, "config models: has lists: false on every model, so no list would be made"),
        (
            {"m": {"algorithm": "SVD"}, "t": {"algorithm": "ALS", "lists": False}},
            "config models.t.lists: is false, but ALS predicts no ratings (no RMSE/MAE): it would have no output",
        ),
    ],
)
def test_registry_rejects_bad_config(models, message):
    with pytest.raises(InputError) as err:
        check_config({**BASE_CONFIG, "models": models}, SCHEMA)
    assert str(err.value).startswith(message), str(err.value)


def test_list_groups_join_the_list_models_of_one_similarity_and_k():
    msd = {"name": "msd", "user_based": True}
    models = {
        "basic40": {"algorithm": "KNNBasic", "engine": "native", "params": {"k": 40, "sim_options": msd}},
        "means40": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"k": 40}},
        "means_default": {"algorithm": "KNNWithMeans", "engine": "native"},  # k 40 by default
        "means20": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"k": 20}},
        "means30": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"k": 30}},
        "means30b": {"algorithm": "KNNWithMeans", "engine": "native", "params": {"k": 30}},
        "svd": {"algorithm": "SVD", "engine": "native"},
    }
    groups = similarity_groups(models)
    listed = ["basic40", "means40", "means_default", "means20", "means30", "svd"]  # means30b: lists false
    assert list_groups(models, groups, listed) == {"knn_msd_k40": ["basic40", "means40", "means_default"]}
    assert list_groups(models, groups, ["basic40", "means20"]) == {}
    assert list_groups(models, groups, [*listed, "means30b"])["knn_msd_k30"] == ["means30", "means30b"]

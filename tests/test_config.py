"""The config checks of lfmrec.config: the schema's defaults are filled in once, there."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from lfmrec.config import check_config, dataset_identity, load_schema
from lfmrec.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(ROOT / "config/schema.yaml")
BASE_CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text())


def test_the_schema_defaults_are_filled_in():
    config = copy.deepcopy(BASE_CONFIG)
    del config["dataset"]["synthetic"]
    del config["dataset"]["dir"]
    config["models"] = {"b": {"algorithm": "BaselineOnly", "engine": "native"}}
    out = check_config(config, SCHEMA)
    assert out["dataset"]["synthetic"] == {"scale": "default", "seed": 1, "process": {}}
    assert out["dataset"]["dir"] is None
    assert out["recommend"]["threads"] == 1
    assert out["models"]["b"]["lists"] is True
    # what the user wrote stays
    config = copy.deepcopy(BASE_CONFIG)
    config["dataset"]["synthetic"] = {"scale": "tiny", "process": {"proximity": 0.0}}
    config["models"]["mf_k20"]["lists"] = False
    out = check_config(config, SCHEMA)
    assert out["dataset"]["synthetic"] == {"scale": "tiny", "seed": 1, "process": {"proximity": 0.0}}
    assert out["models"]["mf_k20"]["lists"] is False


def test_the_data_identity_names_another_process_only():
    config = check_config(copy.deepcopy(BASE_CONFIG), SCHEMA)
    assert dataset_identity(config["dataset"]) == '{"scale": "default", "seed": 1, "source": "synthetic"}'
    config["dataset"]["synthetic"]["process"] = {"proximity": 0.0}
    assert '"process": {"proximity": 0.0}' in dataset_identity(config["dataset"])


def test_the_configuration_reference_is_current():
    """docs/configuration.md is what lfmrec.config_reference makes of the schema and config.yaml."""
    from lfmrec import config_reference

    assert (ROOT / "docs/configuration.md").read_text() == config_reference.current(), (
        "docs/configuration.md is not current: run python -m lfmrec.config_reference"
    )
    text = config_reference.current()
    for key in ("dataset.synthetic.process.proximity", "models.<name>.lists", "recommend.threads", "sensitivity.[].name"):
        assert f"| `{key}` |" in text, key
    assert "| `recommend.threads` | integer >= 1 | `1` |" in text  # the schema's default
    assert "| `dataset.synthetic.process.noise_sd` | number >= 0 | `1.8` |" in text  # the code's default


# Bad configs and their one-line messages (the workflow prints "Invalid " before them; a workflow
# test, tests/test_workflow.py, checks one case of each kind through Snakemake).
BAD_CONFIGS = [
    (
        {"models": {"bad": {"algorithm": "KNNBasic", "params": {"k": 0}}}},
        "config models.bad.params.k: 0 is less than the minimum of 1",
    ),
    (
        {"models": {"bad": {"algorithm": "Magic"}}},
        "config models.bad.algorithm: 'Magic' is not valid (fix: use one of BaselineOnly, SVD, KNNBasic, KNNWithMeans, ItemKNN, ALS, EASE)",
    ),
    (
        {"models": {"bad": {"algorithm": "EASE", "params": {"reg": 0}}}},
        "config models.bad.params.reg: 0 is less than or equal to the minimum of 0",
    ),
    (
        {"models": {"bad": {"algorithm": "ALS", "engine": "native"}}},
        "config models.bad.engine: does not apply to ALS (fix: remove the key: ALS is fitted by implicit)",
    ),
    ({"sampel": {"n_users": 10}}, "config sampel: is not a known key (fix: did you mean 'sample'?)"),
    (
        {"ranking": {"n": 10, "users": "all", "seed": 0, "referencs": []}},
        "config ranking.referencs: is not a known key (fix: did you mean 'references'?)",
    ),
    ({"cv": {"n_folds": 1, "seed": 1}}, "config cv.n_folds: 1 is less than the minimum of 2"),
    (
        {"sample": {"n_users": 0, "n_artists": 10, "seed": 1}},
        "config sample.n_users: 0 is less than the minimum of 1 (expected: Users drawn",
    ),
    ({"dataset": {"source": "lfm1b", "dir": None}}, "config dataset.dir: is empty but dataset.source is lfm1b"),
    (
        {"dataset": {"source": "lfm1b", "dir": "/data/does-not-exist"}},
        "config dataset.dir /data/does-not-exist: does not exist or is not a folder",
    ),
]


@pytest.mark.parametrize("override, message", BAD_CONFIGS)
def test_bad_config_is_one_line_naming_the_key(override, message):
    config = copy.deepcopy(BASE_CONFIG)
    update_config(config, copy.deepcopy(override))  # Snakemake's merge of a --configfile
    with pytest.raises(InputError) as err:
        check_config(config, SCHEMA)
    text = str(err.value)
    assert message in text and "\n" not in text
    assert "additionalProperties" not in text and "$schema" not in text  # no schema dump

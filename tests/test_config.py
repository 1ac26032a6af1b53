"""The config checks of lfmrec.config: the schema's defaults are filled in once, there."""

import copy
from pathlib import Path

import yaml

from lfmrec.config import check_config, dataset_identity, load_schema

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

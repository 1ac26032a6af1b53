"""The workflow's configuration: checked before any job runs, with errors of one short line.

:func:`check_config` validates the merged config against ``config/schema.yaml`` (JSON Schema) and
the model registry, and turns the first problem into an :class:`InputError` that names the key, what
is wrong and the nearest valid choice: never a schema dump. :func:`dataset_identity` is what every
job that reads the raw files depends on, so that results made from one dataset are never served
for another.
"""

from __future__ import annotations

import copy
import difflib
import json
from pathlib import Path

import jsonschema
import yaml

from .errors import InputError
from .models import validate_models

RAW_REQUIRED = ("LFM-1b_LEs.mat", "LFM-1b_users.txt")
RAW_OPTIONAL = ("LFM-1b_artists.txt",)


def _key(path) -> str:
    return "config " + ".".join(str(p) for p in path) if path else "config"


def _nearest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(sorted(map(str, choices)))}"


def _schema_message(err: jsonschema.ValidationError) -> InputError:
    """One line for a JSON Schema violation."""
    path = list(err.absolute_path)
    if err.validator == "additionalProperties":
        allowed = err.schema.get("properties", {})
        extra = sorted(k for k in err.instance if k not in allowed)
        if allowed:
            return InputError(_key(path + extra[:1]), "is not a known key", _nearest(extra[0], allowed))
        return InputError(_key(path + extra[:1]), "is not a known key")
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return InputError(_key(path + [missing]), "is missing", "add it (config/config.yaml has every key with a comment)")
    if err.validator == "enum":
        return InputError(_key(path), f"{err.instance!r} is not valid", f"use one of {', '.join(map(str, err.validator_value))}")
    if err.validator == "propertyNames":
        return InputError(_key(path), f"name {err.instance!r} is not allowed", "use letters, digits and _ only")
    what = err.schema.get("description")
    if not what and err.parent is not None:
        what = err.parent.schema.get("description")
    text = err.message if len(err.message) < 120 else f"{err.instance!r} is not valid"
    return InputError(_key(path), f"{text} (expected: {what.rstrip('.')})" if what else text)


def load_schema(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def _filling_defaults(cls):
    """``cls`` (a jsonschema validator class) that also writes each missing property's ``default``
    into the instance as it validates it (then validates the default too), as Snakemake's
    ``validate(..., set_default=True)`` does: the schema is the one place defaults are typed."""
    validate_properties = cls.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if validator.is_type(instance, "object"):
            for name, sub in props.items():
                if isinstance(sub, dict) and "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, props, instance, schema)

    return jsonschema.validators.extend(cls, {"properties": properties})


_Validator = _filling_defaults(jsonschema.Draft202012Validator)


def check_schema(config: dict, schema: dict) -> None:
    """Raise :class:`InputError` for the most relevant JSON Schema violation of ``config``; fill in
    the schema's defaults of the keys ``config`` leaves out."""
    validator = _Validator(schema)
    best = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if best is not None:
        # best_match descends into oneOf/anyOf; report where the user wrote the value.
        raise _schema_message(best)


def check_config(config: dict, schema: dict) -> dict:
    """Validate ``config``; return it with models set to null dropped. Raises :class:`InputError`."""
    check_schema(config, schema)
    config["models"] = {name: spec for name, spec in config["models"].items() if spec is not None}
    validate_models(config["models"])
    clash = sorted(set(config["models"]) & set(config["ranking"]["references"]))
    if clash:
        raise InputError(f"config models.{clash[0]}", "has the name of a reference model", "rename it")
    if config["rerank"]["method"] == "calibrated" and config["rerank"]["lambda"] > 1:
        raise InputError("config rerank.lambda", f"is {config['rerank']['lambda']}, calibrated needs 0..1")
    if config["dataset"]["source"] == "lfm1b":
        check_raw_dir(config["dataset"].get("dir"))
    check_process(config)
    return config


def check_process(config: dict) -> None:
    """The generator settings: ``dataset.synthetic.process`` and each sensitivity variant's (known
    keys, numbers in range), variant names unique, variants only on synthetic data."""
    from .synthetic import Process

    Process.from_config(config["dataset"]["synthetic"]["process"])
    variants = config.get("sensitivity") or []
    if variants and config["dataset"]["source"] != "synthetic":
        raise InputError(
            "config sensitivity",
            f"varies the synthetic generator but dataset.source is {config['dataset']['source']}",
            "use sensitivity: [] with your own data",
        )
    seen = set()
    for k, variant in enumerate(variants):
        if variant["name"] in seen:
            raise InputError(f"config sensitivity[{k}].name", f"{variant['name']!r} is used twice", "name each variant once")
        seen.add(variant["name"])
        Process.from_config(variant.get("process"), where=f"config sensitivity[{k}].process")


def check_raw_dir(folder) -> Path:
    """The folder of a real LFM-1b copy, resolved; InputError if it or a required file is missing."""
    if not folder:
        raise InputError(
            "config dataset.dir", "is empty but dataset.source is lfm1b", "set it to the folder holding LFM-1b_LEs.mat"
        )
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise InputError(f"config dataset.dir {folder}", "does not exist or is not a folder", "point it at your LFM-1b copy")
    for name in RAW_REQUIRED:
        if not (path / name).is_file():
            raise InputError(f"{path / name}", "is missing", f"dataset.dir must hold {' and '.join(RAW_REQUIRED)}")
    return path


def raw_dir(dataset: dict) -> str:
    """Where the raw LFM-1b files are read from: the generated ones, or the user's copy."""
    if dataset["source"] == "synthetic":
        return "results/synthetic"
    return str(Path(dataset["dir"]).expanduser().resolve())


def dataset_identity(dataset: dict) -> str:
    """What the data is, as one stable text: a job parameter of every rule that reads raw files.

    Synthetic data: scale, seed and the process settings if any (the generator is deterministic). A real copy: its resolved folder
    and, per raw file, size and modification time, so that another folder, a replaced file or an
    edited one reruns everything made from it.
    """
    if dataset["source"] == "synthetic":
        synthetic = dataset["synthetic"]
        ident = {"source": "synthetic", "scale": synthetic["scale"], "seed": synthetic["seed"]}
        if synthetic["process"]:  # another generator process is other data
            ident["process"] = synthetic["process"]
    else:
        folder = check_raw_dir(dataset.get("dir"))
        files = {}
        for name in RAW_REQUIRED + RAW_OPTIONAL:
            if (folder / name).is_file():
                stat = (folder / name).stat()
                files[name] = {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        ident = {"source": "lfm1b", "dir": str(folder), "files": files}
    return json.dumps(ident, sort_keys=True)

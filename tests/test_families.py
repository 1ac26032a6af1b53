"""The model families (lfmrec.families): the registry, the interface, and the worked example of
docs/models.md (a new family added in one module plus its schema entry) run as written."""

from __future__ import annotations

import re
import sys
import types

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import ROOT

from lfmrec import families
from lfmrec.config import check_config, load_schema
from lfmrec.cv import run_fold
from lfmrec.families.base import ScoringParams
from lfmrec.models import describe_params, engine_of, is_topn
from lfmrec.resources import fit_job_mb, fit_job_seconds, scoring_job_seconds
from lfmrec.scoring import iter_score_blocks, score_pairs

DOC = ROOT / "docs/models.md"


def test_the_registry_holds_the_schemas_algorithms_and_one_class_per_kind():
    schema = load_schema(ROOT / "config/schema.yaml")
    enum = schema["properties"]["models"]["additionalProperties"]["properties"]["algorithm"]["enum"]
    assert families.algorithms() == tuple(enum)
    assert families.kinds() == ("baseline", "svd", "mf", "knn_basic", "knn_means", "item_knn", "factors", "ease")
    for kind in families.kinds():
        assert kind in families.for_kind(kind).kinds
    assert families.for_algorithm("SVD") is families.for_kind("mf")
    assert families.for_algorithm("KNNWithMeans") is families.for_kind("knn_basic")
    with pytest.raises(ValueError, match="unknown algorithm 'SVDpp'"):
        families.for_algorithm("SVDpp")
    with pytest.raises(ValueError, match="kind must be one of"):
        ScoringParams(kind="svdpp", global_mean=0.0, rating_scale=(0, 1), user_raw2inner={}, item_raw2inner={})


def test_scoring_params_builds_the_class_of_its_kind_and_checks_its_fields():
    def baseline(**fields):
        common = dict(global_mean=1.0, rating_scale=(0, 5), user_raw2inner={7: 0}, item_raw2inner={3: 0, 4: 1})
        return ScoringParams(kind="baseline", **common, **fields)

    p = baseline(bu=[0.5], bi=[1, 2])
    assert type(p).__name__ == "Baseline" and p.bi.dtype == np.float64 and (p.n_users, p.n_items) == (1, 2)
    # mu + bu (known user) + bi (known item), clipped to (0, 5)
    assert np.array_equal(next(iter_score_blocks(p, [7, 8], [3, 4, 5]))[1], [[2.5, 3.5, 1.5], [2.0, 3.0, 1.0]])
    with pytest.raises(ValueError, match="needs bi"):
        baseline(bu=[0.5])
    with pytest.raises(ValueError, match=r"bi has shape \(3,\), expected \(2,\)"):
        baseline(bu=[0.5], bi=[1, 2, 3])


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


@pytest.fixture
def pure_svd():
    """The worked example's module, loaded as lfmrec.families.pure_svd from the page's code, and
    unregistered afterwards."""
    code = _blocks(DOC.read_text(), "python")[0]
    name = "lfmrec.families.pure_svd"
    module = types.ModuleType(name)
    module.__package__ = "lfmrec.families"
    module.__file__ = str(DOC)
    sys.modules[name] = module
    before = (dict(families._BY_ALGORITHM), dict(families._BY_KIND))
    try:
        exec(compile(code, str(DOC), "exec"), module.__dict__)
        yield module.PureSVD
    finally:
        families._BY_ALGORITHM.clear()
        families._BY_ALGORITHM.update(before[0])
        families._BY_KIND.clear()
        families._BY_KIND.update(before[1])
        sys.modules.pop(name, None)


def _schema_with_the_docs_entry() -> dict:
    """config/schema.yaml with the page's entry: the algorithm's name, its allOf case, its $defs."""
    schema = load_schema(ROOT / "config/schema.yaml")
    cases, defs = _blocks(DOC.read_text(), "yaml")[0].split("# under $defs\n")
    models = schema["properties"]["models"]["additionalProperties"]
    models["properties"]["algorithm"]["enum"].append("PureSVD")
    models["allOf"] += yaml.safe_load(cases)
    schema["$defs"].update(yaml.safe_load(defs))
    return schema


def test_the_worked_example_adds_a_family_in_one_module(pure_svd):
    assert families.for_algorithm("PureSVD") is pure_svd and families.for_kind("pure_svd") is pure_svd
    spec = {"algorithm": "PureSVD", "params": {"factors": 6}}

    # its schema entry: the config check accepts it and refuses a misspelt parameter
    schema = _schema_with_the_docs_entry()
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["models"] = {"pure_svd": dict(spec)}
    check_config(config, schema)
    config["models"] = {"pure_svd": {"algorithm": "PureSVD", "params": {"factor": 6}}}
    with pytest.raises(Exception, match="factor"):
        check_config(config, schema)

    # the model: X[u] V V^T, V the top-6 right singular vectors of X (numpy's dense SVD)
    rng = np.random.default_rng(4)
    pairs = rng.random((40, 30)) < 0.3
    u, i = np.nonzero(pairs)
    train = pd.DataFrame({"user_id": u + 100, "artist_id": i * 3, "rating": rng.random(u.size) * 5})
    params = pure_svd.fit(spec, 0, train, None)
    assert params.kind == "pure_svd" and is_topn(spec) and engine_of(spec) == "scipy"
    X = pairs.astype(np.float64)
    V = np.linalg.svd(X)[2][:6].T
    want = X @ V @ V.T
    users, items = np.arange(40) + 100, np.arange(30) * 3
    got = np.vstack([blk for _, blk in iter_score_blocks(params, users, items, 7)])
    assert np.abs(got - want).max() < 1e-9
    # held-out pairs (an unknown user and item score 0) and the rest of the workflow's entry points
    assert np.allclose(score_pairs(params, np.array([100, 139, 5]), np.array([0, 87, 0])), [want[0, 0], want[39, 29], 0.0])
    test = train.iloc[:20]
    predictions, metrics, _ = run_fold(spec, 0, train, test, (0.0, 5.0))
    assert metrics["kind"] == "topn" and np.allclose(predictions["score"], want[test["user_id"] - 100, test["artist_id"] // 3])
    assert describe_params(spec) == "PureSVD: factors=6, feedback=binary"
    assert fit_job_mb(spec, 40, 30, len(train)) > 0 and fit_job_seconds(spec, 40, 30, len(train)) > 5
    assert scoring_job_seconds(spec, 40, 30, len(train)) > 5

"""The resource model (lfmrec.resources): model and job memory, job run times, and the requests
the rules make from them (rules/common.smk only passes sizes and config values)."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lfmrec import resources
from lfmrec.errors import InputError
from lfmrec.resources import check_memory, estimate_memory_gb

ROOT = Path(__file__).resolve().parents[1]


def test_memory_refusal_for_dense_knn():
    knn = {"algorithm": "KNNWithMeans", "params": {"k": 40}}
    # Surprise's user-based kNN holds three dense n x n float64 arrays: ~346 GB at 120,000 users
    assert estimate_memory_gb(knn, 120_000, 585_000, 0) == pytest.approx(3 * 8 * 120_000**2 / 1e9)
    train = pd.DataFrame({"user_id": np.arange(30_000), "artist_id": np.arange(30_000)})
    # the job: 0.2 GB + 45 B per triple of data kept + 21.6 GB of arrays + 450 B per rating of trainset
    with pytest.raises(InputError, match=r"config models.knn: needs about 21.8 GB for 30000 users"):
        check_memory(knn, train, 16, "models.knn")
    check_memory({"algorithm": "BaselineOnly"}, train, 16, "models.b")  # small: no error


def test_native_knn_needs_no_dense_similarity_and_scoring_refuses_a_block_too_large():
    """At the full sample's 55,110 users the native kNN fit needs a few GB (the dense route: 29.8);
    a scoring block that does not fit in resources.max_memory_gb is refused up front, with the
    largest block that fits -- which fits, one more user does not."""
    knn = {"algorithm": "KNNWithMeans", "engine": "native", "params": {"k": 40}}
    assert resources.fit_job_mb(knn, 55_110, 581_417, 22_700_000) / 1000 < 6
    args = (knn, 1_500_000_000, 55_110, 581_417, 28_400_000)
    resources.check_scoring_memory(*args, 128, 2, 16, "knn_means_k40")  # the full-scale config: fits
    with pytest.raises(
        InputError, match=r"config recommend.block_users: is 4096: .* set recommend.block_users to at most (\d+)"
    ) as e:
        resources.check_scoring_memory(*args, 4096, 2, 16, "knn_means_k40")
    fits = int(re.search(r"at most (\d+)", str(e.value)).group(1))
    assert 128 < fits < 4096
    resources.check_scoring_memory(*args, fits, 2, 16, "knn_means_k40")
    with pytest.raises(InputError):
        resources.check_scoring_memory(*args, fits + 1, 2, 16, "knn_means_k40")
    with pytest.raises(InputError, match="no block size fits"):
        resources.check_scoring_memory(*args, 64, 2, 1, "knn_means_k40")


def test_a_list_group_is_one_job_with_a_block_of_each_model():
    """Rule recommend_<group>: both models' files and a block of each; refused, as one model is,
    above resources.max_memory_gb, with a block half as large as one model's."""
    specs = [{"algorithm": a, "engine": "native", "params": {"k": 40}} for a in ("KNNBasic", "KNNWithMeans")]
    one = resources.scoring_job_mb(specs[0], 1_500_000_000, 581_417, 28_400_000, 128, False, 55_110)
    both = resources.group_scoring_job_mb(specs, 3_000_000_000, 581_417, 28_400_000, 128, 55_110)
    assert both > one + 1_500
    seconds = resources.scoring_job_seconds(specs[1], 55_110, 581_417, 28_400_000)
    assert resources.group_scoring_job_seconds(specs, 55_110, 581_417, 28_400_000) == pytest.approx(1.5 * seconds)
    # rank_<group>: a fold's ranking of the group, its pairs split, the re-ranking variants timed
    ranked = resources.scoring_job_seconds(specs[1], 2_000, 581_417, 28_400_000, 6)
    assert resources.group_scoring_job_seconds(specs, 2_000, 581_417, 28_400_000, 6) == pytest.approx(1.5 * ranked)
    split = resources.group_scoring_job_mb(specs, 3_000_000_000, 581_417, 28_400_000, 128, 55_110, splits=True)
    assert split == resources.scoring_job_mb(specs[0], 3_000_000_000, 581_417, 28_400_000, 256, True, 55_110) > both
    args = (specs[0], 3_000_000_000, 55_110, 581_417, 28_400_000)
    with pytest.raises(InputError, match=r"at most (\d+)") as e:
        resources.check_scoring_memory(*args, 4096, 2, 16, "knn_basic_k40, knn_means_k40", models=2)
    fits = int(re.search(r"at most (\d+)", str(e.value)).group(1))
    with pytest.raises(InputError, match=r"at most (\d+)") as single:
        resources.check_scoring_memory(*args, 4096, 2, 16, "knn_basic_k40")
    assert fits < int(re.search(r"at most (\d+)", str(single.value)).group(1))


def test_the_slurm_profile_reads_job_states_with_squeue():
    """Without an accounting database sacct fails and the plugin would poll it forever: the profile
    must name squeue (the runs above end by themselves within RUN_TIMEOUT)."""

    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    assert profile["executor"] == "slurm" and profile["slurm-status-command"] == "squeue"
    assert {"mem_mb", "runtime"} <= {item.split("=")[0] for item in profile["default-resources"]}


@pytest.mark.parametrize(
    "kind, spec, shape, measured_s",
    [
        # job times measured at full scale on the reference machine (docs/scale.md): a CV fold of mf_k100, the
        # baseline's recommend job, SVD's recommend job alone, a ranking job on 2,000 users, and the
        # native kNN job at 38,949 users (benchmarks/knn_limit.py)
        (
            "fit",
            {"algorithm": "SVD", "engine": "native", "params": {"biased": False, "n_factors": 100}},
            (55_110, 581_417, 28_364_879),
            90,
        ),
        ("score", {"algorithm": "BaselineOnly", "engine": "native"}, (55_110, 581_417, 28_364_879), 186),
        ("score", {"algorithm": "SVD", "engine": "native", "params": {"n_factors": 100}}, (55_110, 581_417, 28_364_879), 184),
        ("rank", {"algorithm": "SVD", "engine": "native", "params": {"n_factors": 100}}, (2_000, 581_417, 28_364_879), 163),
        ("fit", {"algorithm": "KNNBasic", "engine": "native", "params": {"k": 40}}, (38_949, 581_417, 20_045_000), 318),
    ],
)
def test_runtime_estimates_cover_measured_jobs(kind, spec, shape, measured_s):
    """The time a job asks for (3x the estimate, lfmrec.resources.minutes) covers the measured job with room."""
    from lfmrec.resources import fit_job_seconds, scoring_job_seconds

    if kind == "fit":
        estimate = fit_job_seconds(spec, *shape)
    else:
        estimate = scoring_job_seconds(spec, *shape, ranking_variants=6 if kind == "rank" else 0)
    assert 0.5 * measured_s < estimate < 4 * measured_s
    assert 3 * estimate > 2 * measured_s


def test_job_requests_by_hand():
    # floors: 1000 MB and 10 minutes, times the attempt
    assert resources.job_mb(10) == 1000 and resources.job_mb(1500.7, attempt=2) == 3000
    assert resources.minutes(0) == 10 and resources.minutes(0, attempt=3) == 30
    # 3 x 250 s = 12.5 min -> 13
    assert resources.minutes(250) == 13
    # the data jobs at LFM-1b size (61.5 M non-zeros): 300 MB + 70 B per non-zero; 10 s + 4 us each, x3
    assert resources.les_job_mb("country_plays", 61_500_000) == 300 + 4305
    assert resources.les_job_minutes("country_plays", 61_500_000) == int(np.ceil(3 * (10 + 246) / 60))
    assert resources.file_job_mb("melt", 341.0) == int(300 + 5.5 * 341.0)
    assert resources.triples_job_mb("folds", 28_400_000) == int(300 + 170 * 28.4)
    assert resources.triples_job_mb("fit_reference", 10) == 1000
    assert resources.fixed_job_mb("significance") == 2000
    assert resources.estimation_minutes(27.0) == int(np.ceil(3 * (10 + 540) / 60))
    assert resources.fold_countries_minutes(27.0, 5) == int(np.ceil(3 * (10 + 675) / 60))
    assert resources.diversity_minutes(28_400_000, 9) == int(np.ceil(3 * (10 + 2e-6 * 28_400_000 * 9) / 60))
    assert resources.cultural_minutes(28_400_000, 9) == 10  # 3 x (10 + 28.4 x 2.9) s = 4.6 min: the floor
    assert resources.cultural_minutes(300_000_000, 9) == int(np.ceil(3 * (10 + 300 * 2.9) / 60))
    # a ranking job: 2 lists (none, hard) + one per lambda of the sweep, on at most `users` users
    assert resources.ranking_shape(5000, 2000, {"soft": [1, 2], "calibrated": [0.5]}) == (2000, 5)
    assert resources.ranking_shape(300, "all", {}) == (300, 2)


def test_every_rule_names_a_calibrated_entry():
    """The per-rule tables hold exactly the rules that use them (no stale or missing entry)."""
    text = "\n".join(p.read_text() for p in (ROOT / "rules").glob("*.smk"))
    import re

    used = {kind: set(re.findall(rf'\b{kind}_mem_mb\("(\w+)"', text)) for kind in ("triples", "file", "fixed", "les")}
    assert used["triples"] == set(resources.BYTES_PER_TRIPLE)
    assert used["file"] == set(resources.FILE_MB_PER_MB)
    assert used["fixed"] == set(resources.FIXED_MB)
    assert used["les"] == set(resources.LES_BYTES_PER_NNZ) == set(resources.LES_SECONDS_PER_NNZ)


def test_common_smk_holds_no_calibration_constant():
    """The numbers of the resource model live in lfmrec.resources, not in the rules."""
    import re

    text = (ROOT / "rules/common.smk").read_text()
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    numbers = re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])", code)
    assert set(numbers) <= {"0", "1", "2", "1e6"}, sorted(set(numbers))


def test_the_resource_model_counts_the_kernels_block():
    from lfmrec.native import knn

    assert resources.MSD_BLOCK == knn.MSD_BLOCK

"""The workflow on a real SLURM cluster through profiles/slurm (snakemake-executor-plugin-slurm).

Needs a running cluster: `.ci/slurm start` makes a single-node one on this machine (root, Debian),
`.ci/slurm stop` stops it; .ci/run does both around the tests. Without a cluster that answers, the
tests are skipped (set LFMREC_REQUIRE_SLURM=1 to make that a failure, as CI does).

A small variant of the tiny configuration (one model, two folds, one reference model) runs once
through SLURM and once locally; the tests check that every job that is not a local rule went
through sbatch with its rule's resources, that the outputs are the same, that a failing job fails
the run with its ERROR line and leaves no partial output, and that the run ends by itself (each
Snakemake process has a timeout: a hang fails the test instead of blocking it).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT, SNAKEMAKE, TINY, job_counts, workdir

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

PROFILE = ROOT / "profiles" / "slurm"
# Seconds a whole Snakemake run through SLURM may take before the test calls it a hang (the tiny
# run takes 2-5 minutes on a busy 2-core machine: each SLURM job of a tiny rule costs 7-20 s).
RUN_TIMEOUT = 600
# Status checks 2 s after a submission and after a job ended, instead of the plugin's 40 (tiny jobs).
FAST_STATUS = ["--slurm-init-seconds-before-status-checks", "2"]

SLURM_TINY = {
    **TINY,
    "cv": {"n_folds": 2, "seed": 2},
    "models": {name: None for name in TINY["models"]} | {"baseline": TINY["models"]["baseline"]},  # baseline only
    "ranking": {"references": ["popular"]},
    # blocks of all users: the scoring jobs' memory estimate (1.7 GB here) is above the 1000 MB
    # floor, and is only known once the triples exist, after the DAG was built (see the test of
    # the jobs' resources); the lists do not depend on the block size
    "recommend": {"n": 10, "block_users": 100_000},
}


def cluster_problem() -> str | None:
    """Why no SLURM cluster can run the tests here (None: one answers with a usable node)."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "SLURM is not installed (sinfo/sbatch not found; `.ci/slurm start` installs and starts one)"
    try:
        proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 15 s"
    states = proc.stdout.split()
    if proc.returncode != 0 or not states:
        return f"no SLURM cluster answers (sinfo: {(proc.stderr or proc.stdout).strip()[:200]}); start one with `.ci/slurm start`"
    if not {"idle", "mixed", "allocated", "completing"} & {s.rstrip("*~#$@^-") for s in states}:
        return f"no usable SLURM node (states: {' '.join(states)})"
    return None


@pytest.fixture(scope="module")
def cluster():
    problem = cluster_problem()
    if problem:
        if os.environ.get("LFMREC_REQUIRE_SLURM") == "1":
            pytest.fail(f"LFMREC_REQUIRE_SLURM=1 but {problem}")
        pytest.skip(problem)


class Run:
    """A Snakemake process started in the background; ``wait()`` gives its exit status and output."""

    def __init__(self, cwd: Path, *args: str):
        self.cwd, self.args = cwd, args
        env = {**os.environ, "PYTHONPATH": str(ROOT / "workflow")}
        self.start = time.monotonic()
        self.proc = subprocess.Popen(
            [*SNAKEMAKE, *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.out, self.seconds = None, None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        out = self.proc.stdout.read()
        self.proc.wait()
        self.out, self.seconds = out, time.monotonic() - self.start

    def wait(self, deadline: float) -> "Run":
        """Wait until ``deadline`` (time.monotonic()); past it, stop the process and its SLURM jobs
        and fail the test: a run that does not end by itself is a hang."""
        self.reader.join(timeout=max(1.0, deadline - time.monotonic()))
        if self.reader.is_alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.reader.join()
            for run_id in set(re.findall(r"SLURM run ID: (\S+)", self.out)):
                subprocess.run(["scancel", "--name", run_id], capture_output=True, timeout=30)
            pytest.fail(f"snakemake did not end within {RUN_TIMEOUT} s (a hang?): {' '.join(self.args)}\n{self.out[-4000:]}")
        return self

    @property
    def returncode(self) -> int:
        return self.proc.returncode

    @property
    def slurm_jobs(self) -> dict[str, str]:
        """Snakemake job id -> SLURM job id, from the plugin's 'has been submitted' lines."""
        return dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", self.out))


def run(cwd: Path, *args: str) -> Run:
    return Run(cwd, *args).wait(time.monotonic() + RUN_TIMEOUT)


def slurm(cwd: Path, *args: str) -> Run:
    """A run through the SLURM profile (started, not waited for)."""
    return Run(cwd, "--profile", str(PROFILE), *FAST_STATUS, *args)


def failing_dataset(folder: Path) -> dict:
    """A config whose align job fails: an LFM-1b copy whose LFM-1b_users.txt lacks its header."""
    from test_reliability import break_header, raw_dataset

    raw = raw_dataset(folder)
    break_header(raw)
    return {"dataset": {"source": "lfm1b", "dir": str(raw)}, "sample": {"n_users": 40, "n_artists": 50, "seed": 1}}


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """Three runs at once (they share the machine's cores; SLURM queues what does not fit): the
    configuration through SLURM and locally, and a run through SLURM whose align job fails.
    Returns a dict of Runs (slurm, local, failing) and the planned job counts."""
    cwd = workdir(tmp_path_factory.mktemp("slurm"), SLURM_TINY)
    planned = run(cwd, "-n", "--configfile", "test.yaml")
    assert planned.returncode == 0, planned.out[-3000:]
    failing_dir = tmp_path_factory.mktemp("failing")
    failing_cwd = workdir(failing_dir / "run", failing_dataset(failing_dir / "raw"))
    deadline = time.monotonic() + RUN_TIMEOUT
    started = {
        "slurm": slurm(cwd, "--configfile", "test.yaml"),
        "failing": slurm(failing_cwd, "results/data/triples.parquet", "--configfile", "test.yaml"),
        "local": Run(workdir(tmp_path_factory.mktemp("local"), SLURM_TINY), "--cores", "2", "--configfile", "test.yaml"),
    }
    done = {name: r.wait(deadline) for name, r in started.items()}
    assert done["slurm"].returncode == 0, f"the SLURM run failed:\n{done['slurm'].out[-6000:]}"
    assert done["local"].returncode == 0, f"the local run failed:\n{done['local'].out[-3000:]}"
    print(
        f"\nSLURM run: {len(done['slurm'].slurm_jobs)} jobs submitted, {done['slurm'].seconds:.0f} s; "
        f"failing run: {done['failing'].seconds:.0f} s; local run: {done['local'].seconds:.0f} s "
        f"(all at once); jobs: {job_counts(planned.out)}"
    )
    return {**done, "counts": job_counts(planned.out)}


def local_rules() -> set[str]:
    text = (ROOT / "Snakefile").read_text()
    block = re.search(r"^localrules:\n((?:[ \t]+\w+,?\n)+)", text, re.M)
    return {name.strip(" ,\t") for name in block.group(1).splitlines()}


def squeue(job_ids) -> dict[str, dict]:
    """SLURM's record of finished jobs (kept MinJobAge seconds): state, name, comment, memory, limit."""
    out = subprocess.run(
        ["squeue", "--states=all", "-h", "-o", "%i|%T|%j|%k|%m|%l|%C", "-j", ",".join(job_ids)],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    rows = [line.split("|") for line in out.splitlines() if line.strip()]
    return {r[0]: dict(state=r[1], name=r[2], comment=r[3], memory=r[4], limit=r[5], cpus=r[6]) for r in rows}


def minutes(limit: str) -> int:
    """SLURM's time limit text ([days-]hours:minutes:seconds or minutes:seconds) in minutes."""
    days, _, clock = limit.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    return int(days or 0) * 1440 + parts[0] * 60 + parts[1] + (parts[2] > 0)


def test_every_cluster_job_went_through_sbatch(runs):
    on_slurm, counts = runs["slurm"], runs["counts"]
    local = local_rules()
    remote_jobs = sum(n for rule, n in counts.items() if rule not in local)
    assert remote_jobs and len(on_slurm.slurm_jobs) == remote_jobs, (counts, on_slurm.slurm_jobs)
    # local rules ran in the Snakemake process, every other rule as a SLURM job
    ran_locally = set(re.findall(r"^localrule (\w+):", on_slurm.out, re.M))
    submitted = set(re.findall(r"^rule (\w+):", on_slurm.out, re.M))
    assert ran_locally == {rule for rule in counts if rule in local}
    assert submitted == {rule for rule in counts if rule not in local}
    run_id = re.search(r"SLURM run ID: (\S+)", on_slurm.out).group(1)
    records = squeue(on_slurm.slurm_jobs.values())
    assert set(records) == set(on_slurm.slurm_jobs.values()), "squeue lost jobs (MinJobAge too short?)"
    assert {r["state"] for r in records.values()} == {"COMPLETED"}
    assert {r["name"] for r in records.values()} == {run_id}
    assert {r["cpus"] for r in records.values()} == {"1"}  # every job is single-threaded


def test_jobs_asked_slurm_for_their_rules_resources(runs):
    """Each SLURM job's memory and time limit are its rule's estimates, evaluated on the real inputs."""
    on_slurm = runs["slurm"]
    # the estimates now that every input exists: a dry run of everything
    planned = run(on_slurm.cwd, "-n", "--forceall", "--configfile", "test.yaml")
    asked = {}
    for block in planned.out.split("\nrule ")[1:]:
        rule = block.split(":", 1)[0]
        wc = re.search(r"wildcards: (.*)", block)
        mem, runtime = re.search(r"mem_mb=(\d+)", block), re.search(r"runtime=(\d+)", block)
        if not mem:  # a local rule
            continue
        values = [pair.split("=", 1)[1] for pair in wc.group(1).split(", ")] if wc else []
        # the plugin's job comment: rule_<rule>[_wildcards_<values joined by _>]
        key = f"rule_{rule}" + (f"_wildcards_{'_'.join(values)}" if values else "")
        asked[key] = (int(mem.group(1)), int(runtime.group(1)))
    seen = {
        r["comment"]: (int(r["memory"].rstrip("M")), minutes(r["limit"]))  # squeue: "2601M"
        for r in squeue(on_slurm.slurm_jobs.values()).values()
    }
    assert len(seen) == len(on_slurm.slurm_jobs) and set(seen) <= set(asked), (seen, asked)
    for job, (mem, limit) in seen.items():
        # the ranking jobs' fold parameters (a temporary file, some KB) are gone by now: +-2 MB
        assert abs(mem - asked[job][0]) <= 2 and limit == asked[job][1], (job, seen[job], asked[job])
    # the scoring jobs asked for their estimate, computed when their inputs existed, not the
    # placeholder of a DAG built before the triples existed
    assert min(mem for job, (mem, _) in seen.items() if job.startswith("rule_recommend")) > 1000
    assert min(mem for mem, _ in seen.values()) >= 1000  # the floor of every job


def comparable(results: Path) -> dict[str, Path]:
    skip = {"logs", "benchmarks", "models"}  # logs hold times; models are pickles of the same numbers
    return {
        str(p.relative_to(results)): p for p in results.rglob("*") if p.is_file() and p.relative_to(results).parts[0] not in skip
    }


def test_outputs_equal_a_local_run(runs):
    on_slurm, local = runs["slurm"], runs["local"]
    a, b = comparable(on_slurm.cwd / "results"), comparable(local.cwd / "results")
    assert sorted(a) == sorted(b)
    for name, pa in a.items():
        pb = b[name]
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(pa), pd.read_parquet(pb), check_exact=True, obj=name)
        elif name.endswith(".json"):
            ja, jb = json.loads(pa.read_text()), json.loads(pb.read_text())
            untimed = lambda d: {k: v for k, v in d.items() if not k.endswith("_seconds")}  # noqa: E731
            assert untimed(ja) == untimed(jb), name
        else:  # CSV, Markdown, PNG
            assert pa.read_bytes() == pb.read_bytes(), name


def test_a_failing_job_fails_the_run_with_its_error_and_no_partial_output(runs):
    failed = runs["failing"]
    assert failed.returncode != 0
    assert failed.slurm_jobs, "the failing job was not submitted to SLURM"
    # the job's one-line error reaches the terminal (profile: show-failed-logs), once per attempt
    errors = sorted({line.strip() for line in failed.out.splitlines() if line.strip().startswith("ERROR: ")})
    assert len(errors) == 1 and "LFM-1b_users.txt: header is" in errors[0], failed.out[-4000:]
    assert re.search(r"SLURM-job '\d+' failed, SLURM status is: 'FAILED'", failed.out)
    data = failed.cwd / "results" / "data"
    left = sorted(p.name for p in data.iterdir()) if data.exists() else []
    assert left == [], f"partial outputs left: {left}"

"""The package's numba kernels are cached per environment (lfmrec._numba): a second copy of the same
code in another folder loads them instead of compiling, and a change to any source of the package
recompiles them."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, SNAKEMAKE, TINY, workdir

import lfmrec

PACKAGE = Path(lfmrec.__file__).resolve().parent
RUN = "import numpy as np; from lfmrec.topn import top_n; print(top_n(np.arange(12.0).reshape(3, 4), 2)[1].tolist())"


def run_copy(src: Path, cache: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(src), LFMREC_NUMBA_CACHE=str(cache), NUMBA_DEBUG_CACHE="1")
    out = subprocess.run([sys.executable, "-c", RUN], env=env, capture_output=True, text=True, check=True, cwd=src)
    assert out.stdout.strip().splitlines()[-1] == "[3, 2, 3, 2, 3, 2]"
    return out.stdout


def copy_package(dest: Path) -> Path:
    shutil.copytree(PACKAGE, dest / "lfmrec", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_kernels_compiled_in_one_clone_load_in_another_and_a_source_change_recompiles(tmp_path):
    cache = tmp_path / "cache"
    first = run_copy(copy_package(tmp_path / "a"), cache)
    assert "[cache] data saved to" in first and "[cache] data loaded from" not in first
    assert list((cache / "lfmrec").glob("topn._select-*.nbc"))  # laid out by the package's path
    other = copy_package(tmp_path / "b")
    second = run_copy(other, cache)
    assert "[cache] data loaded from" in second and "[cache] data saved to" not in second
    # a change to a module the kernel does not even import: every kernel is rebuilt
    errors = other / "lfmrec" / "errors.py"
    errors.write_text(errors.read_text() + "\n# changed\n")
    third = run_copy(other, cache)
    assert "[cache] data saved to" in third and "[cache] data loaded from" not in third


def blocked_on(path: Path) -> int:
    """Processes waiting for the flock of ``path`` (``->`` lines of /proc/locks on its inode)."""
    inode = f":{path.stat().st_ino} "
    return sum("->" in line and inode in line for line in Path("/proc/locks").read_text().splitlines())


def test_two_processes_that_need_one_kernel_compile_it_once(tmp_path, monkeypatch):
    """Two processes that call the same uncompiled kernel at once: one compiles it, the other waits
    for its lock and loads it from the cache (without the lock both would compile and save it)."""
    from lfmrec import _numba

    cache = tmp_path / "cache"
    src = copy_package(tmp_path / "a")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(src), LFMREC_NUMBA_CACHE=str(cache), NUMBA_DEBUG_CACHE="1")
    monkeypatch.setenv("LFMREC_NUMBA_CACHE", str(cache))
    lock = cache / "locks" / "lfmrec.topn._select.lock"
    with _numba.compile_lock("lfmrec.topn._select"):  # both start while the kernel's lock is held
        procs = [
            subprocess.Popen([sys.executable, "-c", RUN], env=env, cwd=src, stdout=subprocess.PIPE, text=True) for _ in range(2)
        ]
        deadline = time.monotonic() + 120
        while blocked_on(lock) < 2:
            assert time.monotonic() < deadline, "the processes never waited for the kernel's lock"
            assert all(p.poll() is None for p in procs), "a process finished without waiting for the lock"
            time.sleep(0.05)
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    saved = [sum("data saved to" in line and "topn._select-" in line for line in out.splitlines()) for out in outs]
    loaded = [sum("data loaded from" in line and "topn._select-" in line for line in out.splitlines()) for out in outs]
    assert sorted(saved) == [0, 1] and sorted(loaded) == [0, 1] and saved != loaded


@pytest.mark.slow
def test_the_background_compile_leaves_the_jobs_nothing_to_compile(tmp_path):
    """``python -m lfmrec.kernels`` (the Snakefile's onstart) runs every model of the default config
    along its jobs' routes, so that a run of those models afterwards compiles no kernel in any job
    (each would otherwise compile it on a core the other jobs need)."""
    models = yaml.safe_load((ROOT / "config/config.yaml").read_text())["models"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(LFMREC_NUMBA_CACHE=str(tmp_path / "cache"), NUMBA_DEBUG_CACHE="1")
    compiled = subprocess.run(
        [sys.executable, "-m", "lfmrec.kernels", json.dumps(models)], env=env, capture_output=True, text=True, check=True
    )
    assert "data saved to" in compiled.stdout
    cwd = workdir(tmp_path / "run", {**TINY, "models": models})
    run = subprocess.run(
        [*SNAKEMAKE, "--cores", "2", "--configfile", "test.yaml"], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "data loaded from" in run.stdout
    saved = [line.split("lfmrec-numba")[-1] for line in run.stdout.splitlines() if "data saved to" in line]
    assert saved == [], f"jobs compiled kernels the background compile had not: {saved}"

"""The harness of the workflow's script jobs: logging to the job's log, one-line errors, progress of
long loops, and each job's own resource use (wall, CPU, peak memory) for the benchmarks.
"""

from __future__ import annotations

import logging
import os
import re
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .errors import InputError


def run_script(main: Callable, smk) -> None:
    """Run a Snakemake script's ``main(snakemake)`` with logging to its log file.

    An :class:`InputError` becomes one line on stderr (and in the log) and exit status 1.
    """
    log_file = smk.log[0] if len(smk.log) else None
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", handlers=handlers, force=True
    )
    handlers[0].setLevel(logging.WARNING)  # the terminal only sees problems; the log sees everything
    handlers[0].setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    try:
        main(smk)
    except InputError as err:
        logging.getLogger(smk.rule).error(str(err))
        sys.exit(1)
    except Exception:  # a bug: its traceback in the job's log too, not only on the terminal
        logging.getLogger(smk.rule).exception("failed")
        sys.exit(1)
    logging.getLogger(smk.rule).info(usage_line())


class Progress:
    """Logs how far a long loop is: ``what: done/total unit (pct), elapsed, ~left`` at most every
    ``every_s`` seconds, so that a user watching a long job's log can tell a slow job from a stuck
    one. Loops shorter than ``every_s`` log nothing."""

    def __init__(self, what: str, total: int, unit: str = "blocks", every_s: float = 30.0, logger: logging.Logger | None = None):
        self.what, self.total, self.unit, self.every_s = what, int(total), unit, every_s
        self.log = logger or logging.getLogger("progress")
        self.t0 = self.last = time.perf_counter()

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if now - self.last < self.every_s or done <= 0:
            return
        self.last = now
        elapsed = now - self.t0
        left = elapsed * (self.total - done) / done
        self.log.info(
            "%s: %d/%d %s (%.0f%%), %s elapsed, ~%s left",
            self.what,
            done,
            self.total,
            self.unit,
            100.0 * done / max(self.total, 1),
            _clock(elapsed),
            _clock(left),
        )


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m // 60}h{m % 60:02d}m{s:02d}s" if m >= 60 else f"{m}m{s:02d}s"


def usage_line() -> str:
    """The script process's own resource use so far, from the kernel (``getrusage``, ``/proc``).

    Snakemake's benchmark ``cpu_time`` is sampled, so it is coarse for jobs of a few seconds; this
    line is exact: wall seconds since the process started (Python start-up and imports included),
    CPU seconds of every thread (user + system), the system part of them (page faults of fresh
    allocations, I/O), and the peak resident set size.
    """
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (
        f"resources: wall_s={process_wall_s():.2f} cpu_s={ru.ru_utime + ru.ru_stime:.2f} "
        f"sys_s={ru.ru_stime:.2f} peak_rss_gb={ru.ru_maxrss / 2**20:.3f}"
    )


def process_wall_s() -> float:
    """Seconds since this process started (Linux ``/proc``; since the module's import elsewhere)."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return time.perf_counter() - _IMPORTED


_IMPORTED = time.perf_counter()


def read_usage(log_file: str | Path) -> dict[str, float]:
    """The figures of :func:`usage_line` from a script's log; empty if the job did not finish."""
    found = re.findall(r"resources: (wall_s=\S+ cpu_s=\S+ (?:sys_s=\S+ )?peak_rss_gb=\S+)", Path(log_file).read_text())
    return {k: float(v) for k, v in (kv.split("=") for kv in found[-1].split())} if found else {}

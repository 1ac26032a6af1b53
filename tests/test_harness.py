"""lfmrec.harness: the script jobs' one-line errors, resource-use line and progress logging."""

from types import SimpleNamespace

import pytest


def test_run_script_turns_input_errors_into_one_line_and_exit_1(tmp_path, capsys):
    from lfmrec.errors import InputError
    from lfmrec.harness import run_script

    def main(_):
        raise InputError("data/x.txt", "line 3 is malformed", "fix the file")

    smk = SimpleNamespace(log=[str(tmp_path / "x.log")], rule="x")
    with pytest.raises(SystemExit) as exit_info:
        run_script(main, smk)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ERROR: data/x.txt: line 3 is malformed (fix: fix the file)"]
    assert "line 3 is malformed" in (tmp_path / "x.log").read_text()


def test_usage_line_round_trips_through_a_log(tmp_path):
    from lfmrec.harness import read_usage, usage_line

    line = usage_line()
    wall, cpu, system, peak = (float(part.split("=")[1]) for part in line.split()[1:])
    assert wall > 0 and cpu > 0 and 0 <= system <= cpu and 0.01 < peak < 64  # this test process: imported numpy and pandas
    log = tmp_path / "job.log"
    log.write_text(f"2026 x INFO start\n2026 x INFO resources: wall_s=1.5 cpu_s=0.25 peak_rss_gb=0.125\n2026 x INFO {line}\n")
    assert read_usage(log) == {"wall_s": wall, "cpu_s": cpu, "sys_s": system, "peak_rss_gb": peak}  # the last line wins
    log.write_text("2026 x INFO resources: wall_s=1.5 cpu_s=0.25 peak_rss_gb=0.125\n")  # a log of before sys_s
    assert read_usage(log) == {"wall_s": 1.5, "cpu_s": 0.25, "peak_rss_gb": 0.125}
    log.write_text("2026 x ERROR stopped\n")
    assert read_usage(log) == {}


def test_progress_logs_done_total_and_time_left(caplog, monkeypatch):
    import logging

    from lfmrec import harness

    clock = iter([0.0, 10.0, 31.0, 40.0, 62.0])
    monkeypatch.setattr(harness.time, "perf_counter", lambda: next(clock))
    p = harness.Progress("scoring", 10, logger=logging.getLogger("t"))  # t0 = 0
    with caplog.at_level(logging.INFO, logger="t"):
        p.update(1)  # 10 s: too soon
        p.update(3)  # 31 s: 3 of 10 done, 31 s per 3 -> 72 s left
        p.update(4)  # 40 s: 9 s after the last line: too soon
        p.update(5)  # 62 s: 5 of 10 -> 62 s left
    assert caplog.messages == [
        "scoring: 3/10 blocks (30%), 0m31s elapsed, ~1m12s left",
        "scoring: 5/10 blocks (50%), 1m02s elapsed, ~1m02s left",
    ]

"""The atomic writers (lfmrec.io): the final name appears only when the write succeeded, with the
mode any other tool's output gets, nothing else left in the folder, and the same bytes every time."""

import json
import os
import stat

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lfmrec.io import atomic_path, write_csv, write_json, write_parquet, write_table, write_text


def test_a_failed_write_leaves_neither_the_file_nor_its_temporary(tmp_path):
    target = tmp_path / "sub" / "out.csv"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert not target.exists()
    assert list((tmp_path / "sub").iterdir()) == []


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "out.txt"
    write_text("old\n", target)
    with pytest.raises(ValueError):
        with atomic_path(target) as tmp:
            tmp.write_text("new")
            raise ValueError
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_files_get_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        write_text("x", tmp_path / "a.txt")
        os.umask(0o077)
        write_text("x", tmp_path / "b.txt")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o600


def test_writers_give_the_same_bytes_every_time(tmp_path):
    df = pd.DataFrame({"user_id": [3, 1], "score": [0.1 + 0.2, 1 / 3], "country": ["PL", "ÅX"]})
    for name, write, obj in [
        ("t.parquet", write_parquet, df),
        ("t.csv", write_csv, df),
        ("t.json", write_json, {"b": 1, "a": [1.5, None]}),
        ("t.txt", write_text, "line\r\nÅ\n"),
        ("a.parquet", write_table, pa.table({"x": [1, 2]})),
    ]:
        write(obj, tmp_path / "1" / name)
        write(obj, tmp_path / "2" / name)
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_what_the_writers_write(tmp_path):
    df = pd.DataFrame({"user_id": [3, 1], "score": [0.1 + 0.2, 1 / 3]})
    write_csv(df, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == b"user_id,score\n3,0.3\n1,0.3333333333\n"
    write_json({"b": 1, "a": 2}, tmp_path / "t.json")
    assert (tmp_path / "t.json").read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
    assert json.loads((tmp_path / "t.json").read_text()) == {"a": 2, "b": 1}
    write_text("a\r\nb\n", tmp_path / "t.txt")
    assert (tmp_path / "t.txt").read_bytes() == b"a\r\nb\n"
    write_parquet(df, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), df)
    write_table(pa.table({"x": [1, 2]}), tmp_path / "a.parquet")
    assert pq.read_schema(tmp_path / "a.parquet").metadata is None  # no pandas metadata

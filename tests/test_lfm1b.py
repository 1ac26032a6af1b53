"""The raw-file reader: MAT v7.3 and v5, alignment through idx_users, and bad input."""

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lfmrec.errors import InputError
from lfmrec.lfm1b import align_users, read_artists, read_les, read_users, write_les

USERS_HEADER = "user_id\tcountry\tage\tgender\tplaycount\tregistered_unixtime\n"


@pytest.fixture
def small():
    """5 x 6 matrix whose last row and last two columns are empty (shape inference would drop them)."""
    dense = np.array(
        [
            [3, 0, 1, 0, 0, 0],
            [0, 7, 0, 2, 0, 0],
            [1, 1, 0, 0, 0, 0],
            [0, 0, 0, 9, 0, 0],
            [0, 0, 0, 0, 0, 0],
        ],
        dtype=float,
    )
    user_ids = np.array([900, 12, 5069, 14829, 1000651])  # shuffled, non-contiguous
    artist_ids = np.array([4, 8, 15, 16, 23, 42])
    return dense, user_ids, artist_ids


@pytest.mark.parametrize("version", ["7.3", "5"])
def test_reader_roundtrip_keeps_shape_and_ids(tmp_path, small, version):
    dense, uids, aids = small
    path = tmp_path / "LFM-1b_LEs.mat"
    write_les(path, sp.csr_matrix(dense), uids, aids, version=version)
    les = read_les(path)
    assert les.matrix.shape == (5, 6)
    np.testing.assert_array_equal(les.matrix.toarray(), dense)
    np.testing.assert_array_equal(les.user_ids, uids)
    np.testing.assert_array_equal(les.artist_ids, aids)
    assert les.user_ids.dtype == np.int64


def test_v73_file_has_matlab_header_and_layout(tmp_path, small):
    dense, uids, aids = small
    path = tmp_path / "LFM-1b_LEs.mat"
    write_les(path, sp.csr_matrix(dense), uids, aids)
    head = path.read_bytes()[:128]
    assert head.startswith(b"MATLAB 7.3 MAT-file")
    assert head[124:128] == b"\x00\x02IM"
    with h5py.File(path) as f:
        assert int(f["LEs"].attrs["MATLAB_sparse"]) == 5
        assert f["LEs/ir"].dtype == np.uint64 and f["LEs/jc"].shape == (7,)
        assert f["idx_users"].shape == (5, 1) and f["idx_users"].dtype == np.float64


def write_users(path, lines, header=USERS_HEADER):
    path.write_text(header + "".join(line + "\n" for line in lines))
    return path


def test_alignment_uses_idx_users_not_position(tmp_path, small):
    dense, uids, aids = small
    les_path = tmp_path / "LFM-1b_LEs.mat"
    write_les(les_path, sp.csr_matrix(dense), uids, aids)
    # users.txt in id order (not the matrix order) plus two users missing from the matrix
    users_path = write_users(
        tmp_path / "LFM-1b_users.txt",
        [
            "12\tRU\t25\tm\t9\t1200000000",
            "77\t\t-1\tn\t3\t1200000000",
            "900\tus\t30\tf\t4\t1200000000",
            "5069\t\t-1\tn\t2\t1200000000",
            "14829\tPL\t-1\tm\t9\t1200000000",
            "1000651\tUK\t-1\tm\t0\t1200000000",
            "2000000\tDE\t-1\tm\t1\t1200000000",
        ],
    )
    les = read_les(les_path)
    users = read_users(users_path)
    aligned, missing = align_users(les, users, les_path, users_path)
    assert aligned["user_id"].tolist() == [900, 12, 5069, 14829, 1000651]
    assert aligned["country"].tolist()[:2] == ["US", "RU"]  # 'us' normalised to upper case
    assert pd.isna(aligned["country"].iat[2])
    assert missing.tolist() == [77, 2000000]


def test_matrix_user_absent_from_users_file(tmp_path, small):
    dense, uids, aids = small
    les_path = tmp_path / "LFM-1b_LEs.mat"
    write_les(les_path, sp.csr_matrix(dense), uids, aids)
    users_path = write_users(tmp_path / "LFM-1b_users.txt", ["12\tRU\t25\tm\t9\t1"])
    with pytest.raises(InputError, match=r"LFM-1b_LEs.mat: 4 matrix users are not in LFM-1b_users.txt"):
        align_users(read_les(les_path), read_users(users_path), les_path, users_path)


# ---- bad LEs files -------------------------------------------------------------------------


def corrupt(path, edit):
    with h5py.File(path, "r+") as f:
        edit(f)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda f: f.__delitem__("LEs"), "has no variable 'LEs'"),
        (lambda f: f.__delitem__("idx_users"), "has no variable 'idx_users'"),
        (lambda f: f.__delitem__("idx_artists"), "has no variable 'idx_artists'"),
        (
            lambda f: (f.__delitem__("idx_users"), f.create_dataset("idx_users", data=np.ones((4, 1)) * np.arange(4)[:, None])),
            "idx_users has 4 ids but LEs has 5 rows",
        ),
        (
            lambda f: (f.__delitem__("idx_artists"), f.create_dataset("idx_artists", data=np.arange(9.0)[:, None])),
            "idx_artists has 9 ids but LEs has 6 columns",
        ),
        (lambda f: f["LEs/jc"].__setitem__(slice(2, 3), np.array([0], dtype=np.uint64)), "jc"),
        (lambda f: f["LEs/ir"].__setitem__(slice(0, 1), np.array([99], dtype=np.uint64)), "row indices ir are out of range"),
        (lambda f: f["LEs/data"].__setitem__(slice(0, 1), np.array([-3.0])), "negative playcounts"),
        (lambda f: f["LEs/data"].__setitem__(slice(0, 1), np.array([np.nan])), "non-finite playcounts"),
        (lambda f: f["LEs/data"].__setitem__(slice(0, 1), np.array([2.5])), "non-integer playcounts"),
        (lambda f: f["idx_users"].__setitem__(slice(0, 2), np.array([[7.0], [7.0]])), "idx_users holds duplicate ids"),
    ],
)
def test_bad_les_file(tmp_path, small, edit, message):
    dense, uids, aids = small
    path = tmp_path / "LFM-1b_LEs.mat"
    write_les(path, sp.csr_matrix(dense), uids, aids)
    corrupt(path, edit)
    with pytest.raises(InputError, match=message) as err:
        read_les(path)
    assert str(err.value).startswith(str(path))
    assert "\n" not in str(err.value)


def test_missing_truncated_and_non_mat_files(tmp_path, small):
    with pytest.raises(InputError, match="file not found"):
        read_les(tmp_path / "nope.mat")
    dense, uids, aids = small
    path = tmp_path / "LFM-1b_LEs.mat"
    write_les(path, sp.csr_matrix(dense), uids, aids)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        read_les(path)
    text = tmp_path / "text.mat"
    text.write_text("user_id\tcountry\n")
    with pytest.raises(InputError, match="is not a MAT file"):
        read_les(text)


# ---- users.txt -----------------------------------------------------------------------------


def test_users_file_values(tmp_path):
    path = write_users(tmp_path / "u.txt", ["5\t\t-1\tn\t10\t1", "3\tde\t22\tf\t7\t2"])
    users = read_users(path)
    assert users["user_id"].tolist() == [5, 3]
    assert pd.isna(users["country"].iat[0]) and users["country"].iat[1] == "DE"
    assert users["age"].tolist() == [-1, 22]


@pytest.mark.parametrize(
    "header, lines, message",
    [
        ("", ["5\tUS\t-1\tn\t10\t1"], "header is"),
        (USERS_HEADER, ["5\tUS\t-1\tn\t10"], "line 2 has 5 tab-separated fields, expected 6"),
        (USERS_HEADER, ["5\tUS\t-1\tn\t10\t1\textra"], "line 2 has 7 tab-separated fields"),
        (USERS_HEADER, ["5\tUS\t-1\tn\t10\t1", "x7\tUS\t-1\tn\t10\t1"], "line 3: user_id 'x7' is not an integer"),
        (USERS_HEADER, ["5\tUS\t-1\tn\t10\t1", "5\tRU\t-1\tn\t10\t1"], "duplicate user_id 5"),
        (USERS_HEADER, ["5\tUSA\t-1\tn\t10\t1"], "line 2: country 'USA' is not a two-letter code"),
        (USERS_HEADER, [], None),
    ],
)
def test_bad_users_file(tmp_path, header, lines, message):
    path = write_users(tmp_path / "LFM-1b_users.txt", lines, header=header)
    if message is None:  # a header alone is a valid (empty) file
        assert len(read_users(path)) == 0
        return
    with pytest.raises(InputError, match=message) as err:
        read_users(path)
    assert "LFM-1b_users.txt" in str(err.value)


def test_artists_file(tmp_path):
    path = tmp_path / "LFM-1b_artists.txt"
    path.write_text("4\tScorpions\n8\tThe Little Ones\n")
    df = read_artists(path)
    assert df["artist_id"].tolist() == [4, 8] and df["name"].tolist() == ["Scorpions", "The Little Ones"]
    path.write_text("4\tScorpions\nOasis without id\n")
    with pytest.raises(InputError, match="line 2 is malformed"):
        read_artists(path)

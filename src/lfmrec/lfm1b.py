"""Read and validate the raw LFM-1b files (Schedl, ICMR 2016: the LFM-1b dataset's formats).

- ``LFM-1b_LEs.mat``: users x artists playcounts. MATLAB v7.3 (HDF5: a sparse group ``LEs`` with
  ``data``/``ir``/``jc``, i.e. the CSC form) or MATLAB v5 (read with scipy.io.loadmat), plus the
  id vectors ``idx_users`` (row r is user idx_users[r]) and ``idx_artists``.
- ``LFM-1b_users.txt``: tab separated with a header; country may be empty.
- ``LFM-1b_artists.txt``: tab separated ``artist_id  name``, no header (optional).

Every problem raises :class:`lfmrec.errors.InputError` with a one-line message naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import InputError
from .io import atomic_path

USERS_HEADER = ["user_id", "country", "age", "gender", "playcount", "registered_unixtime"]
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


@dataclass
class ListeningEvents:
    """The LEs matrix: ``matrix[r, c]`` = plays of user ``user_ids[r]`` for artist ``artist_ids[c]``."""

    matrix: sp.csc_matrix  # float64 playcounts, users x artists
    user_ids: np.ndarray  # int64, one per row
    artist_ids: np.ndarray  # int64, one per column


def _require_file(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "file not found", "check dataset.dir in the config")
    if not path.is_file():
        raise InputError(path, "is not a regular file")


def _ids_from(values: np.ndarray, path: Path, name: str) -> np.ndarray:
    """Ravel an id vector stored as float64 and cast it to int64, checking it holds distinct integers."""
    v = np.asarray(values).ravel()
    if v.dtype.kind not in "iuf":
        raise InputError(path, f"{name} is not numeric (dtype {v.dtype})")
    if v.dtype.kind == "f":
        if not np.all(np.isfinite(v)) or np.any(v != np.round(v)):
            raise InputError(path, f"{name} holds non-integer or non-finite ids")
    ids = v.astype(np.int64)
    if np.unique(ids).size != ids.size:
        raise InputError(path, f"{name} holds duplicate ids")
    return ids


def _check_playcounts(data: np.ndarray, path: Path) -> None:
    if data.size == 0:
        return
    if not np.all(np.isfinite(data)):
        raise InputError(path, "LEs holds non-finite playcounts (NaN or Inf)")
    if data.min() < 0:
        raise InputError(path, f"LEs holds negative playcounts (min {data.min():g})")
    if np.any(data != np.floor(data)):
        raise InputError(path, "LEs holds non-integer playcounts")


def _read_v73(path: Path) -> ListeningEvents:
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise InputError(path, f"cannot be opened as a MAT v7.3 (HDF5) file, truncated or corrupt? ({err})") from None
    with f:
        for name in ("LEs", "idx_users", "idx_artists"):
            if name not in f:
                raise InputError(path, f"has no variable '{name}' (expected LEs, idx_users, idx_artists)")
        les = f["LEs"]
        if not isinstance(les, h5py.Group) or not {"data", "ir", "jc"} <= set(les.keys()):
            raise InputError(path, "LEs is not a MATLAB sparse matrix (group with data, ir, jc)")
        if "MATLAB_sparse" not in les.attrs:
            raise InputError(path, "LEs lacks the MATLAB_sparse attribute (number of rows)")
        try:
            n_rows = int(np.asarray(les.attrs["MATLAB_sparse"]).ravel()[0])
            data = les["data"][...].astype(np.float64, copy=False)
            ir = les["ir"][...]
            jc = les["jc"][...]
            idx_users = f["idx_users"][...]
            idx_artists = f["idx_artists"][...]
        except (OSError, KeyError, ValueError, TypeError) as err:
            raise InputError(path, f"cannot read the LEs variables, truncated or corrupt? ({err})") from None
    n_cols = jc.size - 1
    if n_cols < 0 or jc[0] != 0 or jc[-1] != data.size or ir.size != data.size:
        raise InputError(path, "LEs column pointers jc do not match data/ir (corrupt sparse matrix)")
    jc = jc.astype(np.int64)
    if np.any(np.diff(jc) < 0):
        raise InputError(path, "LEs column pointers jc are not non-decreasing (corrupt sparse matrix)")
    if ir.size and ((ir.dtype.kind == "i" and ir.min() < 0) or int(ir.max()) >= n_rows):
        raise InputError(path, f"LEs row indices ir are out of range [0, {n_rows})")
    _check_playcounts(data, path)
    index_dtype = np.int32 if max(n_rows, data.size) < 2**31 else np.int64
    # straight from the stored uint64 to the index type: one copy of ir, not two
    matrix = sp.csc_matrix((data, ir.astype(index_dtype, copy=False), jc.astype(index_dtype)), shape=(n_rows, n_cols))
    return _finish(matrix, idx_users, idx_artists, path)


def _read_v5(path: Path) -> ListeningEvents:
    import scipy.io

    try:
        mat = scipy.io.loadmat(path)
    except Exception as err:  # scipy raises many types on corrupt files
        raise InputError(path, f"cannot be read as a MAT v5 file ({err})") from None
    for name in ("LEs", "idx_users", "idx_artists"):
        if name not in mat:
            raise InputError(path, f"has no variable '{name}' (expected LEs, idx_users, idx_artists)")
    les = mat["LEs"]
    matrix = sp.csc_matrix(les, dtype=np.float64) if sp.issparse(les) else sp.csc_matrix(np.asarray(les, dtype=np.float64))
    _check_playcounts(matrix.data, path)
    return _finish(matrix, mat["idx_users"], mat["idx_artists"], path)


def _finish(matrix: sp.csc_matrix, idx_users, idx_artists, path: Path) -> ListeningEvents:
    user_ids = _ids_from(idx_users, path, "idx_users")
    artist_ids = _ids_from(idx_artists, path, "idx_artists")
    if user_ids.size != matrix.shape[0]:
        raise InputError(path, f"idx_users has {user_ids.size} ids but LEs has {matrix.shape[0]} rows")
    if artist_ids.size != matrix.shape[1]:
        raise InputError(path, f"idx_artists has {artist_ids.size} ids but LEs has {matrix.shape[1]} columns")
    matrix.eliminate_zeros()  # explicit zeros are not listening events
    return ListeningEvents(matrix, user_ids, artist_ids)


def read_les(path: str | Path) -> ListeningEvents:
    """Read ``LFM-1b_LEs.mat`` (MAT v7.3 through h5py, or MAT v5 through scipy), validated.

    The shape is taken from the file (MATLAB_sparse rows, len(jc)-1 columns), never inferred from
    the non-zeros, so trailing empty rows and columns are kept.
    """
    path = Path(path)
    _require_file(path)
    with open(path, "rb") as fh:
        head = fh.read(128)
    import h5py

    if head.startswith(b"MATLAB 7.3") or h5py.is_hdf5(path):
        return _read_v73(path)
    if head.startswith(b"MATLAB 5.0"):
        return _read_v5(path)
    raise InputError(path, "is not a MAT file (neither MATLAB v7.3/HDF5 nor v5 header)")


def _read_lines(path: Path) -> list[str]:
    _require_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(path, f"is not UTF-8 text ({err.reason} at byte {err.start})") from None
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def normalise_country(value: str) -> str | None:
    """Upper-case a two-letter code; '' means no country. Anything else returns the marker ``"?"``."""
    v = value.strip().upper()
    if not v:
        return None
    return v if COUNTRY_RE.match(v) else "?"


def read_users(path: str | Path) -> pd.DataFrame:
    """Read ``LFM-1b_users.txt``: user_id int64, country (upper-case two letters or <NA>), age, gender,
    playcount, registered_unixtime. Country codes are normalised to upper case; anything that is not
    two letters after that is rejected."""
    path = Path(path)
    lines = _read_lines(path)
    if not lines:
        raise InputError(path, "is empty (expected a header line and one line per user)")
    header = lines[0].split("\t")
    if [h.strip() for h in header] != USERS_HEADER:
        raise InputError(path, f"header is {header!r}, expected the tab-separated columns {USERS_HEADER}")
    rows = [ln.split("\t") for ln in lines[1:]]
    for n, fields in enumerate(rows, start=2):
        if len(fields) != len(USERS_HEADER):
            raise InputError(path, f"line {n} has {len(fields)} tab-separated fields, expected {len(USERS_HEADER)}")
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(USERS_HEADER)
    df = pd.DataFrame({name: list(col) for name, col in zip(USERS_HEADER, cols, strict=True)}, dtype=object)

    ids = pd.to_numeric(df["user_id"].str.strip(), errors="coerce")
    bad = ids.isna() | (ids != np.floor(ids))
    if bad.any():
        n = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(path, f"line {n + 2}: user_id {df['user_id'].iat[n]!r} is not an integer")
    ids = ids.astype(np.int64)
    dup = ids.duplicated()
    if dup.any():
        raise InputError(path, f"duplicate user_id {int(ids[dup].iat[0])} ({int(dup.sum())} duplicates)")
    countries = [normalise_country(c) for c in df["country"]]
    bad_c = [i for i, c in enumerate(countries) if c == "?"]
    if bad_c:
        i = bad_c[0]
        raise InputError(
            path,
            f"line {i + 2}: country {df['country'].iat[i]!r} is not a two-letter code ({len(bad_c)} such lines)",
            "use ISO alpha-2 codes (UK for the United Kingdom) or leave the field empty",
        )
    out = pd.DataFrame(
        {
            "user_id": ids.to_numpy(np.int64),
            "country": pd.array(countries, dtype="string"),
        }
    )
    for name in ("age", "playcount", "registered_unixtime"):
        out[name] = pd.to_numeric(df[name].str.strip(), errors="coerce").astype("Int64")
    out["gender"] = pd.array(df["gender"].str.strip().str.lower(), dtype="string")
    return out


def read_artists(path: str | Path) -> pd.DataFrame:
    """Read ``LFM-1b_artists.txt`` (``artist_id<TAB>name``, no header): artist_id int64, name string."""
    path = Path(path)
    lines = _read_lines(path)
    ids = np.empty(len(lines), dtype=np.int64)
    names = []
    for n, line in enumerate(lines):
        aid, tab, name = line.partition("\t")
        if not tab or not aid.strip().isdigit():
            raise InputError(path, f"line {n + 1} is malformed: expected 'artist_id<TAB>name', got {line[:60]!r}")
        ids[n] = int(aid)
        names.append(name)
    df = pd.DataFrame({"artist_id": ids, "name": pd.array(names, dtype="string")})
    if df["artist_id"].duplicated().any():
        dup = int(df.loc[df["artist_id"].duplicated(), "artist_id"].iat[0])
        raise InputError(path, f"duplicate artist_id {dup}")
    return df


def align_users(les: ListeningEvents, users: pd.DataFrame, les_path, users_path) -> tuple[pd.DataFrame, np.ndarray]:
    """Match every matrix row to its users.txt line through ``idx_users`` (never by position).

    Returns (one row per matrix row: row, user_id, country) and the ids of users listed in users.txt
    but missing from the matrix (147 on the real LFM-1b: users with fewer than 10 distinct artists).
    """
    listed = users.set_index("user_id")
    in_file = np.isin(les.user_ids, listed.index.to_numpy())
    if not in_file.all():
        absent = les.user_ids[~in_file]
        raise InputError(
            les_path,
            f"{absent.size} matrix users are not in {Path(users_path).name} (e.g. user_id {int(absent[0])})",
            "use the users.txt that belongs to this LEs.mat",
        )
    aligned = pd.DataFrame(
        {
            "row": np.arange(les.user_ids.size, dtype=np.int64),
            "user_id": les.user_ids,
            "country": listed["country"].reindex(les.user_ids).to_numpy(),
        }
    )
    aligned["country"] = aligned["country"].astype("string")
    missing = np.setdiff1d(users["user_id"].to_numpy(), les.user_ids)
    return aligned, missing


MAT73_CREATED = "Fri Jan 15 12:00:00 2016"  # fixed, so that the same data writes the same bytes
WRITE_CHUNK = 4_000_000  # non-zeros per HDF5 write: bounds the temporary uint64 copy of ir


def mat73_header(created: str = MAT73_CREATED) -> bytes:
    """The 512-byte MATLAB v7.3 user block: 116 bytes of text, 8 bytes subsystem offset,
    version 0x0200 (bytes 00 02) and the endian indicator 'IM', then zeros."""
    text = f"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: {created} HDF5 schema 1.00 .".encode("ascii")
    return (text.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM").ljust(512, b"\x00")


def write_les(path: str | Path, matrix: sp.spmatrix, user_ids, artist_ids, version: str = "7.3") -> None:
    """Write a users x artists playcount matrix in the LFM-1b ``LEs.mat`` layout, atomically.

    ``version="7.3"`` writes HDF5 with the MATLAB header and the sparse group LEs (data/ir/jc in
    chunks, MATLAB_sparse = number of rows), idx_users and idx_artists as float64 N x 1; ``"5"``
    writes the same variables with scipy.io.savemat. Same input, same bytes.
    """

    csc = matrix if sp.issparse(matrix) and matrix.format == "csc" else sp.csc_matrix(matrix)
    csc.sort_indices()
    uid = np.asarray(user_ids, dtype=np.float64).reshape(-1, 1)
    aid = np.asarray(artist_ids, dtype=np.float64).reshape(-1, 1)
    with atomic_path(path) as tmp:
        if version == "5":
            import scipy.io

            with open(tmp, "wb") as fh:
                scipy.io.savemat(
                    fh, {"LEs": sp.csc_matrix(csc, dtype=np.float64), "idx_users": uid, "idx_artists": aid}, format="5"
                )
            return
        import h5py

        with h5py.File(tmp, "w", userblock_size=512, track_times=False) as f:
            grp = f.create_group("LEs")
            grp.attrs["MATLAB_class"] = np.bytes_(b"double")
            grp.attrs["MATLAB_sparse"] = np.uint64(csc.shape[0])
            data = grp.create_dataset("data", shape=(csc.nnz,), dtype=np.float64, track_times=False)
            ir = grp.create_dataset("ir", shape=(csc.nnz,), dtype=np.uint64, track_times=False)
            for lo in range(0, csc.nnz, WRITE_CHUNK):
                hi = min(lo + WRITE_CHUNK, csc.nnz)
                data[lo:hi] = csc.data[lo:hi].astype(np.float64)
                ir[lo:hi] = csc.indices[lo:hi].astype(np.uint64)
            grp.create_dataset("jc", data=csc.indptr.astype(np.uint64), track_times=False)
            for name, ids in (("idx_users", uid), ("idx_artists", aid)):
                ds = f.create_dataset(name, data=ids, track_times=False)
                ds.attrs["MATLAB_class"] = np.bytes_(b"double")
        with open(tmp, "r+b") as fh:
            fh.write(mat73_header())

"""Held-out evaluation of one model (or reference) on one CV fold: ranking metrics and the
accuracy / cultural-diversity trade-off of the re-ranking methods.

The protocol keeps the fold's test pairs out of everything the evaluation learns from:

- the candidates are the artists with at least one pair in the fold's training part (an artist
  only the test pairs have is unknown to every model: unbiased MF would score it with the global
  mean, and such ties filled lists); its test pairs stay in recall's and NDCG's denominators
  (relevant, but no model can list it), and the ``popular`` and ``random`` references get the same
  candidates;
- ties are broken by a seeded random order of the candidates (:func:`candidate_order`, one per
  fold and seed), never by artist id, which real catalogues assign in sequence;
- the artist countries and the country similarity of the re-ranking and of the list statistics
  are the fold's own, estimated from its training pairs (:mod:`lfmrec.countries.folds`).

For the evaluated users (all users of the sample with a country, or a seeded subset for large
runs) every candidate artist not in the user's training part is scored once (artists with fewer
than ``min_listeners`` distinct listeners in the fold's training part are no one's candidates
either), and each *lister* -- plain top-n (``none``), the paper's ``hard`` rule, ``soft`` and
``calibrated`` over their lambda grids -- builds its top-n from those scores. Each list is compared
with the user's held-out artists (:func:`lfmrec.ranking.evaluate`).

The output of a fold is a small table: method, lambda, users, precision, recall, ndcg, hit,
foreign_share, cultural_distance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import ranking, rerank
from .countries.codes import Countries
from .errors import InputError
from .ids import positions
from .pairs import few_listeners
from .scoring import Depth
from .tables import fold_columns

REFERENCES = ("popular", "random")

Pairs = pd.DataFrame | sp.spmatrix  # user_id / artist_id pairs, or their matrix over users x items


class FoldPairs:
    """The (user, artist) pairs of every fold of a CV split, in one sorted list labelled by fold:
    a fold's training and test pair matrices (:func:`lfmrec.pairs.pair_matrix` over ``user_ids``
    x ``item_ids``) are masks of it. Built once per job, each fold's two matrices then take about
    0.6 s at full scale (the list itself 3.3 s), against about 10 s to take the fold's rows out of the triples and build
    the matrices from them.

    ``folds`` has user_id, artist_id and fold (as ``results/cv/folds.parquet``). Every pair's user
    must be in ``user_ids`` and its artist in ``item_ids``, and no pair may repeat.
    """

    def __init__(self, folds: pd.DataFrame, user_ids, item_ids, where: str = "results/cv/folds.parquet"):
        self.shape = (len(user_ids), len(item_ids))
        u = positions(np.asarray(user_ids), folds["user_id"].to_numpy())
        i = positions(np.asarray(item_ids), folds["artist_id"].to_numpy())
        if np.any(u < 0) or np.any(i < 0):
            raise InputError(where, "lists pairs whose user or artist is not in the triples", "delete it and rerun")
        key = u * np.int64(self.shape[1]) + i
        label = folds["fold"].to_numpy()
        if "row" in folds.columns:  # the triples' row of each pair: triples sorted by user, artist
            key, label = _by_row(key, label, folds["row"].to_numpy())  # put the keys in order
        if key.size > 1 and not np.all(key[1:] > key[:-1]):
            order = np.argsort(key, kind="stable")  # 8 s for all of LFM-1b, against 0.8 s above
            key, label = key[order], label[order]
            if np.any(key[1:] == key[:-1]):
                raise InputError(where, "lists a (user, artist) pair twice", "delete it and rerun")
        self.rows = (key // self.shape[1]).astype(np.int32)
        self.cols = (key % self.shape[1]).astype(np.int32)
        self.fold = label

    def matrix(self, keep: np.ndarray) -> sp.csr_matrix:
        """Boolean CSR of the pairs where ``keep`` (per pair, in this object's order) is True."""
        cols = self.cols[keep]
        ptr = np.zeros(self.shape[0] + 1, np.int64)
        np.cumsum(np.bincount(self.rows[keep], minlength=self.shape[0]), out=ptr[1:])
        mat = sp.csr_matrix((np.ones(cols.size, dtype=bool), cols, ptr), shape=self.shape)
        mat.has_sorted_indices = True
        mat.has_canonical_format = True
        return mat

    def split(self, fold) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(training, test) pair matrices of ``fold`` (a value of the folds' fold column)."""
        test = self.fold == fold
        return self.matrix(~test), self.matrix(test)


def _by_row(key: np.ndarray, label: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``key`` and ``label`` placed at ``row`` when it is a permutation of 0..n-1, else as they are."""
    n = key.size
    if row.dtype.kind not in "iu" or row.size != n or (n and (row.min() < 0 or row.max() >= n)):
        return key, label
    placed = np.full(n, -1, np.int64)
    placed[row] = key
    if np.any(placed < 0):  # a row repeats: not a permutation
        return key, label
    out = np.empty_like(label)
    out[row] = label
    return placed, out


def evaluated_users(users: pd.DataFrame, test: Pairs, limit: int | str, seed: int) -> np.ndarray:
    """Row indices into ``users`` of the users evaluated: those with test pairs, or a seeded subset
    of ``limit`` of them (ascending). ``test`` is a DataFrame of the test pairs or their matrix
    over ``users`` (any number of columns)."""
    if sp.issparse(test):
        if test.shape[0] != len(users):
            raise ValueError(f"test matrix has {test.shape[0]} rows, users {len(users)}")
        rows = np.flatnonzero(np.diff(sp.csr_matrix(test).indptr) > 0)
    else:
        rows = np.flatnonzero(users["user_id"].isin(test["user_id"]).to_numpy())
    if limit == "all" or int(limit) >= rows.size:
        return rows
    pick = np.random.default_rng(seed).choice(rows.size, size=int(limit), replace=False)
    return np.sort(rows[pick])


def candidate_order(train: sp.spmatrix, seed: int, fold: int) -> tuple[np.ndarray, int]:
    """(column order, number of candidates) of a fold: the columns of ``train`` (users x items
    training pairs) with at least one training pair -- the candidates -- in a random order drawn
    from ``(seed, fold)``, then the others in their order. Placing the columns in this order makes
    every list's ties (which go to the earlier column) fall by the seeded order, not by id."""
    listened = np.bincount(sp.csr_matrix(train).indices, minlength=train.shape[1]) > 0
    cand, other = np.flatnonzero(listened), np.flatnonzero(~listened)
    rng = np.random.default_rng([int(seed) % 2**64, int(fold) % 2**64, 0x7A1E])  # not the random reference's stream
    return np.concatenate([cand[rng.permutation(cand.size)], other]), int(cand.size)


def listers(
    sweep: dict[str, Iterable[float]], n: int, c: Countries, target: np.ndarray, pool: int
) -> dict[tuple[str, float], ranking.Lister]:
    """(method, lambda) -> lister: ``none`` and ``hard`` once, ``soft`` / ``calibrated`` per lambda."""

    def make(method: str, lam: float) -> ranking.Lister:
        return rerank.make_reranker(method, lam, n, c.user_country, c.item_country, c.similarity, target, pool=pool, shared=True)

    return {(method, lam): make(method, lam) for method, lam in listers_of(sweep)}


def excluded_items(history: sp.spmatrix, min_listeners: int = 1) -> np.ndarray:
    """The columns of ``history`` (a fold's users x items training pairs) that are not candidates:
    no training pair (no model knows the artist), or fewer than ``min_listeners`` listeners."""
    history = sp.csr_matrix(history)
    exclude = np.bincount(history.indices, minlength=history.shape[1]) == 0
    few = few_listeners(history, min_listeners)
    if few is not None:
        exclude |= few
    return exclude


def score_depth(
    sweep: dict[str, Iterable[float]], n: int, pool: int, c: Countries, rows: np.ndarray, exclude: np.ndarray
) -> Depth:
    """How deep :func:`evaluate_fold`'s listers look into the scores of the users ``rows`` (a
    :class:`lfmrec.scoring.Depth` for :func:`lfmrec.scoring.iter_score_blocks`): the plain and hard
    top-n and every re-ranking variant of ``sweep``."""
    variants = [(m, float(lam)) for m, lam in listers_of(sweep)]
    overall, foreign, soft = rerank.list_depth(variants, n, pool)
    return Depth(overall, foreign, c.user_country[rows], c.item_country, soft, n, c.similarity, exclude)


# the listers whose per-user metrics evaluate_fold returns: the plain and the hard lists
PER_USER_LISTERS = ("none 0.0", "hard 0.0")


def listers_of(sweep: dict[str, Iterable[float]]) -> list[tuple[str, float]]:
    """The (method, lambda) variants of a fold's evaluation: ``none`` and ``hard``, then ``soft`` and
    ``calibrated`` at each lambda of ``sweep``."""
    out = [("none", 0.0), ("hard", 0.0)]
    for method in ("soft", "calibrated"):
        out += [(method, float(lam)) for lam in sweep.get(method, ())]
    return out


def evaluate_fold(
    blocks: Iterator[tuple[int, np.ndarray]],
    users: pd.DataFrame,
    rows: np.ndarray,
    item_ids: np.ndarray,
    train: Pairs,
    test: Pairs,
    c: Countries,
    n: int,
    sweep: dict[str, Iterable[float]],
    pool: int,
    min_listeners: int = 1,
    per_user: bool = False,
    lists_of: Iterable[str] = (),
):
    """Metrics of every lister for the users ``rows`` (indices into ``users``), whose score blocks
    ``blocks`` yields in that order over ``item_ids`` (ties fall by that order). Artists without a
    pair in ``train``, or with fewer than ``min_listeners`` distinct listeners in it, are not
    candidates. ``train`` and ``test`` are DataFrames of the fold's pairs or their matrices over
    ``users`` x ``item_ids`` (as :meth:`FoldPairs.split` gives them, columns in ``item_ids``' order).

    With ``per_user`` returns (table, per-user table: method, lambda, user_id and the metrics of
    the ``none`` and ``hard`` lists); the lists of the (method, lambda) pairs in ``lists_of`` are in
    ``table.attrs["lists"]`` keyed by "method lambda" (see :func:`lfmrec.ranking.evaluate`)."""
    user_ids = users["user_id"].to_numpy(np.int64)[rows]
    sub = Countries(c.user_country[rows], c.item_country, c.similarity, c.item_labels)
    all_ids = users["user_id"].to_numpy(np.int64)
    history = ranking.as_pair_matrix(train, all_ids, item_ids, "train")
    if sp.issparse(test):
        test = ranking.as_pair_matrix(test, all_ids, item_ids, "test")[rows]
    # the target needs the global mix of all users (fallback), then the evaluated users' rows
    target = rerank.history_target(history, c.user_country, c.item_country, c.similarity.shape[0])[rows]
    named = {f"{m} {lam!r}": (m, lam, fn) for (m, lam), fn in listers(sweep, n, sub, target, pool).items()}
    exclude = excluded_items(history, min_listeners)
    result = ranking.evaluate(
        blocks,
        user_ids,
        item_ids,
        history[rows],
        test,
        n=n,
        listers={name: fn for name, (_, _, fn) in named.items()},
        user_country=sub.user_country,
        item_country=sub.item_country,
        similarity=sub.similarity,
        exclude=exclude if exclude.any() else None,
        per_user=PER_USER_LISTERS if per_user else False,
        lists_of=[f"{m} {float(lam)!r}" for m, lam in lists_of],
    )
    table, long = result if per_user else (result, None)
    lists = table.attrs.get("lists", {})
    table.insert(0, "method", [named[x][0] for x in table["lister"]])
    table.insert(1, "lambda", [named[x][1] for x in table["lister"]])
    cols = ["method", "lambda", "users", *ranking.METRICS, "foreign_share", "cultural_distance"]
    table = table[cols].reset_index(drop=True)
    table.attrs["lists"] = lists
    if not per_user:
        return table
    long.insert(0, "method", [named[x][0] for x in long["lister"]])
    long.insert(1, "lambda", [named[x][1] for x in long["lister"]])
    return table, long.drop(columns="lister").reset_index(drop=True)


def evaluate_together(
    blocks: Iterator[tuple[int, np.ndarray]], n_models: int, evaluate: Callable[[int, Iterator], object]
) -> list:
    """``[evaluate(m, blocks_m) for m in range(n_models)]`` where ``blocks`` yields the blocks of
    several models scored together (``(start, scores)``, ``scores[m]`` model m's block, as
    :func:`lfmrec.scoring.iter_joint_blocks` gives them) and ``blocks_m`` yields ``(start,
    scores[m])``: each model's evaluation exactly as alone, the scores computed once.

    The evaluations run in a thread each and take every block together (a barrier whose last
    arrival asks ``blocks`` for the next), so a block is not replaced while any of them reads it
    and the blocks may share one buffer. An evaluation that stops early is drained; the first error
    raised by ``blocks`` or an evaluation is raised (the others stop at the barrier)."""
    if n_models == 1:
        return [evaluate(0, ((start, scores[0]) for start, scores in blocks))]
    source = iter(blocks)
    current: list = [None]  # the block every thread reads until they all ask for the next

    def advance() -> None:
        current[0] = next(source, None)

    barrier = threading.Barrier(n_models, action=advance)

    def model_blocks(m: int) -> Iterator[tuple[int, np.ndarray]]:
        while True:
            barrier.wait()
            if current[0] is None:
                return
            start, scores = current[0]
            yield start, scores[m]

    def run(m: int):
        mine = model_blocks(m)
        try:
            result = evaluate(m, mine)
            for _ in mine:  # stopped early: keep taking blocks with the others until the end
                pass
            return result
        except BaseException:
            barrier.abort()  # the others stop waiting for this thread
            raise

    with ThreadPoolExecutor(max_workers=n_models, thread_name_prefix="evaluate") as pool:
        futures = [pool.submit(run, m) for m in range(n_models)]
    errors = [e for e in (f.exception() for f in futures) if e is not None]
    if errors:  # the cause first: the others only saw the barrier broken
        raise next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)), errors[0])
    return [f.result() for f in futures]


def reference_blocks(name: str, train: Pairs, user_ids: np.ndarray, item_ids: np.ndarray, seed: int, block_users: int):
    """Score blocks of a reference model: ``popular`` (training listeners) or ``random`` (seeded).
    ``train``: the training pairs, or their matrix over every user x ``item_ids``."""
    if name == "popular":
        return ranking.popular_blocks(train, user_ids, item_ids, block_users)
    if name == "random":
        return ranking.random_scores(seed, user_ids, item_ids, block_users)
    raise ValueError(f"unknown reference {name!r}: use one of {REFERENCES}")


def fold_table(per_fold: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    """results/ranking_metrics.csv: plain top-n metrics, one row per model and metric with
    fold_1..fold_k, mean and std (ddof=1), as results/metrics.csv."""
    out = []
    for model, tables in per_fold.items():
        plain = [t[t["method"] == "none"].iloc[0] for t in tables]
        for metric in ranking.METRICS:
            values = [float(p[metric]) for p in plain]
            out.append({"model": model, "metric": f"{metric}@n", **fold_columns(values)})
    return pd.DataFrame(out)


def tradeoff_table(per_fold: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    """results/tradeoff.csv: every (model, method, lambda) with its metrics averaged over folds."""
    rows = []
    for model, tables in per_fold.items():
        both = pd.concat(tables, ignore_index=True)
        mean = both.groupby(["method", "lambda"], sort=False).mean(numeric_only=True).reset_index()
        mean.insert(0, "model", model)
        mean["folds"] = len(tables)
        rows.append(mean)
    return pd.concat(rows, ignore_index=True)


def tradeoff_notes(table: pd.DataFrame) -> list[str]:
    """What results/tradeoff.csv cannot show, and why: per method, the models whose re-ranked lists
    were empty in every fold (no candidate from another country: with one user country, every
    listened artist is labelled with it), so that their foreign share and cultural distance are
    empty and their accuracy is 0."""
    notes = []
    for method, rows in table.groupby("method", sort=False):
        empty = rows.loc[rows["foreign_share"].isna(), "model"].drop_duplicates().tolist()
        if empty:
            notes.append(
                f"{method}: no list in any fold for {', '.join(empty)} (no candidate artist from another "
                "country), so foreign share and cultural distance are empty and the accuracy is 0."
            )
    return notes

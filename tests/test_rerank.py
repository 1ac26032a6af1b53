"""Country-aware re-ranking: the hard rule equals phase 2's lists, soft and calibrated worked out by
hand, their lam = 0 limits, the target mixes and the list statistics."""

import numpy as np
import pytest
import scipy.sparse as sp

from lfmrec import ranking, rerank, rerank_kernels
from lfmrec.recommend import recommend_block
from lfmrec.topn import top_n

US, DE, PL = 0, 1, 2


def random_case(seed, b=40, m=60, C=5):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 8, size=(b, m)).astype(float)  # many ties
    played = sp.csr_matrix(rng.random((b, m)) < 0.2)
    uc = rng.integers(0, C, size=b)
    ic = rng.integers(-1, C, size=m)  # some unknown countries
    return scores, played, uc, ic


def excluded(scores, played):
    s = scores.copy()
    s[played.nonzero()] = -np.inf
    return s


def hard_by_sorting(scores, played, uc, ic, n):
    """The paper's rule written out: per user, unplayed finite-score artists of another country
    (an unknown country is another), sorted by score descending then column, the first n."""
    rows, cols = [], []
    played = played.toarray()
    for u in range(scores.shape[0]):
        keep = [
            j
            for j in range(scores.shape[1])
            if not played[u, j] and np.isfinite(scores[u, j]) and not (ic[j] >= 0 and ic[j] == uc[u])
        ]
        best = sorted(keep, key=lambda j: (-scores[u, j], j))[:n]
        rows += [u] * len(best)
        cols += best
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


@pytest.mark.parametrize("seed, n", [(0, 10), (1, 3), (2, 55)])
def test_hard_rule_by_sorting(seed, n):
    scores, played, uc, ic = random_case(seed)
    want = hard_by_sorting(scores, played, uc, ic, n)
    rows, cols, _, _ = recommend_block(scores, played, uc, ic, n)
    np.testing.assert_array_equal(rows, want[0])
    np.testing.assert_array_equal(cols, want[1])
    s = excluded(scores, played)
    r2, c2 = rerank.rerank(s, uc, ic, "hard", n=n)
    np.testing.assert_array_equal(r2, want[0])
    np.testing.assert_array_equal(c2, want[1])
    assert (s == excluded(scores, played)).all()  # the input is not modified


@pytest.mark.parametrize("seed", [0, 1])
def test_lam_zero_is_plain_top_n(seed):
    scores, played, uc, ic = random_case(seed)
    s = excluded(scores, played)
    C = 5
    sim = np.random.default_rng(seed).random((C, C))
    target = rerank.history_target(played, uc, ic, C)
    want = top_n(s, 10)
    for method, kw in [("none", {}), ("soft", {"similarity": sim}), ("calibrated", {"target": target})]:
        got = rerank.rerank(s, uc, ic, method, 0.0, 10, **kw)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    # also with a pool smaller than the candidates
    got = rerank.rerank(s, uc, ic, "calibrated", 0.0, 10, target=target, pool=12)
    np.testing.assert_array_equal(got[1], want[1])


def test_soft_by_hand():
    # user from US; items: 0 US (sim 1), 1 CA (sim 0.75), 2 DE (sim 0.25), 3 PL (sim 0)
    sim = np.array(
        [
            [1.0, 0.75, 0.25, 0.0],
            [0.75, 1.0, 0.0, 0.0],
            [0.25, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    scores = np.array([[5.0, 4.75, 4.5, 4.0]])
    uc, ic = np.array([0]), np.array([0, 1, 2, 3])
    # lam 0:   5, 4.75, 4.5, 4 -> 0, 1
    assert rerank.rerank(scores, uc, ic, "soft", 0.0, 2, sim)[1].tolist() == [0, 1]
    # lam 1:   5 - 1 = 4, 4.75 - 0.75 = 4, 4.5 - 0.25 = 4.25, 4 -> 2, then the 4.0 ties by column: 0
    assert rerank.rerank(scores, uc, ic, "soft", 1.0, 2, sim)[1].tolist() == [2, 0]
    # lam 2:   3, 3.25, 4.0, 4.0 -> 2, 3 (tie by column); same and similar country pushed down
    assert rerank.rerank(scores, uc, ic, "soft", 2.0, 4, sim)[1].tolist() == [2, 3, 1, 0]
    # unknown user or item country: similarity 0, no penalty
    assert rerank.rerank(scores, np.array([-1]), ic, "soft", 2.0, 2, sim)[1].tolist() == [0, 1]
    assert rerank.rerank(scores, uc, np.array([-1, 1, 2, 3]), "soft", 2.0, 2, sim)[1].tolist() == [0, 2]


# Calibrated, worked by hand. User from US (home), target p = (US 0, DE 0.75, PL 0.25), alpha 0.01.
# Candidates (column: score, country): 0: 10 US, 1: 9 DE, 2: 8 DE, 3: 7 PL, 4: 6 DE.
# Scores min-max normalised over the pool: s = 1, 0.75, 0.5, 0.25, 0.
# KL(p || q~), q~ = 0.99 q + 0.01 p, for the country mixes q (US, DE, PL) that occur:
#   (1, 0, 0): 0.75 ln(0.75/0.0075) + 0.25 ln(0.25/0.0025) = ln 100          = 4.60517
#   (0, 1, 0): 0.75 ln(0.75/0.9975) + 0.25 ln 100 = -0.21390 + 1.15129        = 0.93741
#   (0, 0, 1): 0.75 ln 100 + 0.25 ln(0.25/0.9925) = 3.45388 - 0.34470         = 3.10919
#   (1/2, 1/2, 0): 0.75 ln(0.75/0.5025) + 0.25 ln 100 = 0.30036 + 1.15129     = 1.45165
#   (0, 1/2, 1/2): 0.75 ln(0.75/0.5025) + 0.25 ln(0.25/0.4975) = 0.30036 - 0.17204 = 0.12832
#   (1/3, 1/3, 1/3): 0.75 ln(0.75/0.3375) + 0.25 ln(0.25/0.3325)              = 0.52759
#   (0, 2/3, 1/3): 0.75 ln(0.75/0.6675) + 0.25 ln(0.25/0.3325) = 0.08740 - 0.07130 = 0.01611
#   (1/3, 2/3, 0): 0.75 ln(0.75/0.6675) + 0.25 ln(0.25/0.0025)                = 1.23869
# Objective (1 - lam) * sum(s) - lam * KL, n = 3.
# lam = 0.5:
#   step 1: 0: .5*1    - .5*4.60517 = -1.80259   1: .5*.75 - .5*.93741 = -0.09370
#           2: .5*.5   - .5*.93741  = -0.21870   3: .5*.25 - .5*3.10919 = -1.42959
#           4: .5*0    - .5*.93741  = -0.46870   -> 1 (DE)
#   step 2 (list 1): 0: .5*1.75 - .5*1.45165 = 0.14917   2: .5*1.25 - .5*.93741 = 0.15630
#           3: .5*1.0 - .5*.12832 = 0.43584   4: .5*.75 - .5*.93741 = -0.09370  -> 3 (PL)
#   step 3 (list 1, 3): 0: .5*2.0 - .5*.52759 = 0.73621   2: .5*1.5 - .5*.01611 = 0.74195
#           4: .5*1.0 - .5*.01611 = 0.49195  -> 2 (DE)              list: 1, 3, 2
# lam = 0.2:
#   step 1: 0: .8 - .92103 = -0.12103   1: .6 - .18748 = 0.41252   2: .4 - .18748 = 0.21252
#           3: .2 - .62184 = -0.42184   4: 0 - .18748 = -0.18748  -> 1
#   step 2 (list 1): 0: .8*1.75 - .2*1.45165 = 1.10967   2: .8*1.25 - .18748 = 0.81252
#           3: .8*1.0 - .2*.12832 = 0.77434   4: .8*.75 - .18748 = 0.41252  -> 0 (US!)
#   step 3 (list 1, 0): 2: .8*2.25 - .2*1.23869 = 1.55226   3: .8*2.0 - .2*.52759 = 1.49448
#           4: .8*1.75 - .2*1.23869 = 1.15226  -> 2                 list: 1, 0, 2
# lam = 1 (KL only): step 1 the DE items tie at 0.93741 -> 1 (first in pool order);
#   step 2: PL 0.12832 < DE 0.93741 < US 1.45165 -> 3; step 3: DE 0.01611 < US 0.52759 -> 2
# lam = 0: plain top 3 = 0, 1, 2.
CAL_SCORES = np.array([[10.0, 9.0, 8.0, 7.0, 6.0]])
CAL_IC = np.array([US, DE, DE, PL, DE])
CAL_P = np.array([[0.0, 0.75, 0.25]])


@pytest.mark.parametrize("lam, want", [(0.0, [0, 1, 2]), (0.2, [1, 0, 2]), (0.5, [1, 3, 2]), (1.0, [1, 3, 2])])
def test_calibrated_by_hand(lam, want):
    rows, cols = rerank.rerank(CAL_SCORES, np.array([US]), CAL_IC, "calibrated", lam, 3, target=CAL_P)
    assert rows.tolist() == [0, 0, 0] and cols.tolist() == want


def test_calibrated_is_vectorised_over_users_and_respects_the_pool():
    # two copies of the hand case in one block, the second with lam's list; plus an empty row
    s = np.vstack([CAL_SCORES, CAL_SCORES, np.full((1, 5), -np.inf)])
    p = np.vstack([CAL_P, CAL_P, CAL_P])
    rows, cols = rerank.rerank(s, np.array([US, US, US]), CAL_IC, "calibrated", 0.5, 3, target=p)
    assert rows.tolist() == [0, 0, 0, 1, 1, 1] and cols.tolist() == [1, 3, 2, 1, 3, 2]
    # pool of 3 (columns 0, 1, 2; normalised 1, 0.5, 0): PL item 3 is out of reach;
    # step 1: 0: .5 - 2.30259, 1: .25 - .46870, 2: 0 - .46870 -> 1;
    # step 2: 0: .5*1.5 - .5*1.45165 = 0.02417, 2: .5*.5 - .46870 = -0.21870 -> 0; step 3: 2
    rows, cols = rerank.rerank(CAL_SCORES, np.array([US]), CAL_IC, "calibrated", 0.5, 3, target=CAL_P, pool=3)
    assert cols.tolist() == [1, 0, 2]
    # fewer candidates than n: a shorter list
    s = CAL_SCORES.copy()
    s[0, [0, 2, 4]] = -np.inf
    assert rerank.rerank(s, np.array([US]), CAL_IC, "calibrated", 0.5, 3, target=CAL_P)[1].tolist() == [1, 3]


def test_calibrated_unknown_country_items_leave_q_unchanged():
    # item 1 unknown: q stays that of the known items. Target DE only; lam 1 (KL only).
    # step 1: US -> q~ = (0.99, 0.01) KL = ln 100 = 4.605; unknown -> q = 0, q~ = 0.01 p: KL = ln 100;
    #         DE -> KL = ln(1/1) = 0 -> 2
    # step 2: US -> q (1/2, 1/2): KL = ln(1/0.505) = 0.683; unknown -> q stays (0, 1): KL 0 -> 1
    s = np.array([[3.0, 2.0, 1.0]])
    rows, cols = rerank.rerank(
        s, np.array([PL]), np.array([US, -1, DE]), "calibrated", 1.0, 2, target=np.array([[0.0, 1.0, 0.0]])
    )
    assert cols.tolist() == [2, 1]


def test_history_target():
    # items: 0 US, 1 DE, 2 DE, 3 PL, 4 unknown
    ic = np.array([US, DE, DE, PL, -1])
    hist = sp.csr_matrix(
        np.array(
            [
                [5, 1, 1, 2, 9],  # user from US: foreign by artist count DE 2, PL 1 -> (0, 2/3, 1/3)
                [1, 0, 0, 0, 0],  # user from US with only US history -> global foreign mix
                [0, 3, 0, 0, 0],  # user from DE with only DE history -> global mix without DE
            ]
        )
    )
    uc = np.array([US, US, DE])
    t = rerank.history_target(hist, uc, ic, 3)
    # global mix by artist count (before removing homes): US 2, DE 3, PL 1
    np.testing.assert_allclose(t, [[0, 2 / 3, 1 / 3], [0, 3 / 4, 1 / 4], [2 / 3, 0, 1 / 3]])
    tp = rerank.history_target(hist, uc, ic, 3, by="plays")  # row 0: DE 1 + 1, PL 2
    np.testing.assert_allclose(tp[0], [0, 0.5, 0.5])


def test_list_stats():
    sim = np.array([[1.0, 0.25, 0.0], [0.25, 1.0, 0.5], [0.0, 0.5, 1.0]])
    uc = np.array([US, DE])
    ic = np.array([US, DE, PL, -1])
    # user 0 (US): items 0 (US, home), 1 (DE), 3 (unknown -> foreign, no distance)
    # user 1 (DE): items 2 (PL)
    rows, cols = np.array([0, 0, 0, 1]), np.array([0, 1, 3, 2])
    st = ranking.list_stats(rows, cols, uc, ic, sim)
    assert st["items"] == 4 and st["foreign"] == 3 and st["foreign_share"] == pytest.approx(0.75)
    # distances: 1 - 1 = 0, 1 - 0.25 = 0.75, 1 - 0.5 = 0.5 -> mean 1.25 / 3
    assert st["known"] == 3 and st["cultural_distance"] == pytest.approx(1.25 / 3)


def test_make_reranker_picks_the_block_users():
    s = np.vstack([CAL_SCORES, CAL_SCORES])
    target = np.array([[1.0, 0.0, 0.0], [0.0, 0.75, 0.25], [0.0, 0.0, 1.0]])  # users 0, 1, 2
    lister = rerank.make_reranker("calibrated", 0.5, 3, np.array([DE, US, US]), CAL_IC, target=target)
    rows, cols = lister(s, np.array([1, 1]))
    assert cols.tolist() == [1, 3, 2] * 2
    with pytest.raises(ValueError, match="method must be one of"):
        rerank.rerank(CAL_SCORES, np.array([US]), CAL_IC, "nope")


def test_calibrated_listers_sharing_a_read_only_block_give_the_lists_of_a_fresh_block():
    """The calibrated listers of a sweep reuse the candidate pool of the read-only block they are
    all given (rerank._pool); each list must equal the list computed from a private copy."""
    rng = np.random.default_rng(7)
    b, m, C = 6, 40, 4
    scores = rng.random((b, m))
    scores[0, :5] = scores[0, 5]  # ties inside the pool
    uc, ic = rng.integers(0, C, b), rng.integers(-1, C, m)
    target = rng.dirichlet(np.ones(C), b)
    shared = scores.copy()
    shared.flags.writeable = False
    for lam, pool in [(0.2, 10), (0.5, 10), (0.5, 20), (0.9, 10)]:
        got = rerank.rerank(shared, uc, ic, "calibrated", lam, 5, target=target, pool=pool)
        want = rerank.rerank(scores.copy(), uc, ic, "calibrated", lam, 5, target=target, pool=pool)
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True)), (lam, pool)
    other = rng.random((b, m))  # a new block of the same shape is not served the old pool
    other.flags.writeable = False
    got = rerank.rerank(other, uc, ic, "calibrated", 0.5, 5, target=target, pool=10)
    want = rerank.rerank(other.copy(), uc, ic, "calibrated", 0.5, 5, target=target, pool=10)
    assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))


# The calibrated re-ranker as first written: numpy, vectorised over the block's users, one greedy
# step per rank. The compiled kernel (rerank_kernels._greedy_calibration) must pick the same lists.
def numpy_calibrated(scores, item_country, target, lam, n, pool, alpha):
    # the pool, its normalised scores and country codes: the re-ranker's own preparation (what is
    # compared here is the greedy selection)
    inputs = rerank._calibration_inputs(scores, item_country, target, n, pool)
    if inputs is None:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    p, cand, sn, ccode = inputs
    b, C = p.shape
    valid = cand >= 0
    cidx = np.where(ccode >= 0, ccode, C)  # column C of the options = unknown country
    pos = p > 0
    plogp = np.where(pos, p * np.log(np.where(pos, p, 1.0)), 0.0).sum(axis=1)

    counts = np.zeros((b, C))
    total = np.zeros(b)
    chosen = ~valid
    out = np.full((b, n), -1, dtype=np.int64)
    ar = np.arange(b)
    for k in range(n):
        w = (1.0 - alpha) / (total + 1.0)
        A = counts * w[:, None] + alpha * p  # q~ after adding an item of no target country
        logA = np.log(np.where(pos, A, 1.0))
        base = plogp - (p * logA).sum(axis=1)  # KL(p || q~) after adding a p = 0 country item
        kl = np.empty((b, C + 1))
        gain = np.log(np.where(pos, A + w[:, None], 1.0))
        kl[:, :C] = base[:, None] + np.where(pos, p * (logA - gain), 0.0)
        B = counts * ((1.0 - alpha) / np.maximum(total, 1.0))[:, None] + alpha * p
        kl[:, C] = plogp - (p * np.log(np.where(pos, B, 1.0))).sum(axis=1)  # unknown: q unchanged
        obj = (1.0 - lam) * sn - lam * np.take_along_axis(kl, cidx, axis=1)
        obj[chosen] = -np.inf
        j = obj.argmax(axis=1)  # first maximum: pool order breaks ties
        ok = np.isfinite(obj[ar, j])
        if not ok.any():
            break
        rows, jj = ar[ok], j[ok]
        out[rows, k] = cand[rows, jj]
        chosen[rows, jj] = True
        cc = ccode[rows, jj]
        kn = cc >= 0
        counts[rows[kn], cc[kn]] += 1.0
        total[rows[kn]] += 1.0
    rows, ranks = np.nonzero(out >= 0)
    return rows, out[rows, ranks]


@pytest.mark.parametrize("seed", range(4))
def test_compiled_calibration_equals_the_numpy_greedy(seed):
    rng = np.random.default_rng(seed)
    b, m, C = 40, 300, 7
    scores = rng.normal(size=(b, m))
    scores[rng.random((b, m)) < 0.2] = -np.inf  # played artists
    scores[0, :] = -np.inf
    scores[1, 5:] = -np.inf  # fewer candidates than n
    scores[2, :50] = 1.0  # ties
    ic = rng.integers(-1, C + 2, m)  # unknown countries and codes beyond the target's columns
    target = rng.dirichlet(np.ones(C), b) * (rng.random((b, 1)) < 0.9)  # some users without a target
    target[3, 2:] = 0.0
    target[3] /= target[3].sum()
    for lam in (0.0, 0.1, 0.5, 0.9, 0.99, 1.0):
        for pool, n in ((100, 10), (12, 10), (300, 25)):
            got = rerank._calibrated(scores, ic, target, lam, n, pool, rerank.ALPHA)
            want = numpy_calibrated(scores, ic, target, lam, n, pool, rerank.ALPHA)
            assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True)), (seed, lam, pool)


# soft's penalised scores as first written (a penalised copy of the block, then top_n); the
# compiled selection (rerank_kernels._soft_select) must pick the same lists without the copy.
def numpy_soft_scores(scores: np.ndarray, uc: np.ndarray, ic: np.ndarray, sim: np.ndarray, lam: float) -> np.ndarray:
    """``scores - lam * sim[user country, item country]`` (0 where either is unknown, -1), one user
    country at a time: a gather of one similarity row per country, no (b, m) fancy index."""
    out = np.array(scores, dtype=np.float64, copy=True)
    known_item = ic >= 0
    safe_ic = np.where(known_item, ic, 0)
    for code in np.unique(uc[uc >= 0]):
        rows = np.flatnonzero(uc == code)
        penalty = np.where(known_item, sim[code][safe_ic], 0.0) * lam
        out[rows] -= penalty
    return out


@pytest.mark.parametrize("seed", range(3))
def test_compiled_soft_selection_equals_top_n_of_the_penalised_copy(seed):
    rng = np.random.default_rng(seed)
    b, m, C = 30, 400, 6
    scores = np.round(rng.normal(size=(b, m)), 1)  # many ties
    scores[rng.random((b, m)) < 0.2] = -np.inf
    scores[0, :] = -np.inf
    scores[1, 3:] = -np.inf
    uc = rng.integers(-1, C, b)
    ic = rng.integers(-1, C, m)
    sim = np.round(rng.random((C, C)), 2)
    np.fill_diagonal(sim, 1.0)
    for lam in (0.25, 1.0, 8.0):
        for n in (1, 10, 450):
            got = rerank.rerank(scores, uc, ic, "soft", lam, n, similarity=sim)
            want = top_n(numpy_soft_scores(scores, uc, ic, sim, lam), n)
            assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True)), (seed, lam, n)


def sorted_lists(values: np.ndarray, n: int, keep: np.ndarray | None = None):
    """Per row, the n best finite values (ties by column) among ``keep``, by sorting."""
    rows, cols = [], []
    for r in range(values.shape[0]):
        ok = np.isfinite(values[r]) & (True if keep is None else keep[r])
        best = sorted(np.flatnonzero(ok), key=lambda j: (-values[r, j], j))[:n]
        rows += [r] * len(best)
        cols += best
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


@pytest.mark.parametrize("seed", range(4))
def test_listers_sharing_a_block_read_its_pool_and_give_the_lists_of_the_whole_rows(seed):
    """none / hard / soft of a shared read-only block are merged from per-country pools of it (one
    pass for the whole sweep): the lists must be those of sorting the whole rows, also where a
    merge cannot prove its list (ties at a country pool's edge) and the row is listed whole."""
    rng = np.random.default_rng(seed)
    b, m, C = 60, 300, 5
    scores = np.round(rng.normal(size=(b, m)), 1)  # many ties, also at the pool's edge
    scores[rng.random((b, m)) < 0.3] = -np.inf
    scores[0, :] = -np.inf  # no candidate
    scores[1, 5:] = -np.inf  # fewer candidates than n
    uc = rng.integers(-1, C, b)
    ic = rng.integers(-1, C, m)
    ic[: m // 2] = np.where(rng.random(m // 2) < 0.8, uc[2] if uc[2] >= 0 else 0, ic[: m // 2])  # one country dominates
    sim = np.round(rng.random((C, C)), 2)
    np.fill_diagonal(sim, 1.0)
    scores.flags.writeable = False
    foreign = (uc[:, None] < 0) | (ic[None, :] < 0) | (ic[None, :] != uc[:, None])
    fell_back = 0
    for pool in (10, 12, 40, 100):
        for n in (1, 10):
            want = {("none", 0.0): sorted_lists(scores, n), ("hard", 0.0): sorted_lists(scores, n, foreign)}
            for lam in (0.0, 0.5, 2.0, 8.0):
                want[("soft", lam)] = sorted_lists(numpy_soft_scores(scores, uc, ic, sim, lam), n)
            for (method, lam), (w_rows, w_cols) in want.items():
                got = rerank.rerank(scores, uc, ic, method, lam, n, similarity=sim, pool=pool, shared=True)
                np.testing.assert_array_equal(got[0], w_rows, err_msg=f"{method} {lam} pool {pool} n {n}")
                np.testing.assert_array_equal(got[1], w_cols, err_msg=f"{method} {lam} pool {pool} n {n}")
            cols, vals, lens = rerank._country_pool(scores, ic, C, n)
            for lam in (0.5, 2.0, 8.0):
                out, out_len, exact = np.zeros((b, n), np.int64), np.zeros(b, np.int64), np.zeros(b, np.bool_)
                rerank_kernels._merge_country_pools(cols, vals, lens, uc, sim, lam, 2, n, out, out_len, exact)
                fell_back += int((~exact).sum())
    assert fell_back > 0  # ties at a country pool's edge: the whole-row route was taken too

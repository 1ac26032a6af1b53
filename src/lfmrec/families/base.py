"""The model interface: one class per model family, all subclasses of :class:`ScoringParams`.

A family's class is both its fitted parameters (the arrays its scores need, pickled by the
fitting jobs) and what is done with them. What every family gives, the rest of the code asks for
through these methods and nothing else:

========================  ===================================================================
config                    ``algorithms`` (the config's ``algorithm`` names it fits), ``kinds``,
                          ``topn`` (ranking scores, no ratings), ``defaults``, ``describe``,
                          ``validate_native``, ``fitted_by``
fit                       ``fit(spec, seed, train, scale, exact)`` (the native engine's or the
                          family's own library), ``surprise_algorithm(spec, seed)`` (Surprise's)
score a block             ``plan_items(plan, pruned)`` once per call, then
                          ``score_block(plan, uinner, out, defer)`` per block of users
optional routes           ``bounded_rows`` (float32 product with an error bound),
                          ``prunable`` + the plan's pruned scorer (scoring to a list depth),
                          ``score_pairs_block`` (a top-n model's held-out pairs)
predict pairs             ``predict_pairs(u, i)``: Surprise's ``test()`` estimates (inner ids)
memory and runtime        ``model_bytes``, ``fit_seconds``, ``scoring_cost``,
                          ``block_temporaries``, ``scoring_extra_bytes``, ``memory_hint``
========================  ===================================================================

``ScoringParams(kind=..., ...)`` builds the class registered for ``kind`` (see
:mod:`lfmrec.families`), so engines and tests build fitted parameters without naming the class.
docs/models.md shows a new family added in one module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..ids import inner_ids


@dataclass(frozen=True)
class Depth:
    """How deep lists look into each user's scores (:mod:`lfmrec.native.knn_topn`): the ``overall``
    best candidates, the ``foreign`` best whose country code differs from the user's, and for each
    lambda of ``soft`` the ``soft_n`` best of ``score - lam * similarity[user country, item
    country]`` (no penalty for an unknown country, -1). ``user_country`` per scored user (in the
    order of the users asked for), ``item_country`` per candidate column, ``skip`` per column: not
    a candidate (e.g. too few listeners; None: every column is one). See
    :func:`lfmrec.rerank.list_depth`."""

    overall: int
    foreign: int
    user_country: np.ndarray
    item_country: np.ndarray
    soft: tuple = ()
    soft_n: int = 0
    similarity: np.ndarray | None = None
    skip: np.ndarray | None = None


@dataclass
class ItemPlan:
    """The item side of scoring a list of items, made once per call of the scorers: which
    requested items the model knows (``cols_known``), their inner ids (``inner``, -1 unknown), and
    what the family precomputes for them (``state``; ``pruned``: the scorer to a list depth of a
    :meth:`ScoringParams.prunable` model)."""

    cols_known: np.ndarray
    inner: np.ndarray
    state: Any = None
    pruned: Any = None


@dataclass(frozen=True)
class Finish:
    """What turns a raw block of a linear family into its scores, for a pass that applies it on
    the fly (:func:`lfmrec.topn.select_lists`): ``mode`` 1 (mf) ``clip(raw)``, 2 (svd)
    ``clip((ub[r] + bi[c]) + raw)``, 3 (baseline) ``clip(ub[r] + bi[c])`` (the block is not read);
    the operations of :func:`lfmrec.families.factors.finish_block`, so the same bits."""

    mode: int
    ub: np.ndarray  # (block users,), the user part mu + bu (modes 2, 3)
    bi: np.ndarray  # (items,) (modes 2, 3)
    lo: float
    hi: float


@dataclass(frozen=True)
class Bounded:
    """What :func:`lfmrec.topn.select_lists` needs besides a float32 raw block to list a block of
    users exactly as from the float64 one: the block's user factors ``P`` (b, k) and the item
    factors ``Q`` (m, k), float64, whose product the float32 block approximates within
    ``err[r] * qnorm[j]``."""

    P: np.ndarray
    Q: np.ndarray
    err: np.ndarray
    qnorm: np.ndarray


# What the families' estimates share (lfmrec.resources says where each comes from): a (user,
# artist) pair's share of scoring and building the lists, and the block temporaries of most
# families; the engines' trainsets: the native engine's raw -> inner dicts and id lookups per user
# and item, its ur arrays (int32 + float64), id codes and predict temporaries per rating (+ ir and
# ur-by-item arrays for the families that read items); Surprise's Python trainset per rating
# (bytes: tracemalloc on the default data's 51,186 triples gave 309 retained and 445 at the peak
# of building it; seconds: ~3 us to build it, ~1 us to predict a fifth of it).
PER_PAIR_S = 6e-9
BLOCK_TEMPORARIES = 2
NATIVE_BYTES_PER_ID = 100
NATIVE_BYTES_PER_RATING = 32
NATIVE_BYTES_PER_RATING_ITEMS = 41
TRAINSET_BYTES_PER_RATING = 450
TRAINSET_S_PER_RATING = 3e-6
SURPRISE_PREDICT_S_PER_RATING = 1e-6


# kind -> class: lfmrec.families.for_kind, set when the package is imported (which it always is
# before this module: a submodule's package comes first)
_KIND_LOOKUP: list = [None]


@dataclass(eq=False)
class ScoringParams:
    """Everything needed to reproduce ``predict().est`` of one fitted model (a top-n model: its
    ranking score), the base of every family's class.

    Inner ids are ``0..n_users-1`` and ``0..n_items-1``; every inner id is a known user / item
    (has at least one training rating), as in a Surprise trainset. A family declares its fields
    (dataclass fields, None by default) and, per kind, which of them it needs (``needs``)."""

    kind: str
    global_mean: float
    rating_scale: tuple[float, float]
    user_raw2inner: Mapping[Any, int] = field(repr=False)
    item_raw2inner: Mapping[Any, int] = field(repr=False)
    n_users: int = field(init=False)  # len(user_raw2inner)
    n_items: int = field(init=False)  # len(item_raw2inner)

    algorithms: ClassVar[tuple[str, ...]] = ()  # the config's algorithm names this family fits
    kinds: ClassVar[tuple[str, ...]] = ()  # the kinds of fitted parameters it scores
    needs: ClassVar[dict[str, tuple[str, ...]]] = {}  # fields each kind needs
    topn: ClassVar[bool] = False  # ranking scores (no ratings, no RMSE; never clipped)
    defaults: ClassVar[dict[str, Any]] = {}  # a top-n family's parameters and their defaults
    fitted_by: ClassVar[str] = "surprise"  # a top-n family's library; else the config's engine
    native: ClassVar[bool] = False  # whether the native engine fits it (validate_native)
    reads_surprise: ClassVar[bool] = False  # whether from_surprise reads Surprise's fitted algorithm

    def __new__(cls, *args, **kwargs):
        if cls is ScoringParams:  # ScoringParams(kind=...): the class registered for the kind
            cls = _KIND_LOOKUP[0](kwargs["kind"] if "kind" in kwargs else args[0] if args else None)
        return object.__new__(cls)

    def __post_init__(self) -> None:
        if self.kind not in self.kinds:
            raise ValueError(f"{type(self).__name__}.kind must be one of {self.kinds}, got {self.kind!r}")
        self.global_mean = float(self.global_mean)
        lo, hi = self.rating_scale
        self.rating_scale = (float(lo), float(hi))
        self.n_users = _check_raw2inner(self.user_raw2inner, "user_raw2inner")
        self.n_items = _check_raw2inner(self.item_raw2inner, "item_raw2inner")
        missing = [name for name in self.needs.get(self.kind, ()) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"ScoringParams(kind={self.kind!r}) needs {', '.join(missing)}")
        self.check()

    def _vector(self, name: str, n: int) -> None:
        a = np.asarray(getattr(self, name), dtype=np.float64)
        if a.shape != (n,):
            raise ValueError(f"ScoringParams.{name} has shape {a.shape}, expected ({n},)")
        setattr(self, name, a)

    # -- the family's own checks and scoring ---------------------------------------------------

    def check(self) -> None:
        """Check (and convert) the family's fields; raise ValueError naming what is wrong."""

    def plan_items(self, plan: ItemPlan, pruned: bool) -> None:
        """Fill ``plan.state`` (and ``plan.pruned``) for the items of ``plan``."""

    def score_block(self, plan: ItemPlan, uinner: np.ndarray, out: np.ndarray | None, defer: bool):
        """The scores of the users ``uinner`` (inner ids, -1 unknown) over the plan's items, into
        ``out`` (float64, at least len(uinner) rows) when given. With ``defer``: ``(block,
        finish)``, ``finish`` a :class:`Finish` when the block is raw (linear families)."""
        raise NotImplementedError

    def prunable(self) -> bool:
        """Whether the model can be scored to a list depth (:class:`Depth`)."""
        return False

    def bounded_rows(self, plan: ItemPlan, uinner: np.ndarray):
        """The float32 route (``score_rows(start, stop, buffer)``, see
        :func:`lfmrec.scoring.bounded_scorer`), or None where it does not apply."""
        return None

    def score_pairs_block(self, users: np.ndarray, row: np.ndarray, items: np.ndarray) -> np.ndarray:
        """A top-n family's scores of the pairs ``(users[row[k]], items[k])`` (raw ids; ``users``
        unique), a block of users of :func:`lfmrec.scoring.score_pairs`."""
        raise ValueError(f"score_pairs scores the top-n families, not {self.kind!r}")

    def predict_pairs(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Surprise's estimates (before clipping) of the pairs of inner ids ``(u[n], i[n])``, -1
        unknown."""
        raise ValueError(f"{type(self).__name__} predicts no ratings")

    # -- config, fitting, resources (class level: from a config entry) -------------------------

    @classmethod
    def describe(cls, spec: dict) -> str:
        """The parameters' part of :func:`lfmrec.models.describe_params` (e.g. 'k=40, sim=msd');
        by default every parameter, the defaults' first, then the others sorted."""
        p = dict(spec.get("params") or {})
        p.pop("verbose", None)
        full = {**cls.defaults, **p}
        return ", ".join(f"{k}={full[k]}" for k in [*cls.defaults, *sorted(set(p) - set(cls.defaults))])

    @classmethod
    def validate_native(cls, spec: dict, key: str) -> None:
        """Raise InputError if the native engine cannot fit ``spec`` exactly as Surprise does."""

    @classmethod
    def surprise_algorithm(cls, spec: dict, seed: int):
        """Surprise's algorithm of the entry, seeded with ``seed``."""
        raise ValueError(f"{spec['algorithm']} has no Surprise algorithm")

    @classmethod
    def from_surprise(cls, algo, common: dict) -> ScoringParams:
        """The fitted parameters of Surprise's fitted ``algo`` (``reads_surprise``), ``common``:
        the trainset's ids, global mean and scale; arrays shared with ``algo``, not copied."""
        raise NotImplementedError

    @classmethod
    def fit(cls, spec: dict, seed: int, train, scale: tuple[float, float], exact: bool = False) -> ScoringParams:
        """Fit the entry on ``train`` (user_id, artist_id, rating): the native engine's fit, or for
        a top-n family its own library's."""
        raise NotImplementedError

    @classmethod
    def from_trainset(cls, ts, scale: tuple[float, float], fitted: dict) -> ScoringParams:
        """The fitted parameters of a native fit: ``fitted`` (the kernel's fields, ``kind``
        included) on the trainset ``ts``'s ids and global mean."""
        return ScoringParams(
            global_mean=ts.global_mean,
            rating_scale=tuple(scale),
            user_raw2inner=ts.user_raw2inner,
            item_raw2inner=ts.item_raw2inner,
            **fitted,
        )

    @classmethod
    def params_of(cls, spec: dict) -> dict[str, Any]:
        """The entry's parameters with the family's defaults filled in."""
        return {**cls.defaults, **(spec.get("params") or {})}

    @classmethod
    def model_bytes(cls, spec: dict, engine: str, n_users: int, n_items: int, n_ratings: int) -> float:
        """Peak bytes of fitting and scoring the model with ``engine`` (beyond the job's data)."""
        raise NotImplementedError

    @classmethod
    def fit_seconds(cls, spec: dict, engine: str, n_users: int, n_items: int, n_ratings: int) -> float:
        """Seconds of fitting and predicting a held-out fold, beyond reading the triples."""
        raise NotImplementedError

    @classmethod
    def scoring_cost(cls, spec: dict, engine: str, n_users: int, n_ratings: int, ranking: bool) -> tuple[float, float]:
        """(seconds per (user, artist) pair, seconds per user) of scoring and listing."""
        return PER_PAIR_S, 0.0

    @classmethod
    def block_temporaries(cls, spec: dict, engine: str) -> int:
        """Block-sized (users x artists, float64) temporaries of scoring a block."""
        return BLOCK_TEMPORARIES

    @classmethod
    def scoring_extra_bytes(cls, spec: dict, engine: str, n_users: int, n_ratings: int, block_users: int) -> float:
        """Bytes a scoring job holds beyond the model and the block temporaries."""
        return 0.0

    @classmethod
    def memory_hint(cls, spec: dict) -> str:
        """What to change when a fit needs more than resources.max_memory_gb."""
        return "sample fewer users or artists"


def _check_raw2inner(m: Mapping[Any, int], name: str) -> int:
    n = len(m)
    inner = np.fromiter(m.values(), dtype=np.int64, count=n)
    if n and (inner.min() != 0 or inner.max() != n - 1 or np.unique(inner).size != n):
        raise ValueError(f"ScoringParams.{name} must map raw ids onto 0..{n - 1} one to one")
    return n


def raw2inner_from_ids(raw_ids_in_inner_order: Iterable[Any]) -> dict[Any, int]:
    """``{raw: inner}`` from raw ids listed in inner-id order (for engines other than Surprise)."""
    out: dict[Any, int] = {}
    for inner, raw in enumerate(raw_ids_in_inner_order):
        if raw in out:
            raise ValueError(f"duplicate raw id {raw!r}")
        out[raw] = inner
    return out


def make_plan(p: ScoringParams, item_raw_ids: Iterable[Any], pruned: bool = False) -> ItemPlan:
    """The item side of scoring ``item_raw_ids`` with ``p`` (see :func:`lfmrec.scoring.plan_items`)."""
    inner = inner_ids(item_raw_ids, p.item_raw2inner)
    plan = ItemPlan(cols_known=inner >= 0, inner=inner)
    p.plan_items(plan, pruned)
    return plan

"""The model families and their registry: the config's ``algorithm`` -> the family's class.

One module per family, each a subclass of :class:`~lfmrec.families.base.ScoringParams` that
registers itself with :func:`register`; every module of this package is imported when the
registry is first asked, so a new family is one new module here (and its entry in
config/schema.yaml). See docs/models.md for a worked example.

- :mod:`.baseline`   BaselineOnly (Surprise; native ALS and SGD)
- :mod:`.factors`    SVD and unbiased SVD ("MF") (Surprise; native SGD)
- :mod:`.user_knn`   user-based KNNBasic / KNNWithMeans (Surprise; native msd, streamed)
- :mod:`.item_knn`   ItemKNN (implicit's CosineRecommender), and the item x item scoring EASE shares
- :mod:`.als`        ALS (implicit), and the factor-product scoring of the references
- :mod:`.ease`       EASE (numpy / LAPACK)
- :mod:`.references` the reference models' lists (``popular``, ``random``)
"""

from __future__ import annotations

import importlib
import pkgutil

from . import base as _base
from .base import ScoringParams

_BY_ALGORITHM: dict[str, type[ScoringParams]] = {}
_BY_KIND: dict[str, type[ScoringParams]] = {}
_LOADED = False
# the paper's families first, then the others, then any new module (alphabetically)
_ORDER = ("baseline", "factors", "user_knn", "item_knn", "als", "ease", "references")


def register(cls: type[ScoringParams]) -> type[ScoringParams]:
    """Class decorator: make ``cls`` the family of its ``algorithms`` and ``kinds``."""
    for algorithm in cls.algorithms:
        if _BY_ALGORITHM.get(algorithm, cls) is not cls:
            raise ValueError(f"algorithm {algorithm!r} is registered twice ({_BY_ALGORITHM[algorithm].__name__}, {cls.__name__})")
        _BY_ALGORITHM[algorithm] = cls
    for kind in cls.kinds:
        if _BY_KIND.get(kind, cls) is not cls:
            raise ValueError(f"kind {kind!r} is registered twice ({_BY_KIND[kind].__name__}, {cls.__name__})")
        _BY_KIND[kind] = cls
    return cls


def _load() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        found = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name != "base")
        for name in sorted(found, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n)):
            importlib.import_module(f"{__name__}.{name}")


def for_algorithm(algorithm: str) -> type[ScoringParams]:
    """The family of a config ``algorithm`` name; ValueError for an unknown one."""
    _load()
    try:
        return _BY_ALGORITHM[algorithm]
    except KeyError:
        raise ValueError(f"unknown algorithm {algorithm!r}: use one of {', '.join(algorithms())}") from None


def for_kind(kind: str) -> type[ScoringParams]:
    """The class that scores fitted parameters of ``kind``; ValueError for an unknown one."""
    _load()
    try:
        return _BY_KIND[kind]
    except (KeyError, TypeError):
        raise ValueError(f"ScoringParams.kind must be one of {kinds()}, got {kind!r}") from None


def algorithms() -> tuple[str, ...]:
    """Every registered algorithm name, in registration order."""
    _load()
    return tuple(_BY_ALGORITHM)


def kinds() -> tuple[str, ...]:
    """Every registered kind, in registration order."""
    _load()
    return tuple(_BY_KIND)


def fit_topn(spec: dict, seed: int, train):
    """Fit a top-n entry (ItemKNN, ALS, EASE) on the training triples: its fitted parameters."""
    family = for_algorithm(spec["algorithm"])
    if not family.topn:
        raise ValueError(f"{spec['algorithm']!r} is not a top-n model")
    return family.fit(spec, seed, train, None)


_base._KIND_LOOKUP[0] = for_kind

"""Raw -> inner id lookup, as a Surprise trainset does it.

A trainset maps each raw id (the Python scalar the training DataFrame's row held: ``int`` for an
int64 column, ``str`` for strings) to an inner id ``0..n-1`` in a dict; ``predict(uid, iid)``
looks the raw id up with that dict, so an id is known iff it compares equal to (and hashes like)
a key: ``5`` and ``np.int64(5)`` find the same entry, ``"5"`` does not.

:func:`inner_ids` returns ``raw2inner.get(raw, -1)`` for many raw ids at once. It is the one
lookup the native engine's ``predict_pairs`` and the phase-2 scorer use.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd


def inner_ids(raw_ids: Iterable[Any], raw2inner: Mapping[Any, int]) -> np.ndarray:
    """``[raw2inner.get(r, -1) for r in raw_ids]`` as int64.

    Arrays, Series and Indexes are read through ``tolist()`` (Python scalars, the ids of a testset
    built from a DataFrame). When the raw ids are an integer array and every key is an int, the
    lookup is a hash join (``pd.Index.get_indexer``), which gives the dict's answer: an int key
    equals an int raw id iff their values are equal. Anything else goes through ``dict.get``.
    """
    if isinstance(raw_ids, (pd.Series, pd.Index)):
        raw_ids = raw_ids.to_numpy()
    if isinstance(raw_ids, np.ndarray) and raw_ids.dtype.kind in "iu" and raw_ids.ndim == 1:
        keys = pd.Index(list(raw2inner))
        if keys.dtype.kind in "iu":  # every key is an int (no bool, float or str among them)
            pos = keys.get_indexer(raw_ids)
            inner = np.fromiter(raw2inner.values(), dtype=np.int64, count=len(raw2inner))
            return np.where(pos >= 0, inner[pos], -1)
    raw_ids = raw_ids.tolist() if isinstance(raw_ids, np.ndarray) else list(raw_ids)
    get = raw2inner.get
    return np.fromiter((get(r, -1) for r in raw_ids), dtype=np.int64, count=len(raw_ids))

"""numpy's legacy ``RandomState(seed).normal`` stream, bit for bit (MT19937 + polar Gaussian).

Surprise's SVD draws its initial factors with ``surprise.utils.get_rng(seed)``, which for an int
seed is ``np.random.RandomState(seed)``: ``pu = rng.normal(init_mean, init_std_dev, (n_users,
n_factors))``, then ``qi`` from the same stream. numpy freezes RandomState's stream by its
compatibility policy, so this replica can follow numpy's C code (``mt19937_seed``,
``mt19937_gen``, ``legacy_double``, ``legacy_gauss``) step by step:

- seeding: ``key[0] = seed``; ``key[p] = 1812433253 * (key[p-1] ^ (key[p-1] >> 30)) + p``
  (mod 2**32), for p = 1..623;
- each block of 624 words twists the key and tempers each word
  (``y ^= y >> 11; y ^= (y << 7) & 0x9D2C5680; y ^= (y << 15) & 0xEFC60000; y ^= y >> 18``);
- a double in [0, 1) takes two words: ``((a >> 5) * 67108864 + (b >> 6)) / 9007199254740992``;
- the polar method draws ``x1 = 2 d1 - 1, x2 = 2 d2 - 1`` until ``0 < r2 = x1**2 + x2**2 < 1``,
  returns ``f * x2`` and keeps ``f * x1`` for the next call, ``f = sqrt(-2 log(r2) / r2)``;
- each value is ``loc + scale * gauss``.

It is about twice as fast as RandomState (the draws cost up to a fifth of a native SVD fit).
``log`` must be libm's: with numba's SVML (Intel's vector maths) or a seed outside
``0..2**32-1``, :func:`normal_init` calls RandomState itself.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .._numba import njit

_MT_N, _MT_M = 624, 397
# Words generated at a time by _legacy_normals (64 MT19937 blocks): bounds its scratch memory.
_MT_CHUNK_BLOCKS = 64


@njit(cache=True)
def _mt_seed(seed):
    """MT19937 key of ``RandomState(seed)`` (numpy's ``mt19937_seed``)."""
    key = np.empty(_MT_N, dtype=np.uint32)
    mask = np.uint64(0xFFFFFFFF)
    s = np.uint64(seed) & mask
    for pos in range(_MT_N):
        key[pos] = np.uint32(s)
        s = (np.uint64(1812433253) * (s ^ (s >> np.uint64(30))) + np.uint64(pos + 1)) & mask
    return key


@njit(cache=True)
def _mt_mix(a, b, c):
    y = (a & np.uint32(0x80000000)) | (b & np.uint32(0x7FFFFFFF))
    return c ^ (y >> np.uint32(1)) ^ ((np.uint32(0) - (y & np.uint32(1))) & np.uint32(0x9908B0DF))


@njit(cache=True)
def _mt_words(key, n_blocks):
    """The next ``n_blocks * 624`` tempered MT19937 outputs; advances ``key``."""
    out = np.empty(n_blocks * _MT_N, dtype=np.uint32)
    for block in range(n_blocks):
        for k in range(_MT_N - _MT_M):
            key[k] = _mt_mix(key[k], key[k + 1], key[k + _MT_M])
        for k in range(_MT_N - _MT_M, _MT_N - 1):
            key[k] = _mt_mix(key[k], key[k + 1], key[k + _MT_M - _MT_N])
        key[_MT_N - 1] = _mt_mix(key[_MT_N - 1], key[0], key[_MT_M - 1])
        for k in range(_MT_N):
            y = key[k]
            y ^= y >> np.uint32(11)
            y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
            y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
            y ^= y >> np.uint32(18)
            out[block * _MT_N + k] = y
    return out


@njit(cache=True)
def _polar_attempts(words, n_pairs, x1, x2, r2):
    """legacy_gauss's attempts, 4 words each (two 53-bit doubles mapped to [-1, 1)); the
    accepted ones (0 < r2 < 1) are compacted into x1, x2, r2. Returns (accepted, words used)."""
    m = k = 0
    while m < n_pairs and k + 4 <= words.size:
        a, b = words[k] >> np.uint32(5), words[k + 1] >> np.uint32(6)
        v1 = 2.0 * ((a * 67108864.0 + b) / 9007199254740992.0) - 1.0
        a, b = words[k + 2] >> np.uint32(5), words[k + 3] >> np.uint32(6)
        v2 = 2.0 * ((a * 67108864.0 + b) / 9007199254740992.0) - 1.0
        k += 4
        s = v1 * v1 + v2 * v2
        x1[m], x2[m], r2[m] = v1, v2, s
        m += (s < 1.0) & (s != 0.0)  # branch-free: a rejected attempt is overwritten
    return m, k


@njit(cache=True)
def legacy_normals(seed, out, loc, scale):
    """Fill the 1-D ``out`` with ``np.random.RandomState(seed).normal(loc, scale, out.size)``, bit
    for bit (0 <= seed < 2**32)."""
    key = _mt_seed(seed)
    n = out.size
    cap = _MT_CHUNK_BLOCKS * _MT_N // 4
    x1, x2, r2 = np.empty(cap + 1), np.empty(cap + 1), np.empty(cap + 1)
    words = np.empty(0, dtype=np.uint32)
    m = 0
    while m < n:
        words = np.concatenate((words, _mt_words(key, _MT_CHUNK_BLOCKS)))
        accepted, used = _polar_attempts(words, (n - m + 1) // 2, x1, x2, r2)
        words = words[used:]  # fewer than 4 words carried over
        for j in range(accepted):
            f = math.sqrt(-2.0 * math.log(r2[j]) / r2[j])
            out[m] = loc + scale * (f * x2[j])
            if m + 1 < n:
                out[m + 1] = loc + scale * (f * x1[j])
            m += 2


def normal_init(seed: int, rows: int, cols: int, n_more: int, loc: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """``rng = RandomState(seed); rng.normal(loc, scale, (rows, cols)),
    rng.normal(loc, scale, (n_more, cols))`` -- one continuous stream, split."""
    if numba.config.USING_SVML or not 0 <= seed < 2**32:  # SVML's log is not libm's
        rng = np.random.RandomState(seed)
        return (rng.normal(loc, scale, size=(rows, cols)), rng.normal(loc, scale, size=(n_more, cols)))
    # numpy's allocator, not numba's: numpy asks Linux for transparent huge pages for arrays of
    # 4 MB and more, and SGD reads the item factors at random (an epoch over a full-scale fold at
    # 100 factors: 6.2-6.7 s instead of 7.3-7.9 s with 4 kB pages, where THP is "madvise")
    values = np.empty((rows + n_more) * cols)
    legacy_normals(seed, values, float(loc), float(scale))
    return values[: rows * cols].reshape(rows, cols), values[rows * cols :].reshape(n_more, cols)

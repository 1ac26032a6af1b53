"""The native engine: Surprise's BaselineOnly, SVD and user-based msd kNN fitted on arrays.

The same models as scikit-surprise 1.1.5, without its per-rating Python tuples: the trainset is a
few arrays in CSR form and the loops are compiled with numba (``cache=True``: compiled once per
machine). One module per concern, as Surprise has one per algorithm; each imports only those
above it in this list (the memory model of its fits is :func:`lfmrec.resources.native_memory_gb`):

- :mod:`.trainset`  Surprise's Trainset as arrays (inner ids, ``ur``, ``ir``, global mean)
- :mod:`.rng`       numpy's legacy ``RandomState.normal`` stream, bit for bit (SVD's init)
- :mod:`.baseline`  BaselineOnly: ALS and SGD fits, ``mu + b_u + b_i``
- :mod:`.svd`       SVD / MF: the exact and the relaxed (fastmath) SGD kernels, ``q_i . p_u``
- :mod:`.knn`       msd similarity, user means; the estimate of :mod:`lfmrec.knn_estimate`
- :mod:`.engine`    ``validate_native``, ``fit``, ``predict_pairs``, ``warm_up``

Exactness against Surprise (every loop performs Surprise's floating-point operations on the same
values in the same order, compiled without fastmath, except where said):

- the trainset's inner ids, ``ir`` order and global mean, BaselineOnly's ``bu, bi``, the msd
  similarity, the kNN means, and the estimates of BaselineOnly and kNN: bit for bit;
- SVD / MF with ``fit(..., exact=True)``: bit for bit, estimates included (``np.dot`` for
  ``q_i . p_u``, as Surprise; :mod:`.svd` says what a different BLAS could change);
- SVD / MF by default (``exact=False``): the SGD kernel is compiled with fastmath (SIMD partial
  sums, fused multiply-add), so factors and estimates differ from Surprise's, and between CPUs
  with different vector units, in the last bits (~1e-15 on the default data).
"""

from .engine import ALGORITHMS, fit, predict_pairs, validate_native, warm_up

__all__ = ["ALGORITHMS", "fit", "predict_pairs", "validate_native", "warm_up"]

"""lfmrec: the library behind the cross-cultural LFM-1b recommendation workflow.

Modules map to the paper's stages:

- ``lfm1b``      read and validate the raw LFM-1b files (section 3)
- ``synthetic``  write synthetic data in exactly the raw LFM-1b formats
- ``sampling``   align, sample, estimate artist countries, melt into triples (section 3)
- ``models``     the model registry (section 4)
- ``cv``         folds, per-fold training and the metrics table (section 5, phase 1)
- ``scoring``    vectorized scores equal to Surprise's predict() (section 5, phase 2)
- ``recommend``  cross-cultural top-10 and deletion counts (section 5, phase 2)
- ``report``     per-user reports (Tables 3 and 4) and Markdown tables

Beyond the paper:

- ``native``     the models with Surprise's semantics on arrays (numba): all of LFM-1b on 2 cores
- ``countries``  artist-country estimators (argmax, lift, mixture, top3), user-country
                 imputation, country similarity, diversity of the lists
- ``ranking``    top-n metrics on held-out artists, popular and random references
- ``rerank``     hard, soft and calibrated country-aware re-ranking
- ``heldout``    one fold's ranking metrics and re-ranking trade-off; tables over folds
- ``io``, ``errors``  atomic writes, one-line errors
"""

__version__ = "0.1.0"

"""lfmrec: the library behind the cross-cultural LFM-1b recommendation workflow.

Modules map to the paper's stages:

- ``lfm1b``      read and validate the raw LFM-1b files (section 3)
- ``synthetic``  write synthetic data in exactly the raw LFM-1b formats
- ``sampling``   align, sample, estimate artist countries, melt into triples (section 3)
- ``models``     the model registry (section 4)
- ``cv``         folds, per-fold training and the metrics table (section 5, phase 1)
- ``scoring``    vectorized scores equal to Surprise's predict() (section 5, phase 2)
- ``recommend``  cross-cultural top-10 and deletion counts (section 5, phase 2)
"""

__version__ = "0.1.0"

"""lfmrec: the library behind the cross-cultural LFM-1b recommendation workflow.

Layers, each importing only those below it (tests/test_imports.py checks):

- bottom: ``errors``, ``io`` (atomic writers), ``harness`` (the script jobs' logging, errors,
  progress and resource use), ``tables`` (fold columns, Markdown), ``topn`` (top-n kernels),
  ``pairs`` (pair matrices, candidate support), ``countries.codes`` (country encodings), ``ids``
  (raw -> inner ids), ``knn_estimate`` (Surprise's kNN estimate, bit for bit)
- data (section 3): ``lfm1b`` (raw files), ``synthetic`` (generator), ``sensitivity`` (generator
  variants and which findings hold), ``sampling`` (sample,
  melt, Tables 1-2), ``countries.plays`` (play tables, user-country imputation),
  ``countries.estimate`` (argmax = the paper; lift, mixture, top3), ``countries.accuracy``,
  ``countries.similarity``, ``countries.folds`` (each CV fold's labels from its training pairs)
- models (section 4): ``families`` (one class per model family, registered by the config's
  algorithm name: its fit, block scores, optional routes, memory and run time; docs/models.md),
  ``scoring`` (drives any family: block scores equal to predict()), ``native`` (the native
  engine's kernels: trainset, rng, baseline, svd, knn, knn_stream, knn_topn, engine),
  ``ranking_models`` (the fits of the top-n models ItemKNN, ALS, EASE), ``models`` (config
  entries -> families, Surprise), ``resources`` (memory and run-time of jobs), ``config``
  (checks, schema defaults, dataset identity), ``config_reference`` (docs/configuration.md)
- evaluation and lists (section 5 and beyond): ``cv`` (phase 1), ``rerank``, ``recommend``
  (phase 2), ``ranking``, ``heldout`` (the leak-free held-out protocol), ``tuning`` (nested
  hyperparameter search), ``stats`` (intervals and paired tests), ``diversity``, ``cultural``,
  ``paper`` (the paper's published figures)
- top: ``report`` (HTML and Markdown pages, per-user reports), ``figures`` (plots written
  atomically, with notes on what they leave out), ``dag`` (the ``lfmrec-dag`` command)
"""

__version__ = "0.3.0"

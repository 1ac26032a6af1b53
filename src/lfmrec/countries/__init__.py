"""Countries: of users and artists, their encodings, and the paper's artist-country step with its
successors.

- :mod:`.codes`       one integer vocabulary for user and artist countries (bottom layer)
- :mod:`.plays`       the country play table; user-country imputation from listening
- :mod:`.estimate`    artist-country estimators: ``argmax`` (the paper), ``lift``, ``mixture``, ``top3``
- :mod:`.accuracy`    estimators scored against a planted truth (synthetic data)
- :mod:`.similarity`  cosine similarity of the countries' artist-play profiles
"""

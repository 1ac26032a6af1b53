"""Synthetic LFM-1b data written in exactly the raw LFM-1b file formats.

The real LFM-1b can no longer be downloaded, so the pipeline runs on data of the same shape and
format (those :mod:`lfmrec.lfm1b` reads). The generator plants the structure the paper's
experiment relies on, and writes it next to the raw files as ground truth:

- every user has a true country (drawn from LFM-1b's user shares); about 46% declare it in
  ``LFM-1b_users.txt``, the others leave the field empty;
- every artist has a home country (US and UK over-represented), a Zipf-like popularity, one of
  ``n_groups`` latent taste groups and latent taste factors; a share of the artists also has a
  second market (a country outside its home's region whose users treat it as local);
- a user's draws come from their own country's artists (a per-country propensity, see
  :data:`LOCAL_PROPENSITY`), from the artists of their cultural region (:data:`REGIONS`: planted
  proximity between countries), or from all artists, preferring artists of their own main taste
  group (co-listening signal for collaborative filtering);
- playcounts are heavy tailed: user and artist biases on the log2 scale, higher counts for
  own-group and own-country artists, and a user x artist interaction (the dot product of their
  taste factors) that a factor model can learn;
- users with fewer than 10 distinct artists are listed in users.txt but left out of the matrix.

The behaviour is set by a :class:`Process` (config ``dataset.synthetic.process``): its defaults
are the calibrated generator; the sensitivity experiment (``config/sensitivity.yaml``) varies it.

Outputs of :func:`generate` (all written to a temporary name first, then renamed):

- ``LFM-1b_LEs.mat``: MATLAB v7.3 (HDF5 with a 512-byte MATLAB header) holding the users x
  artists playcount matrix ``LEs`` in MATLAB's sparse (CSC) layout, plus ``idx_users`` and
  ``idx_artists``; matrix rows are in a seeded shuffled order, not in users.txt order;
- ``LFM-1b_users.txt``, ``LFM-1b_artists.txt``: the raw text files;
- ``truth_artists.parquet``, ``truth_users.parquet``, ``truth_countries.parquet``: the planted
  ground truth (home country and second market of each artist; true country of each user; region
  and mean local propensity of each country).

Modules: :mod:`.process` (sizes, calibrated constants, :class:`Process`, the draws of artists,
users and playcounts), :mod:`.sampler` (each user's distinct artists), :mod:`.names` (artist
names), :mod:`.generate` (writing the files, the command line).

The same seed writes byte-identical raw files. Command line:
``python -m lfmrec.synthetic --scale default --seed 42 --out DIR``.
"""

from .generate import (
    ARTISTS_NAME,
    MAT_NAME,
    REGISTERED_RANGE,
    TRUTH_ARTISTS_NAME,
    TRUTH_COUNTRIES_NAME,
    TRUTH_USERS_NAME,
    USERS_HEADER,
    USERS_NAME,
    generate,
    main,
)
from .names import artist_names
from .process import (
    COUNTRY_USER_SHARES,
    LOCAL_PROPENSITY,
    LOCAL_PROPENSITY_OTHER,
    MIN_MATRIX_ARTISTS,
    REGIONS,
    SCALES,
    Process,
    Scale,
    country_distributions,
    regions_of,
)

__all__ = [
    "ARTISTS_NAME",
    "COUNTRY_USER_SHARES",
    "LOCAL_PROPENSITY",
    "LOCAL_PROPENSITY_OTHER",
    "MAT_NAME",
    "MIN_MATRIX_ARTISTS",
    "REGIONS",
    "REGISTERED_RANGE",
    "SCALES",
    "TRUTH_ARTISTS_NAME",
    "TRUTH_COUNTRIES_NAME",
    "TRUTH_USERS_NAME",
    "USERS_HEADER",
    "USERS_NAME",
    "Process",
    "Scale",
    "artist_names",
    "country_distributions",
    "generate",
    "main",
    "regions_of",
]

"""Readable, seeded synthetic artist names."""

from __future__ import annotations

import numpy as np

NAME_SYLLABLES = np.array(
    [
        "ka",
        "lo",
        "ri",
        "na",
        "ve",
        "to",
        "mi",
        "sa",
        "dor",
        "len",
        "bar",
        "el",
        "an",
        "os",
        "ur",
        "ith",
        "mo",
        "ra",
        "zen",
        "ki",
        "tu",
        "vi",
        "ro",
        "ne",
        "qua",
        "shi",
        "dra",
        "fen",
        "gal",
        "hol",
        "jas",
        "kor",
        "lum",
        "mar",
        "nox",
        "per",
        "rin",
        "sol",
        "tar",
        "val",
        "wex",
        "yor",
        "zal",
        "be",
        "cy",
        "da",
        "fo",
        "gu",
        "ha",
        "ja",
        "ku",
        "le",
        "ma",
        "ni",
        "po",
    ]
)
NAME_FIRST = np.array(
    [
        "Anna",
        "Boris",
        "Clara",
        "David",
        "Elena",
        "Felix",
        "Greta",
        "Hugo",
        "Ines",
        "Jonas",
        "Kira",
        "Lukas",
        "Maja",
        "Nils",
        "Olga",
        "Pavel",
        "Rosa",
        "Sven",
        "Tara",
        "Viktor",
        "Wanda",
        "Yuri",
        "Zoe",
        "Marco",
        "Lena",
        "Igor",
        "Sara",
        "Tomas",
        "Ada",
        "Leo",
    ]
)


def artist_names(n: int, rng: np.random.Generator) -> np.ndarray:
    """Readable synthetic artist names from seeded syllables ("Kalorin", "The Zenmar",
    "Lena Dorvi", "DJ Kuto", "Solen & the Ravi"); they never contain tabs or newlines."""

    def word(n_syll: int) -> np.ndarray:
        out = NAME_SYLLABLES[rng.integers(0, NAME_SYLLABLES.size, n)]
        for _ in range(n_syll - 1):
            out = np.strings.add(out, NAME_SYLLABLES[rng.integers(0, NAME_SYLLABLES.size, n)])
        return np.strings.capitalize(out)

    long_word = np.where(rng.random(n) < 0.5, word(2), word(3))
    short_word = word(2)
    person = np.strings.add(np.strings.add(NAME_FIRST[rng.integers(0, NAME_FIRST.size, n)], " "), long_word)
    styles = [
        long_word,
        np.strings.add("The ", np.strings.add(long_word, "s")),
        person,
        np.strings.add("DJ ", short_word),
        np.strings.add(long_word, np.strings.add(" & the ", short_word)),
    ]
    pick = rng.choice(len(styles), size=n, p=[0.4, 0.2, 0.25, 0.05, 0.1])
    return np.choose(pick, [s.astype(object) for s in styles]).astype(str)

"""lfmrec.diversity: the diversity measures of the final lists, worked by hand."""

import math

import pandas as pd
import pytest

from lfmrec import diversity


def diversity_case():
    artists = pd.DataFrame(
        {"artist_id": [10, 11, 12, 13, 14, 15], "country": pd.array(["US", "UK", "DE", None, "FR", "US"], dtype="string")}
    )
    lists = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 2, 2, 2],
            "user_country": pd.array(["US"] * 3 + ["DE"] * 4, dtype="string"),
            "rank": [1, 2, 3, 1, 2, 3, 4],
            "artist_id": [11, 12, 13, 10, 15, 14, 12],
            "artist_country": pd.array(["XX"] * 7, dtype="string"),  # ignored: countries come from `artists`
        }
    )
    history = pd.DataFrame(
        {"user_id": [1, 1, 1, 1, 2, 2, 3], "artist_id": [10, 15, 11, 13, 12, 14, 10], "playcount": [5, 1, 2, 3, 4, 4, 1]}
    )
    popularity = pd.Series([4, 2, 3, 1, 5], index=[10, 11, 12, 13, 14])  # 15 absent: 0 listeners
    truth = pd.DataFrame({"artist_id": [10, 11, 12, 13, 14, 15], "home_country": ["US", "UK", "DE", "US", "FR", "DE"]})
    return lists, history, artists, popularity, truth


def test_diversity_metrics_by_hand():
    lists, history, artists, popularity, truth = diversity_case()
    d = diversity.diversity(lists, history, artists, popularity, n_candidates=8, truth=truth)
    # user 1 (US): UK, DE, unknown -> same 0, foreign 1; user 2 (DE): US, US, FR, DE -> same 1/4
    assert d["foreign_share_estimated"] == pytest.approx((1 + 3 / 4) / 2)
    # planted: user 1: UK, DE, US -> foreign 2/3; user 2: US, DE, FR, DE -> foreign 1/2
    assert d["foreign_share_true"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    # known countries: user 1 {UK, DE} = 2, user 2 {US, FR, DE} = 3
    assert d["distinct_countries"] == pytest.approx(2.5)
    # entropy: user 1 (1/2, 1/2) = 1 bit; user 2 (1/2, 1/4, 1/4) = 1.5 bits
    assert d["country_entropy"] == pytest.approx(1.25)
    # US share: user 1 0/3, user 2 2/4
    assert d["us_share"] == pytest.approx(0.25)
    # history same-country share: user 1 {US, US, UK, unknown} 2/4, user 2 {DE, FR} 1/2;
    # local bias: user 1 0 - 1/2, user 2 1/4 - 1/2 -> mean -3/8 (user 3 has no list: ignored)
    assert d["local_bias"] == pytest.approx(-0.375)
    # distinct recommended {10, 11, 12, 13, 14, 15} = 6 of 8 candidates
    assert d["coverage"] == pytest.approx(0.75)
    # popularity: user 1 (2 + 3 + 1)/3 = 2, user 2 (4 + 0 + 5 + 3)/4 = 3
    assert d["mean_popularity"] == pytest.approx(2.5)
    assert d["users"] == 2


def test_diversity_without_truth_and_with_a_one_country_list():
    lists, history, artists, popularity, _ = diversity_case()
    d = diversity.diversity(lists[lists["user_id"] == 1].iloc[:1], history, artists, popularity, 8)
    # one artist (UK) for a US user: foreign 1, one country, entropy 0, local bias 0 - 1/2
    assert math.isnan(d["foreign_share_true"])
    assert (d["foreign_share_estimated"], d["distinct_countries"], d["country_entropy"]) == (1.0, 1.0, 0.0)
    assert d["local_bias"] == pytest.approx(-0.5) and d["users"] == 1 and d["coverage"] == pytest.approx(1 / 8)

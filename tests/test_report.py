"""The report pages: which users the per-user reports show, what a user's report says, and the
HTML and Markdown pages the tables are written as (escaping, number formats, missing values)."""

import numpy as np
import pandas as pd
import pytest
from helpers import small_sample

from lfmrec.errors import InputError
from lfmrec.report import choose_report_users, html_page, markdown_page, table_page, user_report


def test_report_users_choice_and_errors():
    t, users, _ = small_sample()
    chosen = choose_report_users(users, t, 50, [])
    counts = t[t["playcount"] > 50].groupby("user_id").size()
    fav_users = set(counts.index)
    n_triples = t.groupby("user_id").size()
    pool = sorted(fav_users, key=lambda u: (-n_triples[u], u))
    assert chosen == [pool[0], pool[(len(pool) - 1) // 2], pool[-1]]
    assert choose_report_users(users, t, 50, [105, 101]) == [105, 101]
    with pytest.raises(InputError, match="config report.users: user 99999 is not among the sampled users"):
        choose_report_users(users, t, 50, [99999])


def test_user_report_says_when_the_list_is_short():
    t, users, artists = small_sample()
    u = int(users["user_id"].iat[0])
    lists = {"m": pd.DataFrame({"user_id": [u], "rank": [1], "artist_id": [3], "artist_country": ["XX"], "score": [1.5]})}
    per_user = {"m": pd.DataFrame({"user_id": [u], "deletions": [4]})}
    text = user_report(u, users["country"].iat[0], t, artists, lists, per_user, 50, 10)
    assert "**Only 1 candidates from other countries: the list is shorter than 10.**" in text
    assert "4 same-country artists deleted" in text
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]
    assert ["1", "3", "Artist 3", "XX", "1.5000"] in rows


def test_html_table_formats_numbers_and_escapes_text():
    df = pd.DataFrame(
        {
            "model": ["<b>svd</b> & co", "knn"],
            "rmse": [1.23456789, np.nan],
            "tiny": [0.000012345, 123456.0],
            "n": [3, 4],
        }
    )
    page = table_page("Errors <per fold>", df, note="a & b")
    assert page.startswith("<!DOCTYPE html>\n")
    assert "<h1>Errors &lt;per fold&gt;</h1>" in page
    assert "<p>a &amp; b</p>" in page
    assert '<td class="text">&lt;b&gt;svd&lt;/b&gt; &amp; co</td>' in page
    assert "<b>svd</b>" not in page
    cells = [c.split(">", 1)[1] for c in page.split("<td")[1:]]
    cells = [c.split("</td>")[0] for c in cells]
    # row 1: 4 decimals; 4 significant digits below 1e-3; row 2: missing empty, 4 significant above 1e5
    assert cells == ["&lt;b&gt;svd&lt;/b&gt; &amp; co", "1.2346", "1.234e-05", "3", "knn", "", "1.235e+05", "4"]


def test_markdown_page_has_the_blocks_in_order():
    df = pd.DataFrame({"model": ["svd"], "rmse": [1.5]})
    text = markdown_page([("h1", "Title"), ("p", "plain"), ("strong", "bold"), ("table", df), ("h2", "End")])
    lines = [line for line in text.splitlines() if line]
    assert lines[:3] == ["# Title", "plain", "**bold**"]
    assert lines[-1] == "## End"
    assert any(line.startswith("|") and "1.5000" in line for line in lines)


def test_html_page_is_deterministic():
    df = pd.DataFrame({"a": [1.0, 2.0]})
    assert html_page([("h1", "x"), ("table", df)]) == html_page([("h1", "x"), ("table", df)])

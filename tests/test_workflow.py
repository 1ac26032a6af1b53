"""The Snakemake workflow itself: config errors before any job, the documented rule graph
(docs/workflow.md), and an end
to end run on a tiny synthetic universe whose outputs are checked against the raw files."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import TINY, snakemake, workdir

ROOT = Path(__file__).resolve().parents[1]
README_BLOCK = re.compile(r"(<!-- rulegraph:start[^\n]*-->\n)(.*?)(<!-- rulegraph:end -->)", re.S)


def rulegraph_block(cwd: Path) -> str:
    text = snakemake(cwd, "--rulegraph", "mermaid-js", "--quiet", "all").stdout
    start = text.index("---")
    return "```mermaid\n" + text[start:].strip() + "\n```\n"


def test_readme_rulegraph_is_current(tmp_path):
    expected = rulegraph_block(workdir(tmp_path))
    readme = (ROOT / "docs/workflow.md").read_text()
    found = README_BLOCK.search(readme)
    assert found, "docs/workflow.md lacks the rulegraph block"
    # snakemake prints the edges in no fixed order: compare the graphs, not the text
    assert graph(found.group(2)) == graph(expected), (
        "the rule graph of docs/workflow.md is stale: run `python tests/test_workflow.py --update-readme`"
    )


def graph(mermaid: str) -> tuple[set, set]:
    """(rule names, edges between rule names) of a mermaid rule graph."""
    names = dict(re.findall(r"^\s*(id\d+)\[(\w+)\]", mermaid, re.M))
    edges = {(names[a], names[b]) for a, b in re.findall(r"^\s*(id\d+) --> (id\d+)", mermaid, re.M)}
    return set(names.values()), edges


@pytest.mark.parametrize(
    "override, message",
    [
        # one case per kind of error; every message is checked against check_config in test_config.py
        ({"sampel": {"n_users": 10}}, "config sampel: is not a known key (fix: did you mean 'sample'?)"),
        (
            {"models": {"bad": {"algorithm": "ALS", "engine": "native"}}},
            "config models.bad.engine: does not apply to ALS (fix: remove the key: ALS is fitted by implicit)",
        ),
        (
            {"dataset": {"source": "lfm1b", "dir": "/data/does-not-exist"}},
            "config dataset.dir /data/does-not-exist: does not exist or is not a folder",
        ),
    ],
)
def test_bad_config_fails_before_any_job_in_a_few_lines(tmp_path, override, message):
    cwd = workdir(tmp_path, override)
    proc = snakemake(cwd, "-n", "--configfile", "test.yaml", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert message in out
    assert len(out.strip().splitlines()) <= 5, out  # one line of ours, Snakemake's header and location lines
    assert "additionalProperties" not in out and "$schema" not in out  # no schema dump
    assert not (cwd / "results").exists()


def test_lfm1b_folder_without_the_matrix_is_one_line_before_any_job(tmp_path):
    raw = tmp_path / "lfm1b"
    raw.mkdir()
    (raw / "LFM-1b_users.txt").write_text("user_id\tcountry\n")
    cwd = workdir(tmp_path / "w", {"dataset": {"source": "lfm1b", "dir": str(raw)}})
    proc = snakemake(cwd, "-n", "--configfile", "test.yaml", check=False)
    assert proc.returncode != 0
    assert f"{raw / 'LFM-1b_LEs.mat'}: is missing (fix: dataset.dir must hold LFM-1b_LEs.mat and LFM-1b_users.txt)" in proc.stdout
    assert not (cwd / "results").exists()


@pytest.mark.slow
def test_foundation_outputs_match_the_raw_files(tiny_run):
    from lfmrec.lfm1b import read_les, read_users

    d = tiny_run / "results"
    les = read_les(d / "synthetic/LFM-1b_LEs.mat")
    listed = read_users(d / "synthetic/LFM-1b_users.txt")
    users = pd.read_parquet(d / "data/users.parquet")
    artists = pd.read_parquet(d / "data/artists.parquet")
    triples = pd.read_parquet(d / "data/triples.parquet")
    summary = json.loads((d / "data/summary.json").read_text())

    assert summary["users_listed"] == len(listed)
    assert summary["users_in_matrix"] == les.matrix.shape[0]
    assert summary["users_missing_from_matrix"] == len(listed) - les.matrix.shape[0]
    assert summary["users_sampled"] == 300 and summary["artists_sampled"] == 1500 == len(artists)
    assert summary["users"] == len(users) == triples["user_id"].nunique() and summary["triples"] == len(triples)
    assert summary["users_with_country"] == summary["users"] + summary["users_without_triples"]
    assert summary["density"] == pytest.approx(len(triples) / (len(users) * len(artists)))
    assert users["country"].notna().all()
    # every user's country is the one users.txt gives
    assert (users.set_index("user_id")["country"] == listed.set_index("user_id")["country"].reindex(users["user_id"])).all()

    # every triple is the matrix entry of that user and artist (aligned by idx, not position)
    row = pd.Series(np.arange(les.user_ids.size), index=les.user_ids)
    col = pd.Series(np.arange(les.artist_ids.size), index=les.artist_ids)
    csr = les.matrix.tocsr()
    values = np.asarray(csr[row[triples["user_id"]].to_numpy(), col[triples["artist_id"]].to_numpy()]).ravel()
    np.testing.assert_array_equal(values, triples["playcount"].to_numpy())
    np.testing.assert_allclose(triples["rating"], np.log2(triples["playcount"]))
    # and no non-zero entry of the sample is missing from the triples
    sub = csr[row[users["user_id"]].to_numpy()][:, col[artists["artist_id"]].to_numpy()]
    assert sub.nnz == len(triples)

    # artist countries: argmax over the sampled users' countries, ties alphabetical
    plays = triples.merge(users, on="user_id").groupby(["artist_id", "country"])["playcount"].sum().reset_index()
    best = plays.sort_values(["artist_id", "playcount", "country"], ascending=[True, False, True]).drop_duplicates("artist_id")
    est = artists.set_index("artist_id")["country"]
    assert (est.reindex(best["artist_id"]).to_numpy() == best["country"].to_numpy()).all()
    assert est.isna().sum() == len(artists) - best["artist_id"].nunique()
    assert artists["name"].notna().all()

    t2 = pd.read_csv(d / "tables/artist_countries.csv", keep_default_na=False)
    assert t2.set_index("country").loc["NULL", "artists"] == est.isna().sum()
    assert t2["percent"].sum() == pytest.approx(100, abs=0.01)


@pytest.mark.slow
def test_phase_one_and_two_outputs(tiny_run):
    d = tiny_run / "results"
    metrics = pd.read_csv(d / "metrics.csv")
    assert metrics["model"].tolist() == [
        "baseline",
        "baseline",
        "mf_k5",
        "mf_k5",
        "mf_k5_native",
        "mf_k5_native",
        "knn_means_k10",
        "knn_means_k10",
    ]
    # the native engine reproduces Surprise's SGD through the whole workflow
    by_model = metrics.set_index(["model", "metric"])
    folds = ["fold_1", "fold_2", "fold_3"]
    np.testing.assert_allclose(
        by_model.loc[("mf_k5_native", "RMSE"), folds].to_numpy(float),
        by_model.loc[("mf_k5", "RMSE"), folds].to_numpy(float),
        rtol=0,
        atol=1e-9,
    )
    assert list(metrics.columns)[3:] == ["fold_1", "fold_2", "fold_3", "mean", "std"]
    models = [m for m, spec in TINY["models"].items() if spec is not None]
    topn = ["itemknn_k20", "ease_l50"]  # no RMSE/MAE: not in metrics.csv, scores in their folds
    for model in topn:
        for k in range(3):
            fold = json.loads((d / f"cv/{model}/fold{k}.json").read_text())
            preds = pd.read_parquet(d / f"cv/{model}/fold{k}.parquet")
            assert fold["kind"] == "topn" and "rmse" not in fold and fold["n_test"] == len(preds)
            assert "est" not in preds and np.isfinite(preds["score"]).all()
    for model in [m for m in models if m not in topn]:
        for k in range(3):
            fold = json.loads((d / f"cv/{model}/fold{k}.json").read_text())
            preds = pd.read_parquet(d / f"cv/{model}/fold{k}.parquet")
            rmse = float(np.sqrt(np.mean((preds["rating"] - preds["est"]) ** 2)))
            assert fold["rmse"] == pytest.approx(rmse, abs=1e-12)
            row = metrics[(metrics["model"] == model) & (metrics["metric"] == "RMSE")]
            assert row[f"fold_{k + 1}"].iat[0] == pytest.approx(fold["rmse"], abs=1e-9)

    users = pd.read_parquet(d / "data/users.parquet")
    deletions = pd.read_csv(d / "deletions.csv")
    assert deletions["model"].tolist() == models + ["popular", "random"]  # the references' lists too
    assert deletions["users"].tolist() == [len(users)] * (len(models) + 2)
    for model in models:
        lists = pd.read_parquet(d / f"recommendations/{model}.parquet")
        per_user = pd.read_parquet(d / f"recommendations/{model}.per_user.parquet")
        assert (lists["artist_country"] != lists["user_country"]).all()
        assert lists.groupby("user_id")["rank"].max().le(10).all()
        assert deletions.set_index("model").loc[model, "deletions"] == per_user["deletions"].sum()
    reports = sorted((d / "reports").glob("user_*.md"))
    assert len(reports) == 3
    # every script's log ends with its own resource use, which the engines benchmark reads
    from lfmrec.harness import read_usage

    usage = read_usage(d / "logs/cv/mf_k5_native.log")
    assert set(usage) == {"wall_s", "cpu_s", "sys_s", "peak_rss_gb"}
    assert usage["wall_s"] > 0 and usage["cpu_s"] > 0 and 0 <= usage["sys_s"] <= usage["cpu_s"] and usage["peak_rss_gb"] > 0
    assert "## knn_means_k10: top 10 from other countries" in reports[0].read_text()
    assert "## ease_l50: top 10 from other countries" in reports[0].read_text()
    snakemake(tiny_run, "--configfile", "test.yaml", "--report", "results/report.html")
    try:
        html = (d / "report.html").read_text(errors="replace")
    finally:  # the shared run stays as the workflow made it (other tests compare its results/)
        (d / "report.html").unlink(missing_ok=True)
    assert "metrics.csv" in html and "deletions" in html


@pytest.mark.slow
def test_beyond_the_paper_outputs(tiny_run):
    d = tiny_run / "results"
    models = [m for m, spec in TINY["models"].items() if spec is not None]
    ranking = pd.read_csv(d / "ranking_metrics.csv")
    assert ranking["model"].unique().tolist() == models + ["popular", "random"]
    assert ranking["metric"].unique().tolist() == ["precision@n", "recall@n", "ndcg@n", "hit@n"]
    ndcg = ranking[ranking["metric"] == "ndcg@n"].set_index("model")["mean"]
    assert ndcg["popular"] > ndcg["random"] and ndcg["mf_k5_native"] == pytest.approx(ndcg["mf_k5"], abs=1e-12)
    assert ndcg["itemknn_k20"] > ndcg["random"] and ndcg["ease_l50"] > ndcg["random"]

    trade = pd.read_csv(d / "tradeoff.csv")
    assert set(trade["method"]) == {"none", "hard", "soft", "calibrated"}
    assert (trade.loc[trade["method"] == "hard", "foreign_share"] == 1).all()
    none = trade[trade["method"] == "none"].set_index("model")
    for method in ("soft", "calibrated"):  # lambda 0 is the plain top-n
        zero = trade[(trade["method"] == method) & (trade["lambda"] == 0)].set_index("model")
        pd.testing.assert_series_equal(zero["ndcg"], none["ndcg"])
    assert (none["foreign_share"] < 1).all()

    div = pd.read_csv(d / "diversity.csv")
    assert div["model"].tolist() == models + ["popular", "random"] and (div["foreign_share_estimated"] == 1).all()
    assert div["foreign_share_true"].between(0.5, 1).all() and (div["local_bias"] < 0).all()

    # cultural measures: the initial lists are the top-10 the deletions were counted in
    users = pd.read_parquet(d / "data/users.parquet")
    triples = pd.read_parquet(d / "data/triples.parquet", columns=["user_id", "artist_id"])
    artist_country = pd.read_parquet(d / "data/artists.parquet").set_index("artist_id")["country"]
    home = pd.read_parquet(d / "synthetic/truth_artists.parquet").set_index("artist_id")["home_country"]
    cult = pd.read_csv(d / "cultural.csv", keep_default_na=False, na_values=[""])  # written with 10 significant digits
    rows = models + ["popular", "random", "history_sample"]
    labellings = ("estimated", "lift", "mixture", "truth")  # the configured estimator, cultural.labellings, the truth
    assert cult[["model", "countries"]].drop_duplicates().values.tolist() == [[m, c] for c in labellings for m in rows]
    variants = pd.read_csv(d / "cultural_variants.csv", keep_default_na=False, na_values=[""])
    default = variants[
        (variants["unit"] == "distinct")
        & (variants["aggregation"] == "user_mean")
        & (variants["unknown"] == "category")
        & (variants["user_country"] == "all")
    ]
    same = default.merge(cult[cult["user_country"] == "all"], on=["model", "countries"], suffixes=("", "_t"))
    assert len(same) == len(rows) * len(labellings)
    np.testing.assert_allclose(same["local_bias_final"], same["local_bias_final_t"], rtol=0, atol=1e-9)
    assert set(variants["unit"]) == {"distinct", "plays"} and set(variants["aggregation"]) == {"user_mean", "pooled"}
    alls = cult[cult["user_country"] == "all"].set_index(["countries", "model"])
    assert (alls["users"] == len(users)).all()
    shares = [c for c in cult.columns if "_share_" in c or c.startswith("js_")]
    assert cult[shares].ge(0).all().all() and cult[shares].le(1).all().all()
    assert (cult.loc[cult["countries"] == "estimated", "local_share_final"] == 0).all()  # the hard rule
    assert (cult.loc[cult["countries"] == "truth", "local_share_final"] > 0).any()  # misestimated artists
    for labelling, country in (("estimated", artist_country), ("truth", home)):
        hist = triples.assign(c=country.reindex(triples["artist_id"]).to_numpy()).merge(users, on="user_id")
        for col, same in (("us", hist["c"] == "US"), ("local", hist["c"] == hist["country"])):
            expected = same.fillna(False).astype(float).groupby(hist["user_id"]).mean().mean()
            np.testing.assert_allclose(alls.loc[labelling, f"{col}_share_history"], expected, rtol=0, atol=1e-9)
    for model in models:
        initial = pd.read_parquet(d / f"recommendations/{model}.initial.parquet")
        per_user = pd.read_parquet(d / f"recommendations/{model}.per_user.parquet").set_index("user_id")
        assert initial.groupby("user_id")["rank"].max().le(10).all()
        same = (initial["artist_country"] == initial["user_country"]).fillna(False)
        assert (
            same.groupby(initial["user_id"]).sum().reindex(per_user.index, fill_value=0).tolist()
            == per_user["deletions"].tolist()
        )
        assert initial.merge(triples, on=["user_id", "artist_id"]).empty  # never a played artist
        for labelling, country in (("estimated", artist_country), ("truth", home)):
            local = country.reindex(initial["artist_id"]).to_numpy() == initial["user_country"].to_numpy()
            mean = pd.Series(local, dtype=float).groupby(initial["user_id"].to_numpy()).mean().mean()
            assert alls.loc[(labelling, model), "local_share_initial"] == pytest.approx(mean, abs=1e-9)
            row = alls.loc[(labelling, model)]
            assert row["local_bias_initial"] == pytest.approx(row["local_share_initial"] - row["local_share_history"], abs=1e-9)
    # the diversity table measures the same by its own route (the initial local share from the deletions)
    est_all = alls.loc["estimated"].reindex(models)
    div_models = div[div["model"].isin(models)]
    np.testing.assert_allclose(est_all["local_bias_initial"], div_models["local_bias_initial"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(est_all["local_bias_final"], div_models["local_bias"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(est_all["us_share_final"], div_models["us_share"], rtol=0, atol=1e-9)
    # the references read like models: popular's lists are the most listened artists a user has not
    # played, and the history sample's divergence from the history is the table's floor
    popular = pd.read_parquet(d / "recommendations/popular.initial.parquet")
    listeners = triples.groupby("artist_id").size()
    first = popular[popular["rank"] == 1].set_index("user_id")["artist_id"]
    played = triples.groupby("user_id")["artist_id"].apply(set)
    for u, a in first.items():
        best = listeners.drop(list(played[u])).max()
        assert listeners[a] == best, u
    floor = cult[(cult["model"] == "history_sample") & (cult["user_country"] == "all")].set_index("countries")["js_initial"]
    model_js = cult[cult["model"].isin(models) & (cult["user_country"] == "all")].groupby("countries")["js_initial"].min()
    assert (floor < model_js).all()
    assert (d / "html/cultural.html").exists() and (d / "plots/cultural.png").stat().st_size > 10_000

    est = pd.read_csv(d / "country_estimation.csv")
    overall = est[est["scope"] == "all"].set_index(["estimator", "source"])
    assert len(overall) == 12
    # argmax over the sampled users is the estimate in artists.parquet: recompute its accuracy
    artists = pd.read_parquet(d / "data/artists.parquet").set_index("artist_id")["country"].dropna()
    truth = pd.read_parquet(d / "synthetic/truth_artists.parquet").set_index("artist_id")["home_country"]
    mine = float((artists == truth.reindex(artists.index)).mean())
    assert overall.loc[("argmax", "sample"), "accuracy"] == pytest.approx(mine)
    assert overall.loc[("argmax", "sample"), "artists"] == len(artists)


def update_readme() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        block = rulegraph_block(workdir(Path(tmp)))
    readme = ROOT / "docs/workflow.md"
    text = readme.read_text()
    if README_BLOCK.search(text) is None:
        text = text.replace("RULEGRAPH_PLACEHOLDER\n", "")
    readme.write_text(README_BLOCK.sub(lambda m: m.group(1) + block + m.group(3), text))


if __name__ == "__main__" and "--update-readme" in sys.argv:
    update_readme()


@pytest.mark.slow
def test_heavy_jobs_declare_their_memory(tiny_run):
    """cross_validate, fit_full, recommend and rank_* declare mem_mb, so that `--resources mem_mb=...`
    caps the memory of the jobs running together: every declaration covers the peak the job's
    own log measured (getrusage), and a kNN fit asks for more when it has more users."""
    from lfmrec.harness import read_usage
    from lfmrec.resources import fit_job_mb

    out = snakemake(
        tiny_run,
        "--configfile",
        "test.yaml",
        "-n",
        "--forcerun",
        "cross_validate",
        "fit_full",
        "recommend",
        "rank_model",
        "rank_reference",
    ).stdout
    mem = {}
    for block in out.split("\nrule ")[1:]:
        rule = block.split(":", 1)[0]
        wc = re.search(r"wildcards: (.*)", block)
        log = re.search(r"log: (\S+)", block)
        m = re.search(r"mem_mb=(\d+)", block)
        if m:
            mem[(rule, wc.group(1) if wc else "")] = (int(m.group(1)), log.group(1))
    assert {rule for rule, _ in mem} >= {"cross_validate", "fit_full", "recommend", "rank_model", "rank_reference"}
    for (rule, wc), (mb, log) in mem.items():
        peak_mb = read_usage(tiny_run / log)["peak_rss_gb"] * 1024
        assert peak_mb <= mb, (rule, wc, peak_mb, mb)
    triples = pd.read_parquet(tiny_run / "results/data/triples.parquet")
    sizes = (triples["user_id"].nunique(), triples["artist_id"].nunique(), len(triples))
    spec = TINY["models"]["knn_means_k10"]
    assert fit_job_mb(spec, *sizes) < fit_job_mb(spec, 20 * sizes[0], *sizes[1:])  # kNN: grows with users


@pytest.mark.slow
def test_heldout_evaluation_learns_nothing_from_its_test_folds(tiny_run):
    """Each fold's country labels are those estimated from its training triples alone; every artist
    of a fold's held-out lists (the TREC run files) has a training pair in that fold; the per-user
    results and the statistics tables cover every model and reference."""
    from lfmrec.countries.estimate import estimate_argmax
    from lfmrec.countries.folds import training_table

    d = tiny_run / "results"
    triples = pd.read_parquet(d / "data/triples.parquet")
    folds = pd.read_parquet(d / "cv/folds.parquet")
    users = pd.read_parquet(d / "data/users.parquet")
    artist_ids = pd.read_parquet(d / "data/sampled_artists.parquet")["artist_id"].to_numpy()
    label = np.empty(len(triples), dtype=np.int64)
    label[folds["row"].to_numpy()] = folds["fold"].to_numpy()
    models = [m for m, spec in TINY["models"].items() if spec is not None] + ["popular", "random"]
    for k in range(3):
        train = triples[label != k]
        fold_labels = pd.read_parquet(d / f"cv/countries/fold{k}.artists.parquet")
        expected = estimate_argmax(training_table(train, users, artist_ids), artist_ids)
        pd.testing.assert_series_equal(fold_labels["country"], expected["country"], check_names=False)
        trained = set(train["artist_id"])
        for model in models:
            run = pd.read_csv(
                d / f"cv/{model}/fold{k}.run.txt", sep=" ", header=None, names=["user", "q0", "artist", "rank", "score", "name"]
            )
            assert len(run) and run["artist"].isin(trained).all(), (model, k)
            assert (run["name"] == model).all() and run.groupby("user")["rank"].max().le(10).all()
            per_user = pd.read_parquet(d / f"cv/{model}/fold{k}.per_user.parquet")
            assert set(per_user["method"]) == {"none", "hard"} and (per_user["fold"] == k).all()
    # the phase-2 labels (all triples) differ from some fold's: the folds' labels are their own
    whole = pd.read_parquet(d / "data/artists.parquet")["country"]
    assert any(not pd.read_parquet(d / f"cv/countries/fold{k}.artists.parquet")["country"].equals(whole) for k in range(3))
    sig = pd.read_csv(d / "significance.csv")
    n = len(models)
    assert len(sig) == 2 * n * (n - 1) // 2 and set(sig["metric"]) == {"ndcg@n", "recall@n"}
    iv = pd.read_csv(d / "intervals.csv")
    assert set(iv["model"]) == set(models) and (iv["ci_low"] <= iv["mean"]).all() and (iv["mean"] <= iv["ci_high"]).all()
    by_country = pd.read_csv(d / "by_country.csv")
    assert {"all", "US", "non-US"} <= set(by_country["group"])
    paper = pd.read_csv(d / "paper_comparison.csv", keep_default_na=False, na_values=[""])
    assert paper.set_index("paper_model").loc["Baseline", "model"] == "baseline"

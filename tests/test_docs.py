"""The README is a short front door that quotes no measured figure (those live in docs/, each with
the command that reproduces it); the docs name no commit hash and every page is in the site."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_is_short_and_quotes_no_measured_figure():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) < 200
    # a measured figure has decimals (0.287, 1.87, 153.9 s); versions ("Python 3.11+") are no figures
    figures = [m.group(0) for m in re.finditer(r"(?<![\w.])\d+\.\d+(?![\w.+])", text)]
    assert figures == [], figures


def test_the_docs_name_no_commit_hash():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        hashes = re.findall(r"(?<![0-9a-z])[0-9a-f]{7,40}(?![0-9a-z])", page.read_text())
        hashes = [h for h in hashes if re.search(r"[a-f]", h) and re.search(r"[0-9]", h)]
        assert hashes == [], (page.name, hashes)


def test_every_docs_page_is_in_the_site():
    site = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!!python/name:", ""))
    pages = {next(iter(entry.values())) for entry in site["nav"]}
    assert pages == {p.name for p in (ROOT / "docs").glob("*.md")}

"""The configuration reference (docs/configuration.md), generated from ``config/schema.yaml`` and the
defaults of ``config/config.yaml``, so that the page never drifts from what is checked.

    python -m lfmrec.config_reference            # rewrite docs/configuration.md
    python -m lfmrec.config_reference --check    # exit 1 if it is not current (tests do this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"

INTRO = """# Configuration reference

Generated from `config/schema.yaml` (the reference: the config is checked against it before any
job runs) and the defaults of `config/config.yaml` by `python -m lfmrec.config_reference`; a test
keeps it current. A missing optional key takes the schema's default (filled in once, by
`lfmrec.config.check_config`); the model parameters are Surprise's and implicit's keyword arguments,
checked against the registry in `src/lfmrec/models.py`. A mistake is one line naming the key, e.g.
`Invalid config sampel: is not a known key (fix: did you mean 'sample'?)`.

Other config files beside `config/config.yaml` add to it (`snakemake --configfile FILE`):
`config/full_scale.yaml` (all of LFM-1b's size), `config/tiny.yaml`, `config/ease.yaml`,
`config/tuning.yaml`, `config/replicates.yaml`, `config/sensitivity.yaml`.
"""


def _inline(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).strip().removesuffix("\n...").strip()


def allowed(node: dict) -> str:
    """What a value may be, in a few words."""
    if "enum" in node:
        return ", ".join(f"`{_inline(v)}`" for v in node["enum"])
    if "const" in node:
        return f"`{_inline(node['const'])}`"
    if "oneOf" in node or "anyOf" in node:
        return " or ".join(allowed(sub) for sub in node.get("oneOf", node.get("anyOf")))
    kind = node.get("type", "")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    bounds = []
    if "minimum" in node:
        bounds.append(f">= {node['minimum']}")
    if "exclusiveMinimum" in node:
        bounds.append(f"> {node['exclusiveMinimum']}")
    if "maximum" in node:
        bounds.append(f"<= {node['maximum']}")
    if "exclusiveMaximum" in node:
        bounds.append(f"< {node['exclusiveMaximum']}")
    if kind == "array" and isinstance(node.get("items"), dict) and "properties" not in node["items"]:
        kind = f"list of {allowed(node['items'])}"
    return " ".join([kind, *bounds]).strip()


def _code_default(path: list[str]):
    """The default the code holds for a key the schema leaves open (the generator's process)."""
    if path[:3] == ["dataset", "synthetic", "process"] and len(path) == 4:
        from .synthetic import Process

        return getattr(Process(), path[3])
    raise KeyError(path)


def _default(config: dict | None, path: list[str], node: dict) -> str:
    where = config
    for part in path:
        if not isinstance(where, dict) or part not in where:
            if "default" in node:
                return f"`{_inline(node['default'])}`"
            try:
                return f"`{_inline(_code_default(path))}`"
            except KeyError:
                return ""
        where = where[part]
    if isinstance(where, dict) and where and "properties" in node:
        return ""  # a section: its keys have rows of their own
    if isinstance(where, dict) and isinstance(node.get("additionalProperties"), dict):
        return ", ".join(f"`{name}`" for name in where)  # a map of named entries (models): the names
    return f"`{_inline(where)}`"


def rows(schema: dict, config: dict) -> list[tuple[str, str, str, str]]:
    """(key, allowed values, default, description) of every documented key, in schema order."""
    out = []

    def walk(node: dict, path: list[str], in_config: bool):
        for name, sub in (node.get("properties") or {}).items():
            key = path + [name]
            if "description" in sub:
                default = _default(config if in_config else None, key, sub)
                text = " ".join(str(sub["description"]).split()).replace("|", "\\|")
                out.append((".".join(key), allowed(sub), default, text))
            walk(sub, key, in_config)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            walk(extra, path + ["<name>"], False)
        items = node.get("items")
        if isinstance(items, dict):
            walk(items, path + ["[]"], False)

    walk(schema, [], True)
    return out


def markdown(schema: dict, config: dict) -> str:
    """The whole page: the introduction, then one table per top-level section."""
    parts = [INTRO]
    section = None
    for key, kinds, default, text in rows(schema, config):
        top = key.split(".")[0]
        if top != section:
            section = top
            parts.append(f"\n## `{top}`\n\n| key | allowed | default | meaning |\n|---|---|---|---|")
        parts.append(f"| `{key}` | {kinds} | {default} | {text} |")
    return "\n".join(parts) + "\n"


def current(root: Path = ROOT) -> str:
    schema = yaml.safe_load((root / "config/schema.yaml").read_text())
    config = yaml.safe_load((root / "config/config.yaml").read_text())
    return markdown(schema, config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/configuration.md is not current")
    args = parser.parse_args(argv)
    text = current()
    if args.check:
        if PAGE.read_text() != text:
            print(f"{PAGE} is not current: run python -m lfmrec.config_reference", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

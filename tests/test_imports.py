"""The library's imports run one way: no cycles (top-level or inside functions), and the bottom
layer imports nothing else of the package. Checked on the source with ``ast``, so a cycle hidden in
a deferred import counts too."""

import ast
from pathlib import Path

import lfmrec

PACKAGE = Path(lfmrec.__file__).resolve().parent
BOTTOM = {
    "lfmrec._numba",
    "lfmrec._bisect",
    "lfmrec.errors",
    "lfmrec.io",
    "lfmrec.harness",
    "lfmrec.tables",
    "lfmrec.topn",
    "lfmrec.pairs",
    "lfmrec.countries.codes",
    "lfmrec.ids",
    "lfmrec.knn_estimate",
}


def module_name(path: Path) -> str:
    parts = ("lfmrec",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every lfmrec module ``path`` imports, wherever the import statement is."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("lfmrec"):
                continue
            for alias in node.names:  # `from . import native` imports the module lfmrec.native
                sub = f"{mod}.{alias.name}"
                found.add(sub if sub in MODULES else mod)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("lfmrec"))
    found.discard(name)
    return {m for m in found if m in MODULES}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (module -> modules it imports) as a path that ends where it starts, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for dep in sorted(graph.get(m, ())):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_there_is_no_import_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_fails_on_an_injected_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    # the package's own graph with one deferred import added the wrong way round
    injected = {m: set(deps) for m, deps in GRAPH.items()}
    injected["lfmrec.rerank"].add("lfmrec.recommend")
    cycle = find_cycle(injected)
    assert cycle is not None and "lfmrec.rerank" in cycle and "lfmrec.recommend" in cycle


def test_the_bottom_layer_imports_only_the_bottom_layer():
    for m in BOTTOM:
        assert GRAPH[m] <= BOTTOM, (m, GRAPH[m] - BOTTOM)


def test_the_checker_sees_a_cycle_and_deferred_imports():
    # recommend imports rerank at the top; were rerank to import recommend inside a function, the
    # graph would hold both edges
    assert "lfmrec.rerank" in GRAPH["lfmrec.recommend"]
    assert "lfmrec.recommend" not in GRAPH["lfmrec.rerank"]
    assert "lfmrec.native" in GRAPH["lfmrec.cv"] or any(m.startswith("lfmrec.native") for m in GRAPH["lfmrec.cv"])

"""The package's import graph has no cycle: every arrow points down.

The graph is read from the source with `ast`, without importing anything. It counts every
`import` of a heygem module wherever it stands: at module level, inside functions (the lazy imports
of heavy or optional code) and under `if TYPE_CHECKING:`. A function-level import that closes a
loop works at run time only because of when the function runs, so it is a cycle of design all the
same, and counting it keeps the layers honest.

`from pkg import name` is an arrow to the submodule pkg.name when there is one, else to pkg's
`__init__`. Not counted: Python's own import of a module's parent packages (it runs
`heygem/api/__init__.py` before `heygem/api/easy.py`; that is how packages work, and no statement
asks for it), and names built at run time (`importlib.import_module(f"heygem.cli.{name}")`).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "heygem"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The heygem modules that `name` (the module at `path`) imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # `from pkg import sub` imports the submodule pkg.sub
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else base)
    found = set()
    for target in targets:
        while target and target not in known:  # `import heygem.api.easy.x` -> the deepest real module
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(name, path, known) for name, path in known.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None. Depth-first search with colours."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_graph_is_read_from_the_source():
    edges = graph()
    assert "heygem.errors" in edges["heygem.api.errors"]  # relative `from ..errors import ...`
    assert "heygem.api.easy" in edges["heygem.api.app"]  # `from . import easy, errors, ...`
    assert "heygem.service.service" in edges["heygem.service"]  # a package's __init__ counts
    assert "heygem" in edges["heygem.api.app"]  # `from .. import __version__`: the package's __init__
    assert "heygem.api" not in edges["heygem.api.easy"]  # no arrow for Python's own import of the parent


def test_find_cycle_names_the_loop():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) is None


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])

"""The packages of docs/architecture.md and what each may import, checked over every module's
imports: a new import across a wall, or a circle between packages, fails here by name.

The table is stated twice on purpose, once in the architecture's prose and once here, and the
two must agree, so the document cannot drift from what is enforced. Imports are read with
`ast`: those inside functions count, those under `if TYPE_CHECKING:` do not (they never run);
`from jiedan_cli import render` imports the module `render`, and relative imports are
resolved."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "jiedan_cli"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# package → the packages of ours it may import (itself always). A package is a folder under
# jiedan_cli/ or a top-level module, and the most specific one holds a module (server/api/x.py
# is in server/api, server/app.py in server), except the modules MEMBERS names.
ALLOWED: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "locations": frozenset(),
    "qr": frozenset(),
    "render": frozenset(),
    "store": frozenset({"domain", "locations"}),
    "sync": frozenset({"store", "domain", "locations"}),
    "tui": frozenset({"store", "sync", "domain", "locations", "qr", "render"}),
    # `server`: the demo command starts one (server/demo.py)
    "commands": frozenset(
        {"store", "sync", "tui", "domain", "locations", "qr", "render", "server"}
    ),
    "cli": frozenset({"commands"}),
    "server/db": frozenset({"domain"}),
    "server/payments": frozenset({"domain"}),
    "server/plumbing": frozenset({"domain", "locations"}),
    "server/services": frozenset({"domain", "server/db", "server/payments", "server/plumbing"}),
    # server/db: the Database handle a router opens its transaction on, and /readyz's
    # migration check; server/payments: the sandbox webhook's headers and refusals
    "server/api": frozenset(
        {"server/services", "server/db", "server/payments", "server/plumbing", "domain"}
    ),
    "server/jobs": frozenset({"server/services", "server/db", "server/plumbing", "domain"}),
    "server": frozenset(
        {
            "server/api",
            "server/services",
            "server/db",
            "server/jobs",
            "server/payments",
            "server/plumbing",
            "domain",
        }
    ),
}

# Packages that are a set of modules rather than a folder. The server's plumbing lives in
# server/ beside the app that assembles it (server), yet every layer of the server uses it.
MEMBERS: dict[str, frozenset[str]] = {
    "server/plumbing": frozenset(
        {
            "server/config",
            "server/clock",
            "server/logs",
            "server/metrics",
            "server/file_store",
            "server/header_timeout",
        }
    ),
}

# Modules that hold no code of a package's own: the package's root and `python -m jiedan_cli`.
OUTSIDE_THE_TABLE = {"__init__", "__main__"}


@dataclass(frozen=True)
class Crossing:
    source: str  # the importing file, relative to the package root
    imported: str  # the module imported, dotted
    from_package: str
    to_package: str

    def __str__(self) -> str:
        return f"{self.source} imports {self.imported} ({self.from_package} → {self.to_package})"


# --- reading imports ---------------------------------------------------------------------------


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth, except in the body of `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        yield from _imports_of(node)


def _imports_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    elif isinstance(node, ast.If) and _is_type_checking(node.test):
        for other in node.orelse:  # what runs
            yield from _imports_of(other)
    else:
        yield from _import_nodes(node)


def _exists(root: Path, dotted: str) -> bool:
    """Whether `dotted` (under the package at `root`) names a module or a package of ours."""
    path = root.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def imported_modules(root: Path, path: Path) -> frozenset[str]:
    """The modules of the package at `root` that the file at `path` imports, dotted."""
    name = _module_name(root, path)
    # the package a relative import is relative to
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        if node.level:
            base_parts = here.split(".")
            base_parts = base_parts[: len(base_parts) - (node.level - 1)]
            base = ".".join(base_parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            found.add(submodule if _exists(root, submodule) else base)
    return frozenset(module for module in found if module.split(".")[0] == root.name)


# --- packages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layers:
    """A table of packages: what each may import, and the packages that are a set of modules."""

    allowed: Mapping[str, frozenset[str]]
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @cached_property
    def _where(self) -> dict[str, str]:
        """path ('server/api', 'server/config') → its package"""
        return {
            path: package
            for package in self.allowed
            for path in self.members.get(package, {package})
        }

    def package_of(self, dotted: str) -> str | None:
        """The most specific package holding the module `dotted` (a dotted name whose first part
        is the root package), None for a module outside the table."""
        where = self._where
        parts = dotted.split(".")[1:]
        for size in range(len(parts), 0, -1):
            package = where.get("/".join(parts[:size]))
            if package is not None:
                return package
        return None


def modules(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def _edges(root: Path, layers: Layers) -> Iterator[Crossing]:
    """Every import of one package's module by another package's."""
    for path in modules(root):
        source = layers.package_of(_module_name(root, path))
        if source is None:
            continue
        for module in sorted(imported_modules(root, path)):
            target = layers.package_of(module)
            if target is not None and target != source:
                yield Crossing(path.relative_to(root).as_posix(), module, source, target)


def crossings(root: Path, layers: Layers) -> list[Crossing]:
    """Every import of a package the table does not allow its importer."""
    return sorted(
        (
            edge
            for edge in _edges(root, layers)
            if edge.to_package not in layers.allowed[edge.from_package]
        ),
        key=str,
    )


def uncovered(root: Path, layers: Layers) -> list[str]:
    """Modules that belong to no package of the table."""
    return [
        path.relative_to(root).as_posix()
        for path in modules(root)
        if layers.package_of(_module_name(root, path)) is None
        and path.relative_to(root).with_suffix("").as_posix() not in OUTSIDE_THE_TABLE
    ]


def cycles(root: Path, layers: Layers) -> list[str]:
    """Each circle of imports between packages, written out with one import for each step:
    'a → b (a/x.py imports pkg.b.y) → a (b/z.py imports pkg.a.w)'."""
    example: dict[tuple[str, str], Crossing] = {}
    for edge in _edges(root, layers):
        example.setdefault((edge.from_package, edge.to_package), edge)
    graph: dict[str, set[str]] = {}
    for source, target in example:
        graph.setdefault(source, set()).add(target)
    found = []
    for component in _strongly_connected(graph):
        if len(component) < 2:
            continue
        path = _circle_through(graph, component)
        steps = [path[0]]
        for source, target in pairwise(path):
            edge = example[(source, target)]
            steps.append(f"{target} ({edge.source} imports {edge.imported})")
        found.append(" → ".join(steps))
    return sorted(found)


def _strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _circle_through(graph: Mapping[str, set[str]], component: list[str]) -> list[str]:
    """A shortest circle from the component's first package back to itself, inside it."""
    start = component[0]
    inside = set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*paths[node], start]
            if nxt in inside and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no circle in {component}")  # a component of 2+ always has one


# --- the table in docs/architecture.md ---------------------------------------------------------


def documented_table(text: str) -> Layers:
    """The '| package | holds | may import |' table. A row's package is the first name in
    backquotes in its first column (`server/api/`, `render.py`, `server/` (top)); any further
    `x.py` there are its modules, when it is not a folder; what it may import is every name in
    backquotes in its third column ('nothing of ours' when there is none)."""

    def name(quoted: str) -> str:
        return quoted.removesuffix("/").removesuffix(".py")

    lines = text.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("| package | holds | may import")
    )
    allowed: dict[str, frozenset[str]] = {}
    members: dict[str, frozenset[str]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        package, *parts = re.findall(r"`([^`]+)`", cells[0])
        allowed[name(package)] = frozenset(name(q) for q in re.findall(r"`([^`]+)`", cells[2]))
        if parts:
            members[name(package)] = frozenset(name(q) for q in parts if q.endswith(".py"))
    return Layers(allowed, members)


# --- the real tree -----------------------------------------------------------------------------

REAL = Layers(ALLOWED, MEMBERS)


@cache
def _real_crossings() -> tuple[Crossing, ...]:
    return tuple(crossings(PACKAGE, REAL))


def test_the_architecture_states_the_same_table() -> None:
    documented = documented_table(ARCHITECTURE.read_text(encoding="utf-8"))
    assert documented.allowed == ALLOWED
    assert documented.members == MEMBERS


def test_the_table_names_only_its_own_packages() -> None:
    named = set().union(*ALLOWED.values(), MEMBERS)
    assert named - set(ALLOWED) == set()


def test_the_table_allows_no_circle() -> None:
    graph = {package: set(allowed) for package, allowed in ALLOWED.items()}
    assert [c for c in _strongly_connected(graph) if len(c) > 1] == []


def test_every_module_is_in_a_package_of_the_table() -> None:
    assert uncovered(PACKAGE, REAL) == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_the_architecture_allows(package: str) -> None:
    found = [str(c) for c in _real_crossings() if c.from_package == package]
    assert not found, "imports across the architecture's walls:\n" + "\n".join(found)


def test_no_circle_of_imports_between_packages() -> None:
    found = cycles(PACKAGE, REAL)
    assert not found, "circles of imports between packages:\n" + "\n".join(found)


# --- the checker itself, on a small tree -------------------------------------------------------

TOY_TABLE: dict[str, frozenset[str]] = {
    "rules": frozenset(),
    "store": frozenset({"rules"}),
    "face": frozenset({"store", "rules"}),
    "face/widgets": frozenset({"face", "rules"}),
}
TOY = Layers(TOY_TABLE)


def _toy(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "toy"
    for name in ("", "rules", "store", "face", "face/widgets"):
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "__init__.py").write_text("", encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_allowed_imports_pass(tmp_path: Path) -> None:
    root = _toy(
        tmp_path,
        {
            "rules/money.py": "import json\n",
            "store/orders.py": "from toy.rules import money\nfrom . import queries\n",
            "store/queries.py": "import toy.rules.money\n",
            "face/widgets/table.py": "from ..screens import board\n",
            "face/screens.py": "from toy.store.orders import *\n",
        },
    )
    assert crossings(root, TOY) == []
    assert cycles(root, TOY) == []


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    root = _toy(tmp_path, {"rules/money.py": "from toy.store.orders import total\n"})
    (root / "store/orders.py").write_text("total = 1\n", encoding="utf-8")
    assert [str(c) for c in crossings(root, TOY)] == [
        "rules/money.py imports toy.store.orders (rules → store)"
    ]


def test_an_import_inside_a_function_is_caught(tmp_path: Path) -> None:
    root = _toy(
        tmp_path,
        {
            "store/orders.py": "def load():\n    if True:\n        import toy.face.board\n",
            "face/board.py": "",
        },
    )
    assert [str(c) for c in crossings(root, TOY)] == [
        "store/orders.py imports toy.face.board (store → face)"
    ]


def test_from_a_package_import_a_module_imports_that_module(tmp_path: Path) -> None:
    root = _toy(
        tmp_path,
        {
            "face/board.py": "",
            # `from toy import face` is the package face; `from toy.face import board` its module
            "rules/money.py": "from toy import face\n",
            "rules/fees.py": "from toy.face import board, VALUE\n",
        },
    )
    assert [str(c) for c in crossings(root, TOY)] == [
        "rules/fees.py imports toy.face (rules → face)",
        "rules/fees.py imports toy.face.board (rules → face)",
        "rules/money.py imports toy.face (rules → face)",
    ]


def test_a_relative_import_is_resolved(tmp_path: Path) -> None:
    root = _toy(tmp_path, {"face/widgets/table.py": "from ...store import orders\n"})
    (root / "store/orders.py").write_text("", encoding="utf-8")
    assert [str(c) for c in crossings(root, TOY)] == [
        "face/widgets/table.py imports toy.store.orders (face/widgets → store)"
    ]


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    root = _toy(
        tmp_path,
        {
            "face/board.py": "",
            "rules/money.py": (
                "from typing import TYPE_CHECKING\n"
                "import typing\n"
                "if TYPE_CHECKING:\n    from toy.face import board\n"
                "if typing.TYPE_CHECKING:\n    import toy.store\n"
                "else:\n    import toy.face.board\n"
            ),
        },
    )
    # the else branch runs
    assert [str(c) for c in crossings(root, TOY)] == [
        "rules/money.py imports toy.face.board (rules → face)"
    ]


def test_a_circle_between_packages_is_reported_with_its_imports(tmp_path: Path) -> None:
    table = Layers({**TOY_TABLE, "store": frozenset({"rules", "face"})})
    root = _toy(
        tmp_path,
        {
            "store/orders.py": "def board():\n    from toy.face import board\n",
            "face/board.py": "from toy.store import orders\n",
        },
    )
    assert crossings(root, table) == []
    assert cycles(root, table) == [
        "face → store (face/board.py imports toy.store.orders)"
        " → face (store/orders.py imports toy.face.board)"
    ]


def test_a_module_outside_every_package_is_reported(tmp_path: Path) -> None:
    root = _toy(tmp_path, {"loose.py": "", "__main__.py": ""})
    assert uncovered(root, TOY) == ["loose.py"]


def test_the_documented_table_is_read_by_its_backquoted_names() -> None:
    text = (
        "| package | holds | may import |\n| --- | --- | --- |\n"
        "| `rules/` | money | nothing of ours |\n"
        "| `face.py` | screens | `store`, `rules` (its money only) |\n"
        "| `app/plumbing`: `app/config.py`, `app/clock.py` | settings | `rules` |\n"
        "| `app/` (top) | the app | everything under `app/`: `app/plumbing` |\n"
        "\nafter the table\n"
    )
    assert documented_table(text) == Layers(
        {
            "rules": frozenset(),
            "face": frozenset({"store", "rules"}),
            "app/plumbing": frozenset({"rules"}),
            "app": frozenset({"app", "app/plumbing"}),
        },
        {"app/plumbing": frozenset({"app/config", "app/clock"})},
    )


def test_a_package_of_modules_holds_them_and_not_their_folder(tmp_path: Path) -> None:
    layers = Layers(
        {**TOY_TABLE, "store/plumbing": frozenset(), "store": frozenset({"store/plumbing"})},
        {"store/plumbing": frozenset({"store/config"})},
    )
    root = _toy(
        tmp_path,
        {
            "store/config.py": "from toy.store import orders\n",
            "store/orders.py": "from toy.store import config\n",
        },
    )
    assert layers.package_of("toy.store.config") == "store/plumbing"
    assert layers.package_of("toy.store.orders") == "store"
    assert [str(c) for c in crossings(root, layers)] == [
        "store/config.py imports toy.store.orders (store/plumbing → store)"
    ]

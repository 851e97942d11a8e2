"""The tree shows the pipeline: imports only run down the layers, no cycles, nothing deferred without need.

The layers, lowest first (a module may import from its own package and from lower layers only;
packages in the same layer are independent of each other):

    errors, version, numbers -> options, parallel -> instance -> result -> check -> store -> models -> solving
    -> analysis | uncertainty -> report -> generate -> sources | bench -> cli -> reeplan (the lazy API)

Every import counts, at module level or inside a function. An import inside a function is allowed
only where it defers a heavy dependency (HEAVY below, directly or through the modules it imports at
their top), which is what keeps ``import reeplan`` and ``reeplan validate`` fast; its line says what
it defers (``# defers pyomo``).
"""

from __future__ import annotations

import ast
import shutil
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {"reeplan": "optimizer", "reeplan.models": "models"}  # import name -> folder (pyproject.toml)

LAYERS: list[tuple[str, ...]] = [
    ("reeplan.errors", "reeplan.version", "reeplan.numbers", "reeplan.text"),
    ("reeplan.options", "reeplan.parallel"),
    ("reeplan.instance",),
    ("reeplan.result",),
    ("reeplan.check",),  # the independent checker: below the solver, so that every solve checks its plan
    ("reeplan.store",),  # below the model and the solver: the store keeps runs, it never solves
    ("reeplan.models",),
    ("reeplan.solving",),
    ("reeplan.analysis", "reeplan.uncertainty"),
    ("reeplan.report",),
    ("reeplan.generate",),
    ("reeplan.sources", "reeplan.bench"),
    ("reeplan.cli",),
    ("reeplan",),  # __init__ (lazy API) and __main__
]
# Third-party packages that cost a noticeable share of a second to import: the only reason to
# import inside a function.
HEAVY = {"pyomo", "highspy", "pandas", "numpy", "matplotlib", "dask", "distributed", "pyscipopt", "pyarrow",
         "scipy", "xarray", "openpyxl", "pydantic", "yaml", "rich", "typer", "sqlite3", "hypothesis"}


def module_files(root: Path) -> dict[str, Path]:
    """Import name -> file, for every module of the library under ``root``."""
    files = {}
    for name, folder in PACKAGE_DIRS.items():
        for path in sorted((root / folder).rglob("*.py")):
            parts = path.relative_to(root / folder).with_suffix("").parts
            mod = ".".join((name, *parts))
            files[mod.removesuffix(".__init__")] = path
    return files


def _unit(module: str) -> str:
    """The layer entry a module belongs to (longest matching prefix)."""
    best = ""
    for layer in LAYERS:
        for entry in layer:
            if (module == entry or module.startswith(entry + ".")) and len(entry) > len(best):
                best = entry
    if module.startswith("reeplan.models"):
        return "reeplan.models"
    return best


def _layer(unit: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


class Imports(ast.NodeVisitor):
    """Every import of a module: (target, line, inside a function)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, int, bool]] = []
        self._depth = 0

    def visit_FunctionDef(self, node):  # noqa: N802 - ast visitor API
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_Import(self, node):  # noqa: N802
        for alias in node.names:
            self.found.append((alias.name, node.lineno, self._depth > 0))

    def visit_ImportFrom(self, node):  # noqa: N802
        assert node.level == 0, f"line {node.lineno}: relative import"
        for alias in node.names:
            self.found.append((f"{node.module}.{alias.name}", node.lineno, self._depth > 0))
        if not node.names:
            self.found.append((node.module or "", node.lineno, self._depth > 0))


def import_graph(root: Path) -> tuple[dict[str, Path], list[tuple[str, str, int, bool]], dict[str, set[str]]]:
    """(modules, project arrows (from, to, line, in function), third-party top-level imports per module)."""
    files = module_files(root)
    arrows, external = [], defaultdict(set)
    for mod, path in files.items():
        visitor = Imports()
        visitor.visit(ast.parse(path.read_text(), str(path)))
        for target, line, in_function in visitor.found:
            if target.split(".")[0] != "reeplan":
                if not in_function:
                    external[mod].add(target.split(".")[0])
                continue
            while target not in files:  # "reeplan.x.name" -> module "reeplan.x"
                target = target.rpartition(".")[0]
            if target != mod:
                arrows.append((mod, target, line, in_function))
    return files, arrows, external


def upward_imports(root: Path) -> list[str]:
    """Arrows that run up a layer or across to an independent package of the same layer."""
    files, arrows, _ = import_graph(root)
    bad = []
    for src, dst, line, _ in arrows:
        su, du = _unit(src), _unit(dst)
        if su == du:
            continue
        if _layer(du) >= _layer(su):
            bad.append(f"{files[src].relative_to(root)}:{line}: {src} imports {dst} ({du} is not below {su})")
    return bad


def cycles(root: Path) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), over every import."""
    files, arrows, _ = import_graph(root)
    graph = defaultdict(set)
    for src, dst, _, _ in arrows:
        graph[src].add(dst)
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in files:
        if v not in index:
            visit(v)
    return found


def needless_deferred_imports(root: Path) -> list[str]:
    """Imports inside functions that defer nothing heavy (HEAVY, directly or through top-level imports)."""
    files, arrows, external = import_graph(root)
    top = defaultdict(set)
    for src, dst, _, in_function in arrows:
        if not in_function:
            top[src].add(dst)

    def heavy(mod: str, seen: set[str]) -> bool:
        if external[mod] & HEAVY:
            return True
        seen.add(mod)
        return any(heavy(dst, seen) for dst in top[mod] if dst not in seen)

    bad = []
    for path in files.values():
        visitor = Imports()
        visitor.visit(ast.parse(path.read_text()))
        for target, line, in_function in visitor.found:
            if not in_function:
                continue
            if target.split(".")[0] != "reeplan":
                if target.split(".")[0] not in HEAVY and target.split(".")[0] != "__future__":
                    bad.append(f"{path.relative_to(root)}:{line}: {target} (standard library or light) inside a function")
                continue
            while target not in files:
                target = target.rpartition(".")[0]
            if not heavy(target, set()):
                bad.append(f"{path.relative_to(root)}:{line}: {target} defers nothing heavy; import it at the top")
    return bad


def deferred_imports_without_reason(root: Path) -> list[str]:
    """Imports inside functions whose line carries no comment saying what they defer."""
    bad = []
    for path in module_files(root).values():
        lines = path.read_text().splitlines()
        visitor = Imports()
        visitor.visit(ast.parse("\n".join(lines)))
        bad += [f"{path.relative_to(root)}:{line}: {lines[line - 1].strip()}" for _, line, in_function in visitor.found
                if in_function and "#" not in lines[line - 1]]
    return bad


def test_every_module_has_a_layer():
    files, _, _ = import_graph(ROOT)
    assert [m for m in files if not _unit(m)] == []


def test_imports_only_run_down_the_layers():
    assert upward_imports(ROOT) == []


def test_no_import_cycles():
    assert cycles(ROOT) == []


def test_imports_inside_functions_defer_something_heavy():
    assert needless_deferred_imports(ROOT) == []


def test_imports_inside_functions_say_what_they_defer():
    assert deferred_imports_without_reason(ROOT) == []


def _copy_library(tmp_path: Path) -> Path:
    for folder in PACKAGE_DIRS.values():
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_an_upward_import_fails_the_layer_test(tmp_path):
    """The check can fail: a results module that reaches up to the CLI is caught, and so is the cycle it makes."""
    copy = _copy_library(tmp_path)
    assert upward_imports(copy) == [] and cycles(copy) == []
    target = copy / "optimizer" / "result" / "targets.py"
    target.write_text(target.read_text() + "\nfrom reeplan.cli.console import out_console  # noqa\n")
    found = upward_imports(copy)
    assert len(found) == 1 and "reeplan.result.targets imports reeplan.cli.console" in found[0]
    console = copy / "optimizer" / "cli" / "console.py"
    console.write_text(console.read_text() + "\nimport reeplan.result.targets  # noqa\n")
    assert any("reeplan.result.targets" in c and "reeplan.cli.console" in c for c in cycles(copy))


def test_a_needless_deferred_import_is_caught(tmp_path):
    copy = _copy_library(tmp_path)
    path = copy / "optimizer" / "result" / "targets.py"
    path.write_text(path.read_text() + "\n\ndef _late():\n    import json  # noqa\n    return json\n")
    assert any("json" in line for line in needless_deferred_imports(copy))


def test_pyproject_lists_every_package_folder():
    """A folder missing from ``[tool.setuptools] packages`` would be absent from a non-editable install."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == PACKAGE_DIRS
    packages = {m for m, p in module_files(ROOT).items() if p.name == "__init__.py"}
    assert set(config["packages"]) == packages


def test_tests_mirror_the_package_folders():
    """tests/<stage>/ for every package folder of the library, and no test folder without one."""
    stages = {p.name for p in (ROOT / "optimizer").iterdir() if (p / "__init__.py").is_file()} | {"models"}
    folders = {p.name for p in (ROOT / "tests").iterdir() if (p / "__init__.py").is_file()}
    assert folders == stages

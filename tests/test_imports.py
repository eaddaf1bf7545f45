"""``import mlmap`` is light, every public name still resolves, the mean-pooled head's registration contract, and
the package's shape: no import cycle, no module over 250 lines, one module per command."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import mlmap


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_import_mlmap_and_the_cli_help_load_no_heavy_library():
    heavy = ("torch", "transformers", "datasets", "sklearn", "scipy", "pandas")
    loaded = json.loads(_run(
        "import sys, json, runpy, contextlib, io\n"
        "import mlmap\n"
        f"after_import = [m for m in {heavy!r} if m in sys.modules]\n"
        "sys.argv = ['mlmap', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        runpy.run_module('mlmap', run_name='__main__')\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(json.dumps([after_import, [m for m in {heavy!r} if m in sys.modules]]))"))
    assert loaded == [[], []], f"loaded by import mlmap, then by --help: {loaded}"


def test_every_public_name_resolves_and_unknown_names_are_attribute_errors():
    for name in mlmap.__all__:
        assert getattr(mlmap, name) is not None, name
    assert mlmap.simulation.__name__ == "mlmap.screening.simulation"
    assert mlmap.cv.__name__ == "mlmap.cv"  # a module of the package, imported on first use
    with pytest.raises(AttributeError, match="has no attribute 'fine_tuned'"):
        mlmap.fine_tuned  # noqa: B018


def test_a_saved_mean_pooled_folder_loads_by_mlmaps_loader_or_after_import_mlmap_heads(tmp_path, make_tiny_model,
                                                                                        tokenizer):
    folder = tmp_path / "mean"
    make_tiny_model(2, False, pooling="mean").save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    plain = ("from transformers import AutoModelForSequenceClassification as A\n"
             f"A.from_pretrained({str(folder)!r})\n")
    # plain transformers, with mlmap imported but none of its loaders used: the type is unknown, and refused
    refused = subprocess.run([sys.executable, "-c", "import mlmap\n" + plain], capture_output=True, text=True)
    assert refused.returncode != 0 and "mlmap-mean-bert" in refused.stderr
    assert "Mean" in _run("import mlmap.heads\n" + plain.replace("A.from_pretrained", "print(type(A.from_pretrained") + "))")
    assert "Mean" in _run(f"import mlmap\nprint(type(mlmap.models.load_fine_tuned({str(folder)!r})))")


def test_the_mlmap_command_lists_every_command_and_builds_the_one_asked_for():
    from mlmap.cli import COMMANDS, build_parser

    command = Path(sys.executable).with_name("mlmap")  # [project.scripts], installed by `make setup`
    listing = subprocess.run([str(command), "--help"], capture_output=True, text=True, check=True).stdout
    assert all(name in listing for name in COMMANDS)
    train = build_parser("train")._subparsers._group_actions[0].choices["train"]
    assert any("--learning-rate" in action.option_strings for action in train._actions)
    listed_only = build_parser(None)._subparsers._group_actions[0].choices["train"]
    assert not any("--learning-rate" in action.option_strings for action in listed_only._actions)


#: The longest a module of the package may be: one job per module.
MAX_MODULE_LINES = 250
PACKAGE = Path(mlmap.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _load_time_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is imported: at module level, also inside ``if``/``try``/``with``
    blocks there, but not inside functions or classes' methods (run later, when called) nor under
    ``if TYPE_CHECKING:`` (never run)."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If):
            todo += node.orelse if _is_type_checking(node.test) else node.body + node.orelse
        elif isinstance(node, (ast.Try, ast.With, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []):
                    todo += child.body if isinstance(child, ast.ExceptHandler) else [child]
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of the package and the modules of the package it imports when it is imported.

    Relative imports are resolved against the module's package; ``from . import name`` points at the
    module ``name`` when there is one, else at the package. Importing ``a.b`` also runs ``a``'s
    ``__init__``, but that is the package importing its own parts, not an edge here: a cycle is a
    module importing, directly or not, a module that imports it back.
    """
    paths = {_module_name(p): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        is_package = path.name == "__init__.py"
        base = name.split(".") if is_package else name.split(".")[:-1]
        edges = set()
        for node in _load_time_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                origin = ".".join(base[:len(base) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else node.module
                targets = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in paths else origin
                           for alias in node.names]
            edges |= {t for t in targets if t in paths and t != name}
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as the modules along it (the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    return next((c for n in sorted(graph) if n not in state and (c := visit(n))), None)


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert {"mlmap.cv", "mlmap.io.readers", "mlmap.cli.screen"} <= set(graph), "the graph misses modules"
    assert "mlmap.runs" in graph["mlmap.cv"] and "mlmap.io.formats" in graph["mlmap.io.readers"]
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_find_cycle_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_is_longer_than_250_lines():
    lengths = {str(p.relative_to(PACKAGE.parent)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    too_long = {p: n for p, n in lengths.items() if n > MAX_MODULE_LINES}
    assert not too_long, f"split these modules (at most {MAX_MODULE_LINES} lines): {too_long}"


def test_each_command_is_a_module_with_add_parser_and_run():
    import importlib

    from mlmap.cli import COMMANDS

    for name, command in COMMANDS.items():
        module = importlib.import_module(f"mlmap.cli.{command.module}")
        assert callable(module.add_parser) and callable(module.run), name


def test_every_relative_import_names_a_module_of_the_package():
    """Also the imports inside functions, which run only when a command runs: a module moved into a
    subpackage (``mlmap.cli``) must reach the others with ``..``."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    wrong = []
    for name, path in modules.items():
        base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level:
                origin = ".".join(base[:len(base) - node.level + 1] + ([node.module] if node.module else []))
                if origin not in modules:
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {origin}")
    assert not wrong, wrong

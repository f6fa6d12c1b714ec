"""The architecture holds: the import-linter contracts in pyproject.toml, no import cycle
anywhere (not even one hidden behind ``TYPE_CHECKING``), no engine module a reader cannot
take in at one sitting, and pages that reach persistence only through the services."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 600


def test_import_linter_contracts_are_kept() -> None:
    run = subprocess.run([sys.executable, "-m", "importlinter.cli"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    if "No module named importlinter.cli" in run.stderr:  # older entry point name
        run = subprocess.run(["lint-imports"], cwd=ROOT, capture_output=True, text=True,
                             timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "BROKEN" not in run.stdout


def _type_checking_imports(path: Path, package: str) -> list[tuple[str, str]]:
    """Imports made only under ``if TYPE_CHECKING:`` (grimp leaves them out by default)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    module = module.removesuffix(".__init__")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module and \
                        inner.module.startswith(package):
                    found.append((module, inner.module))
    return found


@pytest.mark.parametrize("package", ["zz_core", "ui"])
def test_no_import_cycle_between_modules(package: str) -> None:
    graph = grimp.build_graph(package, "zz_core" if package == "ui" else package,
                              include_external_packages=False)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    for path in (ROOT / package).rglob("*.py"):
        for source, target in _type_checking_imports(path, package):
            edges.add_edge(source, target)
    # a package's __init__ re-exporting its own modules is not a cycle between modules
    for source, target in list(edges.edges):
        if target.startswith(source + ".") or source.startswith(target + "."):
            edges.remove_edge(source, target)
    cycles = list(nx.simple_cycles(edges, length_bound=12))
    assert cycles == [], cycles[:5]


def test_no_engine_module_is_too_long_to_read_in_one_sitting() -> None:
    long_ones = {str(p.relative_to(ROOT)): n for p in (ROOT / "zz_core").rglob("*.py")
                 if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long_ones == {}


def test_pages_and_app_use_services_never_the_store_or_sql() -> None:
    offenders = []
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if name.startswith(("zz_core.store", "sqlmodel", "sqlalchemy")):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_streamlit_is_imported_only_by_the_app_pages_and_ui() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {"tests", "docs", "bench", ".git"} or \
                relative.parts[0] in {"app.py", "pages", "ui"}:
            continue
        text = path.read_text(encoding="utf-8")
        if "import streamlit" in text or "from streamlit" in text:
            offenders.append(str(relative))
    assert offenders == []

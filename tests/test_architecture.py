"""The layer rule of docs/architecture.md, checked on the package's own imports (with ast).

Every ``hybridir`` import (top-level or inside a function, absolute or relative) must reach a
package of a lower layer, or stay inside its own package; a package missing from the table fails
too, so a new one has to be placed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hybridir

# Bottom first. A package may import packages of lower layers only (never one of its own layer).
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "errors",
        "core languages",
        "data",
        "sampling translate",
        "encoding",
        "models",
        "training mining",
        "evaluation",
        "reports",
        "drivers",
        "experiments",
        "cli",
    )
)
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}
ROOT = Path(hybridir.__file__).parent


def _package(module: str) -> str | None:
    """``hybridir.data.lareqa`` -> ``data``; None outside hybridir (or the package root itself)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "hybridir" and len(parts) > 1 else None


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in ``path``."""
    name = _module_name(path, root)
    package_of_file = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_of_file.split(".")[: len(package_of_file.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _violations(root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        source = _package(_module_name(path, root))
        if source is None:
            continue
        if source not in RANK:
            problems.append(f"{path.relative_to(root)}: package {source!r} has no layer in the table")
            continue
        for line, module in _imports(path, root):
            target = _package(module)
            if target is None or target == source or target == "__version__":
                continue
            if RANK.get(target, len(LAYERS)) >= RANK[source]:
                problems.append(f"{path.relative_to(root)}:{line}: {source} imports {module} (not below it)")
    return problems


def test_no_import_runs_up_the_layers() -> None:
    assert _violations() == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The rule can fail: a data module importing from models is reported."""
    fake_root = tmp_path / "hybridir"
    (fake_root / "data").mkdir(parents=True)
    (fake_root / "models").mkdir()
    (fake_root / "data" / "x.py").write_text(
        "def f():\n    from hybridir.models.registry import load_scorer\n", encoding="utf-8"
    )
    (fake_root / "models" / "y.py").write_text("from ..data import x\n", encoding="utf-8")
    assert _violations(fake_root) == [
        "data/x.py:2: data imports hybridir.models.registry.load_scorer (not below it)"
    ]


def test_every_package_is_placed() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
    assert (packages | modules) == set(RANK)

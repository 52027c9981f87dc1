"""The layer rule of docs/architecture.md, checked on the package's own imports (with ast).

Every ``hybridir`` import (top-level or inside a function, absolute or relative) must reach a
package of a lower layer, or stay inside its own package; a package missing from the table fails
too, so a new one has to be placed.
"""

from __future__ import annotations

import ast
import re
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


# Where an error may name a flag: the CLI, the settings module, and a config dataclass's own
# validation (a class named *Config or *Settings). experiments/ is reworked elsewhere.
FLAG_NAMING_ALLOWED = ("cli.py", "core/settings.py", "experiments/")
FLAG = re.compile(r"(?<![\w-])--[a-z]")


def _error_texts(call: ast.Call) -> list[str]:
    """The string literals of a ``UserError(...)`` call, an f-string as one text."""
    inside_fstrings = {
        id(part) for node in ast.walk(call) if isinstance(node, ast.JoinedStr) for part in node.values
    }
    texts = []
    for node in ast.walk(call):
        if isinstance(node, ast.JoinedStr):
            texts.append("".join(p.value if isinstance(p, ast.Constant) else "{}" for p in node.values))
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside_fstrings
        ):
            texts.append(node.value)
    return texts


def _flag_naming_errors(root: Path = ROOT) -> list[str]:
    """``path:line`` of each UserError below the CLI whose message names a flag (outside `code`)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(FLAG_NAMING_ALLOWED):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_config = {
            id(node)
            for cls in ast.walk(tree)
            if isinstance(cls, ast.ClassDef) and cls.name.endswith(("Config", "Settings"))
            for node in ast.walk(cls)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "UserError"
                and id(node) not in in_config
                and any(FLAG.search(re.sub(r"`[^`]*`", "", text)) for text in _error_texts(node))
            ):
                found.append(f"{relative}:{node.lineno}")
    return found


def test_errors_below_the_cli_name_settings_not_flags() -> None:
    """docs/architecture.md: lower layers name the setting (``settings=``); the CLI adds its flag."""
    assert _flag_naming_errors() == []


def test_the_flag_checker_sees_a_flag_in_an_error(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.py").write_text(
        'def f(n):\n    raise UserError(f"{n} is bad: pass --data-dir")\n'
        'def g():\n    raise UserError("run `hybridir data download x --to DIR`", settings=("to",))\n'
        "class ReadConfig:\n    def validate(self):\n        raise UserError('--batch-size must be 1')\n",
        encoding="utf-8",
    )
    assert _flag_naming_errors(tmp_path) == ["data/x.py:2"]

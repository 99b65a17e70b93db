"""Architecture rules that keep the tree readable."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_estimation_never_imports_flask_or_registry():
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & {"flask", "registry"})
        for path in (ROOT / "estimation").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}

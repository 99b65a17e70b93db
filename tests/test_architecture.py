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


#: Packages of the web layer: HTML blueprints, the JSON API and sign-in.
WEB_PACKAGES = {"web", "studies_web", "ministry_web", "api", "auth"}


def registry_modules() -> dict[str, Path]:
    """``{"registry.services.studies": path, ...}`` of every module of the registry."""
    modules = {}
    for path in (ROOT / "registry").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def registry_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The registry modules ``name`` imports, at module level or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module] if node.module else base)
            module = module if node.level else node.module or ""
            for alias in node.names:
                child = f"{module}.{alias.name}"
                found.update({child} if child in modules else {module} & modules.keys())
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = registry_modules()
    return {name: registry_imports(name, path, modules) for name, path in modules.items()}


def test_no_services_module_imports_a_web_module():
    offenders = {
        name: sorted(d for d in deps if d.split(".")[1:2] and d.split(".")[1] in WEB_PACKAGES)
        for name, deps in import_graph().items()
        if name.startswith("registry.services")
    }
    assert {name: deps for name, deps in offenders.items() if deps} == {}


def test_no_import_circle_runs_through_the_services():
    """The services (and the estimation methods) import one way: no module of
    ``registry.services`` can reach itself again through what it imports, even through an
    import inside a function (issue 14: a seven-file circle through services/studies.py
    and the estimator adapters)."""
    graph = import_graph()
    circles = []
    for start in (name for name in graph if name.startswith("registry.services")):
        seen, stack = set(), [[start]]
        while stack:
            path = stack.pop()
            for nxt in graph[path[-1]]:
                if nxt == start:
                    circles.append(path)
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append([*path, nxt])
    assert circles == []

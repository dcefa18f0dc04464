"""The walls (README, Layout): only backends/ imports numpy or cupy; the engine never imports the layers."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
IMPORT = re.compile(r"^\s*(import|from)\s+(numpy|cupy)\b", re.MULTILINE)


def test_only_backends_import_array_libraries():
    offenders = []
    for folder in ("multinn",):
        for path in (ROOT / folder).rglob("*.py"):
            if IMPORT.search(path.read_text()):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], f"numpy/cupy imported outside backends/: {offenders}"


def test_k_never_asks_which_backend_it_holds():
    pattern = re.compile(r"""\.name\s*==\s*["'](numpy|cupy)["']|backend\(\)\s*==""")
    offenders = [
        str(p.relative_to(ROOT)) for p in (ROOT / "multinn").rglob("*.py") if pattern.search(p.read_text())
    ]
    assert offenders == [], f"code above backends/ branches on the backend's name: {offenders}"


def imported_modules(source: str, module: str, is_package: bool = False) -> list:
    """Every module an `import`/`from ... import` statement in `source` names (at module level
    or inside functions and classes), relative imports resolved against `module`, plus the
    constant names given to importlib.import_module / __import__."""
    import ast

    tree = ast.parse(source)
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - (node.level - 1)]
                base = ".".join(parent + ([node.module] if node.module else []))
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]  # `from multinn import layers`
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append(node.args[0].value)
    return found


def _imports_layers(names: list) -> list:
    return [n for n in names if n == "multinn.layers" or n.startswith("multinn.layers.")]


def test_engine_never_imports_layers():
    """The engine sits below the layer catalogue: layers import the engine, never the reverse
    (the engine finds layer classes by name through engine/layer_registry.py)."""
    offenders = []
    for path in sorted((ROOT / "multinn" / "engine").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        bad = _imports_layers(imported_modules(path.read_text(), module, is_package))
        offenders += [f"{path.relative_to(ROOT)}: {name}" for name in bad]
    assert offenders == [], f"multinn/engine imports multinn.layers: {offenders}"


def test_engine_wall_scan_sees_every_import_form():
    module = "multinn.engine.network"
    forms = [
        "import multinn.layers",
        "import multinn.layers.core as core",
        "from multinn.layers import Dense",
        "from multinn import layers",
        "from .. import layers",
        "from ..layers.legacy import legacy_support",
        "def f():\n    from multinn.layers import deserialize\n",
        "class C:\n    def m(self):\n        import multinn.layers\n",
        "import importlib\nimportlib.import_module('multinn.layers')",
    ]
    for source in forms:
        assert _imports_layers(imported_modules(source, module)), source
    harmless = ["from multinn import backend as K", "from .legacy import legacy_support", "import multinn.layers_x",
                "'''\n>>> from multinn.layers import Dense\n'''"]  # a docstring example is not an import
    for source in harmless:
        assert not _imports_layers(imported_modules(source, module)), source
    # in a package's __init__, `.` is the package itself
    assert _imports_layers(imported_modules("from .. import layers", "multinn.engine", is_package=True))
    assert not _imports_layers(imported_modules("from . import layers", "multinn.engine", is_package=True))

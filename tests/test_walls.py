"""The walls (README, Layout): only backends/ imports numpy or cupy."""
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

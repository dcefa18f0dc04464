"""Every Python multinn claims (requires-python >= 3.10): the 3.10 fallback of add_note, and a scan
that keeps APIs newer than 3.10 out of the package (CI also runs the whole suite on 3.10)."""
from __future__ import annotations

import ast
import pathlib
import sys
import types

import pytest

import multinn
from multinn import compat

ROOT = pathlib.Path(multinn.__file__).parent.parent


def _noted(error):
    compat.add_note(error, "(while probing)")
    compat.add_note(error, "(and again)")
    return error


def test_add_note_on_python_3_10_puts_the_note_in_the_message_once(monkeypatch):
    monkeypatch.setattr(compat, "sys", types.SimpleNamespace(version_info=(3, 10, 13)))
    error = _noted(ValueError("shapes differ"))
    assert str(error) == "shapes differ\n(while probing)\n(and again)"
    assert not hasattr(error, "__notes__")  # else tracebacks that print notes would show them twice


def test_add_note_on_python_3_10_keeps_other_errors_messages_and_uses_notes(monkeypatch):
    monkeypatch.setattr(compat, "sys", types.SimpleNamespace(version_info=(3, 10, 13)))
    error = _noted(KeyError("name"))
    assert error.args == ("name",) and error.__notes__ == ["(while probing)", "(and again)"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="BaseException.add_note is Python 3.11+")
def test_add_note_on_python_3_11_and_later_is_the_builtin_one():
    error = _noted(ValueError("shapes differ"))
    assert str(error) == "shapes differ" and error.__notes__ == ["(while probing)", "(and again)"]


# Names added after Python 3.10 (module, attribute), and modules new after it.
_NEWER_ATTRIBUTES = {
    ("typing", "Self"), ("typing", "LiteralString"), ("typing", "Never"), ("typing", "assert_never"),
    ("typing", "reveal_type"), ("typing", "Required"), ("typing", "NotRequired"), ("typing", "TypeVarTuple"),
    ("typing", "Unpack"), ("typing", "override"), ("datetime", "UTC"), ("enum", "StrEnum"), ("enum", "verify"),
    ("asyncio", "TaskGroup"), ("asyncio", "timeout"), ("asyncio", "Runner"), ("itertools", "batched"),
    ("hashlib", "file_digest"), ("contextlib", "chdir"), ("math", "exp2"), ("math", "cbrt"), ("math", "sumprod"),
    ("sys", "exception"), ("operator", "call"),
}
_NEWER_MODULES = {"tomllib", "wsgiref.types"}
_NEWER_BUILTINS = {"ExceptionGroup", "BaseExceptionGroup"}


def _findings(path: pathlib.Path) -> list:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where} import {a.name}" for a in node.names if a.name in _NEWER_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [f"{where} from {node.module} import {a.name}" for a in node.names
                      if (node.module, a.name) in _NEWER_ATTRIBUTES or node.module in _NEWER_MODULES]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in _NEWER_ATTRIBUTES:
                found.append(f"{where} {node.value.id}.{node.attr}")
            if node.attr == "add_note" and path.name != "compat.py":
                found.append(f"{where} .add_note (use multinn.compat.add_note)")
        elif isinstance(node, ast.Name) and node.id in _NEWER_BUILTINS:
            found.append(f"{where} {node.id}")
        elif type(node).__name__ == "TryStar":
            found.append(f"{where} except*")
    return found


def test_the_package_uses_no_api_newer_than_python_3_10():
    files = [p for folder in ("multinn", "backends") for p in (ROOT / folder).rglob("*.py")]
    assert files
    found = [f for p in files for f in _findings(p)]
    assert not found, "APIs newer than Python 3.10 (requires-python >= 3.10):\n" + "\n".join(found)

"""SECURITY.md names a test for every guarantee: each named test must exist, and each guarantee must
name at least one test (so the document cannot drift from the suite)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from helpers import REPO

SECURITY = REPO / "SECURITY.md"
REFERENCE = re.compile(r"`(tests/test_[a-z0-9_]+\.py)::(test_[A-Za-z0-9_]+)`")


def _guarantees() -> dict[str, str]:
    """Guarantee heading ('### N. ...') -> its text, from the '## Guarantees' section."""
    text = SECURITY.read_text(encoding="utf-8")
    section = text.split("\n## Guarantees\n", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^### (.+)$", section, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in tree.body:  # test methods of Test* classes
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names |= {item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return {name for name in names if name.startswith("test_")}


def test_every_test_named_in_security_md_exists() -> None:
    references = REFERENCE.findall(SECURITY.read_text(encoding="utf-8"))
    assert len(references) >= 20
    missing = [f"{file}::{name}" for file, name in references
               if not (REPO / file).is_file() or name not in _test_functions(REPO / file)]
    assert not missing, f"SECURITY.md names tests that do not exist: {missing}"


def test_every_guarantee_names_a_test() -> None:
    guarantees = _guarantees()
    assert len(guarantees) >= 10
    bare = [title for title, body in guarantees.items() if not REFERENCE.search(body)]
    assert not bare, f"guarantees in SECURITY.md without a test: {bare}"

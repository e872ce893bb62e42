"""Imports flow one way (pyproject.toml [tool.importlinter]): a module that imports a layer above
its own fails here, with the offending line named."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_imports_flow_one_way():
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


def test_test_modules_share_helpers_through_their_homes_not_through_each_other():
    """Shared test code lives in tests/helpers.py, workflow.py, scenes.py, scans.py, exports.py,
    live.py or a conftest fixture: importing it from another test module runs (and couples to)
    that module's tests."""
    offending = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.split(".")[0] == "tests" and n.split(".")[-1].startswith("test_") for n in names):
                if path.stem not in {n.split(".")[-1] for n in names}:  # a module naming itself (a subprocess)
                    offending.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offending == []

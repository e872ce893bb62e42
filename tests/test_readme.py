"""The README's settings table lists exactly the MCS_* variables the code reads."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["core", "mcs", "models", "resolvers", "schema", "realtime", "files", "notifications", "migrations"]
NAME = re.compile(r"MCS_[A-Z0-9_]+")


def names_in_code() -> set[str]:
    """Every string constant that is exactly an MCS_* name: how settings.py and the odd
    os.environ/getenv elsewhere name what they read (prose in docstrings does not count)."""
    names = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.fullmatch(node.value):
                    names.add(node.value)
    return names


def names_in_readme() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Settings (environment variables)", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(MCS_[A-Z0-9_]+)` \|", section, re.M)


def test_the_settings_table_lists_every_variable_read():
    code, readme = names_in_code(), names_in_readme()
    assert "MCS_DATABASE_URL" in code and len(code) > 20  # the collection itself works
    assert sorted(code - set(readme)) == [], "read by the code, missing from the README's settings table"
    assert sorted(set(readme) - code) == [], "in the README's settings table, read nowhere"
    assert len(readme) == len(set(readme)), "a variable listed twice"

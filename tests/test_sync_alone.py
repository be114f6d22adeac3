"""`sync/` stands alone: it never imports `village` or Flask, and its own tests pass without them."""
import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("village", "flask", "flask_babel", "flask_wtf", "werkzeug")


def imported_modules(path):
    """Return every module name an `import` or `from ... import` in the file names (relative ones as '.')."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." if node.level else node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "sync").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT / "sync")))
def test_no_sync_module_imports_village_or_flask(path):
    bad = [name for name in imported_modules(path) if name.split(".")[0] in FORBIDDEN]
    assert bad == [], f"{path} imports {bad}"


def test_the_import_check_sees_a_nested_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from village.node import open_db\n    import flask\n")
    assert imported_modules(sample) == ["village.node", "flask"]


def test_no_private_migrations_api_is_used():
    for folder in ("sync", "village"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "._migrations" not in path.read_text(encoding="utf-8"), path


BLOCKED_RUN = textwrap.dedent("""
    import importlib.abc, sys

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {blocked!r}:
                raise ImportError(f"{{name}} is blocked: the sync engine must run without it")
            return None

    sys.meta_path.insert(0, Blocker())
    import pytest
    code = pytest.main(["tests/sync_engine", "--confcutdir", "tests/sync_engine", "-p", "no:cacheprovider", "-q"])
    assert not [m for m in sys.modules if m.split(".")[0] in {blocked!r}]
    sys.exit(code)
""")


def test_the_engines_own_tests_pass_with_village_and_flask_unimportable():
    script = BLOCKED_RUN.format(blocked=FORBIDDEN)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "error" not in done.stdout.lower()

"""The rules of the test suite, read from its source with ``ast``:

- helpers are imported as packages (``from tests.helpers.x import y``): no test edits
  ``sys.path``, and every folder of tests/ is a package;
- time is moved with an injectable clock, never slept away: ``time.sleep``, ``asyncio.sleep`` and
  Playwright's ``wait_for_timeout`` appear only in tests/helpers (the one bounded wait);
- tests go through public seams: no import of a private name or module of ``hitl_agent`` and no
  ``obj._name`` (nor ``setattr``/``getattr`` of ``"_name"``) outside an object's own methods;
- conftest.py files hold fixtures (and pytest hooks), nothing else.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.paths import TESTS

PRIVATE_ATTRIBUTES_ALLOWED = {
    "_replace": "namedtuple's public API (urllib's SplitResult._replace)",
    "_asdict": "namedtuple's public API",
    "_fields": "namedtuple's public API",
    "_DEFAULT_BACKOFF_CONFIG": "botocore has no public knob for its throttling backoff: a test "
    "shortens it instead of sleeping for seconds (tests/aws/test_retries_and_endpoints.py)",
}

PRIVATE_MODULES_ALLOWED = {
    ("tests/api/test_shared_helpers.py", "hitl_agent._lazy"): "the unit test of the lazy-export "
    "machinery every package __init__ uses: it builds throwaway modules with it (a missing "
    "extra's message can be shown no other way while no package declares an extra)",
}


@dataclass(frozen=True)
class Breach:
    rule: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.rule}: {self.what}"


def _sources() -> list[Path]:
    """Every Python file of tests/ but this one (whose strings are examples of breaches)."""
    here = Path(__file__).resolve()
    return sorted(p for p in TESTS.rglob("*.py")
                  if "__pycache__" not in p.parts and p.resolve() != here)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _sleep_names(tree: ast.AST) -> set[str]:
    """Local names bound to ``time.sleep`` / ``asyncio.sleep`` by ``from … import sleep``."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "asyncio")
        for alias in node.names
        if alias.name == "sleep"
    }


def _breaches(path: Path, root: Path = TESTS) -> list[Breach]:
    """What ``path`` (a file under ``root``, the tests folder) does against the rules."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(root.parent)
    in_helpers = root / "helpers" in path.parents
    sleeps = _sleep_names(tree)
    found: list[Breach] = []

    def breach(node: ast.AST, rule: str, what: str) -> None:
        found.append(Breach(rule, f"{rel}:{getattr(node, 'lineno', 0)}", what))

    for node in ast.walk(tree):
        # sys.path edits, in code and in the code of child processes written as strings
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
            "sys.path.insert" in node.value or "sys.path.append" in node.value
        ):
            breach(node, "sys.path edited in a child's code", node.value.strip()[:60])
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute) and (
                func.value.attr == "path"
                and isinstance(func.value.value, ast.Name)
                and func.value.value.id == "sys"
                and func.attr in ("insert", "append", "extend", "remove")
            ):
                breach(node, "sys.path edited", f"sys.path.{func.attr}(…)")
            if not in_helpers:
                slept = (
                    isinstance(func, ast.Attribute)
                    and func.attr == "sleep"
                    and isinstance(func.value, ast.Name)
                    and func.value.id in ("time", "asyncio")
                ) or (isinstance(func, ast.Name) and func.id in sleeps)
                if slept or (isinstance(func, ast.Attribute) and func.attr == "wait_for_timeout"):
                    breach(node, "sleeps outside tests/helpers (move a clock, or use "
                           "tests.helpers.wait)", ast.unparse(node)[:60])
            named = (
                isinstance(func, ast.Name)
                and func.id in ("getattr", "setattr", "delattr", "hasattr")
            ) or (isinstance(func, ast.Attribute) and func.attr in ("setattr", "delattr"))
            if named:
                for arg in node.args[:2]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and (
                        _is_private(arg.value) or "._" in arg.value.replace(".__", ".")
                    ):
                        breach(node, "private attribute by name", arg.value)
        if isinstance(node, ast.ImportFrom) and node.module and (
            node.module == "hitl_agent" or node.module.startswith("hitl_agent.")
        ):
            if any(_is_private(part) for part in node.module.split(".")) and (
                (rel.as_posix(), node.module) not in PRIVATE_MODULES_ALLOWED
            ):
                breach(node, "private module of hitl_agent imported", node.module)
            for alias in node.names:
                if _is_private(alias.name):
                    breach(node, "private name of hitl_agent imported",
                           f"{node.module}.{alias.name}")
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "hitl_agent" and any(_is_private(p) for p in parts):
                    breach(node, "private module of hitl_agent imported", alias.name)
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not own and node.attr not in PRIVATE_ATTRIBUTES_ALLOWED:
                breach(node, "private attribute read", f"….{node.attr}")
    if path.name == "conftest.py":
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef):
                breach(stmt, "conftest.py holds only fixtures (helpers: tests/helpers)",
                       f"class {stmt.name}")
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and not (
                stmt.name.startswith("pytest_")
                or any("fixture" in ast.unparse(d) for d in stmt.decorator_list)
            ):
                breach(stmt, "conftest.py holds only fixtures (helpers: tests/helpers)",
                       f"def {stmt.name}")
    return found


def test_the_test_suite_keeps_its_rules() -> None:
    breaches = [b for path in _sources() for b in _breaches(path)]
    assert not breaches, "\n".join(map(str, breaches))


def test_every_test_folder_is_a_package() -> None:
    folders = {p.parent for p in _sources()}
    missing = sorted(str(f.relative_to(TESTS.parent)) for f in folders
                     if not (f / "__init__.py").exists())
    assert not missing, f"add an __init__.py to {missing}"


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("import sys\nsys.path.insert(0, 'x')\n", "sys.path edited"),
        ("code = 'import sys; sys.path.insert(0, 1)'\n", "sys.path edited in a child's code"),
        ("import time\ntime.sleep(1.1)\n", "sleeps outside tests/helpers"),
        ("from asyncio import sleep as nap\nasync def f():\n    await nap(1)\n",
         "sleeps outside tests/helpers"),
        ("def f(page):\n    page.wait_for_timeout(200)\n", "sleeps outside tests/helpers"),
        ("from hitl_agent.service.portal import _safe_next\n", "private name of hitl_agent"),
        ("from hitl_agent._extras import require\n", "private module of hitl_agent"),
        ("import hitl_agent._extras\n", "private module of hitl_agent"),
        ("def f(index):\n    return index._client\n", "private attribute read"),
        ("def f(mp, cls):\n    mp.setattr(cls, '_spill', None)\n", "private attribute by name"),
        ("def f(mp):\n    mp.setattr('hitl_agent.x._y', None)\n", "private attribute by name"),
    ],
)
def test_the_rules_catch_what_they_name(tmp_path: Path, source: str, rule: str) -> None:
    path = tmp_path / "test_x.py"
    path.write_text(source)
    found = _breaches(path, root=tmp_path)
    assert any(b.rule.startswith(rule) for b in found), found


def test_helpers_may_wait(tmp_path: Path) -> None:
    (tmp_path / "helpers").mkdir()
    path = tmp_path / "helpers" / "wait.py"
    path.write_text("import time\ntime.sleep(0.05)\n")
    assert _breaches(path, root=tmp_path) == []


def test_conftest_holds_fixtures_and_hooks_only(tmp_path: Path) -> None:
    path = tmp_path / "conftest.py"
    path.write_text("import pytest\n\n@pytest.fixture\ndef ok():\n    return 1\n\n"
                    "def pytest_configure(config):\n    pass\n\ndef helper():\n    return 2\n")
    assert [b.what for b in _breaches(path, root=tmp_path)] == ["def helper"]

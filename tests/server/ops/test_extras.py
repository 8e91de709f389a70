"""Each role installs what it imports and no more: ``qms[server]`` has no Qt, a kiosk's
``qms[kiosk]`` no database stack, and what every role shares stays small.

Every module a role can reach from its entry point (imports inside functions included,
``TYPE_CHECKING`` blocks not) is read; each outside package it imports must come with the
base dependencies or the role's extra, counting what those packages require in turn (read
from the installed packages' metadata). A new ``import`` that a role's extra lacks fails here,
before a kiosk fails at a centre.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIRST_PARTY = frozenset({"server", "kiosk", "counter", "display", "hardware"})
# Where each role starts: its ``qms`` subcommand's module, and the processes it starts.
ROLE_ENTRIES = {
    "server": ["server.cli", "server.app.serve", "server.store.writer", "server.ops.commands",
               "server.ops.backup", "server.ops.schema", "server.ops.service"],
    "kiosk": ["kiosk.main"],
    "counter": ["counter.main"],
    "display": ["display.main"],
    "bridge": ["hardware.bridge.main"],
}
# The demo runs every role in one go (it needs qms[all]); the server role does not reach it.
NOT_PART_OF = {"server": ("server.demo", "server.demo_apps", "server.demo_history")}
# Imported only where an optional extra is installed, each behind its own guard.
OPTIONAL = {"usb": "usb", "psycopg": "postgres"}
# Imported by a dependency, not by us, but needed: Starlette's form parsing.
INDIRECT = {"server": ["python-multipart"]}


def pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project: dict[str, Any] = tomllib.load(file)["project"]
    return project


def requirement_name(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert found, requirement
    return canonical(found.group(0))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(role: str | None) -> list[str]:
    """The requirements of the base (``None``) or of one extra, as written."""
    project = pyproject()
    items: list[str] = (project["dependencies"] if role is None
                        else project["optional-dependencies"][role])
    return list(items)


@cache
def installed_closure(names: frozenset[str]) -> frozenset[str]:
    """``names`` and everything they require (unconditionally), from installed metadata."""
    seen: set[str] = set()
    waiting = list(names)
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if ";" in requirement and "extra ==" in requirement.split(";", 1)[1]:
                continue
            marker = requirement.split(";", 1)[1] if ";" in requirement else ""
            if "sys_platform == \"win32\"" in marker or "platform_system == \"Windows\"" in marker:
                continue
            waiting.append(requirement_name(requirement))
    return frozenset(seen)


def allowed(role: str) -> frozenset[str]:
    """Distributions a ``pip install qms[role]`` brings."""
    direct = [requirement_name(item) for item in declared(None) + declared(role)]
    return installed_closure(frozenset(direct))


def module_file(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def imported_names(path: Path, module: str, top_level_only: bool) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if top_level_only and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef
                                             | ast.ClassDef):
                continue
            if isinstance(child, ast.Import):
                found.extend(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = package[:len(package) - child.level + 1] if child.level else []
                source = ".".join([*base, *([child.module] if child.module else [])])
                found.append(source)
                found.extend(f"{source}.{alias.name}" for alias in child.names)
            visit(child)

    visit(tree)
    return found


def outside_imports(entries: list[str], excluded: tuple[str, ...] = (),
                    top_level_only: bool = False) -> set[str]:
    """Top-level names of the non-project modules reachable from ``entries``."""
    seen: set[str] = set()
    outside: set[str] = set()
    waiting = list(entries)
    while waiting:
        name = waiting.pop()
        if name in seen or any(name == item or name.startswith(item + ".")
                               for item in excluded):
            continue
        top = name.split(".")[0]
        if top not in FIRST_PARTY:
            if top not in sys.stdlib_module_names:
                outside.add(top)
            continue
        path = module_file(name)
        if path is None:
            continue  # an attribute imported from a module, not a module
        seen.add(name)
        parts = name.split(".")
        waiting += [".".join(parts[:index]) for index in range(1, len(parts))]
        waiting += imported_names(path, name, top_level_only)
    return outside


def distributions_of(import_names: set[str]) -> dict[str, set[str]]:
    """The installed distribution(s) that provide each import name."""
    providers = metadata.packages_distributions()
    return {name: {canonical(item) for item in providers.get(name, [])}
            for name in import_names}


@pytest.mark.parametrize("role", list(ROLE_ENTRIES))
def test_each_role_installs_what_it_imports(role: str) -> None:
    needed = outside_imports(ROLE_ENTRIES[role], NOT_PART_OF.get(role, ()))
    brought = allowed(role)
    missing = {}
    for name, providers in distributions_of(needed).items():
        if name in OPTIONAL:
            continue
        assert providers, f"{name}: imported by the {role} but provided by no installed package"
        if not providers & brought:
            missing[name] = providers
    assert not missing, f"qms[{role}] lacks: {missing}"
    for name in INDIRECT.get(role, []):
        assert canonical(name) in brought


def test_roles_do_not_bring_each_others_stacks() -> None:
    qt = {"pyside6", "pyside6-essentials", "pyside6-addons", "shiboken6"}
    database = {"sqlalchemy", "alembic", "uvicorn", "starlette", "psycopg"}
    assert not allowed("server") & qt
    for role in ("kiosk", "counter", "display", "bridge"):
        assert not allowed(role) & database, role
    assert not allowed("bridge") & qt


def test_the_qms_command_starts_on_any_role() -> None:
    """``qms kiosk`` imports server.cli first: at import time it may need only the base."""
    needed = outside_imports(["server.cli"], top_level_only=True)
    base = installed_closure(frozenset(requirement_name(item) for item in declared(None)))
    for name, providers in distributions_of(needed).items():
        assert providers & base, f"server.cli imports {name} at start: not in the base"


def test_all_is_every_role_and_the_dev_script_installs_it() -> None:
    every = declared("all")
    assert every == ["qms[server,kiosk,counter,display,bridge]"]
    script = (ROOT / "scripts" / "dev.py").read_text("utf-8")
    assert 'install("[all]")' in script and 'install("[all,test]")' in script


def test_a_server_command_on_an_apps_installation_says_what_to_install(tmp_path: Path) -> None:
    """``qms backup`` where only ``qms[kiosk]`` is installed: no SQLAlchemy (hidden here)."""
    import subprocess

    hide = ("import sys; sys.modules['sqlalchemy'] = None; from server.cli import main; "
            f"sys.exit(main(['backup', '--db', 'sqlite:///{tmp_path}/q.sqlite3', "
            f"'--out', '{tmp_path}/b.sqlite3']))")
    finished = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True,
                              cwd=ROOT, timeout=120)
    assert finished.returncode == 2
    assert "lacks the server's packages (sqlalchemy is missing): pip install 'qms[server]'" \
        in finished.stderr

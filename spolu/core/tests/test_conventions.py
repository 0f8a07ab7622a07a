"""Rules of CONVENTIONS.md that a machine can check, by scanning the source."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
SOURCES = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
ACCESS_DECORATORS = {"public_view", "login_view", "territory_view", "network_view"}


def test_no_fstrings_or_format_inside_gettext():
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"_", "gettext", "gettext_lazy", "pgettext", "ngettext"}
                and any(isinstance(arg, ast.JoinedStr) for arg in node.args)
            ):
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []


def test_no_bare_select_related():
    pattern = re.compile(r"\.select_related\(\s*\)")
    offenders = [str(p) for p in SOURCES if pattern.search(p.read_text())]
    assert offenders == []


def test_every_view_function_declares_its_access():
    offenders = []
    for path in PACKAGE.rglob("views.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            names = set()
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                names.add(getattr(target, "id", getattr(target, "attr", "")))
            if not names & ACCESS_DECORATORS:
                offenders.append(f"{path}:{node.name}")
    assert offenders == []

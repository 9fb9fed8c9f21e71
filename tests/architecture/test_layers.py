"""The layer rule (docs/architecture.md): ``frontdesk`` → (``voice``, ``ledger``) → (``domain``,
``recordings``); ``voice`` and ``ledger`` never import each other; ``domain`` imports nothing of
Frontdesk. Lazy imports inside functions count too: they are cycles all the same."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"domain", "recordings", "voice", "ledger", "frontdesk"}
ALLOWED = {
    "domain": set(),
    "recordings": {"domain"},
    "voice": {"domain", "recordings"},
    "ledger": {"domain", "recordings"},
    "frontdesk": OURS,
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in a file, at any depth."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in imports_of(path):
            top = module.split(".")[0]
            if top in OURS and top != package and top not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below_it(package):
    assert violations(package) == []


def test_intake_knows_nothing_of_sip_or_sql():
    """voice.intake takes plain dataclasses in and gives plain dataclasses out."""
    bad = [
        f"{p.relative_to(ROOT)}:{line} imports {m}"
        for p in sorted((ROOT / "voice" / "intake").rglob("*.py"))
        for line, m in imports_of(p)
        if m.split(".")[0] in ("sqlalchemy", "pjsua2") or m.startswith(("voice.sip", "voice.asr"))
    ]
    assert bad == []


def test_the_checker_sees_a_lazy_import(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from voice.intake.extract import extract\n")
    assert imports_of(f) == [(2, "voice.intake.extract")]


def test_console_pages_build_on_web_and_never_on_the_app():
    """app.py assembles the pages; a page importing app back would be a cycle."""
    console = ROOT / "frontdesk" / "console"
    bad = [
        f"{p.name}:{line} imports {m}"
        for p in sorted(console.glob("*.py"))
        if p.name != "app.py"
        for line, m in imports_of(p)
        if m == "frontdesk.console.app"
    ]
    assert bad == []

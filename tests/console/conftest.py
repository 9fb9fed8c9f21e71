"""The console under test: a real `frontdesk console` process on 127.0.0.1 and a real
headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser download)."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.console.seed import Seeded, seed

CHROMIUM = os.environ.get("FRONTDESK_CHROMIUM", "/usr/bin/chromium")
# Chromium as root, offline: no sandbox, and none of the background fetches this closed
# network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "correct-horse-9"
PEOPLE = {  # username: (role, display name)
    "agent1": ("agent", "张敏"),
    "super1": ("supervisor", "李主管"),
    "trainer1": ("trainer", "王培训"),
    "admin1": ("admin", "系统管理员"),
}


def ledger(data_dir: Path):
    """The session factory of a data directory's ledger, as the product opens it."""
    from frontdesk.config import load_config
    from ledger.db import open_database

    return open_database(load_config(data_dir).database_url)


def add_people(data_dir: Path) -> None:
    """The four roles, added through the same code `frontdesk users add` uses."""
    from frontdesk.console.accounts import add_user

    with ledger(data_dir)() as db:
        for username, (role, name) in PEOPLE.items():
            add_user(db, username, role, PASSWORD, name)
        db.commit()


@dataclass
class ConsoleServer:
    data_dir: Path
    port: int
    proc: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sql(self) -> sqlite3.Connection:
        """The ledger file itself, for asserting on rows with plain SQL."""
        return sqlite3.connect(self.data_dir / "frontdesk.db")


def start_console(data_dir: Path, tmp: Path, *extra: str) -> ConsoleServer:
    port = free_port(socket.SOCK_STREAM)
    log_path = tmp / f"console-{port}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir),
         "console", "--port", str(port), *extra],
        stdout=subprocess.DEVNULL, stderr=open(log_path, "w"),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("console did not start:\n" + log_path.read_text()) from None
            time.sleep(0.1)
    return ConsoleServer(data_dir, port, proc, log_path)


@pytest.fixture
def console_dir(tmp_path) -> Path:
    d = tmp_path / "var"
    d.mkdir()
    add_people(d)
    return d


def serving(data_dir: Path, tmp: Path) -> Iterator[ConsoleServer]:
    """A console for the length of a test, stopped (killed if it will not stop) after."""
    server = start_console(data_dir, tmp)
    yield server
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture
def console(console_dir, tmp_path) -> Iterator[ConsoleServer]:
    yield from serving(console_dir, tmp_path)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory, models_dir) -> tuple[Path, Seeded]:
    """Seeded once per test session (the worker transcribes 4 calls with Whisper base)."""
    d = tmp_path_factory.mktemp("seeded") / "var"
    d.mkdir()
    return d, seed(d, models_dir)


@pytest.fixture
def seeded(seeded_template, tmp_path) -> tuple[Path, Seeded]:
    """A private copy of the seeded data directory, with the four console users."""
    src, info = seeded_template
    d = tmp_path / "var"
    shutil.copytree(src, d, symlinks=True)
    add_people(d)
    return d, info


@pytest.fixture
def seeded_console(seeded, tmp_path) -> Iterator[ConsoleServer]:
    yield from serving(seeded[0], tmp_path)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: the README's test command installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
    pg = context.new_page()
    # A guard against a hung page, not a speed check: these tests share two cores with
    # another test process, and a login under that load has taken over 10 s here.
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def login(page, console: ConsoleServer, username: str, password: str = PASSWORD) -> None:
    page.goto(console.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(page, name: str) -> None:
    """Refresh docs/screenshots/<name>.png when FRONTDESK_SCREENSHOTS=1 (committed for
    the README); CI leaves the committed ones alone."""
    if os.environ.get("FRONTDESK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

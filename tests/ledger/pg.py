"""A private, throwaway PostgreSQL server for tests (and bench/reconcile.py).

``initdb`` into a temporary directory, ``postgres`` listening on a free port on 127.0.0.1
only, its unix socket inside that directory; stopped and deleted by ``stop()``. PostgreSQL
refuses to run as root, so when we are root (CI) the cluster belongs to the ``postgres``
OS user and the server runs through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "postgresql"  # the Debian package with the server binaries


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path | None:
    """The newest installed server's bin directory (Debian layout), or one on PATH."""
    env = os.environ.get("FRONTDESK_PG_BINDIR")
    if env:
        return Path(env)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    user: str | None  # the OS user running the server (None: ourselves)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def sockdir(self) -> Path:
        return self.root / "sock"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(args[:2])} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}"
            )
        return proc

    def start(self) -> None:
        if not (self.datadir / "PG_VERSION").exists():
            self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                      "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        # small and quick: a test server, never reachable from outside this machine
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100 -c shared_buffers=128MB"
        )
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l",
                  str(self.root / "server.log"), "-o", opts, "-w", "-t", "60", "start")  # fmt: skip

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def watch(self, pid: int) -> None:
        """Stop and delete the server when process ``pid`` dies without calling stop()
        (a test run killed by a timeout must not leave a server behind)."""
        pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"]
        if self.user:
            pg_ctl = ["runuser", "-u", self.user, "--", *pg_ctl]
        script = (
            f"while kill -0 {pid} 2>/dev/null; do sleep 1; done; "
            f"[ -e {shlex.quote(str(self.datadir / 'postmaster.pid'))} ] && "
            f"{shlex.join(pg_ctl)} >/dev/null 2>&1; rm -rf {shlex.quote(str(self.root))}"
        )
        subprocess.Popen(["sh", "-c", script], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)  # fmt: skip

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate",
                      "-w", "stop", check=False)  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PostgresServer:
    """Start a private server; PostgresUnavailable (naming the package) when it cannot."""
    bindir = find_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian "
            f"package '{PACKAGE}' (apt-get install -y {PACKAGE}; `make test` does this), "
            "or set FRONTDESK_SKIP_PG=1 to skip the PostgreSQL tests"
        )
    root = Path(tempfile.mkdtemp(prefix="frontdesk-pg-"))
    user = None
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to the postgres user
        user = "postgres"
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            raise PostgresUnavailable(
                f"running as root and there is no '{user}' OS user to run PostgreSQL "
                f"(the Debian package '{PACKAGE}' creates it)"
            ) from None
        os.chown(root, pw.pw_uid, pw.pw_gid)
        os.chmod(root, 0o700)
    server = PostgresServer(bindir, root, _free_port(), user)
    (root / "sock").mkdir()
    if user:
        os.chown(root / "sock", pw.pw_uid, pw.pw_gid)
    for attempt in range(3):  # the free port may be taken between probe and bind
        try:
            server.start()
            server.watch(os.getpid())
            return server
        except PostgresUnavailable:
            log = root / "server.log"
            if attempt == 2 or "could not bind" not in (log.read_text() if log.exists() else ""):
                server.stop()
                raise
            server.port = _free_port()
            time.sleep(0.2)
    raise AssertionError("unreachable")

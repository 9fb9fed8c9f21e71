"""A company of two desks, end to end: two real `frontdesk phone` processes (two SIP ports,
two sites, two data directories) store into one private PostgreSQL server and one shared
recordings root; SIPp calls each; nobody registers the calls. The central machine (a third
data directory: no phone, the same database and root) reconciles and flags each site's
unlogged call under that site, and its real `frontdesk console` shows each site's
supervisor that site's call and finding only, the company supervisor both. The console is
driven over HTTP (httpx, logging in through its form as a browser does) rather than with
Chromium: what is asserted is what the server sends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import httpx
import pytest

from recordings.archive import sha256_file
from tests.conftest import SPEECH, frontdesk, frontdesk_json
from tests.console.conftest import start_console
from tests.e2e.peers import FAST, PhoneProcess, sipp_call
from tests.ledger.conftest import pg_server  # noqa: F401 (the private PostgreSQL server)

pytestmark = [pytest.mark.e2e, pytest.mark.needs("sipp")]

SOURCE = SPEECH / "burst_pipe_8k_ulaw.wav"
SITES = {"sunny": "阳光花园", "lake": "翠湖苑"}
PASSWORD = "two-desks-pass-1"


def _data_dir(tmp_path, name: str, url: str, root, site: str | None = None):
    d = tmp_path / name
    d.mkdir()
    phone = f'[phone]\nsite = "{SITES[site]}"\nsite_code = "{site}"\n\n' if site else ""
    (d / "frontdesk.toml").write_text(
        f'{phone}[ledger]\ndatabase_url = "{url}"\n\n[recordings]\nroot = "{root}"\n\n'
        '[console]\ntimezone = "Asia/Shanghai"\n',
        encoding="utf-8",
    )
    return d


def _login(client: httpx.Client, username: str) -> None:
    """The log-in form, as a browser posts it (the Secure cookie kept by hand: plain HTTP)."""
    token = client.get("/login").cookies["fd_login"]
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token},
                    headers={"Cookie": f"fd_login={token}"})  # fmt: skip
    assert r.status_code == 303, r.text[:500]
    client.headers["Cookie"] = f"fd_session={r.cookies['fd_session']}"


def _add_user(central, username: str, *site_args: str) -> None:
    proc = frontdesk_stdin(central, PASSWORD, "users", "add", username, "--role", "supervisor",
                           "--password-stdin", *site_args)  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def frontdesk_stdin(data_dir, stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), *args],
        input=stdin + "\n", capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def test_two_desks_one_company_ledger_audited_per_site(pg_server, tmp_path):  # noqa: F811
    url = pg_server.create_database(f"two_desks_{os.getpid()}")
    nas = tmp_path / "nas"
    nas.mkdir()
    desks = {code: _data_dir(tmp_path, f"desk-{code}", url, nas, code) for code in SITES}
    central = _data_dir(tmp_path, "central", url, nas)

    # two phones at once, each called by its own SIPp caller
    with (
        PhoneProcess(desks["sunny"], "--answer-after-rings", "1", *FAST) as sunny,
        PhoneProcess(desks["lake"], "--answer-after-rings", "1", *FAST) as lake,
    ):
        results = {}

        def call(code, phone):
            results[code] = sipp_call(phone.port, "uac_rtp_stream.xml", tmp_path / code,
                                      wav=SOURCE, talk_ms=2500)  # fmt: skip

        for code in SITES:
            (tmp_path / code).mkdir()
        threads = [threading.Thread(target=call, args=(c, p))
                   for c, p in (("sunny", sunny), ("lake", lake))]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        for code, r in results.items():
            assert r.returncode == 0, f"{code}: {r.stdout[-2000:]}"
        sunny.wait_for("stored as #")
        lake.wait_for("stored as #")
        assert sunny.port != lake.port

    # one ledger: each call under its desk's site, its recording on the shared root
    calls = {c["site"]: c for c in frontdesk_json(central, "calls", "list")}
    assert sorted(calls) == sorted(SITES)
    for c in calls.values():
        rec = c["recording"]
        assert not os.path.isabs(rec["path"])
        assert sha256_file(nas / rec["path"]) == rec["sha256"]
    for d in desks.values():  # nothing left behind on the desks
        assert not list((d / "spool" / ".partial").iterdir())
        assert not (d / "recordings").exists()

    # the central reconciler: each site's unlogged call, filed under that site
    r = frontdesk(central, "reconcile", "--grace", "0", "--format", "json", check=False)
    assert r.returncode == 1, r.stderr
    unlogged = [f for f in json.loads(r.stdout) if f["kind"] == "UNLOGGED_CALL"]
    by_site = {f["site"]: f for f in unlogged}
    assert len(unlogged) == 2 and sorted(by_site) == sorted(SITES)
    for code, f in by_site.items():
        assert f["call_id"] == calls[code]["id"] and f["status"] == "open"

    # the central console: a site's supervisor sees that site only; the company's, both
    _add_user(central, "li-sunny", "--site", "sunny")
    _add_user(central, "wu-lake", "--site", "lake")
    _add_user(central, "boss", "--all-sites")
    server = start_console(central, tmp_path)
    try:
        for user, mine in (("li-sunny", ["sunny"]), ("wu-lake", ["lake"]),
                           ("boss", ["sunny", "lake"])):  # fmt: skip
            with httpx.Client(base_url=server.url) as c:
                _login(c, user)
                audit = c.get("/audit")
                assert audit.status_code == 200
                for code in SITES:
                    f, call = by_site[code], calls[code]
                    visible = code in mine
                    assert (f'href="/audit/{f["id"]}"' in audit.text) == visible, (user, code)
                    status = {c.get(f"/audit/{f['id']}").status_code,
                              c.get(f"/calls/{call['id']}").status_code,
                              c.get(f"/recordings/{call['id']}.wav",
                                    headers={"Range": "bytes=0-99"}).status_code}  # fmt: skip
                    if visible:
                        assert status <= {200, 206}, (user, code, status)
                    else:
                        assert status.isdisjoint({200, 206}), (user, code, status)
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=20)

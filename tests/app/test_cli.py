"""The command line as people meet it: help everywhere, readable errors for bad settings."""

from __future__ import annotations

import pytest

from frontdesk.cli import COMMANDS
from tests.conftest import frontdesk


def test_help_lists_every_command_with_a_purpose(tmp_path):
    out = frontdesk(tmp_path, "--help").stdout
    for name in COMMANDS:
        assert f"    {name} " in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(tmp_path, command):
    r = frontdesk(tmp_path, command, "--help")
    assert "usage: frontdesk" in r.stdout and len(r.stdout) > 200


@pytest.mark.parametrize(
    "toml, message",
    [
        ("[phone]\nsip_prot = 5070\n", "unknown key 'sip_prot'"),
        ("[phone]\nsip_port = 'five'\n", "sip_port must be int"),
        ("[fone]\n", "unknown section [fone]"),
        ("[phone\n", "frontdesk.toml"),
    ],
)
def test_bad_config_is_a_one_line_error_naming_the_key(tmp_path, toml, message):
    (tmp_path / "frontdesk.toml").write_text(toml, encoding="utf-8")
    r = frontdesk(tmp_path, "calls", "list", check=False)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "toml, message",
    [
        ("[phone]\necho_canceller_ms = -5\n", "echo_canceller_ms must be 0-1000, got -5"),
        (
            '[phone]\nregistrar = "sip:127.0.0.1:5999"\nusername = "8001"\n'
            "register_retry_s = 600\nregister_retry_max_s = 300\n",
            "need 1 <= register_retry_s <= register_retry_max_s, got 600 and 300",
        ),
    ],
)
def test_phone_refuses_impossible_settings_before_touching_anything(tmp_path, toml, message):
    (tmp_path / "frontdesk.toml").write_text(toml, encoding="utf-8")
    r = frontdesk(tmp_path, "phone", "--sip-port", "0", check=False, timeout=30)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "recordings").exists()  # refused before any call could be taken


def test_transcribe_reports_a_bad_file_and_goes_on(tmp_path, data_dir):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio")
    r = frontdesk(data_dir, "transcribe", str(bad), "--format", "json", check=False)
    assert r.returncode == 1
    assert "bad.wav" in r.stderr and "not a readable audio file" in r.stderr

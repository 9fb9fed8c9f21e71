"""The example configuration: it loads, it names every phone setting, and the README shows
exactly it."""

from dataclasses import fields
from pathlib import Path

from frontdesk.config import PhoneConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "frontdesk.example.toml"


def test_the_example_loads_with_every_key_known(tmp_path):
    cfg = load_config(tmp_path, EXAMPLE)  # an unknown key or a wrong type would raise
    assert cfg.phone.headset == "Jabra" and cfg.phone.ring_device == "USB Speaker"
    assert cfg.phone.register_retry_s < cfg.phone.register_retry_max_s


def test_the_example_documents_every_phone_setting():
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [f.name for f in fields(PhoneConfig) if f"\n{f.name} =" not in text]
    assert missing == []


def test_the_readme_shows_the_example_as_it_is():
    example = EXAMPLE.read_text(encoding="utf-8").split("\n", 2)[2]  # minus its 2 header lines
    assert example in (ROOT / "README.md").read_text(encoding="utf-8")

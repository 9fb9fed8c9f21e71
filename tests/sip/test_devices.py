"""Sound devices. `frontdesk devices` on this machine (no sound hardware, like CI): clean JSON,
a clear line. Choosing devices by name: see the note above the plan_devices tests."""

import json

import pytest

from tests.conftest import frontdesk
from voice.sip.endpoint import DeviceChoice, DeviceInfo, plan_devices


def test_devices_json_is_clean_and_table_explains_the_null_device(tmp_path):
    r = frontdesk(tmp_path, "devices", "--format", "json")
    rows = json.loads(r.stdout)  # nothing but JSON on stdout, pjlib's banner included
    assert isinstance(rows, list)
    if not rows:
        table = frontdesk(tmp_path, "devices").stdout
        assert "null device" in table
    else:
        assert {"name", "capture", "playback"} <= set(rows[0])


# Device choice by name. This machine has no sound card, so these tests build device lists
# by hand (DeviceInfo rows as pjsua2 would report them) and check only the choice; opening
# the chosen devices is pjsua2's part and is not exercised here. The e2e TCP test checks the
# one log line a missing configured device gives on this machine.

CARDS = [
    DeviceInfo(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)", True, True),
    DeviceInfo(1, "Jabra EVOLVE 20 MS: USB Audio (hw:1,0)", True, True),
    DeviceInfo(2, "USB Speaker: USB Audio (hw:2,0)", False, True),
]


def test_no_devices_is_the_null_device_with_one_message_naming_what_was_configured():
    plan = plan_devices([], DeviceChoice(headset="Jabra", ring_device="USB Speaker"))
    assert (plan.capture, plan.playback, plan.ring) == (None, None, None)
    assert "null device" in plan.message and "'Jabra'" in plan.message
    assert "'USB Speaker'" in plan.message


def test_defaults_without_names():
    plan = plan_devices(CARDS, DeviceChoice())
    assert (plan.capture, plan.playback, plan.ring, plan.message) == (-1, -2, None, None)


def test_headset_and_ring_device_by_unique_substring_case_insensitive():
    plan = plan_devices(CARDS, DeviceChoice(headset="jabra", ring_device="usb speaker"))
    assert (plan.capture, plan.playback, plan.ring, plan.message) == (1, 1, 2, None)


def test_exact_name_wins_over_substring():
    cards = [*CARDS, DeviceInfo(3, "USB Audio", True, True)]
    assert plan_devices(cards, DeviceChoice(headset="usb audio")).capture == 3


@pytest.mark.parametrize("name", ["Plantronics", "USB"])  # absent, and ambiguous
def test_missing_or_ambiguous_headset_falls_back_to_the_null_device(name):
    plan = plan_devices(CARDS, DeviceChoice(headset=name))
    assert plan.capture is None and plan.playback is None
    assert f"{name!r} not found" in plan.message and "null device" in plan.message
    assert "Jabra EVOLVE" in plan.message  # the message lists what exists


def test_handset_is_used_when_the_headset_is_absent():
    plan = plan_devices(CARDS, DeviceChoice(headset="Plantronics", handset="ALC3246"))
    assert (plan.capture, plan.playback, plan.message) == (0, 0, None)


def test_missing_ring_device_rings_on_the_agent_device():
    plan = plan_devices(CARDS, DeviceChoice(headset="Jabra", ring_device="Bell"))
    assert (plan.capture, plan.playback, plan.ring) == (1, 1, None)
    assert "ring device 'Bell' not found" in plan.message


def test_ring_device_that_is_the_headset_needs_no_second_port():
    assert plan_devices(CARDS, DeviceChoice(headset="Jabra", ring_device="Jabra")).ring is None


def test_devices_command_says_whether_the_configured_devices_exist(tmp_path):
    (tmp_path / "frontdesk.toml").write_text('[phone]\nheadset = "Jabra"\n', encoding="utf-8")
    r = frontdesk(tmp_path, "devices", "--format", "json")
    rows = json.loads(r.stdout)  # stdout stays one JSON document
    assert "configured devices:" in r.stderr
    if not any("Jabra" in row["name"] for row in rows):
        assert "'Jabra'" in r.stderr and "null device" in r.stderr

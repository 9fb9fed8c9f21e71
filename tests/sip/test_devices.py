"""Sound devices. `frontdesk devices` on this machine (no sound hardware, like CI): clean JSON,
a clear line. Choosing devices by name: see the note above the plan_devices tests."""

import json

import pytest

from tests.conftest import frontdesk
from voice.sip.devices import DeviceChoice, DeviceInfo, card_names, plan_devices


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


# What pjmedia's ALSA backend really reports: ALSA PCM names, several per card, and plugins
# with no server behind them listed with no channels (seen on this machine once
# libasound2-plugins was installed: jack, pulse, oss... all 0 in / 0 out).
PROC_ASOUND_CARDS = """\
 0 [PCH            ]: HDA-Intel - HDA Intel PCH
                      HDA Intel PCH at 0xf7f10000 irq 131
 1 [II             ]: USB-Audio - Jabra EVOLVE 20 MS
                      GN Netcom A/S Jabra EVOLVE 20 MS at usb-0000:00:14.0-1, full speed
"""


def _alsa(names: list[str]) -> list[DeviceInfo]:
    cards = card_names(PROC_ASOUND_CARDS)
    out = []
    for i, n in enumerate(names):
        card = n.split("CARD=")[1].split(",")[0] if "CARD=" in n else ""
        out.append(DeviceInfo(i, n, True, True, cards.get(card, "")))
    return out


ALSA = _alsa([
    "hw:CARD=PCH,DEV=0", "plughw:CARD=PCH,DEV=0", "default:CARD=PCH", "sysdefault:CARD=PCH",
    "hw:CARD=II,DEV=0", "plughw:CARD=II,DEV=0", "sysdefault:CARD=II", "default:CARD=II",
    "front:CARD=II,DEV=0",
])  # fmt: skip


def test_proc_asound_cards_gives_each_card_id_its_long_name():
    assert card_names(PROC_ASOUND_CARDS) == {"PCH": "HDA Intel PCH", "II": "Jabra EVOLVE 20 MS"}
    assert card_names("") == {}


def test_a_card_named_as_people_know_it_opens_its_shareable_converting_pcm():
    plan = plan_devices(ALSA, DeviceChoice(headset="jabra evolve", ring_device="HDA Intel"))
    assert ALSA[plan.capture].name == "default:CARD=II" == ALSA[plan.playback].name
    assert ALSA[plan.ring].name == "default:CARD=PCH" and plan.message is None


def test_one_card_under_many_pcm_names_is_not_ambiguous_but_two_cards_are():
    assert ALSA[plan_devices(ALSA, DeviceChoice(headset="II")).capture].name == "default:CARD=II"
    plan = plan_devices(ALSA, DeviceChoice(headset="CARD="))  # matches both cards
    assert plan.capture is None and "not found" in plan.message


def test_plugins_without_channels_are_no_devices_and_mean_the_null_device():
    dead = [DeviceInfo(i, n, False, False) for i, n in enumerate(["jack", "pulse", "oss"])]
    plan = plan_devices(dead, DeviceChoice())
    assert (plan.capture, plan.playback) == (None, None) and "null device" in plan.message

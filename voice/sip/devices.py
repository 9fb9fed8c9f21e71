"""Sound devices: which ones exist, and which to use for the headset, handset and ring.

pjmedia (ALSA) names a device by its ALSA PCM name: ``default:CARD=Headset``,
``plughw:CARD=Headset,DEV=0``, ``pulse``... A person knows it as "Jabra EVOLVE 20", the card's
long name in /proc/asound/cards, so a configured name matches either. One card shows up
under several PCM names; among those the one that converts rates and shares the card
(``default:``, then ``sysdefault:``, then ``plughw:``) is taken. ALSA plugins without a
server behind them (jack, pulse with no daemon) are listed by pjmedia with no channels:
they are not devices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pjsua2 as pj


@dataclass(frozen=True)
class DeviceChoice:
    """Sound devices wanted by name (config); None = the system default."""

    headset: str | None = None  # the agent's capture + playback
    handset: str | None = None  # used when no headset is configured or found
    ring_device: str | None = None  # playback for the ring tone; default: the agent's


@dataclass(frozen=True)
class DeviceInfo:
    id: int
    name: str
    capture: bool
    playback: bool
    description: str = ""  # the sound card's long name, when the ALSA name says which card


@dataclass(frozen=True)
class DevicePlan:
    capture: int | None  # device id; None = the null device
    playback: int | None
    ring: int | None  # a separate ring device; None = ring on the agent's playback
    message: str | None  # one log line explaining a fallback, if any


# The PCM names of one card, best first: rate conversion and sharing (dmix/dsnoop) first,
# because pjmedia opens 8 or 16 kHz and a ring tone may share the card with the headset.
_PREFERRED = ("default", "sysdefault", "plughw", "plug", "hw", "front")
_CARD = re.compile(r"CARD=([^,]+)")
_CARDS_LINE = re.compile(r"^\s*\d+\s+\[(?P<id>[^\]]+?)\s*\]:\s*(?P<driver>.*?)\s+-\s+(?P<name>.+)$")


def card_names(cards: str | None = None) -> dict[str, str]:
    """ALSA card id -> long name, from /proc/asound/cards (or ``cards``, its text)."""
    if cards is None:
        try:
            cards = Path("/proc/asound/cards").read_text(errors="replace")
        except OSError:
            return {}
    names = {}
    for line in cards.splitlines():
        m = _CARDS_LINE.match(line)
        if m:
            names[m["id"]] = m["name"].strip()
    return names


def list_devices(ep: pj.Endpoint, cards: dict[str, str] | None = None) -> list[DeviceInfo]:
    """The devices pjmedia can open, each with its card's long name when known."""
    import pjsua2 as pj

    cards = card_names() if cards is None else cards
    mgr = ep.audDevManager()
    try:
        count = mgr.getDevCount()
    except pj.Error:
        return []
    out = []
    for i in range(count):
        info = mgr.getDevInfo(i)
        if info.inputCount <= 0 and info.outputCount <= 0:
            continue  # a plugin that could not open (no server behind it)
        card = _CARD.search(info.name)
        desc = cards.get(card.group(1), "") if card else ""
        out.append(DeviceInfo(i, info.name, info.inputCount > 0, info.outputCount > 0, desc))
    return out


def _rank(d: DeviceInfo) -> int:
    prefix = d.name.split(":", 1)[0]
    return _PREFERRED.index(prefix) if prefix in _PREFERRED else len(_PREFERRED)


def _find(devices: list[DeviceInfo], name: str, kind: str) -> DeviceInfo | None:
    """Exact name first (case-insensitive); else the devices whose name or card name contains
    it, if they are all one card (its best PCM name) or just one device; else None."""
    fits = [d for d in devices if getattr(d, kind)]
    want = name.casefold()
    exact = [d for d in fits if want in (d.name.casefold(), d.description.casefold())]
    partial = exact or [
        d for d in fits if want in d.name.casefold() or want in d.description.casefold()
    ]
    if len(partial) == 1:
        return partial[0]
    cards = {(m.group(1) if (m := _CARD.search(d.name)) else d.name) for d in partial}
    if len(cards) == 1 and partial:
        return min(partial, key=_rank)
    return None


def plan_devices(devices: list[DeviceInfo], choice: DeviceChoice) -> DevicePlan:
    """Which devices to open for ``choice``; any fallback is explained in one message."""
    named = [n for n in (choice.headset, choice.handset) if n]
    usable = any(d.capture for d in devices) and any(d.playback for d in devices)
    if not usable:
        wanted = ", ".join(repr(n) for n in (*named, choice.ring_device) if n)
        return DevicePlan(None, None, None, "no sound device found" + (
            f" (configured: {wanted})" if wanted else ""
        ) + ": using the null device (calls are still answered and recorded)")  # fmt: skip
    known = ", ".join(
        repr(d.name) + (f" ({d.description})" if d.description else "") for d in devices
    )
    problems: list[str] = []
    if named:
        cap = play = None
        for n in named:
            cap, play = _find(devices, n, "capture"), _find(devices, n, "playback")
            if cap and play:
                break
        if not (cap and play):
            problems.append(f"{' or '.join(repr(n) for n in named)} not found")
            capture = playback = None
        else:
            capture, playback = cap.id, play.id
    else:
        capture, playback = -1, -2  # pjmedia's default capture / playback device
    ring = None
    if choice.ring_device:
        found = _find(devices, choice.ring_device, "playback")
        if found is None:
            problems.append(f"ring device {choice.ring_device!r} not found")
        elif found.id != playback:
            ring = found.id
    if not problems:
        return DevicePlan(capture, playback, ring, None)
    fallback = "the null device" if capture is None else "the agent's device for the ring"
    return DevicePlan(
        capture, playback, ring, f"{'; '.join(problems)} (devices: {known}): using {fallback}"
    )

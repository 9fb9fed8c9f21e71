"""The ring tone on the ring device (else the agent's earpiece) while any line rings.

The cadence and frequencies come from the ring policy, so what the desk hears is what the
policy counts. pjsua2 objects: used on the phone's own thread only.
"""

from __future__ import annotations

import pjsua2 as pj

from voice.sip.endpoint import Endpoint
from voice.sip.ring_policy import RingPolicy


class RingTone:
    def __init__(self, ep: Endpoint, policy: RingPolicy, clock_rate: int) -> None:
        self._ep = ep
        self._policy = policy
        self._tone = pj.ToneGenerator()
        self._tone.createToneGenerator(clock_rate)
        self._on = False

    def ring(self, ringing: bool) -> None:
        """Start or stop the tone; a no-op when it already is as asked (called every step)."""
        if ringing == self._on:
            return
        self._on = ringing
        speaker = self._ep.ring_media()
        if ringing:
            tone = pj.ToneDesc()
            tone.freq1, tone.freq2 = self._policy.tone_hz
            tone.on_msec = int(self._policy.ring_on * 1000)
            tone.off_msec = int(self._policy.ring_off * 1000)
            tones = pj.ToneDescVector()
            tones.append(tone)
            self._tone.play(tones, True)
            self._tone.startTransmit(speaker)
        else:
            self._tone.stop()
            self._tone.stopTransmit(speaker)

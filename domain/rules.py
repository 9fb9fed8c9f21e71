"""The front desk's rules as figures, built once from the configuration and handed to the
phone, the worker, the reconciler, the console and the KPIs (domain.md: 3 rings, register
within 1 minute, call back within 2 hours of the return, answer a complaint within 24 hours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    max_rings: int = 3  # answer within three rings
    ring_on_s: float = 1.0  # ring cadence (China: 1 s on, 4 s off)
    ring_off_s: float = 4.0
    registration_grace_s: float = 60.0  # register the call within 1 minute of hangup
    callback_s: float = 2 * 3600.0  # call the resident back within 2 hours of 返单
    complaint_response_s: float = 24 * 3600.0  # respond to a complaint within 24 hours
    match_window_s: float = 1800.0  # how far an unlinked entry may be from its call
    duration_tolerance_s: float = 2.0  # call length vs. recording length

    @property
    def ring_period_s(self) -> float:
        return self.ring_on_s + self.ring_off_s

    def rings_after(self, seconds: float) -> int:
        """Rings started ``seconds`` after the first one began (ring 1 starts at 0)."""
        if seconds < 0:
            return 0
        return math.floor(seconds / self.ring_period_s + 1e-9) + 1

    def answer_deadline_s(self) -> float:
        """The end of ring ``max_rings``: when the phone answers by itself."""
        return (self.max_rings - 1) * self.ring_period_s + self.ring_on_s

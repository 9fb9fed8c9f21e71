"""When the phone answers by itself: ring cadence and the three-rings rule.

A ring cycle is ``on`` seconds of ring followed by ``off`` seconds of silence.
Ring N starts at ``(N-1)*(on+off)`` and ends at ``(N-1)*(on+off) + on``; the phone
answers itself at the end of ring N (China, N=3: 11 s after the INVITE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# name -> (on, off) seconds, tone frequencies (Hz)
PRESETS: dict[str, tuple[float, float, tuple[int, int]]] = {
    "cn": (1.0, 4.0, (450, 0)),
    "na": (2.0, 4.0, (440, 480)),
    "de": (1.0, 4.0, (425, 0)),
    "fr": (1.5, 3.5, (440, 0)),
}


@dataclass(frozen=True)
class RingPolicy:
    answer_after_rings: int = 3  # 0 = never answer by itself (agent only)
    ring_on: float = 1.0
    ring_off: float = 4.0
    tone_hz: tuple[int, int] = (450, 0)

    def __post_init__(self) -> None:
        if self.answer_after_rings < 0:
            raise ValueError("answer_after_rings must be >= 0")
        if self.ring_on <= 0 or self.ring_off < 0:
            raise ValueError("ring_on must be > 0 and ring_off >= 0 seconds")

    @classmethod
    def preset(cls, name: str, answer_after_rings: int = 3) -> RingPolicy:
        try:
            on, off, tone = PRESETS[name]
        except KeyError:
            raise ValueError(
                f"unknown ring cadence {name!r}; known: {', '.join(PRESETS)}"
            ) from None
        return cls(answer_after_rings, on, off, tone)

    @property
    def period(self) -> float:
        return self.ring_on + self.ring_off

    def auto_answer_at(self) -> float | None:
        """Seconds after the INVITE at which the phone answers itself (end of ring N)."""
        if self.answer_after_rings == 0:
            return None
        return (self.answer_after_rings - 1) * self.period + self.ring_on

    def rings_at(self, elapsed: float) -> int:
        """Rings started by ``elapsed`` seconds after ringing began (ring 1 starts at 0)."""
        if elapsed < 0:
            return 0
        return math.floor(elapsed / self.period + 1e-9) + 1

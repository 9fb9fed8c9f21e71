"""When to try registering again after a failure: exponential backoff with jitter.

pjsua's own retry is a fixed interval, so a front desk with a dead PBX would hammer it (and
every desk of a company would retry in step after an outage). Here the wait doubles from
``first_s`` up to ``max_s``, each wait spread by ±``jitter`` so phones drift apart; the
first success resets it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    first_s: float = 5.0
    max_s: float = 300.0
    jitter: float = 0.25  # each delay is scaled by a random factor in [1 - j, 1 + j]
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def failed(self) -> float:
        """Count a failure; the seconds to wait before the next attempt."""
        self.failures += 1
        base = min(self.max_s, self.first_s * 2 ** min(self.failures - 1, 30))
        return base * self.rng.uniform(1 - self.jitter, 1 + self.jitter)

    def succeeded(self) -> None:
        self.failures = 0

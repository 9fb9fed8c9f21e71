"""Registration backoff: doubling waits, capped, jittered, reset by a success."""

import random

from voice.sip.backoff import Backoff


def test_waits_double_from_the_first_up_to_the_cap_without_jitter():
    b = Backoff(first_s=5, max_s=60, jitter=0)
    assert [b.failed() for _ in range(6)] == [5, 10, 20, 40, 60, 60]
    b.succeeded()
    assert b.failed() == 5


def test_jitter_stays_within_a_quarter_and_spreads_two_phones_apart():
    a, b = Backoff(first_s=8, rng=random.Random(1)), Backoff(first_s=8, rng=random.Random(2))
    waits_a = [a.failed() for _ in range(4)]
    waits_b = [b.failed() for _ in range(4)]
    for i, (x, y) in enumerate(zip(waits_a, waits_b, strict=True)):
        base = 8 * 2**i
        assert 0.75 * base <= x <= 1.25 * base and 0.75 * base <= y <= 1.25 * base
    assert waits_a != waits_b


def test_a_phone_failing_for_weeks_does_not_overflow():
    b = Backoff(first_s=5, max_s=300, jitter=0)
    for _ in range(5000):
        wait = b.failed()
    assert wait == 300

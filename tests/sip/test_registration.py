"""The registrar's schedule: when the next REGISTER goes out after a failure, a success, a
silence. No SIP here (the clock is a variable); tests/e2e/test_registration.py registers with
real kamailio and SIPp registrars."""

from __future__ import annotations

from voice.sip.backoff import Backoff
from voice.sip.registration import NO_ANSWER_S, Registrar, Registration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def registrar(clock: Clock) -> Registrar:
    r = Registrar(Registration("sip:127.0.0.1:5070", "frontdesk", "127.0.0.1"), clock=clock)
    r.backoff = Backoff(first_s=2, max_s=8, jitter=0)
    return r


def test_failures_back_off_and_a_success_resets_the_schedule():
    clock = Clock()
    r = registrar(clock)
    r.on_state(False, 503, "Service Unavailable", 0)
    assert not r.registered and r.next_at == clock.now + 2
    r.on_state(False, 503, "Service Unavailable", 0)
    assert r.next_at == clock.now + 4
    r.on_state(True, 200, "OK", 60)
    assert r.registered and r.next_at is None and r.backoff.failures == 0
    r.on_state(False, 0, "registration lost", 0)
    assert not r.registered and r.next_at == clock.now + 2  # the first wait again


def test_a_register_never_answered_counts_as_a_failure_after_the_sip_timeout():
    clock = Clock()
    r = registrar(clock)
    r.sent_at = clock.now
    r.poll(None, clock.now + 32)  # type: ignore[arg-type]  # no account call is due yet
    assert r.sent_at is not None and r.next_at is None
    clock.now += NO_ANSWER_S + 1
    r.poll(None, clock.now)  # type: ignore[arg-type]
    assert r.sent_at is None and r.next_at == clock.now + 2 and r.backoff.failures == 1


def test_a_phone_shutting_down_does_not_schedule_another_register():
    clock = Clock()
    r = registrar(clock)
    r.on_state(True, 200, "OK", 60)
    r.stopping = True
    r.on_state(False, 408, "Request Timeout", 0)
    assert not r.registered and r.next_at is None

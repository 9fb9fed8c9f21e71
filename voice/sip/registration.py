"""Keeping the front-desk line registered with a PBX: the account, the retries, the state.

pjsua's own retry is off (a fixed interval would hammer a dead PBX); ``Registrar`` sends the
next REGISTER itself after a ``Backoff`` wait, and notices what pjsua does not report: a
REGISTER that never got an answer, and a registration dropped with its transport. Called
only from the phone's loop and its pjsua2 callbacks (one thread).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pjsua2 as pj

from voice.sip.backoff import Backoff

log = logging.getLogger("frontdesk.phone")

NO_ANSWER_S = 40.0  # a REGISTER unanswered this long failed (more than SIP's 32 s timeout)
CHECK_EVERY_S = 0.5


@dataclass
class Registration:
    """Register the front-desk line with a PBX or registrar (digest auth when a password is set)."""

    registrar: str  # sip:pbx.example.com:5060
    username: str
    domain: str
    password: str | None = field(default=None, repr=False)  # never logged
    expires: int = 300
    retry_s: int = 5  # first wait after a failure; doubles up to retry_max_s (±25 % jitter)
    retry_max_s: int = 300


def account_config(bind: str, port: int, user: str, reg: Registration | None) -> pj.AccountConfig:
    """The pjsua account: direct calls to ``user@bind:port``, or the registered line."""
    acfg = pj.AccountConfig()
    # RTP on the same address as SIP: left unset, pjsua binds media to every interface
    # and advertises the first non-loopback one, so callers' audio would be reachable
    # from the network while the phone is "bound to 127.0.0.1".
    acfg.mediaConfig.transportConfig.boundAddress = bind
    if reg is None:
        acfg.idUri = f"sip:{user}@{bind}:{port}"
        return acfg
    acfg.idUri = f"sip:{reg.username}@{reg.domain}"
    acfg.regConfig.registrarUri = reg.registrar
    acfg.regConfig.timeoutSec = reg.expires
    # pjsua's own retry is a fixed interval: off; the Registrar backs off itself
    acfg.regConfig.retryIntervalSec = 0
    acfg.regConfig.randomRetryIntervalSec = 0
    acfg.regConfig.dropCallsOnFail = False  # a registrar outage must not cut live calls
    if reg.password:
        acfg.sipConfig.authCreds.append(
            pj.AuthCredInfo("digest", "*", reg.username, 0, reg.password)
        )
    log.info("registering %s with %s", acfg.idUri, reg.registrar)
    return acfg


class Registrar:
    """The line's registration state and when the next REGISTER goes out."""

    def __init__(self, reg: Registration, clock: Callable[[], float] = time.monotonic) -> None:
        self.backoff = Backoff(reg.retry_s, reg.retry_max_s)
        self.registered = False  # the state the phone reports (the log says when it changes)
        self.stopping = False  # set when the phone shuts down: a failure then is not retried
        self.next_at: float | None = None  # monotonic time of the next REGISTER we send
        self.sent_at: float | None = None  # when it was sent; None once pjsua answered
        self._clock = clock
        self._next_check = 0.0

    def on_state(self, ok: bool, code: int, reason: str, expires: int) -> None:
        """pjsua's answer to a REGISTER (or our own verdict on one): schedule the next."""
        was = self.registered
        self.sent_at = None
        if ok:
            self.backoff.succeeded()
            self.next_at = None
            if not was:
                log.info("registration: registered (%d %s, expires %ds)", code, reason, expires)
        elif not self.stopping:
            wait = self.backoff.failed()
            self.next_at = self._clock() + wait
            log.warning("registration: not registered (%d %s); attempt %d failed, next in %.1fs",
                        code, reason, self.backoff.failures, wait)  # fmt: skip
        self.registered = ok

    def poll(self, acc: pj.Account, now: float) -> None:
        """From the phone's loop: send the next REGISTER when its time comes; notice a
        registration pjsua dropped without telling (a transport that died), and a REGISTER
        that never got an answer."""
        if now < self._next_check:
            return
        self._next_check = now + CHECK_EVERY_S
        if self.sent_at is not None and now - self.sent_at > NO_ANSWER_S:
            self.on_state(False, 408, "no answer to REGISTER", 0)
        if self.next_at is None and self.sent_at is None and self.registered:
            try:
                active = acc.getInfo().regIsActive
            except pj.Error:
                active = True
            if not active:
                self.on_state(False, 0, "registration lost", 0)
        if self.next_at is not None and now >= self.next_at and self.sent_at is None:
            self.next_at = None
            self.sent_at = now
            try:
                acc.setRegistration(True)
            except pj.Error as exc:  # e.g. busy with the previous one: count it as a failure
                self.on_state(False, 0, exc.reason, 0)

"""One-to-one assignment of unlinked phone entries to recorded calls that have no entry.

An entry written by hand (or imported from a spreadsheet) carries no call id. It belongs
to the call it describes: usually the caller's number and the time say which, but a
resident may call from another phone, or the agent may type the number wrong. So each
(entry, call) pair within the time window is scored on number, time proximity, the
address heard in the transcript, and how much of the entry's wording the transcript
contains; pairs are then taken best first, and an entry and a call are each used once.

An entry registered late (40 minutes, a shift later) still belongs to its call: beyond the
near window only a call from the same number is considered, its address and wording must
not contradict the entry, and any nearer pair wins. The lateness is then a finding about
the pair (LATE_REGISTRATION), not an unlogged call and an orphan entry.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

MIN_SIMILARITY_OTHER_NUMBER = 0.6  # different number, no address evidence: wording must agree
MIN_SIMILARITY_WITH_ADDRESS = 0.25  # different number, same address: some wording in common
MIN_SIMILARITY_LATE = 0.2  # same number, registered late, no address: some wording in common
CLOCK_SLACK_S = 60.0  # times typed by hand to the minute: 09:12 for a call at 09:12:40


def number_key(number: str | None) -> str:
    """A phone number compared as digits, without +86/0086: the last 8 digits index it."""
    digits = "".join(c for c in number or "" if c.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 11:
            digits = digits[len(prefix) :]
    return digits


def same_number(a: str | None, b: str | None) -> bool:
    """The same line: equal digits, or one with a dialling prefix (9 for an outside line,
    0 + area code) ending in the other (at least 7 digits)."""
    ka, kb = number_key(a), number_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    return len(short) >= 7 and long_.endswith(short) and len(long_) - len(short) <= 4


@dataclass
class CallCandidate:
    call_id: int
    caller: str
    end: float  # hangup, epoch seconds
    address: str | None  # heard in the transcript, e.g. "4-2-301"
    text: str  # the transcript
    start: float | None = None  # INVITE, epoch seconds: no entry is written before its call
    spoken: str | None = None  # the number the caller gave (the caller ID may be withheld)

    def numbers(self) -> tuple[str, ...]:
        return (self.caller, self.spoken) if self.spoken else (self.caller,)


@dataclass
class LooseEntry:
    entry_id: int
    phone: str | None
    at: float  # registered (or created), epoch seconds
    address: str | None
    text: str  # content and summary as the agent wrote them


def bigrams(text: str) -> set[str]:
    chars = [c for c in text if c.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def similarity(entry_text: str, transcript: str) -> float:
    """How much of the entry's wording (character bigrams) the transcript contains."""
    e = bigrams(entry_text)
    if not e:
        return 0.0
    return len(e & bigrams(transcript)) / len(e)


def _sim(e: LooseEntry, c: CallCandidate, cache: dict) -> float:
    """similarity() with each text's bigrams computed once while it can still be used
    (assign() drops a call's bigrams once entries have moved past its window)."""
    eb = cache.get(("e", e.entry_id))
    if eb is None:
        eb = cache[("e", e.entry_id)] = bigrams(e.text)
    cb = cache.get(c.call_id)
    if cb is None:
        cb = cache[c.call_id] = bigrams(c.text)
    return len(eb & cb) / len(eb) if eb else 0.0


def score(
    e: LooseEntry, c: CallCandidate, window_s: float, cache: dict | None = None,
    late_window_s: float = 0.0,
) -> float | None:  # fmt: skip
    """The pair's score, or None when nothing ties the entry to the call."""
    gap = abs(e.at - c.end)
    if c.start is not None and e.at < c.start - CLOCK_SLACK_S:
        return None
    if gap > window_s:
        return _late_score(e, c, gap, late_window_s, cache)
    same_number = any(same_number_(e.phone, n) for n in c.numbers())
    address = 0
    if e.address and c.address:
        address = 1 if e.address == c.address else -1
    sim = 0.0
    if e.text and c.text:
        sim = _sim(e, c, cache) if cache is not None else similarity(e.text, c.text)
    if not same_number:
        if address < 0:
            return None
        need = MIN_SIMILARITY_WITH_ADDRESS if address > 0 else MIN_SIMILARITY_OTHER_NUMBER
        if sim < need:
            return None
    return 2.0 * same_number + 1.0 * address + sim + (1.0 - gap / window_s)


same_number_ = same_number  # score() has a local of that name


def _late_score(e: LooseEntry, c: CallCandidate, gap: float, late_window_s: float,
                cache: dict | None) -> float | None:  # fmt: skip
    """A registration later than the near window: the same number, written after the call,
    nothing contradicting it; ranked below every near pair of equal evidence."""
    if e.at < c.end or gap > late_window_s or not any(same_number(e.phone, n) for n in c.numbers()):
        return None
    address = 0
    if e.address and c.address:
        address = 1 if e.address == c.address else -1
    if address < 0:
        return None
    sim = 0.0
    if e.text and c.text:
        sim = _sim(e, c, cache) if cache is not None else similarity(e.text, c.text)
        if address == 0 and sim < MIN_SIMILARITY_LATE:
            return None
    return 2.0 + 1.0 * address + sim - gap / late_window_s


def assign(
    entries: list[LooseEntry], calls: list[CallCandidate], window_s: float,
    late_window_s: float = 0.0,
) -> dict[int, int]:  # fmt: skip
    """entry id → call id, one to one, best-scoring pairs first. Calls that ended more
    than ``window_s`` and up to ``late_window_s`` before an entry are its candidates only
    when they came from the entry's number."""
    calls = sorted(calls, key=lambda c: c.end)
    ends = [c.end for c in calls]
    by_number: dict[str, tuple[list[float], list[int]]] = {}  # last 8 digits → ends, indexes
    if late_window_s > window_s:
        for i, c in enumerate(calls):
            for key in {number_key(n)[-8:] for n in c.numbers()}:
                ends_i, idx = by_number.setdefault(key, ([], []))
                ends_i.append(c.end)
                idx.append(i)
    pairs: list[tuple[float, int, int]] = []
    cache: dict = {}
    evicted = 0  # calls before this index ended too early for every later entry
    for e in sorted(entries, key=lambda e: e.at):
        lo = bisect.bisect_left(ends, e.at - window_s)
        hi = bisect.bisect_right(ends, e.at + window_s)
        for c in calls[evicted:lo]:  # bounded memory over a year of entries
            cache.pop(c.call_id, None)
        evicted = max(evicted, lo)
        for c in calls[lo:hi]:
            s = score(e, c, window_s, cache)
            if s is not None:
                pairs.append((s, e.entry_id, c.call_id))
        key = number_key(e.phone)[-8:]
        if key in by_number:
            ends_n, idx = by_number[key]
            a = bisect.bisect_left(ends_n, e.at - late_window_s)
            b = bisect.bisect_left(ends_n, e.at - window_s)
            for i in idx[a:b]:
                s = score(e, calls[i], window_s, None, late_window_s)
                if s is not None:
                    pairs.append((s, e.entry_id, calls[i].call_id))
        cache.pop(("e", e.entry_id), None)
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    taken_e: dict[int, int] = {}
    taken_c: set[int] = set()
    for _, eid, cid in pairs:
        if eid in taken_e or cid in taken_c:
            continue
        taken_e[eid] = cid
        taken_c.add(cid)
    return taken_e

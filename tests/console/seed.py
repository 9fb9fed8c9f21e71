"""A front desk's morning, for the console tests: real recordings made from the committed
speech fixtures (caller on channel 0, the shipped greeting then the agent on channel 1),
stored through the ledger's own code, transcribed and drafted by the real worker (Whisper
base), one draft confirmed, and the reconciler run so findings exist.

Calls (times relative to when the seed is made, so "today" and the 1-minute countdown
mean something):
  burst_pipe   13912345678, auto-answered at ring 3, 2 min ago, draft NOT confirmed
               → UNLOGGED_CALL
  noise        13600001111, agent answered at ring 2, 1 h ago, draft confirmed by agent1
  corridor     13700002222, answered at ring 4, 30 min ago → SLOW_ANSWER (+ unlogged)
  two_party    13912345678, agent answered at ring 1, 3 h ago: the 55 s two-party call
               from call_two_party.wav (both channels are real speech), draft confirmed
  missed       13800000000, caller gave up during ring 2, 20 min ago → MISSED_NO_CALLBACK
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from tests.conftest import ROOT, SPEECH

GREETING = ROOT / "frontdesk" / "assets" / "greeting_zh.wav"


@dataclass
class Seeded:
    """Call ids by name, and the entry ids the worker drafted for them."""

    calls: dict[str, int]
    entries: dict[str, int]
    now: datetime


def _greeting_8k() -> np.ndarray:
    g, rate = sf.read(str(GREETING), dtype="int16")
    return resample_poly(g.astype(np.float64), 8000, rate).astype(np.int16)


def _stereo(caller: np.ndarray, agent: np.ndarray) -> np.ndarray:
    n = max(len(caller), len(agent))
    out = np.zeros((n, 2), dtype=np.int16)
    out[: len(caller), 0] = caller
    out[: len(agent), 1] = agent
    return out


def seed(data_dir: Path, models_dir: Path) -> Seeded:
    from domain.calls import CallRecord
    from frontdesk.audit_rules import audit_rules
    from frontdesk.config import AsrConfig, load_config
    from frontdesk.worker import AsrSettings, Worker
    from ledger import calls, entries, jobs
    from ledger.db import open_database
    from ledger.reconcile import reconcile
    from recordings.archive import Archive

    cfg = load_config(data_dir)
    sessions = open_database(cfg.database_url)
    archive = Archive(cfg.recordings_dir)
    now = datetime.now(UTC).replace(microsecond=0)
    greeting = _greeting_8k()
    gap = np.zeros(4000, dtype=np.int16)  # 0.5 s

    def speech(name: str) -> np.ndarray:
        return sf.read(str(SPEECH / f"{name}_8k.wav"), dtype="int16")[0]

    plans = {
        # name: (caller number, minutes ago, rings, answered_by, audio or None)
        "burst_pipe": ("13912345678", 2, 3, "auto",
                       _stereo(np.concatenate([np.zeros(len(greeting) + 4000, np.int16),
                                               speech("burst_pipe")]), greeting)),
        "noise": ("13600001111", 60, 2, "agent",
                  _stereo(np.concatenate([np.zeros(len(greeting) + 4000, np.int16),
                                          speech("noise_complaint")]), greeting)),
        "corridor": ("13700002222", 30, 4, "auto",
                     _stereo(np.concatenate([np.zeros(len(greeting) + 4000, np.int16),
                                             speech("corridor_light")]),
                             np.concatenate([greeting, gap]))),
        "two_party": ("13912345678", 180, 1, "agent",
                      sf.read(str(SPEECH / "call_two_party.wav"), dtype="int16")[0]),
        "missed": ("13800000000", 20, 2, None, None),
    }  # fmt: skip
    ids: dict[str, int] = {}
    with sessions() as s:
        for name, (number, ago, rings, by, audio) in plans.items():
            invited = now - timedelta(minutes=ago)
            uuid = f"seed-{name}"
            info = None
            answered = ended = None
            if audio is not None:
                dest = archive.final_path(uuid, invited)
                dest.parent.mkdir(parents=True, exist_ok=True)
                sf.write(str(dest), audio, 8000, subtype="PCM_16")
                info = archive.describe(dest)
                answered = invited + timedelta(seconds=(rings - 1) * 5 + 1)
                ended = answered + timedelta(seconds=len(audio) / 8000)
            else:
                ended = invited + timedelta(seconds=7)
            rec = CallRecord(
                uuid=uuid, sip_call_id=f"{uuid}@127.0.0.1", caller=number, callee="8001",
                invited_at=invited, answered_at=answered, ended_at=ended, rings=rings,
                answered_by=by, outcome="answered" if audio is not None else "missed",
                cause="caller hung up" if audio is not None else "487 Request Terminated",
                codec="PCMU/8000" if audio is not None else None, recording=info,
            )  # fmt: skip
            call = calls.record_call(s, rec)
            if info is not None:
                jobs.enqueue(s, "transcribe", call.id)
            ids[name] = call.id
        s.commit()

    asr = AsrConfig()
    worker = Worker(
        sessions,
        cfg.recordings_dir,
        AsrSettings(model="whisper-base", models_dir=models_dir,
                    initial_prompt=asr.initial_prompt),
    )  # fmt: skip
    worker.run(once=True)

    drafted: dict[str, int] = {}
    with sessions() as s:
        for name, cid in ids.items():
            found = entries.list_for_call(s, cid)
            if found:
                drafted[name] = found[0].id
        for name in ("noise", "two_party"):
            call = s.get(calls.Call, ids[name])
            entries.confirm(s, drafted[name], by="agent1",
                            at=call.ended_at + timedelta(seconds=40))  # fmt: skip
        s.commit()
        reconcile(s, now=now, rules=audit_rules(cfg))
        s.commit()
    return Seeded(ids, drafted, now)

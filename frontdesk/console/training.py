"""Console pages: training — tagged calls, random QA samples, training packs.

A QA sample draws calls at random, reproducibly: its criteria (agent, period, outcome,
size and the random seed) are stored with the call ids, and drawing again with the same
criteria over the same calls gives the same ids. "Agent" means the console user who
registered the call's ledger entry (entries.registered_by): calls.answered_by only says
"agent" or "auto", not who.

A training pack is a zip: per call the verified recording, the transcript (JSON and a
readable TXT by speaker) and the ledger entry, with residents' phone numbers masked in
every text — the caller field, the entry, and digit runs spoken inside the transcript,
even when the recogniser split them over several words — and in the audio: a copy of the
recording where each spoken number (found in the transcript, timed by its words) is a soft
1 kHz tone on the speaker's channel. The manifest lists the masked spans and both SHA-256s
(the stored recording's, checked against the ledger, and the exported copy's); the stored
recording is never touched. A call not transcribed yet has no audio in the pack.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import IO, Any

from sqlalchemy import or_, select
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from domain.transcript import Transcript
from frontdesk.console import scope
from frontdesk.console.bleep import PAD, mask_wav, spoken_number_spans
from frontdesk.console.masking import mask_name, mask_text, masked_transcript
from frontdesk.console.recordings import verified_recording
from frontdesk.console.replay import OUTCOMES, known_tags, privacy
from frontdesk.console.web import Ctx, guarded, local_day, mask_phone
from ledger.entries import entry_to_dict, list_for_call
from ledger.models import Call, CallTag, LedgerEntry, QaSample, User, UserSite
from ledger.transcripts import load_transcript
from ledger.types import utcnow

TRAINERS = ("trainer",)
MAX_SAMPLE = 200
MAX_PACK = 200  # calls per pack (about 2 MB of audio per minute of call)

ENTRY_TEXT = ("summary", "content", "address", "public_area")


def masked_entry(e: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in e.items()}
    out["caller_phone"] = mask_phone(e.get("caller_phone"))
    out["caller_name"] = mask_name(e.get("caller_name")) or e.get("caller_name")
    for k in ENTRY_TEXT:
        if isinstance(out.get(k), str):
            out[k] = mask_text(out[k])
    out["evidence"] = json.loads(mask_text(json.dumps(e.get("evidence", []), ensure_ascii=False)))
    out.pop("changes", None)  # who typed what when is the audit trail's business, not training
    return out


def transcript_txt(call: Call, data: dict[str, Any]) -> str:
    """A readable transcript by speaker (already masked data)."""
    lines = [
        f"通话 Call #{call.id} · {mask_phone(call.caller)} · {call.invited_at:%Y-%m-%d %H:%M} UTC",
        "",
    ]
    names = {"caller": "来电 Caller", "agent": "客服 Agent"}
    for u in data.get("utterances", []):
        s = int(u["start"])
        who = names.get(u["speaker"], u["speaker"])
        lines.append(f"[{s // 60}:{s % 60:02d}] {who}: {u['text']}")
    return "\n".join(lines) + "\n"


# ---- QA samples ----


def sample_criteria(ctx: Ctx, form: dict[str, str]) -> dict[str, Any]:
    """Checked criteria from the form; the seed is drawn here when none is given."""
    agent = form.get("agent", "").strip()
    if not agent:
        raise ValueError("agent: choose whose calls to sample")
    try:
        size = int(form.get("size") or 5)
    except ValueError:
        raise ValueError(f"size={form.get('size')!r}: expected a number") from None
    if not 1 <= size <= MAX_SAMPLE:
        raise ValueError(f"size={size}: between 1 and {MAX_SAMPLE}")
    start, end = form.get("from", "").strip(), form.get("to", "").strip()
    if not start or not end:
        raise ValueError("from/to: give the period to sample (two dates)")
    for name, value in (("from", start), ("to", end)):
        try:
            datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            raise ValueError(f"{name}={value!r}: expected a date like 2026-11-24") from None
    if end < start:
        raise ValueError(f"to={end} is before from={start}")
    outcome = form.get("outcome", "").strip() or None
    if outcome and outcome not in OUTCOMES:
        raise ValueError(f"outcome={outcome!r}: one of {', '.join(OUTCOMES)}")
    seed_text = form.get("seed", "").strip()
    try:
        seed = int(seed_text) if seed_text else secrets.randbelow(2**31)
    except ValueError:
        raise ValueError(f"seed={seed_text!r}: expected a whole number") from None
    site = form.get("site", "").strip() or _default_site(ctx)
    if not site or not ctx.user.sees(site):
        raise ValueError(f"site={site!r}: choose one of your sites")
    return {
        "agent": agent,
        "site": site,
        "from": start,
        "to": end,
        "size": size,
        "outcome": outcome,
        "seed": seed,
        "agent_means": "entries.registered_by",
        "timezone": str(ctx.console.tz or "server local"),
    }


def _default_site(ctx: Ctx) -> str | None:
    """This console's site when the user works for it, else their first site."""
    own = ctx.console.cfg.site.code
    if ctx.user.sees(own):
        return own
    return min(ctx.user.sites) if ctx.user.sites else None


def draw_sample(ctx: Ctx, criteria: dict[str, Any]) -> list[int]:
    """The calls the criteria pick: candidates in id order, then random.Random(seed)."""
    lo = local_day(ctx, criteria["from"], "from")
    hi = local_day(ctx, criteria["to"], "to", after=True)
    q = (
        select(Call.id)
        .join(LedgerEntry, LedgerEntry.call_id == Call.id)
        .where(
            LedgerEntry.registered_by == criteria["agent"],
            Call.invited_at >= lo,
            Call.invited_at < hi,
        )
        .distinct()
        .order_by(Call.id)
    )
    if criteria.get("outcome"):
        q = q.where(Call.outcome == criteria["outcome"])
    if criteria.get("site"):  # samples drawn before sites existed hold none: every call
        q = q.where(Call.site == criteria["site"])
    candidates = list(ctx.db.scalars(q))
    rng = random.Random(int(criteria["seed"]))
    picked = rng.sample(candidates, min(int(criteria["size"]), len(candidates)))
    return sorted(picked)


# ---- pages ----


def training_page(ctx: Ctx, error: str | None = None, status: int = 200,
                  form: dict[str, str] | None = None) -> Response:  # fmt: skip
    tag = ctx.query.get("tag", "training").strip() or "training"
    tagged = ctx.db.execute(
        select(CallTag, Call)
        .join(Call, Call.id == CallTag.call_id)
        .where(CallTag.tag == tag, scope.where(ctx, Call.site))
        .order_by(CallTag.at.desc())
        .limit(MAX_PACK)
    ).all()
    samples = list(ctx.db.scalars(
        select(QaSample).where(scope.where(ctx, QaSample.site))
        .order_by(QaSample.id.desc()).limit(20)))  # fmt: skip
    agents_q = select(User.username).where(User.role == "agent").order_by(User.username)
    if ctx.user.sites is not None:  # the agents of the trainer's own sites
        agents_q = agents_q.where(or_(User.all_sites, User.id.in_(
            select(UserSite.user_id).where(UserSite.site.in_(sorted(ctx.user.sites))))))  # fmt: skip
    agents = list(ctx.db.scalars(agents_q))
    today = datetime.now(ctx.console.tz).date()
    defaults = {"from": str(today - timedelta(days=14)), "to": str(today), "size": "5",
                "site": _default_site(ctx) or ""}  # fmt: skip
    return ctx.render(
        "training/index.html",
        status_code=status,
        tag=tag,
        tagged=tagged,
        known_tags=known_tags(ctx),
        samples=samples,
        agents=agents,
        outcomes=OUTCOMES,
        form={**defaults, **(form or {})},
        error=error,
        sites=scope.choices(ctx),
        **privacy(ctx),
    )


def training(ctx: Ctx) -> Response:
    return training_page(ctx)


def new_sample(ctx: Ctx) -> Response:
    try:
        criteria = sample_criteria(ctx, ctx.form)
    except ValueError as exc:
        return training_page(ctx, f"抽样条件有误 — {exc}", 400, ctx.form)
    ids = draw_sample(ctx, criteria)
    row = QaSample(by=ctx.user.username, criteria=criteria, call_ids=ids, created_at=utcnow(),
                   site=criteria["site"])  # fmt: skip
    ctx.db.add(row)
    ctx.db.flush()
    ctx.log("qa_sample", f"sample:{row.id}", calls=len(ids))
    return ctx.redirect(f"/training/samples/{row.id}")


def sample_page(ctx: Ctx, sample_id: int) -> Response:
    sample = _visible_sample(ctx, sample_id)
    calls = {c.id: c for c in ctx.db.scalars(
        select(Call).where(Call.id.in_(sample.call_ids), scope.where(ctx, Call.site)))}  # fmt: skip
    redrawn = draw_sample(ctx, sample.criteria)
    return ctx.render(
        "training/sample.html",
        sample=sample,
        calls=[calls[i] for i in sample.call_ids if i in calls],
        reproducible=redrawn == list(sample.call_ids),
        **privacy(ctx),
    )


def _visible_sample(ctx: Ctx, sample_id: int) -> QaSample:
    """The sample, if drawn from one of the user's sites; 404 otherwise (as if none)."""
    sample = ctx.db.get(QaSample, sample_id)
    scope.require(ctx, sample.site if sample else None, f"no QA sample #{sample_id}")
    assert sample is not None
    return sample


def pack(ctx: Ctx) -> Response:
    """/training/pack.zip?tag=training or ?sample=N."""
    if ctx.query.get("sample"):
        try:
            sample_id = int(ctx.query["sample"])
        except ValueError:
            raise HTTPException(400, f"sample={ctx.query['sample']!r}: expected a number") from None
        sample = _visible_sample(ctx, sample_id)
        ids, source = list(sample.call_ids), {"sample": sample.id, "criteria": sample.criteria}
        name = f"qa-sample-{sample.id}"
    else:
        tag = ctx.query.get("tag", "training").strip()
        ids = list(
            ctx.db.scalars(
                select(CallTag.call_id)
                .join(Call, Call.id == CallTag.call_id)
                .where(CallTag.tag == tag, scope.where(ctx, Call.site))
                .order_by(CallTag.call_id)
            )
        )
        source, name = {"tag": tag}, f"training-{re.sub(r'[^A-Za-z0-9_-]', '_', tag)}"
    if not ids:
        raise HTTPException(404, "nothing to export: no calls carry this tag or sample")
    ids = ids[:MAX_PACK]
    ids = list(ctx.db.scalars(select(Call.id).where(Call.id.in_(ids), scope.where(ctx, Call.site))
                              .order_by(Call.id)))  # fmt: skip
    body, manifest = build_pack(ctx, ids, source)
    size = body.seek(0, 2)
    body.seek(0)
    ctx.log("export", name, kind="training_pack", calls=ids,
            audio=[c["id"] for c in manifest["calls"] if c.get("audio")])  # fmt: skip
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _chunks(body),
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="{name}-{stamp}.zip"',
            "content-length": str(size),
        },
    )


def _chunks(f: IO[bytes], size: int = 1 << 16) -> Iterator[bytes]:
    with f:
        while chunk := f.read(size):
            yield chunk


def build_pack(ctx: Ctx, ids: list[int], source: dict[str, Any]) -> tuple[IO[bytes], dict]:
    """The zip in a temporary file (recordings make packs big: never all in memory)."""
    manifest: dict[str, Any] = {
        "made_at": utcnow().isoformat(),
        "made_by": ctx.user.username,
        **source,
        "phone_numbers": (
            "masked (first 3 and last 4 digits kept) in every text file; in audio.wav each "
            "spoken number is replaced by a soft 1 kHz tone on the speaker's channel, "
            f"{PAD * 1000:.0f} ms either side (audio_masked: channel 0 caller, 1 agent, "
            "null both; start/end in seconds, end exclusive)"
        ),
        "calls": [],
    }
    buf = tempfile.TemporaryFile()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for call in ctx.db.scalars(select(Call).where(Call.id.in_(ids)).order_by(Call.id)):
            folder = f"call-{call.id}"
            tags = {
                t.tag: t.note
                for t in ctx.db.scalars(select(CallTag).where(CallTag.call_id == call.id))
            }
            item: dict[str, Any] = {
                "id": call.id,
                "caller": mask_phone(call.caller),
                "invited_at": call.invited_at.isoformat(),
                "outcome": call.outcome,
                "rings": call.rings,
                "answered_by": call.answered_by,
                "duration_s": call.recording_duration_s,
                "tags": {k: mask_text(v) for k, v in tags.items()},
                "audio": None,
            }
            t = load_transcript(ctx.db, call.id)
            if call.recording_path:
                _add_audio(ctx, z, call, t, f"{folder}/audio.wav", item)
            if t is not None:
                data = masked_transcript(t.to_dict())
                z.writestr(f"{folder}/transcript.json", _json(data))
                z.writestr(f"{folder}/transcript.txt", transcript_txt(call, data))
            entries = [masked_entry(entry_to_dict(e)) for e in list_for_call(ctx.db, call.id)]
            if entries:
                z.writestr(
                    f"{folder}/entry.json", _json(entries[0] if len(entries) == 1 else entries)
                )
            manifest["calls"].append(item)
        z.writestr("manifest.json", _json(manifest))
        z.writestr("README.txt", README)
    return buf, manifest


def _add_audio(ctx: Ctx, z: zipfile.ZipFile, call: Call, t: Transcript | None, name: str,
               item: dict[str, Any]) -> None:  # fmt: skip
    """The recording into the pack with spoken phone numbers masked, or why it is left out."""
    try:
        path = verified_recording(ctx, call)
    except HTTPException as exc:
        item["audio_refused"] = str(exc.detail)
        return
    if t is None:
        item["audio_refused"] = "not transcribed yet: spoken phone numbers cannot be found"
        return
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        try:
            done = mask_wav(path, tmp, spoken_number_spans(t.to_dict()))
        except ValueError as exc:
            item["audio_refused"] = f"spoken phone numbers cannot be masked: {exc}"
            return
        if call.recording_sha256 and done.recording_sha256 != call.recording_sha256:
            item["audio_refused"] = "the recording changed while it was exported (SHA-256)"
            return
        tmp.flush()
        z.write(tmp.name, name, compress_type=zipfile.ZIP_STORED)
    item["audio"] = name
    item["recording_sha256"] = done.recording_sha256
    item["audio_sha256"] = done.audio_sha256
    item["audio_masked"] = done.manifest()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


README = """培训资料包 Training pack (Frontdesk)

每通电话一个文件夹 One folder per call:
  audio.wav         录音 (双声道: 左 来电, 右 客服), 口述的电话号码已替换为 1 kHz 提示音
                    the recording (ch 0 caller, ch 1 agent) with spoken phone numbers bleeped
  transcript.txt    按说话人的转写 the transcript by speaker
  transcript.json   带字时间的转写 the transcript with word times
  entry.json        台账记录 the ledger entry
manifest.json 列出来源 (标签或抽样条件), 每通电话原录音与导出音频的 SHA-256,
以及被遮蔽的时段 audio_masked (声道, 起止秒).
manifest.json lists the source (tag or sample criteria) and per call the stored recording's
SHA-256, the exported audio's SHA-256 and the bleeped spans (audio_masked: channel, start, end).

住户电话号码已在所有文本中遮蔽, 录音中口述的号码按转写的字时间替换为提示音 (前后各留 0.1 秒).
Residents' phone numbers are masked in every text file, and in the audio wherever the
transcript heard them spoken (a 1 kHz tone, 0.1 s either side). A number the recogniser
missed is not bleeped, and residents' voices remain: for training only, keep it inside the
company.
"""


routes = [
    guarded("/training", training, roles=TRAINERS),
    guarded("/training/samples", new_sample, roles=TRAINERS, methods=("POST",)),
    guarded("/training/samples/{sample_id:int}", sample_page, roles=TRAINERS),
    guarded("/training/pack.zip", pack, roles=TRAINERS),
]

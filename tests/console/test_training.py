"""Training: tags from the replay page, random QA samples, training packs with residents'
phone numbers masked — in a real console and Chromium on the seeded morning, plus the
masking rules on their own."""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import zipfile
from datetime import UTC, datetime, timedelta

import numpy as np
import soundfile as sf

from frontdesk.console.bleep import spoken_number_spans
from frontdesk.console.masking import mask_text, mask_words
from tests.console.conftest import login, screenshot

SEEDED_NUMBERS = ("13912345678", "13600001111", "13700002222", "13800000000")


def _tag(page, server, call_id: int, tag: str, note: str) -> None:
    page.goto(f"{server.url}/calls/{call_id}")
    page.fill("#tag-form input[name=tag]", tag)
    page.fill("#tag-form textarea[name=note]", note)
    page.click("#tag-form button[type=submit]")
    page.wait_for_load_state()


def _recording(server, call_id: int) -> tuple[str, str]:
    with server.sql() as c:
        return c.execute(
            "SELECT recording_path, recording_sha256 FROM calls WHERE id = ?", (call_id,)
        ).fetchone()


def _check_audio_masked(server, z: zipfile.ZipFile, manifest: dict, call_id: int) -> None:
    """The pack's audio differs from the stored recording only inside the listed spans, where
    the caller's channel is a soft 1 kHz tone; the spans cover the words of the number the
    caller said; the stored recording is unchanged."""
    rel, sha = _recording(server, call_id)
    stored = server.data_dir / "recordings" / rel
    item = {c["id"]: c for c in manifest["calls"]}[call_id]
    exported = z.read(item["audio"])
    assert item["recording_sha256"] == sha
    assert item["audio_sha256"] == hashlib.sha256(exported).hexdigest() != sha
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha  # the stored file untouched
    orig, rate = sf.read(str(stored), dtype="int16")
    out, rate2 = sf.read(io.BytesIO(exported), dtype="int16")
    assert rate2 == rate and out.shape == orig.shape == (len(orig), 2)
    spans = item["audio_masked"]
    assert spans and all(s["channel"] == 0 and s["source"] == "word times" for s in spans)
    inside = np.zeros(orig.shape, dtype=bool)
    for s in spans:
        inside[round(s["start"] * rate) : round(s["end"] * rate), s["channel"]] = True
    assert np.array_equal(out[~inside], orig[~inside])  # every other sample, both channels
    for s in spans:
        seg = out[round(s["start"] * rate) : round(s["end"] * rate), 0].astype(float)
        assert not np.array_equal(seg, orig[round(s["start"] * rate) : round(s["end"] * rate), 0])
        assert 0 < np.abs(seg).max() <= 3277  # soft: -20 dBFS at most
        power = np.abs(np.fft.rfft(seg)) ** 2
        near_1k = np.abs(np.fft.rfftfreq(len(seg), 1 / rate) - 1000) < 20
        assert power[near_1k].sum() > 0.95 * power.sum()  # a tone, no speech left
    # the spans cover the spoken number's words (as the stored transcript timed them)
    with server.sql() as c:
        data = json.loads(
            c.execute("SELECT data FROM transcripts WHERE call_id = ?", (call_id,)).fetchone()[0]
        )
    said = [u for u in data["utterances"] if u["speaker"] == "caller" and "5678" in u["text"]]
    assert said, "the seeded transcript should hold the caller's number"
    digits = [w for w in said[0]["words"] if re.search(r"\d", w["w"])]
    assert "".join(re.sub(r"\D", "", w["w"]) for w in digits).endswith("3912345678")
    first, last = digits[0]["start"], digits[-1]["end"]
    assert any(s["start"] <= first - 0.1 + 1e-3 and s["end"] >= last + 0.1 - 1e-3 for s in spans)


def test_masking_finds_numbers_however_they_are_written():
    assert mask_text("回电 13912345678 谢谢") == "回电 139****5678 谢谢"
    assert mask_text("电话139-1234-5678") == "电话139-****-5678"
    assert mask_text("一三九一二三四五六七八") == "一三九****五六七八"
    assert mask_text("幺三九幺二三四五六七八") == "幺三九****五六七八"
    assert mask_text("电话是要3912345678。") == "电话是要39****5678。"  # ASR's 要 for 幺
    # rooms, buildings, years and times are not phone numbers
    for kept in ("四栋二单元三零一", "4-2-301", "2026年11月", "五分钟内到", "楼上七点"):
        assert mask_text(kept) == kept
    # a number the recogniser split over several words is masked across them
    words = [
        {"w": w, "start": i} for i, w in enumerate(["是", "要", "39", "12", "3", "45", "67", "8。"])
    ]
    masked = mask_words(words)
    assert "".join(w["w"] for w in masked) == "是要39****5678。"
    assert [w["start"] for w in masked] == list(range(8))


def test_spoken_numbers_are_located_by_word_times_or_else_by_utterance():
    words = [{"w": w, "start": 1 + i / 10, "end": 1.1 + i / 10, "conf": 1.0}
             for i, w in enumerate(["电话", "是", "要", "39", "12", "3", "45", "67", "8。"])]  # fmt: skip
    utts = [
        {"speaker": "caller", "start": 0.5, "end": 2.5, "text": "电话是要3912345678。",
         "words": words},
        # the agent reads it back but the recogniser gave no word times: whole utterance
        {"speaker": "agent", "start": 3.0, "end": 6.0, "text": "幺三九幺二三四五六七八对吗",
         "words": []},
        {"speaker": "caller", "start": 6.5, "end": 8.0, "text": "四栋二单元三零一",
         "words": []},
    ]  # fmt: skip
    spans = spoken_number_spans({"utterances": utts})
    assert [(s.channel, round(s.start, 6), round(s.end, 6), s.source) for s in spans] == [
        (0, 1.2, 1.9, "word times"),  # from 要 to 8。
        (1, 3.0, 6.0, "utterance (its words have no times)"),
    ]
    assert spans[0].text == "要39****5678。" and spans[1].text == "幺三九****五六七八对吗"


def test_tag_and_export_a_training_pack_with_numbers_masked(seeded_console, seeded, page):
    calls = seeded[1].calls
    login(page, seeded_console, "trainer1")
    _tag(page, seeded_console, calls["two_party"], "training", "地址确认得好；回拨 13912345678")
    assert "training" in page.inner_text(".tags-card")
    _tag(page, seeded_console, calls["noise"], "training", "投诉处理示范")
    # retagging updates the note (one row per call and tag)
    _tag(page, seeded_console, calls["noise"], "training", "投诉处理示范 (噪音)")
    with seeded_console.sql() as c:
        rows = c.execute("SELECT call_id, note, by FROM call_tags ORDER BY call_id").fetchall()
        logged = c.execute("SELECT subject FROM access_log WHERE action = 'tag'").fetchall()
    assert len(logged) == 3
    assert rows == [
        (calls["noise"], "投诉处理示范 (噪音)", "trainer1"),
        (calls["two_party"], "地址确认得好；回拨 13912345678", "trainer1"),
    ]
    # a tag removed from the replay page is gone (and not exported)
    _tag(page, seeded_console, calls["corridor"], "training", "误标")
    page.locator(".tagrow", has_text="误标").locator("button").click()
    page.wait_for_load_state()
    assert "误标" not in page.inner_text(".tags-card")
    page.goto(seeded_console.url + "/training")
    assert page.locator("table.tagged tbody tr").count() == 2
    screenshot(page, "training")
    with page.expect_download() as dl:
        page.click("#pack-tag")
    blob = open(dl.value.path(), "rb").read()
    z = zipfile.ZipFile(io.BytesIO(blob))
    names = set(z.namelist())
    for cid in (calls["two_party"], calls["noise"]):
        for part in ("audio.wav", "transcript.json", "transcript.txt", "entry.json"):
            assert f"call-{cid}/{part}" in names
    # no resident's number in any text, however written (the caller said hers aloud)
    texts = {n: z.read(n).decode() for n in names if not n.endswith(".wav")}
    for name, text in texts.items():
        for number in SEEDED_NUMBERS:
            assert number not in text and number[1:] not in text, (name, number)
        assert not re.search(r"(?<![\da-f])1[3-9]\d{9}(?!\d)", text), name
    two = f"call-{calls['two_party']}"
    assert "39****5678" in texts[f"{two}/transcript.txt"]
    entry = json.loads(texts[f"{two}/entry.json"])
    assert entry["caller_phone"] == "139****5678" and entry["status"] == "registered"
    assert (
        "客服 Agent" in texts[f"{two}/transcript.txt"]
        and "来电 Caller" in texts[f"{two}/transcript.txt"]
    )
    # the audio: the number the caller said is a tone, the rest is the recording
    manifest = json.loads(texts["manifest.json"])
    _check_audio_masked(seeded_console, z, manifest, calls["two_party"])
    # a call where nobody said a number: the audio is the recording, byte for byte
    noise = {c["id"]: c for c in manifest["calls"]}[calls["noise"]]
    assert noise["audio_masked"] == [] and noise["audio_sha256"] == noise["recording_sha256"]
    rel, _ = _recording(seeded_console, calls["noise"])
    assert z.read(noise["audio"]) == (seeded_console.data_dir / "recordings" / rel).read_bytes()
    # the export is in the access log: who, what
    with seeded_console.sql() as c:
        logged = c.execute(
            "SELECT username, subject, detail FROM access_log WHERE action = 'export'"
        ).fetchall()
    assert len(logged) == 1 and logged[0][:2] == ("trainer1", "training-training")
    assert sorted(json.loads(logged[0][2])["calls"]) == sorted([calls["two_party"], calls["noise"]])


def test_qa_sample_records_its_criteria_and_is_reproducible(seeded_console, seeded, page):
    calls = seeded[1].calls
    today = datetime.now(UTC).date()
    login(page, seeded_console, "trainer1")

    def draw(seed: str, size: str = "1") -> int:
        page.goto(seeded_console.url + "/training")
        page.fill("#sample-form input[name=agent]", "agent1")
        page.fill("#sample-form input[name=from]", str(today - timedelta(days=2)))
        page.fill("#sample-form input[name=to]", str(today + timedelta(days=1)))
        page.fill("#sample-form input[name=size]", size)
        page.select_option("#sample-form select[name=outcome]", "answered")
        page.fill("#sample-form input[name=seed]", seed)
        page.click("#sample-form button[type=submit]")
        page.wait_for_load_state()
        assert re.search(r"/training/samples/\d+$", page.url), page.url
        return int(page.url.rsplit("/", 1)[1])

    first = draw("42")
    assert "✓" in page.inner_text("#reproducible")
    assert "agent1" in page.inner_text("#criteria") and "42" in page.inner_text("#criteria")
    second = draw("42")
    with seeded_console.sql() as c:
        rows = {
            i: (json.loads(crit), json.loads(ids))
            for i, crit, ids in c.execute("SELECT id, criteria, call_ids FROM qa_samples")
        }
    crit, ids = rows[first]
    assert {k: crit[k] for k in ("agent", "size", "outcome", "seed")} == {
        "agent": "agent1", "size": 1, "outcome": "answered", "seed": 42,
    }  # fmt: skip
    assert crit["from"] == str(today - timedelta(days=2))
    # agent1 registered the entries of two calls: the draw is random.Random(seed) over them
    candidates = sorted([calls["noise"], calls["two_party"]])
    assert ids == sorted(random.Random(42).sample(candidates, 1))
    assert rows[second][1] == ids  # same criteria and seed → same calls
    # a bigger sample than there are calls takes them all; an empty seed gets one drawn
    third = draw("", size="5")
    with seeded_console.sql() as c:
        crit3, ids3 = (json.loads(v) for v in c.execute(
            "SELECT criteria, call_ids FROM qa_samples WHERE id = ?", (third,)).fetchone())  # fmt: skip
    assert ids3 == candidates and isinstance(crit3["seed"], int)
    # bad criteria are refused with the reason, and nothing is stored
    page.goto(seeded_console.url + "/training")
    page.fill("#sample-form input[name=agent]", "agent1")
    page.fill("#sample-form input[name=seed]", "not-a-number")
    page.click("#sample-form button[type=submit]")
    page.wait_for_load_state()
    assert "seed='not-a-number'" in page.inner_text(".error")
    with seeded_console.sql() as c:
        assert c.execute("SELECT COUNT(*) FROM qa_samples").fetchone() == (3,)
    # the sample's pack holds just its calls
    resp = page.request.get(f"{seeded_console.url}/training/pack.zip?sample={first}")
    z = zipfile.ZipFile(io.BytesIO(resp.body()))
    assert {n.split("/")[0] for n in z.namelist() if "/" in n} == {f"call-{i}" for i in ids}

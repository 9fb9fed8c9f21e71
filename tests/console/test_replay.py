"""The trainer's call log and replay page, in a real console and a real Chromium, on the
seeded morning (the two_party call: 55 s of real speech on both channels, Whisper word
times).

Playback: the play button is clicked (a user gesture, so Chromium's autoplay policy lets
it play) and the audio really plays, muted by Playwright's --mute-audio; the highlight is
checked at the time the element reports. For exact positions the test sets
``audio.currentTime`` (a real seek of the real element) and waits for its ``seeked``
event, which drives the same highlight code as playback does.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.console.conftest import login, screenshot


def _access(server, action: str) -> list[tuple[str, str]]:
    with server.sql() as c:
        rows = c.execute(
            "SELECT username, subject FROM access_log WHERE action = ? ORDER BY id", (action,)
        )
        return list(rows)


def _recording(server, call_id: int):
    with server.sql() as c:
        (rel,) = c.execute("SELECT recording_path FROM calls WHERE id = ?", (call_id,)).fetchone()
    return server.data_dir / "recordings" / rel


def _open_replay(page, server, call_id: int) -> None:
    page.goto(f"{server.url}/calls/{call_id}")
    page.wait_for_selector("#wave[data-ready='1']")
    page.wait_for_function("() => document.getElementById('audio') !== null")


def _lane_ink(page) -> list[int]:
    """Pixels drawn in the darker waveform colours per lane (caller top, agent bottom)."""
    return page.evaluate(
        """() => {
        const c = document.getElementById('wave');
        const g = c.getContext('2d');
        const h = c.height, w = c.width, counts = [0, 0];
        const data = g.getImageData(0, 0, w, h).data;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x += 2) {
          const i = (y * w + x) * 4;
          const light = data[i] > 235 && data[i + 1] > 235 && data[i + 2] > 235;
          if (!light && y !== Math.floor(h / 2)) counts[y < h / 2 ? 0 : 1]++;
        }
        return counts;
    }"""
    )


def test_replay_shows_both_channels_and_the_transcript_by_speaker(seeded_console, seeded, page):
    call = seeded[1].calls["two_party"]
    login(page, seeded_console, "trainer1")
    _open_replay(page, seeded_console, call)
    # both channels have speech in the peaks the server computed from the recording
    peaks = page.request.get(f"{seeded_console.url}/calls/{call}/peaks.json").json()
    assert len(peaks["channels"]) == 2 and 54 < peaks["duration"] < 56
    loud = [max(ch["max"]) / peaks["scale"] for ch in peaks["channels"]]
    assert all(v > 0.1 for v in loud), loud
    # computed once, kept on disk by the recording's SHA-256 (replay start never recomputes)
    with seeded_console.sql() as c:
        (sha,) = c.execute("SELECT recording_sha256 FROM calls WHERE id = ?", (call,)).fetchone()
    cached = list((seeded_console.data_dir / "cache" / "peaks").glob(f"{sha}.*.json"))
    assert len(cached) == 1 and json.loads(cached[0].read_text())["channels"] == peaks["channels"]
    # … and both lanes of the canvas are drawn
    caller_ink, agent_ink = _lane_ink(page)
    assert caller_ink > 500 and agent_ink > 500, (caller_ink, agent_ink)
    # the transcript by speaker, in time order
    who = page.eval_on_selector_all(
        "#transcript .utt", "us => us.map(u => u.classList.contains('caller') ? 'c' : 'a')"
    )
    assert "c" in who and "a" in who
    assert who[0] == "a"  # the agent's greeting comes first
    assert "二单元" in page.inner_text("#transcript .utt.caller >> nth=0")
    # the call's facts and its ledger entry
    side = page.inner_text("aside").lower()
    assert "139****5678" in side and "entry #" in side and "registered" in side
    # a trainer sees residents' numbers masked everywhere, also where the caller said hers
    assert "3912345678" not in page.inner_text("body")
    assert "39****5678" in page.inner_text("#transcript")
    # a supervisor, who calls residents back, sees them in full
    page.context.clear_cookies()
    login(page, seeded_console, "super1")
    _open_replay(page, seeded_console, call)
    assert "13912345678" in page.inner_text("aside")
    assert "3912345678" in page.inner_text("#transcript")


def test_playing_highlights_the_word_being_said(seeded_console, seeded, page):
    call = seeded[1].calls["two_party"]
    login(page, seeded_console, "trainer1")
    _open_replay(page, seeded_console, call)
    page.click("#play")
    page.wait_for_function("() => document.getElementById('audio').currentTime > 3", timeout=15_000)
    page.click("#play")  # pause
    # the lit word is the last one to start before the playhead (t is in the greeting)
    state = page.evaluate(
        """() => { const a = document.getElementById('audio');
        const starts = [...document.querySelectorAll('.word')].map(w => +w.dataset.s);
        const w = document.querySelector('.word.current');
        return {t: a.currentTime, paused: a.paused, s: w && +w.dataset.s,
                next: Math.min(...starts.filter(s => s > a.currentTime + 1e-3))}; }"""
    )
    assert state["paused"] and state["s"] is not None, state
    assert state["s"] <= state["t"] + 1e-3 < state["next"], state
    # every word, at its middle, is the one highlighted (sampled across the call)
    words = page.eval_on_selector_all(
        "#transcript .word", "ws => ws.map(w => [w.textContent, +w.dataset.s, +w.dataset.e])"
    )
    assert len(words) > 100
    for text, s, e in words[5::23]:
        mid = (s + e) / 2
        page.evaluate(
            """(t) => new Promise(r => { const a = document.getElementById('audio');
            a.addEventListener('seeked', () => r(), {once: true}); a.currentTime = t; })""",
            mid,
        )
        current = page.eval_on_selector(".word.current", "w => [w.textContent, +w.dataset.s]")
        assert current == [text, s], (mid, current, text)
        assert page.eval_on_selector(
            ".word.current", "w => w.closest('.utt').classList.contains('playing')"
        )
    # the playback is in the access log, with who heard which call
    assert ("trainer1", f"call:{call}") in _access(seeded_console, "play")
    screenshot(page, "replay")


def test_clicking_a_word_or_the_waveform_or_a_key_seeks(seeded_console, seeded, page):
    call = seeded[1].calls["two_party"]
    login(page, seeded_console, "trainer1")
    _open_replay(page, seeded_console, call)
    audio_t = "document.getElementById('audio').currentTime"
    word = page.locator("#transcript .utt.agent .word").nth(30)
    start = float(word.get_attribute("data-s"))
    word.click()
    assert page.evaluate(audio_t) == pytest.approx(start, abs=0.02)
    assert word.get_attribute("class") == "word current"
    # an utterance's time seeks to its start
    utt = page.locator("#transcript .utt.caller").nth(1)
    utt.locator("a.t").click()
    assert page.evaluate(audio_t) == pytest.approx(float(utt.get_attribute("data-s")), abs=0.02)
    # the waveform: three quarters of the way across is three quarters into the call
    box = page.locator("#wave").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + 20)
    assert page.evaluate(audio_t) == pytest.approx(55.1 * 0.75, abs=0.5)
    # keyboard: → and ← move 5 s
    before = page.evaluate(audio_t)
    page.keyboard.press("ArrowRight")
    assert page.evaluate(audio_t) == pytest.approx(before + 5, abs=0.05)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(audio_t) == pytest.approx(before - 5, abs=0.05)
    # speed
    page.click(".speed[data-rate='1.5']")
    assert page.evaluate("document.getElementById('audio').playbackRate") == 1.5
    assert page.get_attribute(".speed[data-rate='1.5']", "aria-pressed") == "true"


def test_an_agent_may_not_replay_or_hear_a_call(seeded_console, seeded, page):
    call = seeded[1].calls["two_party"]
    login(page, seeded_console, "agent1")
    for url in (f"/calls/{call}", f"/recordings/{call}.wav", f"/calls/{call}/peaks.json", "/calls"):
        assert page.goto(seeded_console.url + url).status == 403, url
    assert not [r for r in _access(seeded_console, "play") if r[0] == "agent1"]


def test_a_tampered_recording_is_refused_and_the_refusal_logged(seeded_console, seeded, page):
    call = seeded[1].calls["two_party"]
    path = _recording(seeded_console, call)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one sample, in this test's private copy
    path.write_bytes(bytes(data))
    login(page, seeded_console, "trainer1")
    r = page.goto(f"{seeded_console.url}/calls/{call}")
    assert r.status == 409
    assert "does not match its SHA-256" in page.inner_text(".refused")
    assert page.locator("audio").count() == 0
    assert page.request.get(f"{seeded_console.url}/recordings/{call}.wav").status == 409
    assert page.request.get(f"{seeded_console.url}/calls/{call}/peaks.json").status == 409
    refusals = _access(seeded_console, "play_refused")
    assert refusals and all(r == ("trainer1", f"call:{call}") for r in refusals)
    assert not _access(seeded_console, "play")


def test_transcript_text_is_shown_as_text_never_as_markup(seeded_console, seeded, page):
    call = seeded[1].calls["two_party"]
    evil = "<img src=x onerror=\"document.title='pwned'\"><script>alert(1)</script>"
    with seeded_console.sql() as c:
        (raw,) = c.execute("SELECT data FROM transcripts WHERE call_id = ?", (call,)).fetchone()
        data = json.loads(raw)
        data["utterances"][1]["words"][0]["w"] = evil
        data["utterances"][2]["text"] = evil
        data["utterances"][2]["words"] = []
        c.execute("UPDATE transcripts SET data = ? WHERE call_id = ?", (json.dumps(data), call))
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, seeded_console, "trainer1")
    _open_replay(page, seeded_console, call)
    assert page.locator("#transcript img, #transcript script").count() == 0
    assert page.inner_text("#transcript").count("<img src=x") == 2
    assert page.title() != "pwned" and not dialogs


def test_call_log_searches_and_pages_by_keyset(seeded_console, seeded, page):
    ids = seeded[1].calls
    login(page, seeded_console, "trainer1")

    def shown() -> list[int]:
        return [int(t) for t in page.eval_on_selector_all("table.calls tbody td.num.muted",
                                                         "tds => tds.map(t => t.textContent)")]  # fmt: skip

    page.goto(seeded_console.url + "/calls?caller=139")
    assert shown() == [ids["burst_pipe"], ids["two_party"]]  # newest first
    page.goto(seeded_console.url + "/calls?outcome=missed")
    assert shown() == [ids["missed"]]
    # newest first, two a page, "older" follows the last call shown
    page.goto(seeded_console.url + "/calls?n=2")
    seen = shown()
    while page.locator("a[rel=next]").count():
        page.click("a[rel=next]")
        assert re.search(r"before=\d+", page.url)
        seen += shown()
    by_time = ["burst_pipe", "missed", "corridor", "noise", "two_party"]  # 2 min … 3 h ago
    assert seen == [ids[name] for name in by_time]
    page.goto(seeded_console.url + "/calls?n=2&outcome=answered")
    seen = shown()
    while page.locator("a[rel=next]").count():
        page.click("a[rel=next]")
        seen += shown()
    assert seen == [ids[name] for name in by_time if name != "missed"]
    # a bad filter is a clear 400 naming it, not a crash
    bad = page.request.get(seeded_console.url + "/calls?from=yesterday")
    assert bad.status == 400 and "from=&#39;yesterday&#39;" in bad.text()

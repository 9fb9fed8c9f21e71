"""Trainers hear bleeped audio, search by masked numbers and see names masked; every
playback is in the access log whatever its Range — a real console and Chromium on the
seeded morning (the two_party call: the caller says 13912345678)."""

from __future__ import annotations

import io
import json

import numpy as np
import soundfile as sf

from frontdesk.console.bleep import mask_wav, spoken_number_spans
from tests.console.conftest import login


def _stored(server, call_id: int) -> tuple[bytes, dict]:
    with server.sql() as c:
        (rel,) = c.execute("SELECT recording_path FROM calls WHERE id = ?", (call_id,)).fetchone()
        (data,) = c.execute("SELECT data FROM transcripts WHERE call_id = ?", (call_id,)).fetchone()
    return (server.data_dir / "recordings" / rel).read_bytes(), json.loads(data)


def _rows(server, action: str) -> list[tuple]:
    with server.sql() as c:
        return list(
            c.execute(
                "SELECT username, subject, detail FROM access_log WHERE action = ? ORDER BY id",
                (action,),
            )
        )


def test_trainers_hear_and_download_only_the_bleeped_recording(seeded_console, seeded, page):
    call = seeded[1].calls["two_party"]
    original, transcript = _stored(seeded_console, call)
    spans = spoken_number_spans(transcript)
    assert spans, "the seeded caller says her number"
    expected = io.BytesIO()
    rel = seeded_console.data_dir / "recordings"
    with seeded_console.sql() as c:
        (path,) = c.execute("SELECT recording_path FROM calls WHERE id = ?", (call,)).fetchone()
    mask_wav(rel / path, expected, spans)

    login(page, seeded_console, "trainer1")
    url = f"{seeded_console.url}/recordings/{call}.wav"
    played = page.request.get(url).body()
    downloaded = page.request.get(url + "?download=1").body()
    ranged = page.request.get(url, headers={"range": "bytes=1000-"}).body()
    assert played == downloaded == expected.getvalue() != original
    assert ranged == expected.getvalue()[1000:]
    out, rate = sf.read(io.BytesIO(played), dtype="int16")
    orig, _ = sf.read(io.BytesIO(original), dtype="int16")
    for s in spans:  # each number said is a soft tone on the speaker's channel
        seg, ch = slice(int(s.start * rate), int(s.end * rate)), s.channel or 0
        assert not np.array_equal(out[seg, ch], orig[seg, ch])
        assert 0 < np.abs(out[seg, ch]).max() <= 3277
    page.goto(f"{seeded_console.url}/calls/{call}")
    assert "bleeped" in page.inner_text(".player")
    plays = _rows(seeded_console, "play") + _rows(seeded_console, "download")
    assert plays and all(json.loads(d).get("bleeped") for _, _, d in plays)

    # a supervisor hears the stored recording as it is
    page.context.clear_cookies()
    login(page, seeded_console, "super1")
    assert page.request.get(url).body() == original


def test_trainers_cannot_hear_a_call_not_yet_transcribed(seeded_console, seeded, page):
    call = seeded[1].calls["noise"]
    with seeded_console.sql() as c:
        c.execute("DELETE FROM transcripts WHERE call_id = ?", (call,))
    login(page, seeded_console, "trainer1")
    r = page.request.get(f"{seeded_console.url}/recordings/{call}.wav")
    assert r.status == 409 and "not transcribed" in r.text()
    page.goto(f"{seeded_console.url}/calls/{call}")
    assert page.locator("audio").count() == 0
    assert "not transcribed yet" in page.inner_text("main")


def test_trainers_search_by_the_masked_number_only(seeded_console, seeded, page):
    ids = seeded[1].calls
    login(page, seeded_console, "trainer1")

    def shown(query: str) -> list[int]:
        r = page.goto(f"{seeded_console.url}/calls?{query}")
        assert r.status == 200, query
        return [int(t) for t in page.eval_on_selector_all(
            "table.calls tbody td.num.muted", "tds => tds.map(t => t.textContent)")]  # fmt: skip

    assert shown("caller=139****5678") == [ids["burst_pipe"], ids["two_party"]]
    assert shown("caller=139%2A%2A%2A%2A5679") == []
    assert shown("caller=139") == [ids["burst_pipe"], ids["two_party"]]
    # digits a trainer cannot see are not searchable: no prefix walk to the full number
    for probe in ("1391", "1391234", "13912345678", "139*1234*678", "1******5678"):
        r = page.request.get(f"{seeded_console.url}/calls", params={"caller": probe})
        assert r.status == 400, probe
        assert "masked" in r.text()
    searches = [json.loads(d)["caller"] for u, s, d in _rows(seeded_console, "search")]
    assert "1391" in searches and "139****5678" in searches
    # a supervisor still finds a resident by the first digits
    page.context.clear_cookies()
    login(page, seeded_console, "super1")
    assert shown("caller=1391234") == [ids["burst_pipe"], ids["two_party"]]


def test_trainers_see_caller_names_with_digits_masked(seeded_console, seeded, page):
    call = seeded[1].calls["two_party"]
    with seeded_console.sql() as c:  # a CDR's CLID name is often the number itself
        c.execute("UPDATE calls SET caller_name = '13912345678' WHERE id = ?", (call,))
    login(page, seeded_console, "trainer1")
    for url in ("/calls", f"/calls/{call}"):
        page.goto(seeded_console.url + url)
        text = page.inner_text("main")
        assert "13912345678" not in text and "139****5678" in text, url
    page.context.clear_cookies()
    login(page, seeded_console, "super1")
    page.goto(seeded_console.url + "/calls")
    assert "13912345678" in page.inner_text("main")


def test_every_playback_is_logged_once_whatever_its_range(seeded_console, seeded, browser):
    call = seeded[1].calls["two_party"]
    url = f"{seeded_console.url}/recordings/{call}.wav"
    for rng in ("bytes=00-", "bytes=1-", "bytes=0-", None):
        ctx = browser.new_context()
        page = ctx.new_page()
        login(page, seeded_console, "super1")
        before = len(_rows(seeded_console, "play"))
        headers = {"range": rng} if rng else {}
        assert page.request.get(url, headers=headers).status in (200, 206)
        # the same playback seeking on: no more rows
        page.request.get(url, headers={"range": "bytes=5000-"})
        page.request.get(url, headers={"range": "bytes=0-"})
        assert len(_rows(seeded_console, "play")) == before + 1, rng
        ctx.close()


def test_an_edit_with_its_mtime_put_back_or_a_missing_hash_is_refused(seeded_console, seeded, page):
    import os

    call = seeded[1].calls["two_party"]
    with seeded_console.sql() as c:
        (rel,) = c.execute("SELECT recording_path FROM calls WHERE id = ?", (call,)).fetchone()
    path = seeded_console.data_dir / "recordings" / rel
    login(page, seeded_console, "super1")
    url = f"{seeded_console.url}/recordings/{call}.wav"
    assert page.request.get(url).status == 200  # hashed once and remembered
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # same size …
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # … and the mtime put back
    assert page.request.get(url).status == 409
    noise = seeded[1].calls["noise"]
    with seeded_console.sql() as c:
        c.execute("UPDATE calls SET recording_sha256 = NULL WHERE id = ?", (noise,))
    r = page.request.get(f"{seeded_console.url}/recordings/{noise}.wav")
    assert r.status == 409 and "no SHA-256" in r.text()

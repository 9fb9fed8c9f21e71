"""The supervisor's audit pages in a real Chromium against a real console process, on the
seeded morning (tests/console/seed.py): findings by kind, one finding with its call,
recording, transcript and entry side by side, resolving with a note, CSV export, roles."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.console.conftest import ledger, login, screenshot

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def _findings(data_dir: Path, **where) -> list:
    from ledger.models import Finding

    with ledger(data_dir)() as s:
        q = select(Finding).order_by(Finding.id)
        for k, v in where.items():
            q = q.where(getattr(Finding, k) == v)
        return list(s.scalars(q))


def _access(data_dir: Path, action: str) -> list:
    from ledger.models import AccessLog

    with ledger(data_dir)() as s:
        return list(s.scalars(select(AccessLog).where(AccessLog.action == action)))


def _cookie_header(page) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())}


def test_supervisor_sees_findings_by_kind_and_resolves_one(seeded_console, seeded, page):
    data_dir, info = seeded
    login(page, seeded_console, "super1")
    assert page.url.endswith("/audit")
    # the seeded findings, counted per kind in the chips and listed in the table
    unlogged = {f.call_id: f for f in _findings(data_dir, kind="UNLOGGED_CALL", status="open")}
    assert set(unlogged) == {info.calls["burst_pipe"], info.calls["corridor"]}
    [slow] = _findings(data_dir, kind="SLOW_ANSWER", status="open")
    assert slow.call_id == info.calls["corridor"]
    assert page.inner_text('.chip[data-kind="UNLOGGED_CALL"] b') == "2"
    assert page.inner_text('.chip[data-kind="SLOW_ANSWER"] b') == "1"
    shown = {int(x) for x in page.eval_on_selector_all("tr[data-finding]",
                                                        "rs => rs.map(r => r.dataset.finding)")}  # fmt: skip
    assert {f.id for f in unlogged.values()} | {slow.id} <= shown
    screenshot(page, "audit")

    # the kind chip filters the list
    page.click('.chip[data-kind="SLOW_ANSWER"]')
    page.wait_for_load_state()
    kinds = page.eval_on_selector_all("tr[data-finding]", "rs => rs.map(r => r.dataset.kind)")
    assert kinds == ["SLOW_ANSWER"]

    # one finding: the call, its recording, its transcript and its (draft) entry side by side
    target = unlogged[info.calls["burst_pipe"]]
    page.goto(f"{seeded_console.url}/audit/{target.id}")
    assert "13912345678" in page.inner_text(".side-call")
    src = page.get_attribute("audio#recording", "src")
    assert src == f"/recordings/{info.calls['burst_pipe']}.wav"
    transcript = page.inner_text(".side-transcript")
    assert "来电人 caller" in transcript and "坐席 agent" in transcript
    assert "水管" in transcript  # the caller's words, as the worker heard them
    entry = page.inner_text(".side-entry")
    assert f"#{info.entries['burst_pipe']}" in entry and "draft" in entry
    assert "未登记 not registered" in entry
    boxes = [page.locator(s).bounding_box() for s in (".side-call", ".side-transcript",
                                                       ".side-entry")]  # fmt: skip
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # side by side, not stacked
    assert abs(boxes[0]["y"] - boxes[2]["y"]) < 2
    screenshot(page, "audit-finding")

    # the recording plays for a supervisor (SHA-verified, Range) and the playback is logged
    r = page.request.get(seeded_console.url + src, headers={"Range": "bytes=0-65535"})
    assert r.status == 206 and len(r.body()) == 65536 and r.body()[:4] == b"RIFF"
    assert any(a.subject == f"call:{info.calls['burst_pipe']}" for a in _access(data_dir, "play"))

    # an empty note is refused; nothing changes
    page.fill("textarea[name=note]", "   ")
    page.eval_on_selector("textarea[name=note]", "t => t.removeAttribute('required')")
    page.click(".resolve-form button[type=submit]")
    page.wait_for_load_state()
    assert "needs a note" in page.inner_text(".resolution")
    assert _findings(data_dir, id=target.id)[0].status == "open"

    note = "已补登记台账；提醒坐席挂机后一分钟内登记"
    page.fill("textarea[name=note]", note)
    page.click(".resolve-form button[type=submit]")
    page.wait_for_load_state()
    res = page.inner_text(".resolution")
    assert "resolved" in res and note in res and "李主管" in res
    [stored] = _findings(data_dir, id=target.id)
    assert (stored.status, stored.resolved_by, stored.note) == ("resolved", "super1", note)
    assert any(a.subject == f"finding:{target.id}" for a in _access(data_dir, "resolve_finding"))

    # gone from the open list, found under resolved
    page.goto(seeded_console.url + "/audit")
    assert page.locator(f'tr[data-finding="{target.id}"]').count() == 0
    assert page.inner_text('.chip[data-kind="UNLOGGED_CALL"] b') == "1"
    page.goto(seeded_console.url + "/audit?status=resolved")
    assert page.locator(f'tr[data-finding="{target.id}"]').count() == 1


def test_resolving_needs_the_csrf_token(seeded_console, seeded, page):
    data_dir, info = seeded
    [f] = _findings(data_dir, kind="SLOW_ANSWER")
    login(page, seeded_console, "super1")
    with httpx.Client(base_url=seeded_console.url, headers=_cookie_header(page)) as c:
        r = c.post(f"/audit/{f.id}/resolve", data={"note": "forged"})
        assert r.status_code == 403
        r = c.post(f"/audit/{f.id}/resolve", data={"note": "forged", "csrf": "nope"})
        assert r.status_code == 403
    assert _findings(data_dir, id=f.id)[0].status == "open"


def test_filters_by_caller_and_date_and_pages_by_keyset(seeded_console, seeded, page):
    from datetime import timedelta

    from ledger.models import Finding

    data_dir, info = seeded
    login(page, seeded_console, "super1")
    page.goto(seeded_console.url + "/audit?caller=13700002222")
    ids = page.eval_on_selector_all("tr[data-finding]", "rs => rs.map(r => +r.dataset.finding)")
    found = [f for f in _findings(data_dir) if f.id in ids]
    assert len(found) == len(ids) and {"SLOW_ANSWER", "UNLOGGED_CALL"} <= {f.kind for f in found}
    assert {f.call_id for f in found} == {info.calls["corridor"]}
    tomorrow = (info.now + timedelta(days=1)).astimezone().date()
    page.goto(f"{seeded_console.url}/audit?from={tomorrow}")
    assert page.locator("tr[data-finding]").count() == 0
    assert "no findings match" in page.inner_text("tbody")
    r = page.goto(seeded_console.url + "/audit?kind=NOT_A_KIND")
    assert r.status == 400 and "NOT_A_KIND" in page.inner_text("main")

    # 70 more open findings: 50 on the first page, the rest behind "Older", none twice
    with ledger(data_dir)() as s:
        for i in range(70):
            s.add(Finding(key=f"LATE_REGISTRATION:x{i}", kind="LATE_REGISTRATION",
                          detail=f"bulk {i}", evidence={}, status="open", detected_at=info.now))  # fmt: skip
        s.commit()
    page.goto(seeded_console.url + "/audit")
    first = page.eval_on_selector_all("tr[data-finding]", "rs => rs.map(r => +r.dataset.finding)")
    page.click("a[rel=next]")
    page.wait_for_load_state()
    rest = page.eval_on_selector_all("tr[data-finding]", "rs => rs.map(r => +r.dataset.finding)")
    assert len(first) == 50 and first == sorted(first, reverse=True)
    assert min(first) > max(rest) and page.locator("a[rel=next]").count() == 0
    assert len(first) + len(rest) == len(_findings(data_dir, status="open"))


def test_csv_export_has_the_filtered_rows_and_is_logged(seeded_console, seeded, page):
    data_dir, info = seeded
    login(page, seeded_console, "super1")
    page.goto(seeded_console.url + "/audit?kind=UNLOGGED_CALL")
    with page.expect_download() as dl:
        page.click("#export")
    raw = Path(dl.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese correctly
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "编号 id" and "类型 label" in header
    expected = _findings(data_dir, kind="UNLOGGED_CALL", status="open")
    assert sorted(int(r[0]) for r in body) == sorted(f.id for f in expected)
    assert all(r[1] == "UNLOGGED_CALL" and r[2] == "未登记来电" for r in body)
    callers = {r[header.index("来电号码 caller")] for r in body}
    assert callers == {"13912345678", "13700002222"}
    [logged] = _access(data_dir, "export")
    assert logged.username == "super1" and logged.subject == "findings"
    assert logged.detail["rows"] == len(expected) and logged.detail["kind"] == "UNLOGGED_CALL"


@pytest.mark.parametrize("username", ["agent1", "trainer1"])
def test_agents_and_trainers_are_refused_the_audit(seeded_console, seeded, page, username):
    data_dir, _ = seeded
    [f] = _findings(data_dir, kind="SLOW_ANSWER")
    login(page, seeded_console, username)
    for path in ("/audit", f"/audit/{f.id}", "/audit/export.csv", "/kpi"):
        assert page.goto(seeded_console.url + path).status == 403, path
    with httpx.Client(base_url=seeded_console.url, headers=_cookie_header(page)) as c:
        csrf = page.get_attribute('meta[name="csrf-token"]', "content")
        r = c.post(f"/audit/{f.id}/resolve", data={"note": "x", "csrf": csrf})
        assert r.status_code == 403
    assert _findings(data_dir, id=f.id)[0].status == "open"
    assert not _access(data_dir, "export")


def test_finding_and_transcript_text_is_shown_as_text(seeded_console, seeded, page):
    from ledger.models import Finding, Transcript

    data_dir, info = seeded
    [f] = _findings(data_dir, kind="SLOW_ANSWER")
    with ledger(data_dir)() as s:
        s.get(Finding, f.id).detail = "detail " + XSS
        row = s.scalar(select(Transcript).where(Transcript.call_id == f.call_id))
        data = copy.deepcopy(row.data)
        data["utterances"][0]["text"] = "said " + XSS
        row.data = data
        s.commit()
    login(page, seeded_console, "super1")
    page.goto(seeded_console.url + "/audit")
    assert XSS in page.inner_text(f'tr[data-finding="{f.id}"]')
    page.goto(f"{seeded_console.url}/audit/{f.id}")
    assert XSS in page.inner_text(".finding-detail")
    assert XSS in page.inner_text(".side-transcript")
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img").count() == 0


def test_rerun_reconcile_keeps_findings_and_is_logged(seeded_console, seeded, page):
    data_dir, info = seeded
    before = {f.key for f in _findings(data_dir, status="open")}
    login(page, seeded_console, "super1")
    page.click("text=Re-run reconcile")
    page.wait_for_load_state()
    assert "reconcile done" in page.inner_text(".notice")
    after = {f.key for f in _findings(data_dir, status="open")}
    assert before <= after  # idempotent: what was open is still open
    assert _access(data_dir, "reconcile")

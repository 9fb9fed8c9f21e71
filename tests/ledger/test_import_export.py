"""Spreadsheet ledgers and PBX call records in and out, through the real CLI and SQLite."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf
from openpyxl import Workbook

from tests.conftest import frontdesk, frontdesk_json

SHEET = """登记时间,来源,电话,姓名,楼栋,单元,房号,类别,内容,派单部门,状态,回访时间
2026-10-03 09:12,来电,13800138000,王先生,4,2,301,报修,厨房水管漏水,工程维修部,已关闭,2026-10-03 11:00
2026/10/04 14:30,来访,,李女士,6,1,502,投诉,楼上装修太吵,安管部,已登记,
2026-10-05 08:00,来电,13900000000,,,,,咨询,物业费怎么交,客服中心,已关闭,
"""


def test_csv_with_chinese_headers_round_trip_and_idempotent(tmp_path):
    var = tmp_path / "var"
    f = tmp_path / "october.csv"
    f.write_text(SHEET, encoding="utf-8")
    r = json.loads(frontdesk(var, "ledger", "import", str(f), "--format", "json").stdout)
    assert (r["rows"], r["imported"], r["errors"]) == (3, 3, [])
    again = json.loads(frontdesk(var, "ledger", "import", str(f), "--format", "json").stdout)
    assert (again["imported"], again["unchanged"]) == (0, 3)
    rows = frontdesk_json(var, "ledger", "list")
    assert len(rows) == 3
    wang = next(e for e in rows if e["caller_name"] == "王先生")
    assert (wang["address"], wang["status"], wang["category"]) == ("4-2-301", "closed", "报修")
    out = tmp_path / "out.csv"
    frontdesk(var, "ledger", "export", str(out))
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("登记时间,来源,电话,姓名,楼栋,单元,房号")
    assert "已关闭" in text and "厨房水管漏水" in text
    # the export imports into a fresh ledger as the same three entries
    var2 = tmp_path / "var2"
    assert (
        json.loads(frontdesk(var2, "ledger", "import", str(out), "--format", "json").stdout)[
            "imported"
        ]
        == 3
    )


def test_gbk_csv_from_excel_is_read(tmp_path):
    f = tmp_path / "gbk.csv"
    f.write_bytes(SHEET.encode("gb18030"))
    r = json.loads(
        frontdesk(tmp_path / "var", "ledger", "import", str(f), "--format", "json").stdout
    )
    assert r["imported"] == 3


def test_one_bad_row_imports_nothing_and_names_every_bad_row(tmp_path):
    var = tmp_path / "var"
    bad = SHEET + "昨天下午,来电,1,张,1,1,101,报修,灯坏了,工程维修部,已登记,\n" + \
        "2026-10-06 10:00,来电,1,张,1,1,101,维修,灯坏了,工程维修部,已登记,\n"  # fmt: skip
    f = tmp_path / "bad.csv"
    f.write_text(bad, encoding="utf-8")
    r = frontdesk(var, "ledger", "import", str(f), "--format", "json", check=False)
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert report["imported"] == 0
    assert [e["row"] for e in report["errors"]] == [5, 6]
    assert "昨天下午" in report["errors"][0]["error"] and "维修" in report["errors"][1]["error"]
    assert frontdesk_json(var, "ledger", "list") == []


def test_xlsx_with_english_headers(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "registered at",
            "source",
            "phone",
            "building",
            "unit",
            "room",
            "category",
            "content",
            "status",
        ]
    )
    ws.append(
        [
            "2026-10-03 09:12:00",
            "来电",
            "13800138000",
            4,
            2,
            301,
            "报修",
            "sink leaking",
            "registered",
        ]
    )
    f = tmp_path / "l.xlsx"
    wb.save(f)
    var = tmp_path / "var"
    assert (
        json.loads(frontdesk(var, "ledger", "import", str(f), "--format", "json").stdout)[
            "imported"
        ]
        == 1
    )
    [e] = frontdesk_json(var, "ledger", "list")
    assert e["address"] == "4-2-301" and e["room"] == "301"
    out = tmp_path / "out.xlsx"
    frontdesk(var, "ledger", "export", str(out), "--lang", "en")
    from openpyxl import load_workbook

    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0] == "registered at" and rows[1][9] == "sink leaking"


def test_broken_xlsx_is_a_clear_error(tmp_path):
    f = tmp_path / "broken.xlsx"
    f.write_bytes(b"PK\x03\x04 not really")
    r = frontdesk(tmp_path / "var", "ledger", "import", str(f), check=False)
    assert r.returncode == 2 and "not a readable XLSX" in r.stderr


CDR = (
    '"","13800138000","8001","from-external","""Wang"" <13800138000>","SIP/trunk-0001","SIP/8001-0002",'
    '"Dial","SIP/8001","2026-10-03 09:12:00","2026-10-03 09:12:08","2026-10-03 09:14:00",120,112,'
    '"ANSWERED","DOCUMENTATION","1696324320.42",""\n'
    '"","13900000000","8001","from-external","","SIP/trunk-0003","","Dial","SIP/8001",'
    '"2026-10-03 10:00:00","","2026-10-03 10:00:20",20,0,"NO ANSWER","DOCUMENTATION","1696327200.43",""\n'
)


def test_asterisk_cdr_with_recordings(tmp_path):
    rec_dir = tmp_path / "monitor"
    rec_dir.mkdir()
    sf.write(rec_dir / "in-8001-13800138000-20261003-091208-1696324320.42.wav",
             np.zeros(8000, np.int16), 8000, subtype="PCM_16")  # fmt: skip
    master = tmp_path / "Master.csv"
    master.write_text(CDR, encoding="utf-8")
    var = tmp_path / "var"
    r = json.loads(frontdesk(var, "calls", "import", "--cdr", str(master), "--recordings", str(rec_dir),
                             "--format", "json").stdout)  # fmt: skip
    assert (r["imported"], r["with_recording"], r["errors"]) == (2, 1, [])
    calls = {c["sip_call_id"]: c for c in frontdesk_json(var, "calls", "list")}
    answered, missed = calls["1696324320.42"], calls["1696327200.43"]
    assert answered["outcome"] == "answered" and answered["caller_name"] == "Wang"
    assert answered["recording"]["sample_rate"] == 8000
    assert (var / "recordings" / answered["recording"]["path"]).is_file()
    assert missed["outcome"] == "missed" and missed["recording"] is None
    again = json.loads(
        frontdesk(var, "calls", "import", "--cdr", str(master), "--format", "json").stdout
    )
    assert (again["imported"], again["unchanged"]) == (0, 2)


def test_malformed_cdr_imports_nothing(tmp_path):
    master = tmp_path / "Master.csv"
    master.write_text(CDR + '"","1","2","ctx"\n' + CDR.splitlines()[0].replace("ANSWERED", "MAYBE") + "\n",
                      encoding="utf-8")  # fmt: skip
    var = tmp_path / "var"
    r = frontdesk(var, "calls", "import", "--cdr", str(master), "--format", "json", check=False)
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert [e["line"] for e in report["errors"]] == [3, 4]
    assert "MAYBE" in report["errors"][1]["error"]
    assert frontdesk_json(var, "calls", "list") == []


# A front desk's own sheet: a title row, 序号, the day and the time in two columns, 来源方式,
# rooms typed 301室, 是否紧急, and the status words real ledgers use.
REAL_SHEET = """阳光花园客服中心来电登记台账（2026年10月）,,,,,,,,,,,,,
序号,日期,时间,来源方式,联系电话,业主姓名,楼栋,单元,房号,类别,内容,是否紧急,状态,回访结果
1,2026-10-03,09:12,电话,13800138000,王先生,4栋,2,301室,报修,厨房水管漏水,否,已结案,满意
2,2026/10/04,14:30,上门,,李女士,6,1单元,502,投诉,楼上装修太吵,否,办结,基本满意
3,2026-10-05,8:00,来电,13900000000,,,,,咨询,物业费怎么交,否,已处理,
4,2026-10-05,10:05,来电,13700000000,赵,5,3,1102,报修,楼道灯不亮,否,跟进,
5,2026-10-05,11:20,来电,13600000000,孙,2,1,201,报修,家里停电,紧急,已返单,
6,2026-10-06,09:00,来电,13500000000,周,1,1,101,报修,马桶堵了,否,满意,
"""


def test_a_real_ledgers_words_are_read_and_reported(tmp_path):
    var = tmp_path / "var"
    f = tmp_path / "台账.csv"
    f.write_text(REAL_SHEET, encoding="utf-8")
    r = json.loads(frontdesk(var, "ledger", "import", str(f), "--format", "json").stdout)
    assert (r["rows"], r["imported"], r["errors"]) == (6, 6, [])
    mapped = {(m["column"], m["value"]): (m["as"], m["rows"]) for m in r["mapped"]}
    assert mapped[("状态", "已结案")] == ("closed", 1)
    assert mapped[("状态", "办结")] == ("closed", 1)
    assert mapped[("状态", "跟进")] == ("in_progress", 1)
    assert mapped[("来源方式", "上门")] == ("来访", 1)
    assert mapped[("房号", "301室")] == ("301", 1)
    assert mapped[("状态", "满意")] == ("called_back", 1)
    # the product's own words are no mapping
    assert ("状态", "已返单") not in mapped and ("回访结果", "基本满意") not in mapped
    assert "序号" in r["ignored_columns"]
    by_phone = {e["caller_phone"]: e for e in frontdesk_json(var, "ledger", "list")}
    wang = by_phone["13800138000"]
    assert (wang["address"], wang["status"], wang["callback_result"]) == (
        "4-2-301",
        "closed",
        "satisfied",
    )
    assert wang["created_at"].startswith("2026-10-0")
    from datetime import datetime

    local = datetime.fromisoformat(wang["created_at"]).astimezone()
    assert (local.day, local.hour, local.minute) == (3, 9, 12)  # 日期 + 时间 in two columns
    li = next(e for e in by_phone.values() if e["caller_name"] == "李女士")
    assert (li["source"], li["unit"], li["status"]) == ("来访", "1", "closed")
    assert (
        by_phone["13600000000"]["urgent"] is True
        and by_phone["13600000000"]["status"] == "returned"
    )
    assert by_phone["13700000000"]["status"] == "in_progress"
    zhou = by_phone["13500000000"]  # 满意 as a status: called back, satisfied
    assert (zhou["status"], zhou["callback_result"]) == ("called_back", "satisfied")


def test_more_spellings_do_not_let_real_errors_through(tmp_path):
    var = tmp_path / "var"
    lines = REAL_SHEET.splitlines()
    bad = [*lines[:3],
           "7,2026-10-06,09:00,来电,1,周,1,1,101,报修,马桶堵了,否,搞定了,",  # status unknown
           "8,2026-10-06,09:00,来电,1,周,1,1,101,报修,马桶堵了,也许,已结案,",  # urgent unclear
           "9,,09:00,来电,1,周,1,1,101,报修,马桶堵了,否,已结案,",  # a time without a day
           "10,2026-10-06,昨天,来电,1,周,1,1,101,报修,马桶堵了,否,已结案,",  # no time
           "11,2026-10-06,09:00,来信,1,周,1,1,101,报修,马桶堵了,否,已结案,",  # source unknown
           "12,2026-10-06,09:00,来电,1,周,1,1,101,报修,马桶堵了,否,已结案,很好"]  # fmt: skip
    f = tmp_path / "bad.csv"
    f.write_text("\n".join(bad) + "\n", encoding="utf-8")
    r = frontdesk(var, "ledger", "import", str(f), "--format", "json", check=False)
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert report["imported"] == 0
    assert [e["row"] for e in report["errors"]] == [4, 5, 6, 7, 8, 9]
    errors = [e["error"] for e in report["errors"]]
    for i, word in enumerate(["搞定了", "也许", "no date", "昨天", "来信", "很好"]):
        assert word in errors[i], (word, errors[i])
    assert frontdesk_json(var, "ledger", "list") == []


def _cdr_line(uid: str, src: str, start: str, answer: str, end: str, disposition: str,
              dst: str = "8001", context: str = "from-external") -> str:  # fmt: skip
    return (f'"","{src}","{dst}","{context}","","SIP/trunk-{uid}","SIP/{dst}-{uid}","Dial","SIP/{dst}",'
            f'"{start}","{answer}","{end}",0,0,"{disposition}","DOCUMENTATION","{uid}",""\n')  # fmt: skip


def test_pbx_calls_get_rings_from_the_configured_cadence(tmp_path):
    """China 1 s on / 4 s off: rings start at 0, 5, 10, 15 s, so a call answered 14 s after
    it started rang 3 times and one answered at 15 s rang 4 times (SLOW_ANSWER); a missed
    call rang until it ended. The same CDR with the North American cadence (2 s / 4 s)
    counts 3 rings at 15 s."""
    master = tmp_path / "Master.csv"
    master.write_text(
        _cdr_line("1700000000.1", "13800000001", "2026-10-03 09:00:00", "2026-10-03 09:00:14",
                  "2026-10-03 09:02:00", "ANSWERED")
        + _cdr_line("1700000000.2", "13800000002", "2026-10-03 10:00:00", "2026-10-03 10:00:15",
                    "2026-10-03 10:02:00", "ANSWERED")
        + _cdr_line("1700000000.3", "13800000003", "2026-10-03 11:00:00", "",
                    "2026-10-03 11:00:21", "NO ANSWER"),
        encoding="utf-8",
    )  # fmt: skip
    var = tmp_path / "var"
    frontdesk(var, "calls", "import", "--cdr", str(master))
    rings = {c["caller"]: c["rings"] for c in frontdesk_json(var, "calls", "list")}
    assert rings == {"13800000001": 3, "13800000002": 4, "13800000003": 5}
    found = frontdesk_json(var, "reconcile", "--all", check=False)
    slow = [f for f in found if f["kind"] == "SLOW_ANSWER"]
    assert [f["evidence"]["rings"] for f in slow] == [4]
    [missed] = [f for f in found if f["kind"] == "MISSED_NO_CALLBACK"]
    assert missed["evidence"]["rings"] == 5

    na = tmp_path / "na"
    na.mkdir()
    (na / "frontdesk.toml").write_text("[phone]\nring_on = 2.0\nring_off = 4.0\n")
    frontdesk(na, "calls", "import", "--cdr", str(master))
    rings = {c["caller"]: c["rings"] for c in frontdesk_json(na, "calls", "list")}
    assert rings == {"13800000001": 3, "13800000002": 3, "13800000003": 4}


def test_an_answered_call_without_its_recording_is_recording_missing(tmp_path):
    """The PBX answered a resident's call but no recording file came with it: the call is
    stored without one and flagged RECORDING_MISSING. The desk's own outbound call (8001 to
    a resident) and a colleague's internal call (8002 to 8001) are not recorded on this PBX
    (``outbound_recorded`` false): no finding, until the site says outbound calls are."""
    rec_dir = tmp_path / "monitor"
    rec_dir.mkdir()
    sf.write(rec_dir / "in-8001-13800000001-1700000000.1.wav", np.zeros(8000, np.int16), 8000,
             subtype="PCM_16")  # fmt: skip
    master = tmp_path / "Master.csv"
    master.write_text(
        _cdr_line("1700000000.1", "13800000001", "2026-10-03 09:00:00", "2026-10-03 09:00:05",
                  "2026-10-03 09:00:06", "ANSWERED")
        + _cdr_line("1700000000.2", "13800000002", "2026-10-03 10:00:00", "2026-10-03 10:00:05",
                    "2026-10-03 10:02:00", "ANSWERED")
        + _cdr_line("1700000000.3", "8001", "2026-10-03 11:00:00", "2026-10-03 11:00:09",
                    "2026-10-03 11:01:00", "ANSWERED", dst="13800000003", context="from-internal")
        + _cdr_line("1700000000.4", "8002", "2026-10-03 12:00:00", "2026-10-03 12:00:03",
                    "2026-10-03 12:01:00", "ANSWERED", context="from-internal"),
        encoding="utf-8",
    )  # fmt: skip
    var = tmp_path / "var"
    r = json.loads(frontdesk(var, "calls", "import", "--cdr", str(master), "--recordings",
                             str(rec_dir), "--format", "json").stdout)  # fmt: skip
    assert (r["imported"], r["with_recording"]) == (4, 1)
    calls = {c["sip_call_id"]: c for c in frontdesk_json(var, "calls", "list")}
    assert [calls[f"1700000000.{i}"]["direction"] for i in (1, 2, 3, 4)] == [
        "in", "in", "out", "internal"]  # fmt: skip
    missing = [f for f in frontdesk_json(var, "reconcile", check=False)
               if f["kind"] == "RECORDING_MISSING"]  # fmt: skip
    assert [f["call_id"] for f in missing] == [calls["1700000000.2"]["id"]]
    (var / "frontdesk.toml").write_text("[ledger]\noutbound_recorded = true\n")
    missing = [f for f in frontdesk_json(var, "reconcile", check=False)
               if f["kind"] == "RECORDING_MISSING"]  # fmt: skip
    assert sorted(f["call_id"] for f in missing) == sorted(
        calls[f"1700000000.{i}"]["id"] for i in (2, 3))  # fmt: skip


def test_work_done_column_is_imported_exported_and_starts_the_callback_clock(tmp_path):
    """返单时间 / 完成时间 (work done) is read, so the 2-hour callback rule is checked: a
    callback 2 h 01 min after the work was done is CALLBACK_OVERDUE, one at 1 h 59 min is
    not. The export writes the column back and re-imports the same."""
    sheet = (
        "登记时间,电话,楼栋,单元,房号,类别,内容,状态,完成时间,回访时间,回访结果\n"
        "2026-10-03 09:12,13800000001,4,2,301,报修,厨房水管漏水,已结案,2026-10-03 10:00,2026-10-03 12:01,满意\n"
        "2026-10-03 09:30,13800000002,4,2,302,报修,卫生间灯不亮,已结案,2026-10-03 10:00,2026-10-03 11:59,满意\n"
    )  # fmt: skip
    f = tmp_path / "sheet.csv"
    f.write_text(sheet, encoding="utf-8")
    var = tmp_path / "var"
    frontdesk(var, "ledger", "import", str(f))
    entries = {e["caller_phone"]: e for e in frontdesk_json(var, "ledger", "list")}
    assert all(e["returned_at"] for e in entries.values())
    overdue = [f for f in frontdesk_json(var, "reconcile", check=False)
               if f["kind"] == "CALLBACK_OVERDUE"]  # fmt: skip
    assert [f["entry_id"] for f in overdue] == [entries["13800000001"]["id"]]
    out = tmp_path / "out.csv"
    frontdesk(var, "ledger", "export", str(out))
    text = out.read_text(encoding="utf-8-sig")
    assert "返单时间" in text.splitlines()[0] and "2026-10-03 10:00:00" in text
    var2 = tmp_path / "var2"
    frontdesk(var2, "ledger", "import", str(out))
    again = {e["caller_phone"]: e["returned_at"] for e in frontdesk_json(var2, "ledger", "list")}
    assert again == {k: e["returned_at"] for k, e in entries.items()}
    en = tmp_path / "en.csv"
    en.write_text("registered at,phone,category,content,status,completed at\n"
                  "2026-10-04 09:00,13800000003,报修,tap leaks,closed,2026-10-04 09:40\n")  # fmt: skip
    frontdesk(var2, "ledger", "import", str(en))
    assert any(e["returned_at"] for e in frontdesk_json(var2, "ledger", "list")
               if e["caller_phone"] == "13800000003")  # fmt: skip


def test_a_callback_from_the_desk_returns_a_missed_call(tmp_path):
    """The desk (8001) calls the resident back through the PBX, dialling 9 for an outside
    line: an answered call within 2 hours returns the missed call. One 2 h 05 min later,
    or one the resident did not pick up, does not."""
    day = "2026-10-03"

    def missed(uid: str, src: str, hhmm: str) -> str:
        return _cdr_line(uid, src, f"{day} {hhmm}:00", "", f"{day} {hhmm}:20", "NO ANSWER")

    def out(uid: str, dst: str, hhmm: str, answered: bool = True) -> str:
        return _cdr_line(uid, "8001", f"{day} {hhmm}:00", f"{day} {hhmm}:08" if answered else "",
                         f"{day} {hhmm}:50", "ANSWERED" if answered else "NO ANSWER", dst=dst,
                         context="from-internal")  # fmt: skip

    master = tmp_path / "Master.csv"
    master.write_text(
        missed("1700000000.1", "13800000005", "09:00") + out("1700000000.2", "913800000005", "10:30")
        + missed("1700000000.3", "13800000006", "09:00") + out("1700000000.4", "13800000006", "11:05")
        + missed("1700000000.5", "13800000007", "09:00")
        + out("1700000000.6", "13800000007", "09:30", answered=False),
        encoding="utf-8",
    )  # fmt: skip
    var = tmp_path / "var"
    frontdesk(var, "calls", "import", "--cdr", str(master))
    calls = {c["sip_call_id"]: c["id"] for c in frontdesk_json(var, "calls", "list")}
    found = frontdesk_json(var, "reconcile", check=False)
    not_returned = sorted(f["call_id"] for f in found if f["kind"] == "MISSED_NO_CALLBACK")
    assert not_returned == sorted([calls["1700000000.3"], calls["1700000000.5"]])
    # the desk's outbound calls are neither unlogged nor slow
    assert not {f["call_id"] for f in found} & {calls[f"1700000000.{i}"] for i in (2, 4, 6)}


def test_a_row_written_twice_is_a_duplicate_registration(tmp_path):
    """The agent registered one call twice: two identical rows. Both are imported (and
    re-importing adds nothing); the reconciler matches one to the PBX call and calls the
    other 重复登记 (DUPLICATE_ENTRY), not an entry without a call."""
    master = tmp_path / "Master.csv"
    master.write_text(_cdr_line("1700000000.1", "13800000001", "2026-10-03 09:00:00",
                                "2026-10-03 09:00:05", "2026-10-03 09:02:00", "ANSWERED"),
                      encoding="utf-8")  # fmt: skip
    row = "2026-10-03 09:02,来电,13800000001,4,2,301,报修,厨房水管漏水,已登记\n"
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("登记时间,来源,电话,楼栋,单元,房号,类别,内容,状态\n" + row + row,
                     encoding="utf-8")  # fmt: skip
    var = tmp_path / "var"
    frontdesk(var, "calls", "import", "--cdr", str(master))
    r = json.loads(frontdesk(var, "ledger", "import", str(sheet), "--format", "json").stdout)
    assert (r["rows"], r["imported"]) == (2, 2)
    again = json.loads(frontdesk(var, "ledger", "import", str(sheet), "--format", "json").stdout)
    assert (again["imported"], again["unchanged"]) == (0, 2)
    [call] = frontdesk_json(var, "calls", "list")
    ids = sorted(e["id"] for e in frontdesk_json(var, "ledger", "list"))
    found = frontdesk_json(var, "reconcile", check=False)
    kinds = {(f["kind"], f["call_id"]) for f in found}
    assert ("DUPLICATE_ENTRY", call["id"]) in kinds
    assert not {k for k, _ in kinds} & {"ORPHAN_ENTRY", "UNLOGGED_CALL"}
    [dup] = [f for f in found if f["kind"] == "DUPLICATE_ENTRY"]
    assert dup["entry_id"] in ids


def test_call_time_typed_as_hh_mm_copies_and_dashed_numbers(tmp_path):
    """登记时间 in full with 来电时间 typed as 08:07 (the call at 23:58 registered after
    midnight belongs to the day before); the same 工单号 twice is a copy: both rows are
    imported, the second without the number, and the report says so; 138-0000-0001 is the
    number 13800000001; a 是否紧急 column in use reads blank as no."""
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "序号,登记时间,来电时间,联系电话,类别,事由,是否紧急,工单号\n"
        "1,2026-03-09 08:09:22,08:07,138-0000-0001,报修,水管漏水,是,GD1\n"
        "2,2026-03-10 00:02:10,23:58,138 0000 0002,报修,停电了,,GD2\n"
        "3,2026-03-10 00:02:10,23:58,138 0000 0002,报修,停电了,,GD2\n",
        encoding="utf-8",
    )  # fmt: skip
    var = tmp_path / "var"
    r = json.loads(frontdesk(var, "ledger", "import", str(sheet), "--format", "json").stdout)
    assert (r["imported"], r["errors"]) == (3, [])
    assert [w["row"] for w in r["warnings"]] == [4] and "GD2" in r["warnings"][0]["warning"]
    again = json.loads(frontdesk(var, "ledger", "import", str(sheet), "--format", "json").stdout)
    assert (again["imported"], again["unchanged"]) == (0, 3)
    from datetime import datetime

    rows = sorted(frontdesk_json(var, "ledger", "list"), key=lambda e: e["id"])
    local = [datetime.fromisoformat(e["created_at"]).astimezone() for e in rows]
    registered = [datetime.fromisoformat(e["registered_at"]).astimezone() for e in rows]
    assert (local[0].day, local[0].hour, local[0].minute) == (9, 8, 7)
    assert (registered[0].hour, registered[0].minute, registered[0].second) == (8, 9, 22)
    assert (local[1].day, local[1].hour, local[1].minute) == (9, 23, 58)
    assert [e["caller_phone"] for e in rows] == ["13800000001", "13800000002", "13800000002"]
    assert [e["work_order_no"] for e in rows] == ["GD1", "GD2", None]
    assert [e["urgent"] for e in rows] == [True, False, False]


def test_a_transferred_legs_record_is_not_a_second_call_to_the_desk(tmp_path):
    """The desk (8001) answered and transferred the caller to 8002: the PBX writes a second
    record on the same inbound channel. It needs no entry and no recording of its own."""
    legs = (
        '"","13800000001","8001","from-trunk","","SIP/trunk-000007aa","SIP/8001-000007ac",'
        '"Transfer","SIP/8002","2026-03-20 11:17:45","2026-03-20 11:17:51","2026-03-20 11:18:19",'
        '34,28,"ANSWERED","DOCUMENTATION","1773976665.1093",""\n'
        '"","13800000001","8002","from-internal","","SIP/trunk-000007aa","SIP/8002-000007af",'
        '"Dial","SIP/8002,30,tr","2026-03-20 11:18:19","2026-03-20 11:18:27","2026-03-20 11:20:16",'
        '117,109,"ANSWERED","DOCUMENTATION","1773976665.1095",""\n'
    )  # fmt: skip
    master = tmp_path / "Master.csv"
    master.write_text(legs, encoding="utf-8")
    var = tmp_path / "var"
    frontdesk(var, "calls", "import", "--cdr", str(master))
    calls = {c["sip_call_id"]: c for c in frontdesk_json(var, "calls", "list")}
    assert calls["1773976665.1093"]["direction"] == "in"
    assert calls["1773976665.1095"]["direction"] == "transfer"
    found = frontdesk_json(var, "reconcile", check=False)
    assert {f["call_id"] for f in found} == {calls["1773976665.1093"]["id"]}


def test_an_import_recounts_the_kpi_hours_of_its_rows(tmp_path):
    """`ledger import` leaves no KPI hour stale for the page to recount: the totals after
    it are what a full recount from the rows gives, and no bucket is left marked dirty."""
    from sqlalchemy import text

    from ledger import kpi_hours
    from ledger.db import open_database

    var = tmp_path / "var"
    f = tmp_path / "october.csv"
    f.write_text(SHEET, encoding="utf-8")
    r = json.loads(frontdesk(var, "ledger", "import", str(f), "--format", "json").stdout)
    assert r["imported"] == 3 and r["kpi_hours_recounted"] >= 3  # three entries' hours

    def totals(conn) -> dict:
        return {t: sorted(tuple(map(str, row)) for row in conn.execute(text(f"SELECT * FROM {t}")))
                for t in ("kpi_call_hours", "kpi_entry_sums", "kpi_subject_sums")}  # fmt: skip

    with open_database(f"sqlite:///{var / 'frontdesk.db'}")() as s:
        conn = s.connection()
        assert conn.execute(text("SELECT count(*) FROM kpi_dirty")).scalar() == 0
        after_import = totals(conn)
        assert any(after_import.values())
        kpi_hours.rebuild(conn, 60.0, 7200.0)
        assert totals(conn) == after_import
        s.rollback()
    again = json.loads(frontdesk(var, "ledger", "import", str(f), "--format", "json").stdout)
    assert again["imported"] == 0 and again["kpi_hours_recounted"] is None

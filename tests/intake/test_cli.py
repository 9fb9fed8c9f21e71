"""`frontdesk intake` as scripts use it: JSON out, a broken JSONL line reported, others kept."""

from __future__ import annotations

import json

from tests.conftest import frontdesk


def test_text_to_json_draft(tmp_path):
    r = frontdesk(tmp_path, "intake", "--text", "你好，我是四栋二单元三零一的，我家水管爆了，快派人来修一下",
                  "--format", "json")  # fmt: skip
    d = json.loads(r.stdout)
    assert d["category"] == "报修" and d["urgent"] is True and d["department"] == "工程维修部"
    assert d["address"] == {"building": "4", "unit": "2", "room": "301", "public_area": None}


def test_jsonl_keeps_order_and_reports_the_broken_line(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text(
        '"请问物业费在哪里交"\n{"text": "我要投诉楼上太吵", "caller_number": "13800000000"}\n'
        '{not json\n{"utterances": [{"speaker": "caller", "start": 0, "end": 2, "text": "电梯坏了"}]}\n',
        encoding="utf-8",
    )
    r = frontdesk(tmp_path, "intake", "--jsonl", str(f), "--format", "json", check=False)
    assert r.returncode == 1
    rows = json.loads(r.stdout)
    assert [row["line"] for row in rows] == [1, 2, 3, 4]
    assert [row["draft"]["category"] if row["draft"] else None for row in rows] == [
        "咨询",
        "投诉",
        None,
        "报修",
    ]
    assert rows[1]["draft"]["caller"]["phone"] == "13800000000"
    assert "line 3" in rows[2]["error"] and "line 3" in r.stderr


def test_empty_text_is_refused(tmp_path):
    r = frontdesk(tmp_path, "intake", "--text", "  ", check=False)
    assert r.returncode == 2 and "empty" in r.stderr


def test_evaluate_scores_the_drafts_made_all_at_once_as_one_by_one(tmp_path):
    """`frontdesk intake evaluate` drafts the whole file at once (extract_many): its scores
    are those of extract one row at a time; a row without text is a clear error."""
    from pathlib import Path

    from voice.intake.evaluation import score
    from voice.intake.extract import extract

    lines = (Path(__file__).parents[1] / "data/intake/dev.jsonl").read_text("utf-8").splitlines()[:40]
    f = tmp_path / "calls.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = frontdesk(tmp_path / "var", "intake", "evaluate", str(f), "--format", "json")
    want = score([json.loads(x) for x in lines], extract)
    got = json.loads(r.stdout)
    assert got and {n: v["accuracy"] for n, v in got.items()} == {n: round(s.accuracy, 3) for n, s in want.items()}
    f.write_text('{"id": "x", "expected": {}}\n', encoding="utf-8")
    r = frontdesk(tmp_path / "var", "intake", "evaluate", str(f), check=False)
    assert r.returncode != 0 and "rows need utterances or text" in r.stderr and "Traceback" not in r.stderr

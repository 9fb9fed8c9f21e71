"""Progress bars on a terminal only: the real CLI with its stderr on a pseudo-terminal shows
counts, rate and time left for ledger import, calls import and reconcile; with --format json
(or stderr not a terminal) nothing but the document is printed."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import tempfile
import termios

from tests.conftest import frontdesk

SHEET_HEAD = "登记时间,电话,类别,内容\n"
CDR_ROW = ('"","1380000{n:04d}","8001","from-trunk","","SIP/trunk-{n}","SIP/8001-{n}","Dial",'
           '"SIP/8001","2026-03-09 10:{m:02d}:00","2026-03-09 10:{m:02d}:05",'
           '"2026-03-09 10:{m:02d}:50",50,45,"ANSWERED","DOCUMENTATION","1.{n}",""\n')  # fmt: skip


def _on_a_terminal(data_dir, *args: str) -> tuple[str, str, int]:
    """stdout (a pipe) and what the terminal showed on stderr."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))  # 160 x 40
    out_file = tempfile.TemporaryFile()  # a pipe could fill while the terminal is read
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(data_dir), *args],
        stdout=out_file, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    shown = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        shown.append(data)
    rc = proc.wait(timeout=120)
    os.close(master)
    out_file.seek(0)
    out = out_file.read().decode()
    out_file.close()
    return out, b"".join(shown).decode(errors="replace"), rc


def test_progress_on_a_terminal_never_in_json(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(SHEET_HEAD + "".join(f"2026-03-09 11:{i % 60:02d}:{i // 60:02d},1390000{i:04d},"
                                          f"咨询,物业费怎么交 {i}\n" for i in range(1200)),
                     encoding="utf-8")  # fmt: skip
    master = tmp_path / "Master.csv"
    master.write_text("".join(CDR_ROW.format(n=n, m=n % 60) for n in range(60)), encoding="utf-8")
    d = tmp_path / "var"

    out, shown, rc = _on_a_terminal(d, "ledger", "import", str(sheet))
    assert rc == 0 and "1200 imported" in out
    assert "storing entries" in shown and "1200/1200" in shown and "rows/s" in shown
    out, shown, rc = _on_a_terminal(d, "calls", "import", "--cdr", str(master))
    assert rc == 0 and "storing calls" in shown and "60/60" in shown and "calls/s" in shown
    out, shown, _ = _on_a_terminal(d, "reconcile")
    assert "checking calls" in shown and "60/60" in shown

    d2 = tmp_path / "var2"
    for args in (("ledger", "import", str(sheet)), ("calls", "import", "--cdr", str(master)),
                 ("reconcile",)):  # fmt: skip
        out, shown, _ = _on_a_terminal(d2, *args, "--format", "json")
        json.loads(out)  # one JSON document, nothing else
        assert "/s" not in shown and "%" not in shown, shown
    # not a terminal: no bars either
    r = frontdesk(tmp_path / "var3", "ledger", "import", str(sheet))
    assert "storing entries" not in r.stderr

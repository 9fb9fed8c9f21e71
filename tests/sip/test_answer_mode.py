"""RFC 5373 request parsing: Answer-Mode / Priv-Answer-Mode / Call-Info answer-after."""

import pytest

from voice.sip.answer_mode import requested_answer_delay
from voice.sip.sipmsg import header


def invite(*headers: str) -> str:
    head = ["INVITE sip:frontdesk@127.0.0.1 SIP/2.0", "i: abc@host", *headers]
    return "\r\n".join(head) + "\r\n\r\nv=0\r\nAnswer-Mode: Auto\r\n"  # body is not a header


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ((), None),
        (("Answer-Mode: Auto",), 0.0),
        (("answer-mode:   auto;require",), 0.0),
        (("Answer-Mode: Manual",), None),
        (("Priv-Answer-Mode: Auto",), 0.0),
        (("Call-Info: <sip:pbx.example.com>;answer-after=2",), 2.0),
        (("Call-Info: <http://x/a.png>;purpose=icon, <sip:y>;Answer-After=1.5",), 1.5),
        (("Call-Info: <sip:y>;purpose=info",), None),
        (("Call-Info: <sip:y>;answer-after=5", "Answer-Mode: Auto"), 0.0),
    ],
)
def test_requested_answer_delay(headers, delay):
    assert requested_answer_delay(invite(*headers)) == delay


def test_body_and_folded_lines():
    msg = invite("Call-Info: <sip:y>;", " answer-after=3")
    assert requested_answer_delay(msg) == 3.0
    assert requested_answer_delay("INVITE x SIP/2.0\r\n\r\nAnswer-Mode: Auto") is None


def test_header_expands_compact_names():
    assert header(invite(), "Call-ID") == "abc@host"
    assert header(invite(), "Subject") is None

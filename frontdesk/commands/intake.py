"""`frontdesk intake` — a transcript in, a pre-filled ledger draft out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from frontdesk.errors import UserError
from frontdesk.output import emit


def register(sub) -> None:
    p = sub.add_parser(
        "intake",
        help="extract a draft ledger entry (address, category, urgency …) from a transcript",
        description=(
            "Read what a caller said and pre-fill the ledger fields: address (4-2-301 or a "
            "public area), category (报修/投诉/咨询/求助/建议), urgency, department, caller "
            "surname and phone, a one-line summary, with evidence and confidence per field. "
            "--jsonl FILE reads one transcript per line: a JSON string, an object with "
            '"text" (and optional "caller_number"), or a Transcript object.'
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the transcript text")
    src.add_argument(
        "--jsonl", type=Path, metavar="FILE", help="one transcript per line ('-' = stdin)"
    )
    p.add_argument("--caller-number", help="the SIP caller number, used when no number is spoken")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=run)


def _source(obj):
    from domain.transcript import Transcript

    if isinstance(obj, str):
        return obj, None
    if isinstance(obj, dict) and "utterances" in obj:
        return Transcript.from_dict(obj), obj.get("caller_number")
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return obj["text"], obj.get("caller_number")
    raise ValueError('expected a JSON string, {"text": …} or a transcript with "utterances"')


def run(args: argparse.Namespace) -> int:
    from voice.intake.extract import extract

    if args.text is not None:
        if not args.text.strip():
            raise UserError("--text is empty")
        d = extract(args.text, caller_number=args.caller_number).to_dict()
        _print(d, args.format)
        return 0
    if str(args.jsonl) == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = args.jsonl.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read {args.jsonl}: {exc}") from None
    out, bad = [], 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            source, number = _source(json.loads(line))
            out.append(
                {
                    "line": n,
                    "draft": extract(source, caller_number=number or args.caller_number).to_dict(),
                    "error": None,
                }
            )
        except (ValueError, KeyError, TypeError) as exc:
            bad += 1
            out.append({"line": n, "draft": None, "error": f"line {n}: {exc}"})
            print(f"{args.jsonl}: line {n}: {exc}", file=sys.stderr)
    if args.format == "json":
        emit(out, "json")
    else:
        for r in out:
            if r["draft"]:
                _print(r["draft"], "table")
    return 1 if bad else 0


def _print(d: dict, fmt: str) -> None:
    if fmt == "json":
        emit(d, "json")
        return
    a = d["address"]
    addr = "-".join(x for x in (a["building"], a["unit"], a["room"]) if x) or "-"
    if a["public_area"]:
        addr += f" ({a['public_area']})"
    print(f"{d['category'] or '-'}  {addr}  {'URGENT ' if d['urgent'] else ''}{d['department'] or '-'}  "
          f"{(d['caller']['surname'] or '') + (d['caller']['honorific'] or '')} {d['caller']['phone'] or ''}  {d['summary']}")  # fmt: skip

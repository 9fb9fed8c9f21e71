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
        help="draft a ledger entry from a transcript; train and inspect the intake model",
        description=(
            "Read what a caller said and pre-fill the ledger fields: address (4-2-301 or a "
            "public area), category (报修/投诉/咨询/求助/建议), urgency, department, caller "
            "surname and phone, a one-line summary, with evidence and confidence per field. "
            "--jsonl FILE reads one transcript per line: a JSON string, an object with "
            '"text" (and optional "caller_number"), or a Transcript object. '
            "`intake train` fits the model to this site's ledger, `intake model` shows the one "
            "in use, `intake evaluate` scores it on labelled calls."
        ),
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--text", help="the transcript text")
    src.add_argument(
        "--jsonl", type=Path, metavar="FILE", help="one transcript per line ('-' = stdin)"
    )
    p.add_argument("--caller-number", help="the SIP caller number, used when no number is spoken")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=run)
    actions = p.add_subparsers(dest="action", metavar="{train,model,evaluate}")

    t = actions.add_parser(
        "train", help="fit the intake model to this site's ledger (confirmed and imported entries)",
        description=(
            "Fit the intake model to the corpus that ships with Frontdesk plus every registered "
            "entry in this site's ledger: entries the agents confirmed (their corrections are "
            "the truth) and rows imported with `frontdesk ledger import` (内容, 类别, 派单部门 …). "
            "The new model is written under <data-dir>/models/intake/; the worker and the "
            "reconciler use the newest one from their next call on."
        ),
    )  # fmt: skip
    t.add_argument("--no-shipped", action="store_true",
                   help="train on this ledger alone, without the shipped corpus")  # fmt: skip
    t.add_argument("--ledger-weight", type=float, default=None,
                   help="how much one of this site's entries counts against a shipped example "
                        "(default: 2, or more for a small ledger, so that its entries together "
                        "weigh at least a quarter of the shipped corpus)")  # fmt: skip
    t.add_argument("--format", choices=["table", "json"], default="table")
    t.set_defaults(func=run_train)

    m = actions.add_parser("model", help="show the intake model in use: when and on what it was trained")
    m.add_argument("--format", choices=["table", "json"], default="table")
    m.set_defaults(func=run_model)

    e = actions.add_parser(
        "evaluate", help="score the model in use on labelled calls (corpus JSONL)",
        description="Per-field accuracy on FILE (rows with utterances or text, and expected), "
                    "with the majority-class baseline beside each figure.",
    )  # fmt: skip
    e.add_argument("file", type=Path)
    e.add_argument("--format", choices=["table", "json"], default="table")
    e.set_defaults(func=run_evaluate)


def ledger_weight(own: int, shipped: int) -> float:
    """A site's own entries are the truth about its words and dispatch habits: each counts
    twice a shipped example, and a small ledger (60 entries against thousands of shipped
    calls) counts together for at least a quarter of the shipped corpus, so that it moves
    the drafts at all; two years of entries need no boost."""
    if own == 0:
        return 2.0
    return max(2.0, 0.25 * shipped / own)


def run_train(args: argparse.Namespace) -> int:
    import time

    from frontdesk.config import config_from_args
    from frontdesk.ledger_session import sessions_for
    from ledger.entries import labelled_entries
    from voice.intake.training import Example, shipped_examples, train

    cfg = config_from_args(args)
    with sessions_for(cfg)() as s:
        own = labelled_entries(s)
    examples = [] if args.no_shipped else shipped_examples()
    weight = args.ledger_weight or ledger_weight(len(own), len(examples))
    examples += [
        Example(r["text"], "", r["labels"], weight,
                f"ledger:{'call' if r['from_call'] else 'sheet'}")
        for r in own
    ]  # fmt: skip
    if not own and args.no_shipped:
        raise UserError("this ledger has no registered entries to learn from")
    print(f"training on {len(examples)} examples ({len(own)} from this ledger) …", file=sys.stderr)
    t0 = time.monotonic()
    try:
        model = train(examples, note={"ledger_entries": len(own), "ledger_weight": round(weight, 2)})
    except ValueError as exc:
        raise UserError(f"cannot train: {exc}") from None
    stamp = model.meta["trained_at"].replace(":", "").replace("-", "")[:15]
    path = cfg.models_dir / "intake" / f"intake-{stamp}.npz"
    model.save(path)
    out = {"model": str(path), **model.meta, "seconds": round(time.monotonic() - t0, 1)}
    if args.format == "json":
        emit(out, "json")
    else:
        print(f"{path}: {model.meta['examples']} examples ({len(own)} from this ledger), "
              f"{model.meta['features']} features, trained {model.meta['trained_at']}")  # fmt: skip
    return 0


def run_model(args: argparse.Namespace) -> int:
    from frontdesk.config import config_from_args
    from voice.intake.model import SHIPPED, ModelError, load_model, newest_model

    cfg = config_from_args(args)
    path = newest_model(cfg.models_dir) or SHIPPED
    try:
        model = load_model(path)
    except ModelError as exc:
        raise UserError(str(exc)) from None
    out = {"model": str(path), "shipped": path == SHIPPED, "fields": sorted(model.heads),
           **model.meta}  # fmt: skip
    if args.format == "json":
        emit(out, "json")
    else:
        print(f"{path}{' (shipped with Frontdesk)' if path == SHIPPED else ''}")
        print(f"  trained {model.meta.get('trained_at')} on {model.meta.get('examples')} examples "
              f"({model.meta.get('ledger_entries', 0)} from this site's ledger)")  # fmt: skip
        print(f"  fields: {', '.join(sorted(model.heads))}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from frontdesk.config import config_from_args
    from frontdesk.reading import current_model
    from voice.intake.evaluation import score, transcript_of
    from voice.intake.extract import extract_many
    from voice.intake.model import ModelError

    cfg = config_from_args(args)
    try:
        rows = [json.loads(x) for x in args.file.read_text(encoding="utf-8").splitlines() if x.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"cannot read {args.file}: {exc}") from None
    try:
        model = current_model(cfg.models_dir)
    except ModelError as exc:
        raise UserError(str(exc)) from None
    try:
        # every row drafted at once (the same drafts as one by one), then scored in order
        drafts = iter(extract_many([transcript_of(r) for r in rows], model=model))
        result = score(rows, lambda _t: next(drafts))
    except (KeyError, TypeError) as exc:
        raise UserError(f"{args.file}: rows need utterances or text, and expected ({exc})") from None
    out = {n: {"accuracy": round(x.accuracy, 3), "majority_baseline": round(x.baseline, 3),
               "rows": x.total} for n, x in result.items()}  # fmt: skip
    if args.format == "json":
        emit(out, "json")
    else:
        for n, x in out.items():
            print(f"{n:16} {x['accuracy']:.3f}  (majority {x['majority_baseline']:.3f}, {x['rows']} rows)")
    return 0


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
    from frontdesk.config import config_from_args
    from frontdesk.reading import current_model
    from voice.intake.extract import extract as _extract
    from voice.intake.extract import extract_many as _extract_many

    if args.text is None and args.jsonl is None:
        raise UserError("give --text or --jsonl (or: intake train | model | evaluate)")
    from voice.intake.model import ModelError

    try:
        model = current_model(config_from_args(args).models_dir)
    except ModelError as exc:
        raise UserError(str(exc)) from None

    def extract(source, **kw):
        return _extract(source, model=model, **kw)

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
    read: list[tuple[dict, object, str | None]] = []  # (its row of out, source, number)
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            source, number = _source(json.loads(line))
            out.append({"line": n, "draft": None, "error": None})
            read.append((out[-1], source, number or args.caller_number))
        except (ValueError, KeyError, TypeError) as exc:
            bad += 1
            out.append({"line": n, "draft": None, "error": f"line {n}: {exc}"})
            print(f"{args.jsonl}: line {n}: {exc}", file=sys.stderr)
    # every line read, then drafted all at once (the same drafts as one by one); a transcript
    # the intake cannot read fails alone, as it did one by one
    try:
        drafts = _extract_many([s for _, s, _ in read], caller_numbers=[c for _, _, c in read],
                               model=model)  # fmt: skip
    except (ValueError, KeyError, TypeError):
        drafts = None
    for k, (row, source, number) in enumerate(read):
        try:
            row["draft"] = (drafts[k] if drafts else extract(source, caller_number=number)).to_dict()
        except (ValueError, KeyError, TypeError) as exc:
            bad += 1
            row["error"] = f"line {row['line']}: {exc}"
            print(f"{args.jsonl}: line {row['line']}: {exc}", file=sys.stderr)
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

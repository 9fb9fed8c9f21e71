"""What Frontdesk keeps on disk is private to the user it runs as.

Every process starts with umask 077, so each file it creates (the ledger, recordings,
exports, caches) is 0600 and each directory 0700. At start the data directory is checked:
the directory itself, its ledger files, its settings (which may hold the SIP password) and
the folders under it are made private if they are not, and the fix is logged. The files
inside the recordings tree are not walked (a year is 300,000 of them): a 0700 directory
already keeps everyone else out of everything beneath it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("frontdesk.private")

UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
# files directly in the data directory that hold residents' data or secrets
PRIVATE_FILES = ("frontdesk.db", "frontdesk.db-wal", "frontdesk.db-shm", "frontdesk.toml",
                 "phone.sock")  # fmt: skip
# folders whose own folders (not files) are checked, this many levels down
PRIVATE_TREES = {"recordings": 3, "cache": 1, "models": 0}


def set_umask() -> None:
    os.umask(UMASK)


def _tighten(path: Path, mode: int) -> str | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid():
        return None  # a link's target or someone else's file is not ours to change
    if stat.S_IMODE(st.st_mode) & ~mode & 0o077:
        os.chmod(path, (stat.S_IMODE(st.st_mode) & mode) | (mode & 0o700))
        return f"{path} {stat.S_IMODE(st.st_mode):04o} → {stat.S_IMODE(path.lstat().st_mode):04o}"
    return None


def check_data_dir(data_dir: Path) -> list[str]:
    """Make an existing data directory private; returns what was changed (also logged)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    fixed = [_tighten(data_dir, DIR_MODE)]
    fixed += [_tighten(data_dir / name, FILE_MODE) for name in PRIVATE_FILES]
    for name, depth in PRIVATE_TREES.items():
        fixed += _tighten_tree(data_dir / name, depth)
    done = [f for f in fixed if f]
    for f in done:
        log.warning("made private (was readable by others): %s", f)
    return done


def _tighten_tree(root: Path, depth: int) -> list[str | None]:
    out = [_tighten(root, DIR_MODE)]
    if depth <= 0 or not root.is_dir() or root.is_symlink():
        return out
    try:
        children = list(os.scandir(root))
    except OSError:
        return out
    for entry in children:
        if entry.is_dir(follow_symlinks=False):
            out += _tighten_tree(Path(entry.path), depth - 1)
    return out

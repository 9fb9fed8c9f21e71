#!/usr/bin/env bash
# Build the pjsua2 Python wheel the phone needs, from pjproject source, into build/wheels/.
#
# Why not PyPI: the only Linux wheel there (pjsua2-python 2.15.1) is compiled with
# PJSUA_MAX_CALLS = 4, 64 socket handles and no sound-device support, so a front desk could
# not use a headset and a load of 20 calls was impossible. Those are compile-time constants;
# ours are in config_site.h beside this script.
#
# Where the source comes from, first that works:
#   1. $PJPROJECT_TARBALL: a pjproject source tarball you have (e.g. from pjsip.org);
#   2. Debian: pjproject ships as a component of the `asterisk` source package (sid, forky);
#      apt fetches it with a private sources list and checks it against Debian's signed
#      Release files. The version we tested is tried first, then whatever Debian has now.
# Build dependencies are Debian packages the Makefile installs (see PJSUA2_BUILD_DEPS).
#
# Usage: scripts/pjsua2/build.sh PYTHON [OUT_DIR]   (prints the wheel's path)
set -euo pipefail

PYTHON=${1:?usage: build.sh PYTHON [OUT_DIR]}
# absolute, without resolving symlinks: a venv's python is a link to the base interpreter
PYTHON=$(cd "$(dirname "$PYTHON")" && pwd)/$(basename "$PYTHON")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$(realpath -m "${2:-$ROOT/build/wheels}")
WORK=$ROOT/build/pjsua2
TESTED_ASTERISK='1:22.10.1+dfsg+~cs6.17.60671434-1'  # carries pjproject 2.17
JOBS=$(nproc 2>/dev/null || echo 2)

log() { echo "pjsua2: $*" >&2; }

fetch_from_debian() {
    local apt=$WORK/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$WORK/src"
    cat >"$apt/sources.list" <<'EOF'
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian forky main
EOF
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
        -o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
    log "fetching the pjproject source from Debian (asterisk source package)"
    apt-get "${opts[@]}" update >&2
    (cd "$WORK/src" && {
        apt-get "${opts[@]}" source --download-only "asterisk=$TESTED_ASTERISK" >&2 ||
            apt-get "${opts[@]}" source --download-only asterisk >&2
    })
    ls -t "$WORK"/src/asterisk_*.orig-Xpjproject.tar.* 2>/dev/null | head -n1
}

tarball=${PJPROJECT_TARBALL:-}
if [ -z "$tarball" ]; then
    tarball=$(ls -t "$WORK"/src/asterisk_*.orig-Xpjproject.tar.* 2>/dev/null | head -n1 || true)
    [ -n "$tarball" ] || tarball=$(fetch_from_debian)
fi
[ -f "$tarball" ] || { log "no pjproject source found (set PJPROJECT_TARBALL=...)"; exit 1; }
log "source: $tarball"

SRC=$WORK/pjproject
rm -rf "$SRC" && mkdir -p "$SRC"
tar -xf "$tarball" -C "$SRC" --strip-components=1
cp "$HERE/config_site.h" "$SRC/pjlib/include/pj/config_site.h"
# Debian removes the non-free bdimad sound driver from the source but not from the
# Makefile (Debian's asterisk applies the same one-line patch); it is for Windows anyway.
sed -i 's/ bdimad_dev\.o//' "$SRC/pjmedia/build/Makefile"

cd "$SRC"
log "configuring"
# Sound through ALSA; resampling through libsamplerate; codecs the Debian source keeps
# (G.711, G.722, L16, GSM, Speex, Opus). No video. -fPIC: the libraries end up in a .so.
# Not --enable-epoll: with the epoll ioqueue, recordings of SIPp calls lost their fidelity
# (correlation with the source 0.03-0.56 instead of 1.0: RTP read late, frames concealed).
CFLAGS="-O2 -fPIC" CXXFLAGS="-O2 -fPIC" ./configure --disable-video \
    --disable-libyuv --disable-libwebrtc --disable-sdl --disable-ffmpeg --disable-v4l2 \
    --disable-openh264 --disable-vpx --disable-bcg729 --disable-lyra --disable-silk \
    --disable-opencore-amr --disable-ilbc-codec --disable-g7221-codec --disable-upnp \
    --disable-android-mediacodec --enable-libsamplerate --with-external-speex \
    --with-external-gsm --with-external-srtp >"$WORK/configure.log" 2>&1 ||
    { log "configure failed; see $WORK/configure.log"; exit 1; }
grep -q "Checking sound device backend... alsa" "$WORK/configure.log" ||
    { log "ALSA headers missing (Debian libasound2-dev): the phone would have no sound"; exit 1; }
log "compiling the libraries ($JOBS jobs)"
{ make dep && make -j"$JOBS" lib; } >"$WORK/make.log" 2>&1 ||
    { log "build failed; see $WORK/make.log"; exit 1; }

log "generating and compiling the Python binding (SWIG)"
cd pjsip-apps/src/swig/python
make pjsua2_wrap.cpp >"$WORK/swig.log" 2>&1 || { log "swig failed; see $WORK/swig.log"; exit 1; }
mkdir -p "$OUT"
PJDIR=$SRC "$PYTHON" -m pip wheel --quiet --no-deps -w "$OUT" . >>"$WORK/swig.log" 2>&1 ||
    { log "wheel build failed; see $WORK/swig.log"; exit 1; }
ls -t "$OUT"/pjsua2-*.whl | head -n1

#!/usr/bin/env bash
# Builds the real Fluent Bit 4.2.2 (the version inside aws-for-fluent-bit:3.2.1, the image the EKS DaemonSet and the
# syslog receivers pull) once per machine, for the agent integration tests (test/integration/fluent-bit*.test.ts).
# Idempotent: the binary is cached outside the checkout, keyed by version and CMake flags; later runs reuse it.
#
#   cache:  ${LOGTONG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/logtong}/fluent-bit-4.2.2-<flags hash>/bin/fluent-bit
#   link:   .../fluent-bit-4.2.2 -> the keyed folder (what lib/local/fluent-bit.ts looks up)
#   source: ../shared/vendor/fluent-bit-4.2.2-src.tar.gz when present (the tag v4.2.2 without the bundled
#           sqlite3.c), else Fluent Bit's own release tarball of the tag from GitHub:
#           https://github.com/fluent/fluent-bit/archive/refs/tags/v4.2.2.tar.gz (top folder fluent-bit-4.2.2/)
#
# The vendored tarball lacks lib/sqlite-amalgamation-*/sqlite3.c, so the build always links Debian's SQLite
# (FLB_PREFER_SYSTEM_LIB_SQLITE); the tail input's offsets database works as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

FLB_VERSION=4.2.2
VENDOR_TARBALL="${LOGTONG_FLUENT_BIT_SRC:-../shared/vendor/fluent-bit-${FLB_VERSION}-src.tar.gz}"
VENDOR_SHA256=023adf367d52227f3d8427cbc40d869beeb14ae6831ad31b80b5f984f2d4e49d
RELEASE_URL="https://github.com/fluent/fluent-bit/archive/refs/tags/v${FLB_VERSION}.tar.gz"
CACHE_DIR="${LOGTONG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/logtong}"

# Everything the tests need is in; what they do not (Lua, WASM, Kafka, Calyptia, stream processor) is out. Without
# FLB_OUT_CALYPTIA=Off the link fails (undefined custom_calyptia_pipeline_config_get).
CMAKE_FLAGS=(
  -DFLB_RELEASE=On -DFLB_DEBUG=Off -DFLB_EXAMPLES=Off -DFLB_SHARED_LIB=Off -DFLB_LUAJIT=Off -DFLB_WASM=Off
  -DFLB_KAFKA=Off -DFLB_ZIG=Off -DFLB_PROXY_GO=Off -DFLB_CUSTOM_CALYPTIA=Off -DFLB_OUT_CALYPTIA=Off
  -DFLB_IN_CALYPTIA_FLEET=Off -DFLB_STREAM_PROCESSOR=Off -DFLB_BACKTRACE=Off -DFLB_PREFER_SYSTEM_LIB_SQLITE=On
  -DFLB_TESTS_RUNTIME=Off -DFLB_TESTS_INTERNAL=Off
)
KEY="$(printf '%s\n' "$FLB_VERSION" "${CMAKE_FLAGS[@]}" | sha256sum | cut -c1-12)"
PREFIX="$CACHE_DIR/fluent-bit-${FLB_VERSION}-${KEY}"
LINK="$CACHE_DIR/fluent-bit-${FLB_VERSION}"

log() { echo "[setup-fluent-bit] $*" >&2; }
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ -x "$PREFIX/bin/fluent-bit" ]; then
  ln -sfn "$(basename "$PREFIX")" "$LINK"
  log "cached: $("$PREFIX/bin/fluent-bit" --version | head -1) at $PREFIX/bin/fluent-bit"
  exit 0
fi

# Build tools and the libraries Fluent Bit links from the system.
MISSING=()
for pkg in cmake make gcc g++ flex bison pkg-config libyaml-dev libssl-dev libsqlite3-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || MISSING+=("$pkg")
done
if [ "${#MISSING[@]}" -gt 0 ]; then apt_install "${MISSING[@]}"; fi

mkdir -p "$CACHE_DIR"
WORK="$(mktemp -d "$CACHE_DIR/.fluent-bit-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if [ -s "$VENDOR_TARBALL" ]; then
  actual="$(sha256sum "$VENDOR_TARBALL" | awk '{print $1}')"
  if [ "$actual" != "$VENDOR_SHA256" ]; then
    log "ERROR: $VENDOR_TARBALL has sha256 $actual, expected $VENDOR_SHA256"
    exit 1
  fi
  log "source: $VENDOR_TARBALL"
  TARBALL="$VENDOR_TARBALL"
else
  log "source: $RELEASE_URL (no $VENDOR_TARBALL)"
  TARBALL="$WORK/src.tar.gz"
  curl -fsSL --retry 3 -o "$TARBALL" "$RELEASE_URL"
fi
tar -xzf "$TARBALL" -C "$WORK"
SRC="$WORK/fluent-bit-${FLB_VERSION}"

started=$(date +%s)
log "building Fluent Bit $FLB_VERSION (about 3-4 minutes on 2 cores)"
mkdir -p "$SRC/build"
(cd "$SRC/build" && cmake .. "${CMAKE_FLAGS[@]}" >"$WORK/cmake.log" 2>&1) || { tail -50 "$WORK/cmake.log" >&2; exit 1; }
(cd "$SRC/build" && make -j"$(nproc)" fluent-bit-bin >"$WORK/make.log" 2>&1) || { tail -50 "$WORK/make.log" >&2; exit 1; }

# Publish atomically: a half-built cache is never seen as built.
mkdir -p "$WORK/out/bin"
install -m 0755 "$SRC/build/bin/fluent-bit" "$WORK/out/bin/fluent-bit"
printf '%s\n' "${CMAKE_FLAGS[@]}" >"$WORK/out/cmake-flags.txt"
rm -rf "$PREFIX"
mv "$WORK/out" "$PREFIX"
ln -sfn "$(basename "$PREFIX")" "$LINK"
log "built in $(( $(date +%s) - started )) s: $("$PREFIX/bin/fluent-bit" --version | head -1) at $PREFIX/bin/fluent-bit"

#!/usr/bin/env bash
# Prepares this machine for the OpenSearch node of `logtong local` and the integration tests (lib/local/opensearch.ts).
# Idempotent: safe to run on every CI run.
#   - Java 17+ (the integ-test-zip bundles no JDK)
#   - unzip (lib/local extracts the zip into the cache folder, ~/.cache/logtong by default, on first use)
#   - OpenSearch integ-test-zip from Maven Central into the local Maven repository, verified against its .sha512
#     (lib/local would download it itself on first use; fetching it here keeps that out of the tests' time limits)
#   - system user `logtong` when running as root (OpenSearch refuses to run as root)
#
# Note: the integ-test-zip contains only the transport-netty4 module (no painless, ingest-common,
# reindex, mapper-extras, analysis-common ...) and no plugins: no security plugin (plain HTTP,
# no auth) and no ISM. ISM (opensearch-index-management) is not published on Maven Central,
# so it is not installed here.
set -euo pipefail

OPENSEARCH_VERSION="${OPENSEARCH_VERSION:-2.19.6}"
M2_REPO="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
ARTIFACT="org/opensearch/distribution/integ-test-zip/opensearch/$OPENSEARCH_VERSION/opensearch-$OPENSEARCH_VERSION.zip"
ZIP="$M2_REPO/$ARTIFACT"
ZIP_URL="https://repo1.maven.org/maven2/$ARTIFACT"
RUN_USER="${LOGTONG_OPENSEARCH_USER:-logtong}"

log() { echo "[setup-opensearch] $*" >&2; }
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

java_major() {
  # `java -version` prints e.g.: openjdk version "17.0.15" 2025-04-15
  java -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }'
}

# 1. Java 17+
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  apt_install openjdk-17-jre-headless
fi
log "java $(java_major) at $(readlink -f "$(command -v java)")"

# 2. unzip; setpriv (drops root, kills the node when the test process dies)
command -v unzip >/dev/null 2>&1 || apt_install unzip
command -v setpriv >/dev/null 2>&1 || apt_install util-linux

# 3. the OpenSearch integ-test-zip
if [ ! -s "$ZIP" ]; then
  command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
  log "fetching $ZIP_URL"
  mkdir -p "$(dirname "$ZIP")"
  part="$(mktemp "$ZIP.XXXXXX.part")"
  trap 'rm -f "$part"' EXIT
  curl -fsSL --retry 3 -o "$part" "$ZIP_URL"
  expected="$(curl -fsSL --retry 3 "$ZIP_URL.sha512" | awk '{print $1}')"
  actual="$(sha512sum "$part" | awk '{print $1}')"
  if [ "$expected" != "$actual" ]; then
    log "ERROR: $ZIP_URL has sha512 $actual, Maven Central publishes $expected"
    exit 1
  fi
  curl -fsSL --retry 3 -o "$ZIP.sha1" "$ZIP_URL.sha1"
  chmod 644 "$part" # mktemp made it 0600
  mv "$part" "$ZIP"
fi
if [ -s "$ZIP.sha1" ]; then
  expected="$(awk '{print $1}' "$ZIP.sha1")"
  actual="$(sha1sum "$ZIP" | awk '{print $1}')"
  if [ "$expected" != "$actual" ]; then
    log "ERROR: checksum mismatch for $ZIP (expected $expected, got $actual); delete it and re-run"
    exit 1
  fi
fi
log "zip ok: $ZIP"

# 4. unprivileged user for running OpenSearch when the tests run as root
if is_root; then
  if ! id -u "$RUN_USER" >/dev/null 2>&1; then
    log "creating system user $RUN_USER"
    useradd --system --no-create-home --user-group --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER"
  fi
  log "user $RUN_USER: $(id "$RUN_USER")"
fi

log "done"

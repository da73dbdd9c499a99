#!/usr/bin/env bash
# Prepares this machine for the real-syslog integration test (test/integration/rsyslog.test.ts).
# Idempotent: installs the Debian packages only when a command is missing.
#   - rsyslog (rsyslogd with imtcp/imudp/omfwd; the test runs its own instance on 127.0.0.1, no system logging)
#   - bsdutils (logger) and util-linux (setpriv, to run rsyslogd as the unprivileged user)
#   - the system user `logtong` when running as root (also created by setup-opensearch.sh)
set -euo pipefail

RUN_USER="${LOGTONG_RSYSLOG_USER:-${LOGTONG_OPENSEARCH_USER:-logtong}}"

log() { echo "[setup-rsyslog] $*" >&2; }
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# rsyslogd may live in /usr/sbin, which is not on every PATH
have_rsyslogd() { command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ]; }

MISSING=()
have_rsyslogd || MISSING+=(rsyslog)
command -v logger >/dev/null 2>&1 || MISSING+=(bsdutils)
command -v setpriv >/dev/null 2>&1 || MISSING+=(util-linux)
if [ "${#MISSING[@]}" -gt 0 ]; then
  # policy-rc.d: do not let the package start the system rsyslog service (the test runs its own instance)
  POLICY=/usr/sbin/policy-rc.d
  CREATED_POLICY=0
  if is_root && [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY" && chmod 755 "$POLICY" && CREATED_POLICY=1
  fi
  apt_install "${MISSING[@]}"
  if [ "$CREATED_POLICY" = 1 ]; then rm -f "$POLICY"; fi
fi

if is_root && ! id -u "$RUN_USER" >/dev/null 2>&1; then
  log "creating system user $RUN_USER"
  useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_USER"
fi

RSYSLOGD="$(command -v rsyslogd || echo /usr/sbin/rsyslogd)"
log "$("$RSYSLOGD" -v | head -1)"
log "$(logger --version)"

# Shared by the .ci/setup-*.sh scripts (sourced). The caller defines log().
is_root() { [ "$(id -u)" = "0" ]; }

APT_UPDATED=0
# Installs Debian packages, running `apt-get update` once per script; outside root it says what to install instead.
apt_install() {
  if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
    log "ERROR: missing $*; install it (apt-get install -y $*) and re-run"
    exit 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

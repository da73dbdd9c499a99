#!/usr/bin/env bash
# Installs what the test suites need on a fresh machine of this kind; idempotent, so developers can run it too.
set -euo pipefail
cd "$(dirname "$0")/.."

# OpenSearch 2.19.6 (integ-test-zip from Maven Central) and the unprivileged user it runs as under root.
bash .ci/setup-opensearch.sh

# rsyslog + logger (Debian) for the real-syslog frames in test/integration/rsyslog.test.ts.
bash .ci/setup-rsyslog.sh

# cfn-lint (PyPI) lints every synthesized template in test/infra.
if ! command -v cfn-lint >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'cfn-lint>=1.20,<2'
  # Under pyenv a new console script is on PATH only once its shim exists.
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
cfn-lint --version

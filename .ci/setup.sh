#!/usr/bin/env bash
# Installs what the test suites need on a fresh machine of this kind; idempotent, so developers can run it too.
set -euo pipefail
cd "$(dirname "$0")/.."

# OpenSearch 2.19.6 (integ-test-zip from Maven Central) and the unprivileged user it runs as under root.
bash .ci/setup-opensearch.sh

# rsyslog + logger (Debian) for the real-syslog frames in test/integration/rsyslog.test.ts.
bash .ci/setup-rsyslog.sh

# Fluent Bit 4.2.2 built from source once per machine (cached in ~/.cache/logtong) for the agent integration tests.
bash .ci/setup-fluent-bit.sh

# cfn-lint (PyPI) lints every synthesized template in test/infra. Pinned: its resource specs follow CloudFormation's,
# and older ones reject properties CloudFormation has since added (Tags on ECS scaling targets and NLB listeners).
CFN_LINT_VERSION=1.58.0
if ! cfn-lint --version 2>/dev/null | grep -qx "cfn-lint ${CFN_LINT_VERSION}"; then
  python3 -m pip install --quiet --disable-pip-version-check "cfn-lint==${CFN_LINT_VERSION}"
  # Under pyenv a new console script is on PATH only once its shim exists.
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
cfn-lint --version

#!/usr/bin/env bash
# Installs everything the tests need, then runs them (no screen needed: Qt runs offscreen).
# Extra arguments go to pytest. "No tests collected" is a failure, not a pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
# Every server a test needs runs on loopback: never send it through a proxy.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
export QT_QPA_PLATFORM=offscreen
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
    echo "[test] pytest collected no tests: that is a failure." >&2
    exit 1
fi
exit $rc

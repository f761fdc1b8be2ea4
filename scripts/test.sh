#!/usr/bin/env bash
# Installs everything the tests need, then runs them (no screen needed: Qt runs offscreen).
# Extra arguments go to pytest. "No tests collected" is a failure, not a pass.
#
# Secrets are tested against a real OS keyring, never a mock: pytest runs inside a private
# D-Bus session (dbus-run-session) with its own gnome-keyring-daemon, started unlocked with a
# throwaway password. Its keyring files and sockets live in a temporary folder (not in your
# home, not in your desktop's keyring) that is deleted afterwards; the daemon ends with the
# session.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
# Every server a test needs runs on loopback: never send it through a proxy.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
export QT_QPA_PLATFORM=offscreen

for tool in dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null; then
        echo "[test] $tool is missing: install the Debian packages dbus-daemon and gnome-keyring." >&2
        exit 1
    fi
done
KEYRING_HOME=$(mktemp -d "${TMPDIR:-/tmp}/curator-test-keyring.XXXXXX")
trap 'rm -rf "$KEYRING_HOME"' EXIT
mkdir -m 700 "$KEYRING_HOME/run" "$KEYRING_HOME/data"
export XDG_RUNTIME_DIR="$KEYRING_HOME/run" XDG_DATA_HOME="$KEYRING_HOME/data"
export CURATOR_TEST_KEYRING_PASS
CURATOR_TEST_KEYRING_PASS=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# The keyring tests run (never skip) when this is set: they know the keyring is a test one.
export CURATOR_TEST_KEYRING=1
unset PYTHON_KEYRING_BACKEND  # keyring must find the Secret Service itself

set +e
# dbus-daemon may warn that it cannot raise its fd limit (not root): harmless, filtered out.
dbus-run-session -- sh -c '
    printf %s "$CURATOR_TEST_KEYRING_PASS" \
        | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1
    unset CURATOR_TEST_KEYRING_PASS
    exec .venv/bin/python -m pytest "$@"' sh "$@" \
    2> >(grep -v --line-buffered "Failed to set fd limit" >&2)
rc=$?
set -e
wait  # for the stderr filter to flush
if [ $rc -eq 5 ]; then
    echo "[test] pytest collected no tests: that is a failure." >&2
    exit 1
fi
exit $rc

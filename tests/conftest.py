"""Shared pytest fixtures for Curator's tests."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # must happen before Qt is imported


def _no_proxy_for_loopback():
    # A developer's or CI's http(s)_proxy must never route the local test servers.
    for var in ("NO_PROXY", "no_proxy"):
        hosts = [h.strip() for h in os.environ.get(var, "").split(",") if h.strip()]
        hosts += [h for h in ("127.0.0.1", "localhost") if h not in hosts]
        os.environ[var] = ",".join(hosts)


_no_proxy_for_loopback()


def _deep_listen_backlogs():
    # Every local test server (http.server) listens with a backlog of 5. When many clients
    # connect at once on a busy machine, Linux drops the extra SYNs and the client's retry
    # comes after 1 s, past short test timeouts: a healthy server looks dead.
    import socketserver

    socketserver.TCPServer.request_queue_size = 128


_deep_listen_backlogs()

import pytest  # noqa: E402

# ---------------------------------------------------------------------------
# Local feed server (tests/feedserver.py)
# ---------------------------------------------------------------------------


@pytest.fixture
def feed_server():
    """A started FeedServer on 127.0.0.1:<ephemeral>; stopped after the test."""
    from feedserver import FeedServer  # tests/ is on sys.path (rootdir conftest, no __init__)

    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()

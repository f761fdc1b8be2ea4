"""Self-checks of tests/feedserver.py, so e2e failures point at the client, not the server."""

import gzip
import socket
import threading
import time

import pytest
import requests
from feedserver import FeedServer

RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>Größe</title></channel></rss>'
IDENTITY = {"Accept-Encoding": "identity"}


def test_basic_get_headers_and_log(feed_server):
    url = feed_server.add("/feed.xml", RSS)
    assert url == feed_server.base_url + "/feed.xml"
    assert feed_server.base_url.startswith("http://127.0.0.1:")
    r = requests.get(url, headers={**IDENTITY, "User-Agent": "curator-test"})
    assert r.status_code == 200
    assert r.content == RSS.encode()
    assert r.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert r.headers["Content-Length"] == str(len(RSS.encode()))
    assert r.headers["ETag"].startswith('"') and r.headers["ETag"].endswith('"')
    assert r.headers["Last-Modified"].endswith(" GMT")
    assert "Content-Encoding" not in r.headers
    assert feed_server.hits("/feed.xml") == 1
    rec = feed_server.requests[-1]
    assert (rec.method, rec.path) == ("GET", "/feed.xml")
    assert rec.headers["user-agent"] == rec.headers.get("User-Agent") == "curator-test"
    assert abs(rec.time - time.time()) < 5
    feed_server.clear_log()
    assert feed_server.requests == [] and feed_server.hits("/feed.xml") == 0


def test_unknown_path_is_404(feed_server):
    assert requests.get(feed_server.url("/nope")).status_code == 404
    assert feed_server.hits("/nope") == 1


def test_etag_304_and_replacement(feed_server):
    url = feed_server.add("/f", RSS)
    etag = requests.get(url).headers["ETag"]
    r = requests.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b""
    assert r.headers["ETag"] == etag
    assert requests.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    feed_server.add("/f", RSS.replace("Größe", "new"))  # replaced: new ETag, newer date
    r = requests.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and b"new" in r.content
    assert r.headers["ETag"] != etag


def test_custom_and_disabled_validators(feed_server):
    url = feed_server.add("/c", RSS, etag="v1", last_modified="Mon, 01 Jan 2024 10:00:00 GMT")
    r = requests.get(url)
    assert r.headers["ETag"] == '"v1"'
    assert r.headers["Last-Modified"] == "Mon, 01 Jan 2024 10:00:00 GMT"
    assert requests.get(url, headers={"If-None-Match": 'W/"v1"'}).status_code == 304
    url = feed_server.add("/n", RSS, etag=False, last_modified=False)
    r = requests.get(url, headers={"If-None-Match": '"x"', "If-Modified-Since": r.headers["Date"]})
    assert r.status_code == 200
    assert "ETag" not in r.headers and "Last-Modified" not in r.headers


def test_if_modified_since(feed_server):
    url = feed_server.add("/m", RSS, last_modified="Mon, 01 Jan 2024 10:00:00 GMT")
    same = {"If-Modified-Since": "Mon, 01 Jan 2024 10:00:00 GMT"}
    later = {"If-Modified-Since": "Tue, 02 Jan 2024 10:00:00 GMT"}
    earlier = {"If-Modified-Since": "Sun, 31 Dec 2023 10:00:00 GMT"}
    assert requests.get(url, headers=same).status_code == 304
    assert requests.get(url, headers=later).status_code == 304
    assert requests.get(url, headers=earlier).status_code == 200
    assert requests.get(url, headers={"If-Modified-Since": "garbage"}).status_code == 200
    # If-None-Match wins: a stale ETag means 200 even though the date would say 304.
    assert requests.get(url, headers={**same, "If-None-Match": '"stale"'}).status_code == 200


def test_replaced_resource_gets_newer_last_modified(feed_server):
    url = feed_server.add("/lm", RSS)
    lm = requests.get(url).headers["Last-Modified"]
    feed_server.add("/lm", RSS + " ")
    r = requests.get(url, headers={"If-Modified-Since": lm})
    assert r.status_code == 200 and r.headers["Last-Modified"] != lm


def test_gzip(feed_server):
    url = feed_server.add("/g", RSS)
    r = requests.get(url, headers={"Accept-Encoding": "gzip, deflate"}, stream=True)
    raw = r.raw.read(decode_content=False)
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.headers["Content-Length"] == str(len(raw))
    assert gzip.decompress(raw) == RSS.encode()
    assert requests.get(url).content == RSS.encode()  # requests decodes transparently
    r = requests.get(url, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in r.headers and r.content == RSS.encode()
    url = feed_server.add("/plain", RSS, gzip_ok=False)
    r = requests.get(url, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in r.headers and "Vary" not in r.headers


def test_head(feed_server):
    url = feed_server.add("/h", RSS)
    r = requests.head(url, headers=IDENTITY)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Content-Length"] == str(len(RSS.encode()))
    assert "ETag" in r.headers
    assert feed_server.requests[-1].method == "HEAD"
    # The keep-alive connection is still in sync after a HEAD.
    with requests.Session() as s:
        s.head(url)
        assert s.get(url).content == RSS.encode()


def test_redirects(feed_server):
    target = feed_server.add("/new.xml", RSS)
    feed_server.redirect("/old.xml", "/new.xml")
    feed_server.redirect("/temp.xml", target, status=302)
    r = requests.get(feed_server.url("/old.xml"))
    assert r.status_code == 200 and r.url == target
    assert [h.status_code for h in r.history] == [301]
    r = requests.get(feed_server.url("/temp.xml"), allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == target
    for code in (307, 308):
        feed_server.redirect(f"/r{code}", "/new.xml", status=code)
        r = requests.get(feed_server.url(f"/r{code}"), allow_redirects=False)
        assert r.status_code == code and r.headers["Location"] == "/new.xml"


def test_redirect_loops(feed_server):
    url = feed_server.loop("/loop")
    with pytest.raises(requests.TooManyRedirects):
        requests.get(url)
    assert feed_server.hits("/loop") == 31  # requests' default max_redirects is 30
    r = requests.get(url + "?5", allow_redirects=False)
    assert r.headers["Location"] == "/loop?6"
    feed_server.redirect("/a", "/b")
    feed_server.redirect("/b", "/a")
    with pytest.raises(requests.TooManyRedirects):
        requests.get(feed_server.url("/a"))


@pytest.mark.parametrize("code", [404, 410, 500, 503])
def test_status_codes(feed_server, code):
    url = feed_server.status(f"/s{code}", code, b"<h1>oops</h1>")
    r = requests.get(url)
    assert r.status_code == code and r.content == b"<h1>oops</h1>"
    assert "ETag" not in r.headers


def test_429_retry_after(feed_server):
    url = feed_server.status("/busy", 429, headers={"Retry-After": "120"})
    r = requests.get(url)
    assert r.status_code == 429 and r.headers["Retry-After"] == "120"
    assert r.headers["Content-Length"] == "0"


def test_custom_headers_and_status_on_add(feed_server):
    url = feed_server.add("/x", RSS, status=203, headers={"Cache-Control": "max-age=60"})
    r = requests.get(url)
    assert r.status_code == 203 and r.headers["Cache-Control"] == "max-age=60"


def test_truncate_after(feed_server):
    body = RSS * 20
    url = feed_server.add("/t", body, truncate_after=50, gzip_ok=False)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url)
    r = requests.get(url, stream=True)
    assert r.headers["Content-Length"] == str(len(body.encode()))
    assert r.raw.read(1000, decode_content=False) == body.encode()[:50]


def test_chunked(feed_server):
    body = RSS * 40  # > 256 bytes, so several chunks
    url = feed_server.add("/ch", body, chunked=True)
    r = requests.get(url, headers=IDENTITY)
    assert r.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in r.headers
    assert r.content == body.encode()
    assert requests.get(url).content == body.encode()  # gzip + chunked


def test_delay(feed_server):
    url = feed_server.add("/slow", RSS, delay=0.3)
    t0 = time.monotonic()
    assert requests.get(url).status_code == 200
    assert time.monotonic() - t0 >= 0.3
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, timeout=(1, 0.05))


def test_drip_trips_read_timeout_and_deadline(feed_server):
    url = feed_server.add("/drip", RSS, drip=0.05, gzip_ok=False)
    # Each byte arrives within the read timeout, so only a total deadline can stop it.
    t0 = time.monotonic()
    with requests.get(url, stream=True, timeout=(1, 1)) as r:
        got = b""
        for chunk in r.iter_content(1):
            got += chunk
            if time.monotonic() - t0 > 0.4:
                break
    assert 0 < len(got) < len(RSS)
    url = feed_server.add("/drip2", RSS, drip=0.5, gzip_ok=False)
    with pytest.raises(requests.exceptions.ConnectionError):  # read timeout mid-body
        requests.get(url, timeout=(1, 0.2))


def test_endless_body_read_with_cap(feed_server):
    url = feed_server.endless("/endless")
    cap = 1_000_000
    t0 = time.monotonic()
    with requests.get(url, stream=True, timeout=5) as r:
        assert r.status_code == 200 and "Content-Length" not in r.headers
        got = 0
        for chunk in r.iter_content(65536):
            got += len(chunk)
            if got > cap:
                break
    assert got > cap and time.monotonic() - t0 < 10
    assert requests.head(url).status_code == 200


def test_add_before_start_and_context_manager():
    server = FeedServer()
    url = server.add("/early", RSS)
    with server:
        assert requests.get(url).content == RSS.encode()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=1)


def test_stop_is_fast_with_open_connections():
    server = FeedServer().start()
    server.add("/drip", RSS * 100, drip=0.5)
    server.endless("/endless")
    session = requests.Session()
    session.get(server.add("/ka", RSS))  # leaves an idle keep-alive connection

    def slow_client():
        try:
            requests.get(server.url("/drip"), timeout=10)
        except requests.RequestException:
            pass

    client = threading.Thread(target=slow_client, daemon=True)
    client.start()
    sock = socket.create_connection(("127.0.0.1", int(server.base_url.rsplit(":", 1)[1])))
    sock.sendall(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")  # never read: server blocks
    time.sleep(0.3)
    t0 = time.monotonic()
    server.stop()
    assert time.monotonic() - t0 < 2
    client.join(3)
    assert not client.is_alive()
    sock.close()
    session.close()
    server.stop()  # idempotent


def test_thread_safety_under_concurrent_clients(feed_server):
    url = feed_server.add("/p", RSS)
    errors = []

    def worker():
        try:
            with requests.Session() as s:
                for _ in range(10):
                    assert s.get(url).content == RSS.encode()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and feed_server.hits("/p") == 80

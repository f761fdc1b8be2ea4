"""Refreshing real feeds from a local HTTP server: limits, errors, caching, redirects, backoff."""

from __future__ import annotations

import gzip
import hashlib
import re
import socket
import struct
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curator import Curator, FetchSettings, ItemQuery
from curator.errors import FetchError, NotAFeedError
from curator.types import Outcome, RefreshResult

DATA = Path(__file__).parent.parent / "data" / "feeds"
# Short enough to keep the suite quick, long enough for a loaded two-core CI machine (a 0.5 s
# read timeout failed healthy feeds there, and a 1 s connect timeout is no longer than the
# kernel's first SYN retry).
FAST = FetchSettings(connect_timeout=2.0, read_timeout=1.0, deadline=2.0, workers=8, per_host=8)
CTYPES = {".xml": "application/rss+xml", ".rdf": "application/rdf+xml",
          ".json": "application/feed+json", ".html": "text/html; charset=utf-8"}


def rss(title: str, items: list[tuple[str, str]] | int, channel_link: str = "https://e.com/"
        ) -> str:
    if isinstance(items, int):
        items = [(f"{title} item {i}", f"<p>Body {i} of {title}</p>") for i in range(items)]
    body = "".join(
        f"<item><title>{t}</title><link>https://e.com/{title}/{i}</link>"
        f"<guid>urn:{title}:{i}</guid><description><![CDATA[{d}]]></description>"
        f"<pubDate>Mon, 0{1 + i % 9} Apr 2024 10:00:00 GMT</pubDate></item>"
        for i, (t, d) in enumerate(items)
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>{channel_link}</link>{body}</channel></rss>")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    with Curator(tmp_path / "data", fetch=FAST, now=clock) as c:
        yield c


def subscribe(app: Curator, *urls: str) -> list[int]:
    return [app.add_feed(u, fetch=False).feed.id for u in urls]


def by_id(result: RefreshResult) -> dict[int, object]:
    return {f.feed_id: f for f in result.feeds}


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def serve_golden(server, name: str, **kw: object) -> str:  # type: ignore[no-untyped-def]
    ctype = CTYPES[Path(name).suffix]
    if name == "rss20_latin1.xml":
        ctype = "application/rss+xml"  # a charset parameter would override the declaration
    return server.add(f"/feeds/{name}", (DATA / name).read_bytes(), content_type=ctype, **kw)


# ---- many feeds, independent failures -------------------------------------------------------


def test_many_feeds_one_failure_does_not_stop_the_others(feed_server, app: Curator) -> None:
    good = [feed_server.add(f"/ok{i}.xml", rss(f"ok{i}", 3)) for i in range(12)]
    bad = {
        "500": feed_server.status("/e500", 500),
        "404": feed_server.status("/e404", 404),
        "slow": feed_server.add("/slow.xml", rss("slow", 1), delay=3),
        "html": feed_server.add("/page", (DATA / "not_a_feed.html").read_bytes(),
                                content_type="text/html"),
        "garbage": feed_server.add("/garbage", b"\x00\x01 not a feed at all"),
        "refused": f"http://127.0.0.1:{closed_port()}/feed.xml",
    }
    good_ids = subscribe(app, *good)
    bad_ids = dict(zip(bad, subscribe(app, *bad.values()), strict=True))
    started = time.monotonic()
    result = app.refresh()
    assert time.monotonic() - started < 5
    outcomes = by_id(result)
    assert len(outcomes) == 18
    good_outcomes = [(outcomes[i].outcome, outcomes[i].new_items, outcomes[i].error)
                     for i in good_ids]
    assert good_outcomes == [(Outcome.OK, 3, None)] * 12
    assert all(outcomes[i].outcome is Outcome.FAILED for i in bad_ids.values())
    errors = {k: outcomes[i].error for k, i in bad_ids.items()}
    assert "500" in errors["500"] and "404" in errors["404"]
    assert "time" in errors["slow"] and "web page" in errors["html"]
    assert "refused" in errors["refused"]
    assert errors["garbage"]
    for error in errors.values():  # one clear sentence, not a repr or a traceback
        assert "Traceback" not in error and "Error(" not in error and len(error) < 300
    assert result.count(Outcome.OK) == 12 and result.count(Outcome.FAILED) == 6
    assert result.new_items == 36 == app.count_items()
    for key, feed_id in bad_ids.items():
        feed = app.get_feed(feed_id)
        assert feed.last_error == errors[key] and feed.next_retry_at is not None


def test_progress_callback_raising_stops_refresh_promptly(feed_server, tmp_path: Path) -> None:
    # Results wait in a bounded queue; a caller that stops early must not leave workers
    # blocked on it (the refresh used to hang for ever here).
    settings = FetchSettings(workers=2, per_host=2, read_timeout=1, deadline=2)
    with Curator(tmp_path, fetch=settings) as app:
        for i in range(100):
            app.add_feed(feed_server.add(f"/p{i}.xml", rss(f"p{i}", 1)), fetch=False)

        def cancel(done: int, total: int, outcome: object) -> None:
            raise KeyboardInterrupt

        errors: list[BaseException] = []

        def run() -> None:
            try:
                app.refresh(progress=cancel)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(15)
        assert not t.is_alive(), "refresh hung after its caller stopped"
        assert len(errors) == 1 and isinstance(errors[0], KeyboardInterrupt)


# ---- conditional GET ------------------------------------------------------------------------


def _files(data_dir: Path) -> dict[str, str]:
    # The -shm file is shared memory readers write to; the database and its WAL hold the data.
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data_dir.glob("curator.db*")) if not p.name.endswith("-shm")}


def test_304_costs_no_parsing_and_no_writes(feed_server, app: Curator, monkeypatch) -> None:
    url = feed_server.add("/cached.xml", rss("cached", 5))
    added = app.add_feed(url)
    assert added.new_items == 5
    stored = app.storage.feeds_for_update()[0]
    assert stored.etag and stored.last_modified
    feed_server.clear_log()

    import curator._update

    def no_parsing(*a: object, **k: object) -> None:
        raise AssertionError("a 304 must not be parsed")

    monkeypatch.setattr(curator._update, "parse_feed", no_parsing)
    conn = app.storage.db.conn
    changes = conn.total_changes
    before = _files(app.data_dir)
    result = app.refresh()
    assert [f.outcome for f in result.feeds] == [Outcome.NOT_MODIFIED]
    (req,) = feed_server.requests
    assert req.headers["If-None-Match"] == stored.etag
    assert req.headers["If-Modified-Since"] == stored.last_modified
    assert conn.total_changes == changes
    assert _files(app.data_dir) == before
    assert result.to_json()["not_modified"] == 1


def test_conditional_headers_echo_the_validators(feed_server, app: Curator) -> None:
    url = feed_server.add("/v.xml", rss("v", 1), etag='W/"abc"',
                          last_modified="Tue, 02 Apr 2024 10:00:00 GMT")
    app.add_feed(url)
    feed_server.clear_log()
    assert app.refresh().count(Outcome.NOT_MODIFIED) == 1
    (req,) = feed_server.requests
    assert req.headers["If-None-Match"] == 'W/"abc"'
    assert req.headers["If-Modified-Since"] == "Tue, 02 Apr 2024 10:00:00 GMT"


def test_last_modified_alone_gives_304(feed_server, app: Curator) -> None:
    url = feed_server.add("/lm.xml", rss("lm", 2), etag=False)
    app.add_feed(url)
    feed_server.clear_log()
    assert app.refresh().count(Outcome.NOT_MODIFIED) == 1
    (req,) = feed_server.requests
    assert "If-None-Match" not in req.headers and req.headers["If-Modified-Since"]


def test_changed_feed_adds_new_and_updates_old_keeping_state(feed_server, app: Curator) -> None:
    url = feed_server.add("/c.xml", rss("c", [("One", "first"), ("Two", "second")]))
    app.add_feed(url)
    one = app.list_items(ItemQuery(search="One")).items[0]
    app.mark_items([one.id], read=True, starred=True)
    feed_server.add("/c.xml", rss("c", [("One", "first, corrected"), ("Two", "second"),
                                        ("Three", "third")]))
    (outcome,) = app.refresh().feeds
    assert (outcome.outcome, outcome.new_items, outcome.updated_items) == (Outcome.OK, 1, 1)
    again = app.get_item(one.id)
    assert again.read and again.starred and "corrected" in (again.summary or "")
    assert app.count_items() == 3


# ---- headers, gzip, encodings ---------------------------------------------------------------


def test_user_agent_and_gzip(feed_server, app: Curator) -> None:
    body = rss("Größe", [("Campaña 日本", "<p>" + "Größe campaña 日本 " * 400 + "</p>")])
    url = feed_server.add("/gz.xml", body)
    app.add_feed(url)
    req = feed_server.requests[-1]
    assert req.headers["User-Agent"].startswith("Curator/")
    assert "gzip" in req.headers["Accept-Encoding"]
    (item,) = app.list_items(with_content=True).items
    assert item.title == "Campaña 日本" and "Größe campaña 日本" in (item.summary or "")
    assert app.get_feed(url).title == "Größe"


def test_deflate_body_is_decoded(feed_server, app: Curator) -> None:
    body = rss("deflate", 2).encode()
    url = feed_server.add("/d.xml", zlib.compress(body), headers={"Content-Encoding": "deflate"},
                          gzip_ok=False)
    assert app.add_feed(url).new_items == 2


@pytest.mark.parametrize("ctype", ["text/plain", "text/html; charset=utf-8",
                                   "application/octet-stream", "application/json"])
def test_wrong_content_type_is_still_parsed(feed_server, app: Curator, ctype: str) -> None:
    url = feed_server.add("/wrong", rss("wrong", 2), content_type=ctype)
    (outcome,) = app.refresh(subscribe(app, url)).feeds
    assert outcome.outcome is Outcome.OK and outcome.new_items == 2


@pytest.mark.parametrize("name", ["rss20_latin1.xml", "rss20_wrong_encoding.xml",
                                  "rss20_entities.xml", "rss20_bom_whitespace.xml"])
def test_messy_golden_feeds_are_read(feed_server, app: Curator, name: str) -> None:
    import json

    exp = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))[name]
    url = serve_golden(feed_server, name)
    (outcome,) = app.refresh(subscribe(app, url)).feeds
    assert outcome.outcome is Outcome.OK and outcome.new_items == exp["entries"]
    assert app.get_feed(url).title == exp["title"]


def test_truncated_document_salvages_items(feed_server, app: Curator) -> None:
    url = serve_golden(feed_server, "rss20_truncated.xml")
    (outcome,) = app.refresh(subscribe(app, url)).feeds
    assert outcome.outcome is Outcome.OK and outcome.new_items >= 2


def test_connection_cut_mid_body_is_a_clear_error(feed_server, app: Curator) -> None:
    body = rss("cut", 20).encode()
    urls = [feed_server.add("/cut.xml", body, truncate_after=len(body) // 2, gzip_ok=False),
            feed_server.add("/cutc.xml", body, truncate_after=len(body) // 2, chunked=True,
                            gzip_ok=False)]
    for outcome in app.refresh(subscribe(app, *urls)).feeds:
        assert outcome.outcome is Outcome.FAILED
        assert "closed the connection" in (outcome.error or "")
    assert app.count_items() == 0


def test_json_feeds_are_served(feed_server, app: Curator) -> None:
    urls = [serve_golden(feed_server, "jsonfeed10.json"),
            serve_golden(feed_server, "jsonfeed11.json")]
    ids = subscribe(app, *urls)
    outcomes = by_id(app.refresh(ids))
    assert [outcomes[i].new_items for i in ids] == [3, 4]
    links = {it.link for it in app.list_items(limit=100).items}
    # Relative item URLs resolve against the feed's declared feed_url (like xml:base).
    assert "https://example.com/j/2024/03/campana" in links
    assert all(link.startswith(("http://", "https://")) for link in links)
    assert app.get_feed(urls[1]).title == "日本とスペインの便り"


def test_html_page_is_a_clear_error(feed_server, app: Curator) -> None:
    url = serve_golden(feed_server, "not_a_feed.html")
    (outcome,) = app.refresh(subscribe(app, url)).feeds
    assert outcome.outcome is Outcome.FAILED and "web page" in (outcome.error or "")
    with pytest.raises(NotAFeedError):
        app.add_feed(feed_server.url("/feeds/not_a_feed.html") + "?again")


def test_hostile_feed_is_stored_sanitized(feed_server, app: Curator) -> None:
    url = serve_golden(feed_server, "atom10_xss.xml")
    app.add_feed(url)
    items = app.list_items(with_content=True).items
    assert len(items) == 3
    tags = re.compile(r"<\s*(script|iframe|form|object|embed|svg|style|meta|base|link|input)\b")
    handler = re.compile(r"<[^>]*\s(on[a-z]+|style)\s*=")
    unsafe = re.compile(r"""(href|src)\s*=\s*["']?\s*(?!https?:|mailto:)[a-z]+:""")
    for it in items:
        text = " ".join(x or "" for x in (it.title, it.author, it.summary, it.content, it.link))
        low = text.lower()
        assert not tags.search(low) and not handler.search(low) and not unsafe.search(low), low
        assert "alert(" not in low and "javascript:" not in low
    assert app.get_feed(url).site_url == "http://evil.example/"


def test_unsafe_site_url_is_not_stored(feed_server, app: Curator) -> None:
    url = feed_server.add("/js.xml", rss("js", 1, channel_link="javascript:alert(1)"))
    app.add_feed(url)
    assert app.get_feed(url).site_url is None
    app.refresh(force=True)
    assert app.get_feed(url).site_url is None


# ---- limits ---------------------------------------------------------------------------------


def test_server_that_never_answers_times_out(feed_server, app: Curator) -> None:
    url = feed_server.add("/silent.xml", rss("silent", 1), delay=5)
    started = time.monotonic()
    (outcome,) = app.refresh(subscribe(app, url)).feeds
    assert time.monotonic() - started < FAST.read_timeout + 1.5
    assert outcome.outcome is Outcome.FAILED and "in time" in (outcome.error or "")


def test_dripping_server_hits_the_deadline(feed_server, app: Curator) -> None:
    # Each byte arrives well within the read timeout; only the total deadline can stop it.
    url = feed_server.add("/drip.xml", rss("drip", 30), drip=0.01, gzip_ok=False)
    started = time.monotonic()
    (outcome,) = app.refresh(subscribe(app, url)).feeds
    elapsed = time.monotonic() - started
    assert FAST.deadline - 0.1 <= elapsed < FAST.deadline + FAST.read_timeout + 1
    assert outcome.outcome is Outcome.FAILED and "too slow" in (outcome.error or "")


def _gzip_with_long_name(body: bytes, name_len: int) -> bytes:
    # A legal gzip member whose header carries a long FNAME: nothing decodes until it ends.
    header = b"\x1f\x8b\x08\x08" + struct.pack("<I", 0) + b"\x00\xff" + b"n" * name_len + b"\x00"
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = c.compress(body) + c.flush()
    return header + deflated + struct.pack("<II", zlib.crc32(body), len(body))


def test_dripping_gzip_that_decodes_nothing_still_hits_the_deadline(feed_server, app: Curator
                                                                     ) -> None:
    body = rss("gzdrip", 2).encode()
    packed = _gzip_with_long_name(body, 3000)
    assert gzip.decompress(packed) == body
    url = feed_server.add("/gzdrip.xml", packed, headers={"Content-Encoding": "gzip"},
                          gzip_ok=False, drip=0.005)
    started = time.monotonic()
    (outcome,) = app.refresh(subscribe(app, url)).feeds
    assert time.monotonic() - started < FAST.deadline + FAST.read_timeout + 1
    assert outcome.outcome is Outcome.FAILED and "too slow" in (outcome.error or "")


@pytest.fixture
def capped(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Curator(tmp_path / "capped", fetch=FetchSettings(
            read_timeout=1, deadline=3, max_bytes=50_000)) as c:
        yield c


def test_size_cap(feed_server, capped: Curator) -> None:
    big = rss("big", [(f"t{i}", "x" * 1000) for i in range(100)])
    urls = {
        "declared": feed_server.add("/big.xml", big, gzip_ok=False),
        "chunked": feed_server.add("/bigc.xml", big, chunked=True, gzip_ok=False),
        "gzip": feed_server.add("/bigz.xml", big),  # small on the wire, big once decoded
        "bomb": feed_server.add(
            "/bomb.xml", gzip.compress(rss("bomb", [("t", " " * 20_000_000)]).encode()),
            headers={"Content-Encoding": "gzip"}, gzip_ok=False),
        "endless": feed_server.endless("/endless.xml"),
        # Empty deflate blocks: bytes keep coming, but nothing ever decodes.
        "nothing": feed_server.add(
            "/nothing.xml", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
            + b"\x00\x00\x00\xff\xff" * 30_000, headers={"Content-Encoding": "gzip"},
            gzip_ok=False),
        "ok": feed_server.add("/small.xml", rss("small", 3)),
    }
    ids = dict(zip(urls, subscribe(capped, *urls.values()), strict=True))
    started = time.monotonic()
    outcomes = by_id(capped.refresh())
    assert time.monotonic() - started < 3
    for key, feed_id in ids.items():
        outcome = outcomes[feed_id]
        if key == "ok":
            assert outcome.outcome is Outcome.OK
            continue
        assert outcome.outcome is Outcome.FAILED, key
        assert "large" in (outcome.error or ""), (key, outcome.error)
        assert "50 kB" in (outcome.error or "") or key == "declared", outcome.error


def test_damaged_gzip_is_a_clear_error(feed_server, app: Curator) -> None:
    url = feed_server.add("/badgz.xml", b"\x1f\x8b\x08\x00garbage-not-deflate" * 10,
                          headers={"Content-Encoding": "gzip"}, gzip_ok=False)
    (outcome,) = app.refresh(subscribe(app, url)).feeds
    assert outcome.outcome is Outcome.FAILED and "compressed" in (outcome.error or "")


# ---- redirects ------------------------------------------------------------------------------


def test_redirect_loops_are_clear_errors(feed_server, app: Curator) -> None:
    chain = feed_server.loop("/chain")
    feed_server.redirect("/a", "/b", 302)
    ping = feed_server.redirect("/b", "/a", 302)
    js = feed_server.redirect("/js", "javascript:alert(1)", 301)
    outcomes = app.refresh(subscribe(app, chain, ping, js)).feeds
    assert [o.outcome for o in outcomes] == [Outcome.FAILED] * 3
    errors = sorted(o.error or "" for o in outcomes)
    assert any("Too many redirects" in e for e in errors)
    assert any("loop" in e for e in errors)
    assert any("unsupported" in e for e in errors)
    assert feed_server.hits("/chain") <= FAST.max_redirects + 1


@pytest.mark.parametrize(("status", "moves"), [(301, True), (308, True), (302, False),
                                               (307, False)])
def test_permanent_redirects_update_the_url(feed_server, app: Curator, status: int, moves: bool
                                            ) -> None:
    new = feed_server.add("/new.xml", rss("moved", 2))
    old = feed_server.redirect("/old.xml", "/new.xml", status)
    (feed_id,) = subscribe(app, old)
    (outcome,) = app.refresh().feeds
    assert outcome.outcome is Outcome.OK and outcome.new_items == 2
    assert app.get_feed(feed_id).url == (new if moves else old)
    assert outcome.moved_to == (new if moves else None)
    feed_server.clear_log()
    app.refresh()
    assert feed_server.hits("/old.xml") == (0 if moves else 1)


def test_permanent_then_temporary_redirect_keeps_the_permanent_hop(feed_server, app: Curator
                                                                    ) -> None:
    final = feed_server.add("/final.xml", rss("final", 1))
    mid = feed_server.redirect("/mid.xml", "/final.xml", 302)
    old = feed_server.redirect("/start.xml", "/mid.xml", 301)
    (feed_id,) = subscribe(app, old)
    app.refresh()
    assert app.get_feed(feed_id).url == mid != final


def test_add_follows_a_permanent_redirect(feed_server, app: Curator) -> None:
    new = feed_server.add("/moved.xml", rss("m", 1))
    old = feed_server.redirect("/was.xml", "/moved.xml", 301)
    assert app.add_feed(old).feed.url == new


# ---- errors over time -----------------------------------------------------------------------


def test_410_disables_the_feed(feed_server, app: Curator) -> None:
    url = feed_server.status("/gone.xml", 410)
    (feed_id,) = subscribe(app, url)
    (outcome,) = app.refresh().feeds
    assert outcome.outcome is Outcome.FAILED and "410" in (outcome.error or "")
    feed = app.get_feed(feed_id)
    assert feed.disabled and "410" in (feed.last_error or "")
    feed_server.clear_log()
    (skipped,) = app.refresh().feeds
    assert skipped.outcome is Outcome.SKIPPED and feed_server.hits("/gone.xml") == 0
    app.refresh(force=True)
    assert feed_server.hits("/gone.xml") == 1 and app.get_feed(feed_id).disabled
    assert app.update_feed(feed_id, enabled=True).disabled is False


def test_failing_feed_backs_off(feed_server, app: Curator, clock: Clock) -> None:
    url = feed_server.status("/flaky.xml", 500)
    ok = feed_server.add("/fine.xml", rss("fine", 1))
    flaky_id, ok_id = subscribe(app, url, ok)
    app.refresh()
    feed = app.get_feed(flaky_id)
    assert feed.error_count == 1 and "500" in (feed.last_error or "")
    assert feed.next_retry_at == clock.now + timedelta(minutes=10)
    feed_server.clear_log()
    outcomes = by_id(app.refresh())
    assert outcomes[flaky_id].outcome is Outcome.SKIPPED
    assert outcomes[flaky_id].error == feed.last_error
    assert outcomes[flaky_id].next_retry_at == feed.next_retry_at
    assert outcomes[ok_id].outcome is Outcome.NOT_MODIFIED
    assert feed_server.hits("/flaky.xml") == 0
    app.refresh([flaky_id])  # named: fetched anyway
    assert feed_server.hits("/flaky.xml") == 1
    app.refresh(force=True)
    assert feed_server.hits("/flaky.xml") == 2
    feed = app.get_feed(flaky_id)
    assert feed.error_count == 3 and feed.next_retry_at == clock.now + timedelta(minutes=40)
    clock.now += timedelta(minutes=41)
    feed_server.add("/flaky.xml", rss("flaky", 2))
    outcomes = by_id(app.refresh())
    assert outcomes[flaky_id].outcome is Outcome.OK and outcomes[flaky_id].new_items == 2
    feed = app.get_feed(flaky_id)
    assert (feed.error_count, feed.last_error, feed.next_retry_at) == (0, None, None)


def test_retry_after_is_honoured(feed_server, app: Curator, clock: Clock) -> None:
    url = feed_server.status("/busy.xml", 503, headers={"Retry-After": "7200"})
    (feed_id,) = subscribe(app, url)
    app.refresh()
    # Read against the injected clock, not the wall clock.
    assert app.get_feed(feed_id).next_retry_at == clock.now + timedelta(hours=2)


# ---- subscribing ----------------------------------------------------------------------------


def test_autodiscovery_with_relative_links(feed_server, app: Curator) -> None:
    for name in ("atom10.xml", "rss20.xml", "page_with_links.html"):
        serve_golden(feed_server, name)
    page = feed_server.url("/feeds/page_with_links.html")
    added = app.add_feed(page, folder="Blogs")
    assert added.discovered_from == page
    assert added.feed.url == feed_server.url("/feeds/atom10.xml")
    assert added.new_items == 3 and added.feed.folder == "Blogs"
    assert added.feed.title == "Bitácora: campaña, Größe y 日本"


def test_page_without_feed_links_is_refused(feed_server, app: Curator) -> None:
    url = serve_golden(feed_server, "not_a_feed.html")
    with pytest.raises(NotAFeedError, match="links to no feed"):
        app.add_feed(url)
    assert app.list_feeds() == []


def test_offline_add_keeps_the_subscription(app: Curator) -> None:
    url = f"http://127.0.0.1:{closed_port()}/feed.xml"
    added = app.add_feed(url, role="own")
    assert added.warning and "next refresh" in added.warning
    feed = app.get_feed(url)
    assert feed.role.value == "own" and "refused" in (feed.last_error or "")
    (outcome,) = app.refresh().feeds
    assert outcome.outcome is Outcome.FAILED


def test_add_of_a_missing_feed_subscribes_nothing(feed_server, app: Curator) -> None:
    with pytest.raises(FetchError, match="404"):
        app.add_feed(feed_server.url("/missing.xml"))
    assert app.list_feeds() == []


# ---- politeness -----------------------------------------------------------------------------


def test_per_host_limit_is_respected(feed_server, tmp_path: Path) -> None:
    delay = 0.25
    urls = [feed_server.add(f"/h{i}.xml", rss(f"h{i}", 1), delay=delay) for i in range(8)]
    with Curator(tmp_path, fetch=FetchSettings(workers=8, per_host=2, read_timeout=2)) as app:
        subscribe(app, *urls)
        feed_server.clear_log()
        result = app.refresh()
    assert result.count(Outcome.OK) == 8
    starts = sorted(r.time for r in feed_server.requests)
    assert len(starts) == 8
    # A request holds its slot at least `delay` (the server waits before answering).
    most = max(sum(1 for s in starts if t <= s < t + delay) for t in starts)
    assert most == 2  # never more than 2 at once, and the 2 are used


def test_connection_reused_after_an_error_status(feed_server) -> None:
    # A kept-alive connection went back to the pool with its last (error) response still
    # open; while that error was alive, the next request on it failed ("Request-sent").
    from curator._fetch import Fetcher

    fetcher = Fetcher(FetchSettings(workers=1, per_host=1))
    ok = feed_server.add("/ok.xml", rss("ok", 1))
    err = feed_server.status("/err.xml", 500)
    missing = feed_server.url("/missing.xml")  # 404 with a small body
    kept: list[Exception] = []
    for url in (err, ok, missing, ok, err, ok):
        try:
            assert fetcher.fetch(url).status == 200
        except FetchError as e:
            kept.append(e)
    fetcher.close()
    assert [str(e) for e in kept] == [
        "The server answered HTTP 500 Internal Server Error.", "Not found (HTTP 404).",
        "The server answered HTTP 500 Internal Server Error."]


def test_cancel_stops_early_and_keeps_what_was_fetched(feed_server, app: Curator) -> None:
    urls = [feed_server.add(f"/c{i}.xml", rss(f"c{i}", 2), delay=0.2) for i in range(40)]
    subscribe(app, *urls)
    cancel = threading.Event()

    def progress(done: int, total: int, outcome: object) -> None:
        cancel.set()  # e.g. the user quits the app after the first feed

    result = app.refresh(progress=progress, cancel=cancel)
    assert result.cancelled
    assert 1 <= len(result.feeds) < 40
    # Feeds not yet started were never requested.
    assert sum(feed_server.hits(f"/c{i}.xml") for i in range(40)) < 40
    stored = {f.id: f.total for f in app.list_feeds()}
    for outcome in result.feeds:
        assert outcome.outcome is Outcome.OK and stored[outcome.feed_id] == 2


def test_a_stored_feed_is_reported_without_waiting_for_a_slow_one(feed_server, app: Curator
                                                                  ) -> None:
    # The GUI shows new items as each progress report arrives; a fast feed's items must be
    # committed and reported while a slow feed is still downloading.
    fast = feed_server.add("/fast.xml", rss("fast", 2))
    slow = feed_server.add("/slow.xml", rss("slow", 1), delay=1.5)
    fast_id, slow_id = subscribe(app, fast, slow)
    seen: dict[int, tuple[int, int]] = {}

    def progress(done: int, total: int, outcome) -> None:  # type: ignore[no-untyped-def]
        stored = app.count_items(ItemQuery(feed_id=outcome.feed_id))
        seen[outcome.feed_id] = (stored, feed_server.hits("/slow.xml"))
        if outcome.feed_id == fast_id:
            assert slow_id not in seen

    app.refresh(progress=progress)
    assert seen[fast_id][0] == 2  # committed before it was reported
    assert slow_id in seen

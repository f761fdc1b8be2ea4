"""The headless CLI run as a real subprocess against a local feed server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

DATA = Path(__file__).parent.parent / "data"
FEED_KEYS = {"id", "url", "title", "role", "folder", "last_error", "unread"}
ITEM_KEYS = {"id", "feed_id", "title", "link", "author", "published", "summary", "read",
             "starred"}


def rss(title: str, n: int, word: str = "") -> str:
    items = "".join(
        f"<item><title>{title} {word} {i}</title><link>https://e.com/{title}/{i}</link>"
        f"<author>ana@e.com (Ana)</author>"
        f"<description>&lt;p&gt;Text {i} about {word or 'nothing'}&lt;/p&gt;</description>"
        f"<pubDate>Mon, 0{1 + i} Apr 2024 10:00:00 GMT</pubDate></item>"
        for i in range(n)
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://e.com/</link>{items}</channel></rss>")


class CLI:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir

    def run(self, *args: str, data_dir: bool = True, env: dict[str, str] | None = None,
            ok: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "curator"]
        if data_dir:
            argv += ["--data-dir", str(self.data_dir)]
        full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
        full_env.pop("CURATOR_DATA_DIR", None) if env is None else None
        proc = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=60,
                              env=full_env, cwd=self.data_dir.parent)
        if ok:
            assert proc.returncode == 0, proc.stderr
            assert "Traceback" not in proc.stderr
        return proc

    def json(self, *args: str) -> object:
        return json.loads(self.run(*args, "--json").stdout)

    def fails(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = self.run(*args, ok=False, env=env)
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        return lines[0]


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path / "data")


def test_feeds_add_list_and_remove(cli: CLI, feed_server) -> None:
    a = feed_server.add("/a.xml", rss("Alpha", 3))
    b = feed_server.add("/b.xml", rss("Beta", 2))
    out = cli.run("feeds", "add", a).stdout
    assert "Alpha" in out and "3 items" in out
    added = cli.json("feeds", "add", b, "--role", "competitor", "--folder", "Rivals/EU")
    assert added["role"] == "competitor" and added["folder"] == "Rivals/EU"
    feeds = cli.json("feeds", "list")
    assert isinstance(feeds, list) and len(feeds) == 2
    for f in feeds:
        assert FEED_KEYS <= set(f)
    by_url = {f["url"]: f for f in feeds}
    assert by_url[a]["title"] == "Alpha" and by_url[a]["role"] == "third-party"
    assert by_url[a]["folder"] is None and by_url[a]["unread"] == 3
    assert by_url[b]["folder"] == "Rivals/EU" and by_url[b]["last_error"] is None
    text = cli.run("feeds", "list").stdout
    assert "Alpha" in text and "Rivals/EU/Beta" in text
    cli.run("feeds", "remove", str(by_url[a]["id"]))
    assert [f["url"] for f in cli.json("feeds", "list")] == [b]
    cli.run("feeds", "remove", b)  # by URL
    assert cli.json("feeds", "list") == []
    assert cli.json("items", "list") == []


def test_refresh_json_summary(cli: CLI, feed_server) -> None:
    urls = [feed_server.add(f"/r{i}.xml", rss(f"R{i}", 2)) for i in range(3)]
    bad = feed_server.status("/bad.xml", 500)
    for url in [*urls, bad]:
        cli.run("feeds", "add", url, "--no-fetch")
    summary = cli.json("refresh")
    assert {"ok", "not_modified", "failed", "new_items"} <= set(summary)
    assert (summary["ok"], summary["failed"], summary["new_items"]) == (3, 1, 6)
    again = cli.json("refresh")
    assert (again["not_modified"], again["new_items"]) == (3, 0)
    assert again["failed"] == 0  # the failing feed is backing off now
    feed = next(f for f in cli.json("feeds", "list") if f["url"] == bad)
    assert "500" in feed["last_error"]
    forced = cli.json("refresh", "--feed", str(feed["id"]))
    assert forced["failed"] == 1 and len(forced["feeds"]) == 1
    text = cli.run("refresh", "--force")
    assert "failed" in text.stdout and "500" in text.stderr


def test_items_list_show_and_mark(cli: CLI, feed_server) -> None:
    a = feed_server.add("/a.xml", rss("Alpha", 3, "campaña"))
    b = feed_server.add("/b.xml", rss("Beta", 4, "Größe"))
    cli.run("feeds", "add", a)
    cli.run("feeds", "add", b)
    items = cli.json("items", "list")
    assert isinstance(items, list) and len(items) == 7
    for it in items:
        assert ITEM_KEYS <= set(it)
        assert it["published"] is None or it["published"].endswith("Z")
        assert it["read"] is False and it["starred"] is False
    dates = [it["published"] for it in items]
    assert dates == sorted(dates, reverse=True)
    feeds = {f["url"]: f["id"] for f in cli.json("feeds", "list")}
    only_a = cli.json("items", "list", "--feed", str(feeds[a]))
    assert {it["feed_id"] for it in only_a} == {feeds[a]} and len(only_a) == 3
    assert len(cli.json("items", "list", "--feed", a)) == 3  # a URL works too
    assert len(cli.json("items", "list", "--limit", "2")) == 2
    oldest = cli.json("items", "list", "--oldest-first")
    assert [i["id"] for i in oldest] == [i["id"] for i in items][::-1]
    found = cli.json("items", "list", "--search", "campana")  # accents ignored
    assert len(found) == 3 and all("campaña" in it["title"] for it in found)
    assert cli.json("items", "list", "--search", "grösse OR größe", "--limit", "1") != []

    first, second = only_a[0]["id"], only_a[1]["id"]
    shown = cli.run("items", "show", str(first)).stdout
    assert only_a[0]["title"] in shown and only_a[0]["link"] in shown and "<p>" not in shown
    full = cli.json("items", "show", str(first))
    assert full["id"] == first and "content" in full

    cli.run("items", "mark", str(first), str(second), "--read")
    cli.run("items", "mark", str(second), "--star")
    unread = cli.json("items", "list", "--unread")
    assert len(unread) == 5 and first not in {it["id"] for it in unread}
    starred = cli.json("items", "list", "--starred")
    assert [it["id"] for it in starred] == [second] and starred[0]["read"] is True
    cli.run("items", "mark", str(first), "--unread")
    assert len(cli.json("items", "list", "--unread")) == 6
    cli.run("items", "mark-all-read", "--feed", str(feeds[b]))
    assert len(cli.json("items", "list", "--unread")) == 2
    listed = {f["url"]: f for f in cli.json("feeds", "list")}
    assert listed[a]["unread"] == 2 and listed[b]["unread"] == 0


def test_opml_import_export_round_trip(cli: CLI, tmp_path: Path) -> None:
    out = cli.run("feeds", "import-opml", str(DATA / "opml" / "nested.opml"))
    assert "Imported 7 feeds" in out.stdout
    before = cli.json("feeds", "list")
    assert {f["folder"] for f in before} >= {"Tech/Python", "Company"}
    exported = tmp_path / "out.opml"
    cli.run("feeds", "export-opml", str(exported))
    ElementTree.parse(exported)  # well-formed
    stdout_copy = cli.run("feeds", "export-opml").stdout
    assert stdout_copy.startswith("<?xml") and "Python Insider" in stdout_copy

    other = CLI(tmp_path / "other")
    other.run("feeds", "import-opml", str(exported))

    def key(f: dict) -> tuple:
        return (f["url"], f["title"], f["folder"], f["role"])

    assert sorted(map(key, other.json("feeds", "list"))) == sorted(map(key, before))
    again = cli.json("feeds", "import-opml", str(exported))
    assert again["added"] == [] and len(again["existing"]) == len(before)


def test_errors_are_one_line_and_non_zero(cli: CLI, feed_server, tmp_path: Path) -> None:
    cli.run("feeds", "list")  # creates the database
    line = cli.fails("feeds", "remove", "999")
    assert line.startswith("curator: ") and "999" in line
    assert "999" in cli.fails("items", "show", "999")
    assert "999" in cli.fails("items", "mark", "999", "--read")
    assert "999" in cli.fails("refresh", "--feed", "999")
    assert "999" in cli.fails("feeds", "edit", "999", "--title", "x")
    assert "not an http" in cli.fails("feeds", "add", "notaurl")
    assert "not an http" in cli.fails("feeds", "add", "ftp://example.com/feed")
    missing = tmp_path / "nope.opml"
    assert str(missing) in cli.fails("feeds", "import-opml", str(missing))
    assert "404" in cli.fails("feeds", "add", feed_server.url("/missing.xml"))
    assert "web page" in cli.fails("feeds", "add", feed_server.add(
        "/page.html", (DATA / "feeds" / "not_a_feed.html").read_bytes(), content_type="text/html"))
    assert "OPML" in cli.fails("feeds", "import-opml", str(DATA / "feeds" / "rss20.xml"))
    assert "--limit" in cli.fails("items", "list", "--limit", "0")
    assert "cursor" in cli.fails("items", "list", "--search", "x", "--cursor", "o:zz")
    assert "subscription" in cli.fails("items", "list", "--feed", "https://not.subscribed/")
    url = feed_server.add("/dup.xml", rss("Dup", 1))
    cli.run("feeds", "add", url)
    assert "Already subscribed" in cli.fails("feeds", "add", url)
    assert cli.json("feeds", "list")[0]["url"] == url  # nothing else got subscribed


def test_offline_add_warns_but_subscribes(cli: CLI) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = cli.run("feeds", "add", f"http://127.0.0.1:{port}/feed.xml")
    assert "next refresh" in proc.stderr
    (feed,) = cli.json("feeds", "list")
    assert "refused" in feed["last_error"]


def test_data_dir_from_env_and_either_position(cli: CLI, feed_server, tmp_path: Path) -> None:
    url = feed_server.add("/e.xml", rss("Env", 1))
    env_dir = tmp_path / "from-env"
    cli.run("feeds", "add", url, "--no-fetch", data_dir=False,
            env={"CURATOR_DATA_DIR": str(env_dir)})
    assert (env_dir / "curator.db").exists()
    listed = json.loads(cli.run("feeds", "list", "--json", data_dir=False,
                                env={"CURATOR_DATA_DIR": str(env_dir)}).stdout)
    assert [f["url"] for f in listed] == [url]
    # --data-dir wins over the environment, before or after the subcommand.
    other = tmp_path / "explicit"
    for argv in (["--data-dir", str(other), "feeds", "list", "--json"],
                 ["feeds", "list", "--json", "--data-dir", str(other)],
                 ["feeds", "--data-dir", str(other), "list", "--json"]):
        proc = cli.run(*argv, data_dir=False, env={"CURATOR_DATA_DIR": str(env_dir)})
        assert json.loads(proc.stdout) == []
    assert (other / "curator.db").exists()
    proc = cli.run("--json", "feeds", "list", "--data-dir", str(env_dir), data_dir=False, env={})
    assert [f["url"] for f in json.loads(proc.stdout)] == [url]

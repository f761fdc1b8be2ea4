"""Search and item-list latency on a large store: Curator beside reader (or a LIKE baseline)."""

# This file is also the reader peer: `python search.py --serve-peer reader STORE` is started with
# the shared bench venv's python (where reader is installed, Curator is not), so everything at
# module level is stdlib only; Curator is imported inside the functions that use it.

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "benchmarks" / "data"
CORPUS_VERSION = 1  # bump when the generator below changes: cached stores are then rebuilt
SEED = 20240601
NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)  # fixed clock: byte-identical corpora
SPAN_DAYS = 730  # every feed's items go back about two years
RARE_WORD = "quasar"  # injected into ~1 item in 2,000, so "rare word" has a few dozen hits
RARE_EVERY = 2000
PAGE = 50
DEEP_PAGE = 100

# (label, query): the same text goes to both sides; it is valid FTS5 syntax for reader and
# Curator's own search syntax alike.
QUERIES = [
    ("common word", "security"),
    ("rare word", RARE_WORD),
    ("two words", "open source"),
    ("phrase", '"open source"'),
    ("prefix", "data*"),
    ("accent-insensitive", "campana"),  # the corpus has "campaña"
]

# Used only when ../shared/bench/genfeeds.py is not there.
FALLBACK_WORDS = {
    "en": """the of and to in is that for it as was with on be by this are from at or an have
    not they which one you had but all their has were there more release update security kernel
    browser privacy climate energy market policy research design developer community open source
    database network performance benchmark reader feed library python desktop science health city
    election budget museum review album interview analysis report study model data cloud storage
    battery launch version feature support issue patch server client protocol""".split(),
    "es": """el la de que y en los se del las un por con no una su para es al lo como más pero
    sus ya este porque esta entre cuando muy sin sobre también hasta hay donde desde todo durante
    años día corazón canción información política economía educación tecnología investigación
    según aquí mañana compañía español pequeño búsqueda vehículo públicos análisis página música
    película""".split(),
}
FALLBACK_PREFIX = {"en": ["Review:", "How to", "Why", "Opinion:", ""],
                   "es": ["Última hora:", "Reseña:", "Cómo", "Opinión:", ""]}
# genfeeds' Spanish list has no "campaña"; the accent-insensitive query needs it.
EXTRA_WORDS = {"es": ["campaña", "campaña", "campañas", "diseño", "señal", "año"]}
AUTHORS = ["Ana García", "John Smith", "Jürgen Müller", "María José Núñez", "Li Wei",
           "Sam O'Neil", "Chloé Dubois", "Priya Patel", "Tomás Ibáñez", "Yuki Tanaka"]


# ---- corpus (stdlib) -----------------------------------------------------------------------


def vocabulary(bench_dir: Path) -> tuple[dict[str, list[str]], dict[str, list[str]], str]:
    """genfeeds.py's word lists (so every Curator benchmark reads alike), else a small built-in
    one. Returns (words by language, title prefixes, where they came from)."""
    source = "built-in word list"
    words, prefixes = FALLBACK_WORDS, FALLBACK_PREFIX
    if (bench_dir / "genfeeds.py").is_file():
        sys.path.append(str(bench_dir))  # appended: bench.py & co. must not shadow anything
        try:
            import genfeeds  # type: ignore[import-not-found]

            words, prefixes = genfeeds.WORDS, genfeeds.TITLE_PREFIX
            source = f"{bench_dir / 'genfeeds.py'}"
        except Exception as e:  # a broken shared file must not stop this benchmark
            print(f"[search] cannot import genfeeds ({e}); using the built-in word list")
        finally:
            sys.path.remove(str(bench_dir))
    merged = {lang: list(ws) + EXTRA_WORDS.get(lang, []) for lang, ws in words.items()}
    return merged, {k: list(v) for k, v in prefixes.items()}, source


def _sentence(rng: random.Random, words: list[str], lang: str, lo: int, hi: int) -> str:
    s = ("" if lang == "ja" else " ").join(rng.choice(words) for _ in range(rng.randint(lo, hi)))
    return s[:1].upper() + s[1:]


def _summary(rng: random.Random, words: list[str], lang: str, slug: str, rare: bool) -> str:
    """~60 words of feed-like HTML: paragraphs, a link, bold, sometimes an image."""
    end = "。" if lang == "ja" else "."
    target = rng.randint(40, 80)
    sentences, n = [], 0
    while n < target:
        k = rng.randint(6, 16)
        sentences.append(_sentence(rng, words, lang, k, k) + end)
        n += k
    if rare:
        sentences.insert(rng.randrange(len(sentences) + 1), f"A {RARE_WORD} appeared{end}")
    cut = sorted(rng.sample(range(1, len(sentences)), min(2, len(sentences) - 1)))
    bounds = zip([0, *cut], [*cut, len(sentences)], strict=True)
    paras = [" ".join(sentences[a:b]) for a, b in bounds]
    out = []
    for p in paras:
        if rng.random() < 0.5:
            w = rng.choice(words)
            p = p.replace(f" {w} ", f' <a href="https://example.org/{slug}/{w}?ref=feed&amp;'
                          f'utm_source=rss">{w}</a> ', 1)
        if rng.random() < 0.3:
            p = f"<strong>{_sentence(rng, words, lang, 2, 4)}</strong> {p}"
        out.append(f"<p>{p}</p>")
    if rng.random() < 0.1:
        out.insert(1, f'<img src="https://cdn.example.org/{slug}/{rng.randint(1, 99999)}.jpg" '
                      f'alt="{_sentence(rng, words, lang, 2, 4)}" width="640" height="360">')
    return "".join(out)


def corpus_key(n_items: int, n_feeds: int, words: dict[str, list[str]]) -> str:
    basis = json.dumps([CORPUS_VERSION, SEED, n_items, n_feeds, words], sort_keys=True)
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def write_corpus(path: Path, n_items: int, n_feeds: int, words: dict[str, list[str]],
                 prefixes: dict[str, list[str]]) -> str:
    """Deterministic feeds and entries as JSON lines: first {"feeds": [...]}, then one entry a
    line as [feed index, guid, link, title, author, summary HTML, published ISO, read]. Both
    sides load exactly these entries. Returns the URL of the feed with the most items."""
    rng = random.Random(SEED)
    langs = [lang for lang in ("en", "es", "de", "ja") if lang in words]
    lang_weights = [{"en": 75, "es": 18, "de": 4, "ja": 3}[lang] for lang in langs]
    feeds = []
    for i in range(n_feeds):
        lang = rng.choices(langs, lang_weights)[0]
        slug = f"feed{i:05d}"
        feeds.append({"url": f"https://{slug}.example.org/feed.xml", "lang": lang,
                      "site": f"https://{slug}.example.org/",
                      "title": f"{slug} {_sentence(rng, words[lang], lang, 2, 4)}"})
    # Log-normal feed sizes: a few busy feeds and a long tail, like real subscriptions.
    weights = [rng.lognormvariate(0, 1) for _ in range(n_feeds)]
    counts = [max(1, int(n_items * w / sum(weights))) for w in weights]
    while sum(counts) != n_items:  # fix rounding so the total is exact
        j = rng.randrange(n_feeds)
        counts[j] += 1 if sum(counts) < n_items else (-1 if counts[j] > 1 else 0)
    tmp = path.with_suffix(".tmp")
    serial = 0
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps({"feeds": feeds}, ensure_ascii=False) + "\n")
        for i, (feed, count) in enumerate(zip(feeds, counts, strict=True)):
            lang, slug = feed["lang"], f"feed{i:05d}"
            ws, gap = words[lang], SPAN_DAYS * 86400 / count
            t = NOW - dt.timedelta(seconds=rng.uniform(0, gap))
            for k in range(count):
                serial += 1
                prefix = rng.choice(prefixes.get(lang) or [""])
                title = f"{prefix} {_sentence(rng, ws, lang, 5, 10)}".strip()
                age_days = (NOW - t).total_seconds() / 86400
                # Most old items have been read, about a third of the last fortnight's.
                read = rng.random() < (0.95 if age_days > 14 else 0.3)
                f.write(json.dumps([
                    i, f"tag:{slug}.example.org,2024:{k}", f"https://{slug}.example.org/p/{k}",
                    title, rng.choice(AUTHORS) if rng.random() < 0.8 else None,
                    _summary(rng, ws, lang, slug, serial % RARE_EVERY == 0),
                    t.strftime("%Y-%m-%dT%H:%M:%SZ"), read,
                ], ensure_ascii=False) + "\n")
                t -= dt.timedelta(seconds=rng.expovariate(1 / gap))
    os.replace(tmp, path)
    return feeds[counts.index(max(counts))]["url"]


def read_corpus(path: Path) -> tuple[list[dict[str, str]], Iterator[list[Any]]]:
    f = open(path, encoding="utf-8")
    feeds = json.loads(f.readline())["feeds"]

    def entries() -> Iterator[list[Any]]:
        with f:
            for line in f:
                yield json.loads(line)
    return feeds, entries()


def parse_iso(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def db_bytes(main: Path) -> int:
    """Size of a database file with its -wal/-shm (a store's real footprint)."""
    return sum(p.stat().st_size for p in main.parent.glob(main.name + "*") if p.is_file())


def checkpoint(path: Path) -> None:
    # Fold the WAL into the main file so the size figure is the data, not a transient log.
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def pct(samples: list[float], q: float) -> float:
    xs = sorted(samples)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def timed(fn: Callable[[], int], plan: dict[str, Any]) -> tuple[list[float], int]:
    """Call fn plan["warmup"] times untimed, then plan["reps"] times timed; returns (ms per
    call, fn's last result). A slow call stops early once it used plan["budget"] seconds (a
    tenth of it for the warm-up) and has plan["min_reps"] samples: a peer taking a second per
    query would otherwise need minutes per row."""
    budget, hits = plan["budget"], 0
    start = time.perf_counter()
    for _ in range(plan["warmup"]):
        hits = fn()
        if time.perf_counter() - start > budget / 10:
            break
    ms: list[float] = []
    start = time.perf_counter()
    for _ in range(plan["reps"]):
        t0 = time.perf_counter()
        hits = fn()
        ms.append((time.perf_counter() - t0) * 1000)
        if len(ms) >= plan["min_reps"] and t0 - start > budget:
            break
    return ms, hits


# ---- operations ----------------------------------------------------------------------------
# An operation is a small dict both sides understand: {"kind": "search", "q": ...} or
# {"kind": "list", "unread": bool, "feed": url | None, "page": n}.


def operations(big_feed_url: str, deep_page: int) -> list[tuple[str, dict[str, Any]]]:
    ops: list[tuple[str, dict[str, Any]]] = [
        (f"search: {label} `{q}`", {"kind": "search", "q": q}) for label, q in QUERIES]
    ops += [
        ("list: first page, all items", {"kind": "list"}),
        ("list: first page, unread", {"kind": "list", "unread": True}),
        ("list: first page, one feed (the largest)", {"kind": "list", "feed": big_feed_url}),
        (f"list: page {deep_page} (keyset cursor)", {"kind": "list", "page": deep_page}),
    ]
    return ops


class CuratorSide:
    """Curator through its facade, in this process."""

    name = "Curator"

    def __init__(self, store: Path):
        from curator import Curator

        self.app = Curator(store)
        self.feed_ids = {f.url: f.id for f in self.app.list_feeds()}
        self.cursors: dict[int, str | None] = {}

    def close(self) -> None:
        self.app.close()

    def _cursor(self, page: int) -> str | None:
        # The cursor that ends page-1 is found once, untimed; the timed call is the last hop.
        if page not in self.cursors:
            from curator import ItemQuery

            cursor = None
            for _ in range(page - 1):
                cursor = self.app.list_items(ItemQuery(), limit=PAGE, cursor=cursor).next_cursor
                if cursor is None:
                    raise SystemExit(f"the store has fewer than {page} pages")
            self.cursors[page] = cursor
        return self.cursors[page]

    def call(self, op: dict[str, Any]) -> Callable[[], int]:
        from curator import ItemQuery

        app = self.app
        if op["kind"] == "search":
            q = ItemQuery(search=op["q"])
            return lambda: len(app.list_items(q, limit=PAGE).items)
        q = ItemQuery(unread=op.get("unread", False),
                      feed_id=self.feed_ids[op["feed"]] if op.get("feed") else None)
        cursor = self._cursor(op["page"]) if op.get("page") else None
        return lambda: len(app.list_items(q, limit=PAGE, cursor=cursor).items)

    def matches(self, q: str) -> int | None:
        """How many items match in all (untimed, for the report): a page of 50 does not say
        whether a query had 50 or 30,000 candidates to rank."""
        try:
            from curator._search import to_fts_query

            sql = "SELECT count(*) FROM items_fts WHERE items_fts MATCH ?"
            return int(self.app.storage.db.conn.execute(sql, (to_fts_query(q),)).fetchone()[0])
        except Exception:  # internal API: a figure for the report, never worth a failure
            return None

    def time(self, op: dict[str, Any], plan: dict[str, Any]) -> tuple[list[float], int]:
        return timed(self.call(op), plan)


class LikeSide:
    """Fallback peer: what an app without a full-text index does, plain SQL LIKE '%word%'
    (every word ANDed; no ranking, no accent folding), and OFFSET paging, over Curator's db."""

    name = "SQLite LIKE"

    def __init__(self, db_path: Path):
        self.db = sqlite3.connect(db_path)
        self.feed_ids = dict(self.db.execute("SELECT url, id FROM feeds"))

    def close(self) -> None:
        self.db.close()

    def call(self, op: dict[str, Any]) -> Callable[[], int]:
        cols = ("SELECT i.id, i.feed_id, f.title, i.title, i.link, i.author, i.published, "
                "i.first_seen, i.summary, i.read, i.starred FROM items i "
                "JOIN feeds f ON f.id = i.feed_id")
        where, params, offset = ["i.hidden = 0"], [], 0
        if op["kind"] == "search":
            q = op["q"]
            terms = [q.strip('"')] if q.startswith('"') else [w.rstrip("*") for w in q.split()]
            for t in terms:
                where.append("(i.title LIKE ? OR i.summary LIKE ?)")
                params += [f"%{t}%", f"%{t}%"]
        else:
            if op.get("unread"):
                where.append("i.read = 0")
            if op.get("feed"):
                where.append("i.feed_id = ?")
                params.append(self.feed_ids[op["feed"]])
            offset = (op.get("page", 1) - 1) * PAGE
        sql = (f"{cols} WHERE {' AND '.join(where)} ORDER BY i.sort_date DESC, i.id DESC "
               "LIMIT ? OFFSET ?")
        args = (*params, PAGE, offset)
        return lambda: len(self.db.execute(sql, args).fetchall())

    def time(self, op: dict[str, Any], plan: dict[str, Any]) -> tuple[list[float], int]:
        return timed(self.call(op), plan)


class ReaderSide:
    """The reader library in a child process (the shared bench venv's python), driven by one
    JSON line per command, so both sides run one operation after the other in the same run."""

    name = "reader"

    def __init__(self, python: Path, store: Path):
        self.proc = subprocess.Popen(
            [str(python), str(Path(__file__).resolve()), "--serve-peer", "reader", str(store)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO / "benchmarks")
        self.version = self.ask({"cmd": "version"})["version"]

    def ask(self, msg: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the reader peer exited (rc={self.proc.wait()}); see its stderr")
        reply = json.loads(line)
        if "error" in reply:
            raise SystemExit(f"the reader peer failed: {reply['error']}")
        return reply

    def close(self) -> None:
        if self.proc.poll() is None:
            self.ask({"cmd": "quit"})
            self.proc.wait(timeout=60)

    def time(self, op: dict[str, Any], plan: dict[str, Any]) -> tuple[list[float], int]:
        r = self.ask({"cmd": "time", "op": op, "plan": plan})
        return r["ms"], r["hits"]


# ---- the reader peer (runs under the bench venv's python) ----------------------------------


def serve_reader(store: Path) -> None:
    import reader as reader_lib
    from reader import make_reader

    db_path = store / "reader.sqlite"
    r = None
    starts: dict[int, tuple[str, str]] = {}

    def open_reader():  # type: ignore[no-untyped-def]
        nonlocal r
        if r is None:
            r = make_reader(str(db_path))
        return r

    def build(corpus: str) -> dict[str, Any]:
        rd = open_reader()
        feeds, entries = read_corpus(Path(corpus))
        t0 = time.perf_counter()
        for f in feeds:
            rd.add_feed(f["url"])
            rd.set_feed_user_title(f["url"], f["title"])
        read = []
        # add_entry() is reader's public way to put entries in without fetching; one
        # transaction each, as reader's own update path commits in small chunks too.
        for fi, guid, link, title, author, summary, published, is_read in entries:
            url = feeds[fi]["url"]
            rd.add_entry({"feed_url": url, "id": guid, "link": link, "title": title,
                          "author": author, "summary": summary, "published": parse_iso(published)})
            if is_read:
                read.append((url, guid))
        t1 = time.perf_counter()
        for key in read:
            rd.mark_entry_as_read(key)
        t2 = time.perf_counter()
        rd.enable_search()
        rd.update_search()
        t3 = time.perf_counter()
        rd.close()
        nonlocal r
        r = None
        for p in (db_path, db_path.with_name(db_path.name + ".search")):
            if p.exists():
                checkpoint(p)
        return {"add_s": round(t1 - t0, 2), "mark_read_s": round(t2 - t1, 2),
                "index_s": round(t3 - t2, 2), "seconds": round(t3 - t0, 2),
                "bytes": db_bytes(db_path)}

    def call(op: dict[str, Any]) -> Callable[[], int]:
        rd = open_reader()
        if op["kind"] == "search":
            q = op["q"]
            return lambda: len(list(rd.search_entries(q, limit=PAGE)))
        kw: dict[str, Any] = {}
        if op.get("unread"):
            kw["read"] = False
        if op.get("feed"):
            kw["feed"] = op["feed"]
        page = op.get("page")
        if page:
            if page not in starts:  # keyset cursor of the entry ending page-1, found untimed
                starts[page] = list(rd.get_entries(limit=PAGE * (page - 1)))[-1].resource_id
            kw["starting_after"] = starts[page]
        return lambda: len(list(rd.get_entries(limit=PAGE, **kw)))

    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "version":
                reply: dict[str, Any] = {"version": reader_lib.__version__}
            elif msg["cmd"] == "build":
                reply = build(msg["corpus"])
            elif msg["cmd"] == "time":
                ms, hits = timed(call(msg["op"]), msg["plan"])
                reply = {"ms": ms, "hits": hits}
            else:
                reply = {"bye": True}
        except Exception as e:
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        if msg["cmd"] == "quit":
            break
    if r is not None:
        r.close()


# ---- building the stores -------------------------------------------------------------------


def build_curator(corpus: Path, store: Path) -> dict[str, Any]:
    """Store the corpus the way a refresh does: ParsedFeed -> entry_rows (sanitize, key, hash,
    search text) -> Storage.store_entries in a transaction; then mark the read ones read."""
    from curator import Curator, ItemQuery
    from curator._types import ParsedEntry, ParsedFeed
    from curator._update import entry_rows

    feeds, entries = read_corpus(corpus)
    sanitize_s = store_s = 0.0
    t0 = time.perf_counter()
    with Curator(store, now=lambda: NOW) as app:
        storage = app.storage
        ids = [app.add_feed(f["url"], fetch=False).feed.id for f in feeds]
        by_feed: dict[int, list[ParsedEntry]] = {}
        read_keys: set[tuple[int, str]] = set()
        for fi, guid, link, title, author, summary, published, is_read in entries:
            when = parse_iso(published)
            by_feed.setdefault(fi, []).append(
                ParsedEntry(guid, link, title, author, summary, None, when, None))
            if is_read:
                read_keys.add((ids[fi], guid))
        for fi, parsed_entries in by_feed.items():
            f = feeds[fi]
            t = time.perf_counter()
            rows = entry_rows(ParsedFeed(f["title"], f["site"], parsed_entries, "bench"),
                              f["url"])
            t2 = time.perf_counter()
            with storage.db.transaction() as db:
                storage.store_entries(db, ids[fi], rows, NOW)
                storage.set_feed_state(db, ids[fi], title=f["title"], site_url=f["site"])
            store_s += time.perf_counter() - t2
            sanitize_s += t2 - t
        t3 = time.perf_counter()
        everything = app.list_items(ItemQuery(), limit=10**9).items
        app.mark_items([it.id for it in everything if (it.feed_id, it.guid) in read_keys],
                       read=True)
        mark_s = time.perf_counter() - t3
    total = time.perf_counter() - t0
    db_path = store / "curator.db"
    checkpoint(db_path)
    return {"sanitize_s": round(sanitize_s, 2), "store_s": round(store_s, 2),
            "mark_read_s": round(mark_s, 2), "seconds": round(total, 2),
            "bytes": db_bytes(db_path), "items": len(everything)}


def curator_key(corpus: str) -> str:
    from curator import _schema

    # A schema edit (even without a version bump) makes the cached store stale.
    basis = json.dumps([corpus, _schema.VERSION, _schema.SCHEMA])
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def reader_python(bench_dir: Path) -> tuple[Path | None, str]:
    py = bench_dir / ".venv" / "bin" / "python"
    if not py.exists():
        return None, f"{py} does not exist"
    r = subprocess.run([str(py), "-c", "import reader; print(reader.__version__)"],
                       capture_output=True, text=True, cwd=REPO / "benchmarks")
    if r.returncode:
        return None, f"reader is not importable there: {r.stderr.strip()[-200:]}"
    return py, r.stdout.strip()


# ---- main ----------------------------------------------------------------------------------


def main() -> None:
    if sys.argv[1:2] == ["--serve-peer"]:
        serve_reader(Path(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=100_000, help="items in the store (100000)")
    ap.add_argument("--feeds", type=int, default=None,
                    help="feeds they are spread over (default items/200, at most 500)")
    ap.add_argument("--reps", type=int, default=200, help="timed calls per operation (200)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed calls first (reps/10)")
    ap.add_argument("--budget", type=float, default=60,
                    help="seconds per operation and side after which a slow one stops, once it "
                         "has --min-reps calls (60)")
    ap.add_argument("--min-reps", type=int, default=20, help="see --budget (20)")
    ap.add_argument("--peer", choices=["auto", "reader", "like"], default="auto",
                    help="reader if the shared bench venv has it (auto), else a LIKE baseline")
    ap.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench",
                    help="the shared bench folder (genfeeds.py, .venv with reader)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached stores")
    ap.add_argument("--json", type=Path, help="also write every figure to this file")
    a = ap.parse_args()
    n_feeds = a.feeds or max(1, min(500, round(a.items / 200)))
    warmup = a.warmup if a.warmup is not None else max(3, a.reps // 10)
    plan = {"reps": a.reps, "warmup": warmup, "budget": a.budget,
            "min_reps": min(a.min_reps, a.reps)}

    words, prefixes, vocab_source = vocabulary(a.bench)
    key = corpus_key(a.items, n_feeds, words)
    work = DATA / f"search-n{a.items}-f{n_feeds}"
    meta_path = work / "meta.json"
    meta: dict[str, Any] = {}
    if meta_path.exists() and not a.rebuild:
        meta = json.loads(meta_path.read_text())
    if meta.get("corpus", {}).get("key") != key:
        meta = {}
        shutil.rmtree(work, ignore_errors=True)

    def save() -> None:
        meta_path.write_text(json.dumps(meta, indent=1))

    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus.jsonl"
    if "corpus" not in meta:
        print(f"[search] generating {a.items} items in {n_feeds} feeds ({vocab_source})",
              flush=True)
        t = time.perf_counter()
        largest = write_corpus(corpus, a.items, n_feeds, words, prefixes)
        meta["corpus"] = {"key": key, "seconds": round(time.perf_counter() - t, 2),
                          "largest_feed": largest,
                          "bytes": corpus.stat().st_size, "vocabulary": vocab_source}
        save()

    ckey = curator_key(key)
    if meta.get("curator", {}).get("key") != ckey:
        print("[search] building the Curator store (entry_rows + Storage.store_entries)",
              flush=True)
        shutil.rmtree(work / "curator", ignore_errors=True)
        meta["curator"] = {"key": ckey, **build_curator(corpus, work / "curator")}
        save()

    peer_note = ""
    py, reader_version = (None, "not asked for") if a.peer == "like" else reader_python(a.bench)
    if a.peer == "reader" and py is None:
        raise SystemExit(f"--peer reader: {reader_version}")

    peer: ReaderSide | LikeSide
    if py is not None:
        rkey = hashlib.sha256(f"{key} reader {reader_version}".encode()).hexdigest()[:16]
        if meta.get("reader", {}).get("key") != rkey:
            print(f"[search] building the reader {reader_version} store (add_entry, "
                  "mark_entry_as_read, update_search); this is the slow part", flush=True)
            shutil.rmtree(work / "reader", ignore_errors=True)
            (work / "reader").mkdir()
            builder = ReaderSide(py, work / "reader")
            meta["reader"] = {"key": rkey, "version": reader_version,
                              **builder.ask({"cmd": "build", "corpus": str(corpus)})}
            builder.close()
            save()
        peer = ReaderSide(py, work / "reader")
        peer_label = f"reader {peer.version}"
    else:
        peer_note = (f"reader not available ({reader_version}): the peer is plain SQL over "
                     "Curator's own database, LIKE '%word%' for search (no ranking, no accent "
                     "folding) and LIMIT/OFFSET for the deep page.")
        peer = LikeSide(work / "curator" / "curator.db")
        peer_label = "SQLite LIKE"

    # Page 100 needs 5,000 items; smaller stores time their last full page instead.
    deep_page = max(1, min(DEEP_PAGE, a.items // PAGE))
    cur = CuratorSide(work / "curator")
    rows = []
    try:
        for label, op in operations(meta["corpus"]["largest_feed"], deep_page):
            # One side then the other, per operation: both see the same background load.
            c_ms, c_hits = cur.time(op, plan)
            p_ms, p_hits = peer.time(op, plan)
            if op["kind"] == "search":
                n = cur.matches(op["q"])
                label += "" if n is None else f" ({n:,} matches)"
            rows.append({"operation": label, "op": op,
                         "curator": summary_of(c_ms, c_hits), "peer": summary_of(p_ms, p_hits)})
            print(f"[search] {label}: Curator {rows[-1]['curator']['median_ms']} ms, "
                  f"{peer_label} {rows[-1]['peer']['median_ms']} ms", flush=True)
    finally:
        cur.close()
        peer.close()

    report = render(a, n_feeds, plan, meta, peer_label, peer_note, rows)
    print("\n" + report)
    if a.json:
        a.json.write_text(json.dumps({
            "items": a.items, "feeds": n_feeds, "plan": plan,
            "peer": peer_label, "peer_note": peer_note, "build": meta, "results": rows,
            "host": host(),
        }, indent=1, ensure_ascii=False))


def summary_of(ms: list[float], hits: int) -> dict[str, Any]:
    return {"median_ms": round(statistics.median(ms), 3), "p95_ms": round(pct(ms, 0.95), 3),
            "min_ms": round(min(ms), 3), "mean_ms": round(statistics.fmean(ms), 3),
            "calls": len(ms), "results": hits}


def host() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} CPUs, load {load}, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}")


def render(a: argparse.Namespace, n_feeds: int, plan: dict[str, Any], meta: dict[str, Any],
           peer_label: str, peer_note: str, rows: list[dict[str, Any]]) -> str:
    c = meta["curator"]
    lines = [
        f"## Search and item lists: {a.items:,} items in {n_feeds} feeds, Curator vs "
        f"{peer_label}",
        "",
        f"Up to {plan['reps']} timed calls per operation and side after up to "
        f"{plan['warmup']} warm-up calls (a side stops after {plan['budget']:g} s once it has "
        f"{plan['min_reps']}: see the calls column), one page of {PAGE}; host: {host()}.",
        f"Corpus: {meta['corpus']['bytes'] / 1e6:.1f} MB of JSON lines, generated in "
        f"{meta['corpus']['seconds']} s (words: {meta['corpus']['vocabulary']}).",
        f"Curator store: {c['bytes'] / 1e6:.1f} MB, built in {c['seconds']} s "
        f"(entry_rows {c['sanitize_s']} s, store_entries {c['store_s']} s, "
        f"mark read {c['mark_read_s']} s).",
    ]
    if "reader" in meta and peer_label.startswith("reader"):
        r = meta["reader"]
        lines.append(f"reader store: {r['bytes'] / 1e6:.1f} MB, built in {r['seconds']} s "
                     f"(add_entry {r['add_s']} s, mark read {r['mark_read_s']} s, "
                     f"enable+update_search {r['index_s']} s).")
    if peer_note:
        lines.append(peer_note)
    lines += ["", f"| operation | Curator median ms | Curator p95 | {peer_label} median | "
              f"{peer_label} p95 | results (Curator / peer) | calls (Curator / peer) |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c, p = r["curator"], r["peer"]
        lines.append(f"| {r['operation']} | {c['median_ms']:.2f} | {c['p95_ms']:.2f} | "
                     f"{p['median_ms']:.2f} | {p['p95_ms']:.2f} | {c['results']} / "
                     f"{p['results']} | {c['calls']} / {p['calls']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

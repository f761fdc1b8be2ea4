"""Watch words: 100 terms over 100,000 items, Curator's compiled matcher beside a naive
per-term re.search loop (the peer); a rematch over a stored 100,000 items; watch-list paging;
and a refresh of N local feeds with and without 100 watch terms."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import search as corpus_words  # noqa: E402  (benchmarks/search.py: the shared vocabulary)

from curator.watch import Matcher, fold, item_text, parse_term  # noqa: E402

SEED = 20240815
NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)

# What professionals watch: competitors, customers, products, people. Accents on purpose.
NAMES = """Telefónica|Iberdrola|Banco Santander|BBVA|Repsol|Mercadona|Inditex|El Corte Inglés|
Nestlé|Société Générale|Siemens|Bosch|Zürich Versicherung|Müller Milch|Acme|Globex|Initech|
Umbrella Corp|Stark Industries|Wayne Enterprises|Cyberdyne|Soylent|Hooli|Pied Piper|Aviato|
Vandelay|Wonka|Tyrell|Oscorp|LexCorp|Naturgy|Endesa|Ferrovial|Acciona|Indra|Amadeus|Cepsa|
Mapfre|CaixaBank|Sabadell|Bankinter|Unicaja|Abanca|Kutxabank|Ibercaja|Grifols|Almirall|
Rovi|Faes Farma|Pharma Mar|Naturhouse|Codere|Prosegur|Sacyr|OHLA|Talgo|CAF|Renfe|Iberia|
Vueling|Air Europa|Meliá|NH Hoteles|Barceló|Riu|Glovo|Cabify|Wallapop|Idealista|Fotocasa|
Typeform|Factorial|Jobandtalent|TravelPerk|Red Points|Holaluz|Seedtag|Devo|Carto|Lleida.net|
María José Núñez|Jürgen Müller|Chloé Dubois|Tomás Ibáñez|Ana García|Curator Pro|Panel Solar X|
Nube Privada|Señal Abierta|Diseño Ágil|Campaña Verano|Año Fiscal|Cigüeña Logística|
Pingüino Software|Ñandú Labs|Zaragoza Logística""".replace("\n", "").split("|")
REGEXES = [r"/iphone\s*1[0-9]/", r"/\bq[1-4]\s+20\d\d\b/", r"/(?:ceo|cfo) de \w+/",
           r"/\bopa (?:hostil|amistosa)\b/"]
REGEX_SAMPLES = ["iPhone 15", "Q3 2024", "CEO de Repsol", "OPA hostil"]


def terms(n: int) -> list[str]:
    words = [t for t in NAMES if t.strip()][: max(0, n - len(REGEXES))]
    return (words + REGEXES)[:n]


def variants(term: str, rng: random.Random) -> str:
    """How a feed writes a name: as is, lower, upper, without accents, across a line break."""
    v = rng.random()
    if v < 0.4:
        return term
    if v < 0.6:
        return term.lower()
    if v < 0.7:
        return term.upper()
    if v < 0.9:
        return fold(term).title()
    return term.replace(" ", "\n", 1)


def make_items(n: int, words: dict[str, list[str]], watched: list[str],
               mention_rate: float) -> list[tuple[str, str, str]]:
    """(title, summary HTML, content HTML) per item: search.py's feed-like prose, ~a fifth
    of items mentioning one or two watched names, and near-misses (Acmeist, Repsolar)."""
    rng = random.Random(SEED)
    langs = [lang for lang in ("en", "es", "de") if lang in words]
    plain_terms = [t for t in watched if not t.startswith("/")] or ["Acme"]
    out = []
    for k in range(n):
        lang = rng.choices(langs, [60, 35, 5][: len(langs)])[0]
        ws = words[lang]
        title = corpus_words._sentence(rng, ws, lang, 5, 10)
        summary = corpus_words._summary(rng, ws, lang, f"feed{k % 500}", False)
        content = "".join(f"<p>{corpus_words._sentence(rng, ws, lang, 12, 25)}.</p>"
                          for _ in range(rng.randint(3, 8)))
        if rng.random() < mention_rate:
            for _ in range(rng.randint(1, 2)):
                name = (rng.choice(REGEX_SAMPLES) if rng.random() < 0.1
                        else variants(rng.choice(plain_terms), rng))
                where = rng.random()
                if where < 0.3:
                    title = f"{title} {escape(name)}"
                elif where < 0.7:
                    summary += f"<p>{escape(name)} <b>anuncia</b> resultados.</p>"
                else:
                    content += f"<p>Según {escape(name)}, el mercado crece.</p>"
        if rng.random() < 0.05:  # near-misses: a name inside a longer word
            content += f"<p>{rng.choice(plain_terms).split()[0]}ist y Repsolar.</p>"
        out.append((title, summary, content))
    return out


def as_text(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The plain text a refresh hands the matcher (sanitize, then tags to spaces)."""
    from curator._sanitize import Sanitizer, plain, sanitized_to_text

    clean = Sanitizer("https://example.org/")
    return [(plain(t) or "", sanitized_to_text(clean(s)), sanitized_to_text(clean(c)))
            for t, s, c in items]


def naive_patterns(watched: list[str]) -> list[str]:
    """The peer: one pattern per term, searched one by one with re.search (its cache holds
    the compiled patterns), on the same folded text: the same answers as Curator's."""
    out = []
    for t in watched:
        if t.startswith("/") and t.endswith("/"):
            out.append(t[1:-1])
        else:
            body = r"\s+".join(re.escape(p) for p in fold(t).split())
            out.append(rf"(?<!\w){body}(?!\w)")
    return out


def run_matchers(texts: list[tuple[str, str, str]], watched: list[str], naive_n: int
                 ) -> dict[str, Any]:
    t0 = time.perf_counter()
    matcher = Matcher([(1, watched)])
    compile_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    mine = [sorted({term for _, term in matcher.match(*x)}) for x in texts]
    compiled_s = time.perf_counter() - t0

    patterns = naive_patterns(watched)
    sample = texts[:naive_n]
    t0 = time.perf_counter()
    theirs = []
    for x in sample:
        folded = fold(item_text(*x))
        theirs.append(sorted(t for t, p in zip(watched, patterns, strict=True)
                             if re.search(p, folded, re.IGNORECASE)))
    naive_s = time.perf_counter() - t0
    differ = sum(1 for a, b in zip(mine, theirs, strict=False) if a != b)
    chars = sum(len(a) + len(b) + len(c) for a, b, c in texts)
    return {"items": len(texts), "terms": len(watched), "compile_ms": round(compile_ms, 2),
            "compiled_s": round(compiled_s, 3),
            "compiled_us_per_item": round(compiled_s / len(texts) * 1e6, 1),
            "naive_items": len(sample), "naive_s": round(naive_s, 3),
            "naive_us_per_item": round(naive_s / len(sample) * 1e6, 1),
            "naive_s_extrapolated": round(naive_s / len(sample) * len(texts), 1),
            "matching_items": sum(1 for m in mine if m), "disagreements": differ,
            "text_mb": round(chars / 1e6, 1)}


# ---- a stored 100k: rematch, counts, paging --------------------------------------------------


def build_store(path: Path, items: list[tuple[str, str, str]], feeds: int) -> float:
    from curator import Curator
    from curator._types import ParsedEntry, ParsedFeed
    from curator._update import entry_rows

    t0 = time.perf_counter()
    with Curator(path, now=lambda: NOW) as app:
        per = -(-len(items) // feeds)
        for f in range(feeds):
            chunk = items[f * per:(f + 1) * per]
            if not chunk:
                break
            url = f"https://feed{f}.example.org/feed.xml"
            feed_id = app.add_feed(url, fetch=False).feed.id
            entries = [ParsedEntry(f"urn:{f}:{k}", f"https://feed{f}.example.org/{k}", t, None,
                                   s, c, NOW - dt.timedelta(minutes=f + k * feeds), None)
                       for k, (t, s, c) in enumerate(chunk)]
            rows = entry_rows(ParsedFeed(f"Feed {f}", None, entries, "bench"), url)
            with app.storage.db.transaction() as db:
                app.storage.store_entries(db, feed_id, rows, NOW)
    return time.perf_counter() - t0


def run_store(path: Path, watched: list[str], reps: int) -> dict[str, Any]:
    from curator import Curator, ItemQuery

    out: dict[str, Any] = {}
    with Curator(path, now=lambda: NOW) as app:
        for lst in app.list_watch_lists():
            app.remove_watch_list(lst.id)
        t0 = time.perf_counter()
        big = app.add_watch_list("Watched", watched)  # adding a list rematches it
        out["add_and_rematch_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        out["matching_items"] = app.rematch(big.id)
        out["rematch_s"] = round(time.perf_counter() - t0, 2)
        rare = app.add_watch_list("Rare", ["Ñandú Labs"])
        out["rare_items"] = app.count_items(ItemQuery(watch_list_id=rare.id))

        def ms(fn: Any) -> float:
            fn()
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t) * 1000)
            return round(statistics.median(times), 2)

        def page_n(query: ItemQuery, n: int) -> Any:
            cursor = None
            for _ in range(n - 1):
                cursor = app.list_items(query, limit=50, cursor=cursor).next_cursor
            return lambda: app.list_items(query, limit=50, cursor=cursor)

        out["ms"] = {
            "watch_counts()": ms(app.watch_counts),
            "first page, all items (no watch filter)": ms(
                lambda: app.list_items(ItemQuery(), limit=50)),
            "first page, 100-term list": ms(
                lambda: app.list_items(ItemQuery(watch_list_id=big.id), limit=50)),
            "page 20, 100-term list (keyset cursor)": ms(
                page_n(ItemQuery(watch_list_id=big.id), 20)),
            "first page, unread of the 100-term list": ms(
                lambda: app.list_items(ItemQuery(watch_list_id=big.id, unread=True), limit=50)),
            f"first page, rare list ({out['rare_items']} items)": ms(
                lambda: app.list_items(ItemQuery(watch_list_id=rare.id), limit=50)),
            "first page, any list (watched=True)": ms(
                lambda: app.list_items(ItemQuery(watched=True), limit=50)),
        }
    return out


# ---- refresh of N local feeds ---------------------------------------------------------------


def rss(feed: int, chunk: list[tuple[str, str, str]], new: int = 0) -> bytes:
    """A feed of `chunk`; its first `new` items are numbered (guid, date) after the others,
    as a later version of a feed shows its newest items first."""
    old = len(chunk) - new
    numbered = [(old + k, x) for k, x in enumerate(chunk[:new])] + list(enumerate(chunk[new:]))
    body = "".join(
        f"<item><title>{escape(t)}</title><link>https://feed{feed}.example.org/{k}</link>"
        f"<guid>urn:{feed}:{k}</guid><description>{escape(s)}</description>"
        f"<content:encoded>{escape(c)}</content:encoded>"
        f"<pubDate>{format_datetime(NOW - dt.timedelta(hours=-k), usegmt=True)}</pubDate></item>"
        for k, (t, s, c) in numbered)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Feed {feed}</title><link>https://feed{feed}.example.org/</link>{body}"
            f"</channel></rss>").encode()


def serve(bodies: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # the default 5 drops SYNs: 1 s retransmits, not our cost

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_refresh(items: list[tuple[str, str, str]], watched: list[str], n_feeds: int,
                per_feed: int, reps: int, fresh: int) -> dict[str, Any]:
    """Cold: every item new. Warm: the next refresh, each feed with `fresh` new items on top
    (the steady state: what a refresh every hour or so finds)."""
    from curator import Curator
    from curator.types import Outcome

    spare = items[n_feeds * per_feed:]
    cold = {f"/f{f}.xml": rss(f, items[f * per_feed:(f + 1) * per_feed])
            for f in range(n_feeds)}
    warm = {f"/f{f}.xml": rss(f, spare[f * fresh:(f + 1) * fresh]
                              + items[f * per_feed:(f + 1) * per_feed], new=fresh)
            for f in range(n_feeds)} if len(spare) >= n_feeds * fresh else {}
    bodies = dict(cold)
    server = serve(bodies)
    port = server.server_address[1]
    seconds: dict[str, list[float]] = {"without": [], "with": [], "warm without": [],
                                       "warm with": []}
    mentions = warm_mentions = 0
    try:
        for rep in range(reps):
            # Alternate which side goes first: a warming machine favours neither.
            for side in (("without", "with") if rep % 2 == 0 else ("with", "without")):
                with tempfile.TemporaryDirectory() as d, Curator(d) as app:
                    for f in range(n_feeds):
                        app.add_feed(f"http://127.0.0.1:{port}/f{f}.xml", fetch=False)
                    if side == "with":
                        app.add_watch_list("Watched", watched)
                    bodies.update(cold)
                    t0 = time.perf_counter()
                    result = app.refresh()
                    seconds[side].append(time.perf_counter() - t0)
                    assert result.count(Outcome.OK) == n_feeds, result.to_json()
                    if side == "with":
                        mentions = sum(result.mentions.values())
                    if not warm:
                        continue
                    bodies.update(warm)
                    t0 = time.perf_counter()
                    result = app.refresh(force=True)
                    seconds[f"warm {side}"].append(time.perf_counter() - t0)
                    assert result.new_items == n_feeds * fresh, result.to_json()
                    if side == "with":
                        warm_mentions = sum(result.mentions.values())
    finally:
        server.shutdown()
    med = {k: statistics.median(v) for k, v in seconds.items() if v}
    out: dict[str, Any] = {
        "feeds": n_feeds, "items": n_feeds * per_feed, "fresh": n_feeds * fresh, "reps": reps,
        "new_items_mentioning": mentions, "warm_new_items_mentioning": warm_mentions}
    for key, v in seconds.items():
        if v:
            out[key.replace(" ", "_") + "_s"] = round(med[key], 3)
            out["all_" + key.replace(" ", "_") + "_s"] = [round(x, 3) for x in v]
    out["overhead_pct"] = round((med["with"] / med["without"] - 1) * 100, 1)
    if warm:
        out["warm_overhead_pct"] = round((med["warm with"] / med["warm without"] - 1) * 100, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=100_000, help="items matched (100000)")
    ap.add_argument("--terms", type=int, default=100, help="watch terms (100, 4 of them regexes)")
    ap.add_argument("--naive-items", type=int, default=10_000,
                    help="items the naive peer is timed on (10000; its total is extrapolated)")
    ap.add_argument("--mention-rate", type=float, default=0.2,
                    help="share of items naming a watched term (0.2)")
    ap.add_argument("--feeds", type=int, default=200, help="feeds in the refresh part (200)")
    ap.add_argument("--per-feed", type=int, default=50, help="items per feed there (50)")
    ap.add_argument("--fresh", type=int, default=5,
                    help="new items per feed in the warm refresh (5)")
    ap.add_argument("--reps", type=int, default=3, help="refreshes per side (3; median)")
    ap.add_argument("--skip-store", action="store_true", help="no rematch/paging part")
    ap.add_argument("--skip-refresh", action="store_true", help="no refresh part")
    ap.add_argument("--json", type=Path, help="also write every figure to this file")
    a = ap.parse_args()

    words, _, source = corpus_words.vocabulary(REPO.parent / "shared" / "bench")
    watched = terms(a.terms)
    for t in watched:
        parse_term(t)
    print(f"[watch] {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs,"
          f" load {os.getloadavg()[0]:.2f}; words from {source}")
    t0 = time.perf_counter()
    raw = make_items(max(a.items, a.feeds * (a.per_feed + a.fresh)), words, watched,
                     a.mention_rate)
    texts = as_text(raw[: a.items])
    print(f"[watch] generated {len(raw):,} items in {time.perf_counter() - t0:.1f} s")
    res: dict[str, Any] = {"matching": run_matchers(texts, watched, min(a.naive_items, a.items))}
    m = res["matching"]
    print(f"\n## (a) compiled matcher vs (b) naive per-term re.search, {m['terms']} terms, "
          f"{m['items']:,} items ({m['text_mb']} MB of text)\n")
    print("| matcher | items timed | seconds | µs per item | 100k items, s |")
    print("|---|---:|---:|---:|---:|")
    print(f"| (a) Curator: one compiled Matcher (compiled in {m['compile_ms']} ms) | "
          f"{m['items']:,} | {m['compiled_s']} | {m['compiled_us_per_item']} | "
          f"{m['compiled_us_per_item'] * 100_000 / 1e6:.1f} |")
    print(f"| (b) peer: re.search per term | {m['naive_items']:,} | {m['naive_s']} | "
          f"{m['naive_us_per_item']} | {m['naive_us_per_item'] * 100_000 / 1e6:.1f} |")
    print(f"\nspeed-up {m['naive_us_per_item'] / m['compiled_us_per_item']:.1f}x; "
          f"{m['matching_items']:,} items match; the two disagree on {m['disagreements']} "
          f"of the {m['naive_items']:,} items both matched")

    if not a.skip_store:
        store = Path(tempfile.mkdtemp(prefix="curator-watch-bench-"))
        try:
            # The store goes through entry_rows (sanitizing, HTML to text), as a refresh does.
            built = build_store(store, raw[: a.items], max(1, a.items // 200))
            s = run_store(store, watched, reps=20)
        finally:
            shutil.rmtree(store, ignore_errors=True)
        s["build_s"] = round(built, 1)
        res["store"] = s
        print(f"\n## (d) a stored {a.items:,} items (built in {s['build_s']} s)\n")
        print(f"add_watch_list with {len(watched)} terms (rematches at once): "
              f"{s['add_and_rematch_s']} s; rematch again: {s['rematch_s']} s; "
              f"{s['matching_items']:,} items match")
        print("\n| call | median ms |\n|---|---:|")
        for k, v in s["ms"].items():
            print(f"| {k} | {v} |")

    if not a.skip_refresh:
        r = run_refresh(raw, watched, a.feeds, a.per_feed, a.reps, a.fresh)
        res["refresh"] = r
        print(f"\n## (c) refresh of {r['feeds']} local feeds, median of {r['reps']} per side\n")
        print("| refresh | without watch lists, s | with "
              f"{len(watched)} watch terms, s | overhead | new items mentioning a term |")
        print("|---|---:|---:|---:|---:|")
        print(f"| cold: {r['items']:,} new items | {r['without_s']} | {r['with_s']} | "
              f"{r['overhead_pct']}% | {r['new_items_mentioning']:,} |")
        if "warm_with_s" in r:
            print(f"| next: {r['fresh']:,} new items | {r['warm_without_s']} | "
                  f"{r['warm_with_s']} | {r['warm_overhead_pct']}% | "
                  f"{r['warm_new_items_mentioning']:,} |")
        print(f"\nevery run, s: {json.dumps({k: v for k, v in r.items() if k.startswith('all_')})}")
    if a.json:
        a.json.write_text(json.dumps(res, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    random.seed(SEED)
    main()

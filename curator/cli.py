"""The headless CLI (`curator`): the same core as the GUI, for scripts, timers and tests."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from . import paths


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="where the database lives (default: $CURATOR_DATA_DIR or the "
                        "platform's user data folder)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine-readable output")

    p = argparse.ArgumentParser(
        prog="curator", parents=[common],
        description="Curator: read feeds offline, share them in your own voice.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"curator {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    feeds = sub.add_parser("feeds", help="manage subscriptions", parents=[common])
    fsub = feeds.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = fsub.add_parser("add", parents=[common],
                        help="subscribe to a feed URL, or a web page that links to one")
    a.add_argument("url")
    a.add_argument("--role", choices=["third-party", "competitor", "own"], default="third-party")
    a.add_argument("--folder")
    a.add_argument("--title", help="a name of your own for the feed")
    a.add_argument("--no-fetch", action="store_true", help="subscribe without fetching now")
    fsub.add_parser("list", parents=[common], help="list subscriptions")
    r = fsub.add_parser("remove", parents=[common], help="unsubscribe (deletes its items)")
    r.add_argument("feed", help="feed id or URL")
    e = fsub.add_parser("edit", parents=[common], help="rename, change role, folder or URL")
    e.add_argument("feed", help="feed id or URL")
    e.add_argument("--title")
    e.add_argument("--role", choices=["third-party", "competitor", "own"])
    e.add_argument("--folder", help='folder name ("" for none; "A/B" for a subfolder)')
    e.add_argument("--url")
    e.add_argument("--enable", action="store_true", help="re-enable a disabled feed")
    e.add_argument("--disable", action="store_true")
    i = fsub.add_parser("import-opml", parents=[common], help="subscribe to an OPML file's feeds")
    i.add_argument("file")
    i.add_argument("--role", choices=["third-party", "competitor", "own"],
                   help="role for every imported feed (default: from the file, else third-party)")
    x = fsub.add_parser("export-opml", parents=[common], help="write subscriptions as OPML")
    x.add_argument("file", nargs="?", help="output file (default: standard output)")

    rf = sub.add_parser("refresh", parents=[common], help="fetch new items from feeds")
    rf.add_argument("--feed", action="append", metavar="ID", help="only this feed (repeatable)")
    rf.add_argument("--force", action="store_true", help="also feeds backing off after errors")
    rf.add_argument("--workers", type=int, metavar="N", help="parallel downloads")
    rf.add_argument("--per-host", type=int, metavar="N", help="parallel downloads per host")
    rf.add_argument("--quiet", "-q", action="store_true", help="print only the summary")

    items = sub.add_parser("items", help="read items", parents=[common])
    isub = items.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = isub.add_parser("list", parents=[common], help="list items, newest first")
    _item_filters(ls)
    ls.add_argument("--search", metavar="QUERY",
                    help='full-text search: words, "a phrase", prefix*, -exclude, a OR b')
    ls.add_argument("--oldest-first", action="store_true",
                    help="oldest items first (search results stay best match first)")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--cursor", help="continue after a previous page (printed with --json)")
    ls.add_argument("--content", action="store_true", help="include full content in JSON")
    sh = isub.add_parser("show", parents=[common], help="show one item")
    sh.add_argument("id", type=int)
    mk = isub.add_parser("mark", parents=[common], help="mark items read, unread, starred...")
    mk.add_argument("ids", type=int, nargs="+", metavar="ID")
    for flag in ("read", "unread", "star", "unstar", "hide", "unhide"):
        mk.add_argument(f"--{flag}", action="store_true")
    ma = isub.add_parser("mark-all-read", parents=[common], help="mark every listed item read")
    _item_filters(ma)

    ck = sub.add_parser("check", parents=[common],
                        help="count a post as a network counts it, against its limit")
    ck.add_argument("--network", required=True, metavar="NETWORK",
                    help="x, bluesky, mastodon or linkedin")
    ck.add_argument("--limit", type=int, metavar="N",
                    help="the limit to check against (default: the network's; Mastodon: 500)")
    ck_text = ck.add_mutually_exclusive_group(required=True)
    ck_text.add_argument("--text", metavar="TEXT")
    ck_text.add_argument("--text-file", metavar="FILE",
                         help="read the post from FILE (UTF-8; '-' for standard input)")

    drafts = sub.add_parser("drafts", help="write posts", parents=[common])
    dsub = drafts.add_subparsers(dest="action", metavar="ACTION", required=True)
    dn = dsub.add_parser("new", parents=[common], help="start a draft, blank or about an item")
    dn.add_argument("--item", type=int, metavar="ID",
                    help="the item it is about (its link, title and source are carried along)")
    dn_text = dn.add_mutually_exclusive_group()
    dn_text.add_argument("--text", metavar="TEXT")
    dn_text.add_argument("--text-file", metavar="FILE",
                         help="read the text from FILE (UTF-8; '-' for standard input)")
    dn.add_argument("--template", metavar="NAME",
                    help="template (name or id); without a text, the draft is the template "
                    "filled in with the item and your commentary on it")
    dsub.add_parser("list", parents=[common], help="list drafts, last edited first")
    ds = dsub.add_parser("show", parents=[common], help="show a draft and its variants")
    ds.add_argument("id", type=int)

    templates = sub.add_parser("templates", help="approved messages with placeholders",
                               parents=[common])
    tsub = templates.add_subparsers(dest="action", metavar="ACTION", required=True)
    tl = tsub.add_parser("list", parents=[common], help="list templates by segment")
    tl.add_argument("--segment", help="only this audience segment")
    ta = tsub.add_parser("add", parents=[common],
                         help="add a template: {title} {url} {source} {author} {commentary} "
                         "{quote} {hashtags}; {{ and }} for literal braces")
    ta.add_argument("name")
    ta_body = ta.add_mutually_exclusive_group(required=True)
    ta_body.add_argument("--body", metavar="TEXT")
    ta_body.add_argument("--body-file", metavar="FILE",
                         help="read the body from FILE (UTF-8; '-' for standard input)")
    ta.add_argument("--segment", default="", help='audience segment ("CFOs", "engineers")')
    _accounts_parser(sub, common)
    _publishing_parser(sub, common)
    _scheduling_parser(sub, common)
    _plan_parser(sub, common)
    _analytics_parser(sub, common)
    _watch_parser(sub, common)
    _packs_parser(sub, common)
    _backup_parser(sub, common)
    return p


def _accounts_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    accounts = sub.add_parser("accounts", help="your social accounts (secrets in the OS keyring)",
                              parents=[common])
    asub = accounts.add_subparsers(dest="action", metavar="ACTION", required=True)
    secret_help = ("read the account's secret from standard input, never from the command "
                   "line: a Mastodon, LinkedIn or X access token, a Bluesky app password or "
                   "a webhook signing secret. It is stored only in the OS keyring")
    aa = asub.add_parser("add", parents=[common], help="add an account")
    aa.add_argument("network", metavar="NETWORK", help="mastodon, bluesky, linkedin, x or webhook")
    aa.add_argument("--name", required=True, help="your name for the account")
    aa.add_argument("--handle", help="the account's handle (verify fills it in)")
    _api_base_options(aa)
    _network_options(aa)
    aa.add_argument("--secret-stdin", action="store_true", help=secret_help)
    aa.add_argument("--timezone", metavar="ZONE",
                    help="IANA time zone of its posting slots, e.g. Europe/Madrid "
                    "(default: this computer's)")
    asub.add_parser("list", parents=[common], help="list accounts (never their secrets)")
    av = asub.add_parser("verify", parents=[common],
                         help="sign in with the stored secret and show the handle")
    av.add_argument("name", metavar="NAME", help="account name or id")
    ae = asub.add_parser("edit", parents=[common],
                         help="rename an account, change its handle, server or secret")
    ae.add_argument("name", metavar="NAME", help="account name or id")
    ae.add_argument("--rename", dest="new_name", metavar="NEW_NAME", help="a new name")
    ae.add_argument("--handle", help='a new handle ("" for none)')
    _api_base_options(ae)
    _network_options(ae)
    ae.add_argument("--timezone", metavar="ZONE",
                    help='IANA time zone of its posting slots ("" for this computer\'s)')
    ae.add_argument("--secret-stdin", action="store_true",
                    help=secret_help + " (replaces its secrets)")
    ac = asub.add_parser("connect", parents=[common],
                         help="sign in through the network's web page (X, LinkedIn, Mastodon)")
    ac.add_argument("name", metavar="NAME", help="account name or id")
    ac.add_argument("--client-id", metavar="ID",
                    help="your X or LinkedIn app's client id (developer portal); remembered")
    ac.add_argument("--client-secret-stdin", action="store_true",
                    help="read your app's client secret (LinkedIn; X confidential clients) "
                    "from standard input; it is stored only in the OS keyring")
    ac.add_argument("--port", type=int, metavar="PORT",
                    help="X and LinkedIn: the port of the callback URL registered for your app, "
                    "http://127.0.0.1:PORT/callback (default 8421)")
    ac.add_argument("--no-browser", action="store_true",
                    help="do not open a browser: open the printed address yourself")
    ar = asub.add_parser("remove", parents=[common], help="remove an account and its secrets")
    ar.add_argument("name", metavar="NAME", help="account name or id")
    ar.add_argument("--keep-secrets", action="store_true",
                    help="remove the profile even when the keyring cannot be reached (any "
                    "secret it had stays in that keyring)")


def _api_base_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--instance", dest="api_base", metavar="URL",
                   help="Mastodon instance (mastodon.social)")
    g.add_argument("--service", dest="api_base", metavar="URL",
                   help="Bluesky PDS (default: https://bsky.social)")
    g.add_argument("--api-base", dest="api_base", metavar="URL",
                   help="API base URL (webhook endpoint, proxy, self-hosted or test server)")


def _network_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--language", metavar="TAG",
                   help='language of the posts, e.g. es or pt-BR (Mastodon, Bluesky; "" none)')
    p.add_argument("--visibility", metavar="VALUE",
                   help="Mastodon: public, unlisted, private or direct")
    p.add_argument("--server-schedule", action=argparse.BooleanOptionalAction, default=None,
                   help="Mastodon: hand posts scheduled later to the server's own scheduler, "
                   "so they go out with this computer off")
    p.add_argument("--disclaimer", metavar="TEXT",
                   help='added at the end of every post ("" for none)')
    p.add_argument("--mandatory-disclaimer", action=argparse.BooleanOptionalAction,
                   default=None, help="the disclaimer cannot be left out of a post")
    p.add_argument("--api-version", metavar="YYYYMM",
                   help='LinkedIn: the LinkedIn-Version to send, e.g. 202609 ("" for '
                   "Curator's default)")


def _item_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--feed", type=str, metavar="ID", help="feed id or URL")
    p.add_argument("--folder")
    p.add_argument("--role", choices=["third-party", "competitor", "own"])
    p.add_argument("--unread", action="store_true")
    p.add_argument("--starred", action="store_true")
    p.add_argument("--hidden", action="store_true", help="only hidden items")
    p.add_argument("--annotated", action="store_true",
                   help="only items with a note or a commentary")
    p.add_argument("--watched", action="store_true", help="only items matching a watch list")
    p.add_argument("--watch", metavar="LIST", help="only items matching this watch list")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.json = getattr(args, "json", False)
    from .errors import CuratorError

    try:
        return _run(args)
    except CuratorError as e:
        print(f"curator: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("curator: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:
        print(f"curator: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "check":  # pure counting: needs no database
        return check(args)
    from . import logs

    logs.setup_logging(paths.data_dir(getattr(args, "data_dir", None)))  # once, secrets redacted
    if args.command == "restore":  # replaces the database: no core may hold it open
        return restore(args)
    from ._fetch import FetchSettings
    from .core import Curator

    settings = FetchSettings()
    if getattr(args, "workers", None) or getattr(args, "per_host", None):
        from dataclasses import replace

        settings = replace(settings, workers=args.workers or settings.workers,
                           per_host=args.per_host or settings.per_host)
    with Curator(paths.data_dir(getattr(args, "data_dir", None)), fetch=settings) as app:
        key = (args.command, getattr(args, "action", None))
        handler = _HANDLERS.get(key) or _PUBLISHING_HANDLERS[key]
        return handler(app, args)


# ---- handlers -------------------------------------------------------------------------------


def _emit(args: argparse.Namespace, data: Any, text: str | None = None) -> None:
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=None if isinstance(data, list)
                  else 2)
        sys.stdout.write("\n")
    elif text is not None:
        print(text)


def feeds_add(app, args) -> int:  # type: ignore[no-untyped-def]
    res = app.add_feed(args.url, role=args.role, folder=args.folder, title=args.title,
                       fetch=not args.no_fetch)
    if res.warning:
        print(f"curator: {res.warning}", file=sys.stderr)
    found = f" (found on {res.discovered_from})" if res.discovered_from else ""
    out = res.feed.to_json() | {"discovered_from": res.discovered_from,
                                 "new_items": res.new_items}
    _emit(args, out, f"Subscribed to {res.feed.title or res.feed.url} [id {res.feed.id}]"
                     f"{found}: {res.new_items} items.")
    return 0


def feeds_list(app, args) -> int:  # type: ignore[no-untyped-def]
    feeds = app.list_feeds()
    if args.json:
        _emit(args, [f.to_json() for f in feeds])
        return 0
    if not feeds:
        print("No subscriptions yet. Add one with: curator feeds add URL")
    for f in feeds:
        state = ""
        if f.disabled:
            state = f"  [disabled: {f.last_error}]"
        elif f.last_error:
            retry = f", retry after {_local(f.next_retry_at)}" if f.next_retry_at else ""
            state = f"  [error: {f.last_error}{retry}]"
        folder = f"{f.folder}/" if f.folder else ""
        print(f"{f.id:>5}  {f.unread:>5} unread  {f.role.value:<11} {folder}{f.title or '-'}"
              f"  <{f.url}>{state}")
    return 0


def feeds_remove(app, args) -> int:  # type: ignore[no-untyped-def]
    feed = app.remove_feed(args.feed)
    _emit(args, feed.to_json(), f"Unsubscribed from {feed.title or feed.url}; "
                                f"{feed.total} items deleted.")
    return 0


def feeds_edit(app, args) -> int:  # type: ignore[no-untyped-def]
    enabled = True if args.enable else False if args.disable else None
    feed = app.update_feed(args.feed, title=args.title, role=args.role, folder=args.folder,
                           url=args.url, enabled=enabled)
    _emit(args, feed.to_json(), f"Updated {feed.title or feed.url} [id {feed.id}].")
    return 0


def feeds_import(app, args) -> int:  # type: ignore[no-untyped-def]
    data = Path(args.file).read_bytes()
    res = app.import_opml(data, role=args.role)
    if args.json:
        _emit(args, res.to_json())
    else:
        print(f"Imported {len(res.added)} feeds; {len(res.existing)} already subscribed; "
              f"{len(res.skipped)} skipped.")
    for note in res.skipped:
        print(f"  skipped: {note}", file=sys.stderr)
    return 0


def feeds_export(app, args) -> int:  # type: ignore[no-untyped-def]
    data = app.export_opml()
    if args.file:
        Path(args.file).write_bytes(data)
        print(f"Wrote {len(app.list_feeds())} feeds to {args.file}.", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def refresh(app, args) -> int:  # type: ignore[no-untyped-def]
    def progress(done: int, total: int, outcome: Any) -> None:
        if outcome.error and not args.json and not args.quiet:
            print(f"  failed: {outcome.url}: {outcome.error}", file=sys.stderr)

    result = app.refresh(args.feed, force=args.force, progress=progress)
    data = result.to_json()
    _emit(args, data, f"Refreshed {len(result.feeds)} feeds in {result.seconds:.1f} s: "
                      f"{data['ok']} ok, {data['not_modified']} not modified, "
                      f"{data['failed']} failed, {data['skipped']} skipped; "
                      f"{data['new_items']} new items."
                      + _mentions_text(result.mentions))
    return 0


def _query(app, args):  # type: ignore[no-untyped-def]
    from ._storage import ItemQuery
    from .types import Role

    feed_id = app.get_feed(args.feed).id if args.feed else None
    return ItemQuery(
        feed_id=feed_id, folder=args.folder, role=Role(args.role) if args.role else None,
        unread=args.unread, starred=args.starred, hidden_only=args.hidden,
        search=getattr(args, "search", None), annotated=args.annotated,
        oldest_first=getattr(args, "oldest_first", False),
        watched=getattr(args, "watched", False),
        watch_list_id=app.get_watch_list(args.watch).id if getattr(args, "watch", None)
        else None,
    )


def items_list(app, args) -> int:  # type: ignore[no-untyped-def]
    if args.limit < 1:
        from .errors import CuratorError

        raise CuratorError("--limit must be at least 1.")
    query = _query(app, args)
    page = app.list_items(query, limit=args.limit, cursor=args.cursor,
                          with_content=args.content)
    if args.json:
        _emit(args, [it.to_json(with_content=args.content) for it in page.items])
        if page.next_cursor:
            print(f"next cursor: {page.next_cursor}", file=sys.stderr)
        return 0
    if not page.items:
        print("No items.")
    for it in page.items:
        flags = (("*" if it.starred else " ") + ("N" if not it.read else " ")
                 + ("C" if it.has_commentary else " "))
        print(f"{it.id:>7} {flags} {_local(it.date)}  {(it.feed_title or '')[:24]:<24}  "
              f"{it.title or '(untitled)'}")
    if page.next_cursor:
        print(f"More: --cursor '{page.next_cursor}'")
    return 0


def items_show(app, args) -> int:  # type: ignore[no-untyped-def]
    it = app.get_item(args.id)
    if args.json:
        _emit(args, it.to_json(with_content=True))
        return 0
    from ._sanitize import html_to_text

    print(it.title or "(untitled)")
    print(f"{it.feed_title or ''} | {it.author or ''} | {_local(it.date)}")
    if it.link:
        print(it.link)
    print()
    print(html_to_text(it.content or it.summary) or "(no text)")
    return 0


def items_mark(app, args) -> int:  # type: ignore[no-untyped-def]
    from .errors import CuratorError

    def pick(on: bool, off: bool, name: tuple[str, str]) -> bool | None:
        if on and off:
            raise CuratorError(f"Choose one of --{name[0]} and --{name[1]}.")
        return True if on else False if off else None

    read = pick(args.read, args.unread, ("read", "unread"))
    starred = pick(args.star, args.unstar, ("star", "unstar"))
    hidden = pick(args.hide, args.unhide, ("hide", "unhide"))
    if read is None and starred is None and hidden is None:
        raise CuratorError("Say what to mark: --read, --unread, --star, --unstar, --hide or "
                           "--unhide.")
    n = app.mark_items(args.ids, read=read, starred=starred, hidden=hidden)
    _emit(args, {"marked": n}, f"Marked {n} items.")
    return 0


def items_mark_all(app, args) -> int:  # type: ignore[no-untyped-def]
    args.search = None
    n = app.mark_all_read(_query(app, args))
    _emit(args, {"marked": n}, f"Marked {n} items read.")
    return 0


def check(args: argparse.Namespace) -> int:
    from .counting import measure
    from .errors import CuratorError

    if args.text is not None:
        text = args.text
    else:
        try:
            raw = (sys.stdin.buffer.read() if args.text_file == "-"
                   else Path(args.text_file).read_bytes())
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CuratorError(f"{args.text_file} is not UTF-8 text.") from None
        # An editor's final newline is not part of the post.
        text = text.removesuffix("\n").removesuffix("\r")
    m = measure(args.network, text, limit=args.limit)
    state = "ok" if m.ok else f"over by {m.length - m.limit}"
    _emit(args, m.to_json(), f"{args.network.strip().lower()}: {m.length}/{m.limit} {state}")
    return 0


def _read_text(path: str) -> str:
    """A UTF-8 file's text ('-': standard input), without an editor's final newline."""
    from .errors import CuratorError

    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CuratorError(f"{path} is not UTF-8 text.") from None
    return text.removesuffix("\n").removesuffix("\r")


def drafts_new(app, args) -> int:  # type: ignore[no-untyped-def]
    from .errors import CuratorError

    text = args.text if args.text is not None else (
        _read_text(args.text_file) if args.text_file is not None else None)
    template = app.get_template(args.template) if args.template else None
    approved = app.approved_content(args.item) if args.item is not None else None
    if text is None and template is None and approved is None:  # approved: its suggestion
        raise CuratorError("Give the draft's text with --text or --text-file, or a --template "
                           "to fill in.")
    draft = app.new_draft(item_id=args.item, text=text or "",
                          template_id=template.id if template else None)
    if text is None and template is not None:
        from .compose import item_fields, render_template

        note = app.annotation(args.item) if args.item is not None else None
        # draft.text: an approved item's suggested commentary ("" for any other item)
        values = {**item_fields(draft), "commentary": note.commentary if note else draft.text,
                  "quote": "", "hashtags": ""}
        app.save_draft_text(draft.id, render_template(template.body, values))
        draft = app.get_draft(draft.id)
    _emit(args, draft.to_json(), f"Draft {draft.id} saved.")
    return 0


def _draft_line(d: Any) -> str:
    first = (d.text.strip().splitlines() or ["(empty)"])[0]
    first = first if len(first) <= 60 else first[:59] + "…"
    about = f"  [{d.item_title}]" if d.item_title else ""
    return f"{d.id:>5}  {_local(d.updated_at)}  {first}{about}"


def drafts_list(app, args) -> int:  # type: ignore[no-untyped-def]
    drafts = app.list_drafts()
    if args.json:
        _emit(args, [d.to_json() for d in drafts])
        return 0
    if not drafts:
        print('No drafts yet. Start one with: curator drafts new --text "..."')
    for d in drafts:
        print(_draft_line(d))
    return 0


def drafts_show(app, args) -> int:  # type: ignore[no-untyped-def]
    d = app.get_draft(args.id)
    if args.json:
        _emit(args, d.to_json())
        return 0
    deleted = f" (deleted {_local(d.deleted_at)})" if d.deleted_at else ""
    print(f"Draft {d.id}, edited {_local(d.updated_at)}{deleted}")
    if d.item_title or d.item_link:
        role = f", {d.item_role.value}" if d.item_role else ""
        print(f"About: {d.item_title or '(untitled)'} ({d.item_source or '-'}{role})")
        if d.item_link:
            print(d.item_link)
    print()
    print(d.text or "(empty)")
    names = {a.id: a.name for a in app.list_accounts()}
    for v in d.variants:
        print()
        state = "follows the draft" if v.synced else "edited"
        print(f"-- {names.get(v.account_id, v.account_id)} ({state}):")
        if not v.synced:
            print(v.text or "(empty)")
    return 0


def templates_list(app, args) -> int:  # type: ignore[no-untyped-def]
    templates = app.list_templates(args.segment)
    if args.json:
        _emit(args, [t.to_json() for t in templates])
        return 0
    if not templates:
        print("No templates yet. Add one with: curator templates add NAME --body "
              "'{commentary} {url}'")
    segment = None
    for t in templates:
        if t.segment != segment:
            segment = t.segment
            print(f"{segment or '(every segment)'}:")
        body = t.body.replace("\n", " / ")
        print(f"{t.id:>5}  {t.name}: {body if len(body) <= 70 else body[:69] + '…'}")
    return 0


def templates_add(app, args) -> int:  # type: ignore[no-untyped-def]
    body = args.body if args.body is not None else _read_text(args.body_file)
    t = app.add_template(args.name, body, segment=args.segment)
    where = f" for {t.segment}" if t.segment else ""
    _emit(args, t.to_json(), f"Added template {t.name}{where} [id {t.id}].")
    return 0


def _read_secret(option: str = "--secret-stdin") -> str:
    """The secret from standard input (a terminal: typed, not echoed), minus one final
    newline. Never from argv or the environment, where other users and logs can see it."""
    from .errors import CuratorError

    if sys.stdin is None:
        raise CuratorError(f"{option} needs a standard input to read the secret from.")
    if sys.stdin.isatty():
        import getpass

        raw = getpass.getpass("Secret (not shown): ")
    else:
        try:
            raw = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise CuratorError("The secret on standard input is not UTF-8 text.") from None
    secret = raw.removesuffix("\n").removesuffix("\r")
    if not secret:
        raise CuratorError(f"{option} read an empty secret: pipe it in, for example "
                           f"printf %s \"$TOKEN\" | curator accounts ... {option}.")
    return secret


def _account_json(account: Any, has_secret: bool | None, warning: str | None = None,
                  reconnect: bool = False) -> dict[str, Any]:
    state = ("reconnect_needed" if reconnect else "keyring_unavailable" if has_secret is None
             else "ready" if has_secret else "no_secret")
    return account.to_json() | {"has_secret": has_secret, "state": state, "warning": warning}


def _has_secret(app: Any, account: Any) -> bool | None:
    """Whether the keyring holds a secret for the account; None when it cannot be asked."""
    from .errors import KeyringUnavailableError

    try:
        return bool(app.secrets.has_any(account.id))
    except KeyringUnavailableError:
        return None


def accounts_add(app, args) -> int:  # type: ignore[no-untyped-def]
    secret = _read_secret() if args.secret_stdin else None
    a = app.add_account(args.network, name=args.name, handle=args.handle,
                        api_base=args.api_base, language=args.language,
                        visibility=args.visibility, server_schedule=bool(args.server_schedule),
                        api_version=args.api_version, disclaimer=args.disclaimer or "",
                        timezone=args.timezone,
                        disclaimer_mandatory=bool(args.mandatory_disclaimer), secret=secret)
    stored = " (secret stored in the system keyring)" if secret is not None else ""
    _emit(args, _account_json(a, secret is not None),
          f"Added {a.network.value} account {a.name} [id {a.id}]{stored}.")
    return 0


def accounts_list(app, args) -> int:  # type: ignore[no-untyped-def]
    accounts = app.list_accounts()
    found = [(a, _has_secret(app, a)) for a in accounts]
    if any(has is None for _, has in found):
        from .secrets import NO_KEYRING

        print(f"curator: {NO_KEYRING}", file=sys.stderr)
    warnings = {a.id: app.account_warning(a.id) if has else None for a, has in found}
    reconnect = {a.id: app.account_needs_reconnect(a.id) for a in accounts}
    if args.json:
        _emit(args, [_account_json(a, has, warnings[a.id], reconnect[a.id]) for a, has in found])
        return 0
    if not accounts:
        print("No accounts yet. Add one with: curator accounts add NETWORK --name NAME "
              "--secret-stdin")
    for a, has in found:
        secret = {True: "secret in keyring", False: "no secret", None: "keyring unavailable"}
        state = "reconnect needed" if reconnect[a.id] else secret[has]
        where = f"  <{a.api_base}>" if a.api_base else ""
        print(f"{a.id:>4}  {a.name}  {a.network.value}  {a.handle or '-'}{where}  [{state}]")
        if warnings[a.id] and not reconnect[a.id]:
            print(f"      {warnings[a.id]}")
    return 0


def accounts_verify(app, args) -> int:  # type: ignore[no-untyped-def]
    from .connectors import connector_for

    a = app.get_account(args.name)
    handle = connector_for(a, app.secrets).verify()
    if handle and not a.handle:
        app.update_account(a.id, handle=handle)
    _emit(args, {"id": a.id, "name": a.name, "network": a.network.value, "handle": handle},
          f"{a.name}: signed in as {handle}.")
    return 0


def accounts_edit(app, args) -> int:  # type: ignore[no-untyped-def]
    secret = _read_secret() if args.secret_stdin else None
    a = app.get_account(args.name)
    if secret is not None:
        app.secrets.check()  # before changing anything: all or nothing
    a = app.update_account(a.id, name=args.new_name, handle=args.handle, api_base=args.api_base,
                           language=args.language, visibility=args.visibility,
                           server_schedule=args.server_schedule, api_version=args.api_version,
                           timezone=args.timezone,
                           disclaimer=args.disclaimer,
                           disclaimer_mandatory=args.mandatory_disclaimer)
    if secret is not None:
        app.set_account_secret(a.id, secret)
    _emit(args, _account_json(a, _has_secret(app, a) if secret is None else True),
          f"Updated account {a.name} [id {a.id}]"
          f"{' and its secret' if secret is not None else ''}.")
    return 0


def accounts_connect(app, args) -> int:  # type: ignore[no-untyped-def]
    import webbrowser

    secret = _read_secret("--client-secret-stdin") if args.client_secret_stdin else None
    a = app.get_account(args.name)
    out = sys.stderr if args.json else sys.stdout  # --json: stdout stays one JSON document

    def open_browser(url: str) -> bool:
        # Always printed: over SSH, or when no browser opens, the user opens it elsewhere.
        print(f"Open this address in a web browser to sign in to {a.network.value}:\n{url}",
              file=out, flush=True)
        if not args.no_browser:
            try:
                webbrowser.open(url)
            except (webbrowser.Error, OSError):
                pass  # the address is printed
        print("Waiting for the sign-in (up to 5 minutes)...", file=out, flush=True)
        return True

    handle = app.connect_account(a.id, client_id=args.client_id, client_secret=secret,
                                 open_browser=open_browser, redirect_port=args.port)
    _emit(args, {"id": a.id, "name": a.name, "network": a.network.value, "handle": handle},
          f"Signed in as {handle}.")
    return 0


def accounts_remove(app, args) -> int:  # type: ignore[no-untyped-def]
    a = app.remove_account(args.name, keep_secrets=args.keep_secrets)
    kept = " (its secrets, if any, stay in the keyring)" if args.keep_secrets else \
        " and its secrets"
    _emit(args, a.to_json(), f"Removed account {a.name}{kept}.")
    return 0


# ---- publishing (queue, publish-due, history) -----------------------------------------------


def _publishing_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    queue = sub.add_parser("queue", help="posts scheduled to go out", parents=[common])
    qsub = queue.add_subparsers(dest="action", metavar="ACTION", required=True)
    qa = qsub.add_parser("add", parents=[common], help="schedule a draft for an account")
    qa.add_argument("draft", type=int, metavar="DRAFT_ID")
    qa.add_argument("--account", required=True, action="append", metavar="NAME",
                    help="account name or id (repeat it to queue the draft for several)")
    qa_when = qa.add_mutually_exclusive_group(required=True)
    qa_when.add_argument("--at", metavar="ISO8601",
                         help="when: 2024-06-03T09:00 (local time), or with Z / +02:00")
    qa_when.add_argument("--next-slot", action="store_true",
                         help="in each account's next free posting slot (curator slots list)")
    qa.add_argument("--stagger", type=int, metavar="MINUTES",
                    help="several accounts: one after the other, MINUTES apart (from --at, "
                    "or from the first account's next free slot)")
    qa.add_argument("--thread", action="store_true",
                    help="X, Bluesky, Mastodon: split a post over the limit into a numbered "
                    "thread of replies")
    qa.add_argument("--no-disclaimer", action="store_true",
                    help="leave out the account's disclaimer (not when it is mandatory)")
    ql = qsub.add_parser("list", parents=[common],
                         help="posts waiting, being published, failed or needing attention")
    ql.add_argument("--account", metavar="NAME",
                    help="only this account's waiting posts, in order")
    qn = qsub.add_parser("next", parents=[common],
                         help="move a waiting post to the front of its account's queue")
    qn.add_argument("id", type=int, metavar="ID")
    qm = qsub.add_parser("move", parents=[common], help="move a post to an exact time")
    qm.add_argument("id", type=int, metavar="ID")
    qm.add_argument("--at", required=True, metavar="ISO8601",
                    help="when: 2024-06-03T09:00 (local time), or with Z / +02:00")
    for action, text in (("pause", "pause an account's queue: nothing of it is published"),
                         ("resume", "resume a paused account's queue"),
                         ("shuffle", "shuffle an account's waiting posts over the same times")):
        qx = qsub.add_parser(action, parents=[common], help=text)
        qx.add_argument("name", metavar="NAME", help="account name or id")
    qv = qsub.add_parser("resolve", parents=[common],
                         help="decide about an overdue post: publish it now, move it to the "
                         "next free slot, or skip (cancel) it")
    qv.add_argument("id", type=int, metavar="ID")
    qv.add_argument("choice", choices=["publish", "next-slot", "skip"])
    qc = qsub.add_parser("cancel", parents=[common], help="do not send a post")
    qc.add_argument("id", type=int, metavar="ID")
    qr = qsub.add_parser("retry", parents=[common],
                         help="send a failed, cancelled or needs-attention post again now")
    qr.add_argument("id", type=int, metavar="ID")
    pd = sub.add_parser("publish-due", parents=[common],
                        help="publish what is due, then exit (for cron or a systemd timer)")
    pd.add_argument("--now", metavar="ISO8601", help="act as if it were this time")
    pd.add_argument("--no-metrics", action="store_true",
                    help="do not also fetch the engagement counts that are due")
    pd.add_argument("--overdue", choices=["hold", "publish"], default="hold",
                    help="posts missed by more than the overdue grace (the computer was off): "
                    "hold them for you to resolve (default), or publish them too")
    hi = sub.add_parser("history", parents=[common], help="published posts, newest first")
    hi.add_argument("--limit", type=int, metavar="N")


def _when(text: str, option: str) -> datetime:
    """An ISO 8601 time from the command line; without an offset it is local time."""
    from .errors import CuratorError

    try:
        d = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CuratorError(f"{option} must be an ISO 8601 time such as 2024-06-03T09:00 "
                           f"(local time) or 2024-06-03T07:00Z, not {text!r}.") from None
    return d.astimezone() if d.tzinfo is None else d


def _post_line(p: Any) -> str:
    first = (p.text.strip().splitlines() or [""])[0]
    first = first if len(first) <= 50 else first[:49] + "…"
    when = p.published_at if p.published_at else p.scheduled_at
    extra = f"  [{p.last_error}]" if p.last_error else ""
    if p.remote_url or p.remote_id:
        extra += f"  {p.remote_url or p.remote_id}"
    return f"{p.id:>5}  {p.state.value:<15} {_local(when)}  {p.account:<14} {first}{extra}"


def queue_add(app, args) -> int:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from .errors import CuratorError

    at = _when(args.at, "--at") if args.at else None
    if args.stagger is not None and args.stagger < 0:
        raise CuratorError("--stagger takes a number of minutes, 0 or more.")
    stagger = timedelta(minutes=args.stagger) if args.stagger is not None else None
    if len(args.account) == 1 and stagger is None:
        post = app.queue_post(args.draft, args.account[0], at, next_slot=args.next_slot,
                              disclaimer=not args.no_disclaimer, thread=args.thread)
        posts = [post]
    else:
        posts = app.queue_for_accounts(args.draft, args.account, at=at, stagger=stagger,
                                       disclaimer=not args.no_disclaimer, thread=args.thread)
    lines = []
    for post in posts:
        parts = f" (a thread of {len(post.thread) + 1})" if post.thread else ""
        lines.append(f"Queued post {post.id}{parts} for {post.account} at "
                     f"{_local(post.scheduled_at)}{_zone_note(app, post)}.")
    data = [p.to_json() for p in posts] if len(args.account) > 1 else posts[0].to_json()
    _emit(args, data, "\n".join(lines))
    return 0


def _zone_note(app: Any, post: Any) -> str:
    """" (09:00 Europe/Madrid)" when the account's zone is not this computer's."""
    from .slots import account_zone

    if post.account_id is None:
        return ""
    zone = account_zone(app.get_account(post.account_id))
    there = post.scheduled_at.astimezone(zone)
    if there.utcoffset() == post.scheduled_at.astimezone().utcoffset():
        return ""
    return f" ({there.strftime('%a %H:%M')} {zone.key})"


def queue_list(app, args) -> int:  # type: ignore[no-untyped-def]
    posts = app.queue_for(args.account) if args.account else app.list_queue()
    if args.json:
        _emit(args, [p.to_json() for p in posts])
        return 0
    if not posts:
        print("Nothing queued. Queue a draft with: curator queue add DRAFT_ID --account NAME "
              "--at 2024-06-03T09:00")
    for p in posts:
        print(_post_line(p))
    return 0


def queue_cancel(app, args) -> int:  # type: ignore[no-untyped-def]
    post = app.cancel_post(args.id)
    _emit(args, post.to_json(), f"Cancelled post {post.id}.")
    return 0


def queue_retry(app, args) -> int:  # type: ignore[no-untyped-def]
    post = app.retry_post(args.id)
    _emit(args, post.to_json(), f"Post {post.id} goes out on the next publish-due.")
    return 0


def queue_next(app, args) -> int:  # type: ignore[no-untyped-def]
    post = app.share_next(args.id)
    _emit(args, post.to_json(), f"Post {post.id} is next for {post.account}: "
                                f"{_local(post.scheduled_at)}{_zone_note(app, post)}.")
    return 0


def queue_move(app, args) -> int:  # type: ignore[no-untyped-def]
    post = app.reschedule_post(args.id, _when(args.at, "--at"))
    _emit(args, post.to_json(), f"Post {post.id} goes out at {_local(post.scheduled_at)}"
                                f"{_zone_note(app, post)}.")
    return 0


def queue_pause(app, args) -> int:  # type: ignore[no-untyped-def]
    paused = args.action == "pause"
    a = app.set_paused(args.name, paused)
    waiting = len(app.queue_for(a.id))
    _emit(args, a.to_json(),
          f"Paused {a.name}: its {waiting} waiting post(s) stay queued, nothing is published."
          if paused else f"Resumed {a.name}: its {waiting} waiting post(s) go out again "
          "(late ones follow the overdue policy).")
    return 0


def queue_shuffle(app, args) -> int:  # type: ignore[no-untyped-def]
    posts = app.shuffle_queue(args.name)
    if args.json:
        _emit(args, [p.to_json() for p in posts])
        return 0
    print(f"Shuffled {len(posts)} waiting post(s) over the same times:")
    for p in posts:
        print(_post_line(p))
    return 0


def queue_resolve(app, args) -> int:  # type: ignore[no-untyped-def]
    post = app.resolve_overdue(args.id, args.choice)
    text = {"publish": f"Post {post.id} goes out on the next publish-due.",
            "next-slot": f"Post {post.id} moved to {_local(post.scheduled_at)}"
                         f"{_zone_note(app, post)}.",
            "skip": f"Skipped (cancelled) post {post.id}."}[args.choice]
    _emit(args, post.to_json(), text)
    return 0


def publish_due(app, args) -> int:  # type: ignore[no-untyped-def]
    now = _when(args.now, "--now") if args.now else None
    outcomes = app.publish_due(now, overdue=args.overdue)
    held = app.overdue_posts(now) if args.overdue == "hold" else []
    # Engagement counts due 1 h, 24 h and 7 d after publishing: the same timer keeps them
    # fresh. Failures are values in the snapshots (the next run asks again), never errors.
    measured = [] if args.no_metrics else app.fetch_metrics(now=now)
    counts = {s: sum(1 for o in outcomes if o.state.value == s)
              for s in ("published", "scheduled", "failed", "needs_attention")}
    summary = (f"Published {counts['published']}; retrying later {counts['scheduled']}; "
               f"failed {counts['failed']}; needing attention {counts['needs_attention']}.")
    if args.json:
        _emit(args, {**{("retrying" if k == "scheduled" else k): v for k, v in counts.items()},
                     "held": len(held), "metrics_fetched": len(measured),
                     "posts": [o.to_json() for o in outcomes],
                     "overdue": [p.to_json() for p in held]})
        return 0
    for o in outcomes:
        if o.state.value == "published":
            print(f"  published {o.post_id} ({o.account}): {o.remote_url or o.remote_id}")
        elif o.state.value == "scheduled":
            print(f"  retrying {o.post_id} ({o.account}) at {_local(o.next_attempt_at)}: "
                  f"{o.error}", file=sys.stderr)
        else:
            print(f"  {o.state.value.replace('_', ' ')} {o.post_id} ({o.account}): {o.error}",
                  file=sys.stderr)
    print(summary)
    if held:
        grace = app.get_setting("overdue_grace_minutes")
        print(f"Held {len(held)} overdue post(s), missed by more than {grace} minutes: "
              "decide about each with curator queue resolve ID publish|next-slot|skip")
        for p in held:
            print(_post_line(p))
    return 0


def history(app, args) -> int:  # type: ignore[no-untyped-def]
    posts = app.history(args.limit)
    if args.json:
        _emit(args, [p.to_json() for p in posts])
        return 0
    if not posts:
        print("Nothing published yet.")
    for p in posts:
        print(_post_line(p))
    return 0


_PUBLISHING_HANDLERS = {
    ("queue", "add"): queue_add,
    ("queue", "list"): queue_list,
    ("queue", "cancel"): queue_cancel,
    ("queue", "retry"): queue_retry,
    ("queue", "next"): queue_next,
    ("queue", "move"): queue_move,
    ("queue", "pause"): queue_pause,
    ("queue", "resume"): queue_pause,
    ("queue", "shuffle"): queue_shuffle,
    ("queue", "resolve"): queue_resolve,
    ("publish-due", None): publish_due,
    ("history", None): history,
}


# ---- scheduling (slots, the systemd timer, shared settings) ----------------------------------


def _scheduling_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    slots = sub.add_parser("slots", help="weekly posting slots per account", parents=[common])
    ssub = slots.add_subparsers(dest="action", metavar="ACTION", required=True)
    ss = ssub.add_parser("set", parents=[common],
                         help='replace an account\'s slots: "Tue 09:00" "Mon-Fri 17:30" ...')
    ss.add_argument("name", metavar="NAME", help="account name or id")
    ss.add_argument("slots", nargs="*", metavar="SLOT",
                    help='a day (or days: Mon-Fri, mon,thu, weekdays, daily) and a local time')
    ss.add_argument("--timezone", "--tz", metavar="ZONE",
                    help='IANA zone of the slots, e.g. Europe/Madrid ("" for this computer\'s)')
    ss.add_argument("--defaults", action="store_true",
                    help="go back to the default slots (Mon-Fri 09:00 and 17:30)")
    sl = ssub.add_parser("list", parents=[common],
                         help="each account's slots, time zone and next free slot")
    sl.add_argument("name", nargs="?", metavar="NAME", help="only this account")

    sched = sub.add_parser("schedule", help="publish with Curator closed", parents=[common])
    schsub = sched.add_subparsers(dest="action", metavar="ACTION", required=True)
    it = schsub.add_parser("install-timer", parents=[common],
                           help="write a systemd user timer that runs publish-due")
    it.add_argument("--every", type=int, default=5, metavar="MINUTES",
                    help="how often, 1 to 60 minutes (default 5)")

    st = sub.add_parser("settings", help="settings shared by the app and the CLI",
                        parents=[common])
    stsub = st.add_subparsers(dest="action", metavar="ACTION", required=True)
    stsub.add_parser("list", parents=[common], help="the known settings and their values")
    sg = stsub.add_parser("get", parents=[common], help="one setting")
    sg.add_argument("key", metavar="KEY")
    sv = stsub.add_parser("set", parents=[common],
                          help="change a setting, e.g. overdue_grace_minutes 60")
    sv.add_argument("key", metavar="KEY")
    sv.add_argument("value", metavar="VALUE", help="a JSON value (60, 0.25, true) or text")


def _slots_json(app: Any, account: Any) -> dict[str, Any]:
    from .slots import account_zone, format_slot

    slots = app.list_slots(account.id)
    try:
        next_free = app.next_free_slot(account.id)
    except Exception:  # noqa: BLE001 - a listing must not fail on one account
        next_free = None
    return {"account": account.name, "account_id": account.id,
            "timezone": account_zone(account).key, "own_timezone": account.timezone,
            "default": not app.has_own_slots(account.id), "paused": account.paused,
            "slots": [s.to_json() | {"label": format_slot(s.weekday, s.time)} for s in slots],
            "next_free": next_free.strftime("%Y-%m-%dT%H:%M:%SZ") if next_free else None}


def _slots_text(info: dict[str, Any]) -> str:
    labels = ", ".join(s["label"] for s in info["slots"])
    default = " (defaults)" if info["default"] else ""
    paused = "  [paused]" if info["paused"] else ""
    nxt = info["next_free"]
    when = _local(datetime.fromisoformat(nxt)) if nxt else "-"
    return (f"{info['account']} ({info['timezone']}){paused}: {labels}{default}\n"
            f"    next free slot: {when}")


def slots_set(app, args) -> int:  # type: ignore[no-untyped-def]
    from .errors import CuratorError
    from .slots import check_timezone, parse_slot_spec

    if args.slots and args.defaults:
        raise CuratorError("Give slots or --defaults, not both.")
    if not args.slots and not args.defaults and args.timezone is None:
        raise CuratorError('Give the slots ("Tue 09:00" "Mon-Fri 17:30"), --defaults or '
                           "--timezone.")
    account = app.get_account(args.name)
    pairs = [pair for spec in args.slots for pair in parse_slot_spec(spec)]  # checked first
    if args.timezone:
        check_timezone(args.timezone)
    if args.timezone is not None:
        account = app.update_account(account.id, timezone=args.timezone)
    if args.slots or args.defaults:
        app.set_slots(account.id, pairs)
    info = _slots_json(app, account)
    _emit(args, info, _slots_text(info))
    return 0


def slots_list(app, args) -> int:  # type: ignore[no-untyped-def]
    accounts = [app.get_account(args.name)] if args.name else app.list_accounts()
    infos = [_slots_json(app, a) for a in accounts]
    if args.json:
        _emit(args, infos)
        return 0
    if not infos:
        print("No accounts yet. Add one with: curator accounts add NETWORK --name NAME")
    for info in infos:
        print(_slots_text(info))
    return 0


TIMER_NAME = "curator-publish"


def _systemd_quote(arg: str) -> str:
    """One ExecStart word: % and $ escaped (specifiers, variables), quoted if it has spaces."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if not arg or any(c.isspace() or c in "\"'\\;" for c in arg):
        return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg


def systemd_units(python: str, data_dir: Path, every: int) -> dict[str, str]:
    """The user service and timer that run `python -m curator publish-due` every `every`
    minutes. OnCalendar is wall-clock time and Persistent=true runs a missed run at once
    after sleep or power-off (a monotonic timer would not count the time asleep)."""
    command = " ".join(_systemd_quote(a) for a in
                       (python, "-m", "curator", "publish-due", "--data-dir", str(data_dir)))
    service = (
        "[Unit]\n"
        "Description=Curator: publish the posts that are due\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart={command}\n")
    timer = (
        "[Unit]\n"
        f"Description=Curator: run publish-due every {every} minutes\n\n"
        "[Timer]\n"
        f"OnCalendar=*:0/{every}\n"
        "Persistent=true\n"
        "AccuracySec=30s\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n")
    return {f"{TIMER_NAME}.service": service, f"{TIMER_NAME}.timer": timer}


def schedule_install_timer(app, args) -> int:  # type: ignore[no-untyped-def]
    import os

    from .errors import CuratorError

    if sys.platform in ("win32", "darwin"):
        raise CuratorError("systemd timers are for Linux: see the README for the Task "
                           "Scheduler (Windows) or a cron line (macOS).")
    if not 1 <= args.every <= 60:
        raise CuratorError("--every takes 1 to 60 minutes.")
    config = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config) if os.path.isabs(config) else Path.home() / ".config"
    folder = base / "systemd" / "user"
    folder.mkdir(parents=True, exist_ok=True)
    # Not resolved: a virtualenv's python is a symlink, and its target has no Curator.
    python = str(Path(sys.executable).absolute())
    written = []
    for name, text in systemd_units(python, Path(app.data_dir).absolute(), args.every).items():
        target = folder / name
        tmp = target.with_name(name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        written.append(str(target))
    command = f"systemctl --user daemon-reload && systemctl --user enable --now {TIMER_NAME}.timer"
    _emit(args, {"service": written[0], "timer": written[1], "every_minutes": args.every,
                 "exec_start": systemd_units(python, Path(app.data_dir).absolute(), args.every)
                 [f"{TIMER_NAME}.service"].split("ExecStart=", 1)[1].strip(),
                 "command": command},
          f"Wrote {written[0]}\nand {written[1]} (publish-due every {args.every} minutes).\n"
          f"Turn it on with:\n  {command}\n"
          "To keep it running while you are logged out: loginctl enable-linger")
    return 0


def _setting_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def settings_list(app, args) -> int:  # type: ignore[no-untyped-def]
    from ._scheduling import SETTING_DEFAULTS

    values = {key: app.get_setting(key) for key in SETTING_DEFAULTS}
    _emit(args, values, "\n".join(f"{k} = {json.dumps(v)}" for k, v in values.items()))
    return 0


def settings_get(app, args) -> int:  # type: ignore[no-untyped-def]
    value = app.get_setting(args.key)
    _emit(args, {args.key: value}, json.dumps(value, ensure_ascii=False))
    return 0


def settings_set(app, args) -> int:  # type: ignore[no-untyped-def]
    app.set_setting(args.key, _setting_value(args.value))
    value = app.get_setting(args.key)
    _emit(args, {args.key: value}, f"{args.key} = {json.dumps(value, ensure_ascii=False)}")
    return 0


_PUBLISHING_HANDLERS.update({
    ("slots", "set"): slots_set,
    ("slots", "list"): slots_list,
    ("schedule", "install-timer"): schedule_install_timer,
    ("settings", "list"): settings_list,
    ("settings", "get"): settings_get,
    ("settings", "set"): settings_set,
})


def _local(d: datetime | None) -> str:
    return d.astimezone().strftime("%Y-%m-%d %H:%M") if d else "-"


_HANDLERS = {
    ("feeds", "add"): feeds_add,
    ("feeds", "list"): feeds_list,
    ("feeds", "remove"): feeds_remove,
    ("feeds", "edit"): feeds_edit,
    ("feeds", "import-opml"): feeds_import,
    ("feeds", "export-opml"): feeds_export,
    ("refresh", None): refresh,
    ("items", "list"): items_list,
    ("items", "show"): items_show,
    ("items", "mark"): items_mark,
    ("items", "mark-all-read"): items_mark_all,
    ("drafts", "new"): drafts_new,
    ("drafts", "list"): drafts_list,
    ("drafts", "show"): drafts_show,
    ("templates", "list"): templates_list,
    ("templates", "add"): templates_add,
    ("accounts", "add"): accounts_add,
    ("accounts", "list"): accounts_list,
    ("accounts", "verify"): accounts_verify,
    ("accounts", "edit"): accounts_edit,
    ("accounts", "remove"): accounts_remove,
    ("accounts", "connect"): accounts_connect,
}


# ---- fill my week -----------------------------------------------------------------------------


def _plan_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    plan = sub.add_parser("plan", help="fill the coming week's free slots", parents=[common])
    psub = plan.add_subparsers(dest="action", metavar="ACTION", required=True)
    pw = psub.add_parser(
        "week", parents=[common],
        help="propose posts for the next 7 days from starred and annotated items not yet "
        "shared, with a healthy mix (prints the proposal; --accept queues it)")
    pw.add_argument("--account", action="append", metavar="NAME",
                    help="only this account (repeatable; default: every account)")
    pw.add_argument("--start", metavar="ISO8601", help="start of the week (default: now)")
    pw.add_argument("--days", type=int, default=7, metavar="N", help="how many days (7)")
    pw.add_argument("--max-own-share", type=float, metavar="SHARE",
                    help="at most this share of own-company posts (default: the "
                    "mix_max_own_share setting, 1/3)")
    pw.add_argument("--seed", type=int, help="break ties at random, the same way each time")
    pw.add_argument("--accept", action="store_true",
                    help="queue the proposal (all or nothing)")
    pw.add_argument("--skip-failing", action="store_true",
                    help="with --accept: queue the posts that can be, leave out the others")


def plan_week(app, args) -> int:  # type: ignore[no-untyped-def]
    import random
    from datetime import timedelta

    from .errors import CuratorError
    from .planning import ProposalError

    if args.days < 1:
        raise CuratorError("--days must be 1 or more.")
    start = _when(args.start, "--start") if args.start else app.now()
    accounts = args.account or [a.id for a in app.list_accounts()]
    if not accounts:
        raise CuratorError("No accounts yet. Add one with: curator accounts add NETWORK "
                           "--name NAME")
    rng = random.Random(args.seed) if args.seed is not None else None
    placements = app.propose_week(accounts, start, start + timedelta(days=args.days),
                                  max_own_share=args.max_own_share, rng=rng)
    if not args.accept:
        if args.json:
            _emit(args, [p.to_json() for p in placements])
            return 0
        if not placements:
            print("Nothing to propose: star or annotate items not yet shared, and check "
                  "that the accounts have free slots (curator slots list).")
        for p in placements:
            print(f"{_local(p.at)}  {p.account:<14} {p.role.value:<11} {p.source or '-'}: "
                  f"{p.title or '-'}")
            for line in p.text.splitlines():
                print(f"      {line}")
        return 0
    if not placements:
        raise CuratorError("Nothing to queue: the proposal is empty.")
    try:
        posts = app.accept_proposal(placements, skip_failing=args.skip_failing)
    except ProposalError as e:
        for row, why in e.problems:
            print(f"  {_local(placements[row].at)} {placements[row].account}: "
                  f"{placements[row].title or '-'}: {why}", file=sys.stderr)
        raise CuratorError(f"{e} Fix them or add --skip-failing to queue the others.") from e
    if args.json:
        _emit(args, [p.to_json() for p in posts])
        return 0
    for p in posts:
        print(_post_line(p))
    left = len(placements) - len(posts)
    print(f"Queued {len(posts)} posts" + (f"; left out {left}." if left else "."))
    return 0


_HANDLERS[("plan", "week")] = plan_week


# ---- analytics ----------------------------------------------------------------------------------


def _analytics_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    st = sub.add_parser("stats", parents=[common],
                        help="engagement, value, content mix and best sources of your posts")
    st.add_argument("--since", metavar="ISO8601", help="only posts published from then")
    st.add_argument("--until", metavar="ISO8601", help="only posts published before then")
    ex = sub.add_parser("export-csv", parents=[common],
                        help="write every published post with its counts, outcomes and value "
                        "to a CSV file (for spreadsheets)")
    ex.add_argument("file", metavar="FILE")

    me = sub.add_parser("metrics", help="engagement counts of published posts", parents=[common])
    msub = me.add_subparsers(dest="action", metavar="ACTION", required=True)
    mr = msub.add_parser("refresh", parents=[common],
                         help="fetch the counts that are due (about 1 h, 24 h and 7 days after "
                         "publishing), or of the posts named")
    mr.add_argument("--post", type=int, action="append", metavar="ID",
                    help="this post now, due or not (repeatable)")
    mh = msub.add_parser("history", parents=[common], help="every fetch of one post's counts")
    mh.add_argument("post", type=int, metavar="POST_ID")

    oc = sub.add_parser("outcomes", help="what came of your posts (leads, meetings...)",
                        parents=[common])
    osub = oc.add_subparsers(dest="action", metavar="ACTION", required=True)
    oa = osub.add_parser("add", parents=[common], help="log an outcome of a post")
    oa.add_argument("post", type=int, metavar="POST_ID")
    oa.add_argument("kind", metavar="KIND",
                    help="prospect_reply, meeting, lead, referral or other")
    oa.add_argument("--note", default="", metavar="TEXT")
    oa.add_argument("--value", type=float, metavar="N",
                    help="its value (default: the kind's, see curator values list)")
    oa.add_argument("--at", metavar="ISO8601", help="when it happened (default: now)")
    ol = osub.add_parser("list", parents=[common], help="logged outcomes")
    ol.add_argument("--post", type=int, metavar="POST_ID", help="only this post's")
    orm = osub.add_parser("remove", parents=[common], help="delete an outcome")
    orm.add_argument("id", type=int, metavar="ID")

    va = sub.add_parser("values", help="what each interaction and outcome is worth to you",
                        parents=[common])
    vsub = va.add_subparsers(dest="action", metavar="ACTION", required=True)
    vsub.add_parser("list", parents=[common], help="the value of each kind")
    vs = vsub.add_parser("set", parents=[common], help="change a kind's value")
    vs.add_argument("kind", metavar="KIND", help="like, repost, reply, quote, or an outcome kind")
    vs.add_argument("value", metavar="N", help='a number 0 or more, or "default"')

    fo = sub.add_parser("followers", help="follower counts per account", parents=[common])
    fosub = fo.add_subparsers(dest="action", metavar="ACTION", required=True)
    fosub.add_parser("list", parents=[common], help="each account's latest follower count")
    fs = fosub.add_parser("set", parents=[common], help="enter an account's follower count")
    fs.add_argument("name", metavar="NAME", help="account name or id")
    fs.add_argument("count", type=int, metavar="N")
    ff = fosub.add_parser("fetch", parents=[common], help="ask the network for the count")
    ff.add_argument("name", metavar="NAME", help="account name or id")

    mx = sub.add_parser("mix", help="your content mix against your target", parents=[common])
    mxsub = mx.add_subparsers(dest="action", metavar="ACTION", required=True)
    mxsub.add_parser("show", parents=[common],
                     help="shares of the last 30 days and the coming week, and the target")
    mt = mxsub.add_parser("target", parents=[common],
                          help="set the target: own=0.2 third-party=0.6 competitor=0.1 "
                          "approved=0.1 (adding up to 1), or 'default'")
    mt.add_argument("shares", nargs="+", metavar="KEY=SHARE")


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _num(value: float) -> str:
    return f"{value:g}"


def _mix_text(mix: Any) -> str:
    keys = ("own", "third-party", "competitor", "approved", "none")
    lines = [f"{'':<14}{'last 30 days':>14}{'coming week':>14}{'target':>10}"]
    for k in keys:
        target = _pct(mix.target[k]) if k in mix.target else "-"
        lines.append(f"{k:<14}{_pct(mix.last_30_days[k]):>8} ({mix.last_30_days_counts[k]:>3})"
                     f"{_pct(mix.coming_week[k]):>8} ({mix.coming_week_counts[k]:>3}){target:>10}")
    if mix.too_promotional:
        lines.append("The coming week is too self-promotional: its share of own posts is over "
                     "your target. Share more third-party content.")
    return "\n".join(lines)


def _totals_text(name: str, t: Any) -> str:
    missing = []
    if t.unavailable:
        missing.append(f"{t.unavailable} not available")
    if t.unmeasured:
        missing.append(f"{t.unmeasured} not fetched yet")
    note = f"  ({'; '.join(missing)})" if missing else ""
    return (f"{name:<24} posts {t.posts:>4}  likes {t.likes:>5}  reposts {t.reposts:>4}  "
            f"replies {t.replies:>4}  outcomes {t.outcomes:>3}  value {_num(t.value):>7}{note}")


def stats(app, args) -> int:  # type: ignore[no-untyped-def]
    since = _when(args.since, "--since") if args.since else None
    until = _when(args.until, "--until") if args.until else None
    result = app.stats(since, until)
    mix = app.content_mix()
    sources = app.source_ranking(since, until)
    if args.json:
        _emit(args, {**result.to_json(), "content_mix": mix.to_json(),
                     "sources": [s.to_json() for s in sources]})
        return 0
    if not result.total.posts:
        print("Nothing published yet" + (" in that time." if since or until else "."))
    else:
        print(_totals_text("All posts", result.total))
        print("\nPer week:")
        for w in result.weeks:
            print(_totals_text(f"  {w.week_start.isoformat()}", w))
        for title, groups in (("Per account", result.per_account),
                              ("Per source feed", result.per_feed),
                              ("Per role", result.per_role)):
            print(f"\n{title}:")
            for name, t in groups.items():
                if t.posts:
                    print(_totals_text(f"  {name or '(no item)'}", t))
        if sources:
            print("\nSources, best first:")
            for s in sources:
                print(f"  {s.title or '-':<30} posts {s.posts:>3}  engagement "
                      f"{s.engagement:>5}  value {_num(s.value):>7}")
    print("\nContent mix:")
    print(_mix_text(mix))
    return 0


def export_csv(app, args) -> int:  # type: ignore[no-untyped-def]
    rows = app.export_csv(Path(args.file))
    _emit(args, {"file": str(Path(args.file)), "rows": rows},
          f"Wrote {rows} post(s) to {args.file}.")
    return 0


def _snapshot_line(m: Any) -> str:
    if m.unavailable:
        return f"  post {m.post_id}: not available: {m.unavailable}"
    parts = [f"{name} {'n/a' if value is None else value}"
             for name, value in (("likes", m.likes), ("reposts", m.reposts),
                                 ("replies", m.replies), ("quotes", m.quotes),
                                 ("impressions", m.impressions))]
    return f"  post {m.post_id}: " + ", ".join(parts)


def metrics_refresh(app, args) -> int:  # type: ignore[no-untyped-def]
    snapshots = app.fetch_metrics(args.post or None)
    if args.json:
        _emit(args, [m.to_json() for m in snapshots])
        return 0
    for m in snapshots:
        print(_snapshot_line(m))
    print(f"Fetched the counts of {len(snapshots)} post(s).")
    return 0


def metrics_history(app, args) -> int:  # type: ignore[no-untyped-def]
    history = app.metrics_history(args.post)
    if args.json:
        _emit(args, [m.to_json() for m in history])
        return 0
    if not history:
        print(f"Post {args.post}'s counts were never fetched.")
    for m in history:
        print(f"{_local(m.fetched_at)}{_snapshot_line(m)}")
    return 0


def _outcome_line(o: Any) -> str:
    value = "kind's value" if o.value is None else _num(o.value)
    note = f": {o.note}" if o.note else ""
    return f"{o.id:>4}  post {o.post_id:<5} {_local(o.happened_at)}  {o.kind} ({value}){note}"


def outcomes_add(app, args) -> int:  # type: ignore[no-untyped-def]
    at = _when(args.at, "--at") if args.at else None
    outcome = app.add_outcome(args.post, args.kind, note=args.note, value=args.value,
                              happened_at=at)
    _emit(args, outcome.to_json(), _outcome_line(outcome))
    return 0


def outcomes_list(app, args) -> int:  # type: ignore[no-untyped-def]
    found = app.list_outcomes(args.post)
    if args.json:
        _emit(args, [o.to_json() for o in found])
        return 0
    if not found:
        print("No outcomes logged yet. Log one with: curator outcomes add POST_ID KIND")
    for o in found:
        print(_outcome_line(o))
    return 0


def outcomes_remove(app, args) -> int:  # type: ignore[no-untyped-def]
    removed = app.remove_outcome(args.id)
    _emit(args, removed.to_json(), f"Removed outcome {removed.id} ({removed.kind}).")
    return 0


def values_list(app, args) -> int:  # type: ignore[no-untyped-def]
    values = app.values()
    _emit(args, values, "\n".join(f"{k:<16}{_num(v)}" for k, v in values.items()))
    return 0


def values_set(app, args) -> int:  # type: ignore[no-untyped-def]
    from .errors import CuratorError

    if args.value.strip().lower() == "default":
        value = None
    else:
        try:
            value = float(args.value)
        except ValueError:
            raise CuratorError(f"{args.value!r} is not a number.") from None
    values = app.set_values({args.kind.strip().lower().replace("-", "_"): value})
    _emit(args, values, "\n".join(f"{k:<16}{_num(v)}" for k, v in values.items()))
    return 0


def followers_list(app, args) -> int:  # type: ignore[no-untyped-def]
    rows = [{"account": a.name, "network": a.network.value, "followers": app.followers(a.id)}
            for a in app.list_accounts()]
    if args.json:
        _emit(args, rows)
        return 0
    if not rows:
        print("No accounts yet.")
    for r in rows:
        count = "unknown" if r["followers"] is None else r["followers"]
        print(f"{r['account']:<24} {r['network']:<9} {count}")
    return 0


def followers_set(app, args) -> int:  # type: ignore[no-untyped-def]
    app.set_followers(args.name, args.count)
    account = app.get_account(args.name)
    _emit(args, {"account": account.name, "followers": args.count},
          f"{account.name}: {args.count} followers.")
    return 0


def followers_fetch(app, args) -> int:  # type: ignore[no-untyped-def]
    account = app.get_account(args.name)
    count = app.fetch_followers(account.id)
    text = (f"{account.name}: {count} followers." if count is not None else
            f"{account.network.value} does not tell {account.name}'s followers: enter them "
            f"with curator followers set {account.name} N")
    _emit(args, {"account": account.name, "followers": count}, text)
    return 0


def mix_show(app, args) -> int:  # type: ignore[no-untyped-def]
    mix = app.content_mix()
    _emit(args, mix.to_json(), _mix_text(mix))
    return 0


def mix_target(app, args) -> int:  # type: ignore[no-untyped-def]
    from .errors import CuratorError

    if [s.strip().lower() for s in args.shares] == ["default"]:
        target = app.set_mix_target(None)
    else:
        shares: dict[str, float] = {}
        for spec in args.shares:
            key, sep, text = spec.partition("=")
            try:
                share = float(text.strip().rstrip("%")) / (100 if text.strip().endswith("%")
                                                           else 1)
            except ValueError:
                share = -1.0
            if not sep or share < 0:
                raise CuratorError(f"Cannot read {spec!r}: write KEY=SHARE, e.g. own=0.2 or "
                                   "own=20%.")
            shares[key.strip().lower()] = share
        target = app.set_mix_target(shares)
    _emit(args, target, "Target: " + ", ".join(f"{k} {_pct(v)}" for k, v in target.items()))
    return 0


_HANDLERS.update({
    ("stats", None): stats,
    ("export-csv", None): export_csv,
    ("metrics", "refresh"): metrics_refresh,
    ("metrics", "history"): metrics_history,
    ("outcomes", "add"): outcomes_add,
    ("outcomes", "list"): outcomes_list,
    ("outcomes", "remove"): outcomes_remove,
    ("values", "list"): values_list,
    ("values", "set"): values_set,
    ("followers", "list"): followers_list,
    ("followers", "set"): followers_set,
    ("followers", "fetch"): followers_fetch,
    ("mix", "show"): mix_show,
    ("mix", "target"): mix_target,
})


# ---- watch words ------------------------------------------------------------------------------


def _watch_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    w = sub.add_parser("watch", parents=[common],
                       help="watch lists: words, phrases or /regexes/ to spot in every feed")
    wsub = w.add_subparsers(dest="action", metavar="ACTION", required=True)
    terms_help = ('words or "phrases" (case and accents ignored, whole words), or '
                  "/regular expressions/")
    wa = wsub.add_parser("add", parents=[common],
                         help="create a list and mark the stored items that match it")
    wa.add_argument("name")
    wa.add_argument("terms", nargs="+", metavar="TERM", help=terms_help)
    wsub.add_parser("list", parents=[common], help="the lists, their terms and unread matches")
    we = wsub.add_parser("edit", parents=[common],
                         help="rename a list or change its terms (stored items are rematched)")
    we.add_argument("name", metavar="LIST", help="list name or id")
    we.add_argument("--terms", nargs="+", metavar="TERM", help="replace every term; " + terms_help)
    we.add_argument("--add", nargs="+", metavar="TERM", help="add terms")
    we.add_argument("--drop", nargs="+", metavar="TERM", help="remove terms (as written)")
    we.add_argument("--name", dest="new_name", metavar="NAME", help="rename the list")
    wr = wsub.add_parser("remove", parents=[common], help="delete a list (items stay)")
    wr.add_argument("name", metavar="LIST", help="list name or id")
    wi = wsub.add_parser("items", parents=[common], help="items matching a list, newest first")
    wi.add_argument("name", metavar="LIST", help="list name or id")
    wi.add_argument("--unread", action="store_true")
    wi.add_argument("--limit", type=int, default=50)
    wi.add_argument("--cursor", help="continue after a previous page (printed with --json)")
    wm = wsub.add_parser("rematch", parents=[common],
                         help="match the stored items again (one list, or every list)")
    wm.add_argument("name", nargs="?", metavar="LIST", help="list name or id (default: all)")


def _mentions_text(mentions: dict[str, int]) -> str:
    if not mentions:
        return ""
    return " Mentions: " + ", ".join(f"{name} {n}" for name, n in mentions.items()) + "."


def _watch_line(lst: Any, unread: int) -> str:
    return f"{lst.id:>4}  {unread:>5} unread  {lst.name}: " + ", ".join(lst.terms)


def watch_add(app, args) -> int:  # type: ignore[no-untyped-def]
    lst = app.add_watch_list(args.name, args.terms)
    unread = app.watch_counts().get(lst.id, 0)
    total = app.count_items(_watch_query(lst.id))
    _emit(args, lst.to_json() | {"unread": unread, "items": total},
          f"Watch list {lst.name} [id {lst.id}]: {len(lst.terms)} terms; {total} stored items "
          f"match ({unread} unread).")
    return 0


def _watch_query(list_id: int, unread: bool = False) -> Any:
    from ._storage import ItemQuery

    return ItemQuery(watch_list_id=list_id, unread=unread)


def watch_list(app, args) -> int:  # type: ignore[no-untyped-def]
    lists, counts = app.list_watch_lists(), app.watch_counts()
    if args.json:
        _emit(args, [lst.to_json() | {"unread": counts.get(lst.id, 0)} for lst in lists])
        return 0
    if not lists:
        print('No watch lists yet. Add one with: curator watch add NAME TERM... '
              '(e.g. curator watch add Competidores Telefónica "Banco Santander")')
    for lst in lists:
        print(_watch_line(lst, counts.get(lst.id, 0)))
    return 0


def watch_edit(app, args) -> int:  # type: ignore[no-untyped-def]
    from .errors import CuratorError

    if args.terms is None and args.add is None and args.drop is None and args.new_name is None:
        raise CuratorError("Nothing to change: give --terms, --add, --drop or --name.")
    lst = app.get_watch_list(args.name)
    terms = list(args.terms) if args.terms is not None else list(lst.terms)
    terms += [t for t in args.add or () if t not in terms]
    for t in args.drop or ():
        if t.strip() not in terms:
            raise CuratorError(f"The list {lst.name} has no term {t!r}.")
        terms.remove(t.strip())
    lst = app.update_watch_list(lst.id, name=args.new_name, terms=terms)
    unread = app.watch_counts().get(lst.id, 0)
    _emit(args, lst.to_json() | {"unread": unread},
          f"Updated watch list {lst.name} [id {lst.id}]: " + ", ".join(lst.terms)
          + f" ({unread} unread).")
    return 0


def watch_remove(app, args) -> int:  # type: ignore[no-untyped-def]
    lst = app.remove_watch_list(args.name)
    _emit(args, lst.to_json(), f"Removed watch list {lst.name}; its items stay.")
    return 0


def watch_items(app, args) -> int:  # type: ignore[no-untyped-def]
    from .errors import CuratorError

    if args.limit < 1:
        raise CuratorError("--limit must be at least 1.")
    lst = app.get_watch_list(args.name)
    page = app.list_items(_watch_query(lst.id, args.unread), limit=args.limit,
                          cursor=args.cursor)
    if args.json:
        _emit(args, [it.to_json() | {"watch": [m.to_json() for m in app.watch_matches(it.id)
                                                if m.list_id == lst.id]}
                     for it in page.items])
        if page.next_cursor:
            print(f"next cursor: {page.next_cursor}", file=sys.stderr)
        return 0
    if not page.items:
        print(f"No items match {lst.name}.")
    for it in page.items:
        terms = ", ".join(m.term for m in app.watch_matches(it.id) if m.list_id == lst.id)
        flags = ("*" if it.starred else " ") + ("N" if not it.read else " ")
        print(f"{it.id:>7} {flags} {_local(it.date)}  {(it.feed_title or '')[:24]:<24}  "
              f"{it.title or '(untitled)'}  [{terms}]")
    if page.next_cursor:
        print(f"More: --cursor '{page.next_cursor}'")
    return 0


def watch_rematch(app, args) -> int:  # type: ignore[no-untyped-def]
    n = app.rematch(args.name)
    what = app.get_watch_list(args.name).name if args.name else "the watch lists"
    _emit(args, {"items": n}, f"{n} stored items match {what}.")
    return 0


_HANDLERS.update({
    ("watch", "add"): watch_add,
    ("watch", "list"): watch_list,
    ("watch", "edit"): watch_edit,
    ("watch", "remove"): watch_remove,
    ("watch", "items"): watch_items,
    ("watch", "rematch"): watch_rematch,
})


# ---- approved content packs -------------------------------------------------------------------


def _packs_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    pk = sub.add_parser("packs", parents=[common],
                        help="approved content packs: green-lit items, wording and disclaimer")
    psub = pk.add_subparsers(dest="action", metavar="ACTION", required=True)
    ps = psub.add_parser("subscribe", parents=[common],
                         help="subscribe to a pack at a URL or a local file path")
    ps.add_argument("url", metavar="URL|PATH")
    ps.add_argument("--folder")
    pv = psub.add_parser("validate", parents=[common],
                         help="check a pack file against docs/content-pack.md (stores nothing)")
    pv.add_argument("file", metavar="FILE", help="the pack ('-' for standard input)")
    psub.add_parser("list", parents=[common], help="the subscribed packs")
    pe = psub.add_parser("export", parents=[common],
                         help="write stored items as a pack, for others to subscribe to")
    pe.add_argument("--item", type=int, action="append", metavar="ID", dest="items",
                    help="an item to include (repeat for more)")
    pe.add_argument("--commentary", action="append", metavar="TEXT",
                    help="suggested commentary for every item (repeat for more)")
    pe.add_argument("--segment-commentary", nargs=2, action="append",
                    metavar=("SEGMENT", "TEXT"), help="suggested commentary for one segment")
    pe.add_argument("--expires", metavar="ISO", help="expiry, e.g. 2025-06-30T23:59:00+02:00")
    pe.add_argument("--disclaimer", default="", help="mandatory disclaimer")
    pe.add_argument("--networks", metavar="x,linkedin",
                    help="networks it may be shared on (default: all)")
    pe.add_argument("--hashtags", metavar="a,b", help="hashtags to add")
    pe.add_argument("--utm-campaign", help="UTM campaign of the links")
    pe.add_argument("--template", action="append", metavar="NAME|ID", dest="templates",
                    help="a stored template to include (repeat for more)")
    pe.add_argument("--title", help="the pack's title")
    pe.add_argument("--publisher", help="your team's name")
    pe.add_argument("--from-json", metavar="SPEC.json",
                    help="many items at once (format in docs/content-pack.md)")
    pe.add_argument("--out", required=True, metavar="FILE|FOLDER", help="where to write it")


def _split_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _expiry(value: str | None) -> datetime | None:
    from .errors import CuratorError

    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CuratorError(f"Cannot read the expiry {value!r}: write an ISO 8601 time like "
                           "2025-06-30T23:59:00+02:00.") from None
    if when.tzinfo is None:
        raise CuratorError("The expiry needs a time zone (for example 2025-06-30T23:59+02:00).")
    return when


def _pack_line(info: Any) -> str:
    expired = f", {info.expired} expired" if info.expired else ""
    return (f"{info.feed_id:>4}  {info.title or '-'}  ({info.publisher or 'no publisher'}; "
            f"{info.items} items{expired}, {info.templates} templates)  {info.url}")


def packs_subscribe(app, args) -> int:  # type: ignore[no-untyped-def]
    res = app.subscribe_pack(args.url, folder=args.folder)
    _emit(args, res.feed.to_json() | {"new_items": res.new_items},
          f"Subscribed to the pack {res.feed.title or res.feed.url} [id {res.feed.id}]: "
          f"{res.new_items} approved items.")
    return 0


def packs_validate(app, args) -> int:  # type: ignore[no-untyped-def]
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    info = app.validate_pack(data)
    _emit(args, info.to_json() | {"valid": True},
          f"Valid pack: {info.title} ({info.publisher or 'no publisher'}; {info.items} items, "
          f"{info.templates} templates).")
    return 0


def packs_list(app, args) -> int:  # type: ignore[no-untyped-def]
    found = app.list_packs()
    if args.json:
        _emit(args, [p.to_json() for p in found])
    elif not found:
        print("No packs yet. Subscribe with: curator packs subscribe URL|PATH")
    for info in [] if args.json else found:
        print(_pack_line(info))
    return 0


def packs_export(app, args) -> int:  # type: ignore[no-untyped-def]
    from .errors import CuratorError
    from .types import PackItemSpec

    spec: dict[str, Any] = {}
    if args.from_json:
        try:
            spec = json.loads(Path(args.from_json).read_text("utf-8"))
        except ValueError as e:
            raise CuratorError(f"{args.from_json} is not valid JSON ({e}).") from None
        if not isinstance(spec, dict) or not isinstance(spec.get("items", []), list):
            raise CuratorError(f"{args.from_json} must be an object with a list of items.")
    commentary = [("", t) for t in args.commentary or ()]
    commentary += [(seg, t) for seg, t in args.segment_commentary or ()]
    shared = {"commentary": commentary, "networks": _split_list(args.networks),
              "expires_at": _expiry(args.expires), "disclaimer": args.disclaimer,
              "hashtags": tuple(_split_list(args.hashtags) or ()),
              "utm_campaign": args.utm_campaign}
    items = [PackItemSpec(item_id, **shared) for item_id in args.items or ()]
    for n, raw in enumerate(spec.get("items", []), 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("item_id"), int):
            raise CuratorError(f"{args.from_json}: item {n} needs an integer item_id.")
        items.append(PackItemSpec(
            raw["item_id"],
            commentary=[(c.get("segment", ""), c["text"]) if isinstance(c, dict) else ("", c)
                        for c in raw.get("commentary", [])] or commentary,
            networks=raw.get("networks", shared["networks"]),
            expires_at=_expiry(raw["expires"]) if raw.get("expires") else shared["expires_at"],
            disclaimer=raw.get("disclaimer", args.disclaimer),
            hashtags=tuple(raw.get("hashtags", shared["hashtags"])),
            utm_campaign=raw.get("utm_campaign", args.utm_campaign)))
    title = args.title or spec.get("title")
    if not title:
        raise CuratorError("Give the pack a title with --title.")
    count = app.export_pack(items, args.out, title=title,
                            publisher=args.publisher or spec.get("publisher"),
                            templates=list(args.templates or spec.get("templates", [])))
    _emit(args, {"items": count, "out": args.out},
          f"Wrote a pack of {count} items to {args.out}.")
    return 0


_HANDLERS.update({
    ("packs", "subscribe"): packs_subscribe,
    ("packs", "validate"): packs_validate,
    ("packs", "list"): packs_list,
    ("packs", "export"): packs_export,
})


# ---- backup and restore (curator/backup.py) --------------------------------------------------


def _backup_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("backup", parents=[common],
                       help="write the database to one zip (never secrets: they stay in "
                       "the keyring)")
    b.add_argument("file", metavar="FILE.zip")
    r = sub.add_parser("restore", parents=[common],
                       help="replace the database with a backup's, after checking it (the "
                       "current one is kept as curator.db.before-restore)")
    r.add_argument("file", metavar="FILE.zip")


def backup(app, args) -> int:  # type: ignore[no-untyped-def]
    info = app.backup(args.file)
    _emit(args, info.to_json(), f"Backed up to {args.file} (schema {info.schema_version}).")
    return 0


def restore(args: argparse.Namespace) -> int:
    from .backup import restore_backup
    from .core import DB_NAME, Curator

    folder = paths.data_dir(getattr(args, "data_dir", None))
    folder.mkdir(parents=True, exist_ok=True)
    result = restore_backup(args.file, folder, db_name=DB_NAME)
    Curator(folder).close()  # opening it migrates a backup from an older Curator
    skipped = (f"; settings in the backup left alone: {', '.join(result.settings_skipped)}"
               if result.settings_skipped else "")
    kept = f"; the previous database is kept as {result.previous}" if result.previous else ""
    _emit(args, result.to_json(), f"Restored {args.file}{kept}{skipped}.")
    return 0


_HANDLERS[("backup", None)] = backup

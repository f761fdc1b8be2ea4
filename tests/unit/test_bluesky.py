"""The Bluesky connector against the real reference PDS (@atproto/pds) on loopback.

/work/shared/bluesky-pds/run.sh (or ../shared/bluesky-pds from the repo) starts the PDS and a
did:plc directory on 127.0.0.1, with the account alice.test / alice-pass. The first run
npm-installs the PDS (about 2 minutes); without node/npm, or when that fails, these tests
are skipped with the reason. Secrets live in the real OS keyring (scripts/test.sh).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from curator import Curator
from curator.connectors import Failure, OutgoingPost, PublishError, connector_for
from curator.connectors.bluesky import BlueskyConnector, make
from curator.secrets import SecretStore
from curator.types import Account

ROOT = Path(__file__).resolve().parents[2]
PDS_DIRS = [ROOT.parent / "shared" / "bluesky-pds", Path("/work/shared/bluesky-pds")]
START_TIMEOUT = 240.0  # the first run compiles better-sqlite3
STATE: dict[str, Path] = {}  # PDS URL -> its state dir (pds.env holds PDS_JWT_SECRET)

TEXTO = ("¿Sabías que la economía española crece? ¡Sí! 🎉 Lee https://ejemplo.es/año-2024 "
         "#campaña con @alice.test y @nadie.test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_ready(proc: subprocess.Popen[str], found: dict[str, str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ready "):
            found["url"] = line.split()[1]
            return


@pytest.fixture(scope="session")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The PDS's URL; stopped (its whole process group) at the end of the session."""
    run_sh = next((d / "run.sh" for d in PDS_DIRS if (d / "run.sh").is_file()), None)
    if run_sh is None:
        pytest.skip("the reference PDS (../shared/bluesky-pds/run.sh) is not here")
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed to run the reference Bluesky PDS")
    state = tmp_path_factory.mktemp("pds")
    env = dict(os.environ, PDS_PORT=str(_free_port()), PLC_PORT=str(_free_port()))
    started = time.monotonic()
    proc = subprocess.Popen(["bash", str(run_sh), "900", str(state / "state")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    found: dict[str, str] = {}
    reader = threading.Thread(target=_read_ready, args=(proc, found), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    try:
        if "url" not in found:
            err = proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
            pytest.skip(f"the reference PDS did not start in {START_TIMEOUT:.0f} s "
                        f"({err.strip() or 'no message'}; state in {state})")
        print(f"\n[bluesky] PDS ready in {time.monotonic() - started:.1f} s at {found['url']}")
        STATE[found["url"]] = state / "state"
        yield found["url"]
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _xrpc(pds: str, method: str, nsid: str, *, token: str | None = None, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = requests.request(method, f"{pds}/xrpc/{nsid}", headers=headers, timeout=20, **kw)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _login(pds: str, handle: str = "alice.test", password: str = "alice-pass") -> Any:
    return _xrpc(pds, "POST", "com.atproto.server.createSession",
                 json={"identifier": handle, "password": password})


def _get_post(pds: str, uri: str) -> dict[str, Any]:
    did, collection, rkey = uri.removeprefix("at://").split("/")
    body = _xrpc(pds, "GET", "com.atproto.repo.getRecord",
                 params={"repo": did, "collection": collection, "rkey": rkey})
    assert body["uri"] == uri
    return dict(body["value"])


def _png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = _png()


class _Files(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        kind, body = {"/portada.png": ("image/png", PNG),
                      "/pagina.html": ("text/html; charset=utf-8", "<p>¡Hola!</p>".encode()),
                      }.get(self.path, ("text/plain", b""))
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def core(tmp_path: Any) -> Iterator[Curator]:
    c = Curator(tmp_path / "data")
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def store(core: Curator) -> Iterator[SecretStore]:
    if not os.environ.get("CURATOR_TEST_KEYRING"):
        pytest.skip("needs the private, unlocked Secret Service that `bash scripts/test.sh` "
                    "starts (tests never touch your desktop's keyring)")
    secrets = SecretStore(core.data_dir)
    secrets.check()
    yield secrets
    for account in core.list_accounts():
        secrets.delete_all(account.id)


@pytest.fixture
def account(core: Curator, store: SecretStore, pds: str) -> Account:
    acc = core.add_account("bluesky", name="Alicia en Bluesky", handle="alice.test",
                           api_base=pds)
    store.set(acc.id, "app_password", "alice-pass")
    return acc


def connector(account: Account, store: SecretStore, **options: Any) -> BlueskyConnector:
    options.setdefault("timeout", (5.0, 20.0))
    return make(account, store, session=requests.Session(), **options)


def post(text: str, **kw: Any) -> OutgoingPost:
    return OutgoingPost(post_id=1, text=text, idempotency_key="clave-1", **kw)


def _session_json(store: SecretStore, account: Account) -> dict[str, Any]:
    return dict(json.loads(store.get(account.id, "session") or "{}"))


# ---- sessions ---------------------------------------------------------------------------

def test_verify_with_the_account_password(account: Account, store: SecretStore) -> None:
    conn = connector(account, store)
    assert conn.verify() == "alice.test"
    cached = _session_json(store, account)
    assert cached["did"].startswith("did:plc:") and cached["handle"] == "alice.test"
    assert cached["accessJwt"] and cached["refreshJwt"]
    assert "alice-pass" not in repr(conn)


def test_verify_and_publish_with_an_app_password(core: Curator, store: SecretStore,
                                                 pds: str) -> None:
    token = _login(pds)["accessJwt"]
    created = _xrpc(pds, "POST", "com.atproto.server.createAppPassword", token=token,
                    json={"name": f"curator-{time.time_ns()}"})
    acc = core.add_account("bluesky", name="Alicia (app)", handle="alice.test", api_base=pds)
    store.set(acc.id, "app_password", created["password"])
    conn = connector_for(acc, store, session=requests.Session())
    assert conn.verify() == "alice.test"
    published = conn.publish(post("Publicado con una contraseña de aplicación ✅"))
    assert published.remote_id.startswith("at://did:plc:")


def test_wrong_password_needs_reconnecting(account: Account, store: SecretStore) -> None:
    store.set(account.id, "app_password", "contraseña-mala")
    with pytest.raises(PublishError) as e:
        connector(account, store).verify()
    assert e.value.failure is Failure.AUTH and e.value.status == 401
    assert "contraseña-mala" not in str(e.value)
    with pytest.raises(PublishError) as e:
        connector(account, store).publish(post("No debería salir"))
    assert e.value.failure is Failure.AUTH


def test_no_app_password_is_auth(account: Account, store: SecretStore) -> None:
    store.delete(account.id, "app_password")
    with pytest.raises(PublishError) as e:
        connector(account, store).verify()
    assert e.value.failure is Failure.AUTH


def test_corrupt_access_token_is_refreshed(account: Account, store: SecretStore,
                                           pds: str) -> None:
    conn = connector(account, store)
    conn.verify()
    cached = _session_json(store, account)
    old_refresh = cached["refreshJwt"]
    cached["accessJwt"] = cached["accessJwt"][:-6] + "AAAAAA"  # a bad signature
    cached["client_id"] = "otra-clave"  # someone else's key in the same JSON stays
    store.set(account.id, "session", json.dumps(cached))
    store.delete(account.id, "app_password")  # proves refreshSession did it, not a new login
    published = conn.publish(post("Tras refrescar la sesión 🔄"))
    assert _get_post(pds, published.remote_id)["text"] == "Tras refrescar la sesión 🔄"
    after = _session_json(store, account)
    assert after["refreshJwt"] != old_refresh and after["accessJwt"] != cached["accessJwt"]
    assert after["client_id"] == "otra-clave"


def _expired_copy(pds: str, token: str) -> str:
    """The access JWT with ``exp`` in the past, signed (HS256) with the PDS's own
    PDS_JWT_SECRET: a token the server itself answers with ``ExpiredToken``."""
    env = (STATE[pds] / "pds.env").read_text()
    secret = next(line.split("=", 1)[1] for line in env.splitlines()
                  if line.startswith("PDS_JWT_SECRET="))
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) - 600

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signed = f"{header}.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret.strip().encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{b64(mac)}"


def _store_expired(pds: str, store: SecretStore, account: Account) -> dict[str, Any]:
    cached = _session_json(store, account)
    cached["accessJwt"] = _expired_copy(pds, cached["accessJwt"])
    resp = requests.get(f"{pds}/xrpc/com.atproto.server.getSession", timeout=20,
                        headers={"Authorization": f"Bearer {cached['accessJwt']}"})
    assert resp.status_code == 400 and resp.json() == {"error": "ExpiredToken",
                                                       "message": "Token has expired"}
    store.set(account.id, "session", json.dumps(cached))
    store.delete(account.id, "app_password")  # only refreshSession can make it work
    return cached


def test_expired_token_is_refreshed_before_sending(account: Account, store: SecretStore,
                                                   pds: str, files: str) -> None:
    conn = connector(account, store)
    conn.verify()
    expired = _store_expired(pds, store, account)
    published = conn.publish(post("Con tarjeta tras caducar 🖼️", link="https://ejemplo.es/",
                                  title="Título", thumbnail_url=f"{files}/portada.png"))
    # Refreshed before uploadBlob (which answers a bad token with HTTP 500): the card keeps
    # its picture.
    assert "thumb" in _get_post(pds, published.remote_id)["embed"]["external"]
    assert _session_json(store, account)["accessJwt"] != expired["accessJwt"]


def test_expired_token_answer_triggers_refresh(account: Account, store: SecretStore,
                                               pds: str) -> None:
    conn = connector(account, store)
    conn.verify()
    expired = _store_expired(pds, store, account)
    # A clock two hours slow thinks the token is still good: the PDS's ExpiredToken answer
    # is what makes the connector refresh.
    slow = connector(account, store, now=lambda: datetime.now(UTC) - timedelta(hours=2))
    assert slow.publish(post("Reloj atrasado ⏰")).remote_id.startswith("at://")
    assert _session_json(store, account)["accessJwt"] != expired["accessJwt"]


def test_refused_refresh_falls_back_to_create_session(account: Account,
                                                      store: SecretStore) -> None:
    conn = connector(account, store)
    conn.verify()
    cached = _session_json(store, account)
    cached["accessJwt"] = "no-es-un-jwt"
    cached["refreshJwt"] = "tampoco"
    store.set(account.id, "session", json.dumps(cached))
    assert conn.publish(post("Sesión nueva con la contraseña")).remote_id.startswith("at://")
    assert _session_json(store, account)["accessJwt"] != "no-es-un-jwt"


def test_real_429_from_create_session_gives_retry_after(core: Curator, store: SecretStore,
                                                        pds: str) -> None:
    requests.post(f"{pds}/xrpc/com.atproto.server.createAccount", timeout=20,
                  json={"email": "bruno@example.com", "handle": "bruno.test",
                        "password": "bruno-pass"})
    acc = core.add_account("bluesky", name="Bruno", handle="bruno.test", api_base=pds)
    store.set(acc.id, "app_password", "mal")
    conn = connector(acc, store)
    for _ in range(40):  # the PDS allows 30 createSession calls per 5 minutes per handle
        try:
            conn.verify()
        except PublishError as e:
            if e.failure is Failure.RETRYABLE:
                assert e.status == 429
                assert e.retry_after is not None and 0 < e.retry_after <= 301
                return
            assert e.failure is Failure.AUTH
    pytest.fail("the PDS never answered 429")


# ---- posts --------------------------------------------------------------------------------

def test_spanish_post_with_facets_and_langs(account: Account, store: SecretStore,
                                            pds: str) -> None:
    published = connector(account, store).publish(post(TEXTO, language="es"))
    rkey = published.remote_id.rsplit("/", 1)[1]
    assert published.url == f"https://bsky.app/profile/alice.test/post/{rkey}"
    record = _get_post(pds, published.remote_id)
    assert record["text"] == TEXTO and record["langs"] == ["es"]
    assert record["createdAt"].endswith("Z")
    raw = TEXTO.encode("utf-8")
    seen = {}
    for facet in record["facets"]:
        feature = facet["features"][0]
        seen[raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode()] = feature
    assert seen["https://ejemplo.es/año-2024"] == {"$type": "app.bsky.richtext.facet#link",
                                                   "uri": "https://ejemplo.es/año-2024"}
    assert seen["#campaña"] == {"$type": "app.bsky.richtext.facet#tag", "tag": "campaña"}
    alice_did = _login(pds)["did"]
    assert seen["@alice.test"] == {"$type": "app.bsky.richtext.facet#mention",
                                   "did": alice_did}
    assert "@nadie.test" not in seen  # unresolvable: plain text, not an error
    assert "embed" not in record


def test_link_card_with_thumbnail(account: Account, store: SecretStore, pds: str,
                                  files: str) -> None:
    published = connector(account, store).publish(post(
        "Nueva entrada: https://ejemplo.es/artículo", link="https://ejemplo.es/artículo",
        title="La economía española, ¿en alza?", description="¡Datos de junio! ñandú 🐦",
        thumbnail_url=f"{files}/portada.png", language="es"))
    external = _get_post(pds, published.remote_id)["embed"]
    assert external["$type"] == "app.bsky.embed.external"
    card = external["external"]
    assert card["uri"] == "https://ejemplo.es/artículo"
    assert card["title"] == "La economía española, ¿en alza?"
    assert card["description"] == "¡Datos de junio! ñandú 🐦"
    assert card["thumb"]["$type"] == "blob" and card["thumb"]["mimeType"] == "image/png"
    assert card["thumb"]["size"] == len(PNG)


@pytest.mark.parametrize("thumb", ["/pagina.html", "/no-existe.png", "big", "no-server"])
def test_thumbnail_failures_leave_the_card_without_picture(
        account: Account, store: SecretStore, pds: str, files: str, thumb: str) -> None:
    options: dict[str, Any] = {}
    url = f"{files}{thumb}"
    if thumb == "big":
        url, options = f"{files}/portada.png", {"thumb_max_bytes": len(PNG) - 1}
    elif thumb == "no-server":
        url = f"http://127.0.0.1:{_free_port()}/portada.png"
    published = connector(account, store, **options).publish(post(
        "Tarjeta sin imagen", link="https://ejemplo.es/", title="Sin imagen",
        thumbnail_url=url))
    card = _get_post(pds, published.remote_id)["embed"]["external"]
    assert card["title"] == "Sin imagen" and "thumb" not in card


def test_thread_parts_are_replies(account: Account, store: SecretStore, pds: str) -> None:
    published = connector(account, store).publish(post(
        "Hilo 🧵 1/3: ¿qué pasó?", thread=["2/3: ¡mucho! #campaña", "3/3: fin."],
        language="es"))
    did = published.remote_id.removeprefix("at://").split("/")[0]
    records = _xrpc(pds, "GET", "com.atproto.repo.listRecords",
                    params={"repo": did, "collection": "app.bsky.feed.post", "limit": "3"})
    newest_first = records["records"]
    last, middle, first = newest_first
    assert first["uri"] == published.remote_id
    assert middle["value"]["reply"] == {"root": {"uri": first["uri"], "cid": first["cid"]},
                                        "parent": {"uri": first["uri"], "cid": first["cid"]}}
    assert last["value"]["reply"] == {"root": {"uri": first["uri"], "cid": first["cid"]},
                                      "parent": {"uri": middle["uri"], "cid": middle["cid"]}}
    assert middle["value"]["langs"] == ["es"]
    assert middle["value"]["facets"][0]["features"][0]["tag"] == "campaña"


def test_thread_failing_half_way_is_not_retried(account: Account, store: SecretStore,
                                                pds: str) -> None:
    with pytest.raises(PublishError) as e:
        connector(account, store).publish(post("Primera parte ✅",
                                               thread=["Segunda parte", "ñ" * 301]))
    assert e.value.failure is Failure.PERMANENT  # a retry would post the first part again
    assert "first 2 of 3 parts" in str(e.value) and "grapheme" in str(e.value)
    url = str(e.value).split("(", 1)[1].split(")", 1)[0]
    assert url.startswith("https://bsky.app/profile/alice.test/post/")


def test_too_long_is_permanent_with_the_servers_message(account: Account,
                                                        store: SecretStore) -> None:
    with pytest.raises(PublishError) as e:
        connector(account, store).publish(post("ñ" * 301))
    assert e.value.failure is Failure.PERMANENT and e.value.status == 400
    # The PDS's own words, e.g. "Invalid app.bsky.feed.post record: grapheme too big
    # (maximum 300, got 301) at $.record.text".
    assert "grapheme" in str(e.value) and "$.record.text" in str(e.value)


def test_find_published_after_a_publish(account: Account, store: SecretStore) -> None:
    conn = connector(account, store)
    outgoing = post(f"Recuperación tras un cierre ¿ok? {time.time_ns()}")
    assert conn.find_published(outgoing) is None
    published = conn.publish(outgoing)
    assert connector(account, store).find_published(outgoing) == published
    assert conn.find_published(post("Otro texto que nunca salió")) is None


def test_unreachable_server_is_retryable(core: Curator, store: SecretStore) -> None:
    acc = core.add_account("bluesky", name="Nadie", handle="alice.test",
                           api_base=f"http://127.0.0.1:{_free_port()}")
    store.set(acc.id, "app_password", "alice-pass")
    with pytest.raises(PublishError) as e:
        connector(acc, store).publish(post("Hola"))
    assert e.value.failure is Failure.RETRYABLE

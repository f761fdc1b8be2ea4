"""curator.secrets against a REAL Secret Service (gnome-keyring in scripts/test.sh's private
D-Bus session): no monkeypatched keyring. The no-keyring cases select keyring's own "fail"
backend, which is what keyring picks on a machine with no keyring at all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.compat.properties
import pytest

from curator import Curator
from curator.errors import AccountNotFoundError, CuratorError, KeyringUnavailableError
from curator.secrets import KINDS, SecretStore, service_name

SECRETO = "tok-ÑandúSecreto-123"

real_keyring = pytest.mark.skipif(
    not os.environ.get("CURATOR_TEST_KEYRING"),
    reason="needs the private, unlocked Secret Service that `bash scripts/test.sh` starts "
    "(tests never touch your desktop's keyring)")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SecretStore]:
    assert "SecretService" in type(keyring.get_keyring()).__module__, keyring.get_keyring()
    s = SecretStore(tmp_path / "datos")
    yield s
    for account_id in (1, 2, 3):
        s.delete_all(account_id)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """keyring with no usable backend, as on a machine with none installed."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


class FileKeyring(keyring.backend.KeyringBackend):
    """Looks like keyrings.alt's plaintext file store; must never be used. keyring finds
    every backend class: this one is viable (so chained) only while `offered` is True."""

    offered = False
    stored: dict[tuple[str, str], str] = {}

    @keyring.compat.properties.classproperty
    def priority(cls) -> float:
        return 1 if cls.offered else 0

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.stored.pop((service, username), None)


FileKeyring.__module__ = "keyrings.alt.file"


def assert_install_hint(error: BaseException) -> None:
    message = str(error)
    assert "gnome-keyring" in message and "apt install" in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert "\n" not in message


# ---- the real Secret Service ----------------------------------------------------------------


@real_keyring
def test_set_get_delete_round_trip(store: SecretStore) -> None:
    assert store.get(1, "access_token") is None
    store.set(1, "access_token", SECRETO)
    assert store.get(1, "access_token") == SECRETO
    store.set(1, "access_token", SECRETO + "-nuevo")  # replaces
    assert store.get(1, "access_token") == SECRETO + "-nuevo"
    assert store.kinds(1) == ["access_token"]
    assert store.delete(1, "access_token") is True
    assert store.delete(1, "access_token") is False
    assert store.get(1, "access_token") is None
    assert not store.has_any(1)


@real_keyring
def test_it_is_really_in_the_os_keyring(store: SecretStore, tmp_path: Path) -> None:
    store.set(2, "app_password", SECRETO)
    service = service_name(tmp_path / "datos")
    assert store.service == service and service.startswith("curator:")
    assert keyring.get_password(service, "2/app_password") == SECRETO
    # A fresh store (another process, the next run) finds it too.
    assert SecretStore(tmp_path / "datos").get(2, "app_password") == SECRETO
    assert SecretStore(tmp_path / "sub" / ".." / "datos").get(2, "app_password") == SECRETO


@real_keyring
def test_delete_all_forgets_every_kind_of_one_account_only(store: SecretStore) -> None:
    for kind in KINDS:
        store.set(1, kind, f"{SECRETO}-{kind}")
    store.set(2, "access_token", "token-de-otra-cuenta")
    assert store.kinds(1) == list(KINDS)
    assert store.delete_all(1) == len(KINDS)
    assert store.kinds(1) == [] and not store.has_any(1)
    assert store.get(2, "access_token") == "token-de-otra-cuenta"
    assert store.delete_all(1) == 0


@real_keyring
def test_two_data_dirs_do_not_share_secrets(tmp_path: Path) -> None:
    a, b = SecretStore(tmp_path / "perfil-a"), SecretStore(tmp_path / "perfil-b")
    assert a.service != b.service
    try:
        a.set(1, "access_token", "token-de-a")
        assert b.get(1, "access_token") is None
        b.set(1, "access_token", "token-de-b")
        assert a.get(1, "access_token") == "token-de-a"
        b.delete_all(1)
        assert a.get(1, "access_token") == "token-de-a"
    finally:
        a.delete_all(1)
        b.delete_all(1)


@real_keyring
def test_the_secret_is_never_in_a_repr_or_an_error(store: SecretStore) -> None:
    store.set(1, "access_token", SECRETO)
    assert SECRETO not in repr(store)
    with pytest.raises(ValueError, match="kind"):
        store.set(1, "contraseña", SECRETO)
    with pytest.raises(ValueError):
        store.get("1", "access_token")  # type: ignore[arg-type]
    with pytest.raises(CuratorError, match="empty"):
        store.set(1, "access_token", "")
    assert store.get(1, "access_token") == SECRETO


@real_keyring
def test_curator_adds_and_removes_an_account_with_its_secrets(tmp_path: Path) -> None:
    with Curator(tmp_path / "datos") as cur:
        inés = cur.add_account("mastodon", name="Inés", api_base="mastodon.example",
                               secret=SECRETO)
        assert cur.secrets.get(inés.id, "access_token") == SECRETO
        cur.secrets.set(inés.id, "refresh_token", "refresco")
        cielo = cur.add_account("bluesky", name="Cielo", secret="abcd-efgh-ijkl-mnop")
        assert cur.secrets.kinds(cielo.id) == ["app_password"]
        webhook = cur.add_account("webhook", name="Intranet", secret="firma")
        assert cur.secrets.kinds(webhook.id) == ["webhook_secret"]

        cur.set_account_secret("Inés", "token-nuevo")  # the old refresh token goes too
        assert cur.secrets.kinds(inés.id) == ["access_token"]
        assert cur.secrets.get(inés.id, "access_token") == "token-nuevo"

        cur.remove_account("Inés")
        assert not cur.secrets.has_any(inés.id)
        assert cur.secrets.get(cielo.id, "app_password") == "abcd-efgh-ijkl-mnop"
        for name in ("Cielo", "Intranet"):
            cur.remove_account(name)
        assert not cur.secrets.has_any(cielo.id) and not cur.secrets.has_any(webhook.id)
        with pytest.raises(AccountNotFoundError):
            cur.remove_account("Inés")


@real_keyring
def test_a_reused_account_id_starts_without_the_old_secrets(tmp_path: Path) -> None:
    with Curator(tmp_path / "datos") as cur:
        old = cur.add_account("x", name="Equis", secret=SECRETO)
        cur.secrets.set(old.id, "refresh_token", "refresco-viejo")
        cur.remove_account("Equis", keep_secrets=True)  # the user chose to leave them
        new = cur.add_account("linkedin", name="Empresa", secret="token-linkedin")
        assert new.id == old.id  # SQLite reuses the last id
        assert cur.secrets.kinds(new.id) == ["access_token"]
        assert cur.secrets.get(new.id, "access_token") == "token-linkedin"
        cur.remove_account("Empresa")


@real_keyring
def test_without_a_keyring_removal_is_refused_so_no_secret_is_orphaned(
        tmp_path: Path) -> None:
    with Curator(tmp_path / "datos") as cur:
        inés = cur.add_account("mastodon", name="Inés", api_base="mastodon.example",
                               secret=SECRETO)
        previous = keyring.get_keyring()
        keyring.set_keyring(keyring.backends.fail.Keyring())
        try:
            with Curator(tmp_path / "datos") as other:  # a fresh store sees no keyring
                with pytest.raises(KeyringUnavailableError) as caught:
                    other.remove_account("Inés")
                assert_install_hint(caught.value)
                assert [a.name for a in other.list_accounts()] == ["Inés"]
        finally:
            keyring.set_keyring(previous)
        assert cur.secrets.get(inés.id, "access_token") == SECRETO
        cur.remove_account("Inés")
        assert cur.list_accounts() == [] and not cur.secrets.has_any(inés.id)


# ---- no keyring at all ----------------------------------------------------------------------


@pytest.mark.usefixtures("no_keyring")
def test_no_backend_gives_one_sentence_saying_what_to_install(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "datos")
    for call in (lambda: store.get(1, "access_token"), store.check,
                 lambda: store.set(1, "access_token", SECRETO), lambda: store.delete_all(1)):
        with pytest.raises(KeyringUnavailableError) as caught:
            call()
        assert_install_hint(caught.value)
        assert SECRETO not in str(caught.value)
        assert caught.value.__cause__ is None


@pytest.mark.usefixtures("no_keyring")
def test_no_backend_adds_nothing_and_removal_needs_consent(tmp_path: Path) -> None:
    with Curator(tmp_path / "datos") as cur:
        with pytest.raises(KeyringUnavailableError):
            cur.add_account("mastodon", name="Inés", api_base="mastodon.example",
                            secret=SECRETO)
        assert cur.list_accounts() == []
        # A profile without a secret needs no keyring...
        cur.add_account("bluesky", name="Cielo")
        # ...but removing it must not guess that it never had one.
        with pytest.raises(KeyringUnavailableError):
            cur.remove_account("Cielo")
        assert cur.remove_account("Cielo", keep_secrets=True).name == "Cielo"
        assert cur.list_accounts() == []
    for f in (tmp_path / "datos").rglob("*"):
        if f.is_file():
            assert SECRETO.encode() not in f.read_bytes(), f


def test_a_file_keyring_is_never_used_instead(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    try:
        store = SecretStore(tmp_path / "datos")
        with pytest.raises(KeyringUnavailableError) as caught:
            store.set(1, "access_token", SECRETO)
        assert_install_hint(caught.value)
        assert FileKeyring.stored == {}
    finally:
        keyring.set_keyring(previous)


@real_keyring
def test_a_chained_file_keyring_is_skipped_for_the_os_one(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    FileKeyring.offered = True
    try:
        chain = keyring.backends.chainer.ChainerBackend()
        assert [type(b) for b in chain.backends][-1] is FileKeyring
        keyring.set_keyring(chain)
        store = SecretStore(tmp_path / "datos")
        store.set(1, "access_token", SECRETO)
        assert store.get(1, "access_token") == SECRETO
        assert FileKeyring.stored == {}
        assert previous.get_password(store.service, "1/access_token") == SECRETO
        store.delete_all(1)
    finally:
        FileKeyring.offered = False
        keyring.set_keyring(previous)


def test_keyring_is_not_imported_until_a_secret_is_needed(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; from curator import Curator; from curator.secrets import SecretStore;"
            f"c = Curator({str(tmp_path / 'datos')!r}); c.secrets; c.add_account('x', name='X');"
            "c.list_accounts(); print('keyring' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr

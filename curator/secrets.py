"""Account secrets (tokens, app passwords, signing secrets) in the OS keyring, and only there.

Each data directory has its own keyring service name, `curator:<16 hex digits of the SHA-256
of its resolved path>`, so two data dirs (a test's and the user's, or two profiles) never see
each other's secrets. An entry's user name is `<account id>/<kind>`. A data dir that is moved
keeps its database but not its secrets: the accounts need their secrets again.

There is deliberately no fallback: when no OS keyring can be reached (none installed, no
D-Bus session, the collection stays locked, or only keyrings.alt's plaintext/encrypted file
stores are there) every call raises KeyringUnavailableError with one sentence saying what to
install, and nothing is written anywhere.

`keyring` is imported on first use: its import and first backend lookup cost about 0.3 s,
which commands that never touch a secret should not pay.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from . import logs
from .errors import CuratorError, KeyringUnavailableError
from .types import Network

# Every kind of secret a connector may keep. delete_all() removes exactly these, so a
# connector that needs a new kind adds it here (never stores one this list does not know).
KINDS: tuple[str, ...] = (
    "access_token",  # Mastodon, LinkedIn and X (OAuth 2.0 user token)
    "refresh_token",  # OAuth 2.0 refresh token (LinkedIn, X); Bluesky's refreshJwt
    "app_password",  # Bluesky app password (createSession)
    "client_secret",  # an OAuth app's secret, per account (Mastodon app registration)
    "webhook_secret",  # the key that signs webhook deliveries (HMAC)
    "api_key",  # X OAuth 1.0a consumer key
    "api_secret",  # X OAuth 1.0a consumer secret
    "access_token_secret",  # X OAuth 1.0a user token secret
    "session",  # cached session: Bluesky accessJwt; OAuth {"expires_at", "client_id"} JSON
)

# What `curator accounts add NETWORK --secret-stdin` stores: the one secret a user pastes.
PRIMARY_KIND: dict[Network, str] = {
    Network.MASTODON: "access_token",
    Network.BLUESKY: "app_password",
    Network.LINKEDIN: "access_token",
    Network.X: "access_token",
    Network.WEBHOOK: "webhook_secret",
}

NO_KEYRING = ("No system keyring is available: install and unlock gnome-keyring (Debian: "
              "apt install gnome-keyring) or KWallet, then try again.")
LOCKED = ("The system keyring is locked: unlock it (log in to the desktop session, or start "
          "gnome-keyring-daemon --unlock), then try again.")


def primary_kind(network: Network | str) -> str:
    """The kind of secret a user gives for an account on this network."""
    return PRIMARY_KIND[Network.parse(network) if isinstance(network, str) else network]


def service_name(data_dir: Path | str) -> str:
    """The keyring service that holds this data dir's secrets."""
    resolved = Path(data_dir).expanduser().resolve()
    return "curator:" + hashlib.sha256(os.fsencode(resolved)).hexdigest()[:16]


class SecretStore:
    """The secrets of one data dir's accounts. Thread-safe; never logs or repr()s a secret.

    Every method raises KeyringUnavailableError when the OS keyring cannot be reached.
    """

    def __init__(self, data_dir: Path | str):
        self.service = service_name(data_dir)
        self._backend: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretStore(service={self.service!r})"

    # ---- public ----------------------------------------------------------------------------

    def check(self) -> None:
        """Make sure the keyring can be used now (found, reachable, unlocked).

        A real round trip: call it before writing anything that a secret must accompany.
        """
        self._call("get_password", self.service, "probe")

    def get(self, account_id: int, kind: str) -> str | None:
        """The secret, or None when the account has none of that kind."""
        value = self._call("get_password", self.service, _user(account_id, kind))
        if not isinstance(value, str):
            return None
        logs.remember_secret(value)  # from now on never in a log line
        return value

    def set(self, account_id: int, kind: str, value: str) -> None:
        """Store (or replace) a secret."""
        if not isinstance(value, str) or not value:
            raise CuratorError("A secret cannot be empty.")
        logs.remember_secret(value)
        self._call("set_password", self.service, _user(account_id, kind), value)

    def delete(self, account_id: int, kind: str) -> bool:
        """Forget one secret. Returns whether there was one."""
        import keyring.errors

        user = _user(account_id, kind)
        # Look first: keyring says "not found" and "could not delete" with the same exception.
        if self._call("get_password", self.service, user) is None:
            return False
        try:
            self._call("delete_password", self.service, user)
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    def delete_all(self, account_id: int) -> int:
        """Forget every secret of an account (all KINDS). Returns how many there were."""
        return sum(self.delete(account_id, kind) for kind in KINDS)

    def kinds(self, account_id: int) -> list[str]:
        """The kinds of secret the account has (never their values)."""
        return [kind for kind in KINDS if self.get(account_id, kind) is not None]

    def has_any(self, account_id: int) -> bool:
        return any(self.get(account_id, kind) is not None for kind in KINDS)

    # ---- the backend ------------------------------------------------------------------------

    def _keyring(self) -> Any:
        with self._lock:
            if self._backend is None:
                self._backend = _usable_backend()
            return self._backend

    def _call(self, method: str, *args: str) -> Any:
        backend = self._keyring()
        try:
            return getattr(backend, method)(*args)
        except Exception as e:  # noqa: BLE001 - mapped below; anything else re-raised
            raise _unavailable(e) from None


def _user(account_id: int, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown kind of secret {kind!r}; add it to curator.secrets.KINDS")
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise ValueError("account_id must be an account's integer id")
    return f"{account_id}/{kind}"


def _usable_backend() -> Any:
    """The OS keyring keyring chose. From a chain of backends (keyring chains every viable
    one) only the first OS keyring is used: a chained file store would be a fallback."""
    try:
        import keyring
        import keyring.backends.chainer

        backend = keyring.get_keyring()
        chained = (list(backend.backends)
                   if isinstance(backend, keyring.backends.chainer.ChainerBackend)
                   else [backend])
    except Exception as e:  # noqa: BLE001 - e.g. RuntimeError: SecretService forced, no D-Bus
        raise _unavailable(e) from None
    usable = [b for b in chained if _is_os_keyring(b)]
    if not usable:
        raise KeyringUnavailableError(NO_KEYRING)
    return usable[0]


def _is_os_keyring(backend: Any) -> bool:
    import keyring.backends.fail
    import keyring.backends.null

    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        return False
    # keyrings.alt keeps secrets in files: that is "somewhere else" than the OS keyring.
    return not type(backend).__module__.startswith("keyrings.alt")


def _unavailable(error: BaseException) -> BaseException:
    """Our one-sentence error for a keyring failure (its text never holds a secret)."""
    import keyring.errors

    if isinstance(error, keyring.errors.PasswordDeleteError):
        return error  # "no such password": the caller decides
    if isinstance(error, keyring.errors.KeyringLocked) or _named(error, "LockedException",
                                                                 "PromptDismissedException"):
        return KeyringUnavailableError(LOCKED)
    if isinstance(error, keyring.errors.KeyringError | RuntimeError | OSError) or _named(
            error, "SecretStorageException", "DBusErrorResponse",
            "SecretServiceNotAvailableException", "ItemNotFoundException"):
        return KeyringUnavailableError(NO_KEYRING)
    return error


def _named(error: BaseException, *names: str) -> bool:
    # secretstorage and jeepney are keyring's optional dependencies: match them by class name.
    return any(cls.__name__ in names for cls in type(error).__mro__)

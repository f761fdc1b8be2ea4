"""curator.logs: the rotating log file in the data folder, and no secret ever in it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest

from curator import cli, logs
from curator.secrets import SecretStore

# A token that matches none of the credential patterns: only the keyring registry catches it.
TOKEN = "ÑanduSecreto9f3Kq2Lz"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """In this process only; priority 0 so keyring's own discovery never picks it."""

    priority = 0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        yield memory
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    # setup_logging() configures the root logger: give it back as it was.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logs._handler = logs._console = None


def log_text(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_a_secret_read_from_the_keyring_never_reaches_the_log(tmp_path, memory_keyring):
    data = tmp_path / "datos"
    store = SecretStore(data)
    memory_keyring.entries[(store.service, "7/access_token")] = TOKEN  # put there by another run
    path = logs.setup_logging(data)
    assert path == (data / "logs" / "curator.log").absolute()

    assert store.get(7, "access_token") == TOKEN  # the read registers it
    log = logging.getLogger("curator.connectors.mastodon")
    log.info("Publicando con el token %s en la cuenta «Lucía»", TOKEN)
    log.warning(f"respuesta rara: {{'token': '{TOKEN}'}}")
    try:
        raise RuntimeError(f"fallo al publicar con {TOKEN}")
    except RuntimeError:
        log.exception("error inesperado")
    text = log_text(path)

    assert TOKEN not in text
    assert "Publicando con el token [redacted] en la cuenta «Lucía»" in text
    assert "RuntimeError: fallo al publicar con [redacted]" in text  # the traceback too
    assert "Traceback" in text


def test_a_secret_stored_through_the_store_is_redacted_too(tmp_path, memory_keyring):
    store = SecretStore(tmp_path)
    store.set(3, "webhook_secret", "firma-Señal-00042")
    path = logs.setup_logging(tmp_path)
    logging.getLogger("curator").error("firmando con firma-Señal-00042")
    assert "firma-Señal-00042" not in log_text(path)


@pytest.mark.parametrize("line, secret", [
    ("GET /api/v1/accounts Authorization: Bearer zZ9-yY8.xX7", "zZ9-yY8.xX7"),
    ("headers={'Authorization': 'Basic dXN1YXJpbzpjbGF2ZQ=='}", "dXN1YXJpbzpjbGF2ZQ=="),
    ("token bearer QWERTYuiop123 caducado", "QWERTYuiop123"),
    ("redirigido a https://ejemplo.es/cb?code=1&access_token=AbC123xyz&estado=ok", "AbC123xyz"),
    ("grant_type=refresh_token&refresh_token=rT-555-Zz&client_secret=cs_777", "rT-555-Zz"),
    ("grant_type=refresh_token&refresh_token=rT-555-Zz&client_secret=cs_777", "cs_777"),
    ('{"identifier": "lucia.bsky.social", "password": "pw-9988"}', "pw-9988"),
    (f"contraseña de aplicación {APP_PASSWORD} rechazada", APP_PASSWORD),
])
def test_credential_patterns_are_redacted(tmp_path, line, secret):
    path = logs.setup_logging(tmp_path)
    logging.getLogger("curator.x").warning(line)
    text = log_text(path)
    assert secret not in text
    assert "[redacted]" in text


def test_ordinary_text_is_left_alone():
    line = "Actualizados 12 feeds; 3 nuevos en «Tecnología» (2024-05-01)"
    assert logs.redact(line) == line


def test_the_file_rotates_at_one_megabyte_keeping_five(tmp_path):
    path = logs.setup_logging(tmp_path)
    assert path is not None
    (handler,) = [h for h in logging.getLogger().handlers
                  if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert (handler.maxBytes, handler.backupCount) == (1_000_000, 5)
    log = logging.getLogger("curator.rotation")
    for _ in range(1_300):
        log.info("x" * 1_000)
    handler.flush()
    assert (path.parent / "curator.log.1").exists()
    assert path.stat().st_size < 1_000_000


def test_setup_twice_adds_one_handler_and_a_new_folder_moves_the_file(tmp_path):
    root = logging.getLogger()
    before = len(root.handlers)
    first = logs.setup_logging(tmp_path / "uno")
    assert logs.setup_logging(tmp_path / "uno") == first
    assert len(root.handlers) == before + 2  # the file and warnings on stderr
    second = logs.setup_logging(tmp_path / "dos")
    assert len(root.handlers) == before + 2
    assert logs.current_log_file() == second != first


def test_an_unwritable_folder_is_no_log_not_an_error(tmp_path):
    blocker = tmp_path / "archivo"
    blocker.write_text("no es una carpeta")
    assert logs.setup_logging(blocker / "datos") is None
    logging.getLogger("curator").warning("sigue funcionando")  # no exception


def test_the_cli_logs_to_the_data_folder(tmp_path, capsys):
    assert cli.main(["feeds", "list", "--data-dir", str(tmp_path)]) == 0
    assert (tmp_path / "logs" / "curator.log").exists()
    assert logs.current_log_file() == (tmp_path / "logs" / "curator.log").absolute()

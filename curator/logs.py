"""The log file (rotating, in the data folder) and the filter that keeps secrets out of it.

The GUI and the CLI call setup_logging() once at start. Every record that reaches our
handlers passes SecretRedactor first: it replaces each secret this process has read from or
written to the keyring (SecretStore registers them with remember_secret()) and anything that
looks like a credential (Bearer tokens, `access_token=...`, `Authorization:` headers, Bluesky
app passwords), in the message, its arguments, the traceback and the stack.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import threading
from pathlib import Path

LOG_FOLDER = "logs"
LOG_FILE = "curator.log"
MAX_BYTES = 1_000_000  # 1 MB per file ...
BACKUP_COUNT = 5  # ... and five old ones: a few weeks of history, never a full disk
REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

# Shorter values would redact ordinary words ("1234" as a secret would eat every "1234").
_MIN_SECRET_LENGTH = 6

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # An Authorization header's whole value, whatever its scheme (Bearer, Basic, OAuth ...).
    (re.compile(r"(?i)(\bauthorization['\"]?\s*[:=]\s*['\"]?)[^\r\n'\"]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + REDACTED),
    # OAuth parameters in URLs, form bodies and JSON-ish text.
    (re.compile(r"(?i)(\b(?:access_token|refresh_token|id_token|client_secret|code_verifier"
                r"|oauth_token_secret|oauth_signature|app_password|password|accessJwt|refreshJwt)"
                r"['\"]?\s*[=:]\s*['\"]?)[^&\s'\",}]+"), r"\1" + REDACTED),
    # Bluesky app passwords: xxxx-xxxx-xxxx-xxxx.
    (re.compile(r"(?i)\b[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}\b"), REDACTED),
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_handler: logging.Handler | None = None
_console: logging.Handler | None = None


def remember_secret(value: object) -> None:
    """Redact this value from every log record from now on (called by the secret store)."""
    if isinstance(value, str) and len(value) >= _MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """text with every known secret and credential-looking value replaced."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretRedactor(logging.Filter):
    """Rewrites a record so that no secret reaches a handler; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: log what we have
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            # The Formatter reuses exc_text: format the traceback once, here, redacted.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def log_file(data_dir: Path | str) -> Path:
    """Where a data folder's current log file is."""
    return Path(data_dir) / LOG_FOLDER / LOG_FILE


def current_log_file() -> Path | None:
    """The file setup_logging() writes to, or None when there is none."""
    handler = _handler
    if isinstance(handler, logging.FileHandler):
        return Path(handler.baseFilename)
    return None


def setup_logging(data_dir: Path | str, *, level: int = logging.INFO,
                  console: bool = True) -> Path | None:
    """Log to `<data_dir>/logs/curator.log` (rotated at 1 MB, five kept), secrets redacted.

    Calling it again with the same folder changes nothing; with another folder the file
    moves there. console=True also shows warnings on stderr (as Python does when nothing is
    configured), redacted too. Returns the log file, or None when the folder cannot be
    written: a missing log never stops the app.
    """
    global _handler, _console
    path = log_file(data_dir).expanduser().absolute()
    root = logging.getLogger()
    if _handler is not None and current_log_file() == path:
        return path
    redactor = SecretRedactor()
    new_handler: logging.Handler | None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        new_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    except OSError:
        new_handler = None
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    _handler = new_handler
    if new_handler is not None:
        new_handler.setFormatter(logging.Formatter(FORMAT))
        new_handler.addFilter(redactor)
        root.addHandler(new_handler)
    if console and _console is None:
        _console = logging.StreamHandler(sys.stderr)
        _console.setLevel(logging.WARNING)
        _console.setFormatter(logging.Formatter("%(message)s"))  # as logging.lastResort
        _console.addFilter(redactor)
        root.addHandler(_console)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return path if new_handler is not None else None

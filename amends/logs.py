"""Logging set up by the CLI only: a human or JSON format, and redaction of credentials.

Libraries just use ``logging.getLogger(__name__)``; this module adds the handler, the format,
and a filter that masks every secret the process has read plus credentials in URLs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["human", "json"]
MASK = "***"

_secrets: set[str] = set()
_lock = threading.Lock()
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]+):[^@/\s]+@", re.I
)
# "password=hunter2" in a URL query or a driver's message; not "AMENDS_PASSWORD=…" in a hint.
_KEY_VALUE = re.compile(
    r"(?<![A-Za-z0-9_])(?P<key>password|passwd|secret|token)(?P<sep>\s*=\s*)(?!\*\*\*)[^\s&;,]+",
    re.IGNORECASE,
)
# Fields of a LogRecord that are not "extra" data passed by the caller.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it would appear in a log line from now on."""
    if value and len(value) >= 3:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret and URL/key=value credential masked."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(rf"\g<scheme>\g<user>:{MASK}@", text)
    return _KEY_VALUE.sub(rf"\g<key>\g<sep>{MASK}", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _json_value(value)
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def _json_value(value: object) -> object:
    """Numbers as numbers (also in a dict of them, such as a stage's seconds per step), the
    rest as text."""
    if isinstance(value, int | float | bool | None):
        return value
    if isinstance(value, dict) and all(isinstance(v, int | float) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    return str(value)


def setup_logging(fmt: LogFormat = "human", level: str | int = "INFO") -> None:
    """Configure the root logger; called once by the CLI, never by library code."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # imapclient logs every command at DEBUG and Alembic narrates its set-up at INFO: noise
    # unless the user asked for debugging.
    logging.getLogger("imapclient").setLevel(max(root.level, logging.INFO))
    logging.getLogger("alembic").setLevel(
        root.level if root.level <= logging.DEBUG else logging.WARNING
    )

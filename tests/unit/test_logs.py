"""Log set-up: credentials never reach a log line, JSON lines carry the extra fields."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from amends.logs import JsonFormatter, RedactingFilter, redact, register_secret


def test_registered_secrets_and_url_credentials_are_masked() -> None:
    register_secret("pa55-w0rd-xyz")
    text = redact(
        "login as bob with pa55-w0rd-xyz failed; db postgresql+psycopg://amends:dbpass@db/x; "
        "password=plain1&token=abc123"
    )
    assert "pa55-w0rd-xyz" not in text
    assert "dbpass" not in text and "postgresql+psycopg://amends:***@db/x" in text
    assert "plain1" not in text and "abc123" not in text
    # Key names that only mention a password source are kept, they help the reader.
    assert redact("set password_env = AMENDS_X") == "set password_env = AMENDS_X"
    hint = "export AMENDS_SMTP_PASSWORD=… where amends runs; smtp: password: not set"
    assert redact(hint) == hint


def test_filter_masks_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("tr4ceback-secret")
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, "auth %s", ("tr4ceback-secret",), None
    )
    try:
        raise RuntimeError("failed with tr4ceback-secret")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert "tr4ceback-secret" not in record.getMessage()
    assert record.exc_text is not None and "tr4ceback-secret" not in record.exc_text


def test_json_lines_hold_message_level_and_extra_fields() -> None:
    record = logging.LogRecord("amends.worker", logging.INFO, __file__, 1, "synced %d", (3,), None)
    record.mailbox = "support"
    record.duration_s = 0.25
    record.step_seconds = {"fetch": 0.5, "parse": 1}
    record.hint = ["not", "a", "number"]
    line = json.loads(JsonFormatter().format(record))
    assert line["step_seconds"] == {"fetch": 0.5, "parse": 1}
    assert line["hint"] == "['not', 'a', 'number']"
    assert line["message"] == "synced 3"
    assert line["level"] == "info"
    assert line["logger"] == "amends.worker"
    assert line["mailbox"] == "support"
    assert line["duration_s"] == 0.25
    assert line["time"].endswith("+00:00")

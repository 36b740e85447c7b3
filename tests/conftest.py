"""Shared test fixtures: real Dovecot, SMTP (aiosmtpd), SQLite and PostgreSQL, and the mail corpora."""

pytest_plugins = [
    "tests.fixtures.imap",
    "tests.fixtures.smtp",
    "tests.fixtures.database",
    "tests.fixtures.postgres_server",
    "tests.fixtures.corpora",
    "tests.fixtures.proxy",
    "tests.fixtures.classifier",
]

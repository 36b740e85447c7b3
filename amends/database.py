"""Open the configured database and keep its schema at the revision this version needs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from amends.config.schema import Config
from amends.config.secrets import read_secret
from amends.logs import register_secret
from models import migrate
from models.engine import make_engine

log = logging.getLogger(__name__)


def database_url(config: Config) -> str:
    """The configured URL with the password (from env or file) filled in, if there is one."""
    url = config.database.url
    password = read_secret(config, ("database",), config.database)
    if not password:
        return url
    register_secret(password)
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def open_engine(config: Config) -> Engine:
    # The worker runs a thread per mailbox: a pooled connection for each (opened lazily).
    return make_engine(database_url(config), threads=len(config.mailboxes))


@contextmanager
def connected(config: Config) -> Iterator[Engine]:
    """The configured engine, disposed (connections closed) when the block ends."""
    engine = open_engine(config)
    try:
        yield engine
    finally:
        engine.dispose()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the newest schema; returns the revisions before and after."""
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine) or ""
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "empty", after)
    return before, after

"""Alembic environment for Amends, run by ``models.migrate`` rather than the alembic CLI.

``models.migrate`` opens the transaction and takes the migration lock, and passes the connection
in ``config.attributes["connection"]``; given only an ``engine`` we take the lock here.
"""

from alembic import context

from models.columns import StrEnumType, UtcDateTime
from models.migrate import migration_connection
from models.tables import metadata

config = context.config
if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; use `amends db upgrade`")


def render_item(type_, obj, autogen_context):
    """Render our column types as their plain SQLAlchemy equivalents.

    Migrations must not import models: a later change to a model would rewrite history.
    """
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.length})"
    return False


def run_migrations(connection):
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=True,
        render_item=render_item,
        compare_type=True,
        # models.engine makes SQLite transactions real, so all of an upgrade commits or none.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if "connection" in config.attributes:
    run_migrations(config.attributes["connection"])
elif "engine" in config.attributes:
    with migration_connection(config.attributes["engine"]) as locked:
        run_migrations(locked)
else:
    raise RuntimeError("run migrations through models.migrate (`amends db upgrade`)")

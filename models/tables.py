"""Every table of Amends, imported in one place so ``SQLModel.metadata`` is complete.

Import table classes from their own modules; import this one where the whole schema is needed
(migrations, schema checks).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, inspect
from sqlmodel import SQLModel

from models import classification, mail, operations, outbox, tickets

metadata = SQLModel.metadata


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model, for statements on hot paths: compiled once, executed with
    plain parameter dicts, without the ORM's unit of work."""
    return cast(Table, inspect(model).local_table)


TABLE_MODULES = (mail, tickets, classification, outbox, operations)

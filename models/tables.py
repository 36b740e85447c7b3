"""Every table of Amends, imported in one place so ``SQLModel.metadata`` is complete.

Import table classes from their own modules; import this one where the whole schema is needed
(migrations, schema checks).
"""

from __future__ import annotations

from sqlmodel import SQLModel

from models import classification, mail, operations, outbox, tickets

metadata = SQLModel.metadata

TABLE_MODULES = (mail, tickets, classification, outbox, operations)

"""Human labels: ``amends label``, the ``Amends/Labels/<label>`` folders, and the training set
they make.

A label is a correction of a ticket's failure type. It is stored as label feedback (the training
data of the next model) and applied to the ticket at once; an ``unsure`` ticket becomes ``new``
again, ready for assignment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from amends.config import Config
from amends.errors import AmendsError
from classifier.dataset import Dataset, Example
from classifier.text import model_text
from models.classification import FeedbackSource, LabelFeedback
from models.mail import Message, MessageDirection, MessageKind
from models.tickets import Customer, EventLog, Ticket, TicketStatus

log = logging.getLogger(__name__)

FEEDBACK_SOURCE = "team labels"
NOT_A_COMPLAINT = "not_a_complaint"


class LabelError(AmendsError, ValueError):
    """A label that cannot be applied (unknown ticket or label)."""


def check_label(config: Config, label: str) -> str:
    if label not in config.classifier.labels:
        raise LabelError(
            f"{label!r} is not a configured failure type; known: "
            + ", ".join(sorted(config.classifier.labels)),
            hint="add it under [classifier.labels] in the configuration first",
        )
    return label


@dataclass(frozen=True)
class Labelled:
    ticket_id: int
    old_label: str | None
    new_label: str
    changed: bool


def apply_label(
    session: Session,
    ticket: Ticket,
    label: str,
    *,
    source: FeedbackSource,
    given_by: str | None,
    detail: str,
) -> Labelled:
    """Record ``label`` for ``ticket`` in ``session`` (the caller commits)."""
    old = ticket.failure_type
    assert ticket.id is not None
    session.add(
        LabelFeedback(
            ticket_id=ticket.id, old_label=old, new_label=label, source=source, given_by=given_by
        )
    )
    was_complaint = old is not None and old != NOT_A_COMPLAINT
    is_complaint = label != NOT_A_COMPLAINT
    if was_complaint != is_complaint:
        step = 1 if is_complaint else -1
        session.execute(
            update(Customer)
            .where(col(Customer.id) == ticket.customer_id)
            .values(failure_count=col(Customer.failure_count) + step)
        )
    ticket.failure_type = label
    if ticket.status == TicketStatus.UNSURE:
        ticket.status = TicketStatus.NEW
    session.add(ticket)
    session.add(
        EventLog.about(
            ticket,
            "labelled",
            f"{old or 'no label'} → {label} ({detail})",
            {"old": old, "new": label, "source": source.value, "by": given_by},
        )
    )
    return Labelled(ticket.id, old, label, old != label)


def label_ticket(
    engine: Engine, config: Config, ticket_id: int, label: str, *, given_by: str | None = None
) -> Labelled:
    """``amends label TICKET LABEL``."""
    check_label(config, label)
    with Session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise LabelError(f"no ticket {ticket_id}", hint="`amends tickets list` shows them")
        result = apply_label(
            session,
            ticket,
            label,
            source=FeedbackSource.CLI,
            given_by=given_by,
            detail=f"by {given_by}" if given_by else "from the command line",
        )
        session.commit()
    return result


@dataclass
class FeedbackSet:
    dataset: Dataset
    feedback_ids: list[int] = field(default_factory=list)


def feedback_dataset(engine: Engine) -> FeedbackSet:
    """The latest human label of every labelled ticket, with the ticket's first message."""
    with Session(engine) as session:
        rows = session.exec(
            select(LabelFeedback).order_by(col(LabelFeedback.ticket_id), col(LabelFeedback.id))
        ).all()
        latest: dict[int, LabelFeedback] = {}
        for row in rows:
            latest[row.ticket_id] = row
        if not latest:
            return FeedbackSet(Dataset([]))
        messages = session.exec(
            select(Message)
            .where(
                col(Message.ticket_id).in_(list(latest)),
                Message.direction == MessageDirection.INBOUND,
                Message.kind == MessageKind.CUSTOMER,
            )
            .order_by(col(Message.received_at), col(Message.id))
        ).all()
    first: dict[int, Message] = {}
    for message in messages:
        assert message.ticket_id is not None
        first.setdefault(message.ticket_id, message)
    examples, missing = [], 0
    for ticket_id, row in latest.items():
        found = first.get(ticket_id)
        text = model_text(found.subject, found.new_text) if found else ""
        if not text.strip():
            missing += 1
            continue
        examples.append(Example(text, row.new_label, FEEDBACK_SOURCE, ticket_id=ticket_id))
    notes = [f"{missing} labelled ticket(s) have no text and were left out"] if missing else []
    ids = [row.id for row in rows if row.id is not None]
    return FeedbackSet(Dataset(examples, notes), ids)


def mark_feedback_used(engine: Engine, feedback_ids: list[int], model_version_id: int) -> None:
    """Note the first model trained with each label (for the reports' correction rates)."""
    if not feedback_ids:
        return
    with Session(engine) as session:
        session.execute(
            update(LabelFeedback)
            .where(
                col(LabelFeedback.id).in_(feedback_ids),
                col(LabelFeedback.used_in_model_version_id).is_(None),
            )
            .values(used_in_model_version_id=model_version_id)
        )
        session.commit()

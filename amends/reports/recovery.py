"""How the recovery went: time to first response, follow-up outcomes, what agents did with
the drafts, and the classifier's health, per failure type and per owner."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlmodel import Session, col

from amends.reports import stats
from amends.reports.model import (
    ClassifierHealth,
    DraftUseRow,
    Finding,
    LabelHealth,
    OutcomeRow,
    ResponseRow,
)
from models.classification import Classification, LabelFeedback, active_model
from models.outbox import (
    Draft,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Reply,
    ReplySource,
    SatisfactionAnswer,
)
from models.tickets import Ticket, TicketStatus

if TYPE_CHECKING:
    from amends.reports.build import Builder

Group = tuple[str, NDArray[np.bool_]]  # a row's key and which of the period's tickets it holds


def _groups(b: Builder) -> tuple[list[Group], list[Group]]:
    h, p = b.h, b.p
    codes = h.type_code[p]
    by_type = [(h.types[i], codes == i) for i in b.order]
    owners = h.owner[p]
    owners = np.where(owners == None, "(no owner)", owners)  # noqa: E711 (elementwise)
    by_owner = [(o, owners == o) for o in sorted(set(owners.tolist()))]
    return by_type, by_owner


def response_times(b: Builder) -> tuple[list[ResponseRow], list[ResponseRow], ResponseRow]:
    h, p = b.h, b.p
    response = h.response_s[p]
    open_ = h.status[p] != TicketStatus.CLOSED.value

    def row(key: str, mask: NDArray[np.bool_]) -> ResponseRow:
        answered = response[mask & ~np.isnan(response)]
        return ResponseRow(
            key=key,
            tickets=int(mask.sum()),
            answered=int(answered.size),
            median_s=stats.percentile(answered, 50),
            p90_s=stats.percentile(answered, 90),
            waiting=int((mask & np.isnan(response) & open_).sum()),
        )

    by_type, by_owner = _groups(b)
    everything = np.ones(p.shape, dtype=bool)
    return (
        [row(k, m) for k, m in by_type],
        [row(k, m) for k, m in by_owner],
        row("all", everything),
    )


def outcomes(b: Builder) -> tuple[list[OutcomeRow], list[OutcomeRow], OutcomeRow, list[Finding]]:
    h, p, s = b.h, b.p, b.settings
    followed = np.zeros(p.shape, dtype=bool)
    answered = np.zeros(p.shape, dtype=bool)
    satisfied = np.zeros(p.shape, dtype=bool)
    rating = np.full(p.shape, np.nan)
    if p.size:
        since, until = b.period.since, b.period.until
        in_period = (col(Ticket.received_at) >= since, col(Ticket.received_at) < until)
        sent = b.scoped(
            sa.select(col(OutboxItem.ticket_id))
            .join(Ticket, col(Ticket.id) == col(OutboxItem.ticket_id))
            .where(
                col(OutboxItem.kind) == OutboxKind.FOLLOWUP,
                col(OutboxItem.state) == OutboxState.SENT,
                *in_period,
            )
        )
        answers = b.scoped(
            sa.select(
                col(SatisfactionAnswer.ticket_id),
                col(SatisfactionAnswer.rating),
                col(SatisfactionAnswer.satisfied),
            )
            .join(Ticket, col(Ticket.id) == col(SatisfactionAnswer.ticket_id))
            .where(
                *in_period,
                sa.or_(
                    col(SatisfactionAnswer.rating).is_not(None),
                    col(SatisfactionAnswer.satisfied).is_not(None),
                ),
            )
            .order_by(col(SatisfactionAnswer.created_at), col(SatisfactionAnswer.id))
        )
        followed_ids = np.array([r[0] for r in b.rows(sent)], dtype=np.int64)
        rows = b.rows(answers)
        ids = h.ids[p]
        followed = np.isin(ids, followed_ids)
        if rows:
            # The last answer of each ticket counts.
            ticket_ids = np.array([r[0] for r in rows], dtype=np.int64)[::-1]
            values = np.array([r[1] for r in rows], dtype=np.float64)[::-1]  # None: NaN
            happy = np.array(
                [np.nan if r[2] is None else float(r[2]) for r in rows], dtype=np.float64
            )[::-1]
            last_ids, first = np.unique(ticket_ids, return_index=True)
            values, happy = values[first], happy[first]
            # A rating alone says it: from satisfied_from up means satisfied.
            happy = np.where(np.isnan(happy), values >= b.config.followups.satisfied_from, happy)
            order = np.argsort(ids)
            where = np.searchsorted(ids, last_ids, sorter=order)
            known = where < ids.size
            known[known] = ids[order[where[known]]] == last_ids[known]
            slots = order[where[known]]
            answered[slots] = True
            satisfied[slots] = happy[known] > 0
            rating[slots] = values[known]
    replied = ~np.isnan(h.response_s[p])
    reopened = h.reopened[p]

    def row(key: str, mask: NDArray[np.bool_]) -> OutcomeRow:
        n_answered = int((mask & answered).sum())
        n_replied = int((mask & replied).sum())
        ratings = rating[mask & answered]
        ratings = ratings[~np.isnan(ratings)]
        happy = int((mask & satisfied & answered).sum())
        n_reopened = int((mask & reopened).sum())
        return OutcomeRow(
            key=key,
            replied=n_replied,
            followups_sent=int((mask & followed).sum()),
            answered=n_answered,
            satisfied=happy,
            satisfied_rate=happy / n_answered if n_answered else None,
            average_rating=float(ratings.mean()) if ratings.size else None,
            reopened=n_reopened,
            reopen_rate=n_reopened / n_replied if n_replied else None,
        )

    by_type, by_owner = _groups(b)
    type_rows = [row(k, m) for k, m in by_type]
    owner_rows = [row(k, m) for k, m in by_owner]
    findings = []
    unhappy = answered & ~satisfied
    total_answered, total_unhappy = float(answered.sum()), float(unhappy.sum())
    groups = [*by_type, *by_owner]
    tests = max(1, len(groups))
    for key, mask in groups:
        a = float((mask & unhappy).sum())
        n = float((mask & answered).sum())
        rest_n, rest_a = total_answered - n, total_unhappy - a
        if a < s.min_count or n == 0 or rest_n == 0:
            continue
        rate, rest_rate = a / n, rest_a / rest_n
        if rest_rate > 0 and rate < s.outlier_factor * rest_rate:
            continue
        pv = float(
            stats.fisher_excess(
                np.array([a]), np.array([n]), np.array([total_unhappy]), total_answered
            )[0]
        )
        if pv < s.alpha / tests:
            findings.append(
                Finding(
                    kind="outcome",
                    text=f"{key}: {1 - rate:.0%} of answered follow-ups satisfied, against "
                    f"{1 - rest_rate:.0%} for the rest ({int(a)} of {int(n)} unhappy; "
                    f"p = {pv:.0e})",
                    p_value=pv,
                )
            )
    return type_rows, owner_rows, row("all", np.ones(p.shape, dtype=bool)), findings


def draft_use(b: Builder) -> list[DraftUseRow]:
    s = b.settings
    since, until = b.period.since, b.period.until
    ratio = sa.func.coalesce(col(Reply.diff_ratio), 0.0)
    light = sa.and_(ratio > s.unchanged_up_to, ratio < s.light_edit_below)
    query = b.scoped(
        sa.select(
            col(Draft.template),
            sa.func.count(),
            sa.func.sum(sa.case((ratio <= s.unchanged_up_to, 1), else_=0)),
            sa.func.sum(sa.case((light, 1), else_=0)),
        )
        .join(Draft, col(Draft.id) == col(Reply.draft_id))
        .join(Ticket, col(Ticket.id) == col(Reply.ticket_id))
        .where(
            col(Reply.sent_at) >= since,
            col(Reply.sent_at) < until,
            col(Reply.source) != ReplySource.FOLLOWUP,
        )
        .group_by(col(Draft.template))
    )
    with b.engine.connect() as conn:
        rows = conn.execute(query).fetchall()
    result = [
        DraftUseRow(
            template=template,
            replies=int(n),
            unchanged=int(same),
            light=int(edited),
            rewritten=int(n) - int(same) - int(edited),
        )
        for template, n, same, edited in sorted(rows, key=lambda r: (-r[1], r[0]))
    ]
    if result:
        sums = [sum(r.unchanged for r in result), sum(r.light for r in result)]
        sums.append(sum(r.rewritten for r in result))
        result.append(
            DraftUseRow("all", sum(sums), unchanged=sums[0], light=sums[1], rewritten=sums[2])
        )
    return result


def classifier_health(b: Builder) -> ClassifierHealth:
    since, until = b.period.since, b.period.until
    with b.engine.connect() as conn:
        predictions = conn.execute(
            b.scoped(
                sa.select(
                    col(Classification.label),
                    col(Classification.unsure),
                    col(Classification.model_version),
                    sa.func.count(),
                )
                .join(Ticket, col(Ticket.id) == col(Classification.ticket_id))
                .where(
                    col(Classification.created_at) >= since,
                    col(Classification.created_at) < until,
                )
                .group_by(
                    col(Classification.label),
                    col(Classification.unsure),
                    col(Classification.model_version),
                )
            )
        ).fetchall()
        corrections = conn.execute(
            b.scoped(
                sa.select(
                    col(LabelFeedback.old_label), col(LabelFeedback.new_label), sa.func.count()
                )
                .join(Ticket, col(Ticket.id) == col(LabelFeedback.ticket_id))
                .where(
                    col(LabelFeedback.created_at) >= since,
                    col(LabelFeedback.created_at) < until,
                )
                .group_by(col(LabelFeedback.old_label), col(LabelFeedback.new_label))
            )
        ).fetchall()
    with Session(b.engine) as session:
        model = active_model(session)
    predicted: Counter[str] = Counter()
    versions: Counter[str] = Counter()
    unsure = classified = 0
    for label, is_unsure, version, count in predictions:
        predicted[label] += count
        versions[version] += count
        classified += count
        unsure += count if is_unsure else 0
    moved: dict[str, Counter[str]] = {}
    for old, new, count in corrections:
        if old is not None and old != new:
            moved.setdefault(old, Counter())[new] += count
    labels = []
    for label in sorted(set(predicted) | set(moved), key=lambda x: (-predicted[x], x)):
        corrected = sum(moved.get(label, Counter()).values())
        labels.append(
            LabelHealth(
                label=label,
                predicted=predicted[label],
                corrected=corrected,
                correction_rate=corrected / predicted[label] if predicted[label] else None,
                corrected_to=moved.get(label, Counter()).most_common(),
            )
        )
    holdout = (model.metrics or {}).get("holdout", {}) if model is not None else {}
    return ClassifierHealth(
        classified=classified,
        unsure=unsure,
        unsure_rate=unsure / classified if classified else None,
        labels=labels,
        model_version=model.version if model else None,
        model_created_at=model.created_at.astimezone(b.zone) if model else None,
        model_promoted_at=(
            model.promoted_at.astimezone(b.zone) if model and model.promoted_at else None
        ),
        training_size=model.training_size if model else None,
        macro_f1=holdout.get("macro_f1"),
        accuracy=holdout.get("accuracy"),
        versions_used=dict(versions.most_common()),
    )

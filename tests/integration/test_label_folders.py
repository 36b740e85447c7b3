"""Agents' corrections through ``Amends/Labels/<label>`` folders on the Dovecot fixture."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from amends.config import load_config
from amends.label_folders import sync_label_folders
from amends.labels import feedback_dataset
from amends.training import Sources, gather
from models.classification import FeedbackSource, LabelFeedback
from models.mail import Message
from models.tickets import Ticket, TicketStatus
from tests.fixtures.classifier import classifier_config
from tests.fixtures.imap import ImapAccount
from tests.integration.test_classifier_registry import add_ticket


def copy_of(subject: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "customer@example.net"
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}>"
    msg.set_content("the customer's words")
    return bytes(msg)


def test_mail_moved_into_a_label_folder_becomes_a_correction(
    imap_account: ImapAccount,
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = classifier_config(tmp_path, db_url).database
    config_path = tmp_path / "amends.toml"
    config_path.write_text(imap_account.config_toml())
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_account.password)
    config = load_config(config_path).model_copy(update={"database": database})
    mailbox = config.mailboxes[0]
    with Session(engine, expire_on_commit=False) as session:
        unsure = add_ticket(session, "a@example.net", "Odd one", "My points are gone from the app.")
        unsure.status = TicketStatus.UNSURE
        session.add(unsure)
        right = add_ticket(session, "b@example.net", "Late", "Still waiting for my sofa.")
        right.failure_type = "delay"
        session.add(right)
        session.commit()
        ids = {
            m.ticket_id: m.message_id
            for m in session.exec(select(Message).where(col(Message.ticket_id).is_not(None)))
        }

    first = sync_label_folders(engine, config, mailbox)
    separator = first.folders["delay"][len("Amends") : len("Amends") + 1]
    assert first.folders["account_or_data"] == separator.join(
        ["Amends", "Labels", "account_or_data"]
    )
    assert len(first.created) == 2 + 12  # the two parents and a folder per label
    assert first.labelled == 0 and first.examined == 12

    account_folder = first.folders["account_or_data"]
    imap_account.append(account_folder, copy_of("Odd one", ids[unsure.id]))
    imap_account.append(first.folders["delay"], copy_of("Late", ids[right.id]))
    imap_account.append(account_folder, copy_of("Stranger", "nobody@example.org"))

    second = sync_label_folders(engine, config, mailbox)
    assert (second.labelled, second.confirmed, second.unmatched) == (1, 1, 1)
    assert second.created == []
    assert second.examined == 2, "only the folders with new mail are opened"
    third = sync_label_folders(engine, config, mailbox)
    assert (third.labelled, third.confirmed, third.unmatched) == (0, 0, 0)
    assert third.examined == 0

    # Mail put in a folder and deleted before the next pass: read once, then quiet again.
    imap_account.append(first.folders["delay"], copy_of("Gone", "gone@example.org"))
    with imap_account.client() as client:
        client.select_folder(first.folders["delay"])
        client.delete_messages(client.search(["HEADER", "Message-ID", "gone@example.org"]))
        client.expunge()
    assert sync_label_folders(engine, config, mailbox).examined == 1
    assert sync_label_folders(engine, config, mailbox).examined == 0

    # The folder deleted and made again (a new UIDVALIDITY) with the same mail in it: the
    # folder is read again from the start, and the label is not recorded twice.
    with imap_account.client() as client:
        client.delete_folder(account_folder)
        client.create_folder(account_folder)
    imap_account.append(account_folder, copy_of("Odd one", ids[unsure.id]))
    fourth = sync_label_folders(engine, config, mailbox)
    assert (fourth.labelled, fourth.confirmed, fourth.repeated) == (0, 0, 1)
    assert fourth.examined == 1

    with Session(engine) as session:
        feedback = session.exec(select(LabelFeedback).order_by(col(LabelFeedback.id))).all()
        assert [(f.ticket_id, f.old_label, f.new_label, f.source) for f in feedback] == [
            (unsure.id, None, "account_or_data", FeedbackSource.FOLDER),
            (right.id, "delay", "delay", FeedbackSource.FOLDER),
        ]
        ticket = session.get(Ticket, unsure.id)
        assert ticket is not None and ticket.status == TicketStatus.NEW
        assert ticket.failure_type == "account_or_data"

    # The correction reaches the training set, over the bootstrap corpus.
    dataset = feedback_dataset(engine).dataset
    assert sorted((e.label, e.ticket_id) for e in dataset.examples) == [
        ("account_or_data", unsure.id),
        ("delay", right.id),
    ]
    gathered = gather(engine, Sources(), list(config.classifier.labels))
    team = [e for e in gathered.dataset.examples if e.ticket_id == unsure.id]
    assert [e.label for e in team] == ["account_or_data"]
    # The server still holds every message it had: nothing was moved or deleted.
    assert len(imap_account.fetch_all(first.folders["delay"])) == 1

"""Several ``amends run`` processes sharing two mailboxes on one PostgreSQL database: each
works its fair share, each mailbox is worked by one of them at a time, and a killed worker's
mailbox is taken over."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models.mail import Message
from models.operations import WorkerHeartbeat
from models.outbox import Draft
from tests.e2e.test_worker import daemon, drafts_in, eventually, worker_config
from tests.fixtures.imap import DovecotServer, ImapAccount
from tests.fixtures.smtp import SmtpServer
from tests.integration.test_drafts import ConfigMaker, make_config, model  # noqa: F401
from tests.integration.test_followups import complaint


@pytest.fixture
def db_url(postgres_url: str) -> str:
    return postgres_url


def holders(engine: Engine) -> dict[str, str]:
    """Mailbox → the worker (host:pid) working it now."""
    with Session(engine) as session:
        rows = session.exec(
            select(WorkerHeartbeat).where(col(WorkerHeartbeat.stopped_at).is_(None))
        ).all()
    return {row.mailbox: row.worker_id for row in rows}


def send_complaints(account: ImapAccount, first: int, n: int, domain: str) -> None:
    account.append_many(
        "INBOX", [complaint(i, sender=f"c{i}@{domain}") for i in range(first, first + n)]
    )


def test_two_workers_share_the_mailboxes_and_one_takes_over_when_the_other_dies(
    make_config: ConfigMaker,  # noqa: F811
    engine: Engine,
    dovecot: DovecotServer,
    imap_account: ImapAccount,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    model: None,  # noqa: F811
) -> None:
    billing = dovecot.add_user()
    monkeypatch.setenv("TEST_IMAP_PASSWORD_2", billing.password)
    second = billing.config_toml(
        name="billing", address="billing@example.com", password_env="TEST_IMAP_PASSWORD_2"
    )
    config = worker_config(make_config, smtp_server, "\n" + second)
    accounts = {"support": imap_account, "billing": billing}
    send_complaints(imap_account, 0, 10, "example.net")
    send_complaints(billing, 100, 10, "example.org")

    with daemon(config) as one, daemon(config) as two:
        workers = {str(one.pid): one, str(two.pid): two}
        # However the start-up race goes, they end up with one mailbox each.
        eventually(lambda: len(set(holders(engine).values())) == 2, "one mailbox per worker")
        eventually(lambda: all(drafts_in(a) == 10 for a in accounts.values()), "the first drafts")
        before = holders(engine)
        assert {h.rsplit(":", 1)[1] for h in before.values()} == set(workers)

        # The worker of "support" dies without a word; the other one takes its mailbox.
        victim_pid = before["support"].rsplit(":", 1)[1]
        victim = workers.pop(victim_pid)
        [survivor] = workers.values()
        victim.kill()
        killed_at = time.monotonic()
        eventually(
            lambda: holders(engine).get("support", "").endswith(f":{survivor.pid}"),
            "support taken over by the survivor",
            timeout_s=60,
        )
        takeover_s = time.monotonic() - killed_at
        print(f"takeover after {takeover_s:.1f} s")

        # New mail in both mailboxes is drafted once, by the survivor.
        send_complaints(imap_account, 10, 5, "example.net")
        send_complaints(billing, 110, 5, "example.org")
        eventually(lambda: all(drafts_in(a) == 15 for a in accounts.values()), "the new drafts")
        code, err = survivor.stop()
    assert code == 0, err

    assert sum(1 for _ in holders(engine)) == 0, "the survivor let go of both on its way out"
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Message)).one() == 30
        per_ticket = session.exec(
            select(Draft.ticket_id, func.count()).group_by(col(Draft.ticket_id))
        ).all()
    assert len(per_ticket) == 30 and all(n == 1 for _, n in per_ticket)
    assert all(drafts_in(a) == 15 for a in accounts.values()), "no draft appended twice"

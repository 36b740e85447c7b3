"""The demo's configuration file: one mailbox on the demo Dovecot, SMTP, teams and agents."""

from __future__ import annotations

from pathlib import Path
from string import Template

from demo.samples import SHOP, SUPPORT
from tests.fixtures.imap import ImapAccount

PASSWORD_ENV = "AMENDS_DEMO_IMAP_PASSWORD"  # noqa: S105 (the name of a variable)

# Agents work around the clock here, so that assignment and follow-ups never wait for a shift
# in the demo; a real team lists its shifts (see config.example.toml).
_TEMPLATE = Template("""\
# Written by `make demo` for one run; removed with its folder at the end.

[database]
url = "sqlite:///$database"

[[mailboxes]]
name = "support"
address = "$support"
display_name = "$shop"
poll_interval_s = $poll_interval_s
parse_workers = 0

[mailboxes.imap]
host = "$imap_host"
port = $imap_port
security = "none"
username = "$imap_user"
password_env = "$password_env"
timeout_s = 10

[smtp]
host = "$smtp_host"
port = $smtp_port
security = "none"
timeout_s = 10

[classifier]
model_dir = "models"

[[teams]]
name = "orders"
failure_types = ["wrong_item", "delay", "cancellation", "lost_item", "damaged_or_defective"]
strategy = "least_loaded"
lead = "ana"

[[teams]]
name = "billing"
failure_types = ["billing_error", "account_or_data"]
strategy = "round_robin"
lead = "marek"

[[teams]]
name = "care"
failure_types = ["website_or_app", "rude_staff", "no_response", "broken_promise"]
lead = "lena"

[[agents]]
name = "ana"
display_name = "Ana Petrović"
email = "ana@example.com"
teams = ["orders", "care"]
languages = ["en", "sr", "sl"]
timezone = "Europe/Belgrade"
working_hours = ["mon-sun 00:00-24:00"]

[[agents]]
name = "marek"
display_name = "Marek Nowak"
email = "marek@example.com"
teams = ["billing", "orders"]
languages = ["en", "pl"]
timezone = "Europe/Warsaw"
working_hours = ["mon-sun 00:00-24:00"]

[[agents]]
name = "jiwoo"
display_name = "Ji-woo Park"
email = "jiwoo@example.com"
teams = ["orders", "billing"]
languages = ["en", "ko", "ro"]
timezone = "Asia/Seoul"
working_hours = ["mon-sun 00:00-24:00"]

[[agents]]
name = "lena"
display_name = "Lena Fischer"
email = "lena@example.com"
teams = ["care", "orders"]
languages = ["en", "de", "fr"]
timezone = "Europe/Berlin"
working_hours = ["mon-sun 00:00-24:00"]

[assignment]
triage_owner = "ana"
default_team = "care"

[followups]
delay_days = 3

[drafts]
default_language = "en"

[worker]
grace_s = 10
takeover_check_s = 1
""")


def write_config(
    folder: Path, account: ImapAccount, smtp_host: str, smtp_port: int, poll_interval_s: int = 5
) -> Path:
    """Write ``amends.toml`` into ``folder`` (the database and models live beside it)."""
    path = folder / "amends.toml"
    text = _TEMPLATE.substitute(
        database=folder / "amends.db",
        support=SUPPORT,
        shop=SHOP,
        poll_interval_s=poll_interval_s,
        imap_host=account.host,
        imap_port=account.port,
        imap_user=account.username,
        password_env=PASSWORD_ENV,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
    )
    path.write_text(text, encoding="utf-8")
    return path

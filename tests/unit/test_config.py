"""Loading and validating configuration files: every mistake reported with key, file and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from amends.config import inspect_config, load_config
from amends.config.schema import DEFAULT_COMPENSATION
from amends.config.secrets import read_secret, secret_problems
from amends.errors import ConfigError
from amends.mailboxes import sync_options

ROOT = Path(__file__).parents[2]

MINIMAL = """\
[[mailboxes]]
name = "support"
address = "support@example.com"
[mailboxes.imap]
host = "imap.example.com"
password_env = "AMENDS_TEST_IMAP_PASSWORD"
"""


def write(tmp_path: Path, text: str, name: str = "amends.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def messages(path: Path) -> list[str]:
    _, problems = inspect_config(path)
    return [str(p) for p in problems if not p.warning]


def test_example_config_is_valid_and_complete() -> None:
    config, problems = inspect_config(ROOT / "config.example.toml")
    assert config is not None
    assert [p for p in problems if not p.warning] == []
    assert [m.name for m in config.mailboxes] == ["support"]
    assert config.mailboxes[0].imap.effective_port == 993
    assert config.smtp is not None and config.smtp.effective_port == 587
    assert {t.name for t in config.teams} == {"orders", "billing", "care"}
    assert "not_a_complaint" in config.classifier.labels
    assert config.followups.delay_days_by_type["delay"] == 2
    # Relative paths are resolved against the file's folder, not the working directory.
    assert config.database.url == f"sqlite:///{ROOT / 'amends.db'}"
    assert config.classifier.model_dir == ROOT / "amends-models"
    # The example shows the built-in gestures, so it must stay equal to them.
    shown = {label: (c.normal, c.strong) for label, c in config.compensation.items()}
    assert shown == DEFAULT_COMPENSATION


def test_defaults_fill_everything_not_given(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    mailbox = config.mailboxes[0]
    assert mailbox.folders.inbox == "INBOX"
    assert mailbox.folders.drafts is None
    assert mailbox.imap.security == "tls"
    assert mailbox.imap.timeout_s == 30.0
    assert config.smtp is None
    assert config.followups.delay_days == 3
    assert config.classifier.min_confidence == 0.55


def test_parse_workers_reach_the_sync_and_are_bounded(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert sync_options(config, config.mailboxes[0]).parse_workers is None  # one per core
    config = load_config(
        write(tmp_path, MINIMAL.replace("[mailboxes.imap]", "parse_workers = 0\n[mailboxes.imap]"))
    )
    assert sync_options(config, config.mailboxes[0]).parse_workers == 0
    bad = write(
        tmp_path, MINIMAL.replace("[mailboxes.imap]", "parse_workers = -1\n[mailboxes.imap]")
    )
    assert any("mailboxes[0].parse_workers" in m and "line 4" in m for m in messages(bad))


def test_three_mistakes_are_all_reported_with_key_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        MINIMAL.replace('host = "imap.example.com"', 'host = "imap.example.com"\nport = "abc"')
        + """
[followups]
delay_days = 0

[drafts]
html = "yes"
""",
        name="config.toml",
    )
    assert messages(path) == [
        'mailboxes[0].imap.port: expected an integer 1-65535, got "abc" (config.toml line 6)',
        "followups.delay_days: expected an integer 1-60, got 0 (config.toml line 10)",
        'drafts.html: expected true or false, got "yes" (config.toml line 13)',
    ]
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert len(caught.value.problems) == 3
    assert "3 problems" in str(caught.value)


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("password_env", "pasword_env"))
    found = messages(path)
    assert 'mailboxes[0].imap.pasword_env: unknown key (did you mean "password_env"?)' in found[0]
    assert found[0].endswith("(amends.toml line 6)")


def test_missing_required_key_points_at_its_table(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('address = "support@example.com"\n', ""))
    assert messages(path) == ["mailboxes[0].address: required, but missing (amends.toml line 1)"]


def test_password_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + 'password = "hunter2"\n')
    found = messages(path)
    assert len(found) == 1
    assert found[0].startswith("mailboxes[0].imap.password: secrets never sit in the configuration")
    assert "hunter2" not in found[0]


def test_password_in_database_url_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "postgresql+psycopg://amends:hunter2@db/amends"\n')
    found = messages(path)
    assert found[0].startswith("database.url: secrets never sit in the configuration file")
    assert "hunter2" not in found[0]


def test_plaintext_imap_to_remote_host_needs_explicit_allow_insecure(tmp_path: Path) -> None:
    insecure = MINIMAL + 'security = "none"\n'
    assert messages(write(tmp_path, insecure)) == [
        'mailboxes[0].imap.security: security = "none" would send the password in clear text to '
        'imap.example.com, which is not a loopback address: use "tls" or "starttls", or set '
        "allow_insecure = true if you really mean it (amends.toml line 7)"
    ]
    assert messages(write(tmp_path, insecure + "allow_insecure = true\n")) == []
    loopback = insecure.replace("imap.example.com", "127.0.0.1")
    assert messages(write(tmp_path, loopback)) == []


def test_contradiction_is_reported_together_with_type_errors(tmp_path: Path) -> None:
    text = MINIMAL + 'security = "none"\n[followups]\nenabled = 1\n'
    found = messages(write(tmp_path, text))
    assert [f.split(":")[0] for f in found] == ["mailboxes[0].imap.security", "followups.enabled"]


def test_references_between_sections_are_checked(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + """
[[teams]]
name = "billing"
failure_types = ["billing_error", "biling_error"]
lead = "nobody"

[[agents]]
name = "ana"
email = "ana@example.com"
teams = ["billing", "orders"]
working_hours = ["mon-fri 09:00-17:00"]

[assignment]
triage_owner = "bob"
"""
    )
    found = messages(write(tmp_path, text))
    assert any(
        f.startswith('teams[0].failure_types[1]: unknown failure type "biling_error"')
        for f in found
    )
    assert any(
        f.startswith('teams[0].lead: unknown agent "nobody" (amends.toml line 11)') for f in found
    )
    assert any(
        f.startswith('agents[0].teams[1]: unknown team "orders" (teams: billing)') for f in found
    )
    assert any(f.startswith('assignment.triage_owner: unknown agent "bob"') for f in found)
    assert len(found) == 4


def test_same_folder_for_two_roles_is_refused(tmp_path: Path) -> None:
    text = MINIMAL + '[mailboxes.folders]\ninbox = "INBOX"\ndrafts = "INBOX"\n'
    assert messages(write(tmp_path, text))[0].startswith(
        "mailboxes[0].folders.drafts: the drafts folder cannot be the inbox"
    )


def test_duplicate_mailbox_names_are_refused(tmp_path: Path) -> None:
    second = MINIMAL.replace("support@", "sales@")
    found = messages(write(tmp_path, MINIMAL + second))
    assert found == [
        'mailboxes[1].name: "support" is used by more than one entry of mailboxes (amends.toml line 8)'
    ]


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    found = messages(write(tmp_path, MINIMAL + "port = = 3\n"))
    assert len(found) == 1
    assert found[0].startswith("not valid TOML")
    assert found[0].endswith("(amends.toml line 7)")


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    found = messages(tmp_path / "nope.toml")
    assert "not found" in found[0] and "config.example.toml" in found[0]


def test_agent_shifts_and_time_zones(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + """
[[agents]]
name = "jiwoo"
email = "jiwoo@example.com"
timezone = "Asia/Seoul"
working_hours = ["mon-fri 09:00-18:00", "sat 22:00-02:00"]
[assignment]
triage_owner = "jiwoo"
"""
    )
    agent = load_config(write(tmp_path, text)).agents[0]
    # Monday 2026-11-23 01:00 UTC is 10:00 in Seoul.
    assert agent.on_shift(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    assert not agent.on_shift(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # 18:00 Seoul: done
    # The Saturday shift runs past midnight into Sunday 01:30 Seoul (Saturday 16:30 UTC).
    assert agent.on_shift(datetime(2026, 11, 28, 16, 30, tzinfo=UTC))
    assert not agent.on_shift(datetime(2026, 11, 28, 17, 30, tzinfo=UTC))  # Sunday 02:30


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("timezone", '"Mars/Olympus"', 'an IANA time zone such as "Europe/Belgrade"'),
        ("working_hours", '["someday 09:00-17:00"]', 'a shift like "mon-fri 09:00-17:00"'),
        ("working_hours", '["mon 09:00-09:00"]', "start and end must differ"),
        ("languages", '["english"]', "a two- or three-letter ISO 639 language code"),
        ("capacity", "0", "an integer >= 1"),
        ("email", '"not an address"', "an e-mail address"),
    ],
)
def test_agent_values_are_validated(tmp_path: Path, field: str, value: str, expected: str) -> None:
    base = {
        "name": '"ana"',
        "email": '"ana@example.com"',
        "working_hours": '["mon-fri 09:00-17:00"]',
    }
    base[field] = value
    body = "".join(f"{k} = {v}\n" for k, v in base.items())
    text = MINIMAL + f'\n[[agents]]\n{body}[assignment]\ntriage_owner = "ana"\n'
    found = messages(write(tmp_path, text))
    assert len(found) == 1
    assert found[0].startswith(f"agents[0].{field}")
    assert expected in found[0]


def test_secrets_come_from_environment_or_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "smtp-password"
    secret_file.write_text("s3cret-from-file\n")
    secret_file.chmod(0o600)
    text = (
        MINIMAL
        + '[smtp]\nhost = "smtp.example.com"\nusername = "u"\npassword_file = "smtp-password"\n'
    )
    config = load_config(write(tmp_path, text))
    monkeypatch.setenv("AMENDS_TEST_IMAP_PASSWORD", "s3cret-from-env")
    assert (
        read_secret(config, ("mailboxes", 0, "imap"), config.mailboxes[0].imap) == "s3cret-from-env"
    )
    assert config.smtp is not None
    assert read_secret(config, ("smtp",), config.smtp) == "s3cret-from-file"
    assert secret_problems(config) == []

    secret_file.chmod(0o644)
    warnings = secret_problems(config)
    assert [w.warning for w in warnings] == [True]
    assert "chmod 600" in warnings[0].message

    monkeypatch.delenv("AMENDS_TEST_IMAP_PASSWORD")
    with pytest.raises(ConfigError) as caught:
        read_secret(config, ("mailboxes", 0, "imap"), config.mailboxes[0].imap)
    problem = caught.value.problems[0]
    assert problem.key == "mailboxes[0].imap.password_env"
    assert problem.line == 6
    assert "AMENDS_TEST_IMAP_PASSWORD is not set" in problem.message


def test_compensation_entries_replace_the_built_in_ones(tmp_path: Path) -> None:
    text = MINIMAL + '\n[compensation.delay]\nnormal = "discount:5"\nstrong = "credit:30 PLN"\n'
    config = load_config(write(tmp_path, text))
    assert config.gesture_for("delay", strong=False) == "discount:5"
    assert config.gesture_for("delay", strong=True) == "credit:30 PLN"
    assert config.gesture_for("wrong_item", strong=False) == "keep_item"  # built-in stays
    assert config.gesture_for("a_custom_label", strong=True) == "credit:20 EUR"  # the default


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            '[compensation.delay]\nnormal = "hug"\nstrong = "upgrade"',
            'compensation.delay.normal: expected a gesture such as "discount:10"',
        ),
        (
            '[compensation.delay]\nnormal = "discount:150"\nstrong = "upgrade"',
            "expected a discount in percent",
        ),
        ('[compensation.delay]\nnormal = "credit"\nstrong = "upgrade"', 'such as "credit:20 EUR"'),
        (
            '[compensation.delay]\nnormal = "upgrade:2"\nstrong = "upgrade"',
            'expected "upgrade" without a value',
        ),
        (
            '[compensation.parking]\nnormal = "upgrade"\nstrong = "upgrade"',
            'compensation.parking: unknown failure type "parking"',
        ),
    ],
)
def test_compensation_is_validated(tmp_path: Path, entry: str, expected: str) -> None:
    found = messages(write(tmp_path, MINIMAL + "\n" + entry + "\n"))
    assert len(found) == 1 and expected in found[0], found

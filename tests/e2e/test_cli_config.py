"""``amends config check`` and where the configuration file is looked for."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.e2e.conftest import Amends

ROOT = Path(__file__).parents[2]

THREE_MISTAKES = """\
[database]
url = "sqlite:///amends.db"

[[mailboxes]]
name = "support"
address = "support@example.com"
[mailboxes.imap]
host = "imap.example.com"
security = "none"
password_env = "IMAP_PASSWORD"

[followups]
delay_days = "three"

[[agents]]
name = "ana"
emial = "ana@example.com"
working_hours = ["mon-fri 09:00-17:00"]
"""


def test_example_config_checks_clean(amends: Amends) -> None:
    result = amends("config", "check", str(ROOT / "config.example.toml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "config.example.toml: OK (1 mailbox(es), 3 team(s), 3 agent(s))" in result.stdout
    # The example names environment variables that are not set here: warned, not failed.
    assert "warning: mailboxes[0].imap.password_env" in result.stdout


def test_each_mistake_is_reported_with_key_file_and_line(amends: Amends, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(THREE_MISTAKES)
    result = amends("config", "check", "config.toml")
    assert result.returncode == 1
    out = result.stdout
    assert (
        'error: mailboxes[0].imap.security: security = "none" would send the password in clear text to imap.example.com'
        in out
    )
    assert "(config.toml line 9)" in out
    assert (
        'error: followups.delay_days: expected an integer 1-60, got "three" (config.toml line 13)'
        in out
    )
    assert (
        'error: agents[0].emial: unknown key (did you mean "email"?) (config.toml line 17)' in out
    )
    assert "error: agents[0].email: required, but missing (config.toml line 15)" in out
    assert "4 error(s)" in out
    assert "Traceback" not in result.stderr


def test_config_is_found_by_option_then_environment_then_working_directory(
    amends: Amends, tmp_path: Path
) -> None:
    example = ROOT / "config.example.toml"
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(example, tmp_path / "elsewhere" / "from-env.toml")
    (tmp_path / "broken.toml").write_text("not toml at all = = =")

    missing = amends("config", "check")
    assert missing.returncode == 1
    assert "amends.toml not found" in missing.stdout

    shutil.copy(example, tmp_path / "amends.toml")
    assert "amends.toml: OK" in amends("config", "check").stdout

    env = {"AMENDS_CONFIG": str(tmp_path / "elsewhere" / "from-env.toml")}
    assert "from-env.toml: OK" in amends("config", "check", env=env).stdout

    chosen = amends("--config", "broken.toml", "config", "check", env=env)
    assert chosen.returncode == 1
    assert "broken.toml" in chosen.stdout and "not valid TOML" in chosen.stdout


def test_usage_errors_exit_2(amends: Amends) -> None:
    result = amends("config", "chek")
    assert result.returncode == 2
    assert "No such command" in result.stderr

"""The systemd units in deploy/ and the README that documents them say the same thing."""

from __future__ import annotations

import configparser
import importlib
import pkgutil
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest

import amends
from amends.cli import cli
from amends.config.schema import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
README = (ROOT / "README.md").read_text(encoding="utf-8")

SANDBOX = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "SystemCallFilter": "@system-service",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}


class _Repeated(dict[str, Any]):
    """Section contents that keep every value of a key systemd allows to repeat.

    configparser stores each raw value as a list and later joins it into a string; a repeated
    key arrives as a second list, which is appended here instead of replacing the first."""

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, list) and isinstance(self.get(key), list):
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [every value, in order]}}."""
    parser = configparser.ConfigParser(
        strict=False, interpolation=None, dict_type=_Repeated, empty_lines_in_values=False
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"), source=name)
    return {
        section: {key: parser[section][key].split("\n") for key in parser[section]}
        for section in parser.sections()
    }


def value(section: dict[str, list[str]], key: str) -> str:
    """The effective value of ``key``: the last one, as systemd reads it."""
    assert key in section, f"{key}= is not set"
    return section[key][-1]


def seconds(span: str) -> float:
    """A systemd time span ("45", "45s", "1min 30s") in seconds."""
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hr": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span.strip())
    assert parts, f"not a time span: {span!r}"
    return sum(float(number) * units[suffix or "s"] for number, suffix in parts)


def config_argument(argv: list[str]) -> str:
    index = argv.index("--config")
    return argv[index + 1]


WORKER = unit("amends.service")
STATUS = unit("amends-status.service")
TIMER = unit("amends-status.timer")
WORKER_ARGV = shlex.split(value(WORKER["Service"], "ExecStart"))


def test_the_worker_unit_runs_amends_run_as_its_own_user() -> None:
    service = WORKER["Service"]
    assert Path(WORKER_ARGV[0]).name == "amends" and Path(WORKER_ARGV[0]).is_absolute()
    assert WORKER_ARGV[-1] == "run" and "--once" not in WORKER_ARGV
    assert Path(config_argument(WORKER_ARGV)).is_absolute()
    assert WORKER_ARGV[WORKER_ARGV.index("--log-format") + 1] == "json"
    # amends does not speak sd_notify.
    assert value(service, "Type") == "simple"
    assert value(service, "User") == "amends"
    assert value(WORKER["Install"], "WantedBy") == "multi-user.target"


def test_the_worker_restarts_on_failure_and_gets_its_grace_period_to_stop() -> None:
    service = WORKER["Service"]
    assert value(service, "Restart") == "on-failure"
    assert seconds(value(service, "RestartSec")) > 0
    assert seconds(value(service, "TimeoutStopSec")) > WorkerSettings().grace_s
    assert value(service, "KillSignal") == "SIGTERM"
    # SIGTERM to the main process, which stops its own parsing processes.
    assert value(service, "KillMode") == "mixed"
    # `amends status` exits 1 before the first heartbeat, and there is nothing to reload.
    for key in ("ExecStartPost", "ExecStartPre", "ExecReload"):
        assert key not in service


@pytest.mark.parametrize("name", ["amends.service", "amends-status.service"])
def test_both_services_run_sandboxed_with_the_secrets_and_the_state_directory(name: str) -> None:
    service = unit(name)["Service"]
    for key, expected in SANDBOX.items():
        assert value(service, key) == expected, f"{name}: {key}"
    families = set(value(service, "RestrictAddressFamilies").split())
    assert families == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert value(service, "EnvironmentFile") == "/etc/amends/secrets.env"
    assert value(service, "StateDirectory") == "amends"
    assert value(service, "WorkingDirectory") == "/var/lib/amends"
    assert value(service, "User") == "amends"


def test_the_health_check_runs_amends_status_on_a_timer() -> None:
    service = STATUS["Service"]
    argv = shlex.split(value(service, "ExecStart"))
    assert argv[0] == WORKER_ARGV[0]
    assert config_argument(argv) == config_argument(WORKER_ARGV)
    assert argv[-1] == "status"
    assert value(service, "Type") == "oneshot"
    timer = TIMER["Timer"]
    assert seconds(value(timer, "OnUnitActiveSec")) > 0
    assert value(TIMER["Install"], "WantedBy") == "timers.target"


def test_amends_admin_runs_the_same_program_with_the_same_files() -> None:
    script = (DEPLOY / "amends-admin").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^([A-Z]+)=(\S+)$", script, re.MULTILINE))
    assert settings["AMENDS"] == WORKER_ARGV[0]
    assert settings["CONFIG"] == config_argument(WORKER_ARGV)
    assert settings["SECRETS"] == value(WORKER["Service"], "EnvironmentFile")
    assert settings["STATE"] == value(WORKER["Service"], "WorkingDirectory")
    assert "runuser -u amends" in script


def test_the_readme_documents_the_paths_the_units_use() -> None:
    assert config_argument(WORKER_ARGV) in README
    assert value(WORKER["Service"], "ExecStart") in " ".join(README.split())
    assert value(WORKER["Service"], "EnvironmentFile") in README
    assert f"sqlite:///{value(WORKER['Service'], 'WorkingDirectory')}/" in README
    for name in ("amends.service", "amends-status.service", "amends-status.timer"):
        assert f"deploy/{name}" in README


def test_the_quick_start_is_two_commands() -> None:
    section = README.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```sh\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    assert block is not None
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]
    assert "make demo-serve" in section


def _readme_blocks() -> tuple[list[tuple[str, list[str]]], str]:
    """The README's fenced blocks as (info string, lines), and its text outside them."""
    blocks: list[tuple[str, list[str]]] = []
    prose: list[str] = []
    current: tuple[str, list[str]] | None = None
    for line in README.splitlines():
        if line.lstrip().startswith("```"):
            if current is None:
                current = (line.strip().strip("`"), [])
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current[1].append(line)
        else:
            prose.append(line)
    assert current is None, "a code block is not closed"
    return blocks, "\n".join(prose)


def _documented_commands() -> list[str]:
    """The arguments of every `amends …` (or `amends-admin …`) command the README shows."""
    blocks, prose = _readme_blocks()
    lines = [line for info, block in blocks if info == "sh" for line in block]
    lines += re.findall(r"(?<!`)`([^`\n]+)`(?!`)", prose)
    commands = []
    for line in lines:
        # Optional VARIABLE=value assignments and a path to the program, then its arguments.
        found = re.match(
            r"(?:[A-Z_]+=\S+\s+)*(?:/\S*/)?amends(?:-admin)?\s+(\S.*)$", line.split(" #")[0].strip()
        )
        if found:
            commands.append(found.group(1))
    return commands


def _resolve(arguments: str) -> list[str]:
    """Walk the command tree along ``arguments``; the problems found on the way."""
    for module in pkgutil.iter_modules(amends.__path__, "amends."):
        if module.name.startswith("amends.cli_"):
            importlib.import_module(module.name)
    command: click.Command = cli
    tokens = [t.strip("[]") for t in arguments.replace("|", " ").split()]
    problems, leaf, i = [], False, 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token in ("-h", "--help", "…"):
            break
        if token.startswith("--"):
            name = token.split("=", 1)[0]
            option = next((p for p in command.params if name in (*p.opts, *p.secondary_opts)), None)
            if option is None:
                problems.append(f"{command.name}: no option {name}")
            elif not getattr(option, "is_flag", False) and "=" not in token and not leaf:
                i += 1  # its value
        elif not leaf and isinstance(command, click.Group):
            sub = command.commands.get(token)
            if sub is None:
                problems.append(f"{command.name}: no command {token}")
                break
            command = sub
            leaf = not isinstance(sub, click.Group)
        elif not leaf:
            break
    return problems


def test_every_command_the_readme_shows_exists() -> None:
    commands = _documented_commands()
    assert len(commands) > 50
    problems = {c: p for c in commands if (p := _resolve(c))}
    assert not problems

"""Read a TOML configuration file once into a validated ``Config``, or report every mistake."""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from amends.config import checks
from amends.config.locate import key_lines, line_of
from amends.config.schema import CONFLICT, SECRET_IN_FILE, Config
from amends.config.types import EXPECTED
from amends.errors import ConfigError, ConfigProblem

DEFAULT_PATH = Path("amends.toml")
ENV_VAR = "AMENDS_CONFIG"

Key = tuple[str | int, ...]


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config`` if given, else ``$AMENDS_CONFIG``, else ``./amends.toml``."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return DEFAULT_PATH


def format_key(path: Key) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_config(path: str | os.PathLike[str]) -> Config:
    """Load and validate ``path``; raise ``ConfigError`` listing every problem found."""
    config, problems = inspect_config(path)
    errors = [p for p in problems if not p.warning]
    if errors or config is None:
        raise ConfigError(errors, hint=f"fix {Path(path)} and run: amends config check")
    return config


def inspect_config(path: str | os.PathLike[str]) -> tuple[Config | None, list[ConfigProblem]]:
    """Load ``path`` and return the config (None when unusable) with all errors and warnings."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [
            ConfigProblem(
                "",
                f"configuration file {path} not found: copy config.example.toml there, or pass "
                f"--config FILE or set {ENV_VAR}",
            )
        ]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ConfigProblem("", f"cannot read configuration file {path}: {exc}")]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's error keeps the position only in its text: "... (at line 7, column 8)".
        position = re.search(r"^(.*?) \(at line (\d+), column (\d+)\)$", str(exc))
        message, line = str(exc), None
        if position:
            message = f"{position.group(1)} at column {position.group(3)}"
            line = int(position.group(2))
        return None, [ConfigProblem("", f"not valid TOML: {message}", file=path, line=line)]

    lines = key_lines(text)

    def problem(key: Key, message: str, *, warning: bool = False) -> ConfigProblem:
        return ConfigProblem(format_key(key), message, path, line_of(lines, key), warning)

    try:
        config = Config.model_validate(raw, context={"base_dir": path.parent.resolve()})
    except ValidationError as exc:
        return None, [problem(*_describe(error)) for error in exc.errors()]
    config = config.model_copy(update={"source": path})
    return config, [problem(p.path, p.message, warning=p.warning) for p in checks.check(config)]


def problem_at(
    source: Path | None, key: Key, message: str, *, warning: bool = False
) -> ConfigProblem:
    """A problem at ``key`` of the file ``source``, with its line looked up in the file."""
    line = None
    if source is not None:
        try:
            line = line_of(key_lines(source.read_text(encoding="utf-8")), key)
        except (OSError, UnicodeDecodeError):
            line = None
    return ConfigProblem(format_key(key), message, source, line, warning)


def _describe(error: ErrorDetails) -> tuple[Key, str]:
    """Turn one pydantic error into (key, message) in the configuration's own terms."""
    key: Key = tuple(error["loc"])
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return key, "required, but missing"
    if kind == "extra_forbidden":
        return key, "unknown key" + _suggestion(key)
    if kind == CONFLICT:
        return (*key, ctx["key"]), error["msg"]
    if kind == SECRET_IN_FILE:
        return key, error["msg"]
    if kind == EXPECTED:
        return key, f"expected {ctx['expected']}, got {_toml(value)}"
    if kind == "literal_error":
        return key, f"expected one of {ctx.get('expected', '')}, got {_toml(value)}"
    simple = {
        "string_type": "a string",
        "bool_type": "true or false",
        "list_type": "a list",
        "dict_type": "a table",
        "model_type": "a table",
        "model_attributes_type": "a table",
        "int_type": "an integer",
        "float_type": "a number",
    }
    if kind in simple:
        return key, f"expected {simple[kind]}, got {_toml(value)}"
    return key, error["msg"]


def _suggestion(key: Key) -> str:
    """For an unknown key, the closest known key of the same table, if one is close."""
    model: Any = Config
    for part in key[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part) if _is_model(model) else None
        model = _inner_model(field.annotation) if field else None
    if not _is_model(model):
        return ""
    close = difflib.get_close_matches(str(key[-1]), list(model.model_fields), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _inner_model(annotation: Any) -> Any:
    """The model class inside ``list[Model]``, ``Model | None`` or ``Model``."""
    if _is_model(annotation):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _toml(value: Any) -> str:
    """Show a value as it would be written in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)

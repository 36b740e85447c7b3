"""The typed configuration: one frozen pydantic model per TOML section.

Only structure and single values are checked here; checks that relate several settings
(references between teams and agents, insecure transports) live in ``checks.py``.
"""

from __future__ import annotations

import ipaddress
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from amends.config.types import (
    EmailAddress,
    EnvName,
    Host,
    Label,
    Language,
    Name,
    PathValue,
    Port,
    PositiveSeconds,
    ShiftSpec,
    TimeZoneName,
    bounded_float,
    bounded_int,
    expected,
)
from outbox.render import GESTURES

SECRET_IN_FILE = "amends_secret_in_file"  # noqa: S105 (an error type, not a secret)


def is_loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _refuse_secret(value: Any) -> None:
    raise PydanticCustomError(
        SECRET_IN_FILE,
        "secrets never sit in the configuration file: set {key}_env to the name of an "
        "environment variable, or {key}_file to a file that holds it",
        {"key": "password"},
    )


# A field that exists only to refuse a plaintext secret with a helpful message.
RefusedSecret = Annotated[None, BeforeValidator(_refuse_secret)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SecretSource(Section):
    """Where a password comes from: an environment variable or a file, never the config."""

    password: RefusedSecret = None
    password_env: EnvName | None = None
    password_file: PathValue | None = None


Security = Literal["tls", "starttls", "none"]


CONFLICT = "amends_conflict"


def conflict(key: str, message: str) -> PydanticCustomError:
    """A contradiction inside one section, reported at ``key`` of that section."""
    return PydanticCustomError(CONFLICT, message, {"key": key})


class Endpoint(SecretSource):
    host: Host
    port: Port | None = None
    security: Security = "tls"
    allow_insecure: bool = False
    timeout_s: PositiveSeconds = 30.0
    ca_file: PathValue | None = None

    @model_validator(mode="after")
    def _refuse_contradictions(self) -> Endpoint:
        if self.security == "none" and not self.allow_insecure and not is_loopback(self.host):
            raise conflict(
                "security",
                f'security = "none" would send the password in clear text to {self.host}, '
                'which is not a loopback address: use "tls" or "starttls", or set '
                "allow_insecure = true if you really mean it",
            )
        if self.password_env and self.password_file:
            raise conflict("password_file", "set either password_env or password_file, not both")
        return self


class LoginSettings(Endpoint):
    """An endpoint that logs in with a password or an OAuth 2 access token (XOAUTH2)."""

    username: str | None = None
    auth: Literal["password", "xoauth2"] = "password"
    token_file: PathValue | None = None
    token_command: str | None = None

    @model_validator(mode="after")
    def _auth_source(self) -> LoginSettings:
        if self.auth == "xoauth2":
            if not (self.token_file or self.token_command):
                raise conflict(
                    "auth",
                    'auth = "xoauth2" needs token_file (a file holding the access token) or '
                    "token_command (a command that prints one)",
                )
            if self.password_env or self.password_file:
                raise conflict("auth", 'auth = "xoauth2" uses a token, not password_env/file')
        elif self.token_file or self.token_command:
            key = "token_file" if self.token_file else "token_command"
            raise conflict(key, f'{key} is only used with auth = "xoauth2"')
        return self


class ImapSettings(LoginSettings):
    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


class FolderSettings(Section):
    inbox: str = "INBOX"
    drafts: str | None = None
    sent: str | None = None
    # Drafts moved here by an agent are sent by the worker (with send_from_tool = true).
    send: str = Field(default="Amends/Send", min_length=1)


class MailboxSettings(Section):
    name: Name
    address: EmailAddress
    # Shown as the sender of drafts ("Example Shop support <support@…>") and under the owner's
    # name in their signature. Unset: the address alone, and the mailbox name in signatures.
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    imap: ImapSettings
    folders: FolderSettings = FolderSettings()
    poll_interval_s: PositiveSeconds = 60.0
    since: date | None = None
    max_message_mb: bounded_float(0, low_open=True) = 25.0  # type: ignore[valid-type]
    batch_size: bounded_int(1, 5000) = 500  # type: ignore[valid-type]
    # None: one parse worker process per CPU core for large backlogs.
    parse_workers: bounded_int(0, 64) | None = None  # type: ignore[valid-type]
    # Send the drafts agents move into folders.send over SMTP (needs [smtp]).
    send_from_tool: bool = False


class SmtpSettings(LoginSettings):
    security: Security = "starttls"

    @model_validator(mode="after")
    def _oauth_needs_user(self) -> SmtpSettings:
        if self.auth == "xoauth2" and not self.username:
            raise conflict("username", 'auth = "xoauth2" needs the username the token is for')
        return self

    @property
    def effective_port(self) -> int:
        return self.port or {"tls": 465, "starttls": 587, "none": 25}[self.security]


def _database_url(value: Any, info: ValidationInfo) -> str:
    what = 'a database URL such as "sqlite:///amends.db" or "postgresql+psycopg://amends@db/amends"'
    if not isinstance(value, str) or "://" not in value:
        raise expected(what)
    scheme, _, rest = value.partition("://")
    if scheme.startswith(("postgresql", "postgres")):
        credentials = rest.split("@", 1)[0] if "@" in rest else ""
        if ":" in credentials:
            raise PydanticCustomError(
                SECRET_IN_FILE,
                "secrets never sit in the configuration file: remove the password from the URL "
                "and set password_env or password_file in [database]",
            )
        return value
    if scheme != "sqlite":
        raise expected(what)
    # sqlite:///relative.db is relative to the config file; sqlite:////abs/path.db is absolute.
    path = rest[1:] if rest.startswith("/") else rest
    base = (info.context or {}).get("base_dir")
    if path and path != ":memory:" and not Path(path).is_absolute() and base is not None:
        return f"sqlite:///{Path(base) / path}"
    return value


class DatabaseSettings(SecretSource):
    url: Annotated[str, BeforeValidator(_database_url)] = Field(
        default="sqlite:///amends.db", validate_default=True
    )


DEFAULT_LABELS: dict[str, str] = {
    "wrong_item": "The customer received a different product, size, colour or quantity.",
    "delay": "An order, delivery, refund or service arrived late or has not arrived yet.",
    "cancellation": "An order, booking or service was cancelled without the customer wanting it.",
    "lost_item": "A parcel, bag or item went missing on its way or in our care.",
    "damaged_or_defective": "The product arrived broken or stopped working.",
    "billing_error": "A wrong charge, a double charge, a missing refund or a wrong invoice.",
    "account_or_data": "Login, account, personal data or privacy problems.",
    "website_or_app": "The website, app or checkout did not work.",
    "rude_staff": "A member of staff was rude, dismissive or unprofessional.",
    "no_response": "The customer wrote or called before and nobody answered.",
    "broken_promise": (
        "A promise was not kept, policy was used as an excuse, a return or warranty was "
        "refused, or the customer was sent from department to department."
    ),
    "not_a_complaint": "Questions, thanks and requests: no recovery draft is written.",
}


class ClassifierSettings(Section):
    model_dir: PathValue = Field(default=Path("amends-models"), validate_default=True)
    # Below this calibrated probability a ticket goes to the `unsure` queue for a human label.
    min_confidence: bounded_float(0, 1, low_open=True) = 0.55  # type: ignore[valid-type]
    # A retrained model is promoted only if its macro-F1 drops by at most this much.
    max_regression: bounded_float(0, 1) = 0.01  # type: ignore[valid-type]
    # A complaint is a repeat failure when the customer had another within this many days.
    repeat_window_days: bounded_int(1, 3650) = 90  # type: ignore[valid-type]
    # Severity scores (0-1) at or above this make a complaint severe (escalated).
    severe_at: bounded_float(0, 1, low_open=True) = 0.5  # type: ignore[valid-type]
    # Parent of the `<label>` folders agents move mail into to correct a failure type.
    label_folder: str = Field(default="Amends/Labels", min_length=1)
    labels: dict[Label, str] = Field(default_factory=lambda: dict(DEFAULT_LABELS))


class TeamSettings(Section):
    name: Name
    failure_types: list[Label] = Field(default_factory=list)
    strategy: Literal["least_loaded", "round_robin"] = "least_loaded"
    lead: Name | None = None


class AgentSettings(Section):
    name: Name
    email: EmailAddress
    # How the agent signs drafts; unset: the name with a capital letter.
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    teams: list[Name] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=lambda: ["en"])
    capacity: bounded_int(1) = 25  # type: ignore[valid-type]
    timezone: TimeZoneName = "UTC"
    working_hours: list[ShiftSpec] = Field(default_factory=list)
    active: bool = True

    @property
    def signature(self) -> str:
        return self.display_name or self.name.capitalize()

    def on_shift(self, at: datetime) -> bool:
        """Whether ``at`` (an aware datetime) is inside this agent's working hours."""
        local = at.astimezone(ZoneInfo(self.timezone))
        return any(shift.contains(local) for shift in self.working_hours)


class AssignmentSettings(Section):
    triage_owner: Name | None = None
    default_team: Name | None = None
    sticky_owner: bool = True
    # Mark the customer's message with the IMAP keyword "<owner_keyword_prefix><owner>" where
    # the server allows keywords, so the owner is visible (and searchable) in mail clients.
    owner_keywords: bool = True
    owner_keyword_prefix: str = Field(default="amends-owner-", pattern=r"^\$?[A-Za-z0-9_.-]{1,40}$")


class FollowupSettings(Section):
    enabled: bool = True
    # Business days (Monday to Friday) from the reply to the follow-up.
    delay_days: bounded_int(1, 60) = 3  # type: ignore[valid-type]
    delay_days_by_type: dict[Label, bounded_int(1, 60)] = Field(  # type: ignore[valid-type]
        default_factory=dict
    )
    # Ratings from this value up close the ticket as satisfied; lower ones reopen it.
    satisfied_from: bounded_int(1, 5) = 4  # type: ignore[valid-type]
    # Follow-ups one ticket can get: the first, then one after each reopening up to this.
    max_per_ticket: bounded_int(1, 5) = 2  # type: ignore[valid-type]
    # Never sent to these addresses, or to any address at "@domain" entries.
    suppress: list[Annotated[str, Field(min_length=2, max_length=320)]] = Field(
        default_factory=list
    )
    # A file with one address or @domain per line ("#" starts a comment), read at each pass.
    suppression_file: PathValue | None = None

    def delay_for(self, failure_type: str | None) -> int:
        days: int = self.delay_days_by_type.get(failure_type or "", self.delay_days)
        return days


class OutboxSettings(Section):
    """How the worker sends its own mail (follow-ups, drafts from Amends/Send, alerts)."""

    max_attempts: bounded_int(1, 50) = 8  # type: ignore[valid-type]
    # The first retry waits this long; each further one twice as long, up to retry_max_s.
    retry_base_s: PositiveSeconds = 60.0
    retry_max_s: PositiveSeconds = 6 * 3600.0
    # Mail loops stop here: at most this many messages to one address in 24 hours.
    per_recipient_per_day: bounded_int(1, 1000) = 3  # type: ignore[valid-type]
    # All mailboxes together, per minute.
    per_minute: bounded_int(1, 100000) = 60  # type: ignore[valid-type]
    # A worker's claim on a message it is sending; after this another worker may check it.
    lease_s: PositiveSeconds = 600.0


class WorkerSettings(Section):
    """How ``amends run`` behaves as a daemon."""

    # After SIGTERM or SIGINT the batch in hand is finished and committed within this long;
    # past it (or at a second signal) the worker exits at once, which is safe but slower to
    # resume.
    grace_s: PositiveSeconds = 30.0
    # New messages one mailbox syncs before they go on through classification and drafts;
    # a large backlog flows through every stage in slices of this size.
    pass_messages: bounded_int(1, 100000) = 2000  # type: ignore[valid-type]
    # Mailboxes in a pass at the same moment (the others wait their turn); unset: two per
    # core. Passes are mostly CPU (parsing, classifying), so more at once on few cores only
    # makes every one slower, and on SQLite a slowed writer keeps the others waiting.
    parallel_passes: bounded_int(1, 1000) | None = None  # type: ignore[valid-type]
    # Processes that parse and classify for every mailbox (each keeps the model loaded,
    # about 250 MB); unset: one per core; 0: everything in the worker's own process.
    processes: bounded_int(0, 64) | None = None  # type: ignore[valid-type]
    # How often a worker checks its hold on its mailboxes and looks for mailboxes no worker
    # holds (another worker died): a takeover happens within about this long.
    takeover_check_s: PositiveSeconds = 2.0
    # Wait for new mail with IMAP IDLE where the server offers it (else poll_interval_s).
    idle: bool = True


class AlertSettings(Section):
    """Mail to the admins when a mailbox stops syncing, a login fails or outbox rows die."""

    # Nobody is mailed while empty; `amends status` reports the same problems either way.
    to: list[EmailAddress] = Field(default_factory=list)
    # The sender of alerts; unset: the address of the mailbox the alert is about.
    from_address: EmailAddress | None = None
    # A mailbox not synced for this long is unhealthy (`amends status` exits 1) and alerted.
    alert_after_s: PositiveSeconds = 900.0


class MetricsSettings(Section):
    """An optional Prometheus endpoint served by ``amends run``."""

    port: Port | None = None
    host: Host = "127.0.0.1"


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock_time(value: Any) -> str:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, str):
        try:
            return time.fromisoformat(value.strip()).strftime("%H:%M")
        except ValueError:
            pass
    raise expected('a time of day such as "08:00"')


ClockTime = Annotated[str, BeforeValidator(_clock_time)]


class WeeklyReportSettings(Section):
    """The report of the week before, mailed by the worker (as an attached HTML file)."""

    to: list[EmailAddress] = Field(default_factory=list)
    # The sender; unset: the address of the first mailbox.
    from_address: EmailAddress | None = None
    # When it goes out, in [reports] timezone: the report covers the seven days before.
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    at: ClockTime = "08:00"

    @property
    def weekday(self) -> int:
        return _WEEKDAYS.index(self.day)


class ReportSettings(Section):
    """How `amends report` reads the history: its clock and when a pattern counts as unusual."""

    # Days, hours and weekdays of the report are those of this time zone.
    timezone: TimeZoneName = "UTC"
    # Spikes: a day (or hour) is compared with this many days before it.
    baseline_days: bounded_int(7, 365) = 28  # type: ignore[valid-type]
    # A count is flagged only from this many complaints, and this many times its baseline...
    min_count: bounded_int(1, 1000) = 5  # type: ignore[valid-type]
    spike_factor: bounded_float(1, low_open=True) = 2.0  # type: ignore[valid-type]
    # ...and when chance would give it less than this often over all the report's tests
    # (a family-wise false-alarm rate: each test uses this divided by their number).
    alpha: bounded_float(0, 0.5, low_open=True) = 0.01  # type: ignore[valid-type]
    # Change markers: complaint rates this many days before and after each event.
    event_window_days: bounded_int(1, 180) = 28  # type: ignore[valid-type]
    # ...reported as a change when significant and at least this factor up or down.
    event_factor: bounded_float(1, low_open=True) = 1.5  # type: ignore[valid-type]
    # Hours, shifts and outcomes stand out at this factor against the rest (and significant).
    outlier_factor: bounded_float(1, low_open=True) = 1.5  # type: ignore[valid-type]
    # Drafts: share of the text an agent changed up to which a draft counts as sent
    # unchanged, and below which as lightly edited (above: rewritten).
    unchanged_up_to: bounded_float(0, 1) = 0.02  # type: ignore[valid-type]
    light_edit_below: bounded_float(0, 1, low_open=True) = 0.3  # type: ignore[valid-type]
    weekly: WeeklyReportSettings = WeeklyReportSettings()


def _event_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise expected("a date and time such as 2026-11-01T09:00:00+01:00 (or 2026-11-01T09:00)")


class EventSettings(Section):
    """A change (a release, a new courier, a policy) that reports mark on every time chart.

    A time without an offset is in [reports] timezone.
    """

    name: str = Field(min_length=1, max_length=200)
    at: Annotated[datetime, BeforeValidator(_event_time)]
    mailbox: Name | None = None
    detail: str | None = Field(default=None, max_length=2000)


class RetentionSettings(Section):
    """How long the text of mail and cases is kept; the worker removes older text daily."""

    # Cases quiet this many days, and mail outside a case this old, lose their text
    # (subjects, names, bodies, drafts, answers); the figures reports count stay.
    # Unset: text is kept until `amends purge` or `amends forget` removes it.
    keep_text_days: bounded_int(30, 36500) | None = None  # type: ignore[valid-type]


class DraftSettings(Section):
    templates_dir: PathValue | None = None
    default_language: Language = "en"
    html: bool = True
    # Put each owner's drafts in "<Drafts>/<owner>" instead of the Drafts folder itself.
    per_owner_folders: bool = False


GESTURE_FORMAT = (
    'a gesture such as "discount:10" (percent), "credit:20 EUR", "free_shipping", '
    '"express_shipping", "upgrade", "fee_refund", "keep_item" or "priority_contact"'
)


def _gesture(value: Any) -> str:
    if not isinstance(value, str):
        raise expected(GESTURE_FORMAT)
    kind, _, amount = value.partition(":")
    kind, amount = kind.strip(), amount.strip()
    if kind not in GESTURES:
        raise expected(GESTURE_FORMAT)
    if kind == "discount" and not (amount.isdigit() and 1 <= int(amount) <= 100):
        raise expected('a discount in percent, such as "discount:10"')
    if kind == "credit" and not (amount and len(amount) <= 40 and any(c.isdigit() for c in amount)):
        raise expected('a credit with its amount and currency, such as "credit:20 EUR"')
    if kind not in {"discount", "credit"} and amount:
        raise expected(f'"{kind}" without a value')
    return f"{kind}:{amount}" if amount else kind


GestureSpec = Annotated[str, BeforeValidator(_gesture)]


class CompensationLevel(Section):
    """The extra gesture for one failure type: ``normal``, and ``strong`` for severe or repeat
    failures (which deserve a bigger one)."""

    normal: GestureSpec
    strong: GestureSpec


DEFAULT_COMPENSATION: dict[str, tuple[str, str]] = {
    "default": ("discount:10", "credit:20 EUR"),
    "wrong_item": ("keep_item", "credit:20 EUR"),
    "delay": ("free_shipping", "credit:15 EUR"),
    "cancellation": ("discount:10", "discount:25"),
    "lost_item": ("express_shipping", "credit:20 EUR"),
    "damaged_or_defective": ("express_shipping", "upgrade"),
    "billing_error": ("fee_refund", "credit:20 EUR"),
    "account_or_data": ("priority_contact", "credit:15 EUR"),
    "website_or_app": ("discount:10", "discount:20"),
    "rude_staff": ("priority_contact", "credit:15 EUR"),
    "no_response": ("priority_contact", "credit:10 EUR"),
    "broken_promise": ("discount:15", "credit:25 EUR"),
}


def _default_compensation() -> dict[str, CompensationLevel]:
    return {
        label: CompensationLevel(normal=normal, strong=strong)
        for label, (normal, strong) in DEFAULT_COMPENSATION.items()
    }


def _with_default_compensation(value: Any) -> Any:
    # Entries the file gives replace the built-in ones; the others stay.
    if not isinstance(value, dict):
        return value
    merged: dict[str, Any] = dict(_default_compensation())
    merged.update(value)
    return merged


class Config(Section):
    """The whole configuration, as loaded from one TOML file."""

    database: DatabaseSettings = DatabaseSettings()
    mailboxes: list[MailboxSettings] = Field(default_factory=list)
    smtp: SmtpSettings | None = None
    classifier: ClassifierSettings = ClassifierSettings()
    teams: list[TeamSettings] = Field(default_factory=list)
    agents: list[AgentSettings] = Field(default_factory=list)
    assignment: AssignmentSettings = AssignmentSettings()
    followups: FollowupSettings = FollowupSettings()
    outbox: OutboxSettings = OutboxSettings()
    drafts: DraftSettings = DraftSettings()
    worker: WorkerSettings = WorkerSettings()
    alerts: AlertSettings = AlertSettings()
    metrics: MetricsSettings = MetricsSettings()
    reports: ReportSettings = ReportSettings()
    events: list[EventSettings] = Field(default_factory=list)
    retention: RetentionSettings = RetentionSettings()
    # Per failure type (or "default"): the gesture a draft offers; see CompensationLevel.
    compensation: Annotated[
        dict[str, CompensationLevel], BeforeValidator(_with_default_compensation)
    ] = Field(default_factory=_default_compensation)

    def gesture_for(self, failure_type: str, *, strong: bool) -> str:
        level = self.compensation.get(failure_type) or self.compensation["default"]
        return level.strong if strong else level.normal

    def agent(self, name: str | None) -> AgentSettings | None:
        return next((a for a in self.agents if a.name == name), None)

    # Set by the loader: where the file was, for messages and relative paths.
    source: Path | None = Field(default=None, exclude=True)

"""Recovery replies from Jinja2 templates, per failure type and language.

Templates live in ``outbox/templates/<language>/``: ``base.txt.j2`` holds the recovery order,
``<failure_type>.txt.j2`` fills in the restated problem, the action and the prevention,
``generic.txt.j2`` serves failure types without their own file, ``common.txt.j2`` holds the
gesture phrases and the line above the quote, and ``followup.txt.j2`` is the check-in sent a few
days after the reply. A folder given as ``templates_dir`` (the same layout) overrides any of
these files. Plain text comes from the ``.txt.j2`` files; the HTML alternative from
``layout.html.j2``, which is autoescaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from outbox.errors import TemplateError

__all__ = [
    "GESTURES",
    "LANGUAGES",
    "DraftFacts",
    "FollowupFacts",
    "Gesture",
    "Quote",
    "Rendered",
    "TemplateError",
    "Templates",
    "cyrillic_share",
    "to_cyrillic",
]

# The languages the built-in templates are written in; English is the fallback.
LANGUAGES = ("en", "sr", "sl", "pl", "ko", "ro")
FALLBACK = "en"
GENERIC = "generic"
FOLLOWUP = "followup"
# Gesture kinds every language's common.txt.j2 words; the value is a percentage for
# "discount", an amount with its currency for "credit", and unused otherwise.
GESTURES = (
    "discount",
    "credit",
    "free_shipping",
    "express_shipping",
    "upgrade",
    "fee_refund",
    "keep_item",
    "priority_contact",
)
# The quoted customer message is cut here: a draft is read, not archived.
QUOTE_MAX_CHARS = 20_000
QUOTE_MAX_LINES = 400

_PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING = re.compile(r"[ \t]+\n")


# Serbian is written in both scripts; the templates are in Latin and their literal text is
# transliterated for customers who write in Cyrillic (values such as order numbers are not).
_LATIN_DIGRAPHS = {
    "lj": "љ",
    "nj": "њ",
    "dž": "џ",
    "Lj": "Љ",
    "Nj": "Њ",
    "Dž": "Џ",
    "LJ": "Љ",
    "NJ": "Њ",
    "DŽ": "Џ",
}
_LATIN = dict(zip("abvgdđežzijklmnoprstćufhcčš", "абвгдђежзијклмнопрстћуфхцчш", strict=True))
_LATIN |= {k.upper(): v.upper() for k, v in _LATIN.items()}


def to_cyrillic(text: str) -> str:
    """Serbian Latin text in Cyrillic (Gaj's alphabet maps one to one, digraphs first)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _LATIN_DIGRAPHS:
            out.append(_LATIN_DIGRAPHS[pair])
            i += 2
            continue
        out.append(_LATIN.get(text[i], text[i]))
        i += 1
    return "".join(out)


_CYRILLIC_LETTERS = re.compile(
    "[" + "".join(re.escape(c) for c in map(chr, range(0x0400, 0x0500)) if c.isalpha()) + "]"
)


def cyrillic_share(text: str) -> float:
    """The share of Cyrillic among the letters of ``text``'s start (0 when it has none)."""
    sample = text[:5000]
    letters = sum(map(str.isalpha, sample))  # counted in C, as are the Cyrillic ones
    if not letters:
        return 0.0
    return len(_CYRILLIC_LETTERS.findall(sample)) / letters


class _Cyrillic(Extension):
    """Transliterates the literal text of the Serbian templates while they are compiled."""

    def filter_stream(self, stream: TokenStream) -> TokenStream:
        if not (stream.name or "").startswith("sr/"):
            return stream

        def tokens() -> Iterator[Token]:
            for token in stream:
                if token.type == "data":
                    yield Token(token.lineno, "data", to_cyrillic(token.value))
                else:
                    yield token

        return TokenStream(tokens(), stream.name, stream.filename)


def _context(facts: DraftFacts | FollowupFacts) -> dict[str, object]:
    """The names a template sees: every field, and ``strong`` (severe or repeat)."""
    values: dict[str, object] = {f.name: getattr(facts, f.name) for f in fields(facts)}
    return values | {"strong": facts.strong}


@dataclass(frozen=True)
class Gesture:
    kind: str
    value: str | None = None


@dataclass(frozen=True)
class DraftFacts:
    """Everything a template may use. Templates see these names directly."""

    failure_type: str
    language: str
    agent: str
    company: str
    gesture: Gesture
    customer_name: str = ""
    severe: bool = False
    repeat: bool = False
    order: str | None = None
    amount: str | None = None
    date: str | None = None
    subject: str = ""
    ticket: int | None = None

    @property
    def strong(self) -> bool:
        return self.severe or self.repeat

    def context(self) -> dict[str, object]:
        return _context(self)


@dataclass(frozen=True)
class FollowupFacts:
    """What the follow-up template may use: the case the agent answered a few days ago."""

    failure_type: str
    language: str
    agent: str
    company: str
    customer_name: str = ""
    order: str | None = None
    severe: bool = False
    repeat: bool = False
    ticket: int | None = None
    subject: str = ""
    # The kind of extra gesture the reply offered ("keep_item" changes what the fix was).
    gesture: str | None = None

    @property
    def strong(self) -> bool:
        return self.severe or self.repeat

    def context(self) -> dict[str, object]:
        return _context(self)


@dataclass(frozen=True)
class Quote:
    """The customer's message, quoted below the reply."""

    text: str
    name: str = ""
    date: str = ""


@dataclass(frozen=True)
class Rendered:
    template: str  # e.g. "pl/delay.txt.j2"
    language: str
    reply: str  # the agent's part only: what the lint checks
    text: str  # reply plus the quoted customer message
    html: str | None = None
    quote_intro: str = ""
    notes: list[str] = field(default_factory=list)


def _normalise(text: str) -> str:
    text = _TRAILING.sub("\n", text.replace("\r\n", "\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _quote_lines(quote: Quote) -> list[str]:
    text = quote.text.replace("\r\n", "\n").replace("\r", "\n")[:QUOTE_MAX_CHARS]
    lines = text.strip("\n").split("\n")
    if len(lines) > QUOTE_MAX_LINES:
        lines = [*lines[:QUOTE_MAX_LINES], "[…]"]
    return [line.rstrip() for line in lines]


class Templates:
    """The template set: built-in, with an optional admin folder taking precedence."""

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if override_dir is not None:
            if not override_dir.is_dir():
                raise TemplateError(
                    f"drafts.templates_dir {override_dir} is not a folder: create it with the "
                    "same layout as the built-in templates (<language>/<failure_type>.txt.j2)"
                )
            loaders.append(jinja2.FileSystemLoader(override_dir))
        loaders.append(jinja2.FileSystemLoader(_PACKAGE_TEMPLATES))
        self.override_dir = override_dir
        loader = jinja2.ChoiceLoader(loaders)
        self.env = _environment(loader)
        self.cyrillic_env = _environment(loader, _Cyrillic)

    def _exists(self, name: str) -> bool:
        try:
            self.env.get_template(name)
        except jinja2.TemplateNotFound:
            return False
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(_describe(exc)) from exc
        return True

    def language_for(self, language: str | None, default: str = FALLBACK) -> str:
        """The language a reply is written in: the customer's when templates exist for it."""
        for candidate in (language, default, FALLBACK):
            if candidate and self._exists(f"{candidate}/base.txt.j2"):
                return candidate
        raise TemplateError(f"no templates for {FALLBACK!r}: the built-in templates are missing")

    def template_for(self, language: str, failure_type: str) -> str:
        specific = f"{language}/{failure_type}.txt.j2"
        if self._exists(specific):
            return specific
        return f"{language}/{GENERIC}.txt.j2"

    def render(
        self,
        facts: DraftFacts,
        quote: Quote | None = None,
        *,
        default_language: str = FALLBACK,
        html: bool = True,
        cyrillic: bool = False,
    ) -> Rendered:
        """The reply; ``cyrillic`` writes Serbian in Cyrillic (other languages ignore it)."""
        language = self.language_for(facts.language, default_language)
        name = self.template_for(language, facts.failure_type)
        context = facts.context() | {"language": language}
        env = self._env_for(language, cyrillic)
        reply = self._render_text(env, name, context)
        try:
            common = env.get_template(f"{language}/common.txt.j2")
            module = common.make_module(context)
            intro = ""
            if quote is not None:
                intro = _normalise(str(getattr(module, "quote_intro")(quote.name, quote.date)))  # noqa: B009
        except jinja2.TemplateError as exc:
            raise TemplateError(_describe(exc, name)) from exc
        notes = _fallback_notes(facts.language, language)
        lines = _quote_lines(quote) if quote is not None else []
        text = reply
        if lines:
            quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
            text = f"{reply}\n\n{intro}\n{quoted}"
        body_html = self._html(reply, language, intro, lines) if html else None
        return Rendered(name, language, reply, text + "\n", body_html, intro, notes)

    def render_followup(
        self,
        facts: FollowupFacts,
        *,
        default_language: str = FALLBACK,
        html: bool = True,
        cyrillic: bool = False,
    ) -> Rendered:
        """The follow-up a few days after the reply: did the fix work, how satisfied is the
        customer. Written in English where the language has no follow-up template."""
        language = self.language_for(facts.language, default_language)
        if not self._exists(f"{language}/{FOLLOWUP}.txt.j2"):
            language = FALLBACK
        name = f"{language}/{FOLLOWUP}.txt.j2"
        context = facts.context() | {"language": language}
        reply = self._render_text(self._env_for(language, cyrillic), name, context)
        body_html = self._html(reply, language, "", []) if html else None
        notes = _fallback_notes(facts.language, language)
        return Rendered(name, language, reply, reply + "\n", body_html, notes=notes)

    def _env_for(self, language: str, cyrillic: bool) -> jinja2.Environment:
        return self.cyrillic_env if cyrillic and language == "sr" else self.env

    def _render_text(self, env: jinja2.Environment, name: str, context: dict[str, object]) -> str:
        try:
            return _normalise(env.get_template(name).render(context))
        except jinja2.TemplateError as exc:
            raise TemplateError(_describe(exc, name)) from exc

    def _html(self, reply: str, language: str, intro: str, quote: Sequence[str]) -> str:
        paragraphs = [p.split("\n") for p in reply.split("\n\n")]
        layout = self.env.get_template("layout.html.j2")
        return layout.render(
            language=language,
            paragraphs=paragraphs,
            quote_intro=intro,
            quote_lines=list(quote),
        )

    def languages(self) -> list[str]:
        return [lang for lang in LANGUAGES if self._exists(f"{lang}/base.txt.j2")]

    def load_all(self) -> int:
        """Compile every template now rather than at its first draft (a daemon's start-up);
        returns how many. A template with a syntax error raises TemplateError."""
        names = self.env.list_templates(extensions=["j2"])
        for name in names:
            try:
                self.env.get_template(name)
                if name.startswith("sr/"):
                    self.cyrillic_env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(_describe(exc)) from exc
        return len(names)


def _environment(loader: jinja2.BaseLoader, *extensions: type[Extension]) -> jinja2.Environment:
    return jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=list(extensions),
    )


def _fallback_notes(requested: str, language: str) -> list[str]:
    if language == requested:
        return []
    return [f"no templates in {requested or 'the unknown language'}: written in {language}"]


def _describe(exc: jinja2.TemplateError, name: str | None = None) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = exc.filename or exc.name or name or "a template"
        return f"{where}, line {exc.lineno}: {exc.message}"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"template {exc.name} not found (needed by {name})"
    return f"{name}: {exc}"

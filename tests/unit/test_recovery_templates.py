"""Every built-in template renders in every language and passes its own lint."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from amends.config.schema import DEFAULT_LABELS, Config
from amends.drafting import check_templates
from outbox.errors import TemplateError
from outbox.lint import lint
from outbox.render import GESTURES, LANGUAGES, DraftFacts, Gesture, Quote, Templates

FAILURE_TYPES = [*sorted(set(DEFAULT_LABELS) - {"not_a_complaint"}), "generic"]
TEMPLATES = Templates()


def facts(language: str, failure_type: str, **changes: object) -> DraftFacts:
    base = DraftFacts(
        failure_type=failure_type,
        language=language,
        agent="Ana Petrović",
        company="Example Shop",
        gesture=Gesture("credit", "20 EUR"),
        customer_name="Jana Novak",
    )
    return DraftFacts(**(vars(base) | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_template(language: str) -> None:
    for name in [*FAILURE_TYPES, "base", "common"]:
        assert TEMPLATES.template_for(language, name) == f"{language}/{name}.txt.j2" or name in {
            "base",
            "common",
        }
    assert language in TEMPLATES.languages()


@pytest.mark.parametrize(
    ("language", "failure_type"), list(itertools.product(LANGUAGES, FAILURE_TYPES))
)
def test_renders_and_passes_the_lint(language: str, failure_type: str) -> None:
    variants = [
        {},
        {"severe": True},
        {"repeat": True},
        {"order": "4411", "amount": "49,90 EUR", "date": "3.11.2026"},
        {"customer_name": "", "order": "A-17", "subject": "Gdzie jest paczka?"},
    ]
    seen = set()
    for changes in variants:
        rendered = TEMPLATES.render(facts(language, failure_type, **changes), Quote("hi", "Jana"))
        assert rendered.template == f"{language}/{failure_type}.txt.j2"
        assert rendered.language == language
        assert "{{" not in rendered.text and "{%" not in rendered.text
        assert "None" not in rendered.reply
        assert lint(rendered.reply) == [], (language, failure_type, changes, rendered.reply)
        assert "Ana Petrović" in rendered.reply
        if "order" in changes:
            assert changes["order"] in rendered.reply or failure_type in {
                "account_or_data",
                "rude_staff",
                "no_response",
            }
        seen.add(rendered.reply)
    assert len(seen) >= 4, "severe, repeat and order must change the wording"


@pytest.mark.parametrize(("language", "kind"), list(itertools.product(LANGUAGES, GESTURES)))
def test_every_gesture_is_worded(language: str, kind: str) -> None:
    value = {"discount": "15", "credit": "20 EUR"}.get(kind)
    plain = TEMPLATES.render(facts(language, "delay"))
    rendered = TEMPLATES.render(facts(language, "delay", gesture=Gesture(kind, value)))
    assert rendered.reply != plain.reply or kind == "credit"
    if value:
        assert value in rendered.reply
    assert lint(rendered.reply) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_item_the_customer_keeps_is_not_collected(language: str) -> None:
    """With the keep_item gesture the draft must not also book a courier to fetch it."""
    kept = TEMPLATES.render(facts(language, "wrong_item", gesture=Gesture("keep_item", "")))
    returned = TEMPLATES.render(facts(language, "wrong_item"))
    courier = {"en": "courier", "ko": "택배", "pl": "kurier", "ro": "curier", "sl": "kurir"}
    word = courier.get(language, "kurir")
    assert word not in kept.reply.lower(), kept.reply
    assert word in returned.reply.lower()


@pytest.mark.parametrize("language", LANGUAGES)
def test_quote_intro_is_localised(language: str) -> None:
    rendered = TEMPLATES.render(
        facts(language, "delay"), Quote("line one\n\nline <two>", "Jana", "2026-11-03")
    )
    assert rendered.quote_intro and "Jana" in rendered.quote_intro
    assert rendered.text.endswith("> line one\n>\n> line <two>\n")
    assert rendered.html is not None and "line &lt;two&gt;" in rendered.html


def override_config(folder: Path) -> Config:
    return Config.model_validate({"drafts": {"templates_dir": str(folder)}})


def test_an_admin_override_replaces_one_file_and_is_linted(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "delay.txt.j2").write_text(
        '{% extends "en/base.txt.j2" %}\n{% block closing %}Is there anything else I can do?'
        "{% endblock %}\n{% block action %}I have sent it by express today.{% endblock %}\n"
    )
    templates = Templates(tmp_path)
    rendered = templates.render(facts("en", "delay"))
    assert "Is there anything else I can do?" in rendered.reply
    assert "Does this solution work" not in rendered.reply
    assert "To make up for this" in rendered.reply, "the rest comes from the built-in base"
    assert templates.render(facts("pl", "delay")).template == "pl/delay.txt.j2"
    _, problems = check_templates(override_config(tmp_path))
    assert problems == [
        "en/delay.txt.j2 (normal): anything_else",
        "en/delay.txt.j2 (normal): missing_satisfaction_question",
        "en/delay.txt.j2 (severe): anything_else",
        "en/delay.txt.j2 (severe): missing_satisfaction_question",
    ]


def test_a_broken_override_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "delay.txt.j2").write_text("line one\n{% if order %}\nno endif\n")
    with pytest.raises(TemplateError, match=r"en/delay.txt.j2, line \d"):
        Templates(tmp_path).render(facts("en", "delay"))
    with pytest.raises(TemplateError, match="is not a folder"):
        Templates(tmp_path / "missing")
    # Loading every template at a daemon's start finds it before any draft does.
    with pytest.raises(TemplateError, match=r"en/delay.txt.j2, line \d"):
        Templates(tmp_path).load_all()


def test_every_built_in_template_loads_up_front() -> None:
    templates = Templates()
    languages = templates.languages()
    assert templates.load_all() >= len(languages) * 12, "a template per failure type at least"


def test_unknown_language_and_failure_type_fall_back() -> None:
    rendered = TEMPLATES.render(facts("de", "delay"))
    assert rendered.language == "en" and rendered.template == "en/delay.txt.j2"
    assert rendered.notes == ["no templates in de: written in en"]
    assert TEMPLATES.render(facts("pl", "parking")).template == "pl/generic.txt.j2"
    assert TEMPLATES.render(facts("de", "delay"), default_language="sl").language == "sl"


def test_html_part_escapes_what_the_customer_wrote() -> None:
    rendered = TEMPLATES.render(
        facts("en", "delay", customer_name="<script>x</script>"),
        Quote("<img src=x onerror=alert(1)>", "<b>Eve</b>"),
    )
    assert rendered.html is not None
    assert "<script>" not in rendered.html and "<img" not in rendered.html
    assert "&lt;script&gt;" in rendered.html and "&lt;img src=x" in rendered.html

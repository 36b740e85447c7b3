"""The follow-up a few days after the reply renders in every language and passes the lint."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from outbox.lint import lint
from outbox.render import LANGUAGES, FollowupFacts, Templates, cyrillic_share

FAILURE_TYPES = [
    "wrong_item",
    "delay",
    "cancellation",
    "lost_item",
    "damaged_or_defective",
    "billing_error",
    "account_or_data",
    "website_or_app",
    "rude_staff",
    "no_response",
    "broken_promise",
]
UNKNOWN_TYPE = "something_new"  # worded by the generic branch
VARIANTS: list[dict[str, object]] = [
    {},
    {"severe": True},
    {"repeat": True},
    {"order": "4411"},
    {"customer_name": ""},
]
# The word a customer would write to stop further messages, as each template asks for it.
STOP = {"en": "stop", "sr": "stop", "sl": "stop", "pl": "stop", "ko": "중지", "ro": "stop"}
TEMPLATES = Templates()


def facts(language: str, failure_type: str = "delay", **changes: object) -> FollowupFacts:
    base = FollowupFacts(
        failure_type=failure_type,
        language=language,
        agent="Ana Petrović",
        company="Example Shop",
        customer_name="Jana Novak",
    )
    return FollowupFacts(**(vars(base) | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_kept_wrong_item_was_not_collected(language: str) -> None:
    """The reply let the customer keep the wrong item: the follow-up must not say a courier
    came for it, and must still recall the fix."""
    kept = TEMPLATES.render_followup(facts(language, "wrong_item", gesture="keep_item")).reply
    returned = TEMPLATES.render_followup(facts(language, "wrong_item", gesture="discount")).reply
    courier = {"en": "courier", "ko": "택배", "pl": "odbiór", "ro": "curier", "sl": "kurir"}
    word = courier.get(language, "kurir")
    assert word not in kept.lower(), kept
    assert word in returned.lower()
    assert lint(kept) == []


@pytest.mark.parametrize(
    ("language", "failure_type"),
    list(itertools.product(LANGUAGES, [*FAILURE_TYPES, UNKNOWN_TYPE])),
)
def test_renders_and_passes_the_lint(language: str, failure_type: str) -> None:
    plain = TEMPLATES.render_followup(facts(language, failure_type)).reply
    for changes in VARIANTS:
        rendered = TEMPLATES.render_followup(facts(language, failure_type, **changes))
        reply = rendered.reply
        assert rendered.template == f"{language}/followup.txt.j2"
        assert rendered.language == language and rendered.notes == []
        assert rendered.text == reply + "\n" and rendered.quote_intro == ""
        assert lint(reply) == [], (language, failure_type, changes, reply)
        assert "{{" not in reply and "{%" not in reply and "None" not in reply
        assert "1" in reply and "5" in reply, "the rating scale"
        assert STOP[language] in reply
        assert reply.endswith("Ana Petrović\nExample Shop") or reply.endswith(
            "Ana Petrović 드림\nExample Shop"
        )
        paragraphs = reply.split("\n\n")
        assert len(paragraphs) - 2 <= 4, "greeting, at most four short paragraphs, signature"
        if "order" in changes:
            assert "4411" in reply
        if changes.get("severe") or changes.get("repeat"):
            assert reply != plain and len(reply) > len(plain), "one more sentence"
        # Polish never puts the name into the vocative; the others greet by name.
        assert ("Jana Novak" in reply) == (language != "pl" and changes.get("customer_name") != "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_failure_type_has_its_own_wording(language: str) -> None:
    generic = TEMPLATES.render_followup(facts(language, UNKNOWN_TYPE, order="4411")).reply
    replies = {
        TEMPLATES.render_followup(facts(language, kind, order="4411")).reply
        for kind in FAILURE_TYPES
    }
    assert generic not in replies
    assert len(replies) == len(FAILURE_TYPES)


@pytest.mark.parametrize("changes", VARIANTS)
def test_serbian_in_cyrillic(changes: dict[str, object]) -> None:
    serbian = facts("sr", "lost_item", **({"order": "4411"} | changes))
    latin = TEMPLATES.render_followup(serbian)
    rendered = TEMPLATES.render_followup(serbian, cyrillic=True)
    assert cyrillic_share(latin.reply) < 0.1
    assert cyrillic_share(rendered.reply) > 0.8
    assert lint(rendered.reply) == [], rendered.reply
    assert "4411" in rendered.reply and "Ana Petrović" in rendered.reply
    assert rendered.html is not None and "4411" in rendered.html


def test_cyrillic_leaves_other_languages_alone() -> None:
    plain = TEMPLATES.render_followup(facts("sl"))
    assert TEMPLATES.render_followup(facts("sl"), cyrillic=True).reply == plain.reply


def test_html_part_escapes_the_customer_name() -> None:
    rendered = TEMPLATES.render_followup(facts("en", customer_name="<b>Ana</b>"))
    assert rendered.html is not None
    assert "<b>Ana</b>" not in rendered.html and "&lt;b&gt;Ana&lt;/b&gt;" in rendered.html
    assert rendered.html.count("<p>") == len(rendered.reply.split("\n\n"))
    assert "<blockquote" not in rendered.html
    assert TEMPLATES.render_followup(facts("en"), html=False).html is None


def test_unknown_language_falls_back_to_english() -> None:
    rendered = TEMPLATES.render_followup(facts("de", order="4411"))
    assert rendered.language == "en" and rendered.template == "en/followup.txt.j2"
    assert rendered.notes == ["no templates in de: written in en"]
    assert "4411" in rendered.reply and lint(rendered.reply) == []
    assert TEMPLATES.render_followup(facts("de"), default_language="sl").language == "sl"


def test_a_language_without_a_followup_template_is_written_in_english(tmp_path: Path) -> None:
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "base.txt.j2").write_text("Hallo {{ agent }}\n")
    templates = Templates(tmp_path)
    assert templates.language_for("de") == "de"
    rendered = templates.render_followup(facts("de"))
    assert rendered.language == "en" and rendered.template == "en/followup.txt.j2"
    assert rendered.notes == ["no templates in de: written in en"]

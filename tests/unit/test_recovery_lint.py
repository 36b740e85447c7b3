"""The recovery lint in every language: each banned phrase caught, each required one recognised."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbox.facts import extract_facts
from outbox.fold import _SPACES, _fold_each, fold, fold_mapped
from outbox.lint import CHECKS, _literal_first, lint, reply_text, summary
from outbox.phrases import BANNED, LANGUAGES, OPENERS, REQUIRED

GOOD_REPLY = """Dear Jane,

I'm sorry, and I understand how frustrating this must be.

You received a different item from the one you ordered with order 4411.

I have arranged for the correct item to be sent to you today.

Does this solution work for you?

Kind regards,
Ana"""

LANGS = sorted(LANGUAGES)


def codes(text: str) -> set[str]:
    return {f.code for f in lint(text)}


def test_a_good_reply_is_clean() -> None:
    assert lint(GOOD_REPLY) == []
    assert summary(lint(GOOD_REPLY)) == "ok"


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("name", BANNED + OPENERS)
def test_every_banned_example_is_flagged(language: str, name: str) -> None:
    examples = LANGUAGES[language].EXAMPLES.get(name, [])
    assert examples, f"{language}: no examples for {name}"
    code = CHECKS[name].code
    for sentence in examples:
        if name in OPENERS:
            text = GOOD_REPLY.replace("I'm sorry, and", sentence + " I'm sorry, and")
        else:
            text = GOOD_REPLY.replace("Does this solution", sentence + " Does this solution")
        assert code in codes(text), f"{language}: {sentence!r} not flagged as {code}"


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("name", REQUIRED)
def test_every_required_example_is_recognised(language: str, name: str) -> None:
    examples = LANGUAGES[language].EXAMPLES.get(name, [])
    assert examples, f"{language}: no examples for {name}"
    for sentence in examples:
        found = any(re.search(p, fold(sentence)) for p in getattr(LANGUAGES[language], name))
        assert found, f"{language}: {sentence!r} is not recognised as {name}"


PHRASES = [
    source
    for module in LANGUAGES.values()
    for name in BANNED + OPENERS + REQUIRED
    for source in getattr(module, name)
]
EXAMPLES = [
    fold(sentence)
    for module in LANGUAGES.values()
    for sentences in module.EXAMPLES.values()
    for sentence in sentences
]


PAIRS = [(re.compile(_literal_first(source)), re.compile(source)) for source in PHRASES]


def same_matches(text: str) -> None:
    for fast, full in PAIRS:
        one, other = fast.search(text), full.search(text)
        assert (one and one.span()) == (other and other.span()), (full.pattern, text)


def test_literal_first_phrases_find_what_the_phrases_find() -> None:
    rewritten = [s for s in PHRASES if _literal_first(s) != s]
    assert len(rewritten) > len(PHRASES) / 2, "most phrases start with bounded words"
    for example in EXAMPLES:
        same_matches(example)
        same_matches(f"x{example}")  # glued to a word before: no word boundary
        same_matches(f"x {example} y")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(EXAMPLES) | st.sampled_from([" ", "a", "_", "9", "-", "\n", "č"]),
        max_size=12,
    )
)
def test_literal_first_phrases_find_what_the_phrases_find_in_any_mix(pieces: list[str]) -> None:
    same_matches("".join(pieces))


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("name", BANNED + OPENERS + REQUIRED)
def test_every_pattern_has_an_example(language: str, name: str) -> None:
    module = LANGUAGES[language]
    examples = [fold(s) for s in module.EXAMPLES.get(name, [])]
    for pattern in getattr(module, name):
        assert any(re.search(pattern, e) for e in examples), (
            f"{language}.{name}: no example matches {pattern!r}"
        )


@pytest.mark.parametrize("language", LANGS)
def test_order_numbers_are_extracted(language: str) -> None:
    for sentence, expected in LANGUAGES[language].ORDER_EXAMPLES:
        assert expected in extract_facts(sentence).orders, sentence


@pytest.mark.parametrize(
    ("missing", "code"),
    [
        ("I'm sorry, and I understand how frustrating this must be.", "missing_apology"),
        ("Does this solution work for you?", "missing_satisfaction_question"),
        ("I have arranged for the correct item to be sent to you today.", "missing_action"),
    ],
)
def test_missing_parts_are_reported(missing: str, code: str) -> None:
    assert code in codes(GOOD_REPLY.replace(missing, ""))


def test_unfortunately_only_counts_as_the_opening() -> None:
    later = GOOD_REPLY.replace("Kind regards", "Unfortunately the old one is gone.\n\nKind regards")
    assert "unfortunately_opener" not in codes(later)
    opening = GOOD_REPLY.replace("I'm sorry", "Unfortunately, I'm sorry")
    assert "unfortunately_opener" in codes(opening)
    one_line = GOOD_REPLY.replace("Dear Jane,\n\n", "Dear Jane,\nUnfortunately the order is late. ")
    assert "unfortunately_opener" in codes(one_line)


def test_findings_quote_the_original_words() -> None:
    finding = next(f for f in lint(GOOD_REPLY + "\nIt’s  COMPANY Policy.") if f.code == "policy")
    assert finding.excerpt == "COMPANY Policy"


def test_quoted_customer_text_is_not_the_agents() -> None:
    text = (
        GOOD_REPLY + "\n\nOn 3 Nov, Jane wrote:\n> Unfortunately it is company policy, you said.\n"
    )
    assert reply_text(text) == GOOD_REPLY
    assert lint(reply_text(text)) == []


# Letters that fold to one, to two (ß, љ) or to none (a lone combining mark), one that folds
# to a space (¨), whitespace of several kinds and control characters.
# Only letters that fold to one letter: the fast way.
SAME_LENGTH_ALPHABET = "aZ4.,Čćłø한 \t\n\u00a0\u2003\x00\x85’“   "
FOLD_ALPHABET = "aZ4.,Čćđłø ß љЉž한国\u0301¨ \t\n\u00a0\u2003\u3000\x00\x85\x1f’“      "


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=FOLD_ALPHABET, max_size=30)
    | st.text(alphabet=SAME_LENGTH_ALPHABET, max_size=30)
    | st.text(max_size=30)
)
def test_folding_a_text_at_once_equals_folding_it_character_by_character(text: str) -> None:
    fast, slow = fold_mapped(text), _fold_each(text)
    assert str(fast) == str(slow)
    assert [fast.position(i) for i in range(len(fast))] == list(slow.origin)
    assert fast.origin == slow.origin


def test_every_space_and_control_character_separates_words() -> None:
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace() or chr(c) in _CONTROLS}
    assert spaces == set(_SPACES)


_CONTROLS = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]}


def test_folding_keeps_a_map_to_the_original() -> None:
    folded = fold_mapped("Извињавам  се, ŽAO mi je")
    assert str(folded) == "izvinjavam se, zao mi je"
    assert folded.original(0, 10) == "Извињавам"
    assert fold("한국어 입니다") == "한국어 입니다"

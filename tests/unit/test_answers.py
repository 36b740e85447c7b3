"""Reading a customer's answer to the follow-up: rating, whether the fix held, opt-out."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outbox.answer_phrases import LANGUAGES, PATTERN_LISTS
from outbox.answers import Answer, patterns, read_answer
from outbox.fold import fold

LANGS = sorted(LANGUAGES)

# (answer, language, rating, fix_held, opt_out)
ANSWERS: list[tuple[str, str | None, int | None, bool | None, bool]] = [
    # English
    ("5", "en", 5, None, False),
    ("2.", "en", 2, None, False),
    ("I'd say 4", "en", 4, None, False),
    ("4/5", "en", 4, None, False),
    ("4 / 5", "en", 4, None, False),
    ("4 out of 5", "en", 4, None, False),
    ("8/10", "en", 4, None, False),
    ("7/10, the delivery was slow", "en", 4, None, False),
    ("★★★★☆", "en", 4, None, False),
    ("****", "en", 4, None, False),
    ("⭐⭐⭐", "en", 3, None, False),
    ("Five stars!", "en", 5, None, False),
    ("Score: 3", "en", 3, None, False),
    ("Yes, all good now. Thank you!", "en", None, True, False),
    ("Yes it arrived and it works. I'd give it a 5.", "en", 5, True, False),
    ("It still hasn't arrived.", "en", None, False, False),
    ("No, still not working.", "en", None, False, False),
    ("The replacement arrived but it doesn't work either.", "en", None, False, False),
    ("Yes it arrived. But it doesn't work.", "en", None, False, False),
    ("Didn't work at first, but it works now.", "en", None, True, False),
    ("Not satisfied. It took three weeks.", "en", None, False, False),
    ("Very satisfied, thanks!", "en", None, True, False),
    ("Very satisfied, 5", "en", 5, None, False),
    ("No problem, it works now.", "en", None, True, False),
    ("Not yet.", "en", None, False, False),
    ("I give it 2 because it's still noisy", "en", 2, None, False),
    ("4 out of 5. The box was damaged but the blender works.", "en", 4, True, False),
    ("Order 4411 arrived on 3.11., 2 days later than promised. Works.", "en", None, True, False),
    ("It won't stop leaking.", "en", None, False, False),
    ("STOP", "en", None, None, True),
    ("Stop.", "en", None, None, True),
    ("Please stop emailing me.", "en", None, None, True),
    ("Unsubscribe", "en", None, None, True),
    ("Thanks, but please remove me from your list.", "en", None, None, True),
    ("Don't contact me again. Still broken, by the way.", "en", None, False, True),
    ("STOP\n\nSent from my iPhone", "en", None, None, True),
    ("Thanks for asking.\n4\nBest, Ana", "en", 4, None, False),
    ("The parcel was left at the bus stop, but it works fine now.", "en", None, True, False),
    # Serbian, both scripts
    ("Да, све ради. Оцена 5.", "sr", 5, True, False),
    ("Не ради, и даље.", "sr", None, False, False),
    ("Још није стигло.", "sr", None, False, False),
    ("Još nije stiglo.", "sr", None, False, False),
    ("Da, sve je u redu. Dajem vam peticu!", "sr", 5, True, False),
    ("Nisam zadovoljan, kasnilo je dve nedelje.", "sr", None, False, False),
    ("Zadovoljna sam.", "sr", None, True, False),
    ("Оцена: 3", "sr", 3, None, False),
    ("4 od 5, kurir je kasnio.", "sr", 4, None, False),
    ("Stiglo je 15. 3. i radi.", "sr", None, True, False),
    ("Porudžbina 4411 je stigla 3. 11. ali ne radi.", "sr", None, False, False),
    ("Нема проблема, све ради.", "sr", None, True, False),
    ("Čista petica!", "sr", 5, None, False),
    ("Pet.", "sr", 5, None, False),
    ("Stop", "sr", None, None, True),
    ("СТОП", "sr", None, None, True),
    ("Ne pišite mi više.", "sr", None, None, True),
    ("Одјави ме.", "sr", None, None, True),
    ("Radi se o tome da novi stiže tek sutra. Ocena 3.", "sr", 3, None, False),
    # Slovenian
    ("Da, vse deluje.", "sl", None, True, False),
    ("Ne deluje.", "sl", None, False, False),
    ("Še ni prispelo.", "sl", None, False, False),
    ("Ni v redu.", "sl", None, False, False),
    ("Zelo sem zadovoljna, ocena 5.", "sl", 5, None, False),
    ("Paket je prispel, ampak ne deluje.", "sl", None, False, False),
    ("Nisem zadovoljen.", "sl", None, False, False),
    ("Ne pišite mi več.", "sl", None, None, True),
    ("Odjava", "sl", None, None, True),
    ("Dam štirico.", "sl", 4, None, False),
    # Polish
    ("Tak, działa.", "pl", None, True, False),
    ("Nie działa.", "pl", None, False, False),
    ("Nadal nie.", "pl", None, False, False),
    ("Nie jestem zadowolona.", "pl", None, False, False),
    ("Jestem zadowolony, daję piątkę.", "pl", 5, None, False),
    ("4 z 5", "pl", 4, None, False),
    ("Ocena 4, bo kurier się spóźnił.", "pl", 4, None, False),
    ("No tak, wszystko w porządku.", "pl", None, True, False),
    ("Paczka dotarła 3.11., ale nadal nie działa.", "pl", None, False, False),
    ("Nie ma problemu, działa.", "pl", None, True, False),
    ("Proszę nie pisać.", "pl", None, None, True),
    ("Wypisz mnie.", "pl", None, None, True),
    ("STOP", "pl", None, None, True),
    ("Zamówiłam 2 blendery, przyszedł jeden, i to uszkodzony.", "pl", None, False, False),
    # Korean
    ("네, 잘 됩니다.", "ko", None, True, False),
    ("해결되었습니다. 5점 드립니다.", "ko", 5, True, False),
    ("아니요, 아직 안 왔습니다.", "ko", None, False, False),
    ("여전히 작동하지 않습니다.", "ko", None, False, False),
    ("만족하지 않습니다.", "ko", None, False, False),
    ("매우 만족합니다.", "ko", None, True, False),
    ("5점", "ko", 5, None, False),
    ("5점 만점에 4점", "ko", 4, None, False),
    ("10점 만점에 8점입니다.", "ko", 4, None, False),
    ("별 다섯 개", "ko", 5, None, False),
    ("도착했지만 작동하지 않습니다.", "ko", None, False, False),
    ("의류 3점 주문했는데 아직 안 왔어요.", "ko", None, False, False),
    ("작동이 중지되었습니다.", "ko", None, False, False),
    ("중지", "ko", None, None, True),
    ("수신 거부", "ko", None, None, True),
    ("그만 보내세요.", "ko", None, None, True),
    ("연락하지 마세요.", "ko", None, None, True),
    # Romanian
    ("Da, totul funcționează.", "ro", None, True, False),
    ("Nu funcționează.", "ro", None, False, False),
    ("Tot nu a ajuns.", "ro", None, False, False),
    ("Nu sunt mulțumit.", "ro", None, False, False),
    ("Sunt foarte mulțumită, nota 5.", "ro", 5, None, False),
    ("4 din 5", "ro", 4, None, False),
    ("Coletul a ajuns, dar nu funcționează.", "ro", None, False, False),
    ("Mulțumesc, totul e în regulă!", "ro", None, True, False),
    ("Dezabonare", "ro", None, None, True),
    ("Nu-mi mai scrieți.", "ro", None, None, True),
    ("Stop.", "ro", None, None, True),
    # Mixed languages and layouts
    ("Yes! Sve radi, hvala. 5/5", None, 5, True, False),
    ("All good, 5", None, 5, True, False),
    ("5 - all good", None, 5, True, False),
    ("- 4", None, 4, None, False),
    ("5 :)", None, 5, None, False),
    ("(3)", None, 3, None, False),
    ("Hi,\n\nYes, it works now.\n\nRegards,\nJohn", None, None, True, False),
]


@pytest.mark.parametrize(("text", "language", "rating", "fix_held", "opt_out"), ANSWERS)
def test_answers_are_read(
    text: str, language: str | None, rating: int | None, fix_held: bool | None, opt_out: bool
) -> None:
    answer = read_answer(text, language)
    assert (answer.rating, answer.fix_held, answer.opt_out) == (rating, fix_held, opt_out), answer
    assert answer.understood
    assert len(answer.evidence) <= 80


@pytest.mark.parametrize(
    "text",
    [
        "order 4411",
        "My order 4411 came on 3.11.",
        "on 3.11.",
        "It came 2 days later.",
        "2 days later",
        "The courier came at 5 pm.",
        "at 5 pm",
        "You refunded 20 EUR.",
        "20 EUR",
        "1st of May",
        "I ordered 2 blenders.",
        "Call me on +381 64 123 4567.",
        "It arrived on 3/5/2025.",
        "It arrived on 3/5.",
        "Give it 2 more days.",
        "3 out of 5 parcels arrived.",
        "Dostava je kasnila 3 dana.",
        "Zamówiłam 2 sztuki.",
        "Coletul a venit în 3 zile.",
        "Stiglo je 3. 11.",
        "It came on Nov. 3. Thanks.",
        "1. The parcel was late.\n2. The lid was cracked.",
        "의류 3점 주문했습니다.",
        "2시에 왔어요.",
        "Nota 10",
        "Paket je prispel ob 5.",
        "Invoice 2026-0042",
    ],
)
def test_numbers_that_are_not_ratings(text: str) -> None:
    assert read_answer(text).rating is None


@pytest.mark.parametrize(
    "text",
    [
        "Thank you for writing.",
        "I have a question about another order.",
        "Pišem radi reklamacije.",  # "radi" as "because of", not "it works"
        "Imam veliko dela.",  # Slovenian "dela" as "work to do"
        "Would be happy if it worked.",
        "5%",
        "5 €",
        "Qty: 2",
        "☆☆☆☆☆",
        "* first point\n* second point",
    ],
)
def test_answers_that_say_nothing(text: str) -> None:
    assert read_answer(text) == Answer(None, None, False, "")


@pytest.mark.parametrize("text", ["the bus stop", "It won't stop leaking.", "Stop sign"])
def test_stop_inside_a_sentence_is_not_an_opt_out(text: str) -> None:
    assert not read_answer(text).opt_out


def test_the_first_clear_rating_wins() -> None:
    assert read_answer("4/5, maybe 3").rating == 4
    assert read_answer("Rating: 8/10. Ocena 2.").rating == 4
    assert read_answer("Thanks.\n\n3\n\n5/5 next time").rating == 3


def test_ratings_on_a_scale_of_ten_are_rounded_half_up() -> None:
    scaled = {f"{n}/10": read_answer(f"{n}/10").rating for n in range(11)}
    assert scaled == {
        "0/10": 1, "1/10": 1, "2/10": 1, "3/10": 2, "4/10": 2, "5/10": 3,
        "6/10": 3, "7/10": 4, "8/10": 4, "9/10": 5, "10/10": 5,
    }  # fmt: skip
    assert read_answer("Eight out of ten").rating is None  # no number word for 8
    assert read_answer("Ten out of ten!").rating == 5
    assert read_answer("12/10").rating is None
    assert read_answer("4.5/5").rating == 5


def test_language_breaks_a_tie() -> None:
    # Polish "no dobrze" is "well, all right"; an English "no" is a no.
    assert read_answer("No dobrze.", "pl").fix_held is True
    assert read_answer("No dobrze.", "en").fix_held is False
    assert read_answer("No dobrze.", "pl-PL").fix_held is True
    # Without a language the cautious reading wins.
    assert read_answer("No dobrze.").fix_held is False


def test_a_statement_outweighs_a_bare_answer_and_a_feeling() -> None:
    assert read_answer("Yes.\nBut the new one still doesn't work.").fix_held is False
    assert read_answer("Not happy about the wait. Works now though.").fix_held is True
    assert read_answer("Yes, thanks. Not happy with the wait.").fix_held is False


def test_evidence_quotes_the_words_as_written() -> None:
    answer = read_answer("Да, све ради. Оцена 5.")
    assert "све ради" in answer.evidence and "Оцена 5" in answer.evidence
    assert read_answer("Hmm.\n   4  \n").evidence == "4"
    assert read_answer("Thank you.").evidence == ""
    long = read_answer("It still hasn't arrived. " + "x" * 100 + " STOP. 4/5")
    assert len(long.evidence) <= 80


def test_a_long_answer_is_read_from_its_start() -> None:
    text = "Yes, it works now.\n\n" + "We had a lovely time with the blender. " * 600
    assert len(text) > 20_000
    assert read_answer(text) == Answer(None, True, False, "it works now")
    assert not read_answer("x " * 5_000 + "STOP").opt_out


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_satisfied_follows_the_rating(rating: int) -> None:
    for fix_held in (True, False, None):
        answer = Answer(rating, fix_held, False, "")
        assert answer.satisfied() is (rating >= 4)
        assert answer.satisfied(4) is (rating >= 4)
        assert answer.satisfied(satisfied_from=3) is (rating >= 3)


def test_satisfied_without_a_rating_is_whether_the_fix_held() -> None:
    assert Answer(None, True, False, "").satisfied() is True
    assert Answer(None, False, False, "").satisfied(3) is False
    assert Answer(None, None, True, "").satisfied() is None
    assert Answer(None, None, True, "").understood
    assert not Answer(None, None, False, "").understood
    assert not read_answer("Thank you for writing.").understood


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("name", PATTERN_LISTS)
def test_every_pattern_has_an_example(language: str, name: str) -> None:
    module = LANGUAGES[language]
    examples = [fold(s) for s in module.EXAMPLES.get(name, [])]
    compiled = patterns(language, name)
    assert len(compiled) == len(getattr(module, name))
    for source, pattern in zip(getattr(module, name), compiled, strict=True):
        assert any(pattern.search(e) for e in examples), (
            f"{language}.{name}: no example matches {source!r}"
        )


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("name", PATTERN_LISTS)
def test_every_example_is_recognised(language: str, name: str) -> None:
    examples = LANGUAGES[language].EXAMPLES.get(name, [])
    compiled = patterns(language, name)
    if compiled:
        assert examples, f"{language}: no examples for {name}"
    for sentence in examples:
        assert any(p.search(fold(sentence)) for p in compiled), (
            f"{language}: {sentence!r} is not recognised as {name}"
        )


# What reading an example of each list must give, as (field, value).
EXPECTED = {
    "YES": ("fix_held", True),
    "POSITIVE": ("fix_held", True),
    "SATISFIED": ("fix_held", True),
    "NO": ("fix_held", False),
    "NEGATIVE": ("fix_held", False),
    "DISSATISFIED": ("fix_held", False),
    "OPT_OUT": ("opt_out", True),
}


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_example_reads_as_its_list_says(language: str, name: str) -> None:
    field, value = EXPECTED[name]
    for sentence in LANGUAGES[language].EXAMPLES[name]:
        answer = read_answer(sentence, language)
        assert getattr(answer, field) is value, f"{language}: {sentence!r} read as {answer}"


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("name", ["RATING_CUES", "NUMBER_WORDS"])
def test_every_rating_example_gives_a_rating(language: str, name: str) -> None:
    for sentence in LANGUAGES[language].EXAMPLES[name]:
        assert read_answer(sentence, language).rating is not None, f"{language}: {sentence!r}"


@pytest.mark.parametrize("language", LANGS)
def test_every_number_word_is_read(language: str) -> None:
    module = LANGUAGES[language]
    examples = [fold(s) for s in module.EXAMPLES["NUMBER_WORDS"]]
    for word, value in module.NUMBER_WORDS.items():
        assert word == fold(word), f"{language}: {word!r} is not folded"
        # Korean endings attach to the word ("만점입니다"), so only Latin letters end it.
        assert any(re.search(rf"(?<!\w){re.escape(word)}(?![a-z0-9])", e) for e in examples), (
            f"{language}: no example for {word!r}"
        )
        expected = value if 1 <= value <= 5 else None
        assert read_answer(word).rating == expected, f"{language}: {word!r}"


def test_number_words_agree_across_languages() -> None:
    seen: dict[str, tuple[str, int]] = {}
    for language, module in LANGUAGES.items():
        for word, value in module.NUMBER_WORDS.items():
            other = seen.setdefault(word, (language, value))
            assert other[1] == value, f"{word!r}: {other[0]} says {other[1]}, {language} {value}"


@pytest.mark.parametrize("language", LANGS)
def test_an_abbreviation_does_not_end_a_sentence(language: str) -> None:
    for abbreviation in LANGUAGES[language].ABBREVIATIONS:
        assert abbreviation == fold(abbreviation)
        assert read_answer(f"Came {abbreviation}. 3").rating is None, abbreviation


_PIECES = [s for m in LANGUAGES.values() for v in m.EXAMPLES.values() for s in v] + [
    "4/5", "★★☆", "****", "10/10", "0/5", "5점", "\n", ". ", "1.", "2)", "order 4411", "3.11.",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(st.sampled_from(_PIECES) | st.text(max_size=5)).map(" ".join),
        st.text(alphabet="0123456789/.,:-*★☆⭐\ufe0f점 \n\tabstopné"),
    ),
    st.sampled_from([None, "", "en", "sr-Latn", "ko", "xx", "pl_PL"]),
)
def test_read_answer_never_raises(text: str, language: str | None) -> None:
    answer = read_answer(text, language)
    assert answer.rating is None or 1 <= answer.rating <= 5
    assert answer.fix_held in (True, False, None)
    assert isinstance(answer.opt_out, bool)
    assert len(answer.evidence) <= 80

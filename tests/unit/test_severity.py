"""Complaint severity: threats, repeat failures, shouting and exclamations in six languages."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import severity
from classifier.bootstrap import corpus_files
from classifier.severity import (
    DEFAULT_SEVERE_AT,
    EVIDENCE_CHARS,
    MAX_BODY_CHARS,
    SeverityAssessment,
    SeverityReason,
    assess_severity,
)

KINDS = {
    "cancel_threat",
    "legal_threat",
    "chargeback_threat",
    "public_threat",
    "repeat",
    "capitals",
    "exclamations",
}


def kinds(body: str, subject: str = "") -> set[str]:
    return {r.kind for r in assess_severity(subject, body).reasons}


def reason(body: str, kind: str) -> SeverityReason:
    found = [r for r in assess_severity("", body).reasons if r.kind == kind]
    assert found, f"no {kind} in {assess_severity('', body)}"
    return found[0]


# (sentence, the one phrase kind it must fire); one block per language and script.
FIRES = [
    # English
    ("If this isn't fixed by Friday I will cancel my subscription.", "cancel_threat"),
    ("I'm cancelling my account today.", "cancel_threat"),
    ("I’ll take my business elsewhere.", "cancel_threat"),
    ("We are switching to another provider next month.", "cancel_threat"),
    ("This is the last time I order from you.", "cancel_threat"),
    ("You have just lost a loyal customer.", "cancel_threat"),
    ("My lawyer will be in touch.", "legal_threat"),
    ("I will sue you for this.", "legal_threat"),
    ("I am reporting this to the consumer protection authority.", "legal_threat"),
    ("I have filed a police report.", "legal_threat"),
    ("I'll be escalating this to the ombudsman.", "legal_threat"),
    ("See you in small claims court.", "legal_threat"),
    ("I will dispute the charge with my bank.", "chargeback_threat"),
    ("I'm filing a chargeback with Visa.", "chargeback_threat"),
    ("I'll call my credit card company tomorrow morning.", "chargeback_threat"),
    ("I'll post about this on social media.", "public_threat"),
    ("I'm going to tell everyone I know.", "public_threat"),
    ("I will be leaving a one-star review.", "public_threat"),
    ("Next step: I contact the press.", "public_threat"),
    # Serbian, Latin with diacritics
    ("Raskinuću ugovor ako ovo ne rešite do petka.", "cancel_threat"),
    ("Otkazujem pretplatu od sledećeg meseca.", "cancel_threat"),
    ("Prelazim kod konkurencije.", "cancel_threat"),
    ("Tužiću vas zbog ovoga.", "legal_threat"),
    ("Moj advokat će vas kontaktirati.", "legal_threat"),
    ("Prijaviću vas tržišnoj inspekciji.", "legal_threat"),
    ("Osporiću transakciju kod banke.", "chargeback_threat"),
    ("Obratiću se svojoj banci da vrati novac.", "chargeback_threat"),
    ("Objaviću sve na društvenim mrežama.", "public_threat"),
    # Serbian, Latin typed without diacritics
    ("Raskinucu ugovor ako ovo ne resite do petka.", "cancel_threat"),
    ("Tuzicu vas zbog ovoga.", "legal_threat"),
    ("Objavicu sve na drustvenim mrezama.", "public_threat"),
    ("Javicu se novinarima.", "public_threat"),
    # Serbian, Cyrillic
    ("Раскинућу уговор ако ово не решите до петка.", "cancel_threat"),
    ("Тужићу вас због овога.", "legal_threat"),
    ("Обратићу се организацији за заштиту потрошача.", "legal_threat"),
    ("Оспорићу трансакцију код банке.", "chargeback_threat"),
    ("Објавићу све на друштвеним мрежама.", "public_threat"),
    # Slovenian, with and without diacritics
    ("Če tega ne uredite, bom odpovedal naročnino.", "cancel_threat"),
    ("Ce tega ne uredite, bom odpovedal narocnino.", "cancel_threat"),
    ("Prestopil bom h konkurenci.", "cancel_threat"),
    ("Zadevo bom predal odvetniku.", "legal_threat"),
    ("Vložil bom tožbo.", "legal_threat"),
    ("Vlozil bom tozbo.", "legal_threat"),
    ("Prijavil bom na tržni inšpektorat.", "legal_threat"),
    ("Obrnil se bom na banko.", "chargeback_threat"),
    ("Objavil bom na družbenih omrežjih.", "public_threat"),
    ("Objavil bom na druzbenih omrezjih.", "public_threat"),
    # Polish, with and without diacritics
    ("Zrezygnuję z usług, jeśli tego nie naprawicie.", "cancel_threat"),
    ("Zrezygnuje z uslug, jesli tego nie naprawicie.", "cancel_threat"),
    ("Wypowiem umowę.", "cancel_threat"),
    ("Wypowiem umowe.", "cancel_threat"),
    ("Przechodzę do konkurencji.", "cancel_threat"),
    ("Sprawę skieruję do sądu.", "legal_threat"),
    ("Sprawe skieruje do sadu.", "legal_threat"),
    ("Zgłoszę to do UOKiK.", "legal_threat"),
    ("Złożę reklamację w moim banku.", "chargeback_threat"),
    ("Zloze reklamacje w moim banku.", "chargeback_threat"),
    ("Zlecę obciążenie zwrotne.", "chargeback_threat"),
    ("Nagłośnię tę sprawę.", "public_threat"),
    ("Naglosnie te sprawe.", "public_threat"),
    ("Opiszę wszystko na Facebooku.", "public_threat"),
    # Korean
    ("해결 안 되면 해지하겠습니다.", "cancel_threat"),
    ("다른 통신사로 옮기겠습니다.", "cancel_threat"),
    ("회원 탈퇴할 겁니다.", "cancel_threat"),
    ("소송을 진행하겠습니다.", "legal_threat"),
    ("변호사와 상의하겠습니다.", "legal_threat"),
    ("한국소비자원에 신고하겠습니다.", "legal_threat"),
    ("공정위에 민원 넣겠습니다.", "legal_threat"),
    ("카드사에 이의제기하겠습니다.", "chargeback_threat"),
    ("차지백 신청할 겁니다.", "chargeback_threat"),
    ("인터넷에 올리겠습니다.", "public_threat"),
    ("언론에 제보하겠습니다.", "public_threat"),
    ("리뷰에 그대로 남기겠습니다.", "public_threat"),
    # Romanian: comma-below, cedilla and no diacritics
    ("Dacă nu rezolvați problema, voi rezilia contractul.", "cancel_threat"),
    ("Daca nu rezolvati problema, voi rezilia contractul.", "cancel_threat"),
    ("Renunț la abonament.", "cancel_threat"),
    ("Renunţ la abonament.", "cancel_threat"),
    ("Renunt la abonament.", "cancel_threat"),
    ("Vă voi da în judecată.", "legal_threat"),
    ("Va voi da in judecata.", "legal_threat"),
    ("Voi depune plângere la ANPC.", "legal_threat"),
    ("Voi contesta tranzacția la bancă.", "chargeback_threat"),
    ("Voi contesta tranzactia la banca.", "chargeback_threat"),
    ("O să scriu pe rețelele sociale.", "public_threat"),
    ("O sa scriu pe retelele sociale.", "public_threat"),
    ("O să scriu pe reţelele sociale.", "public_threat"),
]


@pytest.mark.parametrize(("body", "kind"), FIRES)
def test_threats_fire(body: str, kind: str) -> None:
    assert kind in kinds(body)


REPEATS = [
    ("This is the third time my parcel has been lost.", 0.25),
    ("For the second time the driver did not ring.", 0.25),
    ("I still haven't received my refund.", 0.25),
    ("How many times do I have to ask?", 0.25),
    ("It broke again.", 0.1),
    ("Ovo je treći put da paket kasni.", 0.25),
    ("Ovo je treci put da paket kasni.", 0.25),
    ("Још увек нисам добио поруџбину.", 0.25),
    ("Paket opet kasni.", 0.1),
    ("To je že tretjič, da paket zamuja.", 0.25),
    ("Se vedno nisem dobil paketa.", 0.25),
    ("To już trzeci raz, kiedy paczka nie dotarła.", 0.25),
    ("To juz trzeci raz, kiedy paczka nie dotarla.", 0.25),
    ("Nadal nie otrzymałem zwrotu.", 0.25),
    ("Paczka znowu nie dotarła.", 0.1),
    ("벌써 세 번째입니다.", 0.25),
    ("몇 번째 연락드리는지 모르겠네요.", 0.25),
    ("아직도 환불이 안 됐어요.", 0.25),
    ("또 고장났어요.", 0.1),
    ("Este a treia oară când comanda întârzie.", 0.25),
    ("Este a treia oara cand comanda intarzie.", 0.25),
    ("Încă nu am primit banii.", 0.25),
    ("Coletul a întârziat din nou.", 0.1),
]


@pytest.mark.parametrize(("body", "weight"), REPEATS)
def test_repeat_failure_wording(body: str, weight: float) -> None:
    assert reason(body, "repeat").weight == weight


# Calm complaints, questions about cancelling, and words that only look like a signal.
CALM = [
    "How do I cancel my order?",
    "What is your refund policy?",
    "Can I close my account?",
    "Hello, I would like to know how to cancel my subscription. Thank you!",
    "Should I just take my business elsewhere?",
    "I will not cancel my subscription, I just want the invoice corrected.",
    "Hello, my parcel arrived with a dented corner. Could you send a replacement? Thanks.",
    "Thanks again for your quick help last week.",
    "I read some bad reviews before ordering, but the product is fine.",
    "The voltage regulator in the charger is faulty.",
    "I need an instant refund confirmation for my accountant.",
    "Sue from your accounts team promised a callback.",
    "I'll go online and check the tracking myself.",
    "I will make the payment online tomorrow.",
    "As a lawyer myself, I appreciate a clear invoice.",
    "Kako da otkažem pretplatu?",
    "Paket je stigao oštećen, molim vas za zamenu.",
    "Ne bom odpovedal naročnine, samo popravite račun.",
    "Не отказујем претплату, само исправите рачун.",
    "Nie zrezygnuję z usług, proszę tylko o korektę faktury.",
    "Jak zrezygnować z subskrypcji?",
    "Paczka przyszła uszkodzona, proszę o wymianę.",
    "해지하려면 어떻게 해야 하나요?",
    "고소한 맛이 정말 좋아요.",
    "다시는 이런 일이 없도록 해 주세요.",
    "Care este politica de retur?",
    "Voi face plata online mâine.",
    "Nu reziliez contractul, vreau doar factura corectă.",
    "Coletul a ajuns deteriorat, vă rog să îl înlocuiți.",
]


@pytest.mark.parametrize("body", CALM)
def test_calm_mail_scores_zero(body: str) -> None:
    assessment = assess_severity("Question about my order", body)
    assert assessment == SeverityAssessment(0.0, ())


def test_question_with_indignation_is_not_a_question() -> None:
    assert "cancel_threat" in kinds("Fix it or I will cancel my subscription?!")


# --- Capitals and exclamation marks -----------------------------------------------------------


def test_shouting_in_capitals() -> None:
    body = "WHERE IS MY REFUND. I HAVE BEEN WAITING THREE WEEKS AND NOBODY ANSWERS."
    found = reason(body, "capitals")
    assert found.weight == 0.2
    assert found.evidence.endswith("% capitals")
    assert str(found) == f"shouting in capitals: {found.evidence}"


def test_shouting_in_cyrillic() -> None:
    assert "capitals" in kinds("ОВО ЈЕ НЕПРИХВАТЉИВО, ГДЕ ЈЕ МОЈ НОВАЦ, НИКО НЕ ОДГОВАРА")


@pytest.mark.parametrize(
    "body",
    [
        "Your courier left ORDER AB-4411 at the wrong address.",
        "ORDER AB-4411 REF XK7Q-22 INV-2024-0091",
        "The VAT on the SMS bundle and my PIN reset for the IBAN transfer are wrong, see FAQ.",
        "NASA USA VAT SMS PIN IBAN GDPR",
        "Please check the REFUND for order 5512.",
        "환불이 아직 처리되지 않았습니다. 확인 부탁드립니다.",
    ],
)
def test_codes_acronyms_and_hangul_are_not_shouting(body: str) -> None:
    assert "capitals" not in kinds(body)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["WHERE", "ОВО", "NEPRIHVATLJIVO", "ǅEMAL", "İSTANBUL", "환불이", "𝐀𝐁𝐂𝐃𝐄"])
        | st.text(alphabet="AaBŠšЖж𝐀𝐚ǅ가1_- !.", max_size=12),
        max_size=20,
    ).map(" ".join)
)
def test_the_quick_look_for_capitals_misses_no_shouting(text: str) -> None:
    assert severity._shouting(text) == severity._count_shouting(text)


def test_exclamation_run() -> None:
    found = reason("Where is my parcel!!!", "exclamations")
    assert (found.evidence, found.weight) == ("!!!", 0.15)


def test_full_width_exclamation_run() -> None:
    assert "exclamations" in kinds("환불해 주세요！！")


def test_exclamation_density() -> None:
    found = reason("Unacceptable! Refund me! Now! Today!", "exclamations")
    assert found.evidence == "4 exclamation marks in 5 words"


def test_few_exclamations_in_a_long_mail_are_calm() -> None:
    body = "Hello! " + "The parcel was late and the box was dented. " * 20 + "Thanks! Bye!"
    assert "exclamations" not in kinds(body)


# --- Score, ordering and evidence -------------------------------------------------------------


def test_score_is_capped_at_one() -> None:
    body = (
        "This is the third time!!! My lawyer will contact you, I will dispute the charge "
        "with my bank, I am cancelling my account and I'll post this on Twitter."
    )
    assessment = assess_severity("UNACCEPTABLE SERVICE", body)
    assert assessment.score == 1.0
    assert {r.kind for r in assessment.reasons} >= KINDS - {"capitals"}
    assert sum(r.weight for r in assessment.reasons) > 1.0


def test_reasons_are_strongest_first() -> None:
    body = "Again my order is late!! I'll post this on Twitter. I am cancelling my subscription."
    assessment = assess_severity("", body)
    # Equal weights keep a fixed order: cancelling before going public.
    assert [(r.kind, r.weight) for r in assessment.reasons] == [
        ("cancel_threat", 0.35),
        ("public_threat", 0.35),
        ("exclamations", 0.15),
        ("repeat", 0.1),
    ]
    assert assessment.score == 0.95


def test_each_kind_counts_once() -> None:
    body = "My lawyer and my attorney will sue you, see you in court. Third time, yet again!"
    assessment = assess_severity("", body)
    assert [r.kind for r in assessment.reasons].count("legal_threat") == 1
    assert [r.kind for r in assessment.reasons].count("repeat") == 1


def test_strong_repeat_beats_weak_repeat() -> None:
    assert reason("Again, for the third time, nothing arrived.", "repeat").evidence == "third time"


@pytest.mark.parametrize(
    ("body", "kind", "evidence"),
    [
        ("Honestly, MY LAWYER will be in touch.", "legal_threat", "MY LAWYER"),
        ("Раскинућу уговор ако не решите.", "cancel_threat", "Раскинућу уговор"),
        ("Raskinucu ugovor ako ne resite.", "cancel_threat", "Raskinucu ugovor"),
        ("Zadevo bom predal odvetniku.", "legal_threat", "odvetniku"),
        ("Sprawę skieruję do sądu.", "legal_threat", "do sądu"),
        ("Renunţ la abonament.", "cancel_threat", "Renunţ la abonament"),
        ("해결 안 되면 해지하겠습니다.", "cancel_threat", "해지하겠습니다"),
        ("I’ll take my\n  business elsewhere.", "cancel_threat", "take my business elsewhere"),
    ],
)
def test_evidence_quotes_the_customer(body: str, kind: str, evidence: str) -> None:
    assert reason(body, kind).evidence == evidence


def test_evidence_is_trimmed() -> None:
    body = "I will post this whole incredibly disappointing experience on Twitter"
    found = reason(body, "public_threat")
    assert len(found.evidence) <= EVIDENCE_CHARS
    assert found.evidence.endswith("…")


def test_reason_reads_as_a_sentence() -> None:
    assert str(reason("I will ask my lawyer.", "legal_threat")) == (
        "threatens legal action: “my lawyer”"
    )
    assert str(SeverityReason("exclamations", "!!", 0.15)) == "exclamation marks: !!"


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown severity reason kind"):
        SeverityReason("rudeness", "x", 0.1)


def test_subject_counts() -> None:
    assert kinds("", subject="Third time my order is late") == {"repeat"}


def test_is_severe_uses_the_threshold() -> None:
    assessment = assess_severity("", "I will cancel my subscription. Still not fixed.")
    assert assessment.score == 0.6
    assert assessment.is_severe(DEFAULT_SEVERE_AT)
    assert assessment.is_severe(0.6)
    assert not assessment.is_severe(0.61)
    assert DEFAULT_SEVERE_AT == 0.5


def test_results_are_frozen() -> None:
    assessment = assess_severity("", "My lawyer will call.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        assessment.score = 0.0  # type: ignore[misc]


def test_empty_mail() -> None:
    assessment = assess_severity("", "")
    assert assessment == SeverityAssessment(0.0, ())
    assert isinstance(assessment.score, float)


# --- Size ----------------------------------------------------------------------------------------


def test_ten_megabyte_body_returns() -> None:
    body = "Where is my parcel? Please help, it has been a week. " * 200_000
    assert len(body) > 10_000_000
    assessment = assess_severity("Late parcel", body)
    assert 0.0 <= assessment.score <= 1.0
    assert all(r.kind in KINDS for r in assessment.reasons)


def test_ten_megabyte_non_latin_body_returns() -> None:
    body = "Гдје је мој пакет?! 배송이 늦어요. " * 400_000
    assessment = assess_severity("Пакет", body)
    assert 0.0 <= assessment.score <= 1.0


def test_text_past_the_cap_is_not_read() -> None:
    body = "x " * MAX_BODY_CHARS + "My lawyer will call you."
    assert assess_severity("", body).score == 0.0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.text(max_size=80))
def test_any_text_gives_a_valid_assessment(body: str, subject: str) -> None:
    assessment = assess_severity(subject, body)
    assert 0.0 <= assessment.score <= 1.0
    assert assessment.score == round(assessment.score, 2)
    weights = [r.weight for r in assessment.reasons]
    assert weights == sorted(weights, reverse=True)
    assert len({r.kind for r in assessment.reasons}) == len(assessment.reasons)
    assert all(r.kind in KINDS and len(r.evidence) <= EVIDENCE_CHARS for r in assessment.reasons)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([b for b, _ in FIRES] + CALM), min_size=1, max_size=6))
def test_mixed_sentences_give_a_valid_assessment(sentences: list[str]) -> None:
    assessment = assess_severity("", " ".join(sentences))
    assert 0.0 <= assessment.score <= 1.0
    assert assessment.score == round(min(1.0, sum(r.weight for r in assessment.reasons)), 2)


# --- anchors: a rule is skipped only where it could not have matched ------------------------


def bootstrap_rows() -> list[SimpleNamespace]:
    return [
        SimpleNamespace(**json.loads(line))
        for path in corpus_files()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


PHRASE_TEXTS = [body for body, _ in FIRES] + [body for body, _ in REPEATS] + CALM


def kinds_and_reasons(body: str) -> list[SeverityReason]:
    return list(assess_severity("", body).reasons)


def _both_ways(text: str) -> tuple[object, object]:
    folded = severity._fold(text)
    return severity._phrase_reasons(folded), severity._phrase_reasons(folded, anchored=False)


def test_every_phrase_has_anchors() -> None:
    # A phrase without anchors is tried over every word of every mail.
    for rule in severity._RULES:
        assert None not in rule.needs, rule.kind
        assert rule.pattern_for(0) is None, "no anchor, no phrase to try"


def test_only_the_phrases_whose_anchors_are_present_are_tried() -> None:
    text = "i will take you to court over this"
    present = severity._ANCHOR_INDEX.present(text)
    legal = next(rule for rule in severity._RULES if rule.kind == "legal_threat")
    pattern = legal.pattern_for(present)
    assert pattern is not None and pattern.search(text)
    assert len(pattern.pattern) < len(legal.pattern.pattern) / 5


def test_quotes_come_from_the_original_text_when_folding_changes_lengths() -> None:
    # "Ђ" folds to two letters: the evidence is still the customer's own word.
    [reason] = [r for r in kinds_and_reasons("Ђорђе: тужићу вас суду!") if r.kind == "legal_threat"]
    assert "тужићу" in reason.evidence


def test_anchors_skip_no_match_in_the_corpus_or_the_examples() -> None:
    texts = PHRASE_TEXTS + [f"{e.subject}\n{e.body}" for e in bootstrap_rows()]
    found = 0
    for text in texts:
        anchored, everything = _both_ways(text)
        assert anchored == everything, text
        found += bool(everything)
    assert found > 300, "the texts exercise the rules"


WORDS = sorted({w for text in PHRASE_TEXTS for w in text.split()} | {"order", "refund", "?", "."})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40))
def test_anchors_skip_no_match_in_mixed_phrases(words: list[str]) -> None:
    anchored, everything = _both_ways(" ".join(words))
    assert anchored == everything


def _naive_original(text: str, folded_index: int) -> int:
    """The original position behind a folded one, character by character."""
    seen = 0
    for index, char in enumerate(text):
        seen += len(severity._fold(char).text)
        if seen > folded_index:
            return index
    return len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abđĐljЉЊџЏ ß\u0301İ!?", max_size=25), st.data())
def test_a_quote_maps_folded_positions_back_to_the_original(text: str, data: st.DataObject) -> None:
    folded = severity._fold(text)
    if not folded.text:
        return
    start = data.draw(st.integers(0, len(folded.text) - 1))
    end = data.draw(st.integers(start, len(folded.text)))
    first = _naive_original(text, start)
    stop = _naive_original(text, end) if end < len(folded.text) else len(text)
    assert folded.quote(start, end) == severity._trim(text[first:stop])

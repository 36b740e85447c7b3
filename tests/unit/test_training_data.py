"""Reading labelled files, combining sources, and the promotion rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.bootstrap import BOOTSTRAP_DIR, bootstrap_dataset, corpus_files
from classifier.dataset import Dataset, Example, combine, read_labelled_file
from classifier.errors import TrainingDataError
from classifier.evaluation import holdout_split, promotion_decision, score
from classifier.text import MAX_MODEL_CHARS

LABELS = [
    "wrong_item", "delay", "cancellation", "lost_item", "damaged_or_defective", "billing_error",
    "account_or_data", "website_or_app", "rude_staff", "no_response", "broken_promise",
    "not_a_complaint",
]  # fmt: skip


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_csv_with_text_or_subject_and_body(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "labels.csv",
        'subject,body,Label\nBox crushed,"The lamp came in pieces,\nglass everywhere",'
        "damaged_or_defective\nCharged twice,,billing_error\n",
    )
    data = read_labelled_file(path)
    assert [e.label for e in data.examples] == ["damaged_or_defective", "billing_error"]
    assert data.examples[0].text == "Box crushed\nThe lamp came in pieces,\nglass everywhere"
    assert data.examples[1].text == "Charged twice"


def test_jsonl_rows_and_bad_lines(tmp_path: Path) -> None:
    good = write(tmp_path, "a.jsonl", '{"text": "Where is my bag", "label": " Lost_Item "}\n\n')
    assert read_labelled_file(good).examples[0].label == "lost_item"
    bad = write(tmp_path, "b.jsonl", '{"text": "x", "label": "delay"}\n{"text": oops}\n')
    with pytest.raises(TrainingDataError, match=r"b\.jsonl, line 2: not a JSON object"):
        read_labelled_file(bad)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "message,category\nhello,delay\n")
    with pytest.raises(
        TrainingDataError, match=r"needs a 'label' column.*found: category, message"
    ):
        read_labelled_file(path)


def test_bad_label_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match=r"d\.csv, line 2: 'Late!' is not a label"):
        read_labelled_file(write(tmp_path, "d.csv", "text,label\nslow,Late!\n"))
    with pytest.raises(TrainingDataError, match=r"unknown format \.xlsx"):
        read_labelled_file(write(tmp_path, "e.xlsx", "x"))
    with pytest.raises(TrainingDataError, match="no such file"):
        read_labelled_file(tmp_path / "missing.csv")


def test_rows_without_text_are_skipped_with_a_note(tmp_path: Path) -> None:
    data = read_labelled_file(write(tmp_path, "f.csv", "text,label\n,delay\n  ,delay\nok,delay\n"))
    assert len(data.examples) == 1
    assert data.notes == [f"{tmp_path / 'f.csv'}: 2 row(s) without any text were skipped"]


def test_mixed_encodings_are_decoded_per_line(tmp_path: Path) -> None:
    raw = (
        b"text,label\n"
        + "Račun je pogrešan,billing_error\n".encode()
        + '"Przesyłka nie dotarła, a kurier twierdzi, że ją zostawił",lost_item\n'.encode("cp1250")
    )
    data = read_labelled_file(write(tmp_path, "g.csv", raw))
    assert next(e.text for e in data.examples) == "Račun je pogrešan"
    assert "dotar" in data.examples[1].text
    assert "line(s) were not UTF-8" in data.notes[0]


def test_a_huge_body_is_read_and_capped(tmp_path: Path) -> None:
    body = "my order never came " * 600_000  # about 12 MB
    path = write(tmp_path, "h.jsonl", json.dumps({"body": body, "label": "lost_item"}) + "\n")
    data = read_labelled_file(path)
    assert len(data.examples[0].text) == MAX_MODEL_CHARS
    csv_path = write(tmp_path, "h.csv", f'text,label\n"{body}",lost_item\n')
    assert len(read_labelled_file(csv_path).examples[0].text) == MAX_MODEL_CHARS


def test_combine_drops_duplicates_and_later_sources_win() -> None:
    corpus = Dataset(
        [
            Example("Card charged twice", "billing_error", "corpus"),
            Example("card  CHARGED twice", "billing_error", "corpus"),
            Example("The app logs me out", "website_or_app", "corpus"),
        ]
    )
    team = Dataset([Example("The app logs me out", "account_or_data", "team")])
    combined = combine([corpus, team], known_labels=LABELS)
    assert sorted((e.text, e.label, e.source) for e in combined.examples) == [
        ("Card charged twice", "billing_error", "corpus"),
        ("The app logs me out", "account_or_data", "team"),
    ]
    assert "1 duplicate text(s) were dropped" in combined.notes
    assert any("different labels" in note for note in combined.notes)


def test_combine_refuses_labels_not_in_the_configuration() -> None:
    data = Dataset([Example("x", "delay", "a.csv"), Example("y", "shipping_mixup", "a.csv")])
    with pytest.raises(TrainingDataError, match="labels not in the configuration: shipping_mixup"):
        combine([data], known_labels=LABELS)
    with pytest.raises(TrainingDataError, match="no labelled text"):
        combine([Dataset([])])


def test_a_text_is_held_out_in_every_run_or_in_none() -> None:
    texts = [f"message number {word} about a parcel" for word in "abcdefghijklmnopqrstuvwxyz"]
    labels = ["lost_item", "delay"] * 13
    _train, test = holdout_split(texts, labels, 0.3, min_train=2)
    held = {texts[i] for i in test}
    assert 0 < len(held) < len(texts)
    # Other texts around them change nothing about which of these are held out.
    more = texts + [f"another text {n}" for n in range(40)]
    _train, test = holdout_split(more, labels + ["delay"] * 40, 0.3, min_train=2)
    assert {more[i] for i in test} & set(texts) == held
    # Too few of a label to train on: held-out ones move back to the training side.
    _train, test = holdout_split(texts, labels, 0.9, min_train=12)
    assert all(sum(labels[i] == label for i in _train) >= 12 for label in set(labels))
    with pytest.raises(TrainingDataError, match="between 0 and 1"):
        holdout_split(texts, labels, 1.5, min_train=2)


def test_promotion_rule() -> None:
    truth = ["a", "a", "b", "b"]
    perfect = score(truth, ["a", "a", "b", "b"], "t")
    one_miss = score(truth, ["a", "b", "b", "b"], "t")
    assert perfect.macro_f1 == 1.0
    assert promotion_decision(one_miss, None, 0.01).promote
    refused = promotion_decision(one_miss, perfect, 0.01)
    assert not refused.promote
    assert "more than the allowed 0.010" in refused.reason
    assert promotion_decision(perfect, one_miss, 0.01).promote
    assert promotion_decision(one_miss, perfect, 0.5).promote


def test_bootstrap_corpus_meets_its_data_card() -> None:
    """At least 1,200 emails; 40 per label in English and 15 per label in every language."""
    rows = [json.loads(line) for path in corpus_files() for line in path.read_text().splitlines()]
    assert len(rows) >= 1200
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        assert row["label"] in LABELS
        assert row["subject"].strip() and row["body"].strip()
        language = row["lang"].split("-")[0]
        counts[(language, row["label"])] = counts.get((language, row["label"]), 0) + 1
    for label in LABELS:
        assert counts[("en", label)] >= 40
        for language in ("sr", "sl", "pl", "ko", "ro"):
            assert counts[(language, label)] >= 15, (language, label)
        for script in ("sr-Cyrl", "sr-Latn"):
            assert sum(r["lang"] == script and r["label"] == label for r in rows) >= 7
    assert len({r["id"] for r in rows}) == len(rows)
    assert (BOOTSTRAP_DIR.parent / "DATA_CARD.md").is_file()
    assert len(bootstrap_dataset().examples) == len(rows)

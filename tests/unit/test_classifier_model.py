"""The failure-type estimator: conventions, determinism, persistence, explanations."""

from __future__ import annotations

import json
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import skops.io as sio
from sklearn.base import clone

from classifier.dataset import Dataset
from classifier.errors import ModelIntegrityError, ModelNotFound, TrainingDataError
from classifier.model import FailureTypeClassifier
from classifier.persist import file_sha256, load_model, save_model
from classifier.text import _FOLD, _SPACE, MAX_MODEL_CHARS, _strip_marks, fold, model_text
from classifier.training import new_model

PROBES = [
    "Where is my parcel?\nThe tracking says it was handed over on Monday but nothing is here.",
    "Dvostruko naplaćeno\nSa kartice su mi skinuta dva puta po 4.200 dinara za istu porudžbinu.",
    "Двоструко наплаћено\nСа картице су ми скинута два пута по 4.200 динара за исту поруџбину.",
    "Zamówienie przyszło z pękniętym ekranem\nTelewizor ma pęknięcie przez całą matrycę.",
    "배송이 아직도 안 왔어요\n주문한 지 2주가 넘었는데 아직 출발도 안 했다고 나오네요.",
    "Mulțumesc pentru ajutor\nVă mulțumesc, totul a mers perfect ieri.",
]


def test_fold_meets_spelling_variants() -> None:
    assert fold("RAČUN za ŽELEZNICO") == fold("racun za zeleznico")
    assert fold("Рачун ђак љубав") == "racun djak ljubav"
    assert fold("Łódź, ȘTIRI și știri") == "lodz, stiri si stiri"
    assert fold("order 4411 on 2026-11-03") == "order 0000 on 0000-00-00"
    assert fold("배송이  늦었어요") == "배송이 늦었어요"


def test_fold_word_by_word_is_folding_the_whole_text() -> None:
    # Compatibility characters that become spaces, marks after a space, final sigma, Greek,
    # a ligature, full-width digits, line separators: folded per word, the same as at once.
    for text in [
        "ΣΟΦΟΣ σοφός, ΟΔΟΣ.",
        "a \u0301b ¨x ﬁx ２０ Ⅻ x\u00a0y\u2028z  ",
        "İstanbul ǅemal ŁÓDŹ đak Ђорђе \t\n",
        "repeated repeated REPEATED Repeated",
    ]:
        whole = unicodedata.normalize("NFKC", text).lower().translate(_FOLD)
        whole = _SPACE.sub(" ", _strip_marks(whole)).strip()
        assert fold(text) == whole
        assert fold(text) == fold(text)  # and again, from the cache


def test_model_text_caps_length() -> None:
    text = model_text("Subject", "x" * (10 * 1024 * 1024))
    assert len(text) == MAX_MODEL_CHARS
    assert model_text(None, None) == ""


def test_follows_scikit_learn_conventions(bootstrap: Dataset) -> None:
    model = FailureTypeClassifier(C=0.3, random_state=7)
    assert model.get_params()["C"] == 0.3
    assert not hasattr(model, "classes_")
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert model.fit(bootstrap.texts[:400], bootstrap.labels[:400]) is model
    assert set(model.classes_) == set(bootstrap.labels[:400])


def test_training_is_deterministic(
    bootstrap: Dataset, bootstrap_model: FailureTypeClassifier
) -> None:
    again = new_model().fit(bootstrap.texts, bootstrap.labels)
    assert np.array_equal(again.predict_proba(PROBES), bootstrap_model.predict_proba(PROBES))


def test_probabilities_are_calibrated_distributions(bootstrap_model: FailureTypeClassifier) -> None:
    proba = bootstrap_model.predict_proba(PROBES)
    assert proba.shape == (len(PROBES), len(bootstrap_model.classes_))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()


def test_predicts_failure_types_across_languages(bootstrap_model: FailureTypeClassifier) -> None:
    labels = list(bootstrap_model.predict(PROBES))
    assert labels[1] == labels[2] == "billing_error"  # the same words in both Serbian scripts
    assert labels[5] == "not_a_complaint"
    assert labels[3] == "damaged_or_defective"


def test_explanations_name_words_of_the_message(bootstrap_model: FailureTypeClassifier) -> None:
    results = bootstrap_model.predict_explained(PROBES, top_k=4)
    assert [label for label, _p, _t in results] == list(bootstrap_model.predict(PROBES))
    for text, (_label, probability, terms) in zip(PROBES, results, strict=True):
        assert 0 < probability <= 1
        assert 1 <= len(terms) <= 4
        assert all(t.weight > 0 for t in terms)
        assert [t.weight for t in terms] == sorted((t.weight for t in terms), reverse=True)
        words = set(fold(text).split()) | set(text.lower().split())
        for term in terms:
            # Word n-grams are folded; character n-grams are shown as the customer's word.
            assert all(
                part.lower().strip(".,?!") in words or fold(part) in fold(text)
                for part in term.term.split()
            )


def test_one_label_is_refused_clearly() -> None:
    with pytest.raises(TrainingDataError, match="at least two different labels"):
        new_model().fit(["a parcel", "another parcel"] * 5, ["lost_item"] * 10)


def test_texts_without_words_are_refused_clearly() -> None:
    with pytest.raises(TrainingDataError, match="no usable words"):
        new_model().fit([" "] * 10, ["lost_item"] * 5 + ["delay"] * 5)


def test_too_few_examples_of_a_label_are_refused() -> None:
    texts = [f"text number {i} about things" for i in range(12)]
    with pytest.raises(TrainingDataError, match="fewer than 5 examples: delay \\(2\\)"):
        new_model().fit(texts, ["lost_item"] * 10 + ["delay"] * 2)


def test_save_and_load_give_identical_predictions(
    bootstrap_model: FailureTypeClassifier, tmp_path: Path
) -> None:
    path = tmp_path / "m.skops"
    sha = save_model(bootstrap_model, path)
    assert sha == file_sha256(path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = load_model(path, sha)
    assert np.array_equal(loaded.predict_proba(PROBES), bootstrap_model.predict_proba(PROBES))
    assert loaded.predict_explained(PROBES) == bootstrap_model.predict_explained(PROBES)


def test_a_changed_file_is_refused(bootstrap_model: FailureTypeClassifier, tmp_path: Path) -> None:
    path = tmp_path / "m.skops"
    sha = save_model(bootstrap_model, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="has changed since it was registered"):
        load_model(path, sha)


def test_unexpected_types_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.skops"
    # A perfectly valid skops file that would instantiate something we never load.
    sio.dump({"model": Path("/etc/passwd")}, path)
    with pytest.raises(ModelIntegrityError, match="holds types Amends does not load"):
        load_model(path, None)


def test_not_a_model_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.skops"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(ModelIntegrityError, match="damaged or not a model file"):
        load_model(path, None)
    with pytest.raises(ModelNotFound):
        load_model(tmp_path / "missing.skops", None)
    other = tmp_path / "other.skops"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("schema.json", "{}")
    with pytest.raises(ModelIntegrityError):
        load_model(other, None)


def assert_same_matrix(ours: sp.csr_matrix, theirs: sp.csr_matrix) -> None:
    """Bit for bit: the same type, the same stored entries in the same order."""
    assert ours.dtype == theirs.dtype
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)


def test_word_features_equal_scikit_learns(
    bootstrap: Dataset, bootstrap_model: FailureTypeClassifier
) -> None:
    repeated = "refund refund refund please please the refund please"
    folded = [fold(t) for t in bootstrap.texts[:300]] + [
        "",
        "   ",
        "x",
        repeated,
        "새 단어 새 단어",
    ]
    assert_same_matrix(
        bootstrap_model.word_features(folded), bootstrap_model.word_vectorizer_.transform(folded)
    )


def test_cached_character_features_equal_scikit_learns(
    bootstrap: Dataset, bootstrap_model: FailureTypeClassifier
) -> None:
    folded = [fold(t) for t in bootstrap.texts[:300]]
    # Words repeated within a text are counted once and weighted.
    folded += ["", "   ", "새 단어 unseen-word ŽŽŽ", "late late late order late"]
    theirs = bootstrap_model.char_vectorizer_.transform(folded)
    assert_same_matrix(bootstrap_model.char_features(folded), theirs)
    # A second pass comes from the word cache and is still the same.
    assert (bootstrap_model.char_features(folded) != theirs).nnz == 0


def test_a_model_from_another_scikit_learn_loads_with_a_warning(
    bootstrap_model: FailureTypeClassifier, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import sklearn

    saved = tmp_path / "m.skops"
    save_model(bootstrap_model, saved)
    older = tmp_path / "older.skops"
    current = json.dumps(sklearn.__version__)
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(older, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "schema.json":
                data = data.replace(json.dumps(current).encode(), json.dumps('"1.0.0"').encode())
            target.writestr(item, data)
    with caplog.at_level("WARNING", logger="classifier.persist"):
        loaded = load_model(older, None)
    assert "saved by scikit-learn 1.0.0" in caplog.text and "amends train" in caplog.text
    assert np.array_equal(loaded.predict_proba(PROBES), bootstrap_model.predict_proba(PROBES))

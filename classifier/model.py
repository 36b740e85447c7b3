"""The failure-type estimator: word and character TF-IDF into a calibrated linear model.

Word n-grams carry meaning where words are stable; character n-grams inside words carry it across
inflection (Slavic cases, Korean particles) and typos. A linear SVM (hinge loss, trained by
stochastic gradient descent: as accurate as liblinear here and several times faster on large
training sets) separates the classes, and a sigmoid calibration fitted on cross-validated
decisions turns its scores into probabilities that ``classifier.min_confidence`` can be compared
against.

Follows scikit-learn's estimator conventions: ``__init__`` stores parameters, ``fit`` returns
``self``, learned state ends in ``_``.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from classifier.errors import TrainingDataError
from classifier.text import fold

# Each label needs this many examples: the calibration folds must each see every label.
MIN_EXAMPLES_PER_LABEL = 5


@dataclass(frozen=True)
class Term:
    """A word of the message and how much it pushed the prediction towards the chosen label."""

    term: str
    weight: float

    def as_dict(self) -> dict[str, Any]:
        return {"term": self.term, "weight": round(self.weight, 4)}


class FailureTypeClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Multilingual failure-type classifier for short support emails.

    Parameters
    ----------
    word_ngram_range, char_ngram_range:
        n-gram lengths of the word and the character (within word boundaries) features.
    min_df:
        A feature must occur in this many training texts.
    max_word_features, max_char_features:
        Vocabulary caps, which bound the model file and memory on large training sets.
    C:
        Inverse regularisation strength of the linear SVM, as in LinearSVC: the SGD penalty
        is ``1 / (C * n_samples)``.
    epochs:
        Passes over the training data; None picks ``500,000 / n_samples`` between 10 and 50
        (small sets need more passes, large ones converge in a few).
    n_jobs:
        Cores for training the per-label SVMs (-1: all).
    calibration_folds:
        Cross-validation folds for the sigmoid calibration.
    random_state:
        Seed for the calibration folds and the SVM, so training is reproducible.
    """

    def __init__(
        self,
        *,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (1, 4),
        min_df: int = 1,
        max_word_features: int | None = 200_000,
        max_char_features: int | None = 300_000,
        C: float = 1.0,
        epochs: int | None = None,
        calibration_folds: int = 3,
        n_jobs: int | None = -1,
        random_state: int = 0,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.C = C
        self.epochs = epochs
        self.n_jobs = n_jobs
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    # -- training -------------------------------------------------------------------------

    def fit(self, X: Sequence[str], y: Sequence[str]) -> FailureTypeClassifier:
        texts = [fold(t) for t in X]
        labels = np.asarray(list(y), dtype=object)
        if len(texts) != len(labels):
            raise TrainingDataError(f"{len(texts)} texts but {len(labels)} labels")
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) < 2:
            raise TrainingDataError(
                "training needs at least two different labels; the data holds "
                + (f"only {classes[0]!r}" if len(classes) else "none"),
                hint="add examples of other failure types (or keep the bootstrap corpus in)",
            )
        too_few = [
            f"{c} ({n})" for c, n in zip(classes, counts, strict=True) if n < self.min_per_label
        ]
        if too_few:
            raise TrainingDataError(
                f"these labels have fewer than {self.min_per_label} examples: {', '.join(too_few)}",
                hint="label more messages with them, or leave them out of the training data",
            )
        self.word_vectorizer_ = _vectorizer(
            "word", self.word_ngram_range, min_df=self.min_df, max_features=self.max_word_features
        )
        self.char_vectorizer_ = _vectorizer(
            "char_wb",
            self.char_ngram_range,
            min_df=self.min_df,
            max_features=self.max_char_features,
        )
        try:
            features = sp.hstack(
                [
                    self.word_vectorizer_.fit_transform(texts),
                    self.char_vectorizer_.fit_transform(texts),
                ],
                format="csr",
            )
        except ValueError as exc:  # "empty vocabulary": nothing but blanks or symbols
            raise TrainingDataError(f"the training texts hold no usable words ({exc})") from exc
        folds = StratifiedKFold(
            n_splits=self.calibration_folds, shuffle=True, random_state=self.random_state
        )
        # Each calibration fold trains on (k-1)/k of the data: scale the penalty to that size.
        fold_size = len(texts) * (self.calibration_folds - 1) // self.calibration_folds
        epochs = self.epochs or min(50, max(10, math.ceil(500_000 / len(texts))))
        svm = SGDClassifier(
            loss="hinge",
            alpha=1.0 / (self.C * max(1, fold_size)),
            max_iter=epochs,
            tol=None,
            class_weight="balanced",
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )
        # ensemble=False: one SVM fitted on everything (one coefficient matrix to explain and
        # store) calibrated on the folds' out-of-sample decisions.
        self.calibrated_ = CalibratedClassifierCV(
            svm, method="sigmoid", cv=folds, ensemble=False
        ).fit(features, labels)
        self.classes_ = self.calibrated_.classes_
        self.n_word_features_ = len(self.word_vectorizer_.vocabulary_)
        return self

    @property
    def min_per_label(self) -> int:
        return max(MIN_EXAMPLES_PER_LABEL, self.calibration_folds)

    # -- persistence ----------------------------------------------------------------------
    # A vectorizer's vocabulary is a dict of a few hundred thousand n-grams, which skops would
    # store node by node (minutes); stored as one newline-joined string it takes a moment.

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_explainer", None)
        state.pop("_word_columns", None)
        for name in _VECTORIZERS:
            if isinstance(state.get(name), TfidfVectorizer):
                state[name] = _pack(state[name])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for name in _VECTORIZERS:
            if isinstance(state.get(name), dict):
                state[name] = _unpack(state[name])
        super().__setstate__(state)

    def _explanation_parts(self) -> tuple[NDArray[np.float32], list[str]]:
        """The SVM's coefficients and every feature's name, built once per loaded model."""
        cached = self.__dict__.get("_explainer")
        if cached is None:
            svm = self.calibrated_.calibrated_classifiers_[0].estimator
            names = [
                *self.word_vectorizer_.get_feature_names_out(),
                *self.char_vectorizer_.get_feature_names_out(),
            ]
            cached = (np.asarray(svm.coef_, dtype=np.float32), names)
            self.__dict__["_explainer"] = cached
        return cached

    # -- prediction -----------------------------------------------------------------------

    def _features(self, texts: Sequence[str]) -> sp.csr_matrix:
        check_is_fitted(self, "calibrated_")
        return sp.hstack([self.word_features(texts), self.char_features(texts)], format="csr")

    def word_features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The word n-gram TF-IDF of folded ``texts``: the same matrix as the fitted
        vectorizer's ``transform``, faster: the n-grams are counted in C (``Counter``) and each
        distinct one is looked up once."""
        vectorizer = self.word_vectorizer_
        tokenize = vectorizer.build_tokenizer()
        vocabulary = vectorizer.vocabulary_
        low, high = vectorizer.ngram_range
        counts = _Counts(len(texts))
        for text in texts:
            tokens = tokenize(text)
            grams = Counter(tokens) if low == 1 else Counter()
            for n in range(max(2, low), high + 1):
                grams.update(map(" ".join, zip(*(tokens[i:] for i in range(n)), strict=False)))
            for gram, times in grams.items():
                column = vocabulary.get(gram)
                if column is not None:
                    counts.add(column, times)
            counts.end_row()
        return counts.tfidf(vectorizer)

    def char_features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The character TF-IDF of folded ``texts``: the same matrix as the fitted vectorizer's
        ``transform``, many times faster.

        scikit-learn cuts every word into n-grams and looks each up, for every text. Mail
        repeats the same few thousand words, so each word's n-gram columns are looked up once
        and cached (up to :data:`WORD_CACHE_SIZE` words), and each distinct word of a text is
        counted once, weighted by how often the text has it.
        """
        vectorizer = self.char_vectorizer_
        cache: dict[str, tuple[int, ...]] = self.__dict__.setdefault("_word_columns", {})
        analyze = vectorizer.build_analyzer()
        vocabulary = vectorizer.vocabulary_
        counts = _Counts(len(texts))
        for text in texts:
            for word, times in Counter(text.split()).items():
                found = cache.get(word)
                if found is None:
                    found = tuple(vocabulary[g] for g in analyze(word) if g in vocabulary)
                    if len(cache) >= WORD_CACHE_SIZE:
                        cache.clear()
                    cache[word] = found
                counts.extend(found, times)
            counts.end_row()
        return counts.tfidf(vectorizer)

    def predict_proba(self, X: Sequence[str]) -> NDArray[np.float64]:
        features = self._features([fold(t) for t in X])
        return np.asarray(self.calibrated_.predict_proba(features), dtype=np.float64)

    def predict(self, X: Sequence[str]) -> NDArray[Any]:
        proba = self.predict_proba(X)
        return np.asarray(self.classes_[np.argmax(proba, axis=1)])

    def predict_explained(
        self, X: Sequence[str], top_k: int = 5
    ) -> list[tuple[str, float, list[Term]]]:
        """Label, calibrated probability and the ``top_k`` terms behind it, per text."""
        folded = [fold(t) for t in X]
        features = self._features(folded)
        proba = np.asarray(self.calibrated_.predict_proba(features), dtype=np.float64)
        best = np.argmax(proba, axis=1)
        results = []
        for i, text in enumerate(X):
            k = int(best[i])
            terms = self._terms(features.getrow(i), k, text, folded[i], top_k)
            results.append((str(self.classes_[k]), float(proba[i, k]), terms))
        return results

    def _terms(
        self, row: sp.csr_matrix, label: int, original: str, folded: str, top_k: int
    ) -> list[Term]:
        """Per-word contributions ``tfidf x coefficient`` towards ``label``.

        Word features count for their words directly; character n-gram contributions are shared
        among the words that contain them, so the explanation names words a person can read.
        """
        coef, feature_names = self._explanation_parts()
        indices, values = row.indices, row.data
        if not len(indices):
            return []
        contributions = values * coef[label, indices]
        # Shown words are the customer's own spelling, not the folded form. Folding keeps the
        # words apart, so the two splits line up; when NFKC changed the spacing, fold each word.
        tokens = original.split()
        keys = folded.split()
        if len(keys) != len(tokens):
            keys = [fold(token) for token in tokens]
        surface: dict[str, str] = {}
        for key, token in zip(keys, tokens, strict=True):
            key = key.strip(_PUNCTUATION)
            if key and key not in surface:
                surface[key] = token.strip(_PUNCTUATION)
        words = list(surface)
        totals: dict[str, float] = {}
        count = min(len(contributions), 8 * top_k)
        strongest = np.argpartition(-np.abs(contributions), count - 1)[:count]
        for position in strongest:
            index, weight = int(indices[position]), float(contributions[position])
            name = feature_names[index]
            if index < self.n_word_features_:
                totals[name] = totals.get(name, 0.0) + weight
                continue
            gram = name.strip()
            owners = [w for w in words if gram in w] if gram else []
            for owner in owners:
                totals[owner] = totals.get(owner, 0.0) + weight / len(owners)
        ranked = sorted(
            ((term, weight) for term, weight in totals.items() if weight > 0),
            key=lambda item: (-item[1], item[0]),
        )[:top_k]
        return [Term(" ".join(surface.get(p, p) for p in t.split(" ")), w) for t, w in ranked]


_PUNCTUATION = ".,;:!?\"'()[]«»„“”"
_VECTORIZERS = ("word_vectorizer_", "char_vectorizer_")
WORD_CACHE_SIZE = 200_000


def _vectorizer(analyzer: str, ngram_range: tuple[int, ...], **options: Any) -> TfidfVectorizer:
    """TF-IDF over folded text (already lower case), with sublinear counts, in float32."""
    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=ngram_range,
        sublinear_tf=True,
        lowercase=False,
        dtype=np.float32,
        **options,
    )


def _pack(vectorizer: TfidfVectorizer) -> dict[str, Any]:
    return {
        "analyzer": vectorizer.analyzer,
        "ngram_range": list(vectorizer.ngram_range),
        # Folded text has no newlines, so no n-gram contains one.
        "terms": "\n".join(vectorizer.get_feature_names_out()),
        "idf": vectorizer.idf_,
    }


def _unpack(packed: dict[str, Any]) -> TfidfVectorizer:
    terms = packed["terms"].split("\n") if packed["terms"] else []
    vectorizer = _vectorizer(packed["analyzer"], tuple(packed["ngram_range"]), vocabulary=terms)
    vectorizer.idf_ = np.asarray(packed["idf"])
    return vectorizer


class _Counts:
    """A text x vocabulary count matrix built row by row, and its TF-IDF the way scikit-learn's
    ``TfidfTransformer`` computes it (sublinear counts, idf, l2), in its order and dtypes, so
    the result is identical."""

    def __init__(self, rows: int) -> None:
        self.columns: list[int] = []
        self.values: list[int] = []
        self.lengths = np.empty(rows, dtype=np.int64)
        self.row = 0
        self.start = 0

    def add(self, column: int, times: int) -> None:
        self.columns.append(column)
        self.values.append(times)

    def extend(self, columns: tuple[int, ...], times: int) -> None:
        self.columns.extend(columns)
        self.values.extend(itertools.repeat(times, len(columns)))

    def end_row(self) -> None:
        self.lengths[self.row] = len(self.columns) - self.start
        self.start = len(self.columns)
        self.row += 1

    def tfidf(self, vectorizer: TfidfVectorizer) -> sp.csr_matrix:
        rows = np.repeat(np.arange(len(self.lengths)), self.lengths)
        counts = sp.csr_matrix(
            (
                np.asarray(self.values, dtype=vectorizer.dtype),
                (rows, np.asarray(self.columns, dtype=np.int64)),
            ),
            shape=(len(self.lengths), len(vectorizer.vocabulary_)),
            dtype=vectorizer.dtype,
        )
        counts.sum_duplicates()
        np.log(counts.data, counts.data)
        counts.data += 1.0
        counts.data *= vectorizer.idf_[counts.indices]
        return normalize(counts, norm="l2", copy=False)

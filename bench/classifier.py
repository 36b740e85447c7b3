"""Classifier speed and quality against a plain scikit-learn baseline, in one run.

Data: the bootstrap corpus is split 80/20 by email (stratified by label), and each side is
expanded into many texts by recombining the sentences of same-label, same-language emails from
that side only — so no test sentence was seen in training. Both models are trained on the same
training texts and scored on the same test texts:
  (a) baseline: TfidfVectorizer() + LogisticRegression(max_iter=1000), defaults otherwise;
  (b) amends: classifier.model.FailureTypeClassifier with the defaults `amends train` uses.
Prints training time, prediction throughput (one text per call, and batches of 500; for amends
also with explanations, as the worker classifies; from a cold word cache), macro-F1 on the test
texts, and the ratios. amends trains its per-label SVMs on every core (n_jobs=-1); the baseline's
LogisticRegression uses one.

    .venv/bin/python bench/classifier.py --train 50000 --test 10000
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from classifier.bootstrap import corpus_files  # noqa: E402
from classifier.text import model_text  # noqa: E402
from classifier.training import new_model  # noqa: E402
from inbox.quotes import strip_quotes  # noqa: E402

_SENTENCE = re.compile(r"(?<=[.!?。])\s+|\n+")


def load_corpus() -> list[dict[str, str]]:
    rows = []
    for path in corpus_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            row["body"] = strip_quotes(row["body"])
            rows.append(row)
    return rows


def expand(rows: list[dict[str, str]], count: int, seed: int) -> tuple[list[str], list[str]]:
    """``count`` texts, each a subject and 2-8 sentences of 1-3 emails of one label and language."""
    rng = random.Random(seed)
    pools: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        pools[(row["label"], row["lang"])].append(row)
    keys = sorted(pools)
    texts, labels = [], []
    for _ in range(count):
        label, lang = rng.choice(keys)
        emails = rng.sample(pools[(label, lang)], min(len(pools[(label, lang)]), rng.randint(1, 3)))
        sentences = [s for e in emails for s in _SENTENCE.split(e["body"]) if s.strip()]
        rng.shuffle(sentences)
        body = " ".join(sentences[: rng.randint(2, 8)])
        body = re.sub(r"\d+", lambda m: str(rng.randint(1, 99999)), body)
        texts.append(model_text(rng.choice(emails)["subject"], body))
        labels.append(label)
    return texts, labels


def throughput(model, predict, texts: list[str], batch: int) -> float:  # type: ignore[no-untyped-def]
    # Start cold: amends caches each word's character n-gram columns as it meets them.
    model.__dict__.pop("_word_columns", None)
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        predict(texts[start : start + batch])
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=50_000, help="training texts")
    parser.add_argument("--test", type=int, default=10_000, help="test texts")
    parser.add_argument("--single", type=int, default=300, help="texts predicted one by one")
    args = parser.parse_args()

    rows = load_corpus()
    train_rows, test_rows = train_test_split(
        rows, test_size=0.2, random_state=1, stratify=[r["label"] for r in rows]
    )
    train_x, train_y = expand(train_rows, args.train, seed=1)
    test_x, test_y = expand(test_rows, args.test, seed=2)
    print(f"corpus: {len(rows)} emails; {len(train_x)} training and {len(test_x)} test texts")

    baseline = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    amends = new_model()
    results = {}
    for name, model in (("baseline", baseline), ("amends", amends)):
        started = time.perf_counter()
        model.fit(train_x, train_y)
        fit_s = time.perf_counter() - started
        predicted = model.predict(test_x)
        results[name] = {
            "fit_s": fit_s,
            "macro_f1": f1_score(test_y, predicted, average="macro"),
            "batch1": throughput(model, model.predict, test_x[: args.single], 1),
            "batch500": throughput(model, model.predict, test_x, 500),
        }
    results["amends"]["explained500"] = throughput(amends, amends.predict_explained, test_x, 500)
    results["amends"]["explained1"] = throughput(
        amends, amends.predict_explained, test_x[: args.single], 1
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    b, a = results["baseline"], results["amends"]
    print(f"{'':26}{'baseline':>12}{'amends':>12}{'ratio':>9}")
    ratio = a["fit_s"] / b["fit_s"]
    print(f"{'training time (s)':26}{b['fit_s']:12.1f}{a['fit_s']:12.1f}{ratio:9.2f}")
    print(
        f"{'macro-F1 (test texts)':26}{b['macro_f1']:12.3f}{a['macro_f1']:12.3f}"
        f"{a['macro_f1'] / b['macro_f1']:9.2f}"
    )
    print(
        f"{'predict, 1 per call /s':26}{b['batch1']:12.0f}{a['batch1']:12.0f}"
        f"{a['batch1'] / b['batch1']:9.2f}"
    )
    print(
        f"{'predict, 500 per call /s':26}{b['batch500']:12.0f}{a['batch500']:12.0f}"
        f"{a['batch500'] / b['batch500']:9.2f}"
    )
    print(f"{'  with explanations /s':26}{'':>12}{a['explained500']:12.0f}")
    print(f"{'  1 per call, explained /s':26}{'':>12}{a['explained1']:12.0f}")
    print(f"peak memory of this process: {peak_mb:.0f} MB")
    print(
        "targets: macro-F1 >= baseline: "
        + ("met" if a["macro_f1"] >= b["macro_f1"] else "NOT met")
        + f"; training within 3x: {'met' if a['fit_s'] <= 3 * b['fit_s'] else 'NOT met'}"
        + f"; >= 2,000/s in batches: {'met' if a['explained500'] >= 2000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()

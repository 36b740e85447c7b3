"""Draft writing speed: what each draft costs on the CPU, against a bare-bones reference.

For N complaints from the bootstrap corpus (all six languages, every complaint label):
  (a) reference: str.format of one fixed reply, then the stdlib email package builds the same
      two-part RFC 5322 message (the least any drafting must do);
  (b) amends: fact extraction from the customer's text, the Jinja2 template of the failure
      type and language (Cyrillic for Serbian Cyrillic writers), the recovery lint, and
      outbox.compose.build_draft with sanitised headers and the quoted customer message.
Prints drafts per second for both, the ratio, and the time per step of (b). IMAP APPEND is
measured with the end-to-end pipeline (issue 9), not here.

    .venv/bin/python bench/drafts.py --n 5000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from classifier.bootstrap import corpus_files  # noqa: E402
from outbox.compose import DraftHeaders, build_draft, reply_subject  # noqa: E402
from outbox.facts import extract_facts  # noqa: E402
from outbox.lint import lint, summary  # noqa: E402
from outbox.render import DraftFacts, Gesture, Quote, Templates, cyrillic_share  # noqa: E402

WHEN = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
REFERENCE = (
    "Dear {name},\n\nI'm sorry, and I understand how frustrating this must be.\n\n"
    "I have arranged a replacement today.\n\nDoes this solution work for you?\n\nAna\n"
)


def complaints(n: int) -> list[dict[str, str]]:
    rows = [
        json.loads(line)
        for path in corpus_files()
        for line in path.read_text().splitlines()
        if '"not_a_complaint"' not in line
    ]
    for row in rows:
        row["lang"] = row["lang"][:2]  # "sr-Cyrl" and "sr-Latn" are both "sr" to the worker
    return [rows[i % len(rows)] for i in range(n)]


def reference(rows: list[dict[str, str]]) -> float:
    started = time.perf_counter()
    for i, row in enumerate(rows):
        message = EmailMessage(policy=SMTP)
        message["From"] = Address("Example Shop", addr_spec="support@example.com")
        message["To"] = Address("Customer", addr_spec=f"c{i}@example.net")
        message["Subject"] = "Re: " + row["subject"]
        message["Message-ID"] = f"<r{i}@example.com>"
        message.set_content(REFERENCE.format(name="Customer") + "\n> " + row["body"])
        message.add_alternative("<p>" + REFERENCE + "</p>", subtype="html")
        message.as_bytes()
    return time.perf_counter() - started


def amends(rows: list[dict[str, str]]) -> tuple[float, dict[str, float]]:
    templates = Templates()
    steps = dict.fromkeys(("facts", "render", "lint", "compose"), 0.0)
    started = time.perf_counter()
    for i, row in enumerate(rows):
        t0 = time.perf_counter()
        facts = extract_facts(row["subject"] + "\n" + row["body"])
        t1 = time.perf_counter()
        rendered = templates.render(
            DraftFacts(
                failure_type=row["label"],
                language=row["lang"],
                agent="Ana Petrović",
                company="Example Shop",
                gesture=Gesture("credit", "20 EUR"),
                customer_name="Customer",
                severe=i % 5 == 0,
                order=facts.order,
                amount=facts.amount,
                date=facts.date,
                subject=row["subject"],
                ticket=i + 1,
            ),
            Quote(row["body"], "Customer", "2026-11-03 10:00 UTC"),
            cyrillic=cyrillic_share(row["body"]) >= 0.5,
        )
        t2 = time.perf_counter()
        findings = lint(rendered.reply)
        t3 = time.perf_counter()
        build_draft(
            DraftHeaders(
                sender=Address("Example Shop", addr_spec="support@example.com"),
                recipient=Address("Customer", addr_spec=f"c{i}@example.net"),
                subject=reply_subject(row["subject"], f"[#{i + 1}]"),
                message_id=f"amends.draft.t{i + 1}.m1-r1.aaaaaaaaaaaaaaaa@example.com",
                date=WHEN,
                ticket_id=i + 1,
                in_reply_to=f"c{i}@example.net",
                owner="ana",
                lint=summary(findings),
                language=rendered.language,
            ),
            rendered.text,
            rendered.html,
        )
        t4 = time.perf_counter()
        for step, seconds in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            steps[step] += seconds
    return time.perf_counter() - started, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    rows = complaints(args.n)
    amends(rows[:50])  # compile the templates and the lint's patterns once
    base = reference(rows)
    ours, steps = amends(rows)
    print(f"drafts: {args.n} complaints, {len({r['lang'] for r in rows})} languages")
    print(f"(a) reference: {args.n / base:8.0f} drafts/s")
    print(f"(b) amends:    {args.n / ours:8.0f} drafts/s   ratio b/a {base / ours:.2f}")
    for step, seconds in steps.items():
        print(f"    {step:<8} {seconds / args.n * 1e6:8.0f} µs per draft")


if __name__ == "__main__":
    main()

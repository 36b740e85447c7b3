"""Trend-report speed: `amends report` over a seeded history of N complaints.

Seeds a year of complaints with the three planted patterns (a spike, a bad hour on one shift,
a release that doubles one failure type; tests/fixtures/history.py) into a temporary SQLite
file, or into --database-url (an empty database: it is migrated, then filled). Then times
building the report over the whole history and each renderer on its own, against the target
of 10 s for all of them together. Seeding runs in a child process, so the peak memory printed
is the report's own. For scale, the same run times the baseline every helpdesk dashboard has:
one GROUP BY of complaints per failure type per day (UTC days, no tests, no charts).

    .venv/bin/python bench/report.py --tickets 200000
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parents[1]))

from amends.reports.build import build_report
from amends.reports.html import render_html
from amends.reports.render import render, render_csv
from models import migrate
from models.engine import make_engine, redact_url
from models.tickets import Ticket
from tests.fixtures.history import HistorySpec, Seeded, history_config, seed_history

TARGET_S = 10.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(url: str, spec: HistorySpec) -> tuple[Seeded, float, float]:
    """In the child: migrate, seed; returns what was seeded, seconds and peak memory."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        started = time.perf_counter()
        seeded = seed_history(engine, spec)
        return seeded, time.perf_counter() - started, peak_mb()
    finally:
        engine.dispose()


def dashboard_baseline(engine: sa.Engine, seeded: Seeded) -> int:
    """Complaints per failure type per day: the whole of a descriptive dashboard."""
    day = sa.func.date(Ticket.received_at)  # type: ignore[arg-type]
    query = (
        sa.select(Ticket.failure_type, day, sa.func.count())
        .where(Ticket.received_at >= seeded.since, Ticket.received_at < seeded.until)  # type: ignore[arg-type,operator]
        .group_by(Ticket.failure_type, day)
    )
    with engine.connect() as conn:
        return len(conn.execute(query).fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="an empty database instead of a temporary SQLite")
    args = parser.parse_args()

    spec = HistorySpec.planted(seed=args.seed, days=args.days).scaled_to(args.tickets)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/report.db"
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            seeded, seed_s, seed_mb = pool.apply(seed, (url, spec))
        rows = sum(seeded.rows.values())
        print(f"database: {redact_url(url)}")
        print(
            f"seeded {seeded.tickets:,} tickets ({rows:,} rows) over {spec.days} days "
            f"in {seed_s:.1f} s ({rows / seed_s:,.0f} rows/s, peak {seed_mb:.0f} MB)"
        )
        for planted in (seeded.spike, seeded.bad_hour, seeded.release):
            print(f"  planted: {planted}")

        engine = make_engine(url)
        config = history_config(spec, database_url=url, events=seeded.events())
        timings: dict[str, float] = {}
        try:
            started = time.perf_counter()
            counts = dashboard_baseline(engine, seeded)
            baseline_s = time.perf_counter() - started
            started = time.perf_counter()
            report = build_report(
                engine, config, since=seeded.since, until=seeded.until, now=seeded.until
            )
            timings["build"] = time.perf_counter() - started
        finally:
            engine.dispose()
        sizes: dict[str, int] = {}
        for fmt in ("table", "json"):
            started = time.perf_counter()
            sizes[fmt] = len(render(report, fmt))
            timings[fmt] = time.perf_counter() - started
        started = time.perf_counter()
        files = render_csv(report, Path(folder) / "csv")
        timings["csv"] = time.perf_counter() - started
        sizes["csv"] = sum(path.stat().st_size for path in files)
        started = time.perf_counter()
        sizes["html"] = len(render_html(report))
        timings["html"] = time.perf_counter() - started

    print(f"report: {report.volume.total:,} complaints, {len(report.findings)} findings")
    for finding in report.findings[:8]:
        print(f"  - {finding.text}")
    print(f"{'step':<8}{'seconds':>9}{'output':>12}")
    for step, seconds in timings.items():
        size = f"{sizes[step] / 1024:,.0f} KB" if step in sizes else ""
        print(f"{step:<8}{seconds:>9.2f}{size:>12}")
    total = sum(timings.values())
    verdict = "meets" if total <= TARGET_S else "misses"
    print(f"{'total':<8}{total:>9.2f}   {verdict} the {TARGET_S:.0f} s target")
    print(f"peak memory (RSS) of the report: {peak_mb():.0f} MB")
    print(
        f"baseline (GROUP BY type and day, {counts:,} cells): {baseline_s:.2f} s; "
        f"report build / baseline: {timings['build'] / baseline_s:.1f}x"
    )


if __name__ == "__main__":
    main()

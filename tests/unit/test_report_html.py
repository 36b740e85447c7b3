"""The HTML trend report: one self-contained page, customer text escaped, charts embedded."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from amends.reports import charts
from amends.reports.formatting import (
    format_duration,
    format_factor,
    format_p_value,
    format_percent,
)
from amends.reports.html import render_html
from amends.reports.model import (
    ClassifierHealth,
    DraftUseRow,
    EventChange,
    EventImpact,
    Example,
    Finding,
    Heatmap,
    HourRow,
    LabelHealth,
    OutcomeRow,
    Outlier,
    Period,
    RepeatCustomer,
    Report,
    ResponseRow,
    SevereCase,
    ShiftRow,
    Shifts,
    Spike,
    Volume,
)

DPI = 40  # the tests check structure, not looks
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCRIPT_SUBJECT = '<script>alert(1)</script> & "quotes"'
ZONE = timezone(timedelta(hours=2))
START = datetime(2024, 5, 1, tzinfo=ZONE)
HEADINGS = [
    "What stands out",
    "Volume",
    "When complaints arrive",
    "Who was on shift",
    "Spikes",
    "Change markers",
    "Repeat customers and severe cases",
    "Response times",
    "Outcomes",
    "Drafts",
    "Classifier health",
]
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "wbr", "source"}


class Page(HTMLParser):
    """What the tests look at in a page, and whether every element that opens also closes."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._heading: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)
        if tag in {"h1", "h2", "h3"}:
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:]}")
            return
        self.open.pop()
        if tag in {"h1", "h2", "h3"} and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)

    def images(self) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == "img"]


def example(ticket_id: int, subject: str, day: int = 3) -> Example:
    return Example(ticket_id, START + timedelta(days=day, hours=10), "billing", subject, "marko")


def full_report(days: int = 10, bucket: str = "day") -> Report:
    """Three failure types over ten days, one spike, one event that changed a type, and the rest."""
    day_list = [START.date() + timedelta(days=i) for i in range(days)]
    daily = {
        "billing": [3] * days,
        "shipping": [1] * days,
        "damaged": [0] * days,  # a type with no complaints at all must not break a chart
    }
    daily["billing"][min(5, days - 1)] = 14
    daily["shipping"][days // 2 :] = [4] * (days - days // 2)
    totals = {t: sum(c) for t, c in daily.items()}
    total = sum(totals.values())
    if bucket == "week":
        buckets = day_list[::7]
        counts = {t: [sum(c[i : i + 7]) for i in range(0, days, 7)] for t, c in daily.items()}
    else:
        buckets, counts = day_list, daily
    cells = [[(w + h) % 5 for h in range(24)] for w in range(7)]
    spike_examples = [example(101, "Charged twice"), example(102, SCRIPT_SUBJECT)]
    outlier = Outlier("14:00-15:00", "billing", 9, 3.5, 2.6, 3e-7, spike_examples[:1])
    hours = [
        HourRow(h, 5 if 8 <= h < 18 else 0, 0.5 if 8 <= h < 18 else 0.0, ["marko"], [])
        for h in range(24)
    ]
    hours[14] = dataclasses.replace(hours[14], outliers=[outlier])
    return Report(
        period=Period(START, START + timedelta(days=days), "Europe/Belgrade", bucket, None),
        generated_at=START + timedelta(days=days, hours=7, minutes=30),
        volume=Volume(
            buckets=buckets,
            types=["billing", "shipping", "damaged"],
            counts=counts,
            totals=totals,
            shares={t: n / total for t, n in totals.items()},
            total=total,
        ),
        heatmap=Heatmap(cells, {"billing": cells, "shipping": cells, "damaged": []}),
        shifts=Shifts(
            hours=hours,
            agents=[
                ShiftRow("marko", ["Mon-Fri 08:00-16:00"], 80.0, 40, 0.5, 0.2, [outlier]),
                ShiftRow("ana", ["Sat-Sun 10:00-18:00"], 16.0, 4, 0.25, 0.4, []),
            ],
            unstaffed_complaints=3,
        ),
        spikes=[
            Spike("billing", "day", START + timedelta(days=5), 14, 3.0, 4.7, 2e-9, spike_examples),
        ],
        events=[
            EventImpact(
                name="New courier <b>FastShip</b> ($5 fee)",
                at=START + timedelta(days=days // 2, hours=9),
                source="config",
                mailbox="support@example.com",
                detail="Switched couriers & prices",
                before_days=5.0,
                after_days=5.0,
                changes=[
                    EventChange("shipping", 5, 20, 1.0, 4.0, 4.0, 1e-4, "up"),
                    EventChange("billing", 25, 20, 5.0, 4.0, 0.8, 0.5, ""),
                    EventChange("damaged", 0, 0, 0.0, 0.0, float("inf"), 1.0, ""),
                ],
            )
        ],
        repeat_customers=[
            RepeatCustomer(
                '"Ann" <ann@example.com><script>x</script>',
                3,
                ["billing", "shipping"],
                START + timedelta(days=1),
                START + timedelta(days=7, hours=3),
                [7, 31, 55],
                1,
            )
        ],
        repeat_total=4,
        severe=[
            SevereCase(
                77, START + timedelta(days=3), "billing", None, "open", None, SCRIPT_SUBJECT, True
            )
        ],
        severe_total=2,
        response_by_type=[
            ResponseRow("billing", 40, 38, 2700.0, 11520.0, 2),
            ResponseRow("shipping", 25, 25, 86400.0 * 2.5, None, 0),
            ResponseRow("damaged", 0, 0, None, None, 0),
        ],
        response_by_owner=[ResponseRow("marko", 65, 63, 3000.0, 12000.0, 2)],
        response_all=ResponseRow("all", 65, 63, 3000.0, 12000.0, 2),
        outcomes_by_type=[
            OutcomeRow("billing", 38, 30, 20, 15, 0.75, 4.2, 3, 3 / 38),
            OutcomeRow("shipping", 25, 10, 0, 0, None, None, 1, 0.04),
            OutcomeRow("damaged", 0, 0, 0, 0, None, None, 0, None),
        ],
        outcomes_by_owner=[OutcomeRow("marko", 63, 40, 20, 15, 0.75, 4.2, 4, 4 / 63)],
        outcomes_all=OutcomeRow("all", 63, 40, 20, 15, 0.75, 4.2, 4, 4 / 63),
        drafts=[
            DraftUseRow("billing", 30, 12, 10, 8),
            DraftUseRow("all", 50, 20, 18, 12),
        ],
        classifier=ClassifierHealth(
            classified=65,
            unsure=5,
            unsure_rate=5 / 65,
            labels=[LabelHealth("billing", 40, 4, 0.1, [("shipping", 3), ("damaged", 1)])],
            model_version="2024-04-28.1",
            model_created_at=START - timedelta(days=3),
            model_promoted_at=START - timedelta(days=2, hours=-4),
            training_size=1200,
            macro_f1=0.87,
            accuracy=0.91,
            versions_used={"2024-04-28.1": 60, "2024-03-02.1": 5},
        ),
        findings=[
            Finding("spike", "billing spiked on 6 May: 14 complaints against 3.0 expected", 2e-9),
            Finding("event", "shipping rose ×4.0 after New courier", 1e-4),
        ],
        days=day_list,
        daily=daily,
    )


def empty_report() -> Report:
    """A period without a single complaint and without a model."""
    zero_hours = [HourRow(h, 0, 0.0, [], []) for h in range(24)]
    nothing = ResponseRow("all", 0, 0, None, None, 0)
    no_outcome = OutcomeRow("all", 0, 0, 0, 0, None, None, 0, None)
    return Report(
        period=Period(
            START, START + timedelta(days=7), "Europe/Belgrade", "day", "help@example.com"
        ),
        generated_at=START + timedelta(days=7),
        volume=Volume([START.date() + timedelta(days=i) for i in range(7)], [], {}, {}, {}, 0),
        heatmap=Heatmap([[0] * 24 for _ in range(7)], {}),
        shifts=Shifts(zero_hours, [], 0),
        spikes=[],
        events=[],
        repeat_customers=[],
        repeat_total=0,
        severe=[],
        severe_total=0,
        response_by_type=[],
        response_by_owner=[],
        response_all=nothing,
        outcomes_by_type=[],
        outcomes_by_owner=[],
        outcomes_all=no_outcome,
        drafts=[],
        classifier=ClassifierHealth(0, 0, None, [], None, None, None, None, None, None, {}),
        findings=[],
        days=[START.date() + timedelta(days=i) for i in range(7)],
        daily={},
    )


@pytest.fixture(scope="module")
def full_html() -> str:
    return render_html(full_report(), dpi=DPI)


@pytest.fixture(scope="module")
def full_page(full_html: str) -> Page:
    return Page(full_html)


def test_the_page_is_well_formed_with_every_section(full_html: str, full_page: Page) -> None:
    assert full_html.startswith("<!DOCTYPE html>")
    assert full_page.problems == []
    assert full_page.open == []
    for heading in HEADINGS:
        assert heading in full_page.headings
    anchors = {attrs["href"] for tag, attrs in full_page.tags if tag == "a"}
    ids = {attrs["id"] for _, attrs in full_page.tags if attrs.get("id")}
    assert anchors <= {f"#{i}" for i in ids}


def test_the_findings_are_listed_in_order(full_page: Page) -> None:
    text = "".join(full_page.text)
    first = text.index("billing spiked on 6 May")
    assert first < text.index("shipping rose ×4.0 after New courier")
    assert "Nothing unusual" not in text


def test_every_image_is_an_embedded_png_with_alt_text(full_page: Page) -> None:
    images = full_page.images()
    assert len(images) == 7  # every chart of the full report has something to draw
    for attrs in images:
        src = attrs["src"] or ""
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        assert base64.b64decode(src.removeprefix(prefix), validate=True).startswith(PNG_SIGNATURE)
        assert attrs["alt"]


def test_nothing_points_outside_the_page(full_html: str, full_page: Page) -> None:
    for tag, attrs in full_page.tags:
        assert tag not in {"script", "link", "iframe", "object"}
        for name, value in attrs.items():
            assert "http://" not in (value or "") and "https://" not in (value or ""), (tag, name)
        for name in {"src", "href"} & attrs.keys():
            value = attrs[name] or ""
            assert value.startswith(("data:image/png;base64,", "#")), (tag, name, value[:40])
    assert "url(" not in full_html
    assert "@import" not in full_html


def test_customer_text_comes_out_escaped(full_html: str, full_page: Page) -> None:
    assert "<script" not in full_html
    assert "<b>FastShip" not in full_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in full_html
    text = "".join(full_page.text)
    assert SCRIPT_SUBJECT in text  # …and reads as the customer wrote it
    assert "#102 " + SCRIPT_SUBJECT in text
    assert '"Ann" <ann@example.com><script>x</script>' in text


def test_numbers_read_as_people_write_them(full_page: Page) -> None:
    text = "".join(full_page.text)
    for shown in ["p = 2e-09", "×4.7", "45 min", "3.2 h", "2.5 d", "↑ up", "new", "12 (40%)"]:
        assert shown in text, shown
    assert "all mailboxes" in text


def test_an_empty_period_still_renders_every_section() -> None:
    html = render_html(empty_report(), dpi=DPI)
    page = Page(html)
    assert page.problems == []
    text = "".join(page.text)
    assert "There were no complaints in this period." in text
    assert "help@example.com" in text
    assert "No active model." in text
    for heading in HEADINGS:
        assert heading in page.headings
    assert page.images() == []
    assert "No data for this chart." in text


def test_no_findings_says_nothing_unusual() -> None:
    one = Volume([START.date()], ["billing"], {"billing": [1]}, {"billing": 1}, {"billing": 1.0}, 1)
    html = render_html(dataclasses.replace(empty_report(), volume=one), dpi=DPI)
    assert "Nothing unusual was found." in html
    assert "There were no complaints" not in html


@pytest.mark.parametrize(
    "chart",
    [
        charts.volume_chart,
        charts.daily_chart,
        charts.heatmap_chart,
        charts.type_heatmaps_chart,
        charts.hours_chart,
        charts.response_chart,
        charts.outcome_chart,
    ],
)
def test_charts_draw_nothing_without_data(chart: Callable[..., bytes | None]) -> None:
    assert chart(empty_report(), dpi=DPI) is None


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(1, "day"), (90, "day"), (21, "week")],
    ids=["one day", "ninety days as lines", "weeks"],
)
def test_charts_over_time_cope_with_odd_periods(days: int, bucket: str) -> None:
    report = full_report(days, bucket)
    for chart in (charts.volume_chart(report, dpi=DPI), charts.daily_chart(report, dpi=DPI)):
        assert chart is not None and chart.startswith(PNG_SIGNATURE)


def test_many_types_are_summed_as_other() -> None:
    report = full_report()
    # …one of them with dollar signs, which matplotlib would otherwise read as mathtext.
    names = [f"type {i}" for i in range(11)] + [r"refund $\frac{$ typo"]
    counts = {name: [i % 3] * 10 for i, name in enumerate(names)}
    volume = dataclasses.replace(
        report.volume, types=names, counts=counts, totals={n: sum(c) for n, c in counts.items()}
    )
    assert charts.volume_chart(dataclasses.replace(report, volume=volume), dpi=DPI) is not None


def test_daily_charts_cover_spikes_then_changes_and_stop_at_six() -> None:
    report = full_report()
    assert charts.daily_chart_types(report) == ["billing", "shipping"]
    many = {f"t{i}": [1] * 10 for i in range(9)}
    spikes = [dataclasses.replace(report.spikes[0], failure_type=t) for t in many]
    crowded = dataclasses.replace(report, spikes=spikes, daily=many)
    assert charts.daily_chart_types(crowded) == [f"t{i}" for i in range(6)]


def test_formatting_helpers() -> None:
    assert format_duration(2700) == "45 min"
    assert format_duration(11520) == "3.2 h"
    assert format_duration(None) == "–"
    assert format_p_value(3e-7) == "p = 3e-07"
    assert format_p_value(0.0123) == "p = 0.012"
    assert format_factor(2.4) == "×2.4"
    assert format_factor(float("inf")) == "new"
    assert format_percent(0.25) == "25%"
    assert format_percent(0.004) == "0.4%"
    assert format_percent(None) == "–"

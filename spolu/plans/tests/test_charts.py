"""The server-rendered SVG charts: valid, accessible, escaped, CSP-safe and drawn to scale."""

import datetime
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation
from django.utils.safestring import SafeString

from spolu.plans.charts import indicator_chart, nice_ticks, plan_timeline
from spolu.plans.models import Indicator, IndicatorValue, Measure, MeasureStatus

SVG = "{http://www.w3.org/2000/svg}"
D = datetime.date
EVIL = '<script>alert("x")</script> & Co'


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def by_class(root, css, tag=None):
    elements = root.iter(f"{SVG}{tag}") if tag else root.iter()
    return [el for el in elements if css in el.get("class", "").split()]


def text_of(el) -> str:
    return "".join(el.itertext())


def assert_accessible(root, chart_id, role="img"):
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == role
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 ")
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.get("id") == f"{chart_id}-title"
    assert desc is not None and desc.get("id") == f"{chart_id}-desc"
    assert text_of(title).strip() and text_of(desc).strip()
    return text_of(title), text_of(desc)


def assert_csp_safe(svg):
    raw = str(svg)
    assert not re.search(r"\sstyle\s*=", raw, re.IGNORECASE)
    assert not re.search(r"<\s*style", raw, re.IGNORECASE)
    assert "<script" not in raw.lower()
    assert not re.search(r"\son[a-z]+\s*=", raw, re.IGNORECASE)  # no event handlers
    assert not any(el.tag == f"{SVG}style" for el in parse(svg).iter())


def indicator(**kwargs):
    fields = {
        "name": "Early school leavers",
        "unit": "%",
        "direction": "down",
        "baseline_value": Decimal("12.00"),
        "baseline_date": D(2024, 9, 1),
        "target_value": Decimal("6.00"),
        "target_date": D(2026, 6, 30),
    }
    fields.update(kwargs)
    return SimpleNamespace(**fields)


def value(day, number):
    return SimpleNamespace(date=day, value=Decimal(str(number)))


VALUES = [value(D(2025, 1, 31), "11.5"), value(D(2025, 6, 30), 10), value(D(2026, 1, 31), 9)]


# -- indicator chart ---------------------------------------------------------------------------


def test_indicator_chart_is_accessible_svg():
    svg = indicator_chart(indicator(), VALUES, chart_id="ind-1")
    assert isinstance(svg, SafeString)
    title, desc = assert_accessible(parse(svg), "ind-1")
    assert title == "Early school leavers"
    assert "Baseline 12 % (Sept. 1, 2024)" in desc
    assert "Target 6 % (June 30, 2026)" in desc
    assert "Latest 9 % (Jan. 31, 2026)" in desc
    assert "3 values recorded, from 9 % to 11.5 %" in desc
    assert "Lower is better" in desc
    assert_csp_safe(svg)


def test_indicator_chart_says_higher_is_better():
    svg = indicator_chart(indicator(direction="up"), VALUES, chart_id="c")
    assert "Higher is better" in text_of(parse(svg).find(f"{SVG}desc"))


def test_indicator_chart_escapes_database_text():
    svg = indicator_chart(indicator(name=EVIL, unit="<b>&"), VALUES, chart_id="c")
    assert "<script" not in str(svg)
    assert "<b>" not in str(svg)
    root = parse(svg)
    assert text_of(root.find(f"{SVG}title")) == EVIL
    assert "<b>&" in text_of(root.find(f"{SVG}desc"))
    assert_csp_safe(svg)


def test_higher_values_are_drawn_higher_and_later_dates_further_right():
    values = [value(D(2025, 3, 1), 15), value(D(2025, 1, 1), 5), value(D(2025, 5, 1), 10)]
    root = parse(indicator_chart(indicator(), values, chart_id="c"))
    points = by_class(root, "chart-point", "circle")
    assert len(points) == 3
    xs = [float(p.get("cx")) for p in points]
    ys = [float(p.get("cy")) for p in points]
    assert xs == sorted(xs)  # drawn in date order: 5, 15, 10
    assert ys[1] < ys[2] < ys[0]
    assert "15 %" in text_of(points[1].find(f"{SVG}title"))
    assert len(by_class(root, "chart-line", "polyline")) == 1


def test_baseline_and_target_sit_where_their_values_are():
    root = parse(indicator_chart(indicator(), VALUES, chart_id="c"))
    baseline = by_class(root, "chart-baseline", "rect")[0]
    target = by_class(root, "chart-target", "line")[0]
    points = by_class(root, "chart-point", "circle")
    baseline_y = float(baseline.get("y")) + float(baseline.get("height")) / 2
    assert baseline_y < float(points[-1].get("cy")) < float(target.get("y1"))
    assert target.get("y1") == target.get("y2")  # horizontal
    assert target.get("stroke-dasharray")  # dashed, readable in black and white
    marker = by_class(root, "chart-target-marker", "path")
    assert len(marker) == 1
    # The baseline is the earliest date, the target date the latest.
    assert float(baseline.get("x")) < float(points[0].get("cx"))
    assert "June 30, 2026" in text_of(marker[0].find(f"{SVG}title"))


def test_no_target_line_without_target():
    root = parse(
        indicator_chart(indicator(target_value=None, target_date=None), VALUES, chart_id="c")
    )
    assert not by_class(root, "chart-target")
    assert not by_class(root, "chart-target-marker")
    assert "No target." in text_of(root.find(f"{SVG}desc"))


def test_target_without_date_has_line_but_no_marker():
    root = parse(indicator_chart(indicator(target_date=None), VALUES, chart_id="c"))
    assert len(by_class(root, "chart-target", "line")) == 1
    assert not by_class(root, "chart-target-marker")


def test_baseline_without_date_is_a_dotted_line():
    root = parse(indicator_chart(indicator(baseline_date=None), VALUES, chart_id="c"))
    (baseline,) = by_class(root, "chart-baseline")
    assert baseline.tag == f"{SVG}line" and baseline.get("stroke-dasharray")


def test_y_axis_has_three_to_five_ticks_in_order():
    root = parse(indicator_chart(indicator(), VALUES, chart_id="c"))
    ticks = by_class(root, "chart-tick", "text")
    assert 3 <= len(ticks) <= 5
    assert all(text_of(t).endswith(" %") for t in ticks)
    ys = [float(t.get("y")) for t in ticks]
    numbers = [float(text_of(t).removesuffix(" %")) for t in ticks]
    assert numbers == sorted(numbers) and ys == sorted(ys, reverse=True)


def test_long_unit_is_written_once_above_the_axis():
    root = parse(
        indicator_chart(indicator(unit="pupils with a support plan"), VALUES, chart_id="c")
    )
    assert text_of(by_class(root, "chart-unit")[0]) == "pupils with a support plan"
    assert not any("pupils" in text_of(t) for t in by_class(root, "chart-tick"))


def test_first_and_last_dates_are_labelled():
    root = parse(indicator_chart(indicator(), VALUES, chart_id="c"))
    assert [text_of(t) for t in by_class(root, "chart-date")] == ["09/01/2024", "06/30/2026"]


def test_numbers_and_dates_follow_the_locale():
    values = [value(D(2025, 1, 31), "11.25"), value(D(2025, 6, 30), "10.5")]
    with translation.override("cs"):
        svg = indicator_chart(indicator(), values, chart_id="c")
    root = parse(svg)
    titles = [text_of(p.find(f"{SVG}title")) for p in by_class(root, "chart-point")]
    assert titles[0].startswith("11,25 %")
    assert "10,5 %" in titles[1]
    assert "31.01.2025" not in titles[0]  # long date in the tooltip, short on the axis
    assert text_of(by_class(root, "chart-date")[0]) == "01.09.2024"


def test_indicator_chart_with_no_values_keeps_baseline_and_target():
    root = parse(indicator_chart(indicator(), [], chart_id="c"))
    assert_accessible(root, "c")
    assert not by_class(root, "chart-point")
    assert by_class(root, "chart-baseline") and by_class(root, "chart-target")
    assert text_of(by_class(root, "chart-empty")[0]) == "No values yet"
    assert "No values yet." in text_of(root.find(f"{SVG}desc"))


def test_indicator_chart_with_nothing_at_all():
    empty = indicator(baseline_value=None, baseline_date=None, target_value=None, target_date=None)
    svg = indicator_chart(empty, [], chart_id="c")
    root = parse(svg)
    _title, desc = assert_accessible(root, "c")
    assert "No baseline." in desc and "No target." in desc and "No values yet." in desc
    assert text_of(by_class(root, "chart-empty")[0]) == "No values yet"
    assert_csp_safe(svg)


def test_indicator_chart_with_one_value_centres_it():
    lone = indicator(baseline_value=None, baseline_date=None, target_value=None, target_date=None)
    root = parse(indicator_chart(lone, [value(D(2025, 5, 1), 0)], chart_id="c"))
    (point,) = by_class(root, "chart-point", "circle")
    (label,) = by_class(root, "chart-date", "text")
    assert point.get("cx") == label.get("x") and label.get("text-anchor") == "middle"
    assert not by_class(root, "chart-line")
    assert 3 <= len(by_class(root, "chart-tick")) <= 5


def test_indicator_chart_accepts_pairs_and_model_instances():
    model = Indicator(
        name="Pupils & staff",
        unit="pupils",
        direction="up",
        baseline_value=Decimal("100.00"),
        baseline_date=D(2024, 1, 1),
        target_value=Decimal("150.00"),
    )
    rows = [
        IndicatorValue(date=D(2025, 1, 1), value=Decimal("120.00")),
        (D(2024, 6, 1), Decimal("110")),
        (D(2025, 6, 1), 130),
    ]
    root = parse(indicator_chart(model, rows, chart_id="m"))
    assert text_of(root.find(f"{SVG}title")) == "Pupils & staff"
    assert len(by_class(root, "chart-point")) == 3
    assert "Latest 130 pupils" in text_of(root.find(f"{SVG}desc"))


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("0", "1"),
        ("5.4", "12.6"),
        ("-3", "7"),
        ("99", "101"),
        ("0.001", "0.0013"),
        ("1000", "250000"),
        ("-0.9", "0.9"),
        ("12345.67", "12345.99"),
    ]
    + [(str(n / 7), str(n / 7 + (n % 13 + 1) * 1.37)) for n in range(-40, 40, 3)],
)
def test_nice_ticks_gives_three_to_five_round_ticks_covering_the_range(low, high):
    lo, hi = Decimal(low), Decimal(high)
    new_lo, new_hi, ticks, places = nice_ticks(lo, hi)
    assert 3 <= len(ticks) <= 5
    assert new_lo <= lo and new_hi >= hi
    assert ticks == sorted(ticks)
    assert all(new_lo <= t <= new_hi for t in ticks)
    assert all(-t.as_tuple().exponent == places for t in ticks if t)


# -- plan timeline -----------------------------------------------------------------------------

STATUS_LABELS = dict(MeasureStatus.choices)


def measure(code, title="Tutoring", start=None, end=None, status="in_progress", **extra):
    return SimpleNamespace(
        code=code,
        title=title,
        start=start,
        end=end,
        status=status,
        get_status_display=lambda: str(STATUS_LABELS.get(status, status)),
        **extra,
    )


def goal(code, title, measures):
    return SimpleNamespace(code=code, title=title, measures_list=measures)


PERIOD = {"period_start": D(2024, 1, 1), "period_end": D(2027, 12, 31)}


def sample_goals():
    return [
        goal(
            "G1",
            "Inclusive schools",
            [
                measure("1.1", start=D(2024, 3, 1), end=D(2025, 2, 28), status="done"),
                measure("1.2", start=D(2025, 1, 1), end=D(2026, 6, 30), at_risk=True),
                measure("1.3", status="planned"),  # no dates
            ],
        ),
        goal(
            "G2",
            "Families",
            [
                measure("2.1", start=D(2024, 9, 1), end=D(2027, 6, 30), status="delayed"),
                measure("2.2", start=D(2026, 1, 1), status="cancelled", at_risk=False),
            ],
        ),
    ]


def timeline(goals=None, **kwargs):
    options = {**PERIOD, "today": D(2025, 11, 3), "chart_id": "tl"}
    options.update(kwargs)
    return plan_timeline(sample_goals() if goals is None else goals, **options)


def test_timeline_is_accessible_svg():
    svg = timeline()
    assert isinstance(svg, SafeString)
    title, desc = assert_accessible(parse(svg), "tl")
    assert "01/01/2024" in title and "12/31/2027" in title
    assert "5 measures in 2 goals." in desc
    assert "In progress: 1" in desc and "Delayed: 1" in desc
    assert "1 measure is at risk." in desc
    assert "2 measures lack a start or end date." in desc
    assert_csp_safe(svg)


def test_timeline_has_one_bar_per_dated_measure_in_date_order():
    root = parse(timeline())
    bars = by_class(root, "bar", "rect")
    assert len(bars) == 3
    assert [b.get("data-status") for b in bars] == ["done", "in_progress", "delayed"]
    x = {b.get("data-status"): float(b.get("x")) for b in bars}
    width = {b.get("data-status"): float(b.get("width")) for b in bars}
    assert x["done"] < x["delayed"] < x["in_progress"]
    assert width["delayed"] > width["in_progress"] > width["done"]
    # Rows go down the page in order.
    ys = [float(b.get("y")) for b in bars]
    assert ys == sorted(ys)


def test_measures_without_dates_say_so():
    root = parse(timeline())
    notes = [text_of(t) for t in by_class(root, "no-dates", "text")]
    assert notes == ["no dates", "no end date"]
    assert len(by_class(root, "bar-partial", "rect")) == 1


def test_statuses_differ_by_more_than_colour():
    root = parse(timeline())
    swatches = {s.get("data-status"): s for s in by_class(root, "legend-swatch", "rect")}
    assert set(swatches) == set(MeasureStatus.values)
    looks = {
        (s.get("fill"), s.get("stroke-dasharray"), s.get("stroke-width")) for s in swatches.values()
    }
    assert len(looks) == len(MeasureStatus.values)
    assert swatches["done"].get("fill") == "url(#tl-done)"
    assert root.find(f".//{SVG}pattern[@id='tl-done']") is not None


def test_legend_lists_every_status():
    root = parse(timeline())
    items = by_class(root, "legend-item", "g")
    legend = {item.get("data-legend"): text_of(item) for item in items}
    for value, label in MeasureStatus.choices:
        assert str(label) in legend[value]
    assert "At risk" in legend["risk"]
    assert "Today" in legend["today"]


def test_today_line_only_inside_the_range():
    root = parse(timeline())
    (today,) = by_class(root, "today", "g")
    line = today.find(f"{SVG}line")
    assert line.get("x1") == line.get("x2")
    assert "Nov. 3, 2025" in text_of(today.find(f"{SVG}title"))
    later = parse(timeline(today=D(2030, 1, 1)))
    assert not by_class(later, "today")
    assert "today" not in {i.get("data-legend") for i in by_class(later, "legend-item")}


def test_today_line_sits_between_the_right_bars():
    root = parse(timeline())
    x_today = float(by_class(root, "today", "g")[0].find(f"{SVG}line").get("x1"))
    bars = {b.get("data-status"): b for b in by_class(root, "bar", "rect")}
    done = bars["done"]
    assert float(done.get("x")) + float(done.get("width")) < x_today
    running = bars["in_progress"]
    assert float(running.get("x")) < x_today < float(running.get("x")) + float(running.get("width"))


def test_at_risk_measures_get_a_warning_marker():
    root = parse(timeline())
    markers = by_class(root, "at-risk", "g")
    in_rows = [m for m in markers if m.find(f"{SVG}title") is not None]
    # One in the row of measure 1.2, one in the legend.
    assert len(in_rows) == 2
    assert all(text_of(m.find(f"{SVG}title")) == "At risk" for m in in_rows)
    rows = by_class(root, "measure")
    flagged = [r for r in rows if by_class(r, "at-risk")]
    assert len(flagged) == 1
    assert "1.2 Tutoring" in text_of(flagged[0].find(f"{SVG}title"))
    assert "(at risk)" in text_of(flagged[0].find(f"{SVG}title"))


def test_year_labels_and_quarter_ticks():
    root = parse(timeline())
    years = [text_of(t) for t in by_class(root, "year-label", "text")]
    assert years == ["2024", "2025", "2026", "2027"]
    # 1 January 2024 to 2028: the two edges of the period and the three years between.
    assert len(by_class(root, "grid-year")) == 5
    assert len(by_class(root, "tick-quarter")) == 12


def test_timeline_links_measures_when_asked():
    svg = timeline(measure_url=lambda m: f"/plans/measures/{m.code}/?tab=1&x=2")
    root = parse(svg)
    assert_accessible(root, "tl", role="group")
    links = list(root.iter(f"{SVG}a"))
    assert len(links) == 5
    assert links[0].get("href") == "/plans/measures/1.1/?tab=1&x=2"
    assert "&amp;x=2" in str(svg)
    assert all("xlink" not in key for link in links for key in link.attrib)
    first = links[0]
    assert by_class(first, "bar") and by_class(first, "measure-label")
    assert first.get("aria-label").startswith("1.1 Tutoring: Done")
    assert not list(parse(timeline()).iter(f"{SVG}a"))


def test_timeline_escapes_database_text_and_truncates_long_titles():
    long_title = "Support for inclusive education in primary schools and kindergartens"
    goals = [
        goal(EVIL, EVIL, [measure(EVIL, EVIL, D(2024, 1, 1), D(2024, 6, 30))]),
        goal("G2", "Plain", [measure("2.1", long_title, D(2024, 1, 1), D(2024, 6, 30))]),
    ]
    svg = timeline(goals, measure_url=lambda m: "/m/?q=" + m.code)
    assert "<script" not in str(svg)
    assert_csp_safe(svg)
    root = parse(svg)
    assert text_of(by_class(root, "goal-label")[0]) == f"{EVIL} {EVIL}"
    labels = [text_of(t) for t in by_class(root, "measure-label")]
    assert labels[0].startswith(EVIL)
    assert labels[1].endswith("…") and len(labels[1]) <= len("2.1 ") + 40
    titles = [text_of(r.find(f"{SVG}title")) for r in by_class(root, "measure")]
    assert long_title in titles[1]
    assert list(root.iter(f"{SVG}a"))[0].get("href") == "/m/?q=" + EVIL


def test_measure_dates_outside_the_period_widen_the_axis():
    goals = [goal("G", "Goal", [measure("1", start=D(2023, 6, 1), end=D(2024, 3, 1))])]
    root = parse(timeline(goals))
    years = [text_of(t) for t in by_class(root, "year-label")]
    assert years[0] == "2023"
    (bar,) = by_class(root, "bar", "rect")
    assert float(bar.get("x")) >= 366


def test_timeline_without_goals():
    svg = timeline([])
    root = parse(svg)
    _title, desc = assert_accessible(root, "tl")
    assert "0 measures in 0 goals." in desc
    assert text_of(by_class(root, "chart-empty")[0]) == "No measures yet"


def test_timeline_accepts_unsaved_models():
    measures = [
        Measure(
            code="1.1",
            title="Tutors",
            status="in_progress",
            start=D(2024, 2, 1),
            end=D(2025, 1, 31),
        ),
        Measure(code="1.2", title="Camp", status="done"),
    ]
    root = parse(timeline([goal("G1", "Goal", measures)]))
    assert len(by_class(root, "bar")) == 1
    assert "1.1 Tutors: In progress" in text_of(by_class(root, "measure")[0].find(f"{SVG}title"))


def test_timeline_grows_with_rows_and_renders_200_measures():
    goals = [
        goal(
            f"G{g}",
            f"Goal {g}",
            [
                measure(
                    f"{g}.{i}",
                    f"Measure {i} with a fairly long title that will need truncating",
                    D(2024, 1, 1) + datetime.timedelta(days=7 * i),
                    D(2025, 1, 1) + datetime.timedelta(days=11 * i),
                    MeasureStatus.values[i % 5],
                    at_risk=i % 7 == 0,
                )
                for i in range(40)
            ],
        )
        for g in range(5)
    ]
    svg = timeline(goals, measure_url=lambda m: f"/m/{m.code}/")
    root = parse(svg)
    assert len(by_class(root, "bar", "rect")) == 200
    assert len(list(root.iter(f"{SVG}a"))) == 200
    small = parse(timeline())

    def height(el):
        return float(el.get("viewBox").split()[3])

    assert height(root) > height(small) + 190 * 20
    assert_csp_safe(svg)

"""Charts drawn on the server as SVG: an indicator's values over time and a plan's timeline.

The markup has no script, no `style` attribute and no <style> element, so it passes a strict
Content-Security-Policy: the look comes from SVG presentation attributes, and every element
carries a class the site stylesheet may refine. Every text from the database is escaped; every
word on the chart goes through gettext. Colours have at least 4.5:1 contrast on white and each
series or status also differs by dash pattern, marker shape or fill pattern, so the charts stay
readable in black-and-white print.
"""

import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation

from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Direction, MeasureStatus

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

INK = "#1a1a1a"  # 17:1 on white
MUTED = "#4d4d4d"  # 8.4:1
GRID = "#d4d4d4"  # decorative only
AXIS = "#767676"  # 4.5:1

VALUE_COLOUR = "#0b5cad"  # 6.7:1
BASELINE_COLOUR = "#4d4d4d"
TARGET_COLOUR = "#a35200"  # 5.6:1
TODAY_COLOUR = "#6a1b9a"  # 9.4:1
RISK_FILL = "#f2c200"  # with a dark outline and a dark "!" on top

# Each status differs by colour and by something that survives grey-scale print:
# planned is hollow with a dashed outline, in progress is solid, done is striped,
# delayed is cross-hatched with a heavy outline, cancelled is pale, dotted and struck through.
STATUS_STYLES = {
    MeasureStatus.PLANNED: {"fill": "#ffffff", "stroke": "#3d5a80", "dash": "5 3", "width": 1.5},
    MeasureStatus.IN_PROGRESS: {"fill": "#1f5fa8", "stroke": "#174a84", "dash": "", "width": 1},
    MeasureStatus.DONE: {"pattern": "done", "stroke": "#2b7a3b", "dash": "", "width": 1.5},
    MeasureStatus.DELAYED: {"pattern": "delayed", "stroke": "#b3261e", "dash": "", "width": 2.5},
    MeasureStatus.CANCELLED: {"fill": "#ececec", "stroke": "#6b6b6b", "dash": "2 2", "width": 1.5},
}


# -- helpers -----------------------------------------------------------------------------------


def _n(x: float) -> str:
    """A coordinate for an attribute: never localised, one decimal at most."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _truncate(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _text_width(text: str, font_size: float) -> float:
    # Rough advance of a sans-serif string; enough to lay out columns and legends.
    return len(text) * font_size * 0.58


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _plain(value: Decimal) -> Decimal:
    """12.00 -> 12, 0.50 -> 0.5, without falling into exponent notation (1E+2)."""
    if value == 0:
        return Decimal(0)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _number(value: Decimal, decimal_pos: int | None = None) -> str:
    if decimal_pos is None:
        return number_format(_plain(value))
    return number_format(value, decimal_pos=decimal_pos)


def _with_unit(number: str, unit: str) -> str:
    if not unit:
        return number
    return _("%(number)s %(unit)s") % {"number": number, "unit": unit}


def _date(d: datetime.date) -> str:
    return date_format(d, "DATE_FORMAT")


def _short_date(d: datetime.date) -> str:
    return date_format(d, "SHORT_DATE_FORMAT")


def _open_svg(chart_id: str, width: int, height: float, css_class: str, role: str = "img"):
    return format_html(
        '<svg xmlns="{}" class="{}" role="{}" aria-labelledby="{}-title {}-desc" '
        'viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMidYMin meet" '
        'font-family="{}" font-size="12" fill="{}">',
        SVG_NS,
        css_class,
        role,
        chart_id,
        chart_id,
        width,
        _n(height),
        FONT,
        INK,
    )


def _title_desc(chart_id: str, title: str, desc: str) -> str:
    return format_html(
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        chart_id,
        title,
        chart_id,
        desc,
    )


def _text(x, y, text, *, anchor="start", size=12, fill=INK, css="", bold=False, italic=False):
    extra = ""
    if bold:
        extra += ' font-weight="bold"'
    if italic:
        extra += ' font-style="italic"'
    if css:
        extra += format_html(' class="{}"', css)
    return format_html(
        '<text x="{}" y="{}" text-anchor="{}" font-size="{}" fill="{}"{}>{}</text>',
        _n(x),
        _n(y),
        anchor,
        size,
        fill,
        mark_safe(extra),
        text,
    )


# -- indicator chart ---------------------------------------------------------------------------


def _value_pairs(values) -> list[tuple[datetime.date, Decimal]]:
    pairs = []
    for item in values or ():
        if isinstance(item, tuple | list):
            when, raw = item[0], item[1]
        else:
            when, raw = getattr(item, "date", None), getattr(item, "value", None)
        number = _decimal(raw)
        if isinstance(when, datetime.datetime):
            when = when.date()
        if isinstance(when, datetime.date) and number is not None:
            pairs.append((when, number))
    pairs.sort(key=lambda pair: pair[0])
    return pairs


def _count_multiples(lo: Decimal, hi: Decimal, step: Decimal) -> int:
    first = (lo / step).to_integral_value(rounding=ROUND_CEILING)
    last = (hi / step).to_integral_value(rounding=ROUND_FLOOR)
    return int(last - first) + 1


def nice_ticks(lo: Decimal, hi: Decimal) -> tuple[Decimal, Decimal, list[Decimal], int]:
    """3-5 round tick values for the range; the range may widen to the outer ticks.

    Returns (lo, hi, ticks, decimal places of the ticks).
    """
    span = hi - lo
    exponent = (span / 5).adjusted()
    step = None
    for power in range(exponent - 1, exponent + 3):
        for mantissa in ("1", "2", "2.5", "5"):
            candidate = Decimal(mantissa).scaleb(power)
            if _count_multiples(lo, hi, candidate) <= 5:
                step = candidate
                break
        if step is not None:
            break
    if step is None:  # pragma: no cover - the loop always reaches a wide enough step
        step = span
    if _count_multiples(lo, hi, step) < 3:
        lo = (lo / step).to_integral_value(rounding=ROUND_FLOOR) * step
        hi = (hi / step).to_integral_value(rounding=ROUND_CEILING) * step
    places = max(0, -step.normalize().as_tuple().exponent)
    quantum = Decimal(1).scaleb(-places)
    first = (lo / step).to_integral_value(rounding=ROUND_CEILING)
    count = _count_multiples(lo, hi, step)
    ticks = [((first + k) * step).quantize(quantum) for k in range(count)]
    return lo, hi, ticks, places


def _y_range(numbers: list[Decimal]) -> tuple[Decimal, Decimal]:
    low, high = min(numbers), max(numbers)
    if low == high:
        pad = abs(low) / 10 if low != 0 else Decimal(1)
    else:
        pad = (high - low) / 10
    return low - pad, high + pad


def _indicator_desc(indicator, pairs, unit) -> str:
    sentences = []
    baseline_value = _decimal(getattr(indicator, "baseline_value", None))
    baseline_date = getattr(indicator, "baseline_date", None)
    target_value = _decimal(getattr(indicator, "target_value", None))
    target_date = getattr(indicator, "target_date", None)

    def amount(value):
        return _with_unit(_number(value), unit)

    if baseline_value is not None and baseline_date:
        sentences.append(
            _("Baseline %(value)s (%(date)s).")
            % {"value": amount(baseline_value), "date": _date(baseline_date)}
        )
    elif baseline_value is not None:
        sentences.append(_("Baseline %(value)s.") % {"value": amount(baseline_value)})
    else:
        sentences.append(_("No baseline."))

    if target_value is not None and target_date:
        sentences.append(
            _("Target %(value)s (%(date)s).")
            % {"value": amount(target_value), "date": _date(target_date)}
        )
    elif target_value is not None:
        sentences.append(_("Target %(value)s.") % {"value": amount(target_value)})
    elif target_date:
        sentences.append(_("Target date %(date)s.") % {"date": _date(target_date)})
    else:
        sentences.append(_("No target."))

    if pairs:
        last_date, last_value = pairs[-1]
        sentences.append(
            _("Latest %(value)s (%(date)s).")
            % {"value": amount(last_value), "date": _date(last_date)}
        )
        sentences.append(
            ngettext(
                "%(count)s value recorded, from %(low)s to %(high)s.",
                "%(count)s values recorded, from %(low)s to %(high)s.",
                len(pairs),
            )
            % {
                "count": len(pairs),
                "low": amount(min(v for _d, v in pairs)),
                "high": amount(max(v for _d, v in pairs)),
            }
        )
    else:
        sentences.append(_("No values yet."))

    direction = getattr(indicator, "direction", None)
    if direction in Direction.values:
        sentences.append(str(Direction(direction).label) + ".")
    return " ".join(sentences)


def indicator_chart(indicator, values, *, chart_id: str) -> SafeString:
    """A line chart of an indicator's dated values with its baseline and target.

    `values` holds IndicatorValue objects (anything with `.date` and `.value`) or
    (date, number) pairs, in any order. The baseline is a square at its date (a dotted line
    when it has no date), the target a dashed line at its value with a diamond at its date.
    """
    width, height = 640, 320
    pairs = _value_pairs(values)
    unit = str(getattr(indicator, "unit", "") or "")
    name = str(getattr(indicator, "name", "") or "")
    baseline_value = _decimal(getattr(indicator, "baseline_value", None))
    baseline_date = getattr(indicator, "baseline_date", None)
    if baseline_value is None:
        baseline_date = None
    target_value = _decimal(getattr(indicator, "target_value", None))
    target_date = getattr(indicator, "target_date", None)

    out = [
        _open_svg(chart_id, width, height, "chart chart-indicator"),
        _title_desc(chart_id, name or _("Indicator"), _indicator_desc(indicator, pairs, unit)),
    ]

    numbers = [v for _d, v in pairs]
    numbers += [v for v in (baseline_value, target_value) if v is not None]
    if not numbers:
        out.append(
            _text(
                width / 2,
                height / 2,
                _("No values yet"),
                anchor="middle",
                size=14,
                fill=MUTED,
                css="chart-empty",
            )
        )
        out.append("</svg>")
        return mark_safe("".join(out))

    # Y: padded range, round ticks. Short units go on every tick, long ones above the axis.
    lo, hi, ticks, places = nice_ticks(*_y_range(numbers))
    short_unit = len(unit) <= 5
    tick_labels = [
        _with_unit(_number(t, places), unit) if short_unit else _number(t, places) for t in ticks
    ]
    label_width = max(_text_width(label, 12) for label in tick_labels)
    left = min(max(44.0, label_width + 16), 200.0)
    right = width - 16
    top = 30 if not short_unit else 16
    bottom = height - 60
    inner = 12  # keeps edge markers off the axes
    flo, fhi = float(lo), float(hi)

    def y_of(value: Decimal) -> float:
        return bottom - (float(value) - flo) / (fhi - flo) * (bottom - top)

    # X: from the earliest to the latest date shown; one date sits in the middle.
    dates = [d for d, _v in pairs] + [d for d in (baseline_date, target_date) if d]
    first_date = min(dates) if dates else None
    last_date = max(dates) if dates else None
    days = (last_date - first_date).days if dates else 0

    def x_of(d: datetime.date) -> float:
        if not days:
            return (left + right) / 2
        return left + inner + (d - first_date).days / days * (right - left - 2 * inner)

    # Grid and Y axis.
    for tick, label in zip(ticks, tick_labels, strict=True):
        y = y_of(tick)
        out.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1" '
                'class="chart-grid"/>',
                _n(left),
                _n(y),
                _n(right),
                _n(y),
                GRID,
            )
        )
        out.append(_text(left - 6, y + 4, label, anchor="end", fill=MUTED, css="chart-tick"))
    if not short_unit:
        out.append(_text(left, 14, _truncate(unit, 60), fill=MUTED, css="chart-unit"))
    out.append(
        format_html(
            '<path d="M{} {}V{}H{}" fill="none" stroke="{}" stroke-width="1" class="chart-axis"/>',
            _n(left),
            _n(top),
            _n(bottom),
            _n(right),
            AXIS,
        )
    )

    # X labels: first and last date.
    if dates:
        if days:
            out.append(
                _text(left, bottom + 18, _short_date(first_date), fill=MUTED, css="chart-date")
            )
            out.append(
                _text(
                    right,
                    bottom + 18,
                    _short_date(last_date),
                    anchor="end",
                    fill=MUTED,
                    css="chart-date",
                )
            )
        else:
            out.append(
                _text(
                    x_of(first_date),
                    bottom + 18,
                    _short_date(first_date),
                    anchor="middle",
                    fill=MUTED,
                    css="chart-date",
                )
            )

    legend = []

    # Target: dashed line at its value, diamond at its date (or a dashed upright at the date).
    if target_value is not None:
        y = y_of(target_value)
        out.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
                'stroke-dasharray="8 5" class="chart-target"><title>{}</title></line>',
                _n(left),
                _n(y),
                _n(right),
                _n(y),
                TARGET_COLOUR,
                _("Target %(value)s") % {"value": _with_unit(_number(target_value), unit)},
            )
        )
        legend.append("target")
    if target_date:
        x = x_of(target_date)
        if target_value is not None:
            y = y_of(target_value)
            out.append(
                format_html(
                    '<path d="M{} {}l7 7l-7 7l-7 -7z" fill="#ffffff" stroke="{}" '
                    'stroke-width="2.5" class="chart-target-marker"><title>{}</title></path>',
                    _n(x),
                    _n(y - 7),
                    TARGET_COLOUR,
                    _("Target %(value)s (%(date)s)")
                    % {
                        "value": _with_unit(_number(target_value), unit),
                        "date": _date(target_date),
                    },
                )
            )
        else:
            out.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
                    'stroke-dasharray="8 5" class="chart-target-date"><title>{}</title></line>',
                    _n(x),
                    _n(top),
                    _n(x),
                    _n(bottom),
                    TARGET_COLOUR,
                    _("Target date %(date)s") % {"date": _date(target_date)},
                )
            )
            legend.append("target")

    # Baseline: a square at its date, or a dotted line when it has no date.
    if baseline_value is not None:
        label = _with_unit(_number(baseline_value), unit)
        y = y_of(baseline_value)
        if baseline_date:
            out.append(
                format_html(
                    '<rect x="{}" y="{}" width="11" height="11" fill="{}" stroke="#ffffff" '
                    'stroke-width="1" class="chart-baseline"><title>{}</title></rect>',
                    _n(x_of(baseline_date) - 5.5),
                    _n(y - 5.5),
                    BASELINE_COLOUR,
                    _("Baseline %(value)s (%(date)s)")
                    % {"value": label, "date": _date(baseline_date)},
                )
            )
        else:
            out.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
                    'stroke-dasharray="2 4" stroke-linecap="round" class="chart-baseline">'
                    "<title>{}</title></line>",
                    _n(left),
                    _n(y),
                    _n(right),
                    _n(y),
                    BASELINE_COLOUR,
                    _("Baseline %(value)s") % {"value": label},
                )
            )
        legend.append("baseline")

    # Values: solid line with round markers, each with its value as a tooltip.
    if pairs:
        points = [(x_of(d), y_of(v)) for d, v in pairs]
        if len(points) > 1:
            out.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" '
                    'stroke-linejoin="round" class="chart-line"/>',
                    " ".join(f"{_n(x)},{_n(y)}" for x, y in points),
                    VALUE_COLOUR,
                )
            )
        for (x, y), (d, v) in zip(points, pairs, strict=True):
            out.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="4.5" fill="{}" stroke="#ffffff" '
                    'stroke-width="1.5" class="chart-point"><title>{}</title></circle>',
                    _n(x),
                    _n(y),
                    VALUE_COLOUR,
                    _("%(value)s (%(date)s)")
                    % {"value": _with_unit(_number(v), unit), "date": _date(d)},
                )
            )
        legend.append("values")
    else:
        out.append(
            _text(
                (left + right) / 2,
                # Above the middle, where a lone baseline or target line would run.
                top + (bottom - top) * 0.3,
                _("No values yet"),
                anchor="middle",
                size=14,
                fill=MUTED,
                css="chart-empty",
            )
        )

    # Legend, in a fixed order.
    x, y = left, height - 14
    for item in [i for i in ("values", "baseline", "target") if i in legend]:
        if item == "values":
            sample = format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.5"/>'
                '<circle cx="{}" cy="{}" r="4" fill="{}"/>',
                _n(x),
                _n(y - 4),
                _n(x + 24),
                _n(y - 4),
                VALUE_COLOUR,
                _n(x + 12),
                _n(y - 4),
                VALUE_COLOUR,
            )
            label = _("Values")
        elif item == "baseline":
            if baseline_date:
                sample = format_html(
                    '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>',
                    _n(x + 7),
                    _n(y - 9),
                    BASELINE_COLOUR,
                )
            else:
                sample = format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
                    'stroke-dasharray="2 4" stroke-linecap="round"/>',
                    _n(x),
                    _n(y - 4),
                    _n(x + 24),
                    _n(y - 4),
                    BASELINE_COLOUR,
                )
            label = _("Baseline")
        else:
            sample = format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
                'stroke-dasharray="8 5"/>',
                _n(x),
                _n(y - 4),
                _n(x + 24),
                _n(y - 4),
                TARGET_COLOUR,
            )
            label = _("Target")
        out.append(
            format_html(
                '<g class="chart-legend-item">{}{}</g>',
                sample,
                _text(x + 30, y, label, css="chart-legend-label"),
            )
        )
        x += 30 + _text_width(label, 12) + 24

    out.append("</svg>")
    return mark_safe("".join(out))


# -- plan timeline -----------------------------------------------------------------------------

TL_WIDTH = 1000
TL_LABEL_X = 22
TL_RISK_X = 350
TL_LEFT = 366
TL_RIGHT = TL_WIDTH - 16
TL_HEADER = 44
TL_GOAL_ROW = 28
TL_MEASURE_ROW = 22
TL_BAR = 12


def _month_starts(start: datetime.date, end: datetime.date):
    year, month = start.year, start.month
    if start.day != 1:
        month += 1
        if month > 12:
            year, month = year + 1, 1
    while True:
        day = datetime.date(year, month, 1)
        if day > end:
            return
        yield day
        month += 1
        if month > 12:
            year, month = year + 1, 1


def _status_key(status) -> str:
    return status if status in STATUS_STYLES else MeasureStatus.PLANNED


def _bar_shape(chart_id, status, x, y, w, h, css):
    style = STATUS_STYLES[_status_key(status)]
    fill = f"url(#{chart_id}-{style['pattern']})" if "pattern" in style else style["fill"]
    dash = format_html(' stroke-dasharray="{}"', style["dash"]) if style["dash"] else ""
    shape = format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}" stroke="{}" '
        'stroke-width="{}"{} class="{}" data-status="{}"/>',
        _n(x),
        _n(y),
        _n(w),
        _n(h),
        fill,
        style["stroke"],
        style["width"],
        dash,
        css,
        status,
    )
    if status == MeasureStatus.CANCELLED:
        shape += format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.5"/>',
            _n(x),
            _n(y + h / 2),
            _n(x + w),
            _n(y + h / 2),
            style["stroke"],
        )
    return shape


def _patterns(chart_id: str) -> str:
    done = STATUS_STYLES[MeasureStatus.DONE]["stroke"]
    delayed = STATUS_STYLES[MeasureStatus.DELAYED]["stroke"]
    return format_html(
        "<defs>"
        '<pattern id="{}-done" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e3f1e5"/>'
        '<line x1="1.5" y1="0" x2="1.5" y2="6" stroke="{}" stroke-width="3"/></pattern>'
        '<pattern id="{}-delayed" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#fbe4e2"/>'
        '<path d="M0 0L6 6M6 0L0 6" stroke="{}" stroke-width="1.5"/></pattern>'
        "</defs>",
        chart_id,
        done,
        chart_id,
        delayed,
    )


def _risk_marker(cx: float, cy: float, tooltip: str) -> str:
    return format_html(
        '<g class="at-risk"><title>{}</title>'
        '<path d="M{} {}l7.5 13h-15z" fill="{}" stroke="{}" stroke-width="1.2" '
        'stroke-linejoin="round"/>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="10" font-weight="bold" '
        'fill="{}">!</text></g>',
        tooltip,
        _n(cx),
        _n(cy - 7),
        RISK_FILL,
        INK,
        _n(cx),
        _n(cy + 4.5),
        INK,
    )


def _timeline_desc(goals_count, measures, period_start, period_end, today) -> str:
    sentences = [
        _("Plan period %(start)s to %(end)s.")
        % {"start": _date(period_start), "end": _date(period_end)},
        _("%(measures)s in %(goals)s.")
        % {
            "measures": ngettext("%(count)s measure", "%(count)s measures", len(measures))
            % {"count": len(measures)},
            "goals": ngettext("%(count)s goal", "%(count)s goals", goals_count)
            % {"count": goals_count},
        },
    ]
    counts = {}
    for measure in measures:
        key = _status_key(getattr(measure, "status", None))
        counts[key] = counts.get(key, 0) + 1
    parts = [
        _("%(status)s: %(count)s") % {"status": label, "count": counts[value]}
        for value, label in MeasureStatus.choices
        if counts.get(value)
    ]
    if parts:
        sentences.append(", ".join(parts) + ".")
    at_risk = sum(1 for m in measures if getattr(m, "at_risk", False))
    if at_risk:
        sentences.append(
            ngettext("%(count)s measure is at risk.", "%(count)s measures are at risk.", at_risk)
            % {"count": at_risk}
        )
    undated = sum(1 for m in measures if not (m.start and m.end))
    if undated:
        sentences.append(
            ngettext(
                "%(count)s measure lacks a start or end date.",
                "%(count)s measures lack a start or end date.",
                undated,
            )
            % {"count": undated}
        )
    sentences.append(_("Today is %(date)s.") % {"date": _date(today)})
    return " ".join(sentences)


def _measure_tooltip(measure) -> str:
    display = getattr(measure, "get_status_display", None)
    status = display() if callable(display) else str(measure.status)
    start, end = measure.start, measure.end
    if start and end:
        when = _("%(start)s to %(end)s") % {"start": _date(start), "end": _date(end)}
    elif start:
        when = _("from %(start)s, no end date") % {"start": _date(start)}
    elif end:
        when = _("until %(end)s, no start date") % {"end": _date(end)}
    else:
        when = _("no dates")
    text = _("%(code)s %(title)s: %(status)s, %(when)s") % {
        "code": measure.code,
        "title": measure.title,
        "status": status,
        "when": when,
    }
    if getattr(measure, "at_risk", False):
        text = _("%(measure)s (at risk)") % {"measure": text}
    return text


def plan_timeline(
    goals, *, period_start, period_end, today, chart_id: str, measure_url=None
) -> SafeString:
    """A Gantt chart of a plan's measures, grouped by goal.

    `goals` yields goals with `.code`, `.title` and `.measures_list` (measures with code, title,
    start, end, status, get_status_display() and optionally `at_risk`). The time axis covers
    the plan period, widened to any measure outside it. `measure_url(measure)`, when given,
    turns each measure's row (label and bar) into a link.
    """
    goals = list(goals)
    rows = []  # (goal, None) for a goal heading, (goal, measure) for a measure
    measures = []
    for goal in goals:
        rows.append((goal, None))
        for measure in getattr(goal, "measures_list", None) or ():
            rows.append((goal, measure))
            measures.append(measure)

    # The time range: the plan period, widened to every measure's dates.
    range_start, range_end = period_start, period_end
    for measure in measures:
        for d in (measure.start, measure.end):
            if d:
                range_start = min(range_start, d)
                range_end = max(range_end, d)
    range_stop = range_end + datetime.timedelta(days=1)  # bars end after their last day
    total_days = (range_stop - range_start).days
    span = TL_RIGHT - TL_LEFT

    def x_of(d: datetime.date) -> float:
        return TL_LEFT + (d - range_start).days / total_days * span

    body_top = TL_HEADER
    body_height = sum(TL_MEASURE_ROW if m is not None else TL_GOAL_ROW for _g, m in rows)
    if not rows:
        body_height = 40
    body_bottom = body_top + body_height

    # Legend layout, flowing into as many lines as needed.
    legend_items = [("status", value, str(label)) for value, label in MeasureStatus.choices]
    legend_items.append(("risk", None, _("At risk")))
    today_inside = range_start <= today <= range_end
    if today_inside:
        legend_items.append(("today", None, _("Today")))
    legend_top = body_bottom + 30
    placed, x, line = [], 10.0, 0
    for item in legend_items:
        item_width = 34 + _text_width(item[2], 12) + 20
        if x + item_width > TL_WIDTH - 10 and x > 10:
            x, line = 10.0, line + 1
        placed.append((item, x, legend_top + line * 22))
        x += item_width
    height = legend_top + (line + 1) * 22

    title = _("Timeline of the plan's measures, %(start)s to %(end)s") % {
        "start": _short_date(period_start),
        "end": _short_date(period_end),
    }
    desc = _timeline_desc(len(goals), measures, period_start, period_end, today)
    # Links inside role="img" would be hidden from assistive technology, so a linked
    # timeline is a labelled group instead.
    role = "group" if measure_url else "img"
    out = [
        _open_svg(chart_id, TL_WIDTH, height, "chart chart-timeline", role),
        _title_desc(chart_id, title, desc),
        _patterns(chart_id),
    ]

    # Gridlines: light quarters, strong years with the year written over its span.
    grid = []
    axis_y = TL_HEADER - 4
    years_span = total_days / 365.25
    for day in _month_starts(range_start, range_stop):
        x = x_of(day)
        if day.month == 1:
            grid.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1" '
                    'class="grid-year"/>',
                    _n(x),
                    _n(axis_y - 14),
                    _n(x),
                    _n(body_bottom),
                    AXIS,
                )
            )
        elif day.month in (4, 7, 10) and years_span <= 15:
            grid.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1" '
                    'class="grid-quarter"/>'
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1" '
                    'class="tick-quarter"/>',
                    _n(x),
                    _n(axis_y),
                    _n(x),
                    _n(body_bottom),
                    GRID,
                    _n(x),
                    _n(axis_y - 8),
                    _n(x),
                    _n(axis_y),
                    AXIS,
                )
            )
        elif years_span <= 4:
            grid.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1" '
                    'class="tick-month"/>',
                    _n(x),
                    _n(axis_y - 4),
                    _n(x),
                    _n(axis_y),
                    AXIS,
                )
            )
    for year in range(range_start.year, range_end.year + 1):
        left = x_of(max(range_start, datetime.date(year, 1, 1)))
        right = x_of(min(range_stop, datetime.date(year + 1, 1, 1)))
        if right - left >= 34:
            grid.append(
                _text(
                    (left + right) / 2,
                    axis_y - 12,
                    str(year),
                    anchor="middle",
                    size=13,
                    bold=True,
                    css="year-label",
                )
            )
    grid.append(
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1" class="axis"/>',
            _n(TL_LEFT),
            _n(axis_y),
            _n(TL_RIGHT),
            _n(axis_y),
            AXIS,
        )
    )
    out.extend(grid)

    if not rows:
        out.append(
            _text(
                (TL_LEFT + TL_RIGHT) / 2,
                body_top + 24,
                _("No measures yet"),
                anchor="middle",
                size=14,
                fill=MUTED,
                css="chart-empty",
            )
        )

    # Rows.
    y = body_top
    for goal, measure in rows:
        if measure is None:
            out.append(
                format_html(
                    '<g class="goal"><rect x="0" y="{}" width="{}" height="{}" fill="#eef1f5"/>'
                    "{}</g>",
                    _n(y + 2),
                    TL_WIDTH,
                    TL_GOAL_ROW - 4,
                    _text(
                        8,
                        y + TL_GOAL_ROW / 2 + 4.5,
                        _truncate(f"{goal.code} {goal.title}", 120),
                        bold=True,
                        css="goal-label",
                    ),
                )
            )
            y += TL_GOAL_ROW
            continue

        mid = y + TL_MEASURE_ROW / 2
        parts = []
        label = f"{measure.code} {_truncate(measure.title, 40)}"
        tooltip = _measure_tooltip(measure)
        parts.append(format_html("<title>{}</title>", tooltip))
        parts.append(_text(TL_LABEL_X, mid + 4, label, css="measure-label"))
        if getattr(measure, "at_risk", False):
            parts.append(_risk_marker(TL_RISK_X, mid, _("At risk")))
        status = getattr(measure, "status", MeasureStatus.PLANNED)
        start, end = measure.start, measure.end
        if start and end:
            bar_x = x_of(start)
            bar_w = max(x_of(end + datetime.timedelta(days=1)) - bar_x, 3.0)
            parts.append(
                _bar_shape(chart_id, status, bar_x, mid - TL_BAR / 2, bar_w, TL_BAR, "bar")
            )
        elif start or end:
            # One known date: a marker there, and the missing one in words beside it.
            d = start or end
            cx = x_of(d) if start else x_of(end + datetime.timedelta(days=1))
            parts.append(_bar_shape(chart_id, status, cx - 5, mid - 5, 10, 10, "bar-partial"))
            note = _("no end date") if start else _("no start date")
            if cx + 10 + _text_width(note, 11) < TL_RIGHT:
                parts.append(
                    _text(cx + 10, mid + 4, note, size=11, fill=MUTED, italic=True, css="no-dates")
                )
            else:
                parts.append(
                    _text(
                        cx - 10,
                        mid + 4,
                        note,
                        anchor="end",
                        size=11,
                        fill=MUTED,
                        italic=True,
                        css="no-dates",
                    )
                )
        else:
            parts.append(
                _text(
                    TL_LEFT + 6,
                    mid + 4,
                    _("no dates"),
                    size=11,
                    fill=MUTED,
                    italic=True,
                    css="no-dates",
                )
            )
        inner = "".join(parts)
        if measure_url:
            # A transparent strip under the whole row, so a click between label and bar
            # still follows the link.
            inner = (
                format_html(
                    '<rect x="0" y="{}" width="{}" height="{}" fill="transparent"/>',
                    y,
                    TL_WIDTH,
                    TL_MEASURE_ROW,
                )
                + inner
            )
            out.append(
                format_html(
                    '<a href="{}" class="measure" aria-label="{}">{}</a>',
                    measure_url(measure),
                    tooltip,
                    mark_safe(inner),
                )
            )
        else:
            out.append(format_html('<g class="measure">{}</g>', mark_safe(inner)))
        y += TL_MEASURE_ROW

    if today_inside:
        x = x_of(today) + (x_of(today + datetime.timedelta(days=1)) - x_of(today)) / 2
        out.append(
            format_html(
                '<g class="today"><title>{}</title>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
                'stroke-dasharray="6 3"/>{}</g>',
                _("Today, %(date)s") % {"date": _date(today)},
                _n(x),
                _n(axis_y),
                _n(x),
                _n(body_bottom + 4),
                TODAY_COLOUR,
                _text(
                    min(max(x, TL_LEFT + 20), TL_RIGHT - 20),
                    body_bottom + 18,
                    _("Today"),
                    anchor="middle",
                    size=11,
                    fill=TODAY_COLOUR,
                    bold=True,
                ),
            )
        )

    # Legend.
    for (kind, value, label), lx, ly in placed:
        if kind == "status":
            sample = _bar_shape(chart_id, value, lx, ly - 10, 26, TL_BAR, "legend-swatch")
        elif kind == "risk":
            sample = _risk_marker(lx + 13, ly - 4, label)
        else:
            sample = format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
                'stroke-dasharray="6 3"/>',
                _n(lx + 13),
                _n(ly - 12),
                _n(lx + 13),
                _n(ly + 4),
                TODAY_COLOUR,
            )
        out.append(
            format_html(
                '<g class="legend-item" data-legend="{}">{}{}</g>',
                value or kind,
                sample,
                _text(lx + 34, ly, label, css="legend-label"),
            )
        )

    out.append("</svg>")
    return mark_safe("".join(out))
